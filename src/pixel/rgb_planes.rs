//! RGB caller pixels into planar 4:2:0 YCbCr (I420), the picture format H.264 encoders take.
//!
//! BT.601 studio range (Y 16..235, Cb/Cr 16..240), the matrix decoders assume for SD-era
//! streams without colour metadata and the one the H.264 stream signals in its VUI. Chroma is
//! the mean of each 2x2 block. Fixed-point with 15 fractional bits and rounding: the error
//! against the exact matrix stays within half a code value (plus 1/100 where the exact value
//! sits on a tie).

use super::layout::InputLayout;

/// Fractional bits of the fixed-point coefficients.
const SHIFT: u32 = 15;
/// Coefficients of R, G and B for Y, Cb and Cr (BT.601, studio range, times 2^15).
const Y_COEFFS: [i32; 3] = [8414, 16519, 3208];
const CB_COEFFS: [i32; 3] = [-4857, -9535, 14392];
const CR_COEFFS: [i32; 3] = [14392, -12052, -2340];
/// Offset plus rounding for Y (16) and for the chroma of a 2x2 sum (128, four pixels).
const Y_BIAS: i32 = (16 << SHIFT) + (1 << (SHIFT - 1));
const CHROMA_BIAS: i32 = (128 << (SHIFT + 2)) + (1 << (SHIFT + 1));

/// An I420 picture: Y plane of width x height, then Cb and Cr planes of half width and height.
/// Owns its buffer so an encoder converts every frame into the same memory.
#[derive(Debug, Clone, Default)]
pub struct I420Picture {
    planes: Vec<u8>,
    width: usize,
    height: usize,
}

impl I420Picture {
    /// Converts one input frame (exactly [`InputLayout::frame_len`] bytes, even width and
    /// height) into this picture, reusing its buffer. The one-thread reference of the tests.
    #[cfg(test)]
    pub fn fill(&mut self, input: &InputLayout, frame: &[u8]) {
        self.fill_on(input, frame, 1);
    }

    /// Converts one input frame (exactly [`InputLayout::frame_len`] bytes, even width and
    /// height) into this picture, reusing its buffer, on `threads` threads (the calling one and `threads - 1`
    /// scoped ones), each converting a band of rows; the picture is the same for any count.
    /// H.264 converts on the worker, in series with the encoder, so this share counts.
    pub fn fill_on(&mut self, input: &InputLayout, frame: &[u8], threads: usize) {
        debug_assert_eq!(frame.len(), input.frame_len());
        let (w, h) = (input.width as usize, input.height as usize);
        debug_assert!(w % 2 == 0 && h % 2 == 0, "4:2:0 needs even sizes");
        self.width = w;
        self.height = h;
        self.planes.resize(w * h * 3 / 2, 0);
        let (luma, chroma) = self.planes.split_at_mut(w * h);
        let (cb, cr) = chroma.split_at_mut(w * h / 4);
        let pairs = (h / 2).div_ceil(threads.max(1)).max(1);
        let bands = luma
            .chunks_mut(2 * pairs * w)
            .zip(cb.chunks_mut(pairs * w / 2))
            .zip(cr.chunks_mut(pairs * w / 2))
            .enumerate();
        std::thread::scope(|scope| {
            for (band, ((luma, cb), cr)) in bands {
                let first_pair = band * pairs;
                if first_pair + pairs >= h / 2 {
                    // The last band runs here; the scope then waits for the others.
                    convert_band(input, frame, first_pair, luma, cb, cr);
                } else {
                    scope.spawn(move || convert_band(input, frame, first_pair, luma, cb, cr));
                }
            }
        });
    }

    /// The Y, Cb and Cr planes.
    pub fn planes(&self) -> (&[u8], &[u8], &[u8]) {
        let (luma, chroma) = self.planes.split_at(self.width * self.height);
        let (cb, cr) = chroma.split_at(self.width * self.height / 4);
        (luma, cb, cr)
    }
}

/// Converts the row pairs from `first_pair` on into `luma` (two rows per pair) and `cb`, `cr`
/// (one row per pair), as many as the slices hold.
fn convert_band(
    input: &InputLayout,
    frame: &[u8],
    first_pair: usize,
    luma: &mut [u8],
    cb: &mut [u8],
    cr: &mut [u8],
) {
    let w = input.width as usize;
    let bpp = input.format.bytes_per_pixel();
    let (r, g, b) = input.format.rgb_offsets();
    let rows = luma
        .chunks_exact_mut(2 * w)
        .zip(cb.chunks_exact_mut(w / 2))
        .zip(cr.chunks_exact_mut(w / 2));
    for (i, ((luma_pair, cb_row), cr_row)) in rows.enumerate() {
        let pair = first_pair + i;
        let top = input.row(frame, 2 * pair);
        let bottom = input.row(frame, 2 * pair + 1);
        let (luma_top, luma_bottom) = luma_pair.split_at_mut(w);
        let blocks = top
            .chunks_exact(2 * bpp)
            .zip(bottom.chunks_exact(2 * bpp))
            .zip(luma_top.chunks_exact_mut(2))
            .zip(luma_bottom.chunks_exact_mut(2))
            .zip(cb_row.iter_mut().zip(cr_row.iter_mut()));
        for ((((t, bo), yt), yb), (u, v)) in blocks {
            let pixels = [
                [t[r], t[g], t[b]],
                [t[bpp + r], t[bpp + g], t[bpp + b]],
                [bo[r], bo[g], bo[b]],
                [bo[bpp + r], bo[bpp + g], bo[bpp + b]],
            ];
            yt[0] = luma_of(pixels[0]);
            yt[1] = luma_of(pixels[1]);
            yb[0] = luma_of(pixels[2]);
            yb[1] = luma_of(pixels[3]);
            let sum = [0, 1, 2].map(|c| pixels.iter().map(|p| i32::from(p[c])).sum::<i32>());
            *u = chroma_of(sum, CB_COEFFS);
            *v = chroma_of(sum, CR_COEFFS);
        }
    }
}

fn luma_of([r, g, b]: [u8; 3]) -> u8 {
    let weighted =
        Y_COEFFS[0] * i32::from(r) + Y_COEFFS[1] * i32::from(g) + Y_COEFFS[2] * i32::from(b);
    // Studio range: 16..=235 by construction of the coefficients.
    ((weighted + Y_BIAS) >> SHIFT) as u8
}

fn chroma_of(sum: [i32; 3], coeffs: [i32; 3]) -> u8 {
    let weighted = coeffs[0] * sum[0] + coeffs[1] * sum[1] + coeffs[2] * sum[2];
    ((weighted + CHROMA_BIAS) >> (SHIFT + 2)).clamp(16, 240) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixel::ColorMatrix;
    use crate::pixel::PixelFormat;

    fn picture(format: PixelFormat, stride: i32, frame: &[u8], w: u32, h: u32) -> I420Picture {
        let input = InputLayout {
            width: w,
            height: h,
            format,
            stride,
            color_matrix: ColorMatrix::Bt601,
        };
        let mut picture = I420Picture::default();
        picture.fill(&input, frame);
        picture
    }

    /// The exact BT.601 studio-range matrix in floating point.
    fn reference(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
        let y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0;
        let cb = 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0;
        let cr = 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0;
        (y, cb, cr)
    }

    #[test]
    fn black_white_and_primaries_land_on_studio_range_codes() {
        for (rgb, expected) in [
            ([0u8, 0, 0], (16u8, 128u8, 128u8)),
            ([255, 255, 255], (235, 128, 128)),
            ([255, 0, 0], (81, 90, 240)),
            ([0, 255, 0], (145, 54, 34)),
            ([0, 0, 255], (41, 240, 110)),
        ] {
            let frame: Vec<u8> = (0..4).flat_map(|_| rgb).collect();
            let p = picture(PixelFormat::Rgb24, 0, &frame, 2, 2);
            let (y, cb, cr) = p.planes();
            assert_eq!((y[0], cb[0], cr[0]), expected, "rgb {rgb:?}");
            assert!(y.iter().all(|&v| v == expected.0));
        }
    }

    #[test]
    fn every_primary_ramp_is_within_half_a_code_of_the_exact_matrix() {
        for level in 0..=255u8 {
            for (r, g, b) in [
                (level, 0, 0),
                (0, level, 0),
                (0, 0, level),
                (level, level, level),
            ] {
                let frame: Vec<u8> = (0..4).flat_map(|_| [b, g, r, 255]).collect();
                let p = picture(PixelFormat::Bgra32, 0, &frame, 2, 2);
                let (y, cb, cr) = p.planes();
                let exact = reference(f64::from(r), f64::from(g), f64::from(b));
                for (got, want) in [(y[0], exact.0), (cb[0], exact.1), (cr[0], exact.2)] {
                    assert!(
                        (f64::from(got) - want).abs() <= 0.51,
                        "rgb ({r},{g},{b}): {got} vs {want:.3}"
                    );
                }
            }
        }
    }

    #[test]
    fn bands_on_several_threads_give_the_same_picture() {
        // Five row pairs: bands of 5, 3 + 2, 2 + 2 + 1 and 2 + 2 + 1 pairs.
        let (w, h) = (6u32, 10u32);
        let input = InputLayout {
            width: w,
            height: h,
            format: PixelFormat::Bgr24,
            stride: -20,
            color_matrix: ColorMatrix::Bt601,
        };
        let frame: Vec<u8> = (0..20 * h).map(|i| (i * 37 % 251) as u8).collect();
        let mut one = I420Picture::default();
        one.fill(&input, &frame);
        for threads in [2, 3, 4, 8] {
            let mut many = I420Picture::default();
            many.fill_on(&input, &frame, threads);
            assert_eq!(many.planes(), one.planes(), "{threads} threads");
        }
    }

    #[test]
    fn formats_strides_and_bottom_up_rows_give_the_same_picture() {
        // A 4x2 image whose pixels all differ, in every pixel format and row order.
        let (w, h) = (4usize, 2usize);
        let rgb: Vec<[u8; 3]> = (0..w * h)
            .map(|i| [(i * 30) as u8, (200 - i * 20) as u8, (i * 11 + 5) as u8])
            .collect();
        let tight = picture(
            PixelFormat::Rgb24,
            0,
            &rgb.iter().flatten().copied().collect::<Vec<_>>(),
            4,
            2,
        );
        for format in [
            PixelFormat::Bgra32,
            PixelFormat::Rgba32,
            PixelFormat::Bgr24,
            PixelFormat::Rgb24,
        ] {
            let bpp = format.bytes_per_pixel();
            let pitch = w * bpp + 3;
            let mut top_down = vec![0u8; pitch * h];
            for (i, [r, g, b]) in rgb.iter().enumerate() {
                let at = (i / w) * pitch + (i % w) * bpp;
                let px: &[u8] = match format {
                    PixelFormat::Bgra32 => &[*b, *g, *r, 0],
                    PixelFormat::Rgba32 => &[*r, *g, *b, 0],
                    PixelFormat::Bgr24 => &[*b, *g, *r],
                    PixelFormat::Rgb24 => &[*r, *g, *b],
                    camera => unreachable!("{camera:?} is not RGB"),
                };
                top_down[at..at + bpp].copy_from_slice(px);
            }
            let bottom_up: Vec<u8> = top_down.chunks(pitch).rev().flatten().copied().collect();
            for (stride, frame) in [(pitch as i32, &top_down), (-(pitch as i32), &bottom_up)] {
                let p = picture(format, stride, frame, 4, 2);
                assert_eq!(p.planes(), tight.planes(), "{format:?} stride {stride}");
            }
        }
        let (y, cb, _) = tight.planes();
        assert_eq!((y.len(), cb.len()), (8, 2));
    }
}
