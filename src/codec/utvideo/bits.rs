//! The bit data of a slice: code words written MSB first, in 32-bit little-endian words, the
//! last word padded with zero bits (decoders byte-swap each word and read MSB first).

use super::huffman::CodeTable;

/// The most bytes [`pack`] writes for `symbols` codes (31 bits each at most), plus the slack
/// its unconditional 8-byte stores need.
pub fn packed_capacity(symbols: usize) -> usize {
    (symbols * 31).div_ceil(32) * 4 + 8
}

/// Appends the codes of `symbols` to `out`, padded to a whole 32-bit word; returns the bytes
/// appended.
///
/// The 64-bit accumulator holds pending bits left-aligned; after each code, its high word is
/// stored whether or not it is complete, and the write position moves on only when it is.
/// The loop then has no data-dependent branch.
pub fn pack(symbols: &[u8], table: &CodeTable, out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.resize(start + packed_capacity(symbols.len()), 0);
    let buf = &mut out[start..];
    let mut acc: u64 = 0;
    let mut filled: u32 = 0;
    let mut pos = 0usize;
    for &s in symbols {
        let entry = table.packed[usize::from(s)];
        acc |= (entry & 0xffff_ffff_0000_0000) >> filled;
        filled += entry as u32 & 0xff;
        let word = ((acc >> 32) as u32).to_le_bytes();
        buf[pos..pos + 4].copy_from_slice(&word);
        let full = filled >> 5;
        pos += 4 * full as usize;
        acc <<= 32 * full;
        filled &= 31;
    }
    if filled > 0 {
        buf[pos..pos + 4].copy_from_slice(&((acc >> 32) as u32).to_le_bytes());
        pos += 4;
    }
    out.truncate(start + pos);
    pos
}

#[cfg(test)]
mod tests {
    use super::super::huffman::{CodeTable, SYMBOLS, UNUSED_LEN};
    use super::*;

    /// A bit-at-a-time reference writer.
    fn pack_reference(symbols: &[u8], table: &CodeTable) -> Vec<u8> {
        let mut bits: Vec<bool> = Vec::new();
        for &s in symbols {
            let entry = table.packed[usize::from(s)];
            let (word, len) = ((entry >> 32) as u32, entry as u8);
            for i in 0..len {
                bits.push(word >> (31 - i) & 1 == 1);
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
    fn matches_a_bitwise_writer() {
        let mut lengths = [UNUSED_LEN; SYMBOLS];
        // A complete code with lengths 1..=31 and two of 31.
        for (s, len) in (1..=31u8).enumerate() {
            lengths[s] = len;
        }
        lengths[31] = 31;
        let table = CodeTable::from_lengths(lengths);
        let mut seed = 7u32;
        for n in 0..200 {
            let symbols: Vec<u8> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    ((seed >> 24) % 32) as u8
                })
                .collect();
            let mut out = vec![0xAA];
            let written = pack(&symbols, &table, &mut out);
            assert_eq!(out.len(), 1 + written);
            assert_eq!(&out[1..], pack_reference(&symbols, &table), "{n} symbols");
        }
    }
}
