//! Stream formats, a leaf of the crate: picture and sample layouts and what follows from them
//! (DIB sizes, PCM block alignment, speaker masks, the MP3 wave format). `avi` writes
//! them into headers and [`crate::codec`] produces and consumes them; neither depends on the
//! other.

mod audio;
pub mod dib;
mod pcm;
mod rate;
mod video;

pub use audio::*;
pub use pcm::*;
pub use rate::FrameRate;
pub use video::{PixelAspect, VideoFormat};

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
