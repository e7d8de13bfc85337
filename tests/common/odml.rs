//! The OpenDML 1.02 two-tier index as every reader knows it, checked in a closed file's bytes.

use super::riff::{le32, walk, Chunk};

fn le64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

fn is_data_id(id: &[u8; 4]) -> bool {
    id[0].is_ascii_digit() && id[1].is_ascii_digit() && matches!(&id[2..], b"db" | b"dc" | b"wb")
}

/// The file's RIFF segments, at least `min_riffs`: each stream's super index lists one
/// standard index per segment (`assert_two_tier_index`). Returns how many segments.
pub fn assert_one_index_per_segment(bytes: &[u8], min_riffs: usize) -> usize {
    let riffs = walk(bytes).iter().filter(|c| &c.id == b"RIFF").count();
    assert!(riffs >= min_riffs, "{riffs} RIFF segments");
    let entries = assert_two_tier_index(bytes);
    assert!(
        entries.iter().all(|&e| e == riffs),
        "{entries:?} for {riffs} segments"
    );
    riffs
}

/// Asserts that `bytes` (a finished file) holds only data chunks, `ix##`, `JUNK` and
/// `LIST 'rec '` inside every `movi`, and that each stream's header `indx` is a super index whose
/// entries all point at `ix##` standard indexes of that stream (never at nested indexes), which
/// together list exactly the stream's data chunks in file order; no other `ix##` is left in
/// `movi`. Returns, per stream, the
/// number of super index entries.
pub fn assert_two_tier_index(bytes: &[u8]) -> Vec<usize> {
    let chunks = walk(bytes);
    let movis: Vec<&Chunk> = chunks
        .iter()
        .filter(|c| &c.id == b"LIST" && c.form == Some(*b"movi"))
        .collect();
    // By the header: an empty chunk that ends a movi has its body offset at the movi's end.
    let in_movi = |c: &Chunk| {
        movis
            .iter()
            .any(|m| c.offset - 8 > m.offset && c.offset - 8 < m.offset + m.size)
    };
    let mut data: Vec<Vec<(usize, usize)>> = Vec::new();
    let mut standard_indexes = Vec::new();
    for c in chunks.iter().filter(|c| in_movi(c)) {
        let name = String::from_utf8_lossy(&c.id).into_owned();
        if is_data_id(&c.id) {
            let stream = usize::from(c.id[0] - b'0') * 10 + usize::from(c.id[1] - b'0');
            if data.len() <= stream {
                data.resize(stream + 1, Vec::new());
            }
            data[stream].push((c.offset, c.size));
        } else {
            let allowed = &c.id[..2] == b"ix"
                || &c.id == b"JUNK"
                || (&c.id == b"LIST" && c.form == Some(*b"rec "));
            assert!(allowed, "{name} at byte {} inside movi", c.offset - 8);
            if &c.id[..2] == b"ix" {
                standard_indexes.push(c.offset - 8);
            }
        }
    }
    let indexes: Vec<&Chunk> = chunks
        .iter()
        .filter(|c| &c.id == b"indx" && !in_movi(c))
        .collect();
    let mut entries_per_stream = Vec::new();
    let mut referenced = Vec::new();
    for (stream, indx) in indexes.iter().enumerate() {
        let at = indx.offset;
        assert_eq!(
            bytes[at + 3],
            0,
            "stream {stream}: the header indx is a super index"
        );
        let in_use = le32(bytes, at + 4) as usize;
        assert!(
            24 + 16 * in_use <= indx.size,
            "stream {stream}: entries fit the chunk"
        );
        let mut listed = Vec::new();
        for e in 0..in_use {
            let target = le64(bytes, at + 24 + 16 * e) as usize;
            let size = le32(bytes, at + 24 + 16 * e + 8) as usize;
            let id = &bytes[target..target + 4];
            assert_eq!(
                id,
                format!("ix{stream:02}").as_bytes(),
                "stream {stream}: super index entry {e} points at {:?}",
                String::from_utf8_lossy(id)
            );
            referenced.push(target);
            let ix_size = le32(bytes, target + 4) as usize;
            assert_eq!(
                size,
                ix_size + 8,
                "stream {stream}: entry {e} gives the ix size"
            );
            let ix = target + 8;
            assert_eq!(
                bytes[ix + 3],
                1,
                "stream {stream}: ix entry {e} indexes chunks"
            );
            let count = le32(bytes, ix + 4) as usize;
            assert!(
                24 + 8 * count <= ix_size,
                "stream {stream}: ix entries fit the chunk"
            );
            let base = le64(bytes, ix + 12) as usize;
            for k in 0..count {
                let offset = le32(bytes, ix + 24 + 8 * k) as usize;
                let size = le32(bytes, ix + 24 + 8 * k + 4) & 0x7FFF_FFFF;
                listed.push((base + offset, size as usize));
            }
        }
        let expected = data.get(stream).cloned().unwrap_or_default();
        assert_eq!(
            listed.len(),
            expected.len(),
            "stream {stream}: the indexes list every chunk once"
        );
        assert!(
            listed == expected,
            "stream {stream}: the indexes list the chunks in order"
        );
        entries_per_stream.push(in_use);
    }
    referenced.sort_unstable();
    assert_eq!(
        standard_indexes, referenced,
        "every ix## in movi is one the super indexes point at (replaced ones are JUNK)"
    );
    entries_per_stream
}
