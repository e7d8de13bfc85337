//! Inspection and repair of existing files.

use super::boundary::{avk_status, boundary, optional_str, require};
use super::versioned::{field_spans, write_versioned};
use crate::error::Result;
use crate::repair::{inspect_file, repair_file, FileReport};
use std::ffi::c_char;
use std::mem::size_of;
use std::path::Path;

/// What `avk_inspect_file` or `avk_repair_file` found. The caller sets `struct_size`; the
/// library fills the fields that fit in it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct avk_file_report {
    /// `sizeof(avk_file_report)` as the caller was compiled; set by the caller.
    pub struct_size: u32,
    /// Streams in the header.
    pub stream_count: u32,
    /// Chunks of the first video stream.
    pub video_frames: u64,
    /// Chunks of all audio streams.
    pub audio_chunks: u64,
    /// Repair: payload bytes kept.
    pub bytes_recovered: u64,
    /// RIFF segments: 1 = AVI 1.0, more than 1 = OpenDML.
    pub riff_count: u32,
    /// Repair: 1 if anything had to be rebuilt.
    pub was_damaged: i32,
}

/// Writes `report` into the caller's struct, only the fields inside its `struct_size`.
///
/// # Safety
/// `out` must be valid for `out->struct_size` bytes.
unsafe fn write_report(out: *mut avk_file_report, report: &FileReport) -> Result<()> {
    let full = avk_file_report {
        struct_size: size_of::<avk_file_report>() as u32,
        stream_count: report.stream_count,
        video_frames: report.video_frames,
        audio_chunks: report.audio_chunks,
        bytes_recovered: report.bytes_recovered,
        riff_count: report.riff_count,
        was_damaged: i32::from(report.was_damaged),
    };
    let spans = field_spans!(avk_file_report; struct_size, stream_count, video_frames,
        audio_chunks, bytes_recovered, riff_count, was_damaged);
    // SAFETY: forwarded caller contract.
    unsafe { write_versioned(out, &full, &spans, "avk_file_report") }
}

/// Strictly checks the AVI file at `path` (ours or not) without loading payloads: RIFF and LIST
/// sizes, padding, chunk ids per stream type, header counts against counted chunks, idx1, indx
/// and ix## entries against the chunks they point at, PCM block alignment, DIB sizes. On
/// AVK_OK fills `*out` (set `out->struct_size` first). Thread-safe.
///
/// Errors: AVK_E_INVALID_ARGUMENT naming the first fault and its byte offset, a path that is
/// not a regular file (a FIFO or device is refused at once, never waited on), or a NULL
/// argument; AVK_E_IO when the file cannot be read (a directory is one).
///
/// # Safety
/// `path` NULL or NUL-terminated; `out` NULL or valid for `out->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn avk_inspect_file(
    path: *const c_char,
    out: *mut avk_file_report,
) -> avk_status {
    boundary(|| {
        require(path, "path")?;
        require(out, "out")?;
        // SAFETY: forwarded caller contract.
        let path = unsafe { optional_str(path, "path") }?.unwrap_or_default();
        let report = inspect_file(Path::new(&path))?;
        // SAFETY: forwarded caller contract.
        unsafe { write_report(out, &report) }
    })
}

/// Rebuilds the headers and indexes of a file cut short by a crash, keeping every chunk that
/// was completely written, into `out_path` (NULL = in place: through a temporary file created
/// exclusively under a random name in the file's directory, renamed over it when complete and
/// removed if the repair fails; the file keeps its permissions). Payloads are copied one chunk
/// at a time. On AVK_OK fills `*out`. Thread-safe.
///
/// Errors: AVK_E_INVALID_ARGUMENT when the header itself is damaged or holds a format that
/// cannot be written again, such as an audio nBlockAlign of 0 (the message says so), when
/// `out_path` is the input file itself (the same path spelled otherwise, a hard or symbolic
/// link: nothing is written), when either is not a regular file, or for a NULL argument;
/// AVK_E_IO for file errors.
///
/// # Safety
/// `path` NULL or NUL-terminated; `out_path` NULL or NUL-terminated; `out` NULL or valid for
/// `out->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn avk_repair_file(
    path: *const c_char,
    out_path: *const c_char,
    out: *mut avk_file_report,
) -> avk_status {
    boundary(|| {
        require(path, "path")?;
        require(out, "out")?;
        // SAFETY: forwarded caller contract.
        let path = unsafe { optional_str(path, "path") }?.unwrap_or_default();
        // SAFETY: forwarded caller contract.
        let out_path = unsafe { optional_str(out_path, "out_path") }?;
        let report = repair_file(Path::new(&path), out_path.as_deref().map(Path::new))?;
        // SAFETY: forwarded caller contract.
        unsafe { write_report(out, &report) }
    })
}
