//! The bit data of a slice: code words written MSB first, in 32-bit little-endian words, the
//! last word padded with zero bits (decoders byte-swap each word and read MSB first).

use super::huffman::{CodeTable, Histogram, LONGEST_CODE};
use std::mem::MaybeUninit;

/// Symbols of a step: the packers check the output's room once a step. A multiple of every
/// group size (1-4 codes a flush) and of the AVX-512 packer's 64-symbol blocks.
const STEP: usize = 192;

/// Bits the accumulator may hold after adding codes: a flush leaves fewer than 8, and the
/// flush's shift must stay below 64.
const ACC_ROOM: u32 = 56;

/// Bytes of output a packer may touch from its position on while it packs `symbols` codes:
/// the bytes they complete, plus the 8-byte store after them, with 8 bytes to spare.
const fn room(symbols: usize) -> usize {
    (symbols * LONGEST_CODE as usize).div_ceil(8) + 16
}

/// Bytes the codes of the symbols counted in `hist` take under `table`, padded to whole 32-bit
/// words: the length [`pack`] needs.
pub fn packed_len(hist: &Histogram, table: &CodeTable) -> usize {
    let bits: u64 = hist
        .iter()
        .zip(&table.codes)
        .map(|(&n, &entry)| u64::from(n) * (entry & 0xff))
        .sum();
    (bits.div_ceil(32) * 4) as usize
}

/// Writes the codes of `symbols` into `out`, padded to a whole 32-bit word, and returns `out`,
/// every byte written. Each thread may pack into its own part of one frame buffer: nothing
/// outside `out` is touched.
///
/// Codes go MSB first into a 64-bit accumulator (left-aligned), as a big-endian bit stream; as
/// many codes as surely fit (56 bits over the table's longest code) are added between two
/// flushes, and a flush stores all 8 bytes and moves on by the whole bytes only, with no
/// data-dependent branch. Each 32-bit word is byte-swapped at the end, to the little-endian
/// words of the format. The stores go straight into `out` while a step's room is left; the
/// last steps go through a small buffer, so that no store crosses `out`'s end.
///
/// # Panics
/// If `out`'s length is not [`packed_len`] of `symbols`.
pub fn pack<'o>(symbols: &[u8], table: &CodeTable, out: &'o mut [MaybeUninit<u8>]) -> &'o mut [u8] {
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
fn pack_portable<'o>(
    symbols: &[u8],
    table: &CodeTable,
    out: &'o mut [MaybeUninit<u8>],
) -> &'o mut [u8] {
    pack_any(symbols, table, out)
}

/// [`pack`] built with BMI2's flag-free variable shifts (one instruction each instead of three).
///
/// # Safety
/// The CPU must have BMI2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "bmi2")]
unsafe fn pack_bmi2<'o>(
    symbols: &[u8],
    table: &CodeTable,
    out: &'o mut [MaybeUninit<u8>],
) -> &'o mut [u8] {
    pack_any(symbols, table, out)
}

#[inline(always)]
fn pack_any<'o>(symbols: &[u8], table: &CodeTable, out: &'o mut [MaybeUninit<u8>]) -> &'o mut [u8] {
    macro_rules! groups_of {
        ($k:literal) => {
            // SAFETY: `drive` hands `run` a buffer of `len` bytes.
            drive(symbols, out, |s, buf, len, w| unsafe {
                pack_groups::<$k>(s, table, buf, len, w)
            })
        };
    }
    match ACC_ROOM / u32::from(table.max_len.max(1)) {
        0 | 1 => groups_of!(1),
        2 => groups_of!(2),
        3 => groups_of!(3),
        _ => groups_of!(4),
    }
}

/// Packs `symbols` into `out` with `run`, which packs a prefix of the symbols it is given into
/// the buffer at its pointer (of the length given) from the writer's position, as far as the
/// room checks let it, and returns how many it packed. First straight into `out`; then the
/// rest a step at a time into a buffer with a whole step's room, its complete bytes copied
/// into `out` after each step.
#[inline(always)]
fn drive<'o>(
    symbols: &[u8],
    out: &'o mut [MaybeUninit<u8>],
    mut run: impl FnMut(&[u8], *mut u8, usize, &mut Writer) -> usize,
) -> &'o mut [u8] {
    let mut w = Writer::default();
    let direct = run(symbols, out.as_mut_ptr().cast(), out.len(), &mut w);
    let mut stage = [0u8; room(STEP)];
    for piece in symbols[direct..].chunks(STEP) {
        let base = w.pos;
        w.pos = 0;
        let packed = run(piece, stage.as_mut_ptr(), stage.len(), &mut w);
        debug_assert_eq!(packed, piece.len(), "a step fits the stage");
        let dest = out
            .get_mut(base..base + w.pos)
            .expect("the packed length of the symbols");
        write_bytes(dest, &stage[..w.pos]);
        w.pos += base;
    }
    w.finish(out)
}

/// Writes `bytes` into `place`, of the same length. (std's `write_copy_of_slice` does this, but
/// only in releases newer than the MSRV, 1.89.)
///
/// # Panics
/// If the lengths differ.
pub fn write_bytes(place: &mut [MaybeUninit<u8>], bytes: &[u8]) {
    assert_eq!(place.len(), bytes.len());
    for (d, &b) in place.iter_mut().zip(bytes) {
        d.write(b);
    }
}

/// The bit writer: the accumulator, its pending bits and the write position.
#[derive(Default)]
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
    /// Moves on by at most 7 bytes, so consecutive flushes leave no byte unwritten.
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

    /// Writes the last partial byte and the zero bytes up to a whole 32-bit word, and
    /// byte-swaps every word.
    ///
    /// # Panics
    /// If that does not end exactly at `out`'s end.
    // Inlined into each packer, so the swap uses its target's byte shuffles (one AVX-512
    // shuffle for 16 words instead of twelve SSE2 instructions for 4).
    #[inline(always)]
    fn finish(self, out: &mut [MaybeUninit<u8>]) -> &mut [u8] {
        let bits = self.pos * 8 + self.pending as usize;
        assert_eq!(
            bits.div_ceil(32) * 4,
            out.len(),
            "the packed length of the symbols"
        );
        // The pending bits are the top byte's; the accumulator is zero below them.
        let last = self.acc.to_be_bytes();
        for (d, &b) in out[self.pos..]
            .iter_mut()
            .zip(last.iter().chain([0; 8].iter()))
        {
            d.write(b);
        }
        // SAFETY: every byte of `out` is written: the stores straight into `out` from 0 on,
        // each moving on by at most 7 of its 8 bytes; then the staged steps' complete bytes
        // from where those stopped; then the bytes from `pos` to the end just above.
        let out = unsafe { &mut *(std::ptr::from_mut(out) as *mut [u8]) };
        for word in out.chunks_exact_mut(4) {
            let v = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            word.copy_from_slice(&v.to_le_bytes());
        }
        out
    }
}

/// Packs whole steps while their room is left in `buf` (then the rest, if fewer than a step
/// and its room is left), `K` codes a flush; returns the symbols packed.
///
/// # Safety
/// `buf` must have `len` bytes.
#[inline(always)]
unsafe fn pack_groups<const K: usize>(
    symbols: &[u8],
    table: &CodeTable,
    buf: *mut u8,
    len: usize,
    w: &mut Writer,
) -> usize {
    let mut steps = symbols.chunks_exact(STEP);
    let mut packed = 0;
    for step in &mut steps {
        if w.pos + room(STEP) > len {
            return packed;
        }
        for group in step.chunks_exact(K) {
            for &s in group {
                w.put(table.codes[usize::from(s)]);
            }
            // SAFETY: fewer than 8 pending bits at the step's start plus at most
            // LONGEST_CODE bits a code complete fewer than `room(STEP)` - 8 bytes.
            unsafe { w.flush(buf) };
        }
        packed += STEP;
    }
    let rest = steps.remainder();
    if w.pos + room(rest.len()) > len {
        return packed;
    }
    for &s in rest {
        w.put(table.codes[usize::from(s)]);
        // SAFETY: as above, for the rest's room.
        unsafe { w.flush(buf) };
    }
    packed + rest.len()
}

/// The AVX-512 packer: 64 symbols a step have their codes looked up in byte tables held in
/// registers (VBMI's two-table byte permute), joined into pairs and then quads in 32- and
/// 64-bit lanes with variable shifts, and the 16 quads (at most 56 bits each) go through the
/// scalar [`Writer`] a quad at a time: still four codes a flush, but one scalar step for them
/// instead of four lookups and shifts.
#[cfg(target_arch = "x86_64")]
mod wide {
    use super::{drive, room, Writer, ACC_ROOM};
    use crate::codec::utvideo::huffman::{CodeTable, SYMBOLS};
    use std::arch::x86_64::*;
    use std::mem::MaybeUninit;

    /// Symbols a block.
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
    pub unsafe fn pack<'o>(
        symbols: &[u8],
        table: &CodeTable,
        out: &'o mut [MaybeUninit<u8>],
    ) -> &'o mut [u8] {
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
        // SAFETY: the CPU passed `available`; `drive` hands `run` a buffer of `len` bytes.
        drive(symbols, out, |s, buf, len, w| unsafe {
            run(&tables, table, s, buf, len, w)
        })
    }

    /// Packs whole blocks while their room is left in `buf` (then the rest, if fewer than a
    /// block and its room is left); returns the symbols packed.
    ///
    /// # Safety
    /// The CPU must pass [`available`]; `buf` must have `len` bytes.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,bmi2")]
    unsafe fn run(
        tables: &Tables,
        table: &CodeTable,
        symbols: &[u8],
        buf: *mut u8,
        len: usize,
        w: &mut Writer,
    ) -> usize {
        // Two blocks' quads: the writer reads one block's while the next one's are stored, so
        // its loads do not wait for the wide stores just made.
        let mut quads = [Quads::default(); 2];
        let mut blocks = symbols.chunks_exact(BLOCK);
        let mut written = 0;
        for (b, block) in (&mut blocks).enumerate() {
            // SAFETY: the block has 64 bytes.
            let s = unsafe { _mm512_loadu_si512(block.as_ptr().cast()) };
            join(tables, s, &mut quads[b & 1]);
            if b > 0 {
                if w.pos + room(BLOCK) > len {
                    return written * BLOCK;
                }
                // SAFETY: a block's room is left, checked just above.
                unsafe { write(w, &quads[(b - 1) & 1], buf) };
                written += 1;
            }
        }
        if written < symbols.len() / BLOCK {
            if w.pos + room(BLOCK) > len {
                return written * BLOCK;
            }
            // SAFETY: as above.
            unsafe { write(w, &quads[written & 1], buf) };
            written += 1;
        }
        let rest = blocks.remainder();
        if w.pos + room(rest.len()) > len {
            return written * BLOCK;
        }
        for &s in rest {
            w.put(table.codes[usize::from(s)]);
            // SAFETY: the rest's room is left, checked just above.
            unsafe { w.flush(buf) };
        }
        symbols.len()
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

    /// A packer under test.
    type Packer = for<'o> fn(&[u8], &CodeTable, &'o mut [MaybeUninit<u8>]) -> &'o mut [u8];

    /// Bytes either side of the packed bytes, which a packer must leave alone.
    const GUARD: usize = 24;

    /// Packs `symbols` with `packer` into the middle of a buffer and checks that the bytes
    /// around it keep their value.
    fn pack_guarded(packer: Packer, symbols: &[u8], table: &CodeTable) -> Vec<u8> {
        let mut hist = [0u32; SYMBOLS];
        for &s in symbols {
            hist[usize::from(s)] += 1;
        }
        let len = packed_len(&hist, table);
        let mut buf = vec![MaybeUninit::new(0xA5u8); len + 2 * GUARD];
        let packed = packer(symbols, table, &mut buf[GUARD..GUARD + len]).to_vec();
        for (i, b) in buf.iter().enumerate() {
            if !(GUARD..GUARD + len).contains(&i) {
                // SAFETY: the buffer was made of initialized bytes.
                assert_eq!(
                    unsafe { b.assume_init() },
                    0xA5,
                    "byte {i} outside the output"
                );
            }
        }
        packed
    }

    #[test]
    fn matches_a_bitwise_writer_for_every_group_size() {
        // Complete codes with lengths 1..=longest and two of the longest: 4, 3, 2 and 1 codes
        // a flush, and the AVX-512 packer's longest (14) and below. The counts cross its
        // 64-symbol blocks, the 192-symbol steps and the end of the straight stores.
        // The symbols are spread over all four quarters of the byte range (each a table
        // register of the AVX-512 packer).
        for longest in [13u8, 14, 18, 28, 31, 32] {
            let symbol = |i: u32| ((i * 19 + 5 * u32::from(longest)) % SYMBOLS as u32) as u8;
            let mut lengths = [UNUSED_LEN; SYMBOLS];
            for (i, len) in (1..=longest).enumerate() {
                lengths[usize::from(symbol(i as u32))] = len;
            }
            lengths[usize::from(symbol(u32::from(longest)))] = longest;
            let table = CodeTable::from_lengths(lengths);
            let mut seed = 7u32;
            for n in (0..200).chain([383, 384, 385, 4095, 4096, 4097, 9000]) {
                let symbols: Vec<u8> = (0..n)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        symbol((seed >> 24) % (u32::from(longest) + 1))
                    })
                    .collect();
                let out = pack_guarded(pack, &symbols, &table);
                let want = pack_reference(&symbols, &table);
                assert_eq!(out, want, "longest {longest}, {n} symbols");
                let portable = pack_guarded(pack_portable, &symbols, &table);
                assert_eq!(portable, out, "longest {longest}, {n} symbols, portable");
                #[cfg(target_arch = "x86_64")]
                if wide::fits(&table) && wide::available() {
                    // SAFETY: the CPU passed `wide::available`.
                    let wide: Packer = |s, t, o| unsafe { wide::pack(s, t, o) };
                    let vector = pack_guarded(wide, &symbols, &table);
                    assert_eq!(vector, out, "longest {longest}, {n} symbols, AVX-512");
                }
            }
        }
    }

    #[test]
    fn an_output_of_another_length_is_refused() {
        let mut lengths = [UNUSED_LEN; SYMBOLS];
        lengths[..4].copy_from_slice(&[1, 2, 3, 3]);
        let table = CodeTable::from_lengths(lengths);
        let symbols: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 4) as u8).collect();
        let fits = pack_guarded(pack, &symbols, &table).len();
        for len in [0, 4, fits - 4, fits + 4, fits * 2] {
            let mut out = vec![MaybeUninit::new(0u8); len];
            let packed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pack(&symbols, &table, &mut out);
            }));
            assert!(packed.is_err(), "{len} bytes for {fits}");
        }
    }
}
