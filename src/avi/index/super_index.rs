//! The per-stream super index (`indx`, OpenDML's upper tier) in the header: one entry per RIFF
//! segment the stream has chunks in, in slots reserved when the file starts.

use crate::avi::constants::*;
use crate::riff::{FourCc, RiffTree};

/// Default slots of each stream's `indx` in the header: one per RIFF segment the stream spans,
/// so 4608 segments of 1 GiB, more than 4 TiB (100 hours of anything up to 100 Mbit/s), for 72
/// KiB of header per stream. FFmpeg reserves 256 (256 GiB).
pub const DEFAULT_SUPER_INDEX_CAPACITY: usize = 4608;
/// Largest accepted super index capacity (1 MiB of header per stream).
pub const MAX_SUPER_INDEX_CAPACITY: usize = 65_536;

/// One super index entry: where a standard index is and how much stream time it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct SuperEntry {
    /// File position of the index chunk's header.
    pub offset: u64,
    /// Bytes of the index chunk, header included.
    pub size: u32,
    /// Stream ticks covered (frames for video, blocks or frames for audio).
    pub duration: u32,
}

/// A stream's super index: one entry per RIFF segment the stream has chunks in, each pointing
/// at that segment's standard index. The `indx` chunk in the header has `capacity` slots,
/// reserved when the file starts, so a full super index is a hard limit of the file.
#[derive(Debug, Clone)]
pub(in crate::avi) struct SuperIndex {
    capacity: usize,
    entries: Vec<SuperEntry>,
}

impl SuperIndex {
    /// An empty super index with `capacity` slots in the header.
    pub fn new(capacity: usize) -> SuperIndex {
        SuperIndex {
            capacity,
            entries: Vec::new(),
        }
    }

    /// Slots in the header.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether every slot is taken.
    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.capacity
    }

    /// Appends the entry of a new segment's standard index.
    pub(super) fn push(&mut self, entry: SuperEntry) {
        debug_assert!(!self.is_full());
        self.entries.push(entry);
    }

    /// Replaces the newest entry (the current segment's index moved or grew).
    pub(super) fn set_last(&mut self, entry: SuperEntry) {
        if let Some(last) = self.entries.last_mut() {
            *last = entry;
        }
    }

    /// Writes the header's `indx` chunk: every entry, oldest first, in `capacity` slots.
    pub fn write_header_chunk(&self, t: &mut RiffTree, chunk_id: FourCc) {
        t.begin_chunk(CK_INDX);
        t.u16(SUPER_INDEX_LONGS_PER_ENTRY)
            .bytes(&[0, AVI_INDEX_OF_INDEXES])
            .u32(self.entries.len() as u32)
            .fourcc(chunk_id)
            .zeros(12); // dwReserved[3]
        for e in &self.entries {
            t.u64(e.offset).u32(e.size).u32(e.duration);
        }
        t.zeros((self.capacity - self.entries.len()) * SUPER_INDEX_ENTRY_LEN);
        t.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_super_index_lists_every_entry_in_its_reserved_slots() {
        let mut s = SuperIndex::new(3);
        let entry = |offset| SuperEntry {
            offset,
            size: 64,
            duration: 1,
        };
        s.push(entry(100));
        s.push(entry(200));
        s.set_last(entry(300));
        assert!(!s.is_full());
        s.push(entry(400));
        assert!(s.is_full());
        let mut t = RiffTree::new();
        s.write_header_chunk(&mut t, FourCc::new(*b"01wb"));
        let b = t.into_bytes();
        assert_eq!(b.len(), 8 + 24 + 3 * 16);
        assert_eq!(&b[12..16], &3u32.to_le_bytes());
        let offsets: Vec<u64> = (0..3)
            .map(|i| u64::from_le_bytes(b[32 + 16 * i..40 + 16 * i].try_into().unwrap()))
            .collect();
        assert_eq!(offsets, [100, 300, 400]);
    }
}
