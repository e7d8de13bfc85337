//! Repair: find every complete chunk of a file cut short (stopping cleanly at a torn one) and
//! write them again through the muxer, which rebuilds headers, `ix##`, `indx`, `idx1`, `dmlh`
//! and RIFF sizes. Payloads pass through one chunk at a time.

use super::inspect::inspect_source;
use super::reader::{
    data_chunk_stream, data_chunk_suffix, is_movi_housekeeping, is_standard_index, le32, le64,
    parse_header, require_regular, DataChunk, Source, READ_PIECE_LEN,
};
use super::FileReport;
use crate::avi::constants::*;
use crate::avi::{
    ChunkWrite, Durability, Muxer, MuxerConfig, StreamSpec, DEFAULT_RIFF_LIMIT,
    DEFAULT_SUPER_INDEX_CAPACITY, MAX_SUPER_INDEX_CAPACITY,
};
use crate::error::{Error, Result};
use crate::format::StreamFormat;
use crate::riff::{padded_len, FileSink, FourCc, Sink, CHUNK_HEADER_LEN, LIST_HEADER_LEN};
use std::ops::ControlFlow;
use std::path::Path;

/// Rebuilds `path` into `out_path` (or in place when `None`, through a temporary file of its
/// own, created exclusively in the same directory and renamed over it; it is removed if the
/// repair fails). Keeps every chunk that was completely written; refuses clearly when the header
/// itself is damaged.
///
/// # Errors
/// [`crate::Status::InvalidArgument`] when the header cannot be read or holds a format that
/// cannot be written again (an audio block size of 0): nothing to rebuild from;
/// when `out_path` is the input file itself (also through a link), or when either is not a
/// regular file; [`crate::Status::Io`] for file errors (a directory is one).
pub fn repair_file(path: &Path, out_path: Option<&Path>) -> Result<FileReport> {
    repair_file_with_progress(path, out_path, &mut |_, _| {})
}

/// [`repair_file`], calling `progress(bytes_copied, bytes_to_copy)` after each chunk.
///
/// # Errors
/// As [`repair_file`].
pub fn repair_file_with_progress(
    path: &Path,
    out_path: Option<&Path>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<FileReport> {
    let src = Source::open(path)?;
    let was_damaged = inspect_source(&src).is_err();
    // In place: a temporary file of our own next to the input, created exclusively under a
    // random name (never one someone could plant a link at), removed on every failure path
    // when `temp` is dropped, renamed over the input only once complete.
    let report = {
        let open_sink = || -> Result<(Box<dyn Sink>, Option<tempfile::TempPath>)> {
            match out_path {
                Some(out) => {
                    refuse_input_as_output(&src, path, out)?;
                    let sink = FileSink::create(out)
                        .map_err(|e| Error::io(&format!("cannot create {}", out.display()), e))?;
                    Ok((Box::new(sink), None))
                }
                None => {
                    let (file, temp) = temporary_beside(path)?;
                    Ok((Box::new(FileSink::from(file)), Some(temp)))
                }
            }
        };
        rebuild(&src, was_damaged, open_sink, progress)?
    };
    let (report, temp) = report;
    let permissions = src.permissions()?;
    // Windows cannot replace a file that is still open without shared delete access.
    drop(src);
    if let Some(temp) = temp {
        // The repaired file keeps the permissions of the one it replaces.
        std::fs::set_permissions(&temp, permissions)
            .map_err(|e| Error::io("setting the repaired file's permissions", e))?;
        temp.persist(path)
            .map_err(|e| Error::io("replacing the damaged file", e.error))?;
    }
    Ok(report)
}

/// Rebuilds `src` through the sink `open_sink` gives (asked for once the header has been read,
/// so that nothing is created for a file that cannot be repaired); returns the report and
/// whatever else `open_sink` returned with the sink.
pub(crate) fn rebuild<T>(
    src: &Source,
    was_damaged: bool,
    open_sink: impl FnOnce() -> Result<(Box<dyn Sink>, T)>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(FileReport, T)> {
    let header = parse_header(src).map_err(|e| {
        Error::invalid_argument(format!(
            "cannot repair: the header is damaged ({})",
            e.message()
        ))
    })?;
    let specs: Vec<StreamSpec> = header.streams.iter().map(|s| s.spec.clone()).collect();
    // The formats are written again as read: one the muxer would refuse (an audio block size
    // of 0, which chunk sizes are divided by) leaves nothing to rebuild with.
    for (stream, spec) in specs.iter().enumerate() {
        spec.validate().map_err(|e| {
            Error::invalid_argument(format!(
                "cannot repair: the format of stream {stream} is unusable ({})",
                e.message()
            ))
        })?;
    }
    let (chunks, delta_frames) = scan(src, header.first_movi, &specs)?;
    let (sink, kept) = open_sink()?;
    let cfg = MuxerConfig {
        frame_rate: header.frame_rate,
        streams: specs,
        emit_index1: true,
        riff_limit: DEFAULT_RIFF_LIMIT,
        super_index_capacity: super_index_capacity(&chunks),
        info: header.info.clone(),
        // The repaired file is on stable storage before it replaces the damaged one.
        durability: Durability::Checkpoints,
    };
    let mut muxer = Muxer::start(sink, cfg)?;
    let total: u64 = chunks.iter().map(|c| u64::from(c.size)).sum();
    let mut bytes = 0u64;
    // Payloads pass through one buffer of at most READ_PIECE_LEN bytes; a larger chunk is
    // copied piece by piece.
    let mut piece = Vec::new();
    for chunk in &chunks {
        let keyframe = delta_frames.is_keyframe(chunk.at);
        let data_at = chunk.at + CHUNK_HEADER_LEN;
        let len = chunk.size as usize;
        piece.resize(len.clamp(piece.len(), READ_PIECE_LEN), 0);
        if len <= READ_PIECE_LEN {
            src.read_into(data_at, &mut piece[..len])?;
            muxer
                .write_chunks(&[ChunkWrite {
                    stream: chunk.stream(),
                    keyframe,
                    data: &piece[..len],
                }])
                .map_err(|e| e.error)?;
        } else {
            muxer.write_chunk_in_pieces(
                chunk.stream(),
                keyframe,
                len,
                &mut piece,
                &mut |offset, buf| src.read_into(data_at + offset, buf),
            )?;
        }
        bytes += u64::from(chunk.size);
        progress(bytes, total);
    }
    let riff_count = muxer.riff_count();
    muxer.finish()?;
    let mut report =
        FileReport::summarize(&header, &chunks, riff_count as usize, bytes, was_damaged);
    report.riff_count = riff_count;
    Ok((report, kept))
}

/// A new temporary file in the directory of `path` (so that the rename stays on one file
/// system), with its path, which removes the file when dropped.
fn temporary_beside(path: &Path) -> Result<(std::fs::File, tempfile::TempPath)> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "repair".into(), |n| n.to_string_lossy().into_owned());
    let named = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".avikit-repair")
        .tempfile_in(dir)
        .map_err(|e| {
            Error::io(
                &format!("cannot create a temporary file in {}", dir.display()),
                e,
            )
        })?;
    Ok(named.into_parts())
}

/// Refuses an `out` path that names the input file itself (the same path, `./` or `..`
/// spellings, a hard or symbolic link): creating it would truncate the input before it is read.
/// An existing `out` must be a regular file (opening a FIFO for writing would block).
fn refuse_input_as_output(src: &Source, path: &Path, out: &Path) -> Result<()> {
    let existing = match std::fs::metadata(out) {
        Ok(existing) => existing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(&format!("cannot stat {}", out.display()), e)),
    };
    require_regular(out, &existing)?;
    if src.is_same_file(path, out, &existing)? {
        return Err(Error::invalid_argument(format!(
            "the output {} is the input {}: repairing a file into itself would destroy it (omit \
             the output to repair in place)",
            out.display(),
            path.display()
        )));
    }
    Ok(())
}

/// Positions of the chunks that surviving indexes mark as delta frames, sorted: 8 bytes a delta
/// frame and nothing for keyframes (any chunk no index marks is one).
struct DeltaFrames(Vec<u64>);

impl DeltaFrames {
    fn is_keyframe(&self, chunk_at: u64) -> bool {
        self.0.binary_search(&chunk_at).is_err()
    }
}

/// Walks from the first `movi` to the end of the data, ignoring list sizes (a crash leaves them
/// stale), and returns the complete data chunks in file order with the delta frames that
/// surviving indexes mark.
fn scan(
    src: &Source,
    first_movi: u64,
    streams: &[StreamSpec],
) -> Result<(Vec<DataChunk>, DeltaFrames)> {
    let mut chunks = Vec::new();
    let mut delta_frames = Vec::new();
    let mut riff = 0;
    let mut at = first_movi + LIST_HEADER_LEN;
    while let Some((id, size)) = src.chunk_header(at)? {
        let end = at + CHUNK_HEADER_LEN + u64::from(size);
        match id {
            RIFF => {
                if at + AVIX_HEAD_LEN > src.len() || src.list_form(at)? != FORM_AVIX {
                    break;
                }
                riff += 1;
                at += AVIX_HEAD_LEN; // RIFF AVIX + LIST movi headers
                continue;
            }
            LIST => {
                if at + LIST_HEADER_LEN > src.len() {
                    break;
                }
                at += LIST_HEADER_LEN; // descend into movi / rec lists
                continue;
            }
            _ => {}
        }
        if end > src.len() {
            break; // torn: its write did not complete
        }
        match data_chunk_stream(id) {
            // A chunk its stream cannot hold (damaged id or size) is left out.
            Some(stream) if streams.get(stream).is_some_and(|spec| fits(spec, id, size)) => {
                chunks.push(DataChunk::new(at, size, stream, riff))
            }
            Some(_) => {}
            None if is_standard_index(id) => {
                read_delta_frames(src, at + CHUNK_HEADER_LEN, size, &mut delta_frames)?;
            }
            None if is_movi_housekeeping(id) || id == CK_IDX1 => {}
            None => break, // not a chunk header: a torn write or garbage
        }
        at = padded_len(end);
    }
    delta_frames.sort_unstable();
    delta_frames.dedup();
    Ok((chunks, DeltaFrames(delta_frames)))
}

/// Super index room for every segment the rebuilt file will have (the source may have been
/// written with more than the default), counting segments as at least half full.
fn super_index_capacity(chunks: &[DataChunk]) -> usize {
    let total: u64 = chunks
        .iter()
        .map(|c| CHUNK_HEADER_LEN + u64::from(c.size))
        .sum();
    let segments = usize::try_from(total / (DEFAULT_RIFF_LIMIT / 2) + 2).unwrap_or(usize::MAX);
    segments.clamp(DEFAULT_SUPER_INDEX_CAPACITY, MAX_SUPER_INDEX_CAPACITY)
}

/// Whether a chunk `id` of `size` bytes is one the stream can hold.
fn fits(spec: &StreamSpec, id: FourCc, size: u32) -> bool {
    let suffix = data_chunk_suffix(id);
    let suffix_ok = match spec.format {
        StreamFormat::Video(_) => {
            matches!(suffix, SUFFIX_UNCOMPRESSED_VIDEO | SUFFIX_COMPRESSED_VIDEO)
        }
        StreamFormat::Audio(_) => suffix == SUFFIX_AUDIO,
    };
    // An empty video chunk is a frame repeated for a capture gap, whatever the frame size.
    let empty_frame = size == 0 && spec.is_video();
    suffix_ok && (empty_frame || spec.check_chunk_len(size as usize).is_ok())
}

/// Records the positions of the chunks a standard index's entries mark as delta frames.
fn read_delta_frames(src: &Source, at: u64, size: u32, delta_frames: &mut Vec<u64>) -> Result<()> {
    if (size as usize) < STANDARD_INDEX_HEADER_LEN {
        return Ok(());
    }
    let h = src.read(at, STANDARD_INDEX_HEADER_LEN)?;
    if h[INDEX_TYPE_AT] != AVI_INDEX_OF_CHUNKS {
        return Ok(());
    }
    let base = le64(&h, STANDARD_INDEX_BASE_OFFSET_AT);
    let room = (size as usize - STANDARD_INDEX_HEADER_LEN) / STANDARD_INDEX_ENTRY_LEN;
    let count = (le32(&h, INDEX_ENTRIES_IN_USE_AT) as usize).min(room);
    let entries_at = at + STANDARD_INDEX_HEADER_LEN as u64;
    let mut last = None;
    src.for_each_entry(entries_at, count, STANDARD_INDEX_ENTRY_LEN, |_, _, e| {
        // Offsets point at the payload, past the chunk header, and grow from entry to entry:
        // the first that does not (a hole of zeros, garbage) ends the index.
        let chunk_at = base
            .checked_add(u64::from(le32(e, 0)))
            .and_then(|data_at| data_at.checked_sub(CHUNK_HEADER_LEN));
        let Some(chunk_at) = chunk_at.filter(|&c| last.is_none_or(|l| c > l)) else {
            return Ok(ControlFlow::Break(()));
        };
        last = Some(chunk_at);
        if le32(e, STANDARD_INDEX_ENTRY_SIZE_AT) & STANDARD_INDEX_DELTA_FRAME != 0 {
            delta_frames.push(chunk_at);
        }
        Ok(ControlFlow::Continue(()))
    })
}
