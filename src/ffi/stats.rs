//! Per-stream counters: `avk_stream_stats`.

use super::boundary::{avk_status, boundary, require};
use super::handle::{avk_audio_stream, avk_video_stream, Handle};
use super::registry;
use super::versioned::{field_spans, write_versioned};
use crate::error::Result;
use crate::queue::{Stream, StreamKind};
use crate::StreamStats;
use std::mem::size_of;

/// A stream's counters, covering the operations begin accepted so far (queued or written).
/// The caller sets `struct_size`; the library fills the fields that fit in it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct avk_stream_stats {
    /// `sizeof(avk_stream_stats)` as the caller was compiled; set by the caller.
    pub struct_size: u32,
    /// Writes begun on the stream, plus the empty frames queued (video).
    pub chunks: u64,
    /// Video: empty frames queued for gaps and by `avk_video_stream_skip_frames`.
    pub empty_frames: u64,
    /// Timed writes answered AVK_E_DROPPED, plus begins answered AVK_E_QUEUE_FULL.
    pub dropped: u64,
    /// Bytes of the writes begun as given (the input size: encoded sizes are not known at
    /// begin), after trimming, inserted silence included.
    pub payload_bytes: u64,
    /// Audio (PCM, FLOAT, MP3): samples begun, inserted silence included; 0 for RAW streams.
    pub samples: u64,
    /// Audio: samples of silence inserted for gaps.
    pub silence_samples: u64,
    /// Audio: samples cut from the start of blocks that overlapped (a block dropped whole
    /// counts in `dropped` only).
    pub trimmed_samples: u64,
}

/// # Safety
/// `out` NULL or valid for `out->struct_size` bytes.
unsafe fn write_stats(out: *mut avk_stream_stats, stats: StreamStats) -> Result<()> {
    let full = avk_stream_stats {
        struct_size: size_of::<avk_stream_stats>() as u32,
        chunks: stats.chunks,
        empty_frames: stats.empty_frames,
        dropped: stats.dropped,
        payload_bytes: stats.payload_bytes,
        samples: stats.samples,
        silence_samples: stats.silence_samples,
        trimmed_samples: stats.trimmed_samples,
    };
    let spans = field_spans!(avk_stream_stats; struct_size, chunks, empty_frames, dropped,
        payload_bytes, samples, silence_samples, trimmed_samples);
    // SAFETY: forwarded caller contract.
    unsafe { write_versioned(out, &full, &spans, "avk_stream_stats") }
}

/// The counters of stream `s` into `*out`, for video and audio alike.
///
/// # Safety
/// `out` NULL or valid for `out->struct_size` bytes.
unsafe fn get_stats<C: Handle<Object = Stream<K>>, K: StreamKind>(
    s: *const C,
    out: *mut avk_stream_stats,
) -> avk_status {
    boundary(|| {
        let stream = registry::get(s)?;
        require(out, "out")?;
        // SAFETY: forwarded caller contract.
        unsafe { write_stats(out, stream.stats()) }
    })
}

/// Fills `*out` with the video stream's counters (set `out->struct_size` first). Thread-safe;
/// never waits for the worker.
///
/// Errors: AVK_E_INVALID_HANDLE for a bad or released stream; AVK_E_INVALID_ARGUMENT for a NULL
/// `out` or a `struct_size` that is not a field boundary of this version (or larger than it).
///
/// # Safety
/// `out` NULL or valid for `out->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn avk_video_stream_get_stats(
    s: *const avk_video_stream,
    out: *mut avk_stream_stats,
) -> avk_status {
    // SAFETY: forwarded caller contract.
    unsafe { get_stats(s, out) }
}

/// Fills `*out` with the audio stream's counters; as `avk_video_stream_get_stats`.
///
/// # Safety
/// `out` NULL or valid for `out->struct_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn avk_audio_stream_get_stats(
    s: *const avk_audio_stream,
    out: *mut avk_stream_stats,
) -> avk_status {
    // SAFETY: forwarded caller contract.
    unsafe { get_stats(s, out) }
}
