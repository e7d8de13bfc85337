//! Camera YUV (BT.601 limited range) into the blue-green-red pixels of a bottom-up DIB, for
//! `AVK_VIDEO_UNCOMPRESSED`: the inverse of the matrix [`super::yuv`] applies to RGB input.
//! Each chroma sample covers the pixels it was taken from (2x2 for 4:2:0, 2x1 for 4:2:2).

use super::camera::{camera_row, CameraRow};
use super::convert::InputLayout;

/// Fractional bits of the fixed-point coefficients.
const SHIFT: u32 = 16;
/// BT.601 (Kr 0.299, Kb 0.114) from studio range, times 2^16: luma 255/219; Cr into red
/// 1.402 * 255/224; Cb and Cr into green 0.344136 and 0.714136 times 255/224; Cb into blue
/// 1.772 * 255/224.
const LUMA: i32 = 76_309;
const CR_TO_R: i32 = 104_597;
const CB_TO_G: i32 = 25_675;
const CR_TO_G: i32 = 53_279;
const CB_TO_B: i32 = 132_201;
const ROUND: i32 = 1 << (SHIFT - 1);

/// Blue, green, red of one pixel.
fn bgr(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let l = LUMA * (i32::from(y) - 16) + ROUND;
    let (u, v) = (i32::from(cb) - 128, i32::from(cr) - 128);
    let channel = |value: i32| (value >> SHIFT).clamp(0, 255) as u8;
    [
        channel(l + CB_TO_B * u),
        channel(l - CB_TO_G * u - CR_TO_G * v),
        channel(l + CR_TO_R * v),
    ]
}

/// Writes one camera frame into `out`, a DIB of `out_bits` (24 or 32) bits per pixel with rows
/// of `out_stride` bytes, bottom row first.
pub(super) fn to_dib(
    input: &InputLayout,
    frame: &[u8],
    out_bits: u16,
    out: &mut [u8],
    out_stride: usize,
) {
    let (w, h) = (input.width as usize, input.height as usize);
    let out_bpp = usize::from(out_bits / 8);
    for r in 0..h {
        // DIB row r counts from the bottom of the image.
        let dst = &mut out[r * out_stride..r * out_stride + w * out_bpp];
        let mut pixels = dst.chunks_exact_mut(out_bpp);
        let mut put = |y: u8, cb: u8, cr: u8| {
            let px = pixels.next().expect("one output pixel per input pixel");
            px[..3].copy_from_slice(&bgr(y, cb, cr));
            if out_bpp == 4 {
                px[3] = 0xFF;
            }
        };
        match camera_row(input, frame, h - 1 - r) {
            CameraRow::Planar { y, u, v } => {
                for ((pair, &cb), &cr) in y.chunks_exact(2).zip(u).zip(v) {
                    put(pair[0], cb, cr);
                    put(pair[1], cb, cr);
                }
            }
            CameraRow::SemiPlanar { y, uv } => {
                for (pair, c) in y.chunks_exact(2).zip(uv.chunks_exact(2)) {
                    put(pair[0], c[0], c[1]);
                    put(pair[1], c[0], c[1]);
                }
            }
            CameraRow::Packed(px) => {
                for p in px.chunks_exact(4) {
                    put(p[0], p[1], p[3]);
                    put(p[2], p[1], p[3]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::convert::{to_dib as any_to_dib, PixelFormat};
    use crate::codec::yuv::I420Picture;

    /// The exact BT.601 studio-range inverse in floating point, clamped.
    fn reference(y: u8, cb: u8, cr: u8) -> [f64; 3] {
        let l = (f64::from(y) - 16.0) * 255.0 / 219.0;
        let (u, v) = (
            (f64::from(cb) - 128.0) * 255.0 / 224.0,
            (f64::from(cr) - 128.0) * 255.0 / 224.0,
        );
        let (kr, kb) = (0.299, 0.114);
        let kg = 1.0 - kr - kb;
        let r = l + 2.0 * (1.0 - kr) * v;
        let b = l + 2.0 * (1.0 - kb) * u;
        let g = (l - kr * r - kb * b) / kg;
        [b, g, r].map(|c| c.clamp(0.0, 255.0))
    }

    #[test]
    fn every_code_is_within_half_a_step_of_the_exact_inverse() {
        assert_eq!(bgr(16, 128, 128), [0, 0, 0]);
        assert_eq!(bgr(235, 128, 128), [255, 255, 255]);
        for y in (0..=255u8).step_by(3) {
            for cb in (0..=255u8).step_by(5) {
                for cr in (0..=255u8).step_by(7) {
                    let got = bgr(y, cb, cr);
                    let want = reference(y, cb, cr);
                    for c in 0..3 {
                        assert!(
                            (f64::from(got[c]) - want[c]).abs() <= 0.51,
                            "yuv ({y},{cb},{cr}): {got:?} vs {want:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn rgb_through_i420_and_back_stays_within_two_codes() {
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
        any_to_dib(&camera, &i420, 24, &mut dib);
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
            };
            let mut out = Vec::new();
            any_to_dib(&input, &frame, 32, &mut out);
            assert_eq!(out.len(), 4 * 2 * 4);
            let [b, g, r] = bgr(y[5], 90, 200);
            assert_eq!(out[4..8], [b, g, r, 0xFF], "{format:?}");
            dibs.push(out);
        }
        assert_eq!(dibs[0], dibs[1]);
        assert_eq!(dibs[0], dibs[2]);
    }
}
