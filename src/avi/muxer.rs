//! The muxer: lays data chunks into `movi` lists, splits the file into RIFF segments and writes
//! the header, at the start, at checkpoints and at the end. Everything index (entries, slots,
//! super indexes, `idx1`) it hands to [`super::index`]. It owns the sink and is driven by
//! exactly one thread (the writer's worker). Every write is either data (chunks, index chunks,
//! segment heads) or a pointer (a count, size or super index entry rewritten in place); pointers
//! are written only after a sync of the data they point at when the file is durable
//! ([`Durability`]).

use super::constants::*;
use super::durability::Durability;
use super::headers::{self, HeaderInputs, StreamTotals};
use super::index::{IndexEntry, Indexes, MAX_SUPER_INDEX_CAPACITY};
use super::info::InfoList;
use super::stream::{StreamSpec, MAX_STREAMS};
use crate::error::{Error, Result, Status};
use crate::format::{FrameRate, StreamFormat, MAX_CHUNK_SIZE};
use crate::riff::{
    chunk_header, padded_len, FourCc, Sink, WriteError, CHUNK_HEADER_LEN, LIST_HEADER_LEN,
};
use crate::scratch::recycle;

/// Default size at which a RIFF segment ends (1 GiB, where FFmpeg and GStreamer split too).
pub const DEFAULT_RIFF_LIMIT: u64 = 1 << 30;
/// Largest accepted segment limit: with one maximal chunk on top it still fits a 32-bit size.
const MAX_RIFF_LIMIT: u64 = 1 << 31;
/// Size field of an empty `LIST`: its form type only.
const EMPTY_LIST_SIZE: u32 = (LIST_HEADER_LEN - CHUNK_HEADER_LEN) as u32;

/// How a file is laid out.
#[derive(Debug, Clone)]
pub struct MuxerConfig {
    /// Video frame rate (also the unit of `avih.dwMicroSecPerFrame`).
    pub frame_rate: FrameRate,
    /// The streams, in stream-number order.
    pub streams: Vec<StreamSpec>,
    /// Write the legacy `idx1` after the first `movi`.
    pub emit_index1: bool,
    /// Bytes after which a RIFF segment ends and a new `RIFF AVIX` begins.
    pub riff_limit: u64,
    /// The header's INFO metadata.
    pub info: InfoList,
    /// Slots of each stream's `indx` in the header: the RIFF segments a stream can span. A
    /// chunk that would need one more is refused with [`Status::Limit`].
    pub super_index_capacity: usize,
    /// Whether checkpoints and the end of the file sync the sink, in order.
    pub durability: Durability,
}

impl MuxerConfig {
    /// Checks the limits and every stream.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] or [`Status::Limit`] naming the problem.
    pub fn validate(&self) -> Result<()> {
        if self.streams.len() > MAX_STREAMS {
            return Err(Error::new(
                Status::Limit,
                format!("an AVI file holds at most {MAX_STREAMS} streams"),
            ));
        }
        if !(64 * 1024..=MAX_RIFF_LIMIT).contains(&self.riff_limit) {
            return Err(Error::invalid_argument(format!(
                "riff_limit {} is outside 64 KiB..=2 GiB",
                self.riff_limit
            )));
        }
        if !(1..=MAX_SUPER_INDEX_CAPACITY).contains(&self.super_index_capacity) {
            return Err(Error::invalid_argument(format!(
                "super_index_capacity must be 1..={MAX_SUPER_INDEX_CAPACITY}"
            )));
        }
        self.streams.iter().try_for_each(StreamSpec::validate)
    }
}

/// One data chunk to write.
#[derive(Debug, Clone, Copy)]
pub struct ChunkWrite<'a> {
    /// Stream number.
    pub stream: usize,
    /// Marks the chunk as a keyframe in every index.
    pub keyframe: bool,
    /// The payload, written as is.
    pub data: &'a [u8],
}

/// A failed [`Muxer::write_chunks`]: chunks before `failed_at` are in the file, the rest are not.
#[derive(Debug)]
pub struct BatchError {
    /// Index of the first chunk that was not written.
    pub failed_at: usize,
    /// Why.
    pub error: Error,
}

/// The RIFF segment being filled.
#[derive(Debug)]
struct Segment {
    riff_start: u64,
    /// File position of the `movi` fourcc: base of idx1 and ix## offsets.
    movi_at: u64,
    first: bool,
}

/// Writes one AVI file. See the module docs.
pub struct Muxer {
    sink: TrackedSink,
    cfg: MuxerConfig,
    chunk_ids: Vec<FourCc>,
    header_len: u64,
    totals: Vec<StreamTotals>,
    indexes: Indexes,
    /// End of the data written so far: where the next chunk goes.
    pos: u64,
    segment: Segment,
    /// RIFF and movi size fields of the first RIFF once it has ended.
    first_riff_sizes: Option<(u32, u32)>,
    riff_count: u32,
    /// Whether a checkpoint has written the header since it was last changed.
    checkpointed: bool,
    /// End of the bytes a failed write left past `pos` (a chunk cut part-way), 0 when none:
    /// [`Muxer::finish`] covers them with `JUNK` so the file ends where its last RIFF does.
    torn_end: u64,
    /// Chunk headers and the gather list of the last vectored write, kept allocated.
    chunk_headers: Vec<[u8; 8]>,
    gather: Vec<&'static [u8]>,
}

/// The muxer's sink, knowing whether it was written since its last sync (so that a sync with
/// nothing to make durable is skipped).
struct TrackedSink {
    inner: Box<dyn Sink>,
    unsynced: bool,
}

impl Sink for TrackedSink {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> std::result::Result<(), WriteError> {
        self.unsynced = true;
        self.inner.write_at(offset, bufs)
    }

    fn flush(&mut self, durable: bool) -> std::io::Result<()> {
        self.inner.flush(durable)?;
        if durable {
            self.unsynced = false;
        }
        Ok(())
    }
}

static PAD: [u8; 1] = [0];

impl Muxer {
    /// Validates `cfg` and writes the initial header through `sink`.
    ///
    /// # Errors
    /// Validation errors from [`MuxerConfig::validate`]; [`Status::Io`] when the sink fails.
    pub fn start(sink: Box<dyn Sink>, cfg: MuxerConfig) -> Result<Muxer> {
        cfg.validate()?;
        let chunk_ids = cfg
            .streams
            .iter()
            .enumerate()
            .map(|(i, s)| s.chunk_id(i))
            .collect();
        let n = cfg.streams.len();
        let mut muxer = Muxer {
            sink: TrackedSink {
                inner: sink,
                unsynced: false,
            },
            chunk_ids,
            header_len: 0,
            totals: vec![StreamTotals::default(); n],
            indexes: Indexes::new(&cfg.streams, cfg.super_index_capacity),
            cfg,
            chunk_headers: Vec::new(),
            gather: Vec::new(),
            pos: 0,
            segment: Segment {
                riff_start: 0,
                movi_at: 0,
                first: true,
            },
            first_riff_sizes: None,
            riff_count: 1,
            checkpointed: false,
            torn_end: 0,
        };
        let header = muxer.header_bytes();
        muxer.header_len = header.len() as u64;
        // The header ends with the first `movi` fourcc.
        muxer.segment.movi_at = muxer.header_len - (LIST_HEADER_LEN - CHUNK_HEADER_LEN);
        muxer.sink_write(0, &[&header], "writing the AVI header")?;
        muxer.pos = muxer.header_len;
        Ok(muxer)
    }

    /// RIFF segments started so far (1 = plain AVI 1.0 so far).
    pub fn riff_count(&self) -> u32 {
        self.riff_count
    }

    fn sink_write(&mut self, offset: u64, bufs: &[&[u8]], what: &str) -> Result<()> {
        self.sink
            .write_at(offset, bufs)
            .map_err(|e| Error::io(what, e.error))
    }

    fn header_bytes(&self) -> Vec<u8> {
        let (first_riff_size, first_movi_size) =
            self.first_riff_sizes.unwrap_or((0, EMPTY_LIST_SIZE));
        headers::build(&HeaderInputs {
            frame_rate: self.cfg.frame_rate,
            streams: &self.cfg.streams,
            totals: &self.totals,
            super_indexes: self.indexes.super_indexes(),
            info: &self.cfg.info,
            has_idx1: self.cfg.emit_index1,
            first_riff_size,
            first_movi_size,
        })
    }

    /// Whether the current segment ends with an `idx1`: the first one, when the file has one.
    fn segment_has_idx1(&self) -> bool {
        self.segment.first && self.cfg.emit_index1
    }

    /// Writes chunks back to back with as few vectored writes as the segment layout allows,
    /// starting new RIFF segments when the current one would pass the limit.
    ///
    /// # Errors
    /// [`BatchError`] telling which chunks landed; the muxer's counts and indexes include exactly
    /// those, so the file can still be finalized. [`Status::Limit`] for a chunk that would need
    /// more super index entries than the header holds.
    pub fn write_chunks(
        &mut self,
        chunks: &[ChunkWrite<'_>],
    ) -> std::result::Result<(), BatchError> {
        let mut start = 0;
        while start < chunks.len() {
            let mut end = start;
            let mut planned = self.pos;
            let mut refused = None;
            // Streams whose first chunk in this segment is among the planned ones.
            let mut opened = 0u128;
            while let Some(c) = chunks.get(end) {
                if c.stream >= self.cfg.streams.len() || c.data.len() > MAX_CHUNK_SIZE {
                    refused = Some(Error::invalid_argument(
                        "chunk for an unknown stream or over 2 GiB",
                    ));
                    break;
                }
                let total = CHUNK_HEADER_LEN + padded_len(c.data.len() as u64);
                let entries = self.indexes.segment_chunks() + (end - start) + 1;
                let index_cost = self.indexes.cost(entries, self.segment_has_idx1());
                let grown = planned + total + index_cost - self.segment.riff_start;
                let segment_empty = self.indexes.segment_chunks() == 0 && end == start;
                if grown > self.cfg.riff_limit && !segment_empty {
                    break;
                }
                if opened & (1 << c.stream) == 0 {
                    refused = self.indexes.unindexable(c.stream);
                    if refused.is_some() {
                        break;
                    }
                    opened |= 1 << c.stream;
                }
                planned += total;
                end += 1;
            }
            if end > start {
                self.write_planned(&chunks[start..end])
                    .map_err(|(landed, error)| BatchError {
                        failed_at: start + landed,
                        error,
                    })?;
            }
            if let Some(error) = refused {
                return Err(BatchError {
                    failed_at: end,
                    error,
                });
            }
            if end == start {
                self.next_segment().map_err(|error| BatchError {
                    failed_at: start,
                    error,
                })?;
            }
            start = end;
        }
        Ok(())
    }

    /// One vectored write of chunks that all fit in the current segment, then their bookkeeping.
    /// On failure, the chunks wholly written before it are in the file (and its indexes) and
    /// the error names how many: `(chunks written, error)`.
    fn write_planned(
        &mut self,
        chunks: &[ChunkWrite<'_>],
    ) -> std::result::Result<(), (usize, Error)> {
        self.chunk_headers.clear();
        self.chunk_headers.extend(
            chunks
                .iter()
                .map(|c| chunk_header(self.chunk_ids[c.stream], c.data.len() as u32)),
        );
        let mut bufs: Vec<&[u8]> = recycle(std::mem::take(&mut self.gather));
        for (c, h) in chunks.iter().zip(&self.chunk_headers) {
            bufs.push(h);
            bufs.push(c.data);
            if c.data.len() % 2 == 1 {
                bufs.push(&PAD);
            }
        }
        let start = self.pos;
        let outcome = self.sink.write_at(start, &bufs);
        self.gather = recycle(bufs);
        let (landed, failure) = match outcome {
            Ok(()) => (chunks.len(), None),
            Err(e) => {
                // The chunks whose bytes all reached the sink before the failure count as
                // written; the one the failure cut, and those after it, do not.
                let mut end = 0;
                let whole = chunks
                    .iter()
                    .take_while(|c| {
                        end += CHUNK_HEADER_LEN + padded_len(c.data.len() as u64);
                        end <= e.written
                    })
                    .count();
                self.torn_end = self.torn_end.max(start + e.written);
                (whole, Some(Error::io("writing chunks", e.error)))
            }
        };
        for c in &chunks[..landed] {
            self.record_landed(c.stream, c.data.len() as u32, c.keyframe);
        }
        failure.map_or(Ok(()), |error| Err((landed, error)))
    }

    /// Indexes and counts a chunk of `size` bytes just written at `pos`, and moves past it.
    fn record_landed(&mut self, stream: usize, size: u32, keyframe: bool) {
        let offset = (self.pos - self.segment.movi_at) as u32;
        // An empty frame (a capture gap) repeats the picture before it: never a keyframe.
        let keyframe = size > 0 && (keyframe || !self.needs_keyframe_flags(stream));
        self.indexes
            .record(IndexEntry::new(offset, size, stream, keyframe));
        let t = &mut self.totals[stream];
        t.chunks += 1;
        if self.segment.first {
            t.chunks_in_first_riff += 1;
        }
        t.bytes += u64::from(size);
        t.max_chunk = t.max_chunk.max(size);
        self.pos += CHUNK_HEADER_LEN + padded_len(u64::from(size));
    }

    /// Writes `bytes` of a chunk at `at`; on failure the bytes that landed count as torn.
    fn write_piece(&mut self, at: u64, bytes: &[u8]) -> Result<()> {
        self.sink.write_at(at, &[bytes]).map_err(|e| {
            self.torn_end = self.torn_end.max(at + e.written);
            Error::io("writing chunks", e.error)
        })
    }

    /// Writes one chunk of `len` bytes whose payload is too large to hold at once (repair
    /// copies chunks of up to 2 GiB): `fill(offset, piece)` fills `piece` with the payload
    /// bytes from `offset`, and each piece is written before the next is asked for. The file
    /// gets the bytes [`Muxer::write_chunks`] would write for the whole payload.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for an unknown stream or a chunk over 2 GiB,
    /// [`Status::Limit`] when the stream's super index is full, errors of `fill`, and
    /// [`Status::Io`] when the sink fails (the chunk then does not count as written).
    pub fn write_chunk_in_pieces(
        &mut self,
        stream: usize,
        keyframe: bool,
        len: usize,
        piece: &mut [u8],
        fill: &mut dyn FnMut(u64, &mut [u8]) -> Result<()>,
    ) -> Result<()> {
        if stream >= self.cfg.streams.len() || len > MAX_CHUNK_SIZE || piece.is_empty() {
            return Err(Error::invalid_argument(
                "chunk for an unknown stream or over 2 GiB",
            ));
        }
        let total = CHUNK_HEADER_LEN + padded_len(len as u64);
        let entries = self.indexes.segment_chunks() + 1;
        let grown = self.pos + total + self.indexes.cost(entries, self.segment_has_idx1())
            - self.segment.riff_start;
        if grown > self.cfg.riff_limit && self.indexes.segment_chunks() > 0 {
            self.next_segment()?;
        }
        if let Some(refused) = self.indexes.unindexable(stream) {
            return Err(refused);
        }
        let start = self.pos;
        let header = chunk_header(self.chunk_ids[stream], len as u32);
        self.write_piece(start, &header)?;
        let mut done = 0;
        while done < len {
            let n = piece.len().min(len - done);
            if let Err(e) = fill(done as u64, &mut piece[..n]) {
                // The header and pieces already written are covered at finish.
                self.torn_end = self.torn_end.max(start + CHUNK_HEADER_LEN + done as u64);
                return Err(e);
            }
            self.write_piece(start + CHUNK_HEADER_LEN + done as u64, &piece[..n])?;
            done += n;
        }
        if len % 2 == 1 {
            self.write_piece(start + CHUNK_HEADER_LEN + len as u64, &PAD)?;
        }
        self.record_landed(stream, len as u32, keyframe);
        Ok(())
    }

    /// Whether a stream has delta frames at all: uncompressed video and audio are all keyframes.
    fn needs_keyframe_flags(&self, stream: usize) -> bool {
        matches!(&self.cfg.streams[stream].format, StreamFormat::Video(v) if v.fourcc.is_some())
    }

    /// Ends the current segment and opens a `RIFF AVIX` + `LIST movi`.
    fn next_segment(&mut self) -> Result<()> {
        self.close_segment()?;
        let riff_start = self.pos;
        // Sizes of an empty segment, valid until the next checkpoint patches them: a file cut
        // before then ends with a well-formed RIFF, not one of size 0.
        let riff_size = (AVIX_HEAD_LEN - CHUNK_HEADER_LEN) as u32;
        let head = [
            &chunk_header(RIFF, riff_size)[..],
            &FORM_AVIX.0,
            &chunk_header(LIST, EMPTY_LIST_SIZE),
            &LIST_MOVI.0,
        ]
        .concat();
        debug_assert_eq!(head.len() as u64, AVIX_HEAD_LEN);
        self.sink_write(riff_start, &[&head], "starting an AVIX segment")?;
        self.pos += AVIX_HEAD_LEN;
        let movi_at = riff_start + LIST_HEADER_LEN + CHUNK_HEADER_LEN;
        self.segment = Segment {
            riff_start,
            movi_at,
            first: false,
        };
        self.indexes.start_segment();
        self.riff_count += 1;
        Ok(())
    }

    /// Patches the current segment's sizes: its `movi` list ends at `movi_end`, its RIFF at the
    /// current position; returns `(RIFF size, movi size)`.
    fn patch_segment_sizes(&mut self, movi_end: u64) -> Result<(u32, u32)> {
        let movi_size = (movi_end - self.segment.movi_at) as u32;
        let riff_size = (self.pos - self.segment.riff_start - CHUNK_HEADER_LEN) as u32;
        let riff_size_at = self.segment.riff_start + 4;
        let movi_size_at = self.segment.movi_at - 4;
        if self.segment.first {
            // Far apart: the header rewrite that follows writes both again.
            self.sink_write(
                movi_size_at,
                &[&movi_size.to_le_bytes()],
                "patching a movi size",
            )?;
            self.sink_write(
                riff_size_at,
                &[&riff_size.to_le_bytes()],
                "patching a RIFF size",
            )?;
        } else {
            // `RIFF size AVIX LIST size movi`: one write, so that a power cut cannot leave a movi
            // list that ends past its RIFF (VLC then stops early), only both or neither.
            debug_assert_eq!(movi_size_at, riff_size_at + 12);
            let mut sizes = [0u8; 16];
            sizes[..4].copy_from_slice(&riff_size.to_le_bytes());
            sizes[4..8].copy_from_slice(&FORM_AVIX.0);
            sizes[8..12].copy_from_slice(&LIST.0);
            sizes[12..].copy_from_slice(&movi_size.to_le_bytes());
            self.sink_write(riff_size_at, &[&sizes], "patching a segment's sizes")?;
        }
        Ok((riff_size, movi_size))
    }

    /// Completes the segment's standard indexes (and, for the first segment, writes `idx1`
    /// after its `movi`), syncs when durable, then writes the entry counts and patches its
    /// sizes: `movi` ends before `idx1`, the RIFF after it.
    fn close_segment(&mut self) -> Result<()> {
        self.indexes
            .write_standard(&mut self.sink, &mut self.pos, self.segment.movi_at, true)?;
        let movi_end = self.pos;
        if self.segment_has_idx1() {
            self.indexes.write_idx1(&mut self.sink, &mut self.pos)?;
        }
        self.sync_if(self.durable())?;
        self.write_entry_counts()?;
        let sizes = self.patch_segment_sizes(movi_end)?;
        if self.segment.first {
            self.first_riff_sizes = Some(sizes);
        }
        self.indexes.end_segment();
        Ok(())
    }

    /// Whether every checkpoint syncs.
    fn durable(&self) -> bool {
        self.cfg.durability == Durability::Checkpoints
    }

    /// Syncs the sink when `durable` and something was written since the last sync.
    fn sync_if(&mut self, durable: bool) -> Result<()> {
        if durable && self.sink.unsynced {
            self.sink
                .flush(true)
                .map_err(|e| Error::io("syncing to stable storage", e))?;
        }
        Ok(())
    }

    /// Writes the entry counts of standard indexes that got entries in place.
    fn write_entry_counts(&mut self) -> Result<()> {
        self.indexes.write_entry_counts(&mut self.sink)
    }

    /// Rewrites the header in place, syncs when `durable`, then turns the standard index slots
    /// it no longer points at into `JUNK` (in this order, so a file cut at any moment has a
    /// valid index).
    fn rewrite_header(&mut self, durable: bool) -> Result<()> {
        let header = self.header_bytes();
        debug_assert_eq!(header.len() as u64, self.header_len);
        self.sink_write(0, &[&header], "rewriting the AVI header")?;
        self.sync_if(durable)?;
        self.indexes.retire_stale_slots(&mut self.sink)
    }

    /// Makes everything written so far readable without finishing the file: indexes the new
    /// chunks (in the `ix##` slots of the current `movi`), patches the open segment's sizes and
    /// rewrites the header's counts and super indexes. Costs O(new chunks + header), amortized,
    /// never the whole index. A file cut after a checkpoint plays up to it; with
    /// [`Durability::Checkpoints`], also after a power cut (see [`Muxer::flush`]).
    ///
    /// # Errors
    /// [`Status::Io`] when the sink fails.
    pub fn checkpoint(&mut self) -> Result<()> {
        self.checkpoint_synced_if(self.durable())
    }

    /// A checkpoint; when `durable`, the data and index entries are synced before the counts,
    /// sizes and header that point at them are written, and those are synced before replaced
    /// index slots become `JUNK`; everything is synced on return.
    fn checkpoint_synced_if(&mut self, durable: bool) -> Result<()> {
        if !(self.indexes.all_indexed() && self.checkpointed) {
            self.indexes.write_standard(
                &mut self.sink,
                &mut self.pos,
                self.segment.movi_at,
                false,
            )?;
            self.sync_if(durable)?;
            self.write_entry_counts()?;
            let sizes = self.patch_segment_sizes(self.pos)?;
            if self.segment.first {
                self.first_riff_sizes = Some(sizes);
            }
            self.rewrite_header(durable)?;
            self.checkpointed = true;
        }
        self.sync_if(durable)
    }

    /// A checkpoint, then the data pushed towards its destination; durable (`durable`, or
    /// [`Durability::Checkpoints`]): synced in order, so that everything written so far
    /// survives a power cut once this returns.
    ///
    /// # Errors
    /// [`Status::Io`].
    pub fn flush(&mut self, durable: bool) -> Result<()> {
        let durable = durable || self.durable();
        self.checkpoint_synced_if(durable)?;
        if durable {
            Ok(())
        } else {
            self.push()
        }
    }

    /// Pushes buffered data towards the destination without syncing.
    fn push(&mut self) -> Result<()> {
        self.sink.flush(false).map_err(|e| Error::io("flushing", e))
    }

    /// Ends the last segment, rewrites the header with the final counts and flushes, with a
    /// sync last when durable (in the order of [`Muxer::checkpoint`]). The sink is released
    /// (closed) when this returns, whatever the outcome.
    ///
    /// # Errors
    /// [`Status::Io`] when the sink fails.
    pub fn finish(mut self) -> Result<()> {
        if self.torn_end > self.pos {
            let size = (self.torn_end - self.pos).saturating_sub(CHUNK_HEADER_LEN);
            let junk = chunk_header(CK_JUNK, size as u32);
            self.sink_write(self.pos, &[&junk], "covering a torn chunk")?;
            self.pos += CHUNK_HEADER_LEN + padded_len(size);
        }
        self.close_segment()?;
        let durable = self.durable();
        self.rewrite_header(durable)?;
        if durable {
            self.sync_if(true)
        } else {
            self.push()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::VideoFormat;
    use crate::riff::WriteError;
    use std::sync::{Arc, Mutex};

    /// A sink into memory that the test reads once the muxer has finished.
    struct Memory(Arc<Mutex<Vec<u8>>>);

    impl Sink for Memory {
        fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> std::result::Result<(), WriteError> {
            let mut file = self.0.lock().unwrap();
            let mut at = offset as usize;
            for buf in bufs {
                if file.len() < at + buf.len() {
                    file.resize(at + buf.len(), 0);
                }
                file[at..at + buf.len()].copy_from_slice(buf);
                at += buf.len();
            }
            Ok(())
        }

        fn flush(&mut self, _durable: bool) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The file of `chunks` (length and fill byte, keyframe every third), each written whole
    /// or, with `piece`, in pieces of that many bytes.
    fn file_of(chunks: &[(usize, u8)], piece: Option<usize>) -> Vec<u8> {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let cfg = MuxerConfig {
            frame_rate: FrameRate { num: 25, den: 1 },
            streams: vec![StreamSpec {
                format: StreamFormat::Video(VideoFormat::compressed(16, 16, FourCc::new(*b"XVID"))),
                name: None,
            }],
            emit_index1: true,
            riff_limit: 64 << 10,
            info: InfoList::empty(),
            super_index_capacity: 16,
            durability: Durability::None,
        };
        let mut muxer = Muxer::start(Box::new(Memory(Arc::clone(&bytes))), cfg).unwrap();
        for (n, &(len, fill)) in chunks.iter().enumerate() {
            let data = vec![fill; len];
            let keyframe = n % 3 == 0;
            match piece {
                None => muxer
                    .write_chunks(&[ChunkWrite {
                        stream: 0,
                        keyframe,
                        data: &data,
                    }])
                    .unwrap(),
                Some(piece) => muxer
                    .write_chunk_in_pieces(0, keyframe, len, &mut vec![0; piece], &mut |at, buf| {
                        buf.copy_from_slice(&data[at as usize..at as usize + buf.len()]);
                        Ok(())
                    })
                    .unwrap(),
            }
        }
        muxer.finish().unwrap();
        let file = bytes.lock().unwrap().clone();
        file
    }

    #[test]
    fn a_chunk_written_in_pieces_gives_the_bytes_of_a_whole_one() {
        // Odd sizes (a pad byte), chunks larger than a segment, and segment changes.
        let chunks = [
            (10, 1),
            (70_001, 2),
            (3, 3),
            (40_000, 4),
            (0, 5),
            (150_000, 6),
            (7, 7),
        ];
        let whole = file_of(&chunks, None);
        for piece in [1, 4096, 65_536, 200_000] {
            assert!(file_of(&chunks, Some(piece)) == whole, "pieces of {piece}");
        }
    }
}
