//! Status codes (defined once, in [`crate::error::code`]), the per-thread last error, and the
//! boundary every export runs inside: it turns `Result`s into status codes and panics into
//! `AVK_E_PANIC`, so nothing unwinds into C, and
//! nothing of a caught panic is printed on the host's stderr.

use crate::caught_panic::catch_quietly;
use crate::error::{panic_text, Error, Result, Status};
use std::cell::RefCell;
use std::ffi::{c_char, CStr};

pub use crate::error::code::*;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// An error as the C API words it: the status name, then the message.
pub(crate) fn c_message(error: &Error) -> String {
    format!("{}: {}", error.status().name(), error.message())
}

/// Records `error` as the calling thread's last error. During thread teardown (a pthread key
/// destructor runs after thread-local destructors) the store is gone: the message is dropped
/// rather than panicking outside the boundary.
fn set_last_error(error: &Error) {
    let text = c_message(error);
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = text);
}

/// Runs an export's body: `Ok` becomes `AVK_OK`; an error or a panic becomes its status and
/// the calling thread's last error message (the panic hook stays silent).
pub(crate) fn boundary(body: impl FnOnce() -> Result<()>) -> avk_status {
    let error = match catch_quietly(body) {
        Ok(Ok(())) => return AVK_OK,
        Ok(Err(e)) => e,
        Err(panic) => Error::new(
            Status::Panic,
            format!(
                "internal error (please report): {}",
                panic_text(panic.as_ref())
            ),
        ),
    };
    set_last_error(&error);
    error.status() as avk_status
}

/// Runs an infallible export's body, answering `fallback` should it panic.
pub(crate) fn boundary_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_quietly(body).unwrap_or(fallback)
}

/// `Err(AVK_E_INVALID_ARGUMENT)` naming `what` when `ptr` is NULL.
pub(crate) fn require<T>(ptr: *const T, what: &str) -> Result<()> {
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!("{what} must not be NULL")));
    }
    Ok(())
}

/// Writes `value` through an out-pointer already checked by [`require`].
///
/// # Safety
/// `out` must be valid for a write of `T`.
pub(crate) unsafe fn write_out<T>(out: *mut T, value: T) {
    // SAFETY: the caller guarantees `out` is valid and checked non-NULL.
    unsafe { out.write(value) }
}

/// The bytes of a `(data, len)` buffer argument.
///
/// # Safety
/// When `data` is not NULL it must point to `len` readable bytes that stay valid for `'a`.
pub(crate) unsafe fn buffer<'a>(data: *const u8, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    require(data, "data (with a non-zero len)")?;
    // SAFETY: non-NULL and, by the caller's contract, `len` readable bytes.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// A UTF-8 string argument; `None` for NULL.
///
/// # Safety
/// When not NULL, `s` must point to a NUL-terminated string.
pub(crate) unsafe fn optional_str(s: *const c_char, what: &str) -> Result<Option<String>> {
    if s.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let c = unsafe { CStr::from_ptr(s) };
    c.to_str()
        .map(|s| Some(s.to_owned()))
        .map_err(|_| Error::invalid_argument(format!("{what} is not valid UTF-8")))
}

/// Copies `text` into `(buf, buf_len)` truncated and NUL-terminated; returns its full length
/// including the NUL.
///
/// # Safety
/// When `buf_len > 0`, `buf` must be NULL or writable for `buf_len` bytes.
pub(crate) unsafe fn copy_text(text: &str, buf: *mut c_char, buf_len: usize) -> usize {
    if !buf.is_null() && buf_len > 0 {
        let n = text.len().min(buf_len - 1);
        // SAFETY: `n + 1 <= buf_len` bytes are writable at `buf`; the source is `text`.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
            buf.add(n).write(0);
        }
    }
    text.len() + 1
}

/// The name of a status code, such as `"AVK_E_IO"`; `"AVK_UNKNOWN"` for a value that is not one.
/// The string is static: never free it. Thread-safe; cannot fail.
#[no_mangle]
pub extern "C" fn avk_status_name(status: avk_status) -> *const c_char {
    boundary_value(c"AVK_UNKNOWN".as_ptr(), || {
        Status::from_code(status)
            .map_or(c"AVK_UNKNOWN", Status::c_name)
            .as_ptr()
    })
}

/// Copies the detail of the last failed call on the calling thread into `buf` (truncating, always
/// NUL-terminated when `buf_len > 0`) and returns the message's full length including the NUL,
/// so a caller can size a buffer (call with `buf = NULL, buf_len = 0` first). An empty message
/// (length 1) when no call on this thread has failed. Successful calls leave the message as is.
/// Thread-safe; cannot fail.
///
/// # Safety
/// `buf` must be NULL or writable for `buf_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn avk_last_error_message(buf: *mut c_char, buf_len: usize) -> usize {
    boundary_value(0, || {
        LAST_ERROR
            .try_with(|e| {
                // SAFETY: forwarded caller contract.
                unsafe { copy_text(&e.borrow(), buf, buf_len) }
            })
            // During thread teardown the message is gone: answer the empty one.
            // SAFETY: forwarded caller contract.
            .unwrap_or_else(|_| unsafe { copy_text("", buf, buf_len) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_constants_match_the_rust_statuses() {
        let constants = [
            AVK_OK,
            AVK_E_INVALID_ARGUMENT,
            AVK_E_INVALID_HANDLE,
            AVK_E_INVALID_STATE,
            AVK_E_IO,
            AVK_E_CANCELED,
            AVK_E_TIMEOUT,
            AVK_E_UNSUPPORTED,
            AVK_E_ENCODER,
            AVK_E_LIMIT,
            AVK_E_WRITER_FAILED,
            AVK_E_WOULD_DEADLOCK,
            AVK_E_NO_MEMORY,
            AVK_E_PANIC,
            AVK_E_DROPPED,
            AVK_E_QUEUE_FULL,
        ];
        for (code, status) in constants.into_iter().zip(Status::ALL) {
            assert_eq!(code, status as i32);
            // SAFETY: a static NUL-terminated string.
            let name = unsafe { CStr::from_ptr(avk_status_name(code)) };
            assert_eq!(name.to_str().unwrap(), status.name());
        }
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(avk_status_name(16)) };
        assert_eq!(unknown.to_str().unwrap(), "AVK_UNKNOWN");
    }
}
