//! What the muxer needs to know about each stream: its format and how its chunks are named,
//! validated once when the stream is added.

use super::constants::*;
use crate::error::{Error, Result};
use crate::format::{StreamFormat, VideoFormat, MAX_CHUNK_SIZE};
use crate::riff::FourCc;

/// Most streams one file can hold: chunk ids carry the stream number in two decimal digits.
pub const MAX_STREAMS: usize = 100;

/// Longest `strn` name, in bytes.
pub(crate) const MAX_STREAM_NAME_LEN: usize = 65_535;

/// One stream of a file: its format and optional `strn` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSpec {
    /// The format.
    pub format: StreamFormat,
    /// Written as `strn` when present.
    pub name: Option<String>,
}

impl StreamSpec {
    /// Validates the format and the name.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] or [`crate::Status::Limit`] naming the problem.
    pub fn validate(&self) -> Result<()> {
        match &self.format {
            StreamFormat::Video(v) => v.validate()?,
            StreamFormat::Audio(a) => a.validate()?,
        }
        if let Some(name) = &self.name {
            if name.contains('\0') {
                return Err(Error::invalid_argument(
                    "stream name contains a NUL character",
                ));
            }
            if name.len() > MAX_STREAM_NAME_LEN {
                return Err(Error::invalid_argument(format!(
                    "stream name is longer than {MAX_STREAM_NAME_LEN} bytes"
                )));
            }
        }
        Ok(())
    }

    /// The id of this stream's data chunks when it is stream number `index`.
    pub fn chunk_id(&self, index: usize) -> FourCc {
        let suffix = match &self.format {
            StreamFormat::Video(VideoFormat { fourcc: None, .. }) => SUFFIX_UNCOMPRESSED_VIDEO,
            StreamFormat::Video(_) => SUFFIX_COMPRESSED_VIDEO,
            StreamFormat::Audio(_) => SUFFIX_AUDIO,
        };
        FourCc::for_stream(index, suffix, false)
    }

    /// Whether this is a video stream.
    pub fn is_video(&self) -> bool {
        matches!(self.format, StreamFormat::Video(_))
    }

    /// Checks the length of one chunk of this stream.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] for a wrong length, [`crate::Status::Limit`] over 2 GiB.
    pub fn check_chunk_len(&self, len: usize) -> Result<()> {
        if len > MAX_CHUNK_SIZE {
            return Err(Error::new(
                crate::Status::Limit,
                format!(
                    "a chunk of {len} bytes exceeds the OpenDML limit of {MAX_CHUNK_SIZE} bytes"
                ),
            ));
        }
        match &self.format {
            StreamFormat::Video(v) => match v.exact_frame_len() {
                Some(exact) if exact != len => Err(Error::invalid_argument(format!(
                    "an uncompressed {}x{} {}-bit frame is {exact} bytes (bottom-up rows padded \
                     to 4 bytes), not {len}",
                    v.width, v.height, v.bits_per_pixel
                ))),
                _ => Ok(()),
            },
            StreamFormat::Audio(a) if a.frame_samples().is_some() => {
                if len == 0 {
                    Err(Error::invalid_argument("an empty MPEG audio frame"))
                } else {
                    Ok(())
                }
            }
            StreamFormat::Audio(a) => {
                if len == 0 || !len.is_multiple_of(usize::from(a.block_align)) {
                    Err(Error::invalid_argument(format!(
                        "audio block of {len} bytes is not a non-zero multiple of block_align {}",
                        a.block_align
                    )))
                } else {
                    Ok(())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dib_frames_must_have_the_padded_length() {
        let spec = StreamSpec {
            format: StreamFormat::Video(VideoFormat::dib(3, 2, 24)),
            name: None,
        };
        assert!(spec.check_chunk_len(24).is_ok());
        assert!(spec.check_chunk_len(18).is_err());
        assert_eq!(spec.chunk_id(7), FourCc::new(*b"07db"));
    }
}
