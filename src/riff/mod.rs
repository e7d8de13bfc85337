//! RIFF building blocks: four-character codes, little-endian chunk bodies with patched sizes, and
//! the positional sinks the muxer writes through.

mod fourcc;
mod pieces;
mod sink;
mod tree;
mod write_seek_sink;

pub use fourcc::FourCc;
#[cfg(feature = "capi")]
pub(crate) use pieces::Cursor;
pub use pieces::WRITE_PIECE_MAX;
pub use sink::{FileSink, Sink, WriteError};
pub use tree::{chunk_header, RiffTree};
pub(crate) use tree::{padded_len, CHUNK_HEADER_LEN, LIST_HEADER_LEN};
pub use write_seek_sink::WriteSeekSink;
