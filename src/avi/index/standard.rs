//! OpenDML standard indexes (`ix##`, the lower tier): one per stream per `movi` segment, each in
//! an [`IndexSlot`] sized for more entries than it holds, so that checkpoints append entries in
//! place instead of writing an index chunk each time.

use super::entry::{IndexEntry, INDEX_WRITE_BUFFER};
use super::super_index::SuperEntry;
use crate::avi::constants::*;
use crate::riff::{chunk_header, FourCc, RiffTree, CHUNK_HEADER_LEN};

/// Zeros for the unused room of index slots, handed out in pieces of this size.
static ZEROS: [u8; INDEX_WRITE_BUFFER] = [0; INDEX_WRITE_BUFFER];

/// Entries the first slot of a stream in a segment has room for: small recordings stay small,
/// and a slot that fills up is replaced by one twice as large.
pub(super) const MIN_SLOT_ENTRIES: usize = 64;

/// A stream's standard index in the current `movi` segment: an `ix##` chunk at `at` with room
/// for `capacity` entries, of which `used` are written. The chunk's size always covers the whole
/// room and `nEntriesInUse` says how many entries are valid, so the chunk can be skipped by its
/// size at any moment, and appending is two writes that each leave a consistent file: the
/// entries into the room, then the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct IndexSlot {
    /// File position of the `ix##` chunk header.
    pub at: u64,
    pub capacity: usize,
    pub used: usize,
    /// Stream ticks the used entries cover (frames for video, blocks or frames for audio).
    pub duration: u64,
}

impl IndexSlot {
    /// The slot at `at` that takes over from `old` (`None`: the stream's first in the segment)
    /// when `count` more entries arrive: sized exactly for a segment that is ending (`last`),
    /// otherwise with room for as many entries again, and at least [`MIN_SLOT_ENTRIES`].
    pub fn successor(old: Option<IndexSlot>, count: usize, at: u64, last: bool) -> IndexSlot {
        let used = old.map_or(0, |s| s.used) + count;
        let capacity = if last {
            used
        } else {
            (2 * used).max(MIN_SLOT_ENTRIES)
        };
        IndexSlot {
            at,
            capacity,
            used,
            duration: old.map_or(0, |s| s.duration),
        }
    }

    /// Bytes a slot with room for `capacity` entries occupies, chunk header included.
    pub fn len(capacity: usize) -> u64 {
        CHUNK_HEADER_LEN + (STANDARD_INDEX_HEADER_LEN + capacity * STANDARD_INDEX_ENTRY_LEN) as u64
    }

    /// Entries that still fit.
    pub fn room(&self) -> usize {
        self.capacity - self.used
    }

    /// File position of entry `n`: just past a slot of `n` entries.
    pub fn entry_at(&self, n: usize) -> u64 {
        self.at + Self::len(n)
    }

    /// File position of the `nEntriesInUse` field.
    pub fn count_at(&self) -> u64 {
        self.at + CHUNK_HEADER_LEN + INDEX_ENTRIES_IN_USE_AT as u64
    }

    /// The super index entry that points at this slot.
    pub fn super_entry(&self) -> SuperEntry {
        SuperEntry {
            offset: self.at,
            size: Self::len(self.capacity) as u32,
            duration: u32::try_from(self.duration).unwrap_or(u32::MAX),
        }
    }

    /// The chunk header and standard index header that open the slot of stream `stream` (data
    /// chunks `chunk_id`); `base` is the file position of the segment's `movi` fourcc, which
    /// entry offsets are relative to.
    pub fn head(&self, stream: usize, chunk_id: FourCc, base: u64) -> Vec<u8> {
        let index_id = FourCc::for_stream(stream, PREFIX_STANDARD_INDEX, true);
        // The size covers the whole room, not just this head.
        let body = STANDARD_INDEX_HEADER_LEN + self.capacity * STANDARD_INDEX_ENTRY_LEN;
        let mut t = RiffTree::new();
        t.bytes(&chunk_header(index_id, body as u32))
            .u16(STANDARD_INDEX_LONGS_PER_ENTRY)
            .bytes(&[0, AVI_INDEX_OF_CHUNKS]) // bIndexSubType, bIndexType
            .u32(self.used as u32)
            .fourcc(chunk_id)
            .u64(base)
            .u32(0); // dwReserved
        t.into_bytes()
    }
}

/// Streams standard index entries for `entries` through `emit` in bounded pieces, then
/// `unused` entries' worth of zeros (a slot's free room).
pub(super) fn write_standard_entries<E>(
    entries: impl Iterator<Item = IndexEntry>,
    unused: usize,
    mut emit: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut buf = Vec::with_capacity(INDEX_WRITE_BUFFER);
    for e in entries {
        if buf.len() + STANDARD_INDEX_ENTRY_LEN > INDEX_WRITE_BUFFER {
            emit(&buf)?;
            buf.clear();
        }
        // Offsets point at the payload, past the chunk header.
        let data_offset = e.offset + CHUNK_HEADER_LEN as u32;
        let size = if e.keyframe() {
            e.size
        } else {
            e.size | STANDARD_INDEX_DELTA_FRAME
        };
        buf.extend_from_slice(&data_offset.to_le_bytes());
        buf.extend_from_slice(&size.to_le_bytes());
    }
    if !buf.is_empty() {
        emit(&buf)?;
    }
    let mut zeros = unused * STANDARD_INDEX_ENTRY_LEN;
    while zeros > 0 {
        let piece = zeros.min(ZEROS.len());
        emit(&ZEROS[..piece])?;
        zeros -= piece;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_one_ix_chunk_covering_its_room_with_the_used_count() {
        let slot = IndexSlot {
            at: 5000,
            capacity: 4,
            used: 2,
            duration: 2,
        };
        let entries = [
            IndexEntry::new(4, 10, 0, true),
            IndexEntry::new(22, 3, 1, true),
            IndexEntry::new(34, 5, 0, false),
        ];
        let mut out = slot.head(0, FourCc::new(*b"00dc"), 1000);
        let ours = entries.iter().copied().filter(|e| e.stream() == 0);
        write_standard_entries::<()>(ours, slot.room(), |b| {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        assert_eq!(out.len() as u64, IndexSlot::len(4));
        assert_eq!(&out[..4], b"ix00");
        assert_eq!(
            &out[4..8],
            &(24u32 + 4 * 8).to_le_bytes(),
            "size covers the room"
        );
        assert_eq!(&out[12..16], &2u32.to_le_bytes(), "nEntriesInUse");
        assert_eq!(&out[20..28], &1000u64.to_le_bytes());
        assert_eq!(&out[32..40], &[12, 0, 0, 0, 10, 0, 0, 0]);
        assert_eq!(&out[40..44], &42u32.to_le_bytes());
        assert_eq!(&out[44..48], &(5u32 | 0x8000_0000).to_le_bytes());
        assert!(out[48..].iter().all(|&b| b == 0));
        assert_eq!(slot.entry_at(2), 5000 + 48);
        assert_eq!(slot.count_at(), 5012);
        assert_eq!(slot.super_entry().size, 64);
    }
}
