//! Input frames into bottom-up BI_RGB DIBs, for `AVK_VIDEO_UNCOMPRESSED`: RGB whole rows at a
//! time, one loop per format pair, so the compiler can vectorize and no pixel takes a branch;
//! camera YUV through [`super::camera_dib`].

use super::camera_dib::write_camera_dib;
use super::layout::{InputLayout, PixelFormat};
use crate::format::dib;

/// Converts one input frame (exactly [`InputLayout::frame_len`] bytes) into a bottom-up DIB of
/// `out_bits` (24 or 32; 8 for gray input, whose DIB is paletted with a grey ramp) bits per
/// pixel with rows padded to 4 bytes, appended to `out`.
pub fn append_dib(input: &InputLayout, frame: &[u8], out_bits: u16, out: &mut Vec<u8>) {
    debug_assert_eq!(frame.len(), input.frame_len());
    let (w, h) = (input.width as usize, input.height as usize);
    let out_stride = dib::stride(input.width, out_bits).unwrap_or(0) as usize;
    let start = out.len();
    out.resize(start + out_stride * h, 0);
    if input.format.is_yuv() {
        write_camera_dib(input, frame, out_bits, &mut out[start..], out_stride);
        return;
    }
    let in_bpp = input.format.bytes_per_pixel();
    let out_bpp = usize::from(out_bits / 8);
    debug_assert_eq!(input.format == PixelFormat::Gray8, out_bpp == 1);
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
        (4, 4, false) | (3, 3, false) | (1, 1, false) => dst.copy_from_slice(src),
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
        _ => unreachable!("pixel sizes are 3 or 4 bytes, or 1 for gray to gray"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixel::camera_dib::bgr;
    use crate::pixel::ColorMatrix;

    fn layout(format: PixelFormat, stride: i32) -> InputLayout {
        InputLayout {
            width: 3,
            height: 2,
            format,
            stride,
            color_matrix: ColorMatrix::Bt601,
        }
    }

    #[test]
    fn rgb_top_down_becomes_padded_bottom_up_bgr() {
        // Two rows of three RGB pixels: top row 1..9, bottom row 11..19.
        let frame: Vec<u8> = (1..=9).chain(11..=19).collect();
        let mut out = Vec::new();
        append_dib(&layout(PixelFormat::Rgb24, 0), &frame, 24, &mut out);
        assert_eq!(
            out,
            vec![13, 12, 11, 16, 15, 14, 19, 18, 17, 0, 0, 0, 3, 2, 1, 6, 5, 4, 9, 8, 7, 0, 0, 0]
        );
    }

    #[test]
    fn negative_stride_means_rows_are_already_bottom_up() {
        let frame: Vec<u8> = (0..2 * 16).map(|v| v as u8).collect();
        let mut out = Vec::new();
        append_dib(&layout(PixelFormat::Bgra32, -16), &frame, 32, &mut out);
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
                color_matrix: ColorMatrix::Bt601,
            };
            let mut out = Vec::new();
            append_dib(&one, &px(f), 32, &mut out);
            assert_eq!(&out[..3], &[1, 2, 3], "{f:?} to 32 bits");
            out.clear();
            append_dib(&one, &px(f), 24, &mut out);
            assert_eq!(&out[..3], &[1, 2, 3], "{f:?} to 24 bits");
        }
    }

    // The RGB to I420 conversion is H.264's.
    #[cfg(feature = "h264")]
    #[test]
    fn rgb_through_i420_and_back_stays_within_two_codes() {
        use crate::pixel::I420Picture;
        // A flat colour per 2x2 block, so 4:2:0 loses nothing but rounding.
        let (w, h) = (8usize, 2usize);
        let colours: [[u8; 3]; 4] = [[10, 200, 30], [250, 5, 128], [60, 60, 60], [0, 90, 255]];
        let mut rgb = vec![0u8; w * h * 3];
        for (i, px) in rgb.chunks_exact_mut(3).enumerate() {
            px.copy_from_slice(&colours[(i % w) / 2]);
        }
        let rgb_layout = InputLayout {
            width: w as u32,
            height: h as u32,
            format: PixelFormat::Rgb24,
            stride: 0,
            color_matrix: ColorMatrix::Bt601,
        };
        let mut picture = I420Picture::default();
        picture.fill(&rgb_layout, &rgb);
        let (y, u, v) = picture.planes();
        let i420 = [y, u, v].concat();
        let mut dib = Vec::new();
        let camera = InputLayout {
            format: PixelFormat::I420,
            ..rgb_layout
        };
        append_dib(&camera, &i420, 24, &mut dib);
        // Bottom-up BGR rows of 24 bytes (already a multiple of 4).
        for (i, want) in rgb.chunks_exact(3).enumerate() {
            let (row, x) = (i / w, i % w);
            let at = (h - 1 - row) * w * 3 + x * 3;
            let got = [dib[at + 2], dib[at + 1], dib[at]];
            for c in 0..3 {
                assert!(
                    got[c].abs_diff(want[c]) <= 2,
                    "pixel {i}: {got:?} vs {want:?}"
                );
            }
        }
    }

    #[test]
    fn every_camera_format_gives_the_same_dib() {
        // 4x2, Y 16 + 20 * i, one chroma pair (Cb 90, Cr 200) for the left 2x2 block and
        // (Cb 160, Cr 60) for the right one.
        let y: Vec<u8> = (0..8).map(|i| 16 + 20 * i).collect();
        let i420 = [&y[..], &[90, 160], &[200, 60]].concat();
        let nv12 = [&y[..], &[90, 200, 160, 60]].concat();
        let yuy2: Vec<u8> = (0..2)
            .flat_map(|row| {
                let r = &y[row * 4..row * 4 + 4];
                [r[0], 90, r[1], 200, r[2], 160, r[3], 60]
            })
            .collect();
        let mut dibs = Vec::new();
        for (format, frame) in [
            (PixelFormat::I420, i420),
            (PixelFormat::Nv12, nv12),
            (PixelFormat::Yuy2, yuy2),
        ] {
            let input = InputLayout {
                width: 4,
                height: 2,
                format,
                stride: 0,
                color_matrix: ColorMatrix::Bt601,
            };
            let mut out = Vec::new();
            append_dib(&input, &frame, 32, &mut out);
            assert_eq!(out.len(), 4 * 2 * 4);
            let [b, g, r] = bgr(y[5], 90, 200);
            assert_eq!(out[4..8], [b, g, r, 0xFF], "{format:?}");
            dibs.push(out);
        }
        assert_eq!(dibs[0], dibs[1]);
        assert_eq!(dibs[0], dibs[2]);
    }
}
