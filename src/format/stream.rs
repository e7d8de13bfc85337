//! What a stream is: video or audio with its format, and the largest chunk it may write.

use super::{AudioFormat, VideoFormat};

/// Largest chunk payload: OpenDML standard indexes use bit 31 of the size as the delta-frame flag.
pub const MAX_CHUNK_SIZE: usize = 0x7FFF_FFFF;

/// A stream's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamFormat {
    /// A `vids` stream.
    Video(VideoFormat),
    /// An `auds` stream.
    Audio(AudioFormat),
}
