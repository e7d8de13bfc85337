//! Strict structural inspection of an AVI file, ours or not: RIFF and LIST sizes, padding,
//! chunk ids per stream type, header counts against counted chunks, `idx1`, `indx` and `ix##`
//! entries against the chunks they point at, PCM block alignment and DIB sizes. The first fault
//! is reported with its byte offset. Payloads are never read.

use super::reader::{
    data_chunk_stream, data_chunk_suffix, fault, fourcc_at, is_movi_housekeeping,
    is_standard_index, le16, le32, le64, parse_header, DataChunk, ParsedHeader, Source,
};
use super::FileReport;
use crate::avi::constants::*;
use crate::error::Result;
use crate::format::{StreamFormat, WAVE_FORMAT_PCM};
use crate::riff::{padded_len, FourCc, CHUNK_HEADER_LEN, LIST_HEADER_LEN};
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::Path;

/// One RIFF segment: where its `movi` data lies and where its `idx1` is.
struct Segment {
    /// Position of the `LIST movi` header.
    movi: u64,
    movi_end: u64,
    idx1: Option<(u64, u32)>,
}

impl Segment {
    /// Position of the `movi` fourcc: the base of idx1 offsets.
    fn idx1_base(&self) -> u64 {
        self.movi + CHUNK_HEADER_LEN
    }
}

/// Checks `path` strictly and summarizes it.
///
/// # Errors
/// [`crate::Status::InvalidArgument`] naming the first fault and its offset;
/// [`crate::Status::Io`] when the file cannot be read.
pub fn inspect_file(path: &Path) -> Result<FileReport> {
    inspect_source(&Source::open(path)?)
}

/// [`inspect_file`] on an open source.
pub(crate) fn inspect_source(src: &Source) -> Result<FileReport> {
    let header = parse_header(src)?;
    check_header_values(&header)?;
    let segments = walk_riffs(src)?;
    let mut chunks = Vec::new();
    for (riff, seg) in segments.iter().enumerate() {
        walk_movi(
            src,
            &header,
            riff,
            seg.movi + LIST_HEADER_LEN,
            seg.movi_end,
            &mut chunks,
            false,
        )?;
    }
    check_counts(&header, &chunks)?;
    if let Some((idx1_at, idx1_size)) = segments[0].idx1 {
        check_idx1(src, &segments[0], idx1_at, idx1_size, &chunks)?;
    }
    for (stream, parsed) in header.streams.iter().enumerate() {
        if let Some((indx, indx_size)) = parsed.indx {
            let expected: Vec<&DataChunk> =
                chunks.iter().filter(|c| c.stream() == stream).collect();
            let mut walk = IndexWalk {
                next: 0,
                visited: HashSet::new(),
            };
            let index = IndexChunk {
                at: indx,
                size: indx_size,
                standard: false,
            };
            check_super_index(src, index, stream, &expected, &mut walk)?;
            let next = walk.next;
            if next != expected.len() {
                return Err(fault(
                    indx,
                    format!(
                        "the OpenDML index of stream {stream} lists {next} of its {} chunks",
                        expected.len()
                    ),
                ));
            }
        }
    }
    Ok(FileReport::summarize(
        &header,
        &chunks,
        segments.len(),
        0,
        false,
    ))
}

/// The top-level RIFFs: `AVI ` first, then `AVIX`, sizes inside the file, nothing after them.
fn walk_riffs(src: &Source) -> Result<Vec<Segment>> {
    let mut segments = Vec::new();
    let mut at = 0;
    while at < src.len() {
        let (id, size) = src
            .chunk_header(at)?
            .ok_or_else(|| fault(at, "trailing bytes after the last RIFF"))?;
        let end = at + CHUNK_HEADER_LEN + u64::from(size);
        if id != RIFF {
            return Err(fault(at, format!("expected RIFF, found {id}")));
        }
        if end > src.len() {
            return Err(fault(
                at,
                format!("RIFF of {size} bytes runs past the end of the file (truncated)"),
            ));
        }
        let form = src.list_form(at)?;
        let expected = if segments.is_empty() {
            FORM_AVI
        } else {
            FORM_AVIX
        };
        if form != expected {
            return Err(fault(
                at + CHUNK_HEADER_LEN,
                format!(
                    "RIFF form {:?}, expected {:?}",
                    String::from_utf8_lossy(&form.0),
                    String::from_utf8_lossy(&expected.0)
                ),
            ));
        }
        segments.push(walk_riff_body(src, at + LIST_HEADER_LEN, end)?);
        at = padded_len(end);
    }
    if segments.is_empty() {
        return Err(fault(0, "the file is empty"));
    }
    if at != src.len() {
        return Err(fault(src.len(), "the last RIFF's pad byte is missing"));
    }
    Ok(segments)
}

fn walk_riff_body(src: &Source, start: u64, end: u64) -> Result<Segment> {
    let mut movi = None;
    let mut idx1 = None;
    let mut at = start;
    while at < end {
        let (id, size, body_end) = src.chunk_within(at, end, "its RIFF")?;
        let holds_form = u64::from(size) >= LIST_HEADER_LEN - CHUNK_HEADER_LEN;
        if id == LIST && holds_form && src.list_form(at)? == LIST_MOVI {
            movi = Some((at, body_end));
        } else if id == CK_IDX1 {
            idx1 = Some((at + CHUNK_HEADER_LEN, size));
        }
        at = padded_len(body_end);
    }
    if at != end && at != padded_len(end) {
        return Err(fault(end, "the last chunk of a RIFF overruns it"));
    }
    let (movi, movi_end) = movi.ok_or_else(|| fault(start, "a RIFF without a movi list"))?;
    Ok(Segment {
        movi,
        movi_end,
        idx1,
    })
}

fn walk_movi(
    src: &Source,
    header: &ParsedHeader,
    riff: usize,
    start: u64,
    end: u64,
    chunks: &mut Vec<DataChunk>,
    nested: bool,
) -> Result<()> {
    let mut at = start;
    while at < end {
        let (id, size, body_end) = src.chunk_within(at, end, "its movi list")?;
        if id == LIST {
            // AVI 1.0 'rec ' lists group chunks inside movi; they do not nest.
            if nested {
                return Err(fault(at, "a LIST inside a 'rec ' list in movi"));
            }
            walk_movi(
                src,
                header,
                riff,
                at + LIST_HEADER_LEN,
                body_end,
                chunks,
                true,
            )?;
        } else if let Some(stream) = data_chunk_stream(id) {
            check_data_chunk(header, at, id, size, stream)?;
            chunks.push(DataChunk::new(at, size, stream, riff));
        } else if id == CK_INDX {
            return Err(fault(
                at,
                "a nested index-of-indexes in movi (GStreamer, VLC and MPlayer do not follow it)",
            ));
        } else if !is_movi_housekeeping(id) {
            return Err(fault(
                at,
                format!(
                    "unexpected chunk {id} in movi (a missing pad byte shifts every later chunk)"
                ),
            ));
        }
        at = padded_len(body_end);
    }
    Ok(())
}

fn check_data_chunk(
    header: &ParsedHeader,
    at: u64,
    id: FourCc,
    size: u32,
    stream: usize,
) -> Result<()> {
    let parsed = header.streams.get(stream).ok_or_else(|| {
        fault(
            at,
            format!(
                "chunk {id} names stream {stream}, but the file has {}",
                header.streams.len()
            ),
        )
    })?;
    match &parsed.spec.format {
        StreamFormat::Video(v) => {
            if !matches!(
                data_chunk_suffix(id),
                SUFFIX_UNCOMPRESSED_VIDEO | SUFFIX_COMPRESSED_VIDEO
            ) {
                return Err(fault(
                    at,
                    format!("video stream {stream} has a chunk {id}: expected ##db or ##dc"),
                ));
            }
            if v.fourcc.is_none() && size != 0 && Some(size) != v.image_size() {
                return Err(fault(
                    at,
                    format!(
                        "uncompressed frame of {size} bytes; a {}x{} {}-bit DIB is {} bytes",
                        v.width,
                        v.height,
                        v.bits_per_pixel,
                        v.image_size().unwrap_or(0)
                    ),
                ));
            }
        }
        StreamFormat::Audio(a) => {
            if data_chunk_suffix(id) != SUFFIX_AUDIO {
                return Err(fault(
                    at,
                    format!("audio stream {stream} has a chunk {id}: expected ##wb"),
                ));
            }
            if a.format_tag == WAVE_FORMAT_PCM
                && a.block_align > 0
                && !size.is_multiple_of(u32::from(a.block_align))
            {
                return Err(fault(
                    at,
                    format!(
                        "PCM chunk of {size} bytes is not a multiple of nBlockAlign {}",
                        a.block_align
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_counts(header: &ParsedHeader, chunks: &[DataChunk]) -> Result<()> {
    let mut longest_video = 0u64;
    for (stream, parsed) in header.streams.iter().enumerate() {
        let own = chunks.iter().filter(|c| c.stream() == stream);
        let count = own.clone().count() as u64;
        let bytes: u64 = own.map(|c| u64::from(c.size)).sum();
        let expected = match &parsed.spec.format {
            StreamFormat::Video(_) => {
                longest_video = longest_video.max(count);
                count
            }
            StreamFormat::Audio(_) if parsed.header.sample_size > 0 => {
                bytes / u64::from(parsed.header.sample_size)
            }
            StreamFormat::Audio(_) => count,
        };
        if u64::from(parsed.header.length) != expected {
            return Err(fault(
                0,
                format!(
                    "strh.dwLength of stream {stream} is {} but the file holds {expected}",
                    parsed.header.length
                ),
            ));
        }
    }
    if let Some(dmlh) = header.dmlh_total_frames {
        let has_video = header.streams.iter().any(|s| s.spec.is_video());
        if has_video && u64::from(dmlh) != longest_video {
            return Err(fault(0, format!("dmlh.dwTotalFrames is {dmlh} but the longest video stream has {longest_video} frames")));
        }
    }
    Ok(())
}

fn check_idx1(src: &Source, seg: &Segment, at: u64, size: u32, chunks: &[DataChunk]) -> Result<()> {
    if !(size as usize).is_multiple_of(IDX1_ENTRY_LEN) {
        return Err(fault(
            at,
            format!("idx1 of {size} bytes is not a whole number of {IDX1_ENTRY_LEN}-byte entries"),
        ));
    }
    let first_riff: Vec<&DataChunk> = chunks.iter().filter(|c| c.in_first_riff).collect();
    let entries = size as usize / IDX1_ENTRY_LEN;
    if entries != first_riff.len() {
        return Err(fault(
            at,
            format!(
                "idx1 has {entries} entries for {} chunks in the first movi",
                first_riff.len()
            ),
        ));
    }
    src.for_each_entry(at, entries, IDX1_ENTRY_LEN, |e, entry_at, b| {
        let chunk = first_riff[e];
        let (offset, entry_size) = (le32(b, IDX1_CHUNK_OFFSET_AT), le32(b, IDX1_CHUNK_LENGTH_AT));
        if entry_size & STANDARD_INDEX_DELTA_FRAME != 0 {
            return Err(fault(
                entry_at,
                "an idx1 size has bit 31 set (that flag belongs to OpenDML indexes)",
            ));
        }
        if seg.idx1_base() + u64::from(offset) != chunk.at {
            return Err(fault(
                entry_at,
                format!(
                    "idx1 entry {e} points at byte {}, but chunk {e} of the first movi is at {}",
                    seg.idx1_base() + u64::from(offset),
                    chunk.at
                ),
            ));
        }
        if fourcc_at(b, 0) != src.fourcc(chunk.at)? || entry_size != chunk.size {
            return Err(fault(
                entry_at,
                format!("idx1 entry {e} does not match the id or size of its chunk"),
            ));
        }
        Ok(ControlFlow::Continue(()))
    })
}

/// Progress through a stream's OpenDML indexes.
struct IndexWalk {
    /// The stream's next chunk an index entry must point at.
    next: usize,
    /// Standard indexes already read: one listed twice is a fault.
    visited: HashSet<u64>,
}

/// Header values no reader can use: a stream count that is not the number of stream lists, a
/// stream rate or scale of 0 (its timing divides by both), an audio block size of 0 (chunk
/// sizes and sample counts divide by it).
fn check_header_values(header: &ParsedHeader) -> Result<()> {
    let lists = header.streams.len();
    if header.avih_streams as usize != lists {
        return Err(fault(
            header.avih_at,
            format!(
                "avih dwStreams is {}, but the header has {lists} stream lists",
                header.avih_streams
            ),
        ));
    }
    for (stream, parsed) in header.streams.iter().enumerate() {
        for (field, value) in [
            ("dwScale", parsed.header.scale),
            ("dwRate", parsed.header.rate),
        ] {
            if value == 0 {
                return Err(fault(
                    parsed.header.at,
                    format!("strh {field} of stream {stream} is 0"),
                ));
            }
        }
        if let StreamFormat::Audio(a) = &parsed.spec.format {
            if a.block_align == 0 {
                return Err(fault(
                    parsed.header.at,
                    format!("strf nBlockAlign of audio stream {stream} is 0"),
                ));
            }
        }
    }
    Ok(())
}

/// An `indx` or `ix##` chunk body: where it starts, how many bytes its chunk header gives it
/// (every count inside is bounded by this before anything is read), and whether it is one of
/// the standard indexes a super index points at.
#[derive(Clone, Copy)]
struct IndexChunk {
    at: u64,
    size: u32,
    standard: bool,
}

impl IndexChunk {
    /// Checks that the header's `nEntriesInUse` entries of `entry_len` bytes fit the chunk.
    fn entries_fit(&self, in_use: u32, entry_len: usize) -> Result<usize> {
        let room = (self.size as usize).saturating_sub(SUPER_INDEX_HEADER_LEN) / entry_len;
        let in_use = in_use as usize;
        if in_use > room {
            return Err(fault(
                self.at,
                format!(
                    "index nEntriesInUse {in_use} does not fit its chunk of {} bytes (room for \
                     {room} entries)",
                    self.size
                ),
            ));
        }
        Ok(in_use)
    }
}

/// Checks an index body: the header's super index, whose entries must point at `ix##`
/// standard indexes (the two tiers of OpenDML 1.02 that every reader follows), or one of those
/// standard indexes, against the stream's chunks in order.
fn check_super_index(
    src: &Source,
    index: IndexChunk,
    stream: usize,
    expected: &[&DataChunk],
    walk: &mut IndexWalk,
) -> Result<()> {
    let IndexChunk { at, standard, .. } = index;
    if standard && !walk.visited.insert(at) {
        return Err(fault(at, "an OpenDML index is listed twice"));
    }
    if (index.size as usize) < SUPER_INDEX_HEADER_LEN {
        return Err(fault(
            at,
            format!(
                "an index chunk of {} bytes is shorter than its {SUPER_INDEX_HEADER_LEN}-byte \
                 header",
                index.size
            ),
        ));
    }
    let h = src.read(at, SUPER_INDEX_HEADER_LEN)?;
    let (longs, kind, in_use) = (
        le16(&h, 0),
        h[INDEX_TYPE_AT],
        le32(&h, INDEX_ENTRIES_IN_USE_AT),
    );
    match kind {
        AVI_INDEX_OF_INDEXES if standard => Err(fault(
            at,
            "a super index entry points at another index of indexes (GStreamer, VLC and \
             MPlayer do not follow nested indexes)",
        )),
        AVI_INDEX_OF_INDEXES => {
            if longs != SUPER_INDEX_LONGS_PER_ENTRY {
                return Err(fault(
                    at,
                    format!(
                        "super index with wLongsPerEntry {longs}, expected \
                         {SUPER_INDEX_LONGS_PER_ENTRY}"
                    ),
                ));
            }
            let in_use = index.entries_fit(in_use, SUPER_INDEX_ENTRY_LEN)?;
            let entries_at = at + SUPER_INDEX_HEADER_LEN as u64;
            src.for_each_entry(
                entries_at,
                in_use,
                SUPER_INDEX_ENTRY_LEN,
                |e, entry_at, entry| {
                    let target = le64(entry, 0);
                    let entry_size = le32(entry, SUPER_INDEX_ENTRY_SIZE_AT);
                    let (id, size) = src.chunk_header(target)?.ok_or_else(|| {
                        fault(
                            at,
                            format!("super index entry {e} points past the end of the file"),
                        )
                    })?;
                    if !is_standard_index(id) {
                        return Err(fault(
                            target,
                            format!("super index entry {e} points at {id}, not an ix## index"),
                        ));
                    }
                    // dwSize counts the index chunk with its header; some writers leave it out.
                    let with_header = size.saturating_add(CHUNK_HEADER_LEN as u32);
                    if entry_size != with_header && entry_size != size {
                        return Err(fault(
                            entry_at + SUPER_INDEX_ENTRY_SIZE_AT as u64,
                            format!(
                                "super index entry {e} gives dwSize {entry_size}, but its index \
                             chunk is {} bytes",
                                u64::from(size) + CHUNK_HEADER_LEN
                            ),
                        ));
                    }
                    let body = target + CHUNK_HEADER_LEN;
                    if body + u64::from(size) > src.len() {
                        return Err(fault(
                            target,
                            format!("{id} of {size} bytes runs past the end of the file"),
                        ));
                    }
                    let standard_index = IndexChunk {
                        at: body,
                        size,
                        standard: true,
                    };
                    check_super_index(src, standard_index, stream, expected, walk)?;
                    Ok(ControlFlow::Continue(()))
                },
            )
        }
        AVI_INDEX_OF_CHUNKS if standard => {
            if longs != STANDARD_INDEX_LONGS_PER_ENTRY {
                return Err(fault(
                    at,
                    format!(
                        "standard index with wLongsPerEntry {longs}, expected \
                         {STANDARD_INDEX_LONGS_PER_ENTRY}"
                    ),
                ));
            }
            let in_use = index.entries_fit(in_use, STANDARD_INDEX_ENTRY_LEN)?;
            let base = le64(&h, STANDARD_INDEX_BASE_OFFSET_AT);
            let entries_at = at + STANDARD_INDEX_HEADER_LEN as u64;
            src.for_each_entry(entries_at, in_use, STANDARD_INDEX_ENTRY_LEN, |e, entry_at, entry| {
                let (offset, size) = (
                    le32(entry, 0),
                    le32(entry, STANDARD_INDEX_ENTRY_SIZE_AT) & STANDARD_INDEX_SIZE_MASK,
                );
                let chunk = expected.get(walk.next).ok_or_else(|| {
                    fault(
                        entry_at,
                        format!("stream {stream}'s index has more entries than chunks"),
                    )
                })?;
                // Offsets point at the payload, past the chunk header.
                let data_at = chunk.at + CHUNK_HEADER_LEN;
                let points_at = base.checked_add(u64::from(offset));
                if points_at != Some(data_at) || size != chunk.size {
                    return Err(fault(entry_at, format!(
                        "ix entry {e} of stream {stream} points at byte {} with size {}, but its chunk {} is at {data_at} with size {}",
                        base.wrapping_add(u64::from(offset)),
                        size,
                        walk.next,
                        chunk.size
                    )));
                }
                walk.next += 1;
                Ok(ControlFlow::Continue(()))
            })
        }
        AVI_INDEX_OF_CHUNKS => Err(fault(
            at,
            "the header's indx is a standard index, expected a super index",
        )),
        other => Err(fault(at, format!("unknown bIndexType {other}"))),
    }
}
