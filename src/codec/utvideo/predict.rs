//! Residuals of one slice of one plane: each sample minus its prediction from source samples
//! (never from residuals), so every row is independent and the row interiors vectorize.
//!
//! The first row of a slice is left-predicted from 0x80. Below it, left prediction carries on
//! in raster order (a row's first sample is predicted by the previous row's last one);
//! gradient predicts a row's first sample from the sample above; median predicts the second
//! row's first sample from above and later rows' first samples in raster order, with the
//! previous row's last sample as left and the one above that as top-left.

use super::huffman::Counter;
use super::Prediction;
use crate::pixel::PlaneRef;

/// The prediction of a slice's first sample.
const FIRST_PREDICTION: u8 = 0x80;

/// Instruction sets with a row kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// Plain Rust, the reference the vector kernels are tested against.
    Scalar,
    /// x86-64 SSE2 (always present there).
    #[cfg(target_arch = "x86_64")]
    Sse2,
    /// x86-64 AVX2, when the CPU has it.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AArch64 NEON (always present there).
    #[cfg(target_arch = "aarch64")]
    Neon,
}

impl Isa {
    /// The widest kernel this CPU runs.
    pub fn best() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
            Isa::Sse2
        }
        #[cfg(target_arch = "aarch64")]
        {
            Isa::Neon
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        {
            Isa::Scalar
        }
    }

    /// Every kernel this CPU runs, for the tests.
    pub fn available() -> Vec<Isa> {
        let mut all = vec![Isa::Scalar];
        #[cfg(target_arch = "x86_64")]
        {
            all.push(Isa::Sse2);
            if is_x86_feature_detected!("avx2") {
                all.push(Isa::Avx2);
            }
        }
        #[cfg(target_arch = "aarch64")]
        all.push(Isa::Neon);
        all
    }
}

/// The predictor of a row's samples after the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// The sample to the left.
    Left,
    /// Left + above - above-left.
    Gradient,
    /// The median of left, above and the gradient.
    Median,
}

/// Writes `out[i]` for `i` in `1..cur.len()`: `cur[i]` minus its `kind` prediction from `cur`
/// and the row above, `prev` (same length; unused by [`RowKind::Left`]). `out[0]` is left as
/// it is.
pub fn row_interior(isa: Isa, kind: RowKind, cur: &[u8], prev: &[u8], out: &mut [u8]) {
    assert!(prev.len() >= cur.len() || kind == RowKind::Left);
    assert_eq!(out.len(), cur.len());
    let done = match isa {
        Isa::Scalar => 1,
        #[cfg(target_arch = "x86_64")]
        // SAFETY: SSE2 is part of the x86-64 baseline; lengths were checked above.
        Isa::Sse2 => unsafe { x86::interior_sse2(kind, cur, prev, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Isa::Avx2` is only chosen after `is_x86_feature_detected!("avx2")`.
        Isa::Avx2 => unsafe { x86::interior_avx2(kind, cur, prev, out) },
        #[cfg(target_arch = "aarch64")]
        // SAFETY: NEON is part of the AArch64 baseline; lengths were checked above.
        Isa::Neon => unsafe { neon::interior(kind, cur, prev, out) },
    };
    interior_scalar(kind, cur, prev, out, done.max(1));
}

fn median(a: u8, b: u8, c: u8) -> u8 {
    a.min(b).max(a.max(b).min(c))
}

/// The scalar kernel from sample `from` on.
fn interior_scalar(kind: RowKind, cur: &[u8], prev: &[u8], out: &mut [u8], from: usize) {
    for i in from..cur.len() {
        let left = cur[i - 1];
        let predicted = match kind {
            RowKind::Left => left,
            RowKind::Gradient => left.wrapping_add(prev[i]).wrapping_sub(prev[i - 1]),
            RowKind::Median => median(
                left,
                prev[i],
                left.wrapping_add(prev[i]).wrapping_sub(prev[i - 1]),
            ),
        };
        out[i] = cur[i].wrapping_sub(predicted);
    }
}

/// Writes the residuals of a slice of `rows` rows of `width` samples (row `r` at
/// `src.samples[r * src.stride..]`) to `out` (`width * rows` bytes, rows packed), and counts them
/// in `counter` row by row, while they are in the first-level cache.
pub fn predict_slice(
    isa: Isa,
    prediction: Prediction,
    src: PlaneRef<'_>,
    width: usize,
    rows: usize,
    out: &mut [u8],
    counter: &mut Counter,
) {
    let PlaneRef {
        samples: src,
        stride,
    } = src;
    assert!(rows > 0 && width > 0 && stride >= width);
    assert!(src.len() >= (rows - 1) * stride + width);
    assert_eq!(out.len(), width * rows);
    for (r, dst) in out.chunks_exact_mut(width).enumerate() {
        predict_row(isa, prediction, src, stride, r, dst);
        counter.add(dst);
    }
}

/// Writes the residuals of row `r` of a slice (see [`predict_slice`]) to `dst`.
fn predict_row(
    isa: Isa,
    prediction: Prediction,
    src: &[u8],
    stride: usize,
    r: usize,
    dst: &mut [u8],
) {
    let width = dst.len();
    let row = |r: usize| &src[r * stride..r * stride + width];
    let cur = row(r);
    if prediction == Prediction::None {
        dst.copy_from_slice(cur);
        return;
    }
    if r == 0 {
        dst[0] = cur[0].wrapping_sub(FIRST_PREDICTION);
        row_interior(isa, RowKind::Left, cur, cur, dst);
        return;
    }
    let prev = row(r - 1);
    let (first, kind) = match prediction {
        Prediction::Left => (prev[width - 1], RowKind::Left),
        Prediction::Gradient => (prev[0], RowKind::Gradient),
        Prediction::Median if r == 1 => (prev[0], RowKind::Median),
        Prediction::Median => {
            let (left, top, top_left) = (prev[width - 1], prev[0], row(r - 2)[width - 1]);
            let gradient = left.wrapping_add(top).wrapping_sub(top_left);
            (median(left, top, gradient), RowKind::Median)
        }
        Prediction::None => unreachable!("handled above"),
    };
    dst[0] = cur[0].wrapping_sub(first);
    row_interior(isa, kind, cur, prev, dst);
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::RowKind;
    use std::arch::x86_64::*;

    /// SSE2 kernel: returns the first sample it did not write (at least 1).
    ///
    /// # Safety
    /// The CPU must have SSE2; `prev` at least as long as `cur` unless `kind` is `Left`, `out`
    /// as long as `cur`.
    #[target_feature(enable = "sse2")]
    pub unsafe fn interior_sse2(kind: RowKind, cur: &[u8], prev: &[u8], out: &mut [u8]) -> usize {
        let n = cur.len();
        let mut i = 1;
        while i + 16 <= n {
            // SAFETY: bytes i-1 .. i+16 are inside `cur` (and `prev`, `out`) since i >= 1 and
            // i + 16 <= n; loads and stores are unaligned.
            unsafe {
                let x = _mm_loadu_si128(cur.as_ptr().add(i).cast());
                let left = _mm_loadu_si128(cur.as_ptr().add(i - 1).cast());
                let predicted = match kind {
                    RowKind::Left => left,
                    RowKind::Gradient | RowKind::Median => {
                        let top = _mm_loadu_si128(prev.as_ptr().add(i).cast());
                        let top_left = _mm_loadu_si128(prev.as_ptr().add(i - 1).cast());
                        let gradient = _mm_sub_epi8(_mm_add_epi8(left, top), top_left);
                        if kind == RowKind::Gradient {
                            gradient
                        } else {
                            let lo = _mm_min_epu8(left, top);
                            let hi = _mm_max_epu8(left, top);
                            _mm_max_epu8(lo, _mm_min_epu8(hi, gradient))
                        }
                    }
                };
                _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), _mm_sub_epi8(x, predicted));
            }
            i += 16;
        }
        i
    }

    /// AVX2 kernel: returns the first sample it did not write (at least 1).
    ///
    /// # Safety
    /// The CPU must have AVX2; lengths as for [`interior_sse2`].
    #[target_feature(enable = "avx2")]
    pub unsafe fn interior_avx2(kind: RowKind, cur: &[u8], prev: &[u8], out: &mut [u8]) -> usize {
        let n = cur.len();
        let mut i = 1;
        while i + 32 <= n {
            // SAFETY: bytes i-1 .. i+32 are inside `cur` (and `prev`, `out`) since i >= 1 and
            // i + 32 <= n; loads and stores are unaligned.
            unsafe {
                let x = _mm256_loadu_si256(cur.as_ptr().add(i).cast());
                let left = _mm256_loadu_si256(cur.as_ptr().add(i - 1).cast());
                let predicted = match kind {
                    RowKind::Left => left,
                    RowKind::Gradient | RowKind::Median => {
                        let top = _mm256_loadu_si256(prev.as_ptr().add(i).cast());
                        let top_left = _mm256_loadu_si256(prev.as_ptr().add(i - 1).cast());
                        let gradient = _mm256_sub_epi8(_mm256_add_epi8(left, top), top_left);
                        if kind == RowKind::Gradient {
                            gradient
                        } else {
                            let lo = _mm256_min_epu8(left, top);
                            let hi = _mm256_max_epu8(left, top);
                            _mm256_max_epu8(lo, _mm256_min_epu8(hi, gradient))
                        }
                    }
                };
                _mm256_storeu_si256(
                    out.as_mut_ptr().add(i).cast(),
                    _mm256_sub_epi8(x, predicted),
                );
            }
            i += 32;
        }
        // SAFETY: the caller's guarantees hold for the SSE2 kernel too (AVX2 implies SSE2).
        let rest = unsafe {
            interior_sse2(
                kind,
                &cur[i - 1..],
                prev.get(i - 1..).unwrap_or(&[]),
                &mut out[i - 1..],
            )
        };
        i - 1 + rest
    }
}

#[cfg(target_arch = "aarch64")]
mod neon {
    use super::RowKind;
    use std::arch::aarch64::*;

    /// NEON kernel: returns the first sample it did not write (at least 1).
    ///
    /// # Safety
    /// `prev` at least as long as `cur` unless `kind` is `Left`, `out` as long as `cur`.
    #[target_feature(enable = "neon")]
    pub unsafe fn interior(kind: RowKind, cur: &[u8], prev: &[u8], out: &mut [u8]) -> usize {
        let n = cur.len();
        let mut i = 1;
        while i + 16 <= n {
            // SAFETY: bytes i-1 .. i+16 are inside `cur` (and `prev`, `out`) since i >= 1 and
            // i + 16 <= n.
            unsafe {
                let x = vld1q_u8(cur.as_ptr().add(i));
                let left = vld1q_u8(cur.as_ptr().add(i - 1));
                let predicted = match kind {
                    RowKind::Left => left,
                    RowKind::Gradient | RowKind::Median => {
                        let top = vld1q_u8(prev.as_ptr().add(i));
                        let top_left = vld1q_u8(prev.as_ptr().add(i - 1));
                        let gradient = vsubq_u8(vaddq_u8(left, top), top_left);
                        if kind == RowKind::Gradient {
                            gradient
                        } else {
                            let lo = vminq_u8(left, top);
                            let hi = vmaxq_u8(left, top);
                            vmaxq_u8(lo, vminq_u8(hi, gradient))
                        }
                    }
                };
                vst1q_u8(out.as_mut_ptr().add(i), vsubq_u8(x, predicted));
            }
            i += 16;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut s = seed;
        (0..len)
            .map(|_| {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (s >> 16) as u8
            })
            .collect()
    }

    #[test]
    fn every_kernel_matches_the_scalar_one() {
        let data = noise(4096, 1);
        let above = noise(4096, 2);
        for isa in Isa::available() {
            for kind in [RowKind::Left, RowKind::Gradient, RowKind::Median] {
                for offset in 0..33 {
                    for len in (1..140).chain([255, 256, 257, 1000, 1919, 1920]) {
                        let cur = &data[offset..offset + len];
                        let prev = &above[offset + 3..offset + 3 + len];
                        let mut got = vec![0x5a; len];
                        let mut want = vec![0x5a; len];
                        row_interior(isa, kind, cur, prev, &mut got);
                        interior_scalar(kind, cur, prev, &mut want, 1);
                        assert_eq!(got, want, "{isa:?} {kind:?} offset {offset} len {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn slices_match_across_kernels() {
        let (width, rows, stride) = (37, 9, 41);
        let src = noise(stride * rows, 3);
        for prediction in [
            Prediction::None,
            Prediction::Left,
            Prediction::Gradient,
            Prediction::Median,
        ] {
            let plane = PlaneRef {
                samples: &src,
                stride,
            };
            let mut want = vec![0; width * rows];
            let mut want_counts = Counter::new();
            predict_slice(
                Isa::Scalar,
                prediction,
                plane,
                width,
                rows,
                &mut want,
                &mut want_counts,
            );
            for isa in Isa::available() {
                let mut got = vec![0; width * rows];
                let mut got_counts = Counter::new();
                predict_slice(
                    isa,
                    prediction,
                    plane,
                    width,
                    rows,
                    &mut got,
                    &mut got_counts,
                );
                assert_eq!(got, want, "{isa:?} {prediction:?}");
                assert_eq!(got_counts.histogram(), want_counts.histogram());
            }
        }
    }
}
