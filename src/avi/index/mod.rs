//! The file's indexes, and the one room that owns them: the legacy `idx1`, OpenDML standard
//! indexes (`ix##`, one per stream per `movi` segment) and the per-stream `indx` super index in
//! the header that points at them. The muxer lays chunks out and tells [`Indexes`] about each
//! one; [`Indexes`] keeps the index state (the segment's entries, each stream's slot, the super
//! indexes), decides where index chunks go and how large, writes them, and hands the header its
//! super indexes. To change how a file is indexed, start here.
//!
//! This is the two-tier index of OpenDML 1.02 that every reader follows (GStreamer, VLC and
//! MPlayer follow nothing deeper). A standard index lives in a slot: an `ix##` chunk sized for
//! more entries than it holds, so that checkpoints append entries in place instead of writing
//! an index chunk each time. A slot that fills up is replaced by one twice as large at the end
//! of the data; the old one becomes `JUNK` once the header points at the new one. `idx1` is
//! written once, after the first `movi`, when that segment ends.
//!
//! Entries go into a slot's free room first ([`Indexes::write_standard`]); its entry count is
//! written separately ([`Indexes::write_entry_counts`]), with the other counts and sizes, so the
//! muxer can sync the entries before anything points at them (see [`super::Durability`]).
//!
//! Inside, each module builds on the ones before it: `entry` (one chunk as the indexes see it)
//! <- `idx1`; `entry` and `super_index` <- `standard` (slots and their growth); this module
//! drives them all.

mod entry;
mod idx1;
mod standard;
mod super_index;

pub(super) use entry::IndexEntry;
pub(super) use super_index::SuperIndex;
pub use super_index::{DEFAULT_SUPER_INDEX_CAPACITY, MAX_SUPER_INDEX_CAPACITY};

use super::constants::*;
use super::stream::StreamSpec;
use crate::error::{Error, Result, Status};
use crate::format::StreamFormat;
use crate::riff::{FourCc, Sink, CHUNK_HEADER_LEN};
use standard::{write_standard_entries, IndexSlot, MIN_SLOT_ENTRIES};

/// Entries the segment's entry vector grows by at least: small recordings stay small.
const INDEX_GROWTH_MIN: usize = 4096;

/// Stream ticks one chunk of a stream covers, as standard and super indexes count durations.
#[derive(Debug, Clone, Copy)]
enum ChunkTicks {
    /// One: a video frame, or a frame of frame-based audio (MP3).
    One,
    /// The payload's blocks of this many bytes (PCM and other block-aligned audio).
    Blocks(u16),
}

impl ChunkTicks {
    fn of(spec: &StreamSpec) -> ChunkTicks {
        match &spec.format {
            StreamFormat::Video(_) => ChunkTicks::One,
            StreamFormat::Audio(a) if a.frame_samples().is_some() => ChunkTicks::One,
            StreamFormat::Audio(a) => ChunkTicks::Blocks(a.block_align),
        }
    }

    fn of_chunk(self, e: IndexEntry) -> u64 {
        match self {
            ChunkTicks::One => 1,
            ChunkTicks::Blocks(block_align) => u64::from(e.size) / u64::from(block_align),
        }
    }
}

/// Every index of one file being written: each stream's super index, the entries of the current
/// `movi` segment, each stream's standard index slot in that segment, and the slots that larger
/// ones replaced. Owned by the muxer, so used by the writer's worker thread only; it writes
/// through the sink the muxer lends it, and a failed write is [`Status::Io`].
#[derive(Debug)]
pub(super) struct Indexes {
    /// Each stream's data chunk id, which `idx1` entries and `ix##` heads name.
    chunk_ids: Vec<FourCc>,
    /// How each stream's chunks count in index durations.
    ticks: Vec<ChunkTicks>,
    super_indexes: Vec<SuperIndex>,
    /// The current segment's chunks, in file order.
    entries: Vec<IndexEntry>,
    /// Entries already in the streams' standard indexes (written at checkpoints).
    indexed: usize,
    /// Each stream's chunks in this segment.
    stream_chunks: Vec<usize>,
    /// Each stream's standard index in this segment, once a checkpoint has written one.
    slots: Vec<Option<IndexSlot>>,
    /// Standard index slots that were replaced by larger ones: they become `JUNK` once the
    /// header on disk points at their successors.
    stale_slots: Vec<u64>,
    /// Entry counts of slots that got entries in place, not yet written: `(file position of
    /// nEntriesInUse, count)`.
    unwritten_counts: Vec<(u64, u32)>,
}

impl Indexes {
    /// Empty indexes for `streams`, each super index with `super_index_capacity` slots.
    pub fn new(streams: &[StreamSpec], super_index_capacity: usize) -> Indexes {
        let n = streams.len();
        Indexes {
            chunk_ids: streams
                .iter()
                .enumerate()
                .map(|(i, s)| s.chunk_id(i))
                .collect(),
            ticks: streams.iter().map(ChunkTicks::of).collect(),
            super_indexes: vec![SuperIndex::new(super_index_capacity); n],
            entries: Vec::new(),
            indexed: 0,
            stream_chunks: vec![0; n],
            slots: vec![None; n],
            stale_slots: Vec::new(),
            unwritten_counts: Vec::new(),
        }
    }

    /// Every stream's super index, for the header's `indx` chunks.
    pub fn super_indexes(&self) -> &[SuperIndex] {
        &self.super_indexes
    }

    /// Data chunks recorded in the current segment.
    pub fn segment_chunks(&self) -> usize {
        self.entries.len()
    }

    /// Whether every recorded chunk is in its stream's standard index.
    pub fn all_indexed(&self) -> bool {
        self.indexed == self.entries.len()
    }

    /// Starts a new `movi` segment: no chunks and no standard index slots yet.
    pub fn start_segment(&mut self) {
        let n = self.chunk_ids.len();
        self.entries = Vec::new();
        self.indexed = 0;
        self.stream_chunks = vec![0; n];
        self.slots = vec![None; n];
    }

    /// Adds the entry of a chunk now in the file, growing the vector by an eighth rather than
    /// doubling it: the index is the one thing that grows with the recording, and doubling
    /// could leave it twice the size it needs (24 bytes a chunk instead of 12, just past a
    /// power of two).
    pub fn record(&mut self, entry: IndexEntry) {
        if self.entries.len() == self.entries.capacity() {
            self.entries
                .reserve_exact((self.entries.len() / 8).max(INDEX_GROWTH_MIN));
        }
        self.stream_chunks[entry.stream()] += 1;
        self.entries.push(entry);
    }

    /// Index bytes that `entries` chunks may still add to the current segment: a standard index
    /// slot per stream that may yet move to twice its entries (or [`MIN_SLOT_ENTRIES`]), and
    /// `idx1` when the segment ends with one (`with_idx1`). Bytes of slots already written are
    /// in the data.
    pub fn cost(&self, entries: usize, with_idx1: bool) -> u64 {
        let slots = (self.chunk_ids.len() as u64) * IndexSlot::len(MIN_SLOT_ENTRIES);
        let mut per_entry = 2 * STANDARD_INDEX_ENTRY_LEN as u64;
        let mut fixed = slots;
        if with_idx1 {
            per_entry += IDX1_ENTRY_LEN as u64;
            fixed += CHUNK_HEADER_LEN;
        }
        fixed + per_entry * entries as u64
    }

    /// A chunk that the file cannot index: the first of its stream in this segment when the
    /// stream's super index has no slot left.
    pub fn unindexable(&self, stream: usize) -> Option<Error> {
        let index = &self.super_indexes[stream];
        (self.stream_chunks[stream] == 0 && index.is_full()).then(|| {
            Error::new(
                Status::Limit,
                format!(
                    "stream {stream} spans {} RIFF segments, all its OpenDML super index holds \
                     (super_index_capacity)",
                    index.capacity()
                ),
            )
        })
    }

    /// Brings every stream's standard index up to date with the segment's chunks: new entries
    /// go into the stream's slot when they fit, otherwise the whole index moves to a new slot
    /// at `end`, the end of the data, which moves past it (`last`: sized exactly, for a segment
    /// that is ending). `movi_at` is the file position of the segment's `movi` fourcc. The
    /// entry counts of slots appended to wait for [`Indexes::write_entry_counts`].
    ///
    /// # Errors
    /// [`Status::Io`] when the sink fails.
    pub fn write_standard(
        &mut self,
        sink: &mut dyn Sink,
        end: &mut u64,
        movi_at: u64,
        last: bool,
    ) -> Result<()> {
        let n = self.chunk_ids.len();
        let mut counts = vec![0usize; n];
        let mut durations = vec![0u64; n];
        for &e in &self.entries[self.indexed..] {
            counts[e.stream()] += 1;
            durations[e.stream()] += self.ticks[e.stream()].of_chunk(e);
        }
        for stream in (0..n).filter(|&s| counts[s] > 0) {
            let slot = match self.slots[stream] {
                Some(slot) if slot.room() >= counts[stream] => {
                    self.append_to_slot(sink, stream, slot, counts[stream])?
                }
                old => {
                    let slot = IndexSlot::successor(old, counts[stream], *end, last);
                    self.move_to_new_slot(sink, stream, old, slot, movi_at)?;
                    *end += IndexSlot::len(slot.capacity);
                    slot
                }
            };
            let slot = IndexSlot {
                duration: slot.duration + durations[stream],
                ..slot
            };
            self.slots[stream] = Some(slot);
            self.super_indexes[stream].set_last(slot.super_entry());
        }
        self.indexed = self.entries.len();
        Ok(())
    }

    /// Writes the `count` unindexed entries of `stream` into the free room of its slot, and
    /// keeps the new count for [`Indexes::write_entry_counts`]: a reader sees the old entries
    /// or all of them, never a partial index.
    fn append_to_slot(
        &mut self,
        sink: &mut dyn Sink,
        stream: usize,
        slot: IndexSlot,
        count: usize,
    ) -> Result<IndexSlot> {
        let mut cursor = slot.entry_at(slot.used);
        let new = self.entries[self.indexed..]
            .iter()
            .copied()
            .filter(|e| e.stream() == stream);
        write_standard_entries(new, 0, |piece| {
            sink.write_at(cursor, &[piece]).map_err(|e| e.error)?;
            cursor += piece.len() as u64;
            Ok(())
        })
        .map_err(|e| Error::io("writing a standard index", e))?;
        let slot = IndexSlot {
            used: slot.used + count,
            ..slot
        };
        self.unwritten_counts
            .push((slot.count_at(), slot.used as u32));
        Ok(slot)
    }

    /// Writes the entry counts of the slots [`Indexes::write_standard`] appended to, which
    /// makes their new entries valid: call it once those entries (and the chunks they point
    /// at) are where they should be.
    ///
    /// # Errors
    /// [`Status::Io`] when the sink fails.
    pub fn write_entry_counts(&mut self, sink: &mut dyn Sink) -> Result<()> {
        for (at, used) in std::mem::take(&mut self.unwritten_counts) {
            sink.write_at(at, &[&used.to_le_bytes()])
                .map_err(|e| Error::io("updating a standard index", e.error))?;
        }
        Ok(())
    }

    /// Writes all of the segment's entries of `stream` into `slot`, which takes over from `old`.
    /// The slot it replaces stays an `ix##` until the header no longer points at it.
    fn move_to_new_slot(
        &mut self,
        sink: &mut dyn Sink,
        stream: usize,
        old: Option<IndexSlot>,
        slot: IndexSlot,
        movi_at: u64,
    ) -> Result<()> {
        let head = slot.head(stream, self.chunk_ids[stream], movi_at);
        let mut cursor = slot.at;
        let mut emit = |piece: &[u8]| -> std::io::Result<()> {
            sink.write_at(cursor, &[piece]).map_err(|e| e.error)?;
            cursor += piece.len() as u64;
            Ok(())
        };
        let entries = self
            .entries
            .iter()
            .copied()
            .filter(|e| e.stream() == stream);
        emit(&head)
            .and_then(|()| write_standard_entries(entries, slot.room(), emit))
            .map_err(|e| Error::io("writing a standard index", e))?;
        match old {
            Some(old) => self.stale_slots.push(old.at),
            None => self.super_indexes[stream].push(slot.super_entry()),
        }
        Ok(())
    }

    /// Writes `idx1` for every chunk of the segment at `end`, the end of the data, which moves
    /// past it.
    ///
    /// # Errors
    /// [`Status::Io`] when the sink fails.
    pub fn write_idx1(&self, sink: &mut dyn Sink, end: &mut u64) -> Result<()> {
        let mut cursor = *end;
        idx1::write_idx1(&self.entries, &self.chunk_ids, |piece| {
            sink.write_at(cursor, &[piece]).map_err(|e| e.error)?;
            cursor += piece.len() as u64;
            Ok(())
        })
        .map_err(|e| Error::io("writing idx1", e))?;
        *end = cursor;
        Ok(())
    }

    /// Lets go of the entries of a segment whose indexes are complete.
    pub fn end_segment(&mut self) {
        self.entries = Vec::new();
        self.indexed = 0;
    }

    /// Turns the standard index slots that larger ones replaced into `JUNK`. Call it once the
    /// header on disk points at their successors, so a file cut at any moment has a valid index.
    ///
    /// # Errors
    /// [`Status::Io`] when the sink fails.
    pub fn retire_stale_slots(&mut self, sink: &mut dyn Sink) -> Result<()> {
        for at in std::mem::take(&mut self.stale_slots) {
            sink.write_at(at, &[&CK_JUNK.0])
                .map_err(|e| Error::io("retiring a replaced standard index", e.error))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::entry::INDEX_WRITE_BUFFER;
    use super::idx1::write_idx1;
    use super::*;
    use crate::format::VideoFormat;

    #[test]
    fn the_index_grows_by_an_eighth_not_by_doubling() {
        let spec = StreamSpec {
            format: StreamFormat::Video(VideoFormat::dib(16, 16, 32)),
            name: None,
        };
        let mut indexes = Indexes::new(&[spec], 1);
        for n in 0..1_100_000u32 {
            indexes.record(IndexEntry::new(n, 1, 0, true));
            let len = indexes.entries.len();
            assert!(indexes.entries.capacity() <= len + (len / 8).max(INDEX_GROWTH_MIN));
        }
        // Just past 2^20 entries, where doubling would have reserved 2^21.
        let bytes = indexes.entries.capacity() * std::mem::size_of::<IndexEntry>();
        assert!(bytes as f64 / 1_100_000.0 <= 13.5, "{bytes} bytes");
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
}
