//! Faults: recorded, never panicking mid-sequence (that would free buffers the library may still
//! read, and a panic inside an extern "C" callback aborts); the counters the summary and the
//! watchdog read; where each thread is, for the fault messages.

use std::cell::{Cell, RefCell};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Mutex, MutexGuard};

pub(crate) static FAULTS: Mutex<Vec<String>> = Mutex::new(Vec::new());
pub(crate) static FAULT_COUNT: AtomicUsize = AtomicUsize::new(0);
/// Bumped by every call; the watchdog aborts when it stops moving.
pub(crate) static PROGRESS: AtomicU64 = AtomicU64::new(0);
pub(crate) static CURRENT_SEED: AtomicU64 = AtomicU64::new(0);
/// How often each function returned each status (coverage report).
pub(crate) static HISTOGRAM: [[AtomicU64; 14]; 13] =
    [const { [const { AtomicU64::new(0) }; 14] }; 13];
/// Files read back and data chunks matched to their operations.
pub(crate) static FILES_VERIFIED: AtomicU64 = AtomicU64::new(0);
pub(crate) static CHUNKS_VERIFIED: AtomicU64 = AtomicU64::new(0);
pub(crate) static CONVERTED_VERIFIED: AtomicU64 = AtomicU64::new(0);
pub(crate) static ENCODED_COUNTED: AtomicU64 = AtomicU64::new(0);

thread_local! {
    pub(crate) static WHERE: RefCell<String> = const { RefCell::new(String::new()) };
    /// Set on the test's own threads: a callback must never run on one of them.
    pub(crate) static TEST_THREAD: Cell<bool> = const { Cell::new(false) };
    /// This thread's last error message as last read, to check successes leave it alone.
    pub(crate) static LAST_MESSAGE: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn fault(msg: String) {
    FAULT_COUNT.fetch_add(1, Relaxed);
    let at = WHERE.with(|w| w.borrow().clone());
    let mut faults = lock(&FAULTS);
    if faults.len() < 40 {
        faults.push(format!("seed {} [{at}] {msg}", CURRENT_SEED.load(Relaxed)));
    }
}

/// Records a fault (never panics) when `cond` is false.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::ffi_sequences::faults::fault(format!($($arg)*));
        }
    };
}
pub(crate) use ensure;

pub(crate) fn set_where(text: String) {
    WHERE.with(|w| *w.borrow_mut() = text);
}

pub(crate) fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".into())
}
