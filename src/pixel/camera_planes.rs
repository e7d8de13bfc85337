//! Camera frames (I420, NV12, YUY2) reorganized into separate Y, Cb and Cr planes for encoders
//! that take planar YCbCr (MJPEG, H.264), without a detour through RGB.

use super::camera::{camera_row, CameraRow};
use super::layout::{ColorMatrix, InputLayout, PixelFormat};

/// Chroma resolution of a [`PlanarPicture`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chroma {
    /// 4:2:0, half width and half height: what H.264 takes. YUY2 chroma is averaged over
    /// each pair of rows.
    Sub420,
    /// The input's own: 4:2:0 for I420 and NV12, 4:2:2 (half width, full height) for YUY2.
    Native,
}

/// Code range of a [`PlanarPicture`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// The input's BT.601 limited range (Y 16..235, Cb/Cr 16..240), as H.264 signals it.
    Limited,
    /// Full range (0..255), which JPEG (JFIF) decoders assume.
    Full,
}

/// Limited-range luma code to full range: `(y - 16) * 255 / 219`, rounded, clamped.
const fn full_range_luma() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut code = 0;
    while code < 256 {
        let clamped = if code < 16 {
            16
        } else if code > 235 {
            235
        } else {
            code
        };
        table[code] = (((clamped - 16) * 255 * 2 + 219) / 438) as u8;
        code += 1;
    }
    table
}

/// Limited-range chroma code to full range: `128 + (c - 128) * 255 / 224`, rounded, clamped.
const fn full_range_chroma() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut code = 0;
    while code < 256 {
        let clamped = if code < 16 {
            16
        } else if code > 240 {
            240
        } else {
            code
        };
        // 128 + (c - 128) * 255 / 224 = (c - 16) * 255 / 224 + 1/2; plus 1/2 to round.
        let full = ((clamped - 16) * 255 + 224) / 224;
        table[code] = if full > 255 { 255 } else { full as u8 };
        code += 1;
    }
    table
}

static FULL_LUMA: [u8; 256] = full_range_luma();
static FULL_CHROMA: [u8; 256] = full_range_chroma();

/// Copies `src` into `dst` through `table`, or as it is.
fn put(dst: &mut [u8], src: &[u8], table: Option<&[u8; 256]>) {
    match table {
        None => dst.copy_from_slice(src),
        Some(t) => dst
            .iter_mut()
            .zip(src)
            .for_each(|(d, &s)| *d = t[usize::from(s)]),
    }
}

fn put_one(code: u8, table: Option<&[u8; 256]>) -> u8 {
    table.map_or(code, |t| t[usize::from(code)])
}

/// Separate Y, Cb and Cr planes with tight rows. Owns its buffer so an encoder reorganizes
/// every frame into the same memory.
#[derive(Debug, Clone, Default)]
pub struct PlanarPicture {
    data: Vec<u8>,
    width: usize,
    height: usize,
    chroma_height: usize,
}

impl PlanarPicture {
    /// Reorganizes one camera frame (it passed [`InputLayout::check_frame_len`]) into this
    /// picture at `chroma` resolution and `range`, reusing the buffer.
    pub fn fill(&mut self, input: &InputLayout, frame: &[u8], chroma: Chroma, range: Range) {
        debug_assert!(input.format.is_yuv());
        debug_assert_eq!(frame.len(), input.frame_len());
        let (w, h) = (input.width as usize, input.height as usize);
        let cw = w / 2;
        let packed_422 = input.format == PixelFormat::Yuy2 && chroma == Chroma::Native;
        let ch = if packed_422 { h } else { h / 2 };
        self.width = w;
        self.height = h;
        self.chroma_height = ch;
        self.data.resize(w * h + 2 * cw * ch, 0);
        let (luma_table, chroma_table) = match range {
            Range::Limited => (None, None),
            Range::Full => (Some(&FULL_LUMA), Some(&FULL_CHROMA)),
        };
        let (luma, chroma_planes) = self.data.split_at_mut(w * h);
        let (cb, cr) = chroma_planes.split_at_mut(cw * ch);
        for y in 0..h {
            let out = &mut luma[y * w..(y + 1) * w];
            // The chroma row this image row writes, if any.
            let c_row = if packed_422 {
                Some(y)
            } else {
                (y % 2 == 1).then_some(y / 2)
            };
            let row = camera_row(input, frame, y);
            match row {
                CameraRow::Planar { y: src, .. } | CameraRow::SemiPlanar { y: src, .. } => {
                    put(out, src, luma_table)
                }
                CameraRow::Packed(px) => {
                    for (o, p) in out.chunks_exact_mut(2).zip(px.chunks_exact(4)) {
                        o[0] = put_one(p[0], luma_table);
                        o[1] = put_one(p[2], luma_table);
                    }
                }
            }
            let Some(c) = c_row else { continue };
            let u_out = &mut cb[c * cw..(c + 1) * cw];
            let v_out = &mut cr[c * cw..(c + 1) * cw];
            match row {
                CameraRow::Planar { u, v, .. } => {
                    put(u_out, u, chroma_table);
                    put(v_out, v, chroma_table);
                }
                CameraRow::SemiPlanar { uv, .. } => {
                    for ((u, v), s) in u_out
                        .iter_mut()
                        .zip(v_out.iter_mut())
                        .zip(uv.chunks_exact(2))
                    {
                        *u = put_one(s[0], chroma_table);
                        *v = put_one(s[1], chroma_table);
                    }
                }
                CameraRow::Packed(px) if packed_422 => {
                    for ((u, v), p) in u_out
                        .iter_mut()
                        .zip(v_out.iter_mut())
                        .zip(px.chunks_exact(4))
                    {
                        *u = put_one(p[1], chroma_table);
                        *v = put_one(p[3], chroma_table);
                    }
                }
                CameraRow::Packed(px) => {
                    // 4:2:0 from 4:2:2: the rounded mean of this row's chroma and the row above.
                    let CameraRow::Packed(above) = camera_row(input, frame, y - 1) else {
                        unreachable!("YUY2 rows are packed")
                    };
                    let mean = |a: u8, b: u8| (u16::from(a) + u16::from(b)).div_ceil(2) as u8;
                    let pairs = px.chunks_exact(4).zip(above.chunks_exact(4));
                    for ((u, v), (p, q)) in u_out.iter_mut().zip(v_out.iter_mut()).zip(pairs) {
                        *u = put_one(mean(p[1], q[1]), chroma_table);
                        *v = put_one(mean(p[3], q[3]), chroma_table);
                    }
                }
            }
        }
    }

    /// Re-expresses the picture's samples, full range and made with `from`, in BT.601: what
    /// JPEG decoders assume. Each luma sample takes the colour-difference correction of the
    /// chroma sample that covers it (the two matrices differ in how much colour adds to luma).
    pub fn rematrix_to_bt601(&mut self, from: ColorMatrix) {
        if from == ColorMatrix::Bt601 {
            return;
        }
        let [to_y, to_cb, to_cr] = rematrix_coefficients(from, ColorMatrix::Bt601);
        let fixed = |c: [f64; 2]| c.map(|k| (k * f64::from(1u32 << FRACTION_BITS)).round() as i32);
        let (to_y, to_cb, to_cr) = (fixed(to_y), fixed(to_cb), fixed(to_cr));
        let apply = |c: [i32; 2], base: i32, u: i32, v: i32| -> u8 {
            let half = 1 << (FRACTION_BITS - 1);
            (base + ((c[0] * u + c[1] * v + half) >> FRACTION_BITS)).clamp(0, 255) as u8
        };
        let (w, cw, ch) = (self.width, self.width / 2, self.chroma_height);
        let rows_per_chroma = self.height / ch;
        let (luma, chroma) = self.data.split_at_mut(w * self.height);
        let (cb, cr) = chroma.split_at_mut(cw * ch);
        for cy in 0..ch {
            for cx in 0..cw {
                let i = cy * cw + cx;
                let (u, v) = (i32::from(cb[i]) - 128, i32::from(cr[i]) - 128);
                for y in cy * rows_per_chroma..(cy + 1) * rows_per_chroma {
                    for l in &mut luma[y * w + 2 * cx..y * w + 2 * cx + 2] {
                        *l = apply(to_y, i32::from(*l), u, v);
                    }
                }
                cb[i] = apply(to_cb, 128, u, v);
                cr[i] = apply(to_cr, 128, u, v);
            }
        }
    }

    /// The Y, Cb and Cr planes.
    pub fn planes(&self) -> (&[u8], &[u8], &[u8]) {
        let (luma, chroma) = self.data.split_at(self.width * self.height);
        let (cb, cr) = chroma.split_at(self.width / 2 * self.chroma_height);
        (luma, cb, cr)
    }

    /// Width and height in pixels.
    pub fn dimensions(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Whether the chroma planes have full height (4:2:2) rather than half (4:2:0).
    pub fn is_422(&self) -> bool {
        self.chroma_height == self.height
    }
}

/// Fraction bits of the fixed-point rematrixing weights.
const FRACTION_BITS: u32 = 16;

/// The weights of (Cb, Cr) in the luma change and in the new Cb and Cr when samples made with
/// `from` are re-expressed with `to` (full range, chroma centred on 0). Linear because both
/// are linear in R, G, B, and the chroma rows have no luma term (colour differences of grey
/// are 0 in every matrix).
fn rematrix_coefficients(from: ColorMatrix, to: ColorMatrix) -> [[f64; 2]; 3] {
    let (kr, kb) = from.kr_kb();
    let kg = 1.0 - kr - kb;
    // R, G, B of a unit Cb and a unit Cr at Y = 0 under `from`.
    let b_per_cb = 2.0 * (1.0 - kb);
    let r_per_cr = 2.0 * (1.0 - kr);
    let unit_cb = [0.0, -kb * b_per_cb / kg, b_per_cb];
    let unit_cr = [r_per_cr, -kr * r_per_cr / kg, 0.0];
    let (tr, tb) = to.kr_kb();
    let tg = 1.0 - tr - tb;
    let y = |[r, g, b]: [f64; 3]| tr * r + tg * g + tb * b;
    let cb = |rgb: [f64; 3]| (rgb[2] - y(rgb)) / (2.0 * (1.0 - tb));
    let cr = |rgb: [f64; 3]| (rgb[0] - y(rgb)) / (2.0 * (1.0 - tr));
    [
        [y(unit_cb), y(unit_cr)],
        [cb(unit_cb), cb(unit_cr)],
        [cr(unit_cb), cr(unit_cr)],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Full-range Y, Cb, Cr of `rgb` (0..=1) under `m`, as 8-bit codes.
    fn ycbcr(m: ColorMatrix, [r, g, b]: [f64; 3]) -> [f64; 3] {
        let (kr, kb) = m.kr_kb();
        let y = kr * r + (1.0 - kr - kb) * g + kb * b;
        [
            255.0 * y,
            128.0 + 255.0 * (b - y) / (2.0 * (1.0 - kb)),
            128.0 + 255.0 * (r - y) / (2.0 * (1.0 - kr)),
        ]
    }

    #[test]
    fn bt709_colours_become_their_bt601_codes() {
        for rgb in [
            [0.8, 0.2, 0.1],
            [0.1, 0.7, 0.3],
            [0.2, 0.3, 0.9],
            [0.5, 0.5, 0.5],
            [0.9, 0.9, 0.2],
        ] {
            let from = ycbcr(ColorMatrix::Bt709, rgb).map(|c| c.round() as u8);
            let mut picture = PlanarPicture {
                data: vec![from[0], from[0], from[0], from[0], from[1], from[2]],
                width: 2,
                height: 2,
                chroma_height: 1,
            };
            picture.rematrix_to_bt601(ColorMatrix::Bt709);
            let want = ycbcr(ColorMatrix::Bt601, rgb);
            let (y, cb, cr) = picture.planes();
            for (got, want) in [y[3], cb[0], cr[0]].into_iter().zip(want) {
                assert!(
                    (f64::from(got) - want).abs() <= 1.5,
                    "{rgb:?}: {got} vs {want:.2}"
                );
            }
        }
    }
    use crate::pixel::ColorMatrix;

    fn layout(format: PixelFormat, stride: i32) -> InputLayout {
        InputLayout {
            width: 4,
            height: 2,
            format,
            stride,
            color_matrix: ColorMatrix::Bt601,
        }
    }

    /// A 4x2 picture: Y 10..17, Cb 100 101, Cr 200 201 (4:2:0).
    const Y: [u8; 8] = [10, 11, 12, 13, 14, 15, 16, 17];

    #[test]
    fn i420_and_nv12_with_padding_give_the_same_planes() {
        // I420 at stride 6: Y rows of 6, U and V rows of 3.
        let i420 = [
            10, 11, 12, 13, 0, 0, 14, 15, 16, 17, 0, 0, 100, 101, 0, 200, 201, 0,
        ];
        // NV12 at stride 5: Y rows of 5, one UV row of 5.
        let nv12 = [10, 11, 12, 13, 0, 14, 15, 16, 17, 0, 100, 200, 101, 201, 0];
        for (format, stride, frame) in [
            (PixelFormat::I420, 6, &i420[..]),
            (PixelFormat::Nv12, 5, &nv12[..]),
        ] {
            let input = layout(format, stride);
            assert_eq!(input.frame_len(), frame.len(), "{format:?}");
            let mut p = PlanarPicture::default();
            p.fill(&input, frame, Chroma::Sub420, Range::Limited);
            assert_eq!(
                p.planes(),
                (&Y[..], &[100u8, 101][..], &[200u8, 201][..]),
                "{format:?}"
            );
            assert!(!p.is_422());
        }
    }

    #[test]
    fn yuy2_keeps_422_or_averages_row_pairs() {
        let frame = [
            10, 100, 11, 200, 12, 102, 13, 202, // row 0
            14, 103, 15, 204, 16, 105, 17, 207, // row 1
        ];
        let input = layout(PixelFormat::Yuy2, 0);
        let mut p = PlanarPicture::default();
        p.fill(&input, &frame, Chroma::Native, Range::Limited);
        assert_eq!(
            p.planes(),
            (
                &Y[..],
                &[100u8, 102, 103, 105][..],
                &[200u8, 202, 204, 207][..]
            )
        );
        assert!(p.is_422());
        p.fill(&input, &frame, Chroma::Sub420, Range::Limited);
        // Rounded means: (100+103+1)/2 = 102, (102+105+1)/2 = 104, 202, (202+207+1)/2 = 205.
        assert_eq!(p.planes(), (&Y[..], &[102u8, 104][..], &[202u8, 205][..]));
    }

    #[test]
    fn full_range_stretches_studio_codes() {
        assert_eq!(
            (FULL_LUMA[16], FULL_LUMA[235], FULL_LUMA[126]),
            (0, 255, 128)
        );
        assert_eq!((FULL_LUMA[0], FULL_LUMA[255]), (0, 255));
        assert_eq!(
            (FULL_CHROMA[16], FULL_CHROMA[128], FULL_CHROMA[240]),
            (1, 128, 255)
        );
        for code in 16..235 {
            assert!(FULL_LUMA[code] < FULL_LUMA[code + 1], "luma {code}");
        }
        let frame = [16, 235, 16, 235, 16, 235, 16, 235, 128, 240, 16, 128];
        let mut p = PlanarPicture::default();
        p.fill(
            &layout(PixelFormat::I420, 0),
            &frame,
            Chroma::Native,
            Range::Full,
        );
        let (y, u, v) = p.planes();
        assert_eq!(
            (y, u, v),
            (
                &[0, 255, 0, 255, 0, 255, 0, 255][..],
                &[128, 255][..],
                &[1, 128][..]
            )
        );
    }
}
