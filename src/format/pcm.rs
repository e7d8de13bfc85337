//! Linear PCM, integer or IEEE float: the WAVEFORMATEX fields derived from channels, rate and
//! sample size, and the speaker positions of WAVEFORMATEXTENSIBLE.

use crate::error::{Error, Result};

/// Most channels a stream may have: one per speaker position WAVEFORMATEXTENSIBLE defines.
pub const MAX_CHANNELS: u32 = 18;

/// `dwChannelMask` speaker positions, in the order channels are interleaved.
pub const SPEAKER_FRONT_LEFT: u32 = 0x1;
/// Front right.
pub const SPEAKER_FRONT_RIGHT: u32 = 0x2;
/// Front center.
pub const SPEAKER_FRONT_CENTER: u32 = 0x4;
/// Low-frequency effects (the ".1").
pub const SPEAKER_LOW_FREQUENCY: u32 = 0x8;
/// Back left.
pub const SPEAKER_BACK_LEFT: u32 = 0x10;
/// Back right.
pub const SPEAKER_BACK_RIGHT: u32 = 0x20;
/// Side left.
pub const SPEAKER_SIDE_LEFT: u32 = 0x200;
/// Side right.
pub const SPEAKER_SIDE_RIGHT: u32 = 0x400;

/// The usual layout for `channels` (mono, stereo, 3.0, quad, 5.0, 5.1, 7.1); 0 (no positions)
/// for other counts.
pub const fn default_channel_mask(channels: u32) -> u32 {
    const FRONT: u32 = SPEAKER_FRONT_LEFT | SPEAKER_FRONT_RIGHT;
    const BACK: u32 = SPEAKER_BACK_LEFT | SPEAKER_BACK_RIGHT;
    match channels {
        1 => SPEAKER_FRONT_CENTER,
        2 => FRONT,
        3 => FRONT | SPEAKER_FRONT_CENTER,
        4 => FRONT | BACK,
        5 => FRONT | SPEAKER_FRONT_CENTER | BACK,
        6 => FRONT | SPEAKER_FRONT_CENTER | SPEAKER_LOW_FREQUENCY | BACK,
        8 => {
            FRONT
                | SPEAKER_FRONT_CENTER
                | SPEAKER_LOW_FREQUENCY
                | BACK
                | SPEAKER_SIDE_LEFT
                | SPEAKER_SIDE_RIGHT
        }
        _ => 0,
    }
}

/// The sample layout of an audio stream's input, which timed writes need to count samples and
/// make silence (`#[non_exhaustive]`: read, not built, outside the crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SampleLayout {
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Bytes of one sample of every channel.
    pub block_align: usize,
    /// The byte silence is made of: 0x80 for unsigned 8-bit PCM, 0 otherwise.
    pub silence: u8,
}

/// Unsigned 8-bit PCM centers on this value.
const SILENCE_UNSIGNED_8: u8 = 0x80;

/// A fully derived linear PCM format, made by [`PcmFormat::derive`] or [`PcmFormat::float`]
/// (`#[non_exhaustive]`: fields may be added).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PcmFormat {
    /// Interleaved channels, 1..=18.
    pub channels: u16,
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Integers: 8 (unsigned), 16, 24 or 32 (signed); float: 32.
    pub bits_per_sample: u16,
    /// Bytes of one sample frame across all channels (`nBlockAlign`).
    pub block_align: u16,
    /// `nAvgBytesPerSec`.
    pub bytes_per_second: u32,
    /// IEEE float samples rather than integers.
    pub float: bool,
    /// Speaker positions (`dwChannelMask`), one bit per channel or 0 for none.
    pub channel_mask: u32,
}

impl PcmFormat {
    /// Integer PCM with the default speaker positions for the channel count.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] naming the field that is out of range.
    pub fn derive(channels: u32, sample_rate: u32, bits_per_sample: u32) -> Result<PcmFormat> {
        if !matches!(bits_per_sample, 8 | 16 | 24 | 32) {
            return Err(Error::invalid_argument(format!(
                "PCM bits_per_sample must be 8, 16, 24 or 32, not {bits_per_sample}"
            )));
        }
        Self::with_sample(channels, sample_rate, bits_per_sample, false)
    }

    /// 32-bit IEEE float samples with the default speaker positions.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] naming the field that is out of range.
    pub fn float(channels: u32, sample_rate: u32) -> Result<PcmFormat> {
        Self::with_sample(channels, sample_rate, 32, true)
    }

    fn with_sample(channels: u32, sample_rate: u32, bits: u32, float: bool) -> Result<PcmFormat> {
        if channels == 0 || channels > MAX_CHANNELS {
            return Err(Error::invalid_argument(format!(
                "PCM channels must be 1..={MAX_CHANNELS}, not {channels}"
            )));
        }
        if sample_rate == 0 {
            return Err(Error::invalid_argument("PCM sample_rate must not be 0"));
        }
        let block_align = (channels * bits / 8) as u16;
        let bytes_per_second = u32::try_from(u64::from(sample_rate) * u64::from(block_align))
            .map_err(|_| Error::invalid_argument("PCM byte rate exceeds 4 GiB per second"))?;
        Ok(PcmFormat {
            channels: channels as u16,
            sample_rate,
            bits_per_sample: bits as u16,
            block_align,
            bytes_per_second,
            float,
            channel_mask: default_channel_mask(channels),
        })
    }

    /// The same format with speaker positions `mask`; 0 keeps the default for the channel count.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] when the mask does not have one bit per channel.
    pub fn with_channel_mask(self, mask: u32) -> Result<PcmFormat> {
        if mask == 0 {
            return Ok(self);
        }
        if mask.count_ones() != u32::from(self.channels) {
            return Err(Error::invalid_argument(format!(
                "channel_mask 0x{mask:x} names {} speakers for {} channels",
                mask.count_ones(),
                self.channels
            )));
        }
        Ok(PcmFormat {
            channel_mask: mask,
            ..self
        })
    }

    /// How the samples of this format are laid out.
    pub fn sample_layout(&self) -> SampleLayout {
        SampleLayout {
            sample_rate: self.sample_rate,
            block_align: usize::from(self.block_align),
            silence: if self.bits_per_sample == 8 {
                SILENCE_UNSIGNED_8
            } else {
                0
            },
        }
    }

    /// Whether plain WAVEFORMATEX cannot say it all: more than two channels, more than 16
    /// bits, float, or speaker positions other than the default.
    pub fn needs_extensible(&self) -> bool {
        self.channels > 2
            || self.bits_per_sample > 16
            || self.float
            || self.channel_mask != default_channel_mask(u32::from(self.channels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn derives_block_align_and_rate() {
        let f = PcmFormat::derive(2, 44100, 16).unwrap();
        assert_eq!((f.block_align, f.bytes_per_second), (4, 176_400));
        assert!(!f.needs_extensible());
        let f = PcmFormat::derive(6, 48000, 24).unwrap();
        assert_eq!((f.block_align, f.bytes_per_second), (18, 864_000));
        assert_eq!(f.channel_mask, 0x3F);
        assert!(f.needs_extensible());
        let f = PcmFormat::float(8, 48000).unwrap();
        assert_eq!((f.block_align, f.channel_mask), (32, 0x63F));
        assert!(f.needs_extensible());
    }

    #[test]
    fn channel_masks_need_one_speaker_per_channel() {
        let stereo = PcmFormat::derive(2, 44100, 16).unwrap();
        assert_eq!(stereo.with_channel_mask(0).unwrap(), stereo);
        let wide = stereo
            .with_channel_mask(SPEAKER_SIDE_LEFT | SPEAKER_SIDE_RIGHT)
            .unwrap();
        assert!(
            wide.needs_extensible(),
            "a non-default layout is written out"
        );
        let e = stereo.with_channel_mask(0x7).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument);
        assert!(e.message().contains("3 speakers for 2 channels"), "{e}");
        assert_eq!(default_channel_mask(7), 0);
    }

    #[test]
    fn rejects_out_of_range_fields() {
        for (c, r, b) in [(0, 44100, 16), (2, 0, 16), (2, 44100, 12), (19, 44100, 16)] {
            assert_eq!(
                PcmFormat::derive(c, r, b).unwrap_err().status(),
                Status::InvalidArgument
            );
        }
        assert!(PcmFormat::float(19, 48000).is_err());
        assert!(PcmFormat::derive(18, 48000, 32).is_ok());
    }
}
