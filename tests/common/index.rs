//! The AVI 1.0 index (`idx1`) checked against a walked file's data chunks, and the keyframe
//! flags that `idx1` and the `ix00` standard indexes record.

use super::riff::{first, le32, walk, Chunk, DataChunk};

/// Checks that the `idx1` of `bytes` lists exactly the data chunks of the first `movi` list, in
/// order, with their ids, offsets (relative to the `movi` fourcc) and sizes. Returns the flags
/// of every entry; panics on a mismatch.
pub fn check_idx1(bytes: &[u8], chunks: &[Chunk], data: &[DataChunk]) -> Vec<u32> {
    let idx1 = first(chunks, b"idx1");
    assert_eq!(idx1.size % 16, 0, "idx1 size is not a multiple of 16");
    let first_movi: Vec<&DataChunk> = data.iter().filter(|d| d.movi == 0).collect();
    assert_eq!(
        idx1.size / 16,
        first_movi.len(),
        "idx1 entries vs data chunks of the first movi"
    );
    let mut flags = Vec::with_capacity(first_movi.len());
    for (i, d) in first_movi.iter().enumerate() {
        let at = idx1.offset + i * 16;
        let id: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
        assert_eq!(id, d.id, "idx1 entry {i}: id");
        assert_eq!(
            le32(bytes, at + 8) as usize,
            d.offset - 8 - d.movi_at,
            "idx1 entry {i}: offset"
        );
        assert_eq!(
            le32(bytes, at + 12) as usize,
            d.size,
            "idx1 entry {i}: size"
        );
        flags.push(le32(bytes, at + 4));
    }
    flags
}

/// The keyframe flag of every entry of stream 0, as `idx1` and as the `ix00` standard indexes
/// record it.
pub fn index_keyframes(bytes: &[u8]) -> (Vec<bool>, Vec<bool>) {
    let chunks = walk(bytes);
    let idx1 = first(&chunks, b"idx1");
    let from_idx1 = (0..idx1.size / 16)
        .filter(|e| &bytes[idx1.offset + e * 16..idx1.offset + e * 16 + 2] == b"00")
        .map(|e| le32(bytes, idx1.offset + e * 16 + 4) & 0x10 != 0)
        .collect();
    let mut from_ix = Vec::new();
    for ix in chunks.iter().filter(|c| &c.id == b"ix00") {
        let count = le32(bytes, ix.offset + 4) as usize;
        for e in 0..count {
            from_ix.push(le32(bytes, ix.offset + 24 + e * 8 + 4) & 0x8000_0000 == 0);
        }
    }
    (from_idx1, from_ix)
}
