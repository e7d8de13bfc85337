//! The status tables, from the header's "Errors" paragraphs, and the check every call's status
//! goes through (documented, expected, and the thread's last error message).

use super::faults::{ensure, fault, HISTOGRAM, LAST_MESSAGE, PROGRESS};
use super::model::WriterRec;
use avikit::ffi::*;
use std::ffi::CStr;
use std::ptr::null_mut;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Create,
    CreateIo,
    AddStream,
    WriteSync,
    Begin,
    End,
    Flush,
    BeginFlush,
    Close,
    Getter,
    ResultGetter,
    Wait,
    Cancel,
}

pub(crate) const fn bit(s: avk_status) -> u32 {
    1 << s
}

pub(crate) const OK: u32 = bit(AVK_OK);
pub(crate) const ARG: u32 = bit(AVK_E_INVALID_ARGUMENT);
pub(crate) const HANDLE: u32 = bit(AVK_E_INVALID_HANDLE);
pub(crate) const STATE: u32 = bit(AVK_E_INVALID_STATE);
pub(crate) const IO: u32 = bit(AVK_E_IO);
pub(crate) const CANCELED: u32 = bit(AVK_E_CANCELED);
pub(crate) const TIMEOUT: u32 = bit(AVK_E_TIMEOUT);
pub(crate) const UNSUPPORTED: u32 = bit(AVK_E_UNSUPPORTED);
pub(crate) const LIMIT: u32 = bit(AVK_E_LIMIT);
const FAILED: u32 = bit(AVK_E_WRITER_FAILED);
pub(crate) const DEADLOCK: u32 = bit(AVK_E_WOULD_DEADLOCK);
const ENCODER: u32 = bit(AVK_E_ENCODER);
/// The statuses an operation itself can end with.
pub(crate) const OP_STATUSES: u32 = OK | IO | FAILED | CANCELED | ENCODER;

/// Every status the header documents for `f` (WOULD_DEADLOCK only inside callbacks).
fn documented(f: Func, in_callback: bool) -> u32 {
    let (base, deadlock) = match f {
        Func::Create => (OK | ARG | IO | UNSUPPORTED, false),
        Func::CreateIo => (OK | ARG | UNSUPPORTED, false),
        Func::AddStream => (OK | HANDLE | ARG | UNSUPPORTED | STATE | LIMIT, false),
        Func::WriteSync => (OK | HANDLE | ARG | LIMIT | IO | FAILED | ENCODER, true),
        // WOULD_DEADLOCK: max_queued_bytes reached inside a callback.
        Func::Begin => (OK | HANDLE | ARG | LIMIT, true),
        Func::End => (HANDLE | ARG | OP_STATUSES, true),
        Func::Flush => (OK | HANDLE | ARG | IO | FAILED, true),
        Func::BeginFlush => (OK | HANDLE | ARG, false),
        Func::Close => (OK | HANDLE | STATE | IO, true),
        Func::Getter => (OK | HANDLE | ARG, false),
        Func::ResultGetter => (OK | HANDLE | ARG | STATE, false),
        Func::Wait => (OK | TIMEOUT | HANDLE, true),
        Func::Cancel => (OK | STATE | HANDLE, false),
    };
    base | if deadlock && in_callback { DEADLOCK } else { 0 }
}

/// The statuses a call on writer `w` may return: a stale handle (`w` None or `dead`) or bad
/// arguments fail fast; a writer being closed by another thread may turn the handle stale
/// mid-call; a call that `runs` a write or flush before returning also reports the writer's I/O
/// failures, one that only queues does not.
pub(crate) fn call_expect(w: Option<&WriterRec>, dead: bool, bad: bool, runs: bool) -> u32 {
    match w {
        Some(w) if !dead => {
            let closing = if w.closing.load(SeqCst) { HANDLE } else { 0 };
            let good = if runs && w.can_fail() {
                OK | IO | FAILED
            } else {
                OK
            };
            closing | if bad { ARG } else { good }
        }
        _ => HANDLE | if bad { ARG } else { 0 },
    }
}

pub(crate) fn status_name(s: avk_status) -> String {
    // SAFETY: avk_status_name returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(avk_status_name(s)) }
        .to_string_lossy()
        .into_owned()
}

fn names(mask: u32) -> String {
    (0..32)
        .filter(|s| mask & (1 << s) != 0)
        .map(|s| status_name(s as avk_status))
        .collect::<Vec<_>>()
        .join("|")
}

/// Checks status `s` of `f` against the documentation and against `expect`, then the last error
/// message of this thread: non-empty after a failure, unchanged after a success.
pub(crate) fn check(
    f: Func,
    s: avk_status,
    expect: u32,
    in_callback: bool,
    what: &str,
) -> avk_status {
    PROGRESS.fetch_add(1, Relaxed);
    if (0..14).contains(&s) {
        HISTOGRAM[f as usize][s as usize].fetch_add(1, Relaxed);
    }
    let doc = documented(f, in_callback);
    if !(0..32).contains(&s) || doc & bit(s) == 0 {
        fault(format!(
            "{what}: {f:?} returned {s} ({}), not a documented status ({})",
            status_name(s),
            names(doc)
        ));
    } else if expect & bit(s) == 0 {
        fault(format!(
            "{what}: returned {}, expected {}",
            status_name(s),
            names(expect)
        ));
    }
    check_last_error(s, what);
    s
}

fn read_last_error() -> Vec<u8> {
    // SAFETY: a NULL buffer of length 0 asks for the length only.
    let full = unsafe { avk_last_error_message(null_mut(), 0) };
    let mut buf = vec![0x7Fu8; full.max(1)];
    // SAFETY: `buf` is writable for its length.
    let again = unsafe { avk_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
    ensure!(
        again == full,
        "last error length changed from {full} to {again}"
    );
    ensure!(
        full >= 1 && buf[full - 1] == 0 && !buf[..full - 1].contains(&0),
        "last error message is not one NUL-terminated string of length {full}"
    );
    buf.truncate(full.saturating_sub(1));
    buf
}

pub(crate) fn check_last_error(s: avk_status, what: &str) {
    let previous = LAST_MESSAGE.with(|m| m.borrow().clone());
    if s == AVK_OK {
        if let Some(previous) = previous {
            if PROGRESS.load(Relaxed).is_multiple_of(8) {
                let now = read_last_error();
                ensure!(
                    now == previous,
                    "{what}: a successful call changed the last error message"
                );
            }
        }
        return;
    }
    let message = read_last_error();
    ensure!(
        !message.is_empty(),
        "{what}: failed with {} but the last error message is empty",
        status_name(s)
    );
    ensure!(
        std::str::from_utf8(&message).is_ok(),
        "{what}: last error message is not UTF-8"
    );
    if message.len() > 4 && PROGRESS.load(Relaxed).is_multiple_of(5) {
        let mut small = [0x7Fu8; 4];
        // SAFETY: writable for 4 bytes.
        let full = unsafe { avk_last_error_message(small.as_mut_ptr().cast(), 4) };
        ensure!(
            full == message.len() + 1 && small[3] == 0 && small[..3] == message[..3],
            "{what}: truncated last error message is wrong"
        );
    }
    LAST_MESSAGE.with(|m| *m.borrow_mut() = Some(message));
}
