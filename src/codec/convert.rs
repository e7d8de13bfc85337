//! Input pixel layouts, and pixel conversion into bottom-up BI_RGB DIBs: whole rows at a time,
//! one loop per format pair, so the compiler can vectorize and no pixel takes a branch.

use super::camera_rgb;
use crate::error::{Error, Result};
use crate::format::dib;

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
}

impl PixelFormat {
    /// Bytes per pixel of the first plane: the whole pixel for RGB, the Y sample of planar
    /// YUV, a Y and one chroma sample for YUY2.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Bgra32 | PixelFormat::Rgba32 => 4,
            PixelFormat::Bgr24 | PixelFormat::Rgb24 => 3,
            PixelFormat::Yuy2 => 2,
            PixelFormat::I420 | PixelFormat::Nv12 => 1,
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
    fn red_first(self) -> bool {
        matches!(self, PixelFormat::Rgba32 | PixelFormat::Rgb24)
    }

    /// Byte offsets of red, green and blue within a pixel.
    pub(super) fn rgb_offsets(self) -> (usize, usize, usize) {
        if self.red_first() {
            (0, 1, 2)
        } else {
            (2, 1, 0)
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
        }
    }

    /// The same layout with rows `stride` bytes apart (negative: stored bottom-up).
    pub const fn with_stride(self, stride: i32) -> InputLayout {
        InputLayout { stride, ..self }
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
            if self.width % 2 != 0 || self.height % 2 != 0 {
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

/// Converts one input frame (exactly [`InputLayout::frame_len`] bytes) into a bottom-up DIB of
/// `out_bits` (24 or 32) bits per pixel with rows padded to 4 bytes, appended to `out`.
pub fn to_dib(input: &InputLayout, frame: &[u8], out_bits: u16, out: &mut Vec<u8>) {
    debug_assert_eq!(frame.len(), input.frame_len());
    let (w, h) = (input.width as usize, input.height as usize);
    let out_stride = dib::stride(input.width, out_bits).unwrap_or(0) as usize;
    let start = out.len();
    out.resize(start + out_stride * h, 0);
    if input.format.is_yuv() {
        camera_rgb::to_dib(input, frame, out_bits, &mut out[start..], out_stride);
        return;
    }
    let in_bpp = input.format.bytes_per_pixel();
    let out_bpp = usize::from(out_bits / 8);
    let swap = input.format.red_first();
    for r in 0..h {
        // DIB row r counts from the bottom of the image.
        let src = input.row(frame, h - 1 - r);
        let dst = &mut out[start + r * out_stride..start + r * out_stride + w * out_bpp];
        convert_row(src, in_bpp, swap, dst, out_bpp);
    }
}

fn convert_row(src: &[u8], in_bpp: usize, swap: bool, dst: &mut [u8], out_bpp: usize) {
    match (in_bpp, out_bpp, swap) {
        (4, 4, false) | (3, 3, false) => dst.copy_from_slice(src),
        (4, 4, true) => {
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                d.copy_from_slice(&[s[2], s[1], s[0], s[3]]);
            }
        }
        (3, 3, true) => {
            for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(3)) {
                d.copy_from_slice(&[s[2], s[1], s[0]]);
            }
        }
        (3, 4, false) => {
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(3)) {
                d.copy_from_slice(&[s[0], s[1], s[2], 0xFF]);
            }
        }
        (3, 4, true) => {
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(3)) {
                d.copy_from_slice(&[s[2], s[1], s[0], 0xFF]);
            }
        }
        (4, 3, false) => {
            for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(4)) {
                d.copy_from_slice(&s[..3]);
            }
        }
        (4, 3, true) => {
            for (d, s) in dst.chunks_exact_mut(3).zip(src.chunks_exact(4)) {
                d.copy_from_slice(&[s[2], s[1], s[0]]);
            }
        }
        _ => unreachable!("pixel sizes are 3 or 4 bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(format: PixelFormat, stride: i32) -> InputLayout {
        InputLayout {
            width: 3,
            height: 2,
            format,
            stride,
        }
    }

    #[test]
    fn rgb_top_down_becomes_padded_bottom_up_bgr() {
        // Two rows of three RGB pixels: top row 1..9, bottom row 11..19.
        let frame: Vec<u8> = (1..=9).chain(11..=19).collect();
        let mut out = Vec::new();
        to_dib(&layout(PixelFormat::Rgb24, 0), &frame, 24, &mut out);
        assert_eq!(
            out,
            vec![13, 12, 11, 16, 15, 14, 19, 18, 17, 0, 0, 0, 3, 2, 1, 6, 5, 4, 9, 8, 7, 0, 0, 0]
        );
    }

    #[test]
    fn negative_stride_means_rows_are_already_bottom_up() {
        let frame: Vec<u8> = (0..2 * 16).map(|v| v as u8).collect();
        let mut out = Vec::new();
        to_dib(&layout(PixelFormat::Bgra32, -16), &frame, 32, &mut out);
        assert_eq!(&out[..12], &frame[..12]);
        assert_eq!(&out[12..24], &frame[16..28]);
    }

    #[test]
    fn every_format_pair_keeps_blue_green_red() {
        let px = |f: PixelFormat| -> Vec<u8> {
            match f {
                PixelFormat::Bgra32 => vec![1, 2, 3, 4],
                PixelFormat::Rgba32 => vec![3, 2, 1, 4],
                PixelFormat::Bgr24 => vec![1, 2, 3],
                PixelFormat::Rgb24 => vec![3, 2, 1],
                camera => unreachable!("{camera:?} is not tested here"),
            }
        };
        for f in [
            PixelFormat::Bgra32,
            PixelFormat::Rgba32,
            PixelFormat::Bgr24,
            PixelFormat::Rgb24,
        ] {
            let one = InputLayout {
                width: 1,
                height: 1,
                format: f,
                stride: 0,
            };
            let mut out = Vec::new();
            to_dib(&one, &px(f), 32, &mut out);
            assert_eq!(&out[..3], &[1, 2, 3], "{f:?} to 32 bits");
            out.clear();
            to_dib(&one, &px(f), 24, &mut out);
            assert_eq!(&out[..3], &[1, 2, 3], "{f:?} to 24 bits");
        }
    }

    #[test]
    fn strides_smaller_than_a_row_are_rejected() {
        assert!(layout(PixelFormat::Bgr24, 8).validate().is_err());
        assert!(layout(PixelFormat::Bgr24, -9).validate().is_ok());
        assert_eq!(layout(PixelFormat::Bgr24, 12).frame_len(), 24);
    }
}
