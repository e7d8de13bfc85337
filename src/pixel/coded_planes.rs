//! Caller frames as the separate 8-bit planes a lossless codec predicts and codes: packed RGB
//! decorrelated into G, B-G, R-G (and A), NV12 and YUY2 split into Y, U, V at their own
//! subsampling, gray into Y with neutral 4:2:0 chroma. I420 needs no conversion: its planes
//! are borrowed from the frame as they are.

use super::layout::{InputLayout, PixelFormat};

/// The neutral chroma sample (grey), also the offset of Ut Video's RGB colour differences.
pub(crate) const NEUTRAL_CHROMA: u8 = 0x80;

/// Byte of G in every packed RGB layout, and of A in the 4-byte ones.
const GREEN_AT: usize = 1;
const ALPHA_AT: usize = 3;

/// One plane: rows of the plane's width, `stride` bytes apart (`stride >= width`; the last
/// row may end at the plane's width). Borrowed: from a [`PlaneBuffer`] or the caller's frame.
#[derive(Debug, Clone, Copy)]
pub struct PlaneRef<'a> {
    /// The samples, first row first.
    pub samples: &'a [u8],
    /// Bytes from one row to the next.
    pub stride: usize,
}

/// Byte orders of packed RGB pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackedRgb {
    /// B, G, R, A.
    Bgra,
    /// R, G, B, A.
    Rgba,
    /// B, G, R.
    Bgr,
    /// R, G, B.
    Rgb,
}

impl PackedRgb {
    /// Bytes per pixel.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PackedRgb::Bgra | PackedRgb::Rgba => 4,
            PackedRgb::Bgr | PackedRgb::Rgb => 3,
        }
    }

    /// The packed RGB order of `format`; `None` for the other formats.
    pub fn of(format: PixelFormat) -> Option<PackedRgb> {
        match format {
            PixelFormat::Bgra32 => Some(PackedRgb::Bgra),
            PixelFormat::Rgba32 => Some(PackedRgb::Rgba),
            PixelFormat::Bgr24 => Some(PackedRgb::Bgr),
            PixelFormat::Rgb24 => Some(PackedRgb::Rgb),
            _ => None,
        }
    }
}

/// Converted planes, owned and reused from frame to frame; rows are packed (stride = width).
/// One per thread: filling needs `&mut`.
#[derive(Debug, Clone, Default)]
pub struct PlaneBuffer {
    planes: Vec<Vec<u8>>,
    widths: Vec<usize>,
}

impl PlaneBuffer {
    /// The planes, to pass to an encoder.
    pub fn planes(&self) -> Vec<PlaneRef<'_>> {
        self.planes
            .iter()
            .zip(&self.widths)
            .map(|(samples, &stride)| PlaneRef { samples, stride })
            .collect()
    }

    /// Sizes the buffer for planes of `sizes` (width, height); returns the planes.
    fn shape(&mut self, sizes: &[(usize, usize)]) -> &mut [Vec<u8>] {
        self.planes.resize_with(sizes.len(), Vec::new);
        self.widths.clear();
        for (plane, &(w, h)) in self.planes.iter_mut().zip(sizes) {
            plane.resize(w * h, 0);
            self.widths.push(w);
        }
        &mut self.planes
    }

    /// The planes of one frame of `input` (exactly [`InputLayout::frame_len`] bytes, a layout
    /// that passed [`InputLayout::validate`]): RGB as G, B-G, R-G, and A when `keep_alpha`
    /// (4-byte RGB only); I420 borrowed from `frame`; NV12 and gray as 4:2:0 Y, U, V; YUY2 as
    /// 4:2:2 Y, U, V.
    ///
    /// # Panics
    /// If `keep_alpha` is set for a format without alpha.
    pub fn fill_input<'a>(
        &'a mut self,
        input: &InputLayout,
        frame: &'a [u8],
        keep_alpha: bool,
    ) -> Vec<PlaneRef<'a>> {
        let (w, h) = (input.width as usize, input.height as usize);
        let pitch = input.row_pitch();
        match input.format {
            PixelFormat::I420 => {
                let chroma_len = (pitch / 2) * (h / 2);
                let (luma, chroma) = frame.split_at(pitch * h);
                let (u, v) = chroma.split_at(chroma_len);
                return vec![
                    PlaneRef {
                        samples: luma,
                        stride: pitch,
                    },
                    PlaneRef {
                        samples: u,
                        stride: pitch / 2,
                    },
                    PlaneRef {
                        samples: v,
                        stride: pitch / 2,
                    },
                ];
            }
            PixelFormat::Nv12 => self.fill_nv12(frame, pitch, pitch * h, w, h),
            PixelFormat::Yuy2 => self.fill_yuy2(frame, pitch, w, h),
            PixelFormat::Gray8 => self.fill_gray_rows(w, h, |y| input.row(frame, y)),
            rgb => {
                let layout = PackedRgb::of(rgb).expect("every other format is packed RGB");
                self.fill_rgb_rows(layout, keep_alpha, w, h, |y| input.row(frame, y));
            }
        }
        self.planes()
    }

    /// The planes of rows `rows` (top = 0) of one frame of packed RGB `input`, as
    /// [`PlaneBuffer::fill_input`] makes them for the whole frame: a band that a codec's slice
    /// predicts while it is still in cache, filled on the slice's own thread.
    ///
    /// # Panics
    /// If `input` is not packed RGB, `keep_alpha` is set for a 3-byte layout, or `rows` is
    /// outside the frame.
    pub fn fill_rgb_band<'a>(
        &'a mut self,
        input: &InputLayout,
        frame: &[u8],
        keep_alpha: bool,
        rows: std::ops::Range<usize>,
    ) -> Vec<PlaneRef<'a>> {
        let layout = PackedRgb::of(input.format).expect("packed RGB input");
        assert!(
            rows.end <= input.height as usize,
            "rows {rows:?} of {}",
            input.height
        );
        let width = input.width as usize;
        self.fill_rgb_rows(layout, keep_alpha, width, rows.len(), |y| {
            input.row(frame, rows.start + y)
        });
        self.planes()
    }

    /// Fills G, B-G+0x80, R-G+0x80 planes (and A when `with_alpha`) from packed RGB rows
    /// `stride` bytes apart, top row first.
    ///
    /// # Panics
    /// If `with_alpha` is set for a 3-byte layout.
    pub fn fill_rgb(
        &mut self,
        layout: PackedRgb,
        with_alpha: bool,
        src: &[u8],
        stride: usize,
        width: usize,
        height: usize,
    ) {
        self.fill_rgb_rows(layout, with_alpha, width, height, |y| &src[y * stride..]);
    }

    /// [`PlaneBuffer::fill_rgb`] with row `y` (top = 0) given by `row`.
    fn fill_rgb_rows<'s>(
        &mut self,
        layout: PackedRgb,
        with_alpha: bool,
        width: usize,
        height: usize,
        row: impl Fn(usize) -> &'s [u8],
    ) {
        assert!(
            !with_alpha || layout.bytes_per_pixel() == 4,
            "an alpha plane needs an alpha channel"
        );
        let planes = self.shape(&[(width, height); 4][..if with_alpha { 4 } else { 3 }]);
        let (g_plane, rest) = planes.split_at_mut(1);
        let (b_plane, rest) = rest.split_at_mut(1);
        let (r_plane, a_plane) = rest.split_at_mut(1);
        let rows = g_plane[0]
            .chunks_exact_mut(width)
            .zip(b_plane[0].chunks_exact_mut(width))
            .zip(r_plane[0].chunks_exact_mut(width))
            .enumerate();
        for (y, ((g, b), r)) in rows {
            let row = row(y);
            let a = if with_alpha {
                Some(&mut a_plane[0][y * width..(y + 1) * width])
            } else {
                None
            };
            match layout {
                PackedRgb::Bgra => decorrelate_row4::<2, 0>(row, g, b, r, a),
                PackedRgb::Rgba => decorrelate_row4::<0, 2>(row, g, b, r, a),
                PackedRgb::Bgr => decorrelate_row::<3, 2, 0>(row, g, b, r, 0),
                PackedRgb::Rgb => decorrelate_row::<3, 0, 2>(row, g, b, r, 0),
            }
        }
    }

    /// Fills 4:2:0 Y, U, V planes from NV12: a Y plane then interleaved U, V rows, both
    /// `stride` bytes a row, the chroma starting at `chroma_at`. Even width and height.
    pub fn fill_nv12(
        &mut self,
        src: &[u8],
        stride: usize,
        chroma_at: usize,
        width: usize,
        height: usize,
    ) {
        let (cw, ch) = (width / 2, height / 2);
        let planes = self.shape(&[(width, height), (cw, ch), (cw, ch)]);
        let (y_plane, chroma) = planes.split_at_mut(1);
        let (u_plane, v_plane) = chroma.split_at_mut(1);
        for y in 0..height {
            y_plane[0][y * width..(y + 1) * width]
                .copy_from_slice(&src[y * stride..y * stride + width]);
        }
        for y in 0..ch {
            let row = &src[chroma_at + y * stride..chroma_at + y * stride + width];
            for (x, uv) in row.chunks_exact(2).enumerate() {
                u_plane[0][y * cw + x] = uv[0];
                v_plane[0][y * cw + x] = uv[1];
            }
        }
    }

    /// Fills 4:2:2 Y, U, V planes from YUY2 (Y0 U Y1 V) rows `stride` bytes apart. Even width.
    pub fn fill_yuy2(&mut self, src: &[u8], stride: usize, width: usize, height: usize) {
        let cw = width / 2;
        let planes = self.shape(&[(width, height), (cw, height), (cw, height)]);
        let (y_plane, chroma) = planes.split_at_mut(1);
        let (u_plane, v_plane) = chroma.split_at_mut(1);
        for y in 0..height {
            let row = &src[y * stride..y * stride + width * 2];
            for (x, q) in row.chunks_exact(4).enumerate() {
                y_plane[0][y * width + 2 * x] = q[0];
                u_plane[0][y * cw + x] = q[1];
                y_plane[0][y * width + 2 * x + 1] = q[2];
                v_plane[0][y * cw + x] = q[3];
            }
        }
    }

    /// Fills 4:2:0 Y, U, V planes from 8-bit gray rows `stride` bytes apart, chroma neutral.
    /// Even width and height.
    pub fn fill_gray(&mut self, src: &[u8], stride: usize, width: usize, height: usize) {
        self.fill_gray_rows(width, height, |y| &src[y * stride..]);
    }

    /// [`PlaneBuffer::fill_gray`] with row `y` (top = 0) given by `row`.
    fn fill_gray_rows<'s>(&mut self, width: usize, height: usize, row: impl Fn(usize) -> &'s [u8]) {
        let (cw, ch) = (width / 2, height / 2);
        let planes = self.shape(&[(width, height), (cw, ch), (cw, ch)]);
        for (y, out) in planes[0].chunks_exact_mut(width).enumerate() {
            out.copy_from_slice(&row(y)[..width]);
        }
        for chroma in &mut planes[1..] {
            chroma.fill(NEUTRAL_CHROMA);
        }
    }
}

/// Splits one row of `BPP`-byte pixels (R at byte `R`, G at 1, B at byte `B`) into G,
/// B-G+0x80 and R-G+0x80, from pixel `from` on. The layout is constant, so the indexing needs
/// no checks.
fn decorrelate_row<const BPP: usize, const R: usize, const B: usize>(
    row: &[u8],
    g: &mut [u8],
    b: &mut [u8],
    r: &mut [u8],
    from: usize,
) {
    let pixels = row.chunks_exact(BPP).take(g.len()).skip(from);
    let outputs = g[from..].iter_mut().zip(&mut b[from..]).zip(&mut r[from..]);
    for (px, ((g, b), r)) in pixels.zip(outputs) {
        let green = px[GREEN_AT];
        *g = green;
        *b = px[B].wrapping_sub(green).wrapping_add(NEUTRAL_CHROMA);
        *r = px[R].wrapping_sub(green).wrapping_add(NEUTRAL_CHROMA);
    }
}

/// [`decorrelate_row`] for 4-byte pixels, with the alpha plane when `a` is given: SSSE3 where
/// the CPU has it, then the scalar loop for the rest.
fn decorrelate_row4<const R: usize, const B: usize>(
    row: &[u8],
    g: &mut [u8],
    b: &mut [u8],
    r: &mut [u8],
    a: Option<&mut [u8]>,
) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("ssse3") {
        let mut a = a;
        // SAFETY: the CPU has SSSE3, checked just above.
        let done = unsafe { x86::decorrelate_row4_ssse3::<R>(row, g, b, r, a.as_deref_mut()) };
        return decorrelate_row_scalar4::<R, B>(row, g, b, r, a, done);
    }
    decorrelate_row_scalar4::<R, B>(row, g, b, r, a, 0);
}

/// The scalar [`decorrelate_row4`] from pixel `from` on: the reference of the SSSE3 kernel.
fn decorrelate_row_scalar4<const R: usize, const B: usize>(
    row: &[u8],
    g: &mut [u8],
    b: &mut [u8],
    r: &mut [u8],
    a: Option<&mut [u8]>,
    from: usize,
) {
    decorrelate_row::<4, R, B>(row, g, b, r, from);
    if let Some(a) = a {
        for (out, px) in a[from..].iter_mut().zip(row.chunks_exact(4).skip(from)) {
            *out = px[ALPHA_AT];
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::NEUTRAL_CHROMA;
    use std::arch::x86_64::*;

    /// Splits 16 pixels at a time of a 4-byte layout with R at byte `R` (0 or 2; B at the
    /// other); returns the pixels done (a multiple of 16).
    ///
    /// # Safety
    /// The CPU must have SSSE3.
    #[target_feature(enable = "ssse3")]
    pub unsafe fn decorrelate_row4_ssse3<const R: usize>(
        row: &[u8],
        g: &mut [u8],
        b: &mut [u8],
        r: &mut [u8],
        mut a: Option<&mut [u8]>,
    ) -> usize {
        let n = g.len().min(b.len()).min(r.len()).min(row.len() / 4);
        let n = a.as_deref().map_or(n, |a| n.min(a.len()));
        // Gathers each byte position of four pixels: [c0 x4, c1 x4, c2 x4, c3 x4].
        let gather = _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
        let mid = _mm_set1_epi8(NEUTRAL_CHROMA as i8);
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: pixels i .. i+16 are inside `row` (64 bytes from 4 i) and the outputs
            // (16 bytes from i), as n bounds them all; loads and stores are unaligned.
            unsafe {
                let src = row.as_ptr().add(4 * i);
                let x0 = _mm_shuffle_epi8(_mm_loadu_si128(src.cast()), gather);
                let x1 = _mm_shuffle_epi8(_mm_loadu_si128(src.add(16).cast()), gather);
                let x2 = _mm_shuffle_epi8(_mm_loadu_si128(src.add(32).cast()), gather);
                let x3 = _mm_shuffle_epi8(_mm_loadu_si128(src.add(48).cast()), gather);
                let t0 = _mm_unpacklo_epi32(x0, x1);
                let t1 = _mm_unpacklo_epi32(x2, x3);
                let t2 = _mm_unpackhi_epi32(x0, x1);
                let t3 = _mm_unpackhi_epi32(x2, x3);
                let c0 = _mm_unpacklo_epi64(t0, t1);
                let green = _mm_unpackhi_epi64(t0, t1);
                let c2 = _mm_unpacklo_epi64(t2, t3);
                let alpha = _mm_unpackhi_epi64(t2, t3);
                let (red, blue) = if R == 0 { (c0, c2) } else { (c2, c0) };
                let diff = |c| _mm_add_epi8(_mm_sub_epi8(c, green), mid);
                _mm_storeu_si128(g.as_mut_ptr().add(i).cast(), green);
                _mm_storeu_si128(b.as_mut_ptr().add(i).cast(), diff(blue));
                _mm_storeu_si128(r.as_mut_ptr().add(i).cast(), diff(red));
                if let Some(a) = a.as_deref_mut() {
                    _mm_storeu_si128(a.as_mut_ptr().add(i).cast(), alpha);
                }
            }
            i += 16;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_and_scalar_splits_agree() {
        let row: Vec<u8> = (0..4 * 300u32).map(|i| (i * 37 % 251) as u8).collect();
        for offset in 0..5 {
            for len in (0..70).chain([255, 256, 299]) {
                let src = &row[offset * 4..];
                let run = |vector: bool, alpha: bool| {
                    let (mut g, mut b, mut r, mut a) =
                        (vec![1; len], vec![2; len], vec![3; len], vec![4; len]);
                    let a_out = alpha.then_some(&mut a[..]);
                    if vector {
                        decorrelate_row4::<2, 0>(src, &mut g, &mut b, &mut r, a_out);
                    } else {
                        decorrelate_row_scalar4::<2, 0>(src, &mut g, &mut b, &mut r, a_out, 0);
                    }
                    (g, b, r, a)
                };
                for alpha in [false, true] {
                    assert_eq!(
                        run(true, alpha),
                        run(false, alpha),
                        "{offset} {len} {alpha}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_rgb_band_is_those_rows_of_the_whole_frame() {
        let (w, h) = (37u32, 11u32);
        for format in [
            PixelFormat::Bgra32,
            PixelFormat::Rgba32,
            PixelFormat::Bgr24,
            PixelFormat::Rgb24,
        ] {
            let pitch = w as i32 * format.bytes_per_pixel() as i32 + 5;
            for stride in [pitch, -pitch] {
                let input = InputLayout::new(w, h, format).with_stride(stride);
                let frame: Vec<u8> = (0..pitch as u32 * h)
                    .map(|i| (i * 29 % 253) as u8)
                    .collect();
                let alphas: &[bool] = if format.bytes_per_pixel() == 4 {
                    &[false, true]
                } else {
                    &[false]
                };
                for &keep_alpha in alphas {
                    let mut whole = PlaneBuffer::default();
                    let planes = whole.fill_input(&input, &frame, keep_alpha);
                    for rows in [0..h as usize, 0..1, 3..8, 10..11, 4..4] {
                        let mut band = PlaneBuffer::default();
                        let banded = band.fill_rgb_band(&input, &frame, keep_alpha, rows.clone());
                        assert_eq!(banded.len(), planes.len());
                        for (b, p) in banded.iter().zip(&planes) {
                            let want = &p.samples[rows.start * p.stride..rows.end * p.stride];
                            assert_eq!(
                                b.samples, want,
                                "{format:?} {stride} {rows:?} {keep_alpha}"
                            );
                        }
                    }
                }
            }
        }
    }
}
