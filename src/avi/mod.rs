//! AVI 1.0 and OpenDML 2.0 structures: the muxer lays chunks and headers out, [`index`] owns
//! every index (`idx1`, standard and super indexes) and writes it when the muxer says.

pub(crate) mod constants;
mod durability;
mod headers;
mod index;
mod info;
mod muxer;
mod stream;

pub use durability::Durability;
pub use index::{DEFAULT_SUPER_INDEX_CAPACITY, MAX_SUPER_INDEX_CAPACITY};
pub use info::{InfoList, MAX_INFO_VALUE_LEN};
pub use muxer::{ChunkWrite, Muxer, MuxerConfig, DEFAULT_RIFF_LIMIT};
pub(crate) use stream::MAX_STREAM_NAME_LEN;
pub use stream::{StreamSpec, MAX_STREAMS};
