//! The steps of one frame: residuals and counts per slice, one code per plane and the frame's
//! layout, and each slice's bit data packed straight into its place in the frame.

use super::bits;
use super::huffman::{Counter, Histogram, PlaneCode, SYMBOLS};
use super::predict::predict_slice;
use super::UtVideoEncoder;
use crate::codec::encoder::{FrameParts, OnThisThread};
use crate::error::Result;
use crate::pixel::{PlaneBuffer, PlaneRef};
use parking_lot::Mutex;
use std::mem::{self, MaybeUninit};
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
}

/// The code of every plane of one frame, and the length of each slice's bit data under it.
#[derive(Debug, Clone)]
pub struct FrameCodes {
    planes: Vec<PlaneCode>,
    /// `packed[p][s]`: the bytes of slice `s` of plane `p` (none for a single-symbol plane).
    packed: Vec<Vec<usize>>,
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

    /// The code of each plane, from the counts of every slice of the frame (in any order),
    /// and so the length of each slice's bit data.
    ///
    /// # Panics
    /// If `slices` is not one [`SliceResiduals`] per slice of a frame from this encoder.
    pub fn frame_codes(&self, slices: &[SliceResiduals]) -> FrameCodes {
        let slices = self.in_slice_order(slices);
        let (planes, packed) = (0..self.format.planes())
            .map(|p| {
                let mut hist = [0u32; SYMBOLS];
                for s in &slices {
                    for (total, n) in hist.iter_mut().zip(&s.planes[p].hist) {
                        *total += n;
                    }
                }
                let code = PlaneCode::from_histogram(&hist);
                let packed = slices
                    .iter()
                    .map(|s| match &code {
                        PlaneCode::Huffman(table) => bits::packed_len(&s.planes[p].hist, table),
                        PlaneCode::Single(_) => 0,
                    })
                    .collect();
                (code, packed)
            })
            .unzip();
        FrameCodes { planes, packed }
    }

    /// `slices` by slice number.
    ///
    /// # Panics
    /// If `slices` is not one [`SliceResiduals`] per slice of a frame from this encoder.
    fn in_slice_order<'s>(&self, slices: &'s [SliceResiduals]) -> Vec<&'s SliceResiduals> {
        let mut ordered: Vec<&SliceResiduals> = slices.iter().collect();
        ordered.sort_unstable_by_key(|s| s.slice);
        assert!(
            ordered.iter().map(|s| s.slice).eq(0..self.slices)
                && ordered
                    .iter()
                    .all(|s| s.planes.len() == self.format.planes()),
            "one SliceResiduals per slice of a frame from this encoder"
        );
        ordered
    }

    /// The frame's bytes: the plane headers from `codes`, and each slice's residuals (in any
    /// order) packed through `parts` (on whichever threads it offers) straight into its place,
    /// in the buffer `parts` spares.
    ///
    /// # Panics
    /// If `slices` is not the [`SliceResiduals`] `codes` was made from.
    pub fn write_frame(
        &self,
        codes: &FrameCodes,
        slices: &[SliceResiduals],
        parts: &dyn FrameParts,
    ) -> Vec<u8> {
        let slices = self.in_slice_order(slices);
        let planes = self.format.planes();
        assert!(
            codes.planes.len() == planes && codes.packed.iter().all(|l| l.len() == self.slices),
            "the FrameCodes of a frame from this encoder"
        );
        let frame_len = codes
            .packed
            .iter()
            .map(|lens| SYMBOLS + 4 * lens.len() + lens.iter().sum::<usize>())
            .sum::<usize>()
            + 4;
        let mut frame = parts.spare_chunk();
        frame.clear();
        if frame.capacity() < frame_len {
            // With an eighth to spare, the buffer fits the next frames when it comes back.
            frame = Vec::with_capacity(frame_len + frame_len / 8);
        }
        let mut rest = &mut frame.spare_capacity_mut()[..frame_len];
        let mut take = |len: usize| {
            let (head, tail) = mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            head
        };
        // Each slice's places, a plane at a time; the headers and the slice ends written here.
        let mut places: Vec<Vec<&mut [MaybeUninit<u8>]>> = (0..self.slices)
            .map(|_| Vec::with_capacity(planes))
            .collect();
        for (code, lens) in codes.planes.iter().zip(&codes.packed) {
            bits::write_bytes(take(SYMBOLS), &code.header_lengths());
            let mut end = 0u32;
            for (place, &len) in take(4 * lens.len()).chunks_exact_mut(4).zip(lens) {
                end += len as u32;
                bits::write_bytes(place, &end.to_le_bytes());
            }
            for (slice, &len) in places.iter_mut().zip(lens) {
                slice.push(take(len));
            }
        }
        bits::write_bytes(
            take(4),
            &(self.prediction.frame_info_code() << 8).to_le_bytes(),
        );
        // One lock per slice: each part locks only its own, never contended.
        let places: Vec<Mutex<Vec<&mut [MaybeUninit<u8>]>>> =
            places.into_iter().map(Mutex::new).collect();
        parts.run(self.slices, &|s| {
            let mut places = places[s].lock();
            for ((code, residuals), place) in codes
                .planes
                .iter()
                .zip(&slices[s].planes)
                .zip(places.iter_mut())
            {
                if let PlaneCode::Huffman(table) = code {
                    bits::pack(&residuals.samples, table, place);
                }
            }
            // Packed: only now, so a part that did not finish leaves its places behind.
            places.clear();
        });
        // `parts` is any implementation: the bytes are exposed below only if it ran every part.
        assert!(
            places.iter().all(|p| p.lock().is_empty()),
            "FrameParts::run returned before every slice was packed"
        );
        drop(places);
        // SAFETY: every byte of the first `frame_len` is written: the headers, slice ends and
        // frame information above, and every slice's bit data by `bits::pack`, which writes
        // all of its place (a single-symbol plane's places are empty), each slice's places
        // cleared once packed and checked just above.
        unsafe { frame.set_len(frame_len) };
        frame
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
        {
            // One lock per slice: each part locks only its own, never contended.
            let residuals: Vec<Mutex<&mut SliceResiduals>> =
                scratch.residuals.iter_mut().map(Mutex::new).collect();
            parts.run(self.slices, &|s| {
                self.analyze(planes, s, &mut residuals[s].lock())
            });
        }
        let codes = self.frame_codes(&scratch.residuals);
        self.write_frame(&codes, &scratch.residuals, parts)
    }
}
