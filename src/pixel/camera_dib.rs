//! Camera YUV (BT.601 limited range) into the blue-green-red pixels of a bottom-up DIB, for
//! `AVK_VIDEO_UNCOMPRESSED`: the inverse of the matrix [`super::rgb_planes`] applies to RGB input.
//! Each chroma sample covers the pixels it was taken from (2x2 for 4:2:0, 2x1 for 4:2:2).

use super::camera::{camera_row, CameraRow};
use super::layout::InputLayout;

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
pub(super) fn bgr(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let l = LUMA * (i32::from(y) - 16) + ROUND;
    let (u, v) = (i32::from(cb) - 128, i32::from(cr) - 128);
    let channel = |value: i32| (value >> SHIFT).clamp(0, 255) as u8;
    [
        channel(l + CB_TO_B * u),
        channel(l - CB_TO_G * u - CR_TO_G * v),
        channel(l + CR_TO_R * v),
    ]
}

/// Writes one camera frame into `out`, the rows of a DIB of `out_bits` (24 or 32) bits per
/// pixel, `out_stride` bytes apart, bottom row first.
pub(super) fn write_camera_dib(
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
}
