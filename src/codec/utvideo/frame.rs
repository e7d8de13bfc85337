//! The steps of one frame: residuals and counts per slice, one code per plane, bit data per
//! slice, and the frame's bytes.

use super::bits;
use super::huffman::{self, Histogram, PlaneCode, SYMBOLS};
use super::predict::predict_slice;
use super::{PlaneRef, UtVideoEncoder};

/// The residuals of one slice of every plane, and how often each value occurs.
#[derive(Debug, Clone)]
pub struct SliceResiduals {
    slice: usize,
    planes: Vec<(Vec<u8>, Histogram)>,
}

/// The code of every plane of one frame.
#[derive(Debug, Clone)]
pub struct FrameCodes {
    planes: Vec<PlaneCode>,
}

/// The bit data of one slice of every plane (empty for single-symbol planes).
#[derive(Debug, Clone)]
pub struct PackedSlice {
    slice: usize,
    planes: Vec<Vec<u8>>,
}

impl UtVideoEncoder {
    /// Predicts and counts `slice` of every plane. Independent of the other slices.
    ///
    /// # Panics
    /// If `planes` fails [`UtVideoEncoder::check_planes`] or `slice` is not below
    /// [`UtVideoEncoder::slices`].
    pub fn analyze_slice(&self, planes: &[PlaneRef<'_>], slice: usize) -> SliceResiduals {
        assert!(slice < self.slices, "slice {slice} of {}", self.slices);
        let planes = planes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (width, _) = self.plane_size(i);
                let rows = self.slice_rows(i, slice);
                let count = rows.len();
                let mut residuals = vec![0u8; width * count];
                let mut hist = [0u32; SYMBOLS];
                if count > 0 {
                    let src = &p.samples[rows.start * p.stride..];
                    predict_slice(
                        self.isa,
                        self.prediction,
                        src,
                        p.stride,
                        width,
                        count,
                        &mut residuals,
                    );
                    huffman::count(&residuals, &mut hist);
                }
                (residuals, hist)
            })
            .collect();
        SliceResiduals { slice, planes }
    }

    /// The code of each plane, from the counts of every slice of the frame.
    ///
    /// # Panics
    /// If `slices` is not one [`SliceResiduals`] per slice of a frame from this encoder.
    pub fn frame_codes(&self, slices: &[SliceResiduals]) -> FrameCodes {
        assert_eq!(slices.len(), self.slices);
        let planes = (0..self.format.planes())
            .map(|p| {
                let mut hist = [0u32; SYMBOLS];
                for s in slices {
                    for (total, n) in hist.iter_mut().zip(&s.planes[p].1) {
                        *total += n;
                    }
                }
                PlaneCode::from_histogram(&hist)
            })
            .collect();
        FrameCodes { planes }
    }

    /// Codes the residuals of one slice. Independent of the other slices.
    pub fn pack_slice(&self, codes: &FrameCodes, residuals: &SliceResiduals) -> PackedSlice {
        let planes = codes
            .planes
            .iter()
            .zip(&residuals.planes)
            .map(|(code, (samples, _))| {
                let mut out = Vec::new();
                if let PlaneCode::Huffman(table) = code {
                    bits::pack(samples, table, &mut out);
                }
                out
            })
            .collect();
        PackedSlice {
            slice: residuals.slice,
            planes,
        }
    }

    /// The frame's bytes from its codes and every slice's bit data (in any order).
    ///
    /// # Panics
    /// If `slices` is not one [`PackedSlice`] per slice of the frame `codes` belongs to.
    pub fn assemble(&self, codes: &FrameCodes, slices: &[PackedSlice]) -> Vec<u8> {
        assert_eq!(slices.len(), self.slices);
        let mut ordered: Vec<&PackedSlice> = slices.iter().collect();
        ordered.sort_unstable_by_key(|s| s.slice);
        let data_len: usize = slices
            .iter()
            .flat_map(|s| s.planes.iter().map(Vec::len))
            .sum();
        let planes = codes.planes.len();
        let mut out = Vec::with_capacity(data_len + planes * (SYMBOLS + 4 * self.slices) + 4);
        for (p, code) in codes.planes.iter().enumerate() {
            out.extend_from_slice(&code.header_lengths());
            let mut end = 0u32;
            for s in &ordered {
                end += s.planes[p].len() as u32;
                out.extend_from_slice(&end.to_le_bytes());
            }
            for s in &ordered {
                out.extend_from_slice(&s.planes[p]);
            }
        }
        out.extend_from_slice(&(self.prediction.frame_info_code() << 8).to_le_bytes());
        out
    }
}
