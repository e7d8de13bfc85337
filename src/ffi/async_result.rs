//! `avk_async`: the IAsyncResult of the C ABI, how begin registers it and end releases it, and
//! its getters.

use super::boundary::{avk_status, boundary, c_message, copy_text, require, write_out};
use super::handle::{avk_async, invalid, Handle};
use super::registry::{self, HOLD_CALLBACK, HOLD_CALLER};
use crate::error::{Error, Result, Status};
use crate::queue::{AsyncResult, Callback};
use std::ffi::{c_char, c_void};
use std::time::Duration;

/// Called once per operation on the writer's worker thread after the operation completed, in
/// begin order. It may query `result`, end it, and begin more operations; it must not block on
/// the writer (wait, flush and close return AVK_E_WOULD_DEADLOCK there, as do waits on another
/// writer that would close a cycle of callbacks waiting on each other).
///
/// It must return normally, to the library: the worker thread is the library's, and no frame
/// of it may be skipped. So it must not let a C++ exception escape (catch everything inside;
/// the C++ wrapper avikit.hpp does), must not call pthread_exit or ExitThread, and must not
/// longjmp (or siglongjmp) out of the callback. Each of these aborts the process or leaves the
/// writer's locks held and its queue stopped forever. The same holds for the avk_io callbacks.
pub type avk_async_callback =
    Option<unsafe extern "C" fn(result: *mut avk_async, user_state: *mut c_void)>;

/// Begins an operation on `target` and registers its handle. `prepare` checks the arguments
/// against the target's object; `begin` then queues the operation. The target is looked up and
/// the result's slot reserved in one critical section (so a full registry or a closing writer
/// refuses before anything is queued); the result is set by whoever comes first, begin's
/// return or the callback, without the registry lock: the callback always sees a live handle,
/// and the queue needs no C-specific way in. Writes the handle to `out_result` when it is not
/// NULL (fire-and-forget otherwise).
pub(crate) fn begin_registered<C: Handle, P>(
    target: *const C,
    callback: avk_async_callback,
    user_state: *mut c_void,
    out_result: *mut *mut avk_async,
    prepare: impl FnOnce(&C::Object) -> Result<P>,
    begin: impl FnOnce(&C::Object, P, Option<Callback>) -> Result<AsyncResult>,
) -> Result<()> {
    let holds = if out_result.is_null() { 0 } else { HOLD_CALLER }
        | if callback.is_some() { HOLD_CALLBACK } else { 0 };
    if holds == 0 {
        let object = registry::get(target)?;
        let prepared = prepare(&object)?;
        return begin(&object, prepared, None).map(drop);
    }
    // The address is exposed: C gets the same pointer back, and may dereference it.
    let (object, reservation) =
        registry::get_reserving(target, holds, user_state.expose_provenance())?;
    let prepared = match prepare(&object) {
        Ok(prepared) => prepared,
        Err(e) => {
            if let Ok(reservation) = reservation {
                reservation.cancel();
            }
            return Err(e);
        }
    };
    let reservation = reservation?;
    let c_callback = callback.map(|f| {
        let hold = reservation.callback_hold();
        Box::new(move |result: &AsyncResult| {
            hold.run(result, |handle, state| {
                // SAFETY: the caller's callback with the handle and state it registered.
                unsafe { f(handle, std::ptr::with_exposed_provenance_mut(state)) }
            });
        }) as Callback
    });
    let handle = match begin(&object, prepared, c_callback) {
        Ok(result) => reservation.begun(&result),
        Err(e) => {
            // Nothing was queued, so no callback will release its hold.
            reservation.cancel();
            return Err(e);
        }
    };
    if !out_result.is_null() {
        // SAFETY: checked non-NULL; the caller provides a writable out-pointer.
        unsafe { write_out(out_result, handle) };
    }
    Ok(())
}

/// End: checks the result belongs to the caller (`check`), waits, releases the caller's hold and
/// returns the operation's outcome.
pub(crate) fn end_registered(
    handle: *mut avk_async,
    check: impl FnOnce(&AsyncResult) -> Result<()>,
) -> Result<()> {
    let (result, _) = lookup(handle)?;
    check(&result)?;
    // Claimed before waiting: a second end fails at once, and a close that releases the handle
    // while this end waits does not change its answer, the operation's outcome.
    registry::claim_end(handle)?;
    let waited = result.wait(None);
    registry::finish_end(handle, waited.is_ok());
    waited?;
    result.outcome().unwrap_or(Ok(()))
}

/// The result behind `r` and the caller's user state. A handle reserved for a begin that has
/// not returned yet is no result yet.
fn lookup(r: *const avk_async) -> Result<(AsyncResult, *mut c_void)> {
    let cell = registry::get(r)?;
    let result = cell.result().ok_or_else(invalid::<avk_async>)?;
    let user_state = std::ptr::with_exposed_provenance_mut(cell.user_state());
    Ok((result, user_state))
}

/// Writes 1 to `*out_completed` when the operation has completed (successfully or not), else 0.
/// Thread-safe.
///
/// Errors: AVK_E_INVALID_HANDLE for a bad or ended result, AVK_E_INVALID_ARGUMENT for a NULL
/// out-pointer.
///
/// # Safety
/// `out_completed` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_async_is_completed(
    r: *const avk_async,
    out_completed: *mut i32,
) -> avk_status {
    boundary(|| {
        let (result, _) = lookup(r)?;
        require(out_completed, "out_completed")?;
        // SAFETY: checked non-NULL; writable by the caller's contract.
        unsafe { write_out(out_completed, i32::from(result.is_completed())) };
        Ok(())
    })
}

/// Writes whether the operation completed inside its begin call: always 0, since begin only
/// queues. Thread-safe.
///
/// Errors: as `avk_async_is_completed`.
///
/// # Safety
/// `out_sync` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_async_completed_synchronously(
    r: *const avk_async,
    out_sync: *mut i32,
) -> avk_status {
    boundary(|| {
        lookup(r)?;
        require(out_sync, "out_sync")?;
        // IAsyncResult has the question; here the answer is always no (begin never writes).
        // SAFETY: checked non-NULL; writable by the caller's contract.
        unsafe { write_out(out_sync, 0) };
        Ok(())
    })
}

/// Writes the `user_state` given at begin. Thread-safe.
///
/// Errors: as `avk_async_is_completed`.
///
/// # Safety
/// `out_state` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_async_user_state(
    r: *const avk_async,
    out_state: *mut *mut c_void,
) -> avk_status {
    boundary(|| {
        let (_, user_state) = lookup(r)?;
        require(out_state, "out_state")?;
        // SAFETY: checked non-NULL; writable by the caller's contract.
        unsafe { write_out(out_state, user_state) };
        Ok(())
    })
}

/// Writes the operation's own status (AVK_OK, AVK_E_IO, AVK_E_WRITER_FAILED, ...) once it has
/// completed. Does not release the result. Thread-safe.
///
/// Errors: AVK_E_INVALID_STATE while the operation is still pending; as `avk_async_is_completed`.
///
/// # Safety
/// `out_status` must be NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_async_result(
    r: *const avk_async,
    out_status: *mut avk_status,
) -> avk_status {
    boundary(|| {
        let (result, _) = lookup(r)?;
        require(out_status, "out_status")?;
        let outcome = result
            .outcome()
            .ok_or_else(|| Error::invalid_state("the operation is still pending"))?;
        let status = outcome.err().map_or(Status::Ok, |e| e.status());
        // SAFETY: checked non-NULL; writable by the caller's contract.
        unsafe { write_out(out_status, status as avk_status) };
        Ok(())
    })
}

/// Copies the completed operation's error message (empty when it succeeded) into `buf`
/// (truncated, NUL-terminated when `buf_len > 0`; `buf` may be NULL when `buf_len` is 0) and
/// writes the full length including the NUL to `*out_len`. Thread-safe.
///
/// Errors: AVK_E_INVALID_STATE while pending; as `avk_async_is_completed`.
///
/// # Safety
/// `buf` must be NULL or writable for `buf_len` bytes; `out_len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_async_error_message(
    r: *const avk_async,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> avk_status {
    boundary(|| {
        let (result, _) = lookup(r)?;
        require(out_len, "out_len")?;
        if buf.is_null() && buf_len > 0 {
            return Err(Error::invalid_argument(
                "buf must not be NULL when buf_len > 0",
            ));
        }
        let outcome = result
            .outcome()
            .ok_or_else(|| Error::invalid_state("the operation is still pending"))?;
        let text = outcome.err().as_ref().map(c_message).unwrap_or_default();
        // SAFETY: forwarded caller contract for `buf`; `out_len` checked non-NULL.
        unsafe {
            let full = copy_text(&text, buf, buf_len);
            write_out(out_len, full);
        }
        Ok(())
    })
}

/// Waits until the operation completes, whatever its outcome (read it with `avk_async_result`
/// or end), or until `timeout_ms` pass (`AVK_WAIT_INFINITE` waits forever). Thread-safe.
///
/// Errors: AVK_E_TIMEOUT when time ran out (still pending); AVK_E_WOULD_DEADLOCK inside a
/// callback of the same writer for an operation not yet complete; AVK_E_INVALID_HANDLE.
///
/// # Safety
/// None beyond passing a handle value.
#[no_mangle]
pub unsafe extern "C" fn avk_async_wait(r: *mut avk_async, timeout_ms: u32) -> avk_status {
    boundary(|| {
        let (result, _) = lookup(r)?;
        let timeout = (timeout_ms != super::options::AVK_WAIT_INFINITE)
            .then(|| Duration::from_millis(u64::from(timeout_ms)));
        result.wait(timeout)
    })
}

/// Cancels an operation that is still queued: it will complete with AVK_E_CANCELED without
/// being written, and its callback still runs once, in its place in the queue. A chunk that has
/// started is always written whole. Thread-safe; may be called inside callbacks.
///
/// Errors: AVK_E_INVALID_STATE when the operation already started or completed;
/// AVK_E_INVALID_HANDLE.
///
/// # Safety
/// None beyond passing a handle value.
#[no_mangle]
pub unsafe extern "C" fn avk_async_cancel(r: *mut avk_async) -> avk_status {
    boundary(|| lookup(r)?.0.cancel())
}
