//! AVI 1.0 and OpenDML 2.0 structures and the muxer that lays chunks, headers and indexes out.

pub(crate) mod constants;
mod headers;
mod index;
mod muxer;
mod stream;

pub use muxer::{
    BatchError, ChunkWrite, Muxer, MuxerConfig, DEFAULT_RIFF_LIMIT, DEFAULT_SUPER_INDEX_CAPACITY,
};
pub use stream::{
    AudioFormat, FrameRate, StreamFormat, StreamSpec, VideoFormat, MAX_CHUNK_SIZE, MAX_STREAMS,
};
