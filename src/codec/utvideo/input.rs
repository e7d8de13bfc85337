//! Caller pixel layouts into the planes Ut Video codes: packed RGB into G, B-G, R-G (and A),
//! NV12 and YUY2 into separate Y, U, V planes, and gray into Y with neutral chroma. Planar
//! I420 needs no conversion (its planes are passed as they are).

use super::{PlaneRef, UtVideoFormat};

/// The neutral chroma sample, and the offset of the RGB colour differences.
const MID: u8 = 0x80;

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

    /// Offsets of R, G, B and (for 4-byte pixels) A within a pixel.
    fn offsets(self) -> (usize, usize, usize, usize) {
        match self {
            PackedRgb::Bgra | PackedRgb::Bgr => (2, 1, 0, 3),
            PackedRgb::Rgba | PackedRgb::Rgb => (0, 1, 2, 3),
        }
    }
}

/// Converted planes, owned and reused from frame to frame; rows are packed (stride = width).
#[derive(Debug, Clone, Default)]
pub struct PlaneBuffer {
    planes: Vec<Vec<u8>>,
    widths: Vec<usize>,
}

impl PlaneBuffer {
    /// The planes, to pass to the encoder.
    pub fn planes(&self) -> Vec<PlaneRef<'_>> {
        self.planes
            .iter()
            .zip(&self.widths)
            .map(|(samples, &stride)| PlaneRef { samples, stride })
            .collect()
    }

    /// Sizes the buffer for `format` frames of `width` x `height`; returns the planes.
    fn shape(&mut self, format: UtVideoFormat, width: usize, height: usize) -> &mut [Vec<u8>] {
        let n = format.planes();
        self.planes.resize_with(n, Vec::new);
        self.widths.clear();
        for (i, plane) in self.planes.iter_mut().enumerate() {
            let (w, h) = format.plane_size(i, width, height);
            plane.resize(w * h, 0);
            self.widths.push(w);
        }
        &mut self.planes
    }

    /// Fills the planes of `format` (`Ulrg`, or `Ulra` for alpha when `layout` has it) from
    /// packed RGB rows `stride` bytes apart, top row first.
    pub fn fill_rgb(
        &mut self,
        format: UtVideoFormat,
        layout: PackedRgb,
        src: &[u8],
        stride: usize,
        width: usize,
        height: usize,
    ) {
        let bpp = layout.bytes_per_pixel();
        let (r_at, g_at, b_at, a_at) = layout.offsets();
        let with_alpha = format == UtVideoFormat::Ulra;
        assert!(!with_alpha || bpp == 4, "ULRA needs an alpha channel");
        let planes = self.shape(format, width, height);
        let (g_plane, rest) = planes.split_at_mut(1);
        let (b_plane, rest) = rest.split_at_mut(1);
        let (r_plane, a_plane) = rest.split_at_mut(1);
        for y in 0..height {
            let row = &src[y * stride..y * stride + width * bpp];
            let out = y * width..(y + 1) * width;
            let (g, b, r) = (
                &mut g_plane[0][out.clone()],
                &mut b_plane[0][out.clone()],
                &mut r_plane[0][out.clone()],
            );
            for (x, px) in row.chunks_exact(bpp).enumerate() {
                let green = px[g_at];
                g[x] = green;
                b[x] = px[b_at].wrapping_sub(green).wrapping_add(MID);
                r[x] = px[r_at].wrapping_sub(green).wrapping_add(MID);
            }
            if with_alpha {
                let a = &mut a_plane[0][out];
                for (x, px) in row.chunks_exact(bpp).enumerate() {
                    a[x] = px[a_at];
                }
            }
        }
    }

    /// Fills 4:2:0 planes from NV12: a Y plane then interleaved U, V rows, both `stride`
    /// bytes a row, the chroma starting at `chroma_at`.
    pub fn fill_nv12(
        &mut self,
        format: UtVideoFormat,
        src: &[u8],
        stride: usize,
        chroma_at: usize,
        width: usize,
        height: usize,
    ) {
        let planes = self.shape(format, width, height);
        let (y_plane, chroma) = planes.split_at_mut(1);
        let (u_plane, v_plane) = chroma.split_at_mut(1);
        for y in 0..height {
            y_plane[0][y * width..(y + 1) * width]
                .copy_from_slice(&src[y * stride..y * stride + width]);
        }
        let cw = width / 2;
        for y in 0..height / 2 {
            let row = &src[chroma_at + y * stride..chroma_at + y * stride + width];
            for (x, uv) in row.chunks_exact(2).enumerate() {
                u_plane[0][y * cw + x] = uv[0];
                v_plane[0][y * cw + x] = uv[1];
            }
        }
    }

    /// Fills 4:2:2 planes from YUY2 (Y0 U Y1 V) rows `stride` bytes apart.
    pub fn fill_yuy2(
        &mut self,
        format: UtVideoFormat,
        src: &[u8],
        stride: usize,
        width: usize,
        height: usize,
    ) {
        let planes = self.shape(format, width, height);
        let (y_plane, chroma) = planes.split_at_mut(1);
        let (u_plane, v_plane) = chroma.split_at_mut(1);
        let cw = width / 2;
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

    /// Fills 4:2:0 planes from 8-bit gray rows `stride` bytes apart, chroma neutral.
    pub fn fill_gray(
        &mut self,
        format: UtVideoFormat,
        src: &[u8],
        stride: usize,
        width: usize,
        height: usize,
    ) {
        let planes = self.shape(format, width, height);
        for y in 0..height {
            planes[0][y * width..(y + 1) * width]
                .copy_from_slice(&src[y * stride..y * stride + width]);
        }
        for chroma in &mut planes[1..] {
            chroma.fill(MID);
        }
    }
}
