//! A leaf of the crate (it uses only `riff`'s `FourCc`): picture and sample layouts and what follows from them
//! (DIB sizes, PCM block alignment, speaker masks, the MP3 wave format). `avi` writes them into
//! headers and [`crate::codec`] produces and consumes them; neither depends on the other.
//!
//! The format types ([`crate::VideoFormat`], [`crate::AudioFormat`], [`crate::PcmFormat`],
//! [`crate::FrameRate`], ...) are at the crate root; this module holds the numbers of the
//! Windows structures they become: [`wave`](crate::format::wave) format tags,
//! [`speaker`](crate::format::speaker) positions and [`dib`](crate::format::dib) row
//! sizes.

pub(crate) mod audio;
pub mod dib;
pub(crate) mod pcm;
pub(crate) mod rate;
pub(crate) mod stream;
pub(crate) mod video;

pub(crate) use audio::*;
pub(crate) use pcm::*;
pub(crate) use rate::FrameRate;
pub(crate) use stream::{StreamFormat, MAX_CHUNK_SIZE};
pub(crate) use video::{PixelAspect, VideoFormat};

/// `WAVEFORMATEX` format tags and the `WAVEFORMATEXTENSIBLE` layout, as `AudioFormat::format_tag`
/// and its extra bytes carry them.
pub mod wave {
    pub use super::audio::{mp3_format, samples_per_frame};
    pub use super::audio::{
        KSDATAFORMAT_SUBTYPE_TAIL, WAVEFORMATEXTENSIBLE_EXTRA_LEN, WAVE_FORMAT_EXTENSIBLE,
        WAVE_FORMAT_IEEE_FLOAT, WAVE_FORMAT_MPEGLAYER3, WAVE_FORMAT_PCM,
    };
}

/// Speaker positions of a `WAVEFORMATEXTENSIBLE` channel mask (`PcmFormat::channel_mask`).
pub mod speaker {
    pub use super::pcm::{
        default_channel_mask, SPEAKER_BACK_LEFT, SPEAKER_BACK_RIGHT, SPEAKER_FRONT_CENTER,
        SPEAKER_FRONT_LEFT, SPEAKER_FRONT_RIGHT, SPEAKER_LOW_FREQUENCY, SPEAKER_SIDE_LEFT,
        SPEAKER_SIDE_RIGHT,
    };
}
