//! The steps of one frame: residuals and counts per slice, one code per plane, bit data per
//! slice, and the frame's bytes.

use super::bits;
use super::huffman::{Counter, Histogram, PlaneCode, SYMBOLS};
use super::predict::predict_slice;
use super::UtVideoEncoder;
use crate::codec::encoder::{FrameParts, OnThisThread};
use crate::error::Result;
use crate::pixel::{PlaneBuffer, PlaneRef};
use parking_lot::Mutex;
use std::ops::Range;

/// The planes of one frame, a slice at a time: already in memory (`[PlaneRef]`, checked by
/// [`UtVideoEncoder::check_planes`]), or made from the caller's pixels when a slice asks, so
/// that they are still in cache when it predicts them. Shared by the threads of a frame's
/// slices.
pub trait SlicePlanes: Sync {
    /// The rows `rows[p]` of each plane `p`, each plane's first row at its start; `band` is the
    /// slice's own buffer, to fill if the rows are made here.
    fn slice_planes<'a>(
        &'a self,
        rows: &[Range<usize>],
        band: &'a mut PlaneBuffer,
    ) -> Vec<PlaneRef<'a>>;
}

impl SlicePlanes for &[PlaneRef<'_>] {
    fn slice_planes<'a>(
        &'a self,
        rows: &[Range<usize>],
        _: &'a mut PlaneBuffer,
    ) -> Vec<PlaneRef<'a>> {
        self.iter()
            .zip(rows)
            .map(|(p, rows)| PlaneRef {
                samples: &p.samples[rows.start * p.stride..],
                stride: p.stride,
            })
            .collect()
    }
}

/// The residuals of one slice of every plane, and how often each value occurs. Reusable:
/// [`UtVideoEncoder::analyze_slice_into`] keeps its buffers.
#[derive(Debug, Clone, Default)]
pub struct SliceResiduals {
    slice: usize,
    planes: Vec<PlaneResiduals>,
    /// The slice's planes when a [`SlicePlanes`] makes them.
    band: PlaneBuffer,
}

#[derive(Debug, Clone)]
struct PlaneResiduals {
    samples: Vec<u8>,
    hist: Histogram,
}

/// Buffers [`UtVideoEncoder::encode_with`] reuses from frame to frame.
#[derive(Debug, Clone, Default)]
pub struct EncodeScratch {
    residuals: Vec<SliceResiduals>,
    packed: Vec<PackedSlice>,
}

/// The code of every plane of one frame.
#[derive(Debug, Clone)]
pub struct FrameCodes {
    planes: Vec<PlaneCode>,
}

/// The bit data of one slice of every plane (empty for single-symbol planes). Reusable:
/// [`UtVideoEncoder::pack_slice_into`] keeps its buffers.
#[derive(Debug, Clone, Default)]
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
        let mut residuals = SliceResiduals::default();
        self.analyze_slice_into(planes, slice, &mut residuals);
        residuals
    }

    /// As [`UtVideoEncoder::analyze_slice`], into `into`'s buffers.
    pub fn analyze_slice_into(
        &self,
        planes: &[PlaneRef<'_>],
        slice: usize,
        into: &mut SliceResiduals,
    ) {
        self.analyze(&planes, slice, into);
    }

    /// Predicts and counts `slice` of the planes `planes` gives.
    fn analyze(&self, planes: &dyn SlicePlanes, slice: usize, into: &mut SliceResiduals) {
        assert!(slice < self.slices, "slice {slice} of {}", self.slices);
        let count = self.format.planes();
        into.slice = slice;
        into.planes.resize_with(count, || PlaneResiduals {
            samples: Vec::new(),
            hist: [0; SYMBOLS],
        });
        let rows: Vec<Range<usize>> = (0..count).map(|i| self.slice_rows(i, slice)).collect();
        let sources = planes.slice_planes(&rows, &mut into.band);
        for (i, ((source, rows), out)) in sources
            .into_iter()
            .zip(&rows)
            .zip(&mut into.planes)
            .enumerate()
        {
            let (width, _) = self.plane_size(i);
            out.samples.resize(width * rows.len(), 0);
            out.hist = [0; SYMBOLS];
            let mut counter = Counter::new();
            if !rows.is_empty() {
                predict_slice(
                    self.isa,
                    self.prediction,
                    source,
                    width,
                    rows.len(),
                    &mut out.samples,
                    &mut counter,
                );
                out.hist = counter.histogram();
            }
        }
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
                    for (total, n) in hist.iter_mut().zip(&s.planes[p].hist) {
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
        let mut packed = PackedSlice::default();
        self.pack_slice_into(codes, residuals, &mut packed);
        packed
    }

    /// As [`UtVideoEncoder::pack_slice`], into `into`'s buffers.
    pub fn pack_slice_into(
        &self,
        codes: &FrameCodes,
        residuals: &SliceResiduals,
        into: &mut PackedSlice,
    ) {
        into.slice = residuals.slice;
        into.planes.resize_with(codes.planes.len(), Vec::new);
        for ((code, plane), out) in codes
            .planes
            .iter()
            .zip(&residuals.planes)
            .zip(&mut into.planes)
        {
            out.clear();
            if let PlaneCode::Huffman(table) = code {
                bits::pack(&plane.samples, table, out);
            }
        }
    }

    /// Encodes one frame on the calling thread, reusing `scratch`'s buffers.
    ///
    /// # Errors
    /// As [`UtVideoEncoder::check_planes`].
    pub fn encode_with(
        &self,
        planes: &[PlaneRef<'_>],
        scratch: &mut EncodeScratch,
    ) -> Result<Vec<u8>> {
        self.encode_in_parts(planes, scratch, &OnThisThread)
    }

    /// As [`UtVideoEncoder::encode_with`], with the slices analysed and then packed through
    /// `parts` (on whichever threads it offers); the bytes are the same.
    ///
    /// # Errors
    /// As [`UtVideoEncoder::check_planes`].
    pub fn encode_in_parts(
        &self,
        planes: &[PlaneRef<'_>],
        scratch: &mut EncodeScratch,
        parts: &dyn FrameParts,
    ) -> Result<Vec<u8>> {
        self.check_planes(planes)?;
        Ok(self.encode_slices(&planes, scratch, parts))
    }

    /// As [`UtVideoEncoder::encode_in_parts`], with each slice's planes from `planes`.
    ///
    /// # Panics
    /// If `planes` gives fewer rows or samples than this encoder's plane sizes need.
    pub fn encode_slices(
        &self,
        planes: &dyn SlicePlanes,
        scratch: &mut EncodeScratch,
        parts: &dyn FrameParts,
    ) -> Vec<u8> {
        scratch
            .residuals
            .resize_with(self.slices, SliceResiduals::default);
        scratch
            .packed
            .resize_with(self.slices, PackedSlice::default);
        {
            // One lock per slice: each part locks only its own, never contended.
            let residuals: Vec<Mutex<&mut SliceResiduals>> =
                scratch.residuals.iter_mut().map(Mutex::new).collect();
            parts.run(self.slices, &|s| {
                self.analyze(planes, s, &mut residuals[s].lock())
            });
        }
        let codes = self.frame_codes(&scratch.residuals);
        {
            let residuals = &scratch.residuals;
            let packed: Vec<Mutex<&mut PackedSlice>> =
                scratch.packed.iter_mut().map(Mutex::new).collect();
            parts.run(self.slices, &|s| {
                self.pack_slice_into(&codes, &residuals[s], &mut packed[s].lock())
            });
        }
        self.assemble(&codes, &scratch.packed)
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
