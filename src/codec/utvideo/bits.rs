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
    out.resize(w.pos + 8, 0);
    // SAFETY: `out` has 8 bytes at `pos` (resized just above).
    unsafe { w.flush(out.as_mut_ptr()) };
    // The last partial byte (its low bits are zero), then zero bytes up to a whole word.
    let bits = (w.pos - start) * 8 + w.pending as usize;
    let len = bits.div_ceil(32) * 4;
    out.truncate(start + len);
    for word in out[start..].chunks_exact_mut(4) {
        let v = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        word.copy_from_slice(&v.to_le_bytes());
    }
    len
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
        while bits.len() % 32 != 0 {
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
        // a flush.
        for longest in [13u8, 18, 28, 31] {
            let mut lengths = [UNUSED_LEN; SYMBOLS];
            for (s, len) in (1..=longest).enumerate() {
                lengths[s] = len;
            }
            lengths[usize::from(longest)] = longest;
            let table = CodeTable::from_lengths(lengths);
            let mut seed = 7u32;
            for n in (0..200).chain([4095, 4096, 4097, 9000]) {
                let symbols: Vec<u8> = (0..n)
                    .map(|_| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        ((seed >> 24) % (u32::from(longest) + 1)) as u8
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
            }
        }
    }
}
