//! AVI 1.0 and OpenDML 2.0 structures and the muxer that lays chunks, headers and indexes out.

pub(crate) mod constants;
mod headers;
mod index;
mod info;
mod muxer;
mod stream;

pub use info::{InfoList, MAX_INFO_VALUE_LEN};
pub use muxer::{
    ChunkWrite, Muxer, MuxerConfig, DEFAULT_RIFF_LIMIT, DEFAULT_SUPER_INDEX_CAPACITY,
    MAX_SUPER_INDEX_CAPACITY,
};
pub(crate) use stream::MAX_STREAM_NAME_LEN;
pub use stream::{StreamSpec, MAX_STREAMS};
