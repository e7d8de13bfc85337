//! Picture formats: geometry, pixel shape, and the size of an uncompressed DIB frame.

use super::dib;
use super::rate::gcd;
use super::MAX_CHUNK_SIZE;
use crate::error::{Error, Result};
use crate::riff::FourCc;

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

/// A video stream's picture format. Built with [`VideoFormat::dib`] or
/// [`VideoFormat::compressed`] and the `with_*` setters (fields may be added: it is
/// `#[non_exhaustive]`); its fields are public to read and change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Codec-specific bytes after the BITMAPINFOHEADER in `strf` (counted in `biSize`, as
    /// FFmpeg and VfW codecs expect); empty for most formats.
    pub extra_data: Vec<u8>,
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
            extra_data: Vec::new(),
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
            extra_data: Vec::new(),
        }
    }

    /// The same format with `biBitCount` `bits_per_pixel` (for example 8 for `Y800` gray
    /// frames, 16 for `YUY2`).
    pub const fn with_bits_per_pixel(self, bits_per_pixel: u16) -> VideoFormat {
        // Field by field: a const fn may not drop the rest of `self` (its extra data).
        let mut format = self;
        format.bits_per_pixel = bits_per_pixel;
        format
    }

    /// The same format with pixels of shape `aspect`.
    pub const fn with_pixel_aspect(self, aspect: PixelAspect) -> VideoFormat {
        let mut format = self;
        format.pixel_aspect = aspect;
        format
    }

    /// The same format with `extra` after the BITMAPINFOHEADER (a codec's setup bytes, such
    /// as Ut Video's 16).
    pub fn with_extra_data(self, extra: Vec<u8>) -> VideoFormat {
        VideoFormat {
            extra_data: extra,
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
