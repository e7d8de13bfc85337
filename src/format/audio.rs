//! Audio formats: the WAVEFORMATEX a stream declares, the format tags and GUID parts it is built
//! from, and the MPEG Layer III wave format with its frame timing.

use super::pcm::PcmFormat;
use crate::error::{Error, Result};

/// `wFormatTag` of integer PCM.
pub const WAVE_FORMAT_PCM: u16 = 0x0001;
/// `wFormatTag` (and SubFormat GUID's first field) of IEEE float PCM.
pub const WAVE_FORMAT_IEEE_FLOAT: u16 = 0x0003;
/// `wFormatTag` of WAVEFORMATEXTENSIBLE: the format is the SubFormat GUID in the extra bytes.
pub const WAVE_FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// The last 14 bytes of every KSDATAFORMAT_SUBTYPE_* GUID (`xxxxxxxx-0000-0010-8000-00aa00389b71`,
/// in its little-endian byte layout), after the 16-bit format tag that starts it.
pub const KSDATAFORMAT_SUBTYPE_TAIL: [u8; 14] = [
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];
/// `cbSize` of WAVEFORMATEXTENSIBLE: valid bits, channel mask, SubFormat.
pub const WAVEFORMATEXTENSIBLE_EXTRA_LEN: usize = 22;
/// `wFormatTag` of MPEG Layer III.
pub const WAVE_FORMAT_MPEGLAYER3: u16 = 0x0055;
/// Samples per channel in one Layer III frame at `sample_rate`.
pub fn samples_per_frame(sample_rate: u32) -> u32 {
    if sample_rate >= 32_000 {
        1152
    } else {
        576
    }
}

/// The MPEGLAYER3WAVEFORMAT of a constant-bitrate stream.
pub fn mp3_format(channels: u16, sample_rate: u32, kbps: u32) -> AudioFormat {
    let frame_bytes = (samples_per_frame(sample_rate) / 8 * kbps * 1000 / sample_rate) as u16;
    let mut extra = Vec::with_capacity(12);
    extra.extend_from_slice(&1u16.to_le_bytes()); // wID: MPEGLAYER3_ID_MPEG
    extra.extend_from_slice(&2u32.to_le_bytes()); // fdwFlags: MPEGLAYER3_FLAG_PADDING_OFF
    extra.extend_from_slice(&frame_bytes.to_le_bytes()); // nBlockSize
    extra.extend_from_slice(&1u16.to_le_bytes()); // nFramesPerBlock
    extra.extend_from_slice(&0u16.to_le_bytes()); // nCodecDelay
    AudioFormat {
        format_tag: WAVE_FORMAT_MPEGLAYER3,
        channels,
        sample_rate,
        bytes_per_second: kbps * 1000 / 8,
        // Samples per frame, as FFmpeg writes it: readers time an MPEG audio chunk (dwSampleSize
        // 0) as nBlockAlign samples, and a value of 1 made FFmpeg count bytes as ticks.
        block_align: samples_per_frame(sample_rate) as u16,
        bits_per_sample: 0,
        extra,
    }
}

/// An audio stream's WAVEFORMATEX. Built with [`AudioFormat::pcm`], [`AudioFormat::declared`]
/// or [`mp3_format`] (fields may be added: it is `#[non_exhaustive]`); its fields are public to
/// read and change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AudioFormat {
    /// `wFormatTag`.
    pub format_tag: u16,
    /// `nChannels`.
    pub channels: u16,
    /// `nSamplesPerSec`.
    pub sample_rate: u32,
    /// `nAvgBytesPerSec`.
    pub bytes_per_second: u32,
    /// `nBlockAlign`: every block written is a whole number of these.
    pub block_align: u16,
    /// `wBitsPerSample`.
    pub bits_per_sample: u16,
    /// Bytes after `cbSize`.
    pub extra: Vec<u8>,
}

impl AudioFormat {
    /// Linear PCM, integer or float: plain WAVEFORMATEX for mono or stereo integers of up to
    /// 16 bits in their default layout, WAVEFORMATEXTENSIBLE (with the channel mask and the
    /// PCM or float SubFormat) for everything else, as Windows and FFmpeg expect.
    pub fn pcm(format: PcmFormat) -> AudioFormat {
        let sample_tag = if format.float {
            WAVE_FORMAT_IEEE_FLOAT
        } else {
            WAVE_FORMAT_PCM
        };
        let (format_tag, extra) = if format.needs_extensible() {
            let mut extra = Vec::with_capacity(WAVEFORMATEXTENSIBLE_EXTRA_LEN);
            extra.extend_from_slice(&format.bits_per_sample.to_le_bytes()); // wValidBitsPerSample
            extra.extend_from_slice(&format.channel_mask.to_le_bytes());
            extra.extend_from_slice(&sample_tag.to_le_bytes()); // SubFormat
            extra.extend_from_slice(&KSDATAFORMAT_SUBTYPE_TAIL);
            (WAVE_FORMAT_EXTENSIBLE, extra)
        } else {
            (sample_tag, Vec::new())
        };
        AudioFormat {
            format_tag,
            channels: format.channels,
            sample_rate: format.sample_rate,
            bytes_per_second: format.bytes_per_second,
            block_align: format.block_align,
            bits_per_sample: format.bits_per_sample,
            extra,
        }
    }

    /// A format as a caller declares it, written as given: `block_align` 0 is derived (MPEG
    /// audio: the samples of one frame; else one sample of every channel), `bytes_per_second`
    /// 0 is `sample_rate * block_align`.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] when a derived field does not fit its WAVEFORMATEX
    /// field, or as [`AudioFormat::validate`].
    pub fn declared(
        format_tag: u16,
        channels: u16,
        sample_rate: u32,
        bits_per_sample: u16,
        block_align: u16,
        bytes_per_second: u32,
        extra: Vec<u8>,
    ) -> Result<AudioFormat> {
        let block_align = match block_align {
            // MPEG audio is timed in frames: nBlockAlign is the samples in one.
            0 if format_tag == WAVE_FORMAT_MPEGLAYER3 => samples_per_frame(sample_rate) as u16,
            0 => u16::try_from(u32::from(channels) * u32::from(bits_per_sample) / 8)
                .map_err(|_| Error::invalid_argument("derived block_align exceeds 65535"))?,
            given => given,
        };
        let bytes_per_second = match bytes_per_second {
            0 => u32::try_from(u64::from(sample_rate) * u64::from(block_align))
                .map_err(|_| Error::invalid_argument("derived bytes_per_second exceeds 32 bits"))?,
            given => given,
        };
        let format = AudioFormat {
            format_tag,
            channels,
            sample_rate,
            bytes_per_second,
            block_align,
            bits_per_sample,
            extra,
        };
        format.validate()?;
        Ok(format)
    }

    /// Samples per channel in each chunk, for formats that count time in chunks (MPEG audio,
    /// one frame per chunk); `None` for constant-rate formats counted in blocks (PCM).
    pub fn frame_samples(&self) -> Option<u32> {
        (self.format_tag == WAVE_FORMAT_MPEGLAYER3).then(|| samples_per_frame(self.sample_rate))
    }

    /// Checks the fields the muxer relies on.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.channels == 0 {
            return Err(Error::invalid_argument("audio channels must not be 0"));
        }
        if self.sample_rate == 0 {
            return Err(Error::invalid_argument("audio sample_rate must not be 0"));
        }
        if self.block_align == 0 {
            return Err(Error::invalid_argument("audio block_align must not be 0"));
        }
        if self.bytes_per_second == 0 {
            return Err(Error::invalid_argument(
                "audio bytes_per_second must not be 0",
            ));
        }
        if self.extra.len() > usize::from(u16::MAX) {
            return Err(Error::invalid_argument(
                "audio format_extra is longer than 65535 bytes (cbSize is 16 bits)",
            ));
        }
        Ok(())
    }
}
