//! Integer PCM: the WAVEFORMATEX fields derived from channels, rate and sample size.

use crate::error::{Error, Result};

/// A fully derived integer PCM format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcmFormat {
    /// Interleaved channels, 1..=65535.
    pub channels: u16,
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// 8 (unsigned), 16, 24 or 32 (signed).
    pub bits_per_sample: u16,
    /// Bytes of one sample frame across all channels (`nBlockAlign`).
    pub block_align: u16,
    /// `nAvgBytesPerSec`.
    pub bytes_per_second: u32,
}

impl PcmFormat {
    /// Derives the block alignment and byte rate.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] naming the field that is out of range.
    pub fn derive(channels: u32, sample_rate: u32, bits_per_sample: u32) -> Result<PcmFormat> {
        if !matches!(bits_per_sample, 8 | 16 | 24 | 32) {
            return Err(Error::invalid_argument(format!(
                "PCM bits_per_sample must be 8, 16, 24 or 32, not {bits_per_sample}"
            )));
        }
        if channels == 0 || channels > 1024 {
            return Err(Error::invalid_argument(format!(
                "PCM channels must be 1..=1024, not {channels}"
            )));
        }
        if sample_rate == 0 {
            return Err(Error::invalid_argument("PCM sample_rate must not be 0"));
        }
        let block_align = u16::try_from(channels * bits_per_sample / 8).map_err(|_| {
            Error::invalid_argument(
                "PCM block alignment (channels * bytes per sample) exceeds 65535",
            )
        })?;
        let bytes_per_second = u32::try_from(u64::from(sample_rate) * u64::from(block_align))
            .map_err(|_| Error::invalid_argument("PCM byte rate exceeds 4 GiB per second"))?;
        Ok(PcmFormat {
            channels: channels as u16,
            sample_rate,
            bits_per_sample: bits_per_sample as u16,
            block_align,
            bytes_per_second,
        })
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
        let f = PcmFormat::derive(6, 48000, 24).unwrap();
        assert_eq!((f.block_align, f.bytes_per_second), (18, 864_000));
    }

    #[test]
    fn rejects_out_of_range_fields() {
        for (c, r, b) in [
            (0, 44100, 16),
            (2, 0, 16),
            (2, 44100, 12),
            (2000, 44100, 16),
        ] {
            assert_eq!(
                PcmFormat::derive(c, r, b).unwrap_err().status(),
                Status::InvalidArgument
            );
        }
    }
}
