//! The three AVI indexes: the legacy `idx1`, OpenDML standard indexes (`ix##`, one per stream
//! per flush of a `movi` segment) and the per-stream `indx` super index that points at them.

use super::constants::*;
use crate::riff::{chunk_header, FourCc, RiffTree};

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

/// Streams the complete `idx1` chunk for `entries` through `emit` in bounded pieces.
/// `chunk_ids[s]` is the data chunk id of stream `s`.
pub(super) fn write_idx1<E>(
    entries: &[IndexEntry],
    chunk_ids: &[FourCc],
    mut emit: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let body = entries.len() * IDX1_ENTRY_LEN;
    let mut buf = Vec::with_capacity(INDEX_WRITE_BUFFER.min(body + 8));
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

/// Byte length of the `ix##` chunk (header included) for `count` entries.
pub(super) fn standard_index_len(count: usize) -> u64 {
    (8 + STANDARD_INDEX_HEADER_LEN + count * STANDARD_INDEX_ENTRY_LEN) as u64
}

/// Streams the `ix##` chunk of stream `stream` (data chunks `chunk_id`) through `emit`: one entry
/// for each of `entries` that belongs to the stream. `base` is the file position of the
/// segment's `movi` fourcc, which entry offsets are relative to.
pub(super) fn write_standard_index<E>(
    entries: &[IndexEntry],
    stream: usize,
    count: usize,
    chunk_id: FourCc,
    base: u64,
    mut emit: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let index_id = FourCc::for_stream(stream, PREFIX_STANDARD_INDEX, true);
    let body = STANDARD_INDEX_HEADER_LEN + count * STANDARD_INDEX_ENTRY_LEN;
    let mut buf = Vec::with_capacity(INDEX_WRITE_BUFFER.min(body + 8));
    buf.extend_from_slice(&chunk_header(index_id, body as u32));
    buf.extend_from_slice(&STANDARD_INDEX_LONGS_PER_ENTRY.to_le_bytes());
    buf.push(0); // bIndexSubType
    buf.push(AVI_INDEX_OF_CHUNKS);
    buf.extend_from_slice(&(count as u32).to_le_bytes());
    buf.extend_from_slice(&chunk_id.0);
    buf.extend_from_slice(&base.to_le_bytes());
    buf.extend_from_slice(&0u32.to_le_bytes()); // dwReserved
    for e in entries.iter().filter(|e| e.stream() == stream) {
        if buf.len() + STANDARD_INDEX_ENTRY_LEN > INDEX_WRITE_BUFFER {
            emit(&buf)?;
            buf.clear();
        }
        // Offsets point at the payload, past the 8-byte chunk header.
        let data_offset = e.offset + 8;
        let size = if e.keyframe() {
            e.size
        } else {
            e.size | STANDARD_INDEX_DELTA_FRAME
        };
        buf.extend_from_slice(&data_offset.to_le_bytes());
        buf.extend_from_slice(&size.to_le_bytes());
    }
    emit(&buf)
}

/// One super index entry: where an index chunk is and how much stream time it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct SuperEntry {
    /// File position of the index chunk's header.
    pub offset: u64,
    /// Bytes of the index chunk, header included.
    pub size: u32,
    /// Stream ticks covered (frames for video, blocks for audio).
    pub duration: u32,
}

/// A stream's super index, which never runs out: the `indx` chunk in the header has a fixed
/// number of slots, and when they are all taken the oldest entries are folded, `group` at a
/// time, into an index-of-indexes chunk written into the current `movi`, leaving one slot that
/// points at it. Folding repeats at higher levels, so a recording of any length fits.
#[derive(Debug, Clone)]
pub(super) struct SuperIndex {
    capacity: usize,
    group: usize,
    /// `levels[0]` points at standard indexes, `levels[n]` at level-`n-1` groups. Within a
    /// level entries are in time order, and every entry of a higher level is older than every
    /// entry of a lower one.
    levels: Vec<Vec<SuperEntry>>,
}

impl SuperIndex {
    /// An empty super index with `capacity` (at least 2) slots in the header.
    pub fn new(capacity: usize) -> SuperIndex {
        debug_assert!(capacity >= 2);
        SuperIndex {
            capacity,
            // Wide groups keep nesting shallow; tiny test capacities need pairs to go deep.
            group: if capacity >= 64 { 16 } else { 2 },
            levels: vec![Vec::new()],
        }
    }

    /// Appends an entry for a new standard index.
    pub fn push(&mut self, entry: SuperEntry) {
        self.levels[0].push(entry);
    }

    /// Adds the entry of a group written by the caller at `level` (as returned by
    /// [`SuperIndex::take_overflow`]).
    pub fn push_group(&mut self, level: usize, entry: SuperEntry) {
        if self.levels.len() <= level + 1 {
            self.levels.push(Vec::new());
        }
        // The group is newer than every entry already at the next level.
        self.levels[level + 1].push(entry);
    }

    fn in_use(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    /// When more entries exist than header slots, removes the oldest group that can be folded
    /// and returns its level and entries; the caller writes them with
    /// [`SuperIndex::group_chunk`] and reports the chunk with [`SuperIndex::push_group`].
    /// `Err(())` when no level has enough entries to fold (only with tiny test capacities).
    #[allow(clippy::result_unit_err)]
    pub fn take_overflow(&mut self) -> Result<Option<(usize, Vec<SuperEntry>)>, ()> {
        if self.in_use() <= self.capacity {
            return Ok(None);
        }
        let level = self
            .levels
            .iter()
            .position(|l| l.len() >= self.group)
            .ok_or(())?;
        let taken = self.levels[level].drain(..self.group).collect();
        Ok(Some((level, taken)))
    }

    /// The index-of-indexes chunk (header included) for a folded group, and its total duration.
    pub fn group_chunk(group: &[SuperEntry], chunk_id: FourCc) -> (Vec<u8>, u32) {
        let mut t = RiffTree::new();
        // Named `indx`, not `ix##`: MediaInfo loops forever on index-of-indexes named `ix##`.
        t.begin_chunk(CK_INDX);
        write_super_body(&mut t, group.iter().copied(), group.len(), chunk_id);
        t.end();
        let duration = group
            .iter()
            .map(|e| e.duration)
            .fold(0u32, u32::saturating_add);
        (t.into_bytes(), duration)
    }

    /// Writes the header's `indx` chunk: every live entry, oldest first, in `capacity` slots.
    pub fn write_header_chunk(&self, t: &mut RiffTree, chunk_id: FourCc) {
        let live = self.levels.iter().rev().flatten().copied();
        t.begin_chunk(CK_INDX);
        write_super_body(t, live, self.capacity, chunk_id);
        t.end();
    }
}

fn write_super_body(
    t: &mut RiffTree,
    entries: impl Iterator<Item = SuperEntry>,
    slots: usize,
    chunk_id: FourCc,
) {
    let header_at = t.len();
    t.u16(SUPER_INDEX_LONGS_PER_ENTRY)
        .bytes(&[0, AVI_INDEX_OF_INDEXES])
        .u32(0) // nEntriesInUse, patched below
        .fourcc(chunk_id)
        .zeros(12); // dwReserved[3]
    let mut used = 0u32;
    for e in entries.take(slots) {
        t.u64(e.offset).u32(e.size).u32(e.duration);
        used += 1;
    }
    t.zeros((slots - used as usize) * SUPER_INDEX_ENTRY_LEN);
    t.patch_u32(header_at + 4, used);
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
    fn standard_index_marks_delta_frames_and_points_at_data() {
        let entries = [
            IndexEntry::new(4, 10, 0, true),
            IndexEntry::new(22, 3, 1, true),
            IndexEntry::new(34, 5, 0, false),
        ];
        let mut out = Vec::new();
        write_standard_index::<()>(&entries, 0, 2, FourCc::new(*b"00dc"), 1000, |b| {
            out.extend_from_slice(b);
            Ok(())
        })
        .unwrap();
        assert_eq!(out.len() as u64, standard_index_len(2));
        assert_eq!(&out[..4], b"ix00");
        assert_eq!(&out[20..28], &1000u64.to_le_bytes());
        assert_eq!(&out[32..40], &[12, 0, 0, 0, 10, 0, 0, 0]);
        assert_eq!(&out[40..44], &42u32.to_le_bytes());
        assert_eq!(&out[44..48], &(5u32 | 0x8000_0000).to_le_bytes());
    }

    #[test]
    fn idx1_is_streamed_in_bounded_pieces() {
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
    }

    #[test]
    fn super_index_folds_oldest_entries_and_keeps_time_order() {
        let mut s = SuperIndex::new(4);
        let mut next_offset = 0;
        let mut folded = 0;
        for i in 0..20u64 {
            s.push(SuperEntry {
                offset: i * 100,
                size: 32,
                duration: 1,
            });
            while let Some((level, group)) = s.take_overflow().unwrap() {
                assert_eq!(group.len(), 2);
                folded += 1;
                next_offset += 1;
                let duration = group.iter().map(|e| e.duration).sum();
                s.push_group(
                    level,
                    SuperEntry {
                        offset: 1_000_000 + next_offset,
                        size: 64,
                        duration,
                    },
                );
            }
            assert!(s.in_use() <= 4);
            let total: u32 = s.levels.iter().flatten().map(|e| e.duration).sum();
            assert_eq!(total, i as u32 + 1, "every standard index stays reachable");
        }
        assert!(folded > 5);
    }
}
