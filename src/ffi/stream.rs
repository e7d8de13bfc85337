//! Frame and block writes: synchronous, begin and end, for video and audio streams.

use super::async_result::{avk_async, avk_async_callback, begin_registered, end_registered};
use super::boundary::{avk_status, boundary, buffer};
use super::options::{AVK_FRAME_KEYFRAME, AVK_WRITE_COPY};
use super::registry;
use crate::error::{Error, Result, Status};
use crate::queue::{AsyncResult, AudioStream, Callback, Payload, VideoStream};
use std::ffi::c_void;

/// A video stream of a writer. Opaque; released by `avk_writer_close`.
pub struct avk_video_stream {
    _private: [u8; 0],
}

/// An audio stream of a writer. Opaque; released by `avk_writer_close`.
pub struct avk_audio_stream {
    _private: [u8; 0],
}

fn check_flags(flags: u32) -> Result<()> {
    if flags & !(AVK_FRAME_KEYFRAME | AVK_WRITE_COPY) != 0 {
        return Err(Error::invalid_argument(format!(
            "unknown write flags 0x{flags:x}: only AVK_FRAME_KEYFRAME and AVK_WRITE_COPY exist"
        )));
    }
    Ok(())
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

/// What the exports need of a stream, so video and audio share one implementation.
trait StreamHandle: Sized {
    fn lookup(handle: usize) -> Result<Self>;
    fn write(&self, keyframe: bool, data: &[u8]) -> Result<()>;
    fn check_len(&self, len: usize) -> Result<()>;
    fn writer_id(&self) -> u64;
    fn new_result(&self, callback: Option<Callback>) -> AsyncResult;
    fn begin_prepared(&self, keyframe: bool, payload: Payload, result: AsyncResult) -> Result<()>;
    fn check_result(&self, result: &AsyncResult) -> Result<()>;
}

macro_rules! impl_stream_handle {
    ($stream:ty, $lookup:path, $write:ident) => {
        impl StreamHandle for $stream {
            fn lookup(handle: usize) -> Result<Self> {
                $lookup(handle)
            }
            fn write(&self, keyframe: bool, data: &[u8]) -> Result<()> {
                self.$write(keyframe, data)
            }
            fn check_len(&self, len: usize) -> Result<()> {
                <$stream>::check_len(self, len)
            }
            fn writer_id(&self) -> u64 {
                <$stream>::writer_id(self)
            }
            fn new_result(&self, callback: Option<Callback>) -> AsyncResult {
                <$stream>::new_result(self, callback)
            }
            fn begin_prepared(
                &self,
                keyframe: bool,
                payload: Payload,
                result: AsyncResult,
            ) -> Result<()> {
                <$stream>::begin_prepared(self, keyframe, payload, result)
            }
            fn check_result(&self, result: &AsyncResult) -> Result<()> {
                <$stream>::check_result(self, result)
            }
        }
    };
}

impl_stream_handle!(VideoStream, registry::video, write_frame);
impl_stream_handle!(AudioStream, registry::audio, write_block);

/// # Safety
/// `data` NULL or `len` readable bytes for the duration of the call.
unsafe fn write_sync<S: StreamHandle>(
    s: usize,
    flags: u32,
    data: *const u8,
    len: usize,
) -> avk_status {
    boundary(|| {
        let stream = S::lookup(s)?;
        check_flags(flags)?;
        stream.check_len(len)?;
        // SAFETY: forwarded caller contract.
        let bytes = unsafe { buffer(data, len) }?;
        stream.write(flags & AVK_FRAME_KEYFRAME != 0, bytes)
    })
}

/// # Safety
/// As the begin exports.
unsafe fn begin<S: StreamHandle>(
    s: usize,
    flags: u32,
    data: *const u8,
    len: usize,
    callback: avk_async_callback,
    user_state: *mut c_void,
    out_result: *mut *mut avk_async,
) -> avk_status {
    boundary(|| {
        let stream = S::lookup(s)?;
        check_flags(flags)?;
        // Before any copy: a length the stream cannot take is refused without reading it.
        stream.check_len(len)?;
        // SAFETY: forwarded caller contract.
        let payload = unsafe { payload(flags, data, len) }?;
        let keyframe = flags & AVK_FRAME_KEYFRAME != 0;
        begin_registered(
            stream.writer_id(),
            callback,
            user_state,
            out_result,
            |cb| stream.new_result(cb),
            |result| stream.begin_prepared(keyframe, payload, result),
        )
    })
}

fn end<S: StreamHandle>(s: usize, result: *mut avk_async) -> avk_status {
    boundary(|| {
        let stream = S::lookup(s)?;
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
    unsafe { write_sync::<VideoStream>(s as usize, flags, data, len) }
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
/// the same writer it returns AVK_E_WOULD_DEADLOCK instead of blocking.
///
/// Errors (nothing is queued and no callback runs): AVK_E_INVALID_HANDLE, AVK_E_INVALID_ARGUMENT
/// and AVK_E_LIMIT as for `avk_video_stream_write_frame`; AVK_E_WOULD_DEADLOCK as above.
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
    unsafe {
        begin::<VideoStream>(
            s as usize, flags, data, len, callback, user_state, out_result,
        )
    }
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
    end::<VideoStream>(s as usize, result)
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
    unsafe { write_sync::<AudioStream>(s as usize, flags, data, len) }
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
    unsafe {
        begin::<AudioStream>(
            s as usize, flags, data, len, callback, user_state, out_result,
        )
    }
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
    end::<AudioStream>(s as usize, result)
}
