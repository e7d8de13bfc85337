//! Frame and block writes: synchronous, begin and end, for video and audio streams.

use super::async_result::{avk_async_callback, begin_registered, end_registered};
use super::boundary::{avk_status, boundary, buffer};
use super::handle::{avk_async, avk_audio_stream, avk_video_stream, Handle};
use super::options::{AVK_FRAME_KEYFRAME, AVK_WRITE_COPY, AVK_WRITE_NOWAIT};
use super::registry;
use crate::error::{Error, Result, Status};
use crate::queue::{BeginOptions, Payload, Stream, StreamKind};
use std::ffi::c_void;

/// The begin options of write `flags` and an optional capture time.
fn begin_options(flags: u32, time_ns: Option<i64>) -> Result<BeginOptions> {
    if flags & !(AVK_FRAME_KEYFRAME | AVK_WRITE_COPY | AVK_WRITE_NOWAIT) != 0 {
        return Err(Error::invalid_argument(format!(
            "unknown write flags 0x{flags:x}: only AVK_FRAME_KEYFRAME, AVK_WRITE_COPY and \
             AVK_WRITE_NOWAIT exist"
        )));
    }
    let mut options = BeginOptions::keyframe(flags & AVK_FRAME_KEYFRAME != 0);
    options.time_ns = time_ns;
    options.nowait = flags & AVK_WRITE_NOWAIT != 0;
    Ok(options)
}

/// The payload of a begin whose length the stream accepted: copied with AVK_WRITE_COPY (into
/// memory reserved fallibly, since the size comes from the caller), borrowed otherwise.
///
/// # Safety
/// `data` must be NULL or `len` readable bytes that, without AVK_WRITE_COPY, stay valid and
/// unchanged until the operation completes.
unsafe fn payload(flags: u32, data: *const u8, len: usize) -> Result<Payload> {
    // SAFETY: forwarded caller contract.
    let bytes = unsafe { buffer(data, len) }?;
    if flags & AVK_WRITE_COPY != 0 {
        let mut copy = Vec::new();
        copy.try_reserve_exact(bytes.len()).map_err(|_| {
            Error::new(
                Status::NoMemory,
                format!("cannot allocate {len} bytes for the AVK_WRITE_COPY copy"),
            )
        })?;
        copy.extend_from_slice(bytes);
        Ok(Payload::owned(copy))
    } else {
        // SAFETY: the caller keeps the bytes valid until completion (docs/c-api.md §8, semantics 5).
        Ok(unsafe { Payload::borrowed(bytes.as_ptr(), bytes.len()) })
    }
}

/// # Safety
/// `data` NULL or `len` readable bytes for the duration of the call.
unsafe fn write_sync<C: Handle<Object = Stream<K>>, K: StreamKind>(
    s: *const C,
    flags: u32,
    time_ns: Option<i64>,
    data: *const u8,
    len: usize,
) -> avk_status {
    boundary(|| {
        let stream = registry::get(s)?;
        let options = begin_options(flags, time_ns)?;
        stream.check_len(len)?;
        // SAFETY: forwarded caller contract.
        let bytes = unsafe { buffer(data, len) }?;
        stream.write_with(options, bytes)
    })
}

/// # Safety
/// As the begin exports.
#[allow(clippy::too_many_arguments)]
unsafe fn begin<C: Handle<Object = Stream<K>>, K: StreamKind>(
    s: *const C,
    flags: u32,
    time_ns: Option<i64>,
    data: *const u8,
    len: usize,
    callback: avk_async_callback,
    user_state: *mut c_void,
    out_result: *mut *mut avk_async,
) -> avk_status {
    boundary(|| {
        let prepare = |stream: &C::Object| {
            let options = begin_options(flags, time_ns)?;
            // Before any copy: a length the stream cannot take is refused without reading it.
            stream.check_len(len)?;
            // SAFETY: forwarded caller contract.
            let payload = unsafe { payload(flags, data, len) }?;
            Ok((options, payload))
        };
        begin_registered(
            s,
            callback,
            user_state,
            out_result,
            prepare,
            |stream, (options, payload), cb| stream.begin_write_with(options, payload, cb),
        )
    })
}

fn end<C: Handle<Object = Stream<K>>, K: StreamKind>(
    s: *const C,
    result: *mut avk_async,
) -> avk_status {
    boundary(|| {
        let stream = registry::get(s)?;
        end_registered(result, |r| stream.check_result(r))
    })
}

/// Writes one video frame and returns once it is in the file: exactly begin + end (same queue,
/// same order, same errors). `flags`: AVK_FRAME_KEYFRAME (ignored for uncompressed DIBs, which
/// are all keyframes); AVK_WRITE_COPY is accepted and changes nothing here. Thread-safe.
///
/// Errors: AVK_E_INVALID_HANDLE for a bad or released stream (closed writer);
/// AVK_E_INVALID_ARGUMENT for unknown flags, NULL data with len > 0, or a length the stream
/// cannot take (an uncompressed DIB frame must be exactly stride * height bytes);
/// AVK_E_LIMIT over 2 GiB; AVK_E_WOULD_DEADLOCK inside a callback of the same writer; the
/// operation's own status (AVK_E_IO, AVK_E_WRITER_FAILED, ...).
///
/// # Safety
/// `data` must be NULL or point to `len` readable bytes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn avk_video_stream_write_frame(
    s: *mut avk_video_stream,
    flags: u32,
    data: *const u8,
    len: usize,
) -> avk_status {
    // SAFETY: forwarded caller contract.
    unsafe { write_sync(s, flags, None, data, len) }
}

/// Queues one video frame and returns at once (APM BeginWrite). On AVK_OK the operation is queued
/// behind every operation begun before on the same writer; `callback` (may be NULL) then runs
/// exactly once on the worker thread after it completed, never inside this call. `out_result`
/// may be NULL (fire-and-forget: the result lives until its callback returns, and errors reach
/// the callback and the writer's failed state); otherwise the caller owns the result until it
/// calls end. Without AVK_WRITE_COPY, `data` is not copied and must stay valid and unchanged
/// until the operation completes. Thread-safe; may be called inside callbacks.
///
/// With `max_queued_bytes` set, blocks while the queue is over the bound; inside a callback of
/// the same writer it returns AVK_E_WOULD_DEADLOCK instead of blocking. With AVK_WRITE_NOWAIT
/// it never blocks: AVK_E_QUEUE_FULL instead (counted in the stream's stats as dropped).
///
/// Errors (nothing is queued and no callback runs): AVK_E_INVALID_HANDLE, AVK_E_INVALID_ARGUMENT
/// and AVK_E_LIMIT as for `avk_video_stream_write_frame`; AVK_E_WOULD_DEADLOCK and
/// AVK_E_QUEUE_FULL as above.
///
/// # Safety
/// `data` as described; `out_result` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_video_stream_begin_write_frame(
    s: *mut avk_video_stream,
    flags: u32,
    data: *const u8,
    len: usize,
    callback: avk_async_callback,
    user_state: *mut c_void,
    out_result: *mut *mut avk_async,
) -> avk_status {
    // SAFETY: forwarded caller contract.
    unsafe { begin(s, flags, None, data, len, callback, user_state, out_result) }
}

/// Waits for a frame write begun on this stream, releases the result and returns the operation's
/// status (APM EndWrite). Inside the result's own callback it returns at once. Thread-safe.
///
/// Errors: AVK_E_INVALID_HANDLE for a bad stream, or a result already ended (or begun
/// fire-and-forget); AVK_E_INVALID_ARGUMENT for a result of another stream (it stays alive);
/// AVK_E_WOULD_DEADLOCK inside a callback while the operation is pending (it stays alive);
/// otherwise the operation's own status.
///
/// # Safety
/// None beyond passing handle values.
#[no_mangle]
pub unsafe extern "C" fn avk_video_stream_end_write_frame(
    s: *mut avk_video_stream,
    result: *mut avk_async,
) -> avk_status {
    end(s, result)
}

/// Writes one audio block and returns once it is in the file: exactly begin + end. The length
/// must be a non-zero multiple of the stream's block alignment. Otherwise as
/// `avk_video_stream_write_frame`.
///
/// # Safety
/// `data` must be NULL or point to `len` readable bytes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn avk_audio_stream_write_block(
    s: *mut avk_audio_stream,
    flags: u32,
    data: *const u8,
    len: usize,
) -> avk_status {
    // SAFETY: forwarded caller contract.
    unsafe { write_sync(s, flags, None, data, len) }
}

/// Queues one audio block and returns at once (APM BeginWrite); as
/// `avk_video_stream_begin_write_frame`.
///
/// # Safety
/// `data` as for `avk_video_stream_begin_write_frame`; `out_result` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_audio_stream_begin_write_block(
    s: *mut avk_audio_stream,
    flags: u32,
    data: *const u8,
    len: usize,
    callback: avk_async_callback,
    user_state: *mut c_void,
    out_result: *mut *mut avk_async,
) -> avk_status {
    // SAFETY: forwarded caller contract.
    unsafe { begin(s, flags, None, data, len, callback, user_state, out_result) }
}

/// Waits for a block write begun on this stream, releases the result and returns its status;
/// as `avk_video_stream_end_write_frame`.
///
/// # Safety
/// None beyond passing handle values.
#[no_mangle]
pub unsafe extern "C" fn avk_audio_stream_end_write_block(
    s: *mut avk_audio_stream,
    result: *mut avk_async,
) -> avk_status {
    end(s, result)
}

/// Queues one video frame captured at `time_ns` (nanoseconds on any clock; time zero is the
/// `time_ns` of the first timed write begun on the writer, whatever its stream, that passed its
/// argument checks). The frame goes into slot `k = round((time_ns - t0) * frame_rate)` (halves
/// up). With `n` slots already taken on the stream (frames and empty frames, in begin order):
/// `k > n` first queues `k - n` empty frames (zero-length chunks, not keyframes, counted in
/// `dwLength` and every index: players show the previous frame again), `k == n` writes the
/// frame in slot `n`, `k < n` returns AVK_E_DROPPED. Works for every video codec. Untimed
/// writes may be mixed in: they take the next slot. End the result with
/// `avk_video_stream_end_write_frame`; every rule of `avk_video_stream_begin_write_frame`
/// holds. Should the operation be canceled, an empty frame keeps its slot. Thread-safe.
///
/// Errors (nothing is queued, no callback runs, the writer stays usable): as
/// `avk_video_stream_begin_write_frame`; AVK_E_DROPPED for a taken slot or a time before time
/// zero; AVK_E_LIMIT for a gap of more than 1,000,000 slots.
///
/// # Safety
/// As `avk_video_stream_begin_write_frame`.
#[no_mangle]
pub unsafe extern "C" fn avk_video_stream_begin_write_frame_at(
    s: *mut avk_video_stream,
    flags: u32,
    time_ns: i64,
    data: *const u8,
    len: usize,
    callback: avk_async_callback,
    user_state: *mut c_void,
    out_result: *mut *mut avk_async,
) -> avk_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        begin(
            s,
            flags,
            Some(time_ns),
            data,
            len,
            callback,
            user_state,
            out_result,
        )
    }
}

/// Writes one video frame captured at `time_ns` and returns once it is in the file: exactly
/// `avk_video_stream_begin_write_frame_at` + end. Thread-safe.
///
/// Errors: as `avk_video_stream_begin_write_frame_at` and `avk_video_stream_write_frame`.
///
/// # Safety
/// `data` must be NULL or point to `len` readable bytes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn avk_video_stream_write_frame_at(
    s: *mut avk_video_stream,
    flags: u32,
    time_ns: i64,
    data: *const u8,
    len: usize,
) -> avk_status {
    // SAFETY: forwarded caller contract.
    unsafe { write_sync(s, flags, Some(time_ns), data, len) }
}

/// Queues one audio block captured at `time_ns` (time zero as for
/// `avk_video_stream_begin_write_frame_at`). PCM, FLOAT and MP3 streams only. The block's
/// first sample is `s = round((time_ns - t0) * sample_rate)`; with `e` samples already on the
/// stream (blocks and inserted silence): within 20 ms of samples of `e` the block is written as
/// it is (clock jitter is ignored); later, `s - e` samples of silence go first (at most 64 MiB
/// of it per write: later writes fill the rest of a longer gap); earlier, its
/// first `e - s` samples are cut, and a block cut whole returns AVK_E_DROPPED. Silence and
/// cuts are exact to the sample. Should the operation be canceled, silence of its length keeps
/// the stream on time. End it with `avk_audio_stream_end_write_block`. Thread-safe.
///
/// Errors (nothing is queued, no callback runs, the writer stays usable): as
/// `avk_audio_stream_begin_write_block`; AVK_E_UNSUPPORTED for RAW streams; AVK_E_DROPPED as
/// above; AVK_E_LIMIT for a gap of more than 1,000,000 frame periods of the writer's rate.
///
/// # Safety
/// As `avk_audio_stream_begin_write_block`.
#[no_mangle]
pub unsafe extern "C" fn avk_audio_stream_begin_write_block_at(
    s: *mut avk_audio_stream,
    flags: u32,
    time_ns: i64,
    data: *const u8,
    len: usize,
    callback: avk_async_callback,
    user_state: *mut c_void,
    out_result: *mut *mut avk_async,
) -> avk_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        begin(
            s,
            flags,
            Some(time_ns),
            data,
            len,
            callback,
            user_state,
            out_result,
        )
    }
}

/// Writes one audio block captured at `time_ns` and returns once it is in the file: exactly
/// `avk_audio_stream_begin_write_block_at` + end. Thread-safe.
///
/// Errors: as `avk_audio_stream_begin_write_block_at` and `avk_audio_stream_write_block`.
///
/// # Safety
/// `data` must be NULL or point to `len` readable bytes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn avk_audio_stream_write_block_at(
    s: *mut avk_audio_stream,
    flags: u32,
    time_ns: i64,
    data: *const u8,
    len: usize,
) -> avk_status {
    // SAFETY: forwarded caller contract.
    unsafe { write_sync(s, flags, Some(time_ns), data, len) }
}

/// Queues `count` empty frames at the stream's next slots (zero-length chunks, not keyframes:
/// players show the previous frame again) and returns once they are queued, like a
/// fire-and-forget write: a failure reaches later operations and close. `count == 0` does
/// nothing. Thread-safe; may be called inside callbacks (it never waits).
///
/// Errors: AVK_E_INVALID_HANDLE for a bad or released stream; AVK_E_LIMIT for more than
/// 1,000,000.
///
/// # Safety
/// None beyond passing handle values.
#[no_mangle]
pub unsafe extern "C" fn avk_video_stream_skip_frames(
    s: *mut avk_video_stream,
    count: u32,
) -> avk_status {
    boundary(|| registry::get(s)?.skip_frames(count))
}
