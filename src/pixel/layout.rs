//! The layout of the frames a caller hands to an encoding stream: the pixel format, the size
//! and the row pitch, with the checks and row addressing every conversion builds on.

use crate::error::{Error, Result};

/// Layout of the pixels a caller hands to an encoding stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// Blue, green, red, alpha bytes.
    Bgra32,
    /// Red, green, blue, alpha bytes.
    Rgba32,
    /// Blue, green, red bytes.
    Bgr24,
    /// Red, green, blue bytes.
    Rgb24,
    /// Camera 4:2:0: a Y plane, then a U (Cb) and a V (Cr) plane of half width and height.
    /// BT.601 limited range, like every YUV format here.
    I420,
    /// Camera 4:2:0: a Y plane, then one plane of interleaved U and V samples at half height.
    Nv12,
    /// Camera 4:2:2 packed: Y0 U Y1 V for every two pixels.
    Yuy2,
    /// 8-bit luma only (mono cameras): one byte a pixel, full range 0 = black, 255 = white.
    Gray8,
}

impl PixelFormat {
    /// Bytes per pixel of the first plane: the whole pixel for RGB, the Y sample of planar
    /// YUV, a Y and one chroma sample for YUY2.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Bgra32 | PixelFormat::Rgba32 => 4,
            PixelFormat::Bgr24 | PixelFormat::Rgb24 => 3,
            PixelFormat::Yuy2 => 2,
            PixelFormat::I420 | PixelFormat::Nv12 | PixelFormat::Gray8 => 1,
        }
    }

    /// Whether this is a camera YUV format (even sizes, top-down rows, chroma planes).
    pub fn is_yuv(self) -> bool {
        matches!(
            self,
            PixelFormat::I420 | PixelFormat::Nv12 | PixelFormat::Yuy2
        )
    }

    /// Whether red comes first (needs swapping into a DIB's blue-first order).
    pub(super) fn red_first(self) -> bool {
        matches!(self, PixelFormat::Rgba32 | PixelFormat::Rgb24)
    }

    /// Byte offsets of red, green and blue within a pixel.
    #[cfg(feature = "h264")]
    pub(super) fn rgb_offsets(self) -> (usize, usize, usize) {
        if self.red_first() {
            (0, 1, 2)
        } else {
            (2, 1, 0)
        }
    }
}

/// The luma and colour-difference weights YUV samples were made with: how YUV input is read
/// back into colour. RGB and gray input have none of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ColorMatrix {
    /// ITU-R BT.601 (SD video, most webcams, JPEG): the default.
    #[default]
    Bt601,
    /// ITU-R BT.709 (HD video).
    Bt709,
}

impl ColorMatrix {
    /// The luma weights of red and blue (Kr, Kb); green's is the rest.
    pub fn kr_kb(self) -> (f64, f64) {
        match self {
            ColorMatrix::Bt601 => (0.299, 0.114),
            ColorMatrix::Bt709 => (0.2126, 0.0722),
        }
    }
}

/// How input frames are laid out in memory. Built with [`InputLayout::new`] (tight rows) and
/// [`InputLayout::with_stride`] (`#[non_exhaustive]`: fields may be added).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct InputLayout {
    /// Pixels per row.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Pixel format.
    pub format: PixelFormat,
    /// Bytes from one row to the next (of the Y plane for I420 and NV12); 0 = tight; negative
    /// = rows stored bottom-up (RGB formats only).
    pub stride: i32,
    /// The matrix of YUV input (ignored for RGB and gray).
    pub color_matrix: ColorMatrix,
}

impl InputLayout {
    /// Frames of `width` x `height` pixels in `format`, rows tight (stride 0). Checked when an
    /// encoder is made from it.
    pub const fn new(width: u32, height: u32, format: PixelFormat) -> InputLayout {
        InputLayout {
            width,
            height,
            format,
            stride: 0,
            color_matrix: ColorMatrix::Bt601,
        }
    }

    /// The same layout with rows `stride` bytes apart (negative: stored bottom-up).
    pub const fn with_stride(self, stride: i32) -> InputLayout {
        InputLayout { stride, ..self }
    }

    /// The same layout with YUV samples made with `color_matrix`.
    pub const fn with_color_matrix(self, color_matrix: ColorMatrix) -> InputLayout {
        InputLayout {
            color_matrix,
            ..self
        }
    }

    /// Bytes per input row in memory.
    pub fn row_pitch(&self) -> usize {
        match self.stride {
            0 => self.width as usize * self.format.bytes_per_pixel(),
            s => s.unsigned_abs() as usize,
        }
    }

    /// Checks the stride against the width, and the rules of YUV input.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] when rows would overlap, or for YUV input with an
    /// odd width or height or a negative stride.
    pub fn validate(&self) -> Result<()> {
        if self.format.is_yuv() {
            if !self.width.is_multiple_of(2) || !self.height.is_multiple_of(2) {
                return Err(Error::invalid_argument(format!(
                    "{:?} input needs an even width and height (subsampled chroma), not {}x{}",
                    self.format, self.width, self.height
                )));
            }
            if self.stride < 0 {
                return Err(Error::invalid_argument(format!(
                    "{:?} input is stored top-down: input_stride {} must not be negative",
                    self.format, self.stride
                )));
            }
        }
        let row = self.width as usize * self.format.bytes_per_pixel();
        if self.row_pitch() < row {
            return Err(Error::invalid_argument(format!(
                "input_stride {} is smaller than a row of {} pixels ({row} bytes)",
                self.stride, self.width
            )));
        }
        Ok(())
    }

    /// Exact length of one input frame: the pitch times the height, plus the chroma planes
    /// of I420 and NV12.
    pub fn frame_len(&self) -> usize {
        let (pitch, h) = (self.row_pitch(), self.height as usize);
        match self.format {
            PixelFormat::I420 => pitch * h + 2 * (pitch / 2) * (h / 2),
            PixelFormat::Nv12 => pitch * h + pitch * (h / 2),
            _ => pitch * h,
        }
    }

    /// Checks the length of one input frame.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] naming the expected length.
    pub fn check_frame_len(&self, len: usize) -> Result<()> {
        let expected = self.frame_len();
        if len != expected {
            return Err(Error::invalid_argument(format!(
                "a {}x{} {:?} input frame with a row pitch of {} bytes is {expected} bytes, not {len}",
                self.width,
                self.height,
                self.format,
                self.row_pitch()
            )));
        }
        Ok(())
    }

    /// The frame's rows top-down at a positive pitch: `frame` itself, or a flipped copy in
    /// `scratch` when rows are stored bottom-up.
    pub fn top_down<'f>(&self, frame: &'f [u8], scratch: &'f mut Vec<u8>) -> &'f [u8] {
        if self.stride >= 0 {
            return frame;
        }
        let pitch = self.row_pitch();
        scratch.clear();
        for row in frame.chunks_exact(pitch).rev() {
            scratch.extend_from_slice(row);
        }
        scratch
    }

    /// The input row that holds image row `y` (0 = top).
    pub(super) fn row<'f>(&self, frame: &'f [u8], y: usize) -> &'f [u8] {
        let h = self.height as usize;
        let memory_row = if self.stride < 0 { h - 1 - y } else { y };
        let pitch = self.row_pitch();
        &frame[memory_row * pitch
            ..memory_row * pitch + self.width as usize * self.format.bytes_per_pixel()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(format: PixelFormat, stride: i32) -> InputLayout {
        InputLayout::new(3, 2, format).with_stride(stride)
    }

    #[test]
    fn strides_smaller_than_a_row_are_rejected() {
        assert!(layout(PixelFormat::Bgr24, 8).validate().is_err());
        assert!(layout(PixelFormat::Bgr24, -9).validate().is_ok());
        assert_eq!(layout(PixelFormat::Bgr24, 12).frame_len(), 24);
    }
}
