//! The bit data of a slice: code words written MSB first, in 32-bit little-endian words, the
//! last word padded with zero bits (decoders byte-swap each word and read MSB first).

use super::huffman::CodeTable;

/// Symbols packed between two checks of the output's room.
const CHUNK: usize = 4096;

/// Bits the accumulator may hold after adding codes: a flush leaves fewer than 8, and the
/// flush's shift must stay below 64.
const ACC_ROOM: u32 = 56;

/// Bytes of room [`pack`] needs for `symbols` codes of up to 31 bits: the bytes they complete,
/// plus the 8-byte stores and the final padding.
fn room(symbols: usize) -> usize {
    (symbols * 31).div_ceil(8) + 16
}

/// Appends the codes of `symbols` to `out`, padded to a whole 32-bit word; returns the bytes
/// appended.
///
/// Codes go MSB first into a 64-bit accumulator (left-aligned), as a big-endian bit stream; as
/// many codes as surely fit (56 bits over the table's longest code) are added between two
/// flushes, and a flush stores all 8 bytes and moves on by the whole bytes only, with no
/// data-dependent branch. Each 32-bit word is byte-swapped at the end, to the little-endian
/// words of the format. The output grows a chunk at a time, so only about the bytes written
/// are zeroed.
pub fn pack(symbols: &[u8], table: &CodeTable, out: &mut Vec<u8>) -> usize {
    #[cfg(target_arch = "x86_64")]
    if wide::fits(table) && wide::available() {
        // SAFETY: the CPU has the features `wide::pack` needs, checked just above.
        return unsafe { wide::pack(symbols, table, out) };
    }
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("bmi2") {
        // SAFETY: the CPU has BMI2, checked just above.
        return unsafe { pack_bmi2(symbols, table, out) };
    }
    pack_portable(symbols, table, out)
}

/// [`pack`] for any CPU: the reference its BMI2 build is tested against.
fn pack_portable(symbols: &[u8], table: &CodeTable, out: &mut Vec<u8>) -> usize {
    pack_any(symbols, table, out)
}

/// [`pack`] built with BMI2's flag-free variable shifts (one instruction each instead of three).
///
/// # Safety
/// The CPU must have BMI2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "bmi2")]
unsafe fn pack_bmi2(symbols: &[u8], table: &CodeTable, out: &mut Vec<u8>) -> usize {
    pack_any(symbols, table, out)
}

#[inline(always)]
fn pack_any(symbols: &[u8], table: &CodeTable, out: &mut Vec<u8>) -> usize {
    match ACC_ROOM / u32::from(table.max_len.max(1)) {
        0 | 1 => pack_groups::<1>(symbols, table, out),
        2 => pack_groups::<2>(symbols, table, out),
        3 => pack_groups::<3>(symbols, table, out),
        _ => pack_groups::<4>(symbols, table, out),
    }
}

/// The bit writer: the accumulator, its pending bits and the write position.
struct Writer {
    acc: u64,
    pending: u32,
    pos: usize,
}

impl Writer {
    #[inline(always)]
    fn put(&mut self, entry: u64) {
        self.acc |= (entry & !0xff) >> self.pending;
        self.pending += entry as u32 & 0xff;
    }

    /// Stores the accumulator at `pos` of `buf` and keeps the bits of the last partial byte.
    ///
    /// # Safety
    /// `buf` must have 8 bytes at `pos`.
    #[inline(always)]
    unsafe fn flush(&mut self, buf: *mut u8) {
        // SAFETY: the caller guarantees 8 bytes at `pos`.
        unsafe {
            buf.add(self.pos)
                .cast::<[u8; 8]>()
                .write_unaligned(self.acc.to_be_bytes())
        };
        let whole = self.pending & !7;
        self.pos += (whole >> 3) as usize;
        self.acc <<= whole;
        self.pending &= 7;
    }

    /// Stores the last bits, pads them to a whole 32-bit word and byte-swaps the words written
    /// since `start`; returns the bytes written since `start`.
    fn finish(mut self, out: &mut Vec<u8>, start: usize) -> usize {
        out.resize(self.pos + 8, 0);
        // SAFETY: `out` has 8 bytes at `pos` (resized just above).
        unsafe { self.flush(out.as_mut_ptr()) };
        // The last partial byte (its low bits are zero), then zero bytes up to a whole word.
        let bits = (self.pos - start) * 8 + self.pending as usize;
        let len = bits.div_ceil(32) * 4;
        out.truncate(start + len);
        for word in out[start..].chunks_exact_mut(4) {
            let v = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            word.copy_from_slice(&v.to_le_bytes());
        }
        len
    }
}

#[inline(always)]
fn pack_groups<const K: usize>(symbols: &[u8], table: &CodeTable, out: &mut Vec<u8>) -> usize {
    let start = out.len();
    let mut w = Writer {
        acc: 0,
        pending: 0,
        pos: start,
    };
    for chunk in symbols.chunks(CHUNK) {
        out.resize(w.pos + room(chunk.len()), 0);
        let buf = out.as_mut_ptr();
        let mut groups = chunk.chunks_exact(K);
        for group in &mut groups {
            for &s in group {
                w.put(table.codes[usize::from(s)]);
            }
            // SAFETY: fewer than 8 pending bits at the chunk's start plus at most 31 a code
            // complete at most ceil(31 n / 8) bytes before this store's 8, within `room`.
            unsafe { w.flush(buf) };
        }
        for &s in groups.remainder() {
            w.put(table.codes[usize::from(s)]);
            // SAFETY: as above.
            unsafe { w.flush(buf) };
        }
    }
    w.finish(out, start)
}

/// The AVX-512 packer: 64 symbols a step have their codes looked up in byte tables held in
/// registers (VBMI's two-table byte permute), joined into pairs and then quads in 32- and
/// 64-bit lanes with variable shifts, and the 16 quads (at most 56 bits each) go through the
/// scalar [`Writer`] a quad at a time: still four codes a flush, but one scalar step for them
/// instead of four lookups and shifts.
#[cfg(target_arch = "x86_64")]
mod wide {
    use super::{room, Writer, ACC_ROOM, CHUNK};
    use crate::codec::utvideo::huffman::{CodeTable, SYMBOLS};
    use std::arch::x86_64::*;

    /// Symbols a step.
    const BLOCK: usize = 64;

    /// The longest code: four of them fit a flush (and a code's two table bytes hold it).
    const LEN_MAX: u8 = (ACC_ROOM / 4) as u8;

    /// Whether the CPU has what [`pack`] uses.
    pub fn available() -> bool {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vbmi")
            && is_x86_feature_detected!("bmi2")
    }

    /// Whether [`pack`] can code `table`.
    pub fn fits(table: &CodeTable) -> bool {
        table.max_len <= LEN_MAX
    }

    /// One 64-entry quarter of each byte table: code length, code low byte, code high byte.
    type Tables = [[__m512i; 4]; 3];

    /// [`super::pack`] for `table`s that [`fits`].
    ///
    /// # Safety
    /// The CPU must pass [`available`].
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,bmi2")]
    pub unsafe fn pack(symbols: &[u8], table: &CodeTable, out: &mut Vec<u8>) -> usize {
        debug_assert!(fits(table));
        let mut bytes = [[0u8; SYMBOLS]; 3];
        for (s, &entry) in table.codes.iter().enumerate() {
            let len = (entry & 0xff) as u32;
            // Right-aligned; an unused symbol (length 0) never occurs.
            let word = entry.checked_shr(64 - len).unwrap_or(0);
            bytes[0][s] = len as u8;
            bytes[1][s] = word as u8;
            bytes[2][s] = (word >> 8) as u8;
        }
        // SAFETY: each load reads 64 of a table's 256 bytes.
        let tables: Tables = bytes.map(|t| {
            std::array::from_fn(|k| unsafe { _mm512_loadu_si512(t[64 * k..].as_ptr().cast()) })
        });
        let start = out.len();
        let mut w = Writer {
            acc: 0,
            pending: 0,
            pos: start,
        };
        // Two steps' quads: the writer reads one step's while the next one's are stored, so its
        // loads do not wait for the wide stores just made.
        let mut quads = [Quads::default(); 2];
        for chunk in symbols.chunks(CHUNK) {
            out.resize(w.pos + room(chunk.len()), 0);
            let buf = out.as_mut_ptr();
            let mut blocks = chunk.chunks_exact(BLOCK);
            let mut ready = None;
            for (b, block) in (&mut blocks).enumerate() {
                // SAFETY: the block has 64 bytes.
                let s = unsafe { _mm512_loadu_si512(block.as_ptr().cast()) };
                join(&tables, s, &mut quads[b & 1]);
                if let Some(prev) = ready.replace(b & 1) {
                    // SAFETY: a block completes at most 64 * 14 / 8 bytes, within `room`.
                    unsafe { write(&mut w, &quads[prev], buf) };
                }
            }
            if let Some(prev) = ready {
                // SAFETY: as above.
                unsafe { write(&mut w, &quads[prev], buf) };
            }
            for &s in blocks.remainder() {
                w.put(table.codes[usize::from(s)]);
                // SAFETY: as in `super::pack_groups`.
                unsafe { w.flush(buf) };
            }
        }
        w.finish(out, start)
    }

    /// The quads of one block, in the lane order of the byte unpacks: `codes[h][2 j + i]` is
    /// quad `4 j + 2 h + i` (each 128-bit lane holds 16 symbols: its low 8 go to half 0, its
    /// high 8 to half 1). Codes left-aligned, lengths apart.
    #[derive(Clone, Copy, Default)]
    #[repr(C, align(64))]
    struct Quads {
        codes: [[u64; 8]; 2],
        lens: [[u64; 8]; 2],
    }

    /// Looks up the codes of the 64 symbols in `s` and joins them four by four into `into`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    fn join(tables: &Tables, s: __m512i, into: &mut Quads) {
        let high = _mm512_movepi8_mask(s);
        let look = |t: &[__m512i; 4]| {
            _mm512_mask_blend_epi8(
                high,
                _mm512_permutex2var_epi8(t[0], s, t[1]),
                _mm512_permutex2var_epi8(t[2], s, t[3]),
            )
        };
        let (len, lo, hi) = (look(&tables[0]), look(&tables[1]), look(&tables[2]));
        let zero = _mm512_setzero_si512();
        let halves = [
            (
                _mm512_unpacklo_epi8(lo, hi),
                _mm512_unpacklo_epi8(len, zero),
            ),
            (
                _mm512_unpackhi_epi8(lo, hi),
                _mm512_unpackhi_epi8(len, zero),
            ),
        ];
        // Joins the two codes of each lane (the first in its low half) into one, the first
        // code above the second, and adds their lengths.
        macro_rules! join_lanes {
            ($codes:expr, $lens:expr, $low_half:expr, $high_half:ident, $shift:ident, $add:ident) => {{
                let second_len = $high_half($lens);
                let joined = _mm512_or_si512(
                    $shift(_mm512_and_si512($codes, $low_half), second_len),
                    $high_half($codes),
                );
                (joined, $add(_mm512_and_si512($lens, $low_half), second_len))
            }};
        }
        let high16 = |v| _mm512_srli_epi32::<16>(v);
        let high32 = |v| _mm512_srli_epi64::<32>(v);
        for (h, (codes, lens)) in halves.into_iter().enumerate() {
            // Codes of 16-bit lanes into pairs of 32-bit lanes, then into quads of 64.
            let (pairs, pair_lens) = join_lanes!(
                codes,
                lens,
                _mm512_set1_epi32(0xffff),
                high16,
                _mm512_sllv_epi32,
                _mm512_add_epi32
            );
            let (quads, quad_lens) = join_lanes!(
                pairs,
                pair_lens,
                _mm512_set1_epi64(0xffff_ffff),
                high32,
                _mm512_sllv_epi64,
                _mm512_add_epi64
            );
            let left = _mm512_sllv_epi64(quads, _mm512_sub_epi64(_mm512_set1_epi64(64), quad_lens));
            // SAFETY: each store writes one 64-byte row of `into`.
            unsafe {
                _mm512_storeu_si512(into.codes[h].as_mut_ptr().cast(), left);
                _mm512_storeu_si512(into.lens[h].as_mut_ptr().cast(), quad_lens);
            }
        }
    }

    /// Adds the 16 quads of a block to `w` in stream order, flushing after each.
    ///
    /// # Safety
    /// `buf` must have room for the block's bytes and an 8-byte store at `w.pos`.
    #[inline(always)]
    unsafe fn write(w: &mut Writer, quads: &Quads, buf: *mut u8) {
        for j in 0..4 {
            for h in 0..2 {
                for i in 2 * j..2 * j + 2 {
                    w.acc |= quads.codes[h][i] >> w.pending;
                    w.pending += quads.lens[h][i] as u32;
                    // SAFETY: the caller guarantees the room.
                    unsafe { w.flush(buf) };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::huffman::{CodeTable, SYMBOLS, UNUSED_LEN};
    use super::*;

    /// A bit-at-a-time reference writer.
    fn pack_reference(symbols: &[u8], table: &CodeTable) -> Vec<u8> {
        let mut bits: Vec<bool> = Vec::new();
        for &s in symbols {
            let entry = table.codes[usize::from(s)];
            let len = entry as u8;
            let code = entry >> (64 - u32::from(len));
            for i in (0..len).rev() {
                bits.push(code >> i & 1 == 1);
            }
        }
        while !bits.len().is_multiple_of(32) {
            bits.push(false);
        }
        bits.chunks(32)
            .flat_map(|w| {
                let v = w.iter().fold(0u32, |acc, &b| acc << 1 | u32::from(b));
                v.to_le_bytes()
            })
            .collect()
    }

    #[test]
    fn matches_a_bitwise_writer_for_every_group_size() {
        // Complete codes with lengths 1..=longest and two of the longest: 4, 3, 2 and 1 codes
        // a flush, and the AVX-512 packer's longest (14) and below. The counts cross its
        // 64-symbol blocks and the 4096-symbol chunks.
        // The symbols are spread over all four quarters of the byte range (each a table
        // register of the AVX-512 packer).
        for longest in [13u8, 14, 18, 28, 31] {
            let symbol = |i: u32| ((i * 19 + 5 * u32::from(longest)) % SYMBOLS as u32) as u8;
            let mut lengths = [UNUSED_LEN; SYMBOLS];
            for (i, len) in (1..=longest).enumerate() {
                lengths[usize::from(symbol(i as u32))] = len;
            }
            lengths[usize::from(symbol(u32::from(longest)))] = longest;
            let table = CodeTable::from_lengths(lengths);
            let mut seed = 7u32;
            for n in (0..200).chain([4095, 4096, 4097, 9000]) {
                let symbols: Vec<u8> = (0..n)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        symbol((seed >> 24) % (u32::from(longest) + 1))
                    })
                    .collect();
                let mut out = vec![0xAA];
                let written = pack(&symbols, &table, &mut out);
                assert_eq!(out.len(), 1 + written);
                let want = pack_reference(&symbols, &table);
                assert_eq!(&out[1..], want, "longest {longest}, {n} symbols");
                let mut portable = vec![0xAA];
                pack_portable(&symbols, &table, &mut portable);
                assert_eq!(
                    portable, out,
                    "longest {longest}, {n} symbols, portable build"
                );
                #[cfg(target_arch = "x86_64")]
                if wide::fits(&table) && wide::available() {
                    let mut vector = vec![0xAA];
                    // SAFETY: the CPU passed `wide::available`.
                    unsafe { wide::pack(&symbols, &table, &mut vector) };
                    assert_eq!(vector, out, "longest {longest}, {n} symbols, AVX-512 build");
                }
            }
        }
    }
}
