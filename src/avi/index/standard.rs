//! The three AVI indexes: the legacy `idx1`, OpenDML standard indexes (`ix##`, one per stream
//! per `movi` segment) and the per-stream `indx` super index in the header that points at them.
//!
//! This is the two-tier index of OpenDML 1.02 that every reader follows (GStreamer, VLC and
//! MPlayer follow nothing deeper). A standard index lives in an [`IndexSlot`]: an `ix##` chunk
//! sized for more entries than it holds, so that checkpoints append entries in place instead of
//! writing an index chunk each time. A slot that fills up is replaced by one twice as large at
//! the end of the data; the old one becomes `JUNK` once the header points at the new one.

use super::constants::*;
use crate::riff::{chunk_header, FourCc, RiffTree, CHUNK_HEADER_LEN};

/// One data chunk of the current `movi` segment, 12 bytes in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct IndexEntry {
    /// Position of the chunk header relative to the segment's `movi` fourcc.
    pub offset: u32,
    /// Payload bytes.
    pub size: u32,
    /// Stream number in the low 7 bits, keyframe flag in bit 7.
    stream_key: u8,
}

impl IndexEntry {
    const KEY_BIT: u8 = 0x80;

    pub fn new(offset: u32, size: u32, stream: usize, keyframe: bool) -> IndexEntry {
        debug_assert!(stream < 100);
        IndexEntry {
            offset,
            size,
            stream_key: stream as u8 | if keyframe { Self::KEY_BIT } else { 0 },
        }
    }

    pub fn stream(self) -> usize {
        usize::from(self.stream_key & !Self::KEY_BIT)
    }

    pub fn keyframe(self) -> bool {
        self.stream_key & Self::KEY_BIT != 0
    }
}

/// Bytes handed to `emit` at a time while streaming an index out.
const INDEX_WRITE_BUFFER: usize = 64 * 1024;

/// Zeros for the unused room of index slots, handed out in pieces of this size.
static ZEROS: [u8; INDEX_WRITE_BUFFER] = [0; INDEX_WRITE_BUFFER];

/// Streams the complete `idx1` chunk for `entries` through `emit` in bounded pieces.
/// `chunk_ids[s]` is the data chunk id of stream `s`.
pub(super) fn write_idx1<E>(
    entries: &[IndexEntry],
    chunk_ids: &[FourCc],
    mut emit: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let body = entries.len() * IDX1_ENTRY_LEN;
    let mut buf = Vec::with_capacity(INDEX_WRITE_BUFFER.min(body + CHUNK_HEADER_LEN as usize));
    buf.extend_from_slice(&chunk_header(CK_IDX1, body as u32));
    for e in entries {
        if buf.len() + IDX1_ENTRY_LEN > INDEX_WRITE_BUFFER {
            emit(&buf)?;
            buf.clear();
        }
        let flags = if e.keyframe() { AVIIF_KEYFRAME } else { 0 };
        buf.extend_from_slice(&chunk_ids[e.stream()].0);
        buf.extend_from_slice(&flags.to_le_bytes());
        buf.extend_from_slice(&e.offset.to_le_bytes());
        buf.extend_from_slice(&e.size.to_le_bytes());
    }
    emit(&buf)
}

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
pub(super) struct SuperIndex {
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

    /// Whether every slot is taken.
    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.capacity
    }

    /// Appends the entry of a new segment's standard index.
    pub fn push(&mut self, entry: SuperEntry) {
        debug_assert!(!self.is_full());
        self.entries.push(entry);
    }

    /// Replaces the newest entry (the current segment's index moved or grew).
    pub fn set_last(&mut self, entry: SuperEntry) {
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
    fn entry_packs_stream_and_keyframe() {
        let e = IndexEntry::new(100, 7, 99, true);
        assert_eq!((e.stream(), e.keyframe()), (99, true));
        let e = IndexEntry::new(100, 7, 3, false);
        assert_eq!((e.stream(), e.keyframe()), (3, false));
        assert_eq!(std::mem::size_of::<IndexEntry>(), 12);
    }

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

    #[test]
    fn idx1_and_large_slots_are_streamed_in_bounded_pieces() {
        let entries: Vec<_> = (0..10_000)
            .map(|i| IndexEntry::new(i * 16, 8, 0, i % 2 == 0))
            .collect();
        let mut pieces = 0;
        let mut out = Vec::new();
        write_idx1::<()>(&entries, &[FourCc::new(*b"00db")], |b| {
            assert!(b.len() <= INDEX_WRITE_BUFFER);
            pieces += 1;
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        assert!(pieces > 1);
        assert_eq!(out.len(), 8 + 16 * 10_000);
        assert_eq!(
            &out[8 + 16..8 + 32],
            &[b'0', b'0', b'd', b'b', 0, 0, 0, 0, 16, 0, 0, 0, 8, 0, 0, 0]
        );
        let mut total = 0;
        write_standard_entries::<()>(entries.iter().copied(), 20_000, |b| {
            assert!(b.len() <= INDEX_WRITE_BUFFER);
            total += b.len();
            Ok(())
        })
        .unwrap();
        assert_eq!(total, 8 * 30_000);
    }

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
