//! What the muxer needs to know about each stream: its format and how its chunks are named,
//! validated once when the stream is added.

use super::constants::*;
use crate::codec::{dib, pcm::PcmFormat};
use crate::error::{Error, Result};
use crate::riff::FourCc;

/// Most streams one file can hold: chunk ids carry the stream number in two decimal digits.
pub const MAX_STREAMS: usize = 100;

/// Largest chunk payload: OpenDML standard indexes use bit 31 of the size as the delta-frame flag.
pub const MAX_CHUNK_SIZE: usize = 0x7FFF_FFFF;

/// A frame rate as an exact rational (`30000/1001` is kept exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRate {
    /// Frames per `den` seconds; not 0.
    pub num: u32,
    /// Seconds; not 0.
    pub den: u32,
}

impl FrameRate {
    /// A validated rate, reduced to lowest terms.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] when either part is 0.
    pub fn new(num: u32, den: u32) -> Result<FrameRate> {
        if num == 0 || den == 0 {
            return Err(Error::invalid_argument(format!(
                "frame rate {num}/{den}: numerator and denominator must both be non-zero"
            )));
        }
        let g = gcd(num, den);
        Ok(FrameRate {
            num: num / g,
            den: den / g,
        })
    }

    /// Microseconds per frame, rounded to nearest (`avih.dwMicroSecPerFrame`).
    pub fn micros_per_frame(self) -> u32 {
        let us = (u64::from(self.den) * 1_000_000 + u64::from(self.num) / 2) / u64::from(self.num);
        u32::try_from(us).unwrap_or(u32::MAX)
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The shape of one pixel (the sample aspect ratio): width over height, 1/1 for square pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelAspect {
    /// Width of a pixel; not 0.
    pub num: u32,
    /// Height of a pixel; not 0.
    pub den: u32,
}

impl PixelAspect {
    /// Square pixels.
    pub const SQUARE: PixelAspect = PixelAspect { num: 1, den: 1 };

    /// A validated ratio in lowest terms; 0/0 means square pixels.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] when exactly one part is 0.
    pub fn new(num: u32, den: u32) -> Result<PixelAspect> {
        match (num, den) {
            (0, 0) => Ok(PixelAspect::SQUARE),
            (0, _) | (_, 0) => Err(Error::invalid_argument(format!(
                "pixel aspect {num}/{den}: both parts must be 0 (square) or both non-zero"
            ))),
            _ => {
                let g = gcd(num, den);
                Ok(PixelAspect {
                    num: num / g,
                    den: den / g,
                })
            }
        }
    }

    /// Whether pixels are square.
    pub fn is_square(self) -> bool {
        self.num == self.den
    }
}

/// A video stream's picture format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoFormat {
    /// Pixels per row.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// The compression FourCC, or `None` for an uncompressed bottom-up BI_RGB DIB.
    pub fourcc: Option<FourCc>,
    /// `biBitCount`.
    pub bits_per_pixel: u16,
    /// The shape of a pixel; non-square pixels get a `vprp` chunk with the display aspect.
    pub pixel_aspect: PixelAspect,
}

impl VideoFormat {
    /// An uncompressed bottom-up BI_RGB DIB; `bits_per_pixel` must be 8, 16, 24 or 32 (checked
    /// by [`VideoFormat::validate`] when the stream is added).
    pub const fn dib(width: u32, height: u32, bits_per_pixel: u16) -> VideoFormat {
        VideoFormat {
            width,
            height,
            fourcc: None,
            bits_per_pixel,
            pixel_aspect: PixelAspect::SQUARE,
        }
    }

    /// Compressed frames tagged `fourcc` (`MJPG`, `H264`, ...), passed through as given, with
    /// biBitCount 24 as players expect of these codecs.
    pub const fn compressed(width: u32, height: u32, fourcc: FourCc) -> VideoFormat {
        VideoFormat {
            width,
            height,
            fourcc: Some(fourcc),
            bits_per_pixel: 24,
            pixel_aspect: PixelAspect::SQUARE,
        }
    }

    /// The same format with pixels of shape `aspect`.
    pub const fn with_pixel_aspect(self, aspect: PixelAspect) -> VideoFormat {
        VideoFormat {
            pixel_aspect: aspect,
            ..self
        }
    }

    /// Checks the geometry and, for DIBs, that a frame's size fits the format.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.width == 0 || self.height == 0 {
            return Err(Error::invalid_argument(format!(
                "video size {}x{}: width and height must be non-zero",
                self.width, self.height
            )));
        }
        if self.width > i32::MAX as u32 || self.height > i32::MAX as u32 {
            return Err(Error::invalid_argument(
                "video width and height must fit in int32",
            ));
        }
        if self.fourcc.is_none() && !matches!(self.bits_per_pixel, 8 | 16 | 24 | 32) {
            return Err(Error::invalid_argument(format!(
                "uncompressed DIB bits_per_pixel must be 8, 16, 24 or 32, not {}",
                self.bits_per_pixel
            )));
        }
        if self.bits_per_pixel == 0 {
            return Err(Error::invalid_argument("bits_per_pixel must not be 0"));
        }
        PixelAspect::new(self.pixel_aspect.num, self.pixel_aspect.den)?;
        match self.image_size() {
            Some(size) if size as usize <= MAX_CHUNK_SIZE => Ok(()),
            _ => Err(Error::new(
                crate::Status::Limit,
                format!(
                    "a {}x{} frame at {} bits per pixel exceeds the 2 GiB chunk limit",
                    self.width, self.height, self.bits_per_pixel
                ),
            )),
        }
    }

    /// `biSizeImage`: the padded DIB size (the exact length of every uncompressed frame).
    pub fn image_size(&self) -> Option<u32> {
        dib::image_size(self.width, self.height, self.bits_per_pixel)
    }

    /// Exact length every frame must have, for formats that fix it (uncompressed DIBs).
    pub fn exact_frame_len(&self) -> Option<usize> {
        match self.fourcc {
            None => self.image_size().map(|s| s as usize),
            Some(_) => None,
        }
    }
}

/// An audio stream's WAVEFORMATEX.
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// Samples per channel in each chunk, for formats that count time in chunks (MPEG audio,
    /// one frame per chunk); `None` for constant-rate formats counted in blocks (PCM).
    pub fn frame_samples(&self) -> Option<u32> {
        (self.format_tag == crate::codec::mp3::WAVE_FORMAT_MPEGLAYER3)
            .then(|| crate::codec::mp3::samples_per_frame(self.sample_rate))
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

/// A stream's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamFormat {
    /// A `vids` stream.
    Video(VideoFormat),
    /// An `auds` stream.
    Audio(AudioFormat),
}

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
            if name.len() > 65_535 {
                return Err(Error::invalid_argument(
                    "stream name is longer than 65535 bytes",
                ));
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
                if len == 0 || len % usize::from(a.block_align) != 0 {
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
    fn frame_rates_reduce_and_round() {
        let ntsc = FrameRate::new(30000, 1001).unwrap();
        assert_eq!((ntsc.num, ntsc.den), (30000, 1001));
        assert_eq!(ntsc.micros_per_frame(), 33367);
        let r = FrameRate::new(60, 2).unwrap();
        assert_eq!((r.num, r.den), (30, 1));
        assert!(FrameRate::new(0, 1).is_err());
        assert!(FrameRate::new(1, 0).is_err());
    }

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
