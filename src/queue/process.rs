//! The process a writer belongs to. Its worker thread exists only in the process that created
//! it: after `fork()` the child has the writer's memory but no worker, so its calls would wait
//! forever. Writers record the process id at creation and refuse use from another process.

use crate::error::{Error, Result};
#[cfg(unix)]
use std::any::Any;
#[cfg(unix)]
use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};
#[cfg(unix)]
use std::sync::{Mutex, OnceLock, PoisonError};

/// The current process id, 0 until first asked; refreshed in the child by an at-fork handler,
/// so that checking it costs an atomic load, not a system call.
static PID: AtomicU32 = AtomicU32::new(0);

#[cfg(unix)]
extern "C" fn refresh_in_child() {
    // getpid is async-signal-safe, as an at-fork child handler needs.
    PID.store(std::process::id(), Ordering::Relaxed);
}

/// The id of the calling process.
pub(crate) fn current() -> u32 {
    let pid = PID.load(Ordering::Relaxed);
    if pid != 0 {
        return pid;
    }
    #[cfg(unix)]
    {
        static HANDLER: std::sync::Once = std::sync::Once::new();
        HANDLER.call_once(|| {
            // SAFETY: registers a handler that only stores getpid() in an atomic.
            unsafe { libc::pthread_atfork(None, None, Some(refresh_in_child)) };
        });
    }
    let pid = std::process::id();
    PID.store(pid, Ordering::Relaxed);
    pid
}

/// `Ok` when the calling process is `owner`, the one that created the writer.
///
/// # Errors
/// [`crate::Status::InvalidState`] in any other process (a child after `fork()`).
pub(crate) fn check(owner: u32) -> Result<()> {
    let pid = current();
    if pid != owner {
        return Err(Error::invalid_state(format!(
            "the writer belongs to process {owner}, which created it; after fork() this process \
             ({pid}) has no worker thread for it and cannot use it"
        )));
    }
    Ok(())
}

/// A process-wide mutex that `fork()` must not copy while another thread holds it: the forking
/// thread locks it before the fork and keeps the guard, and that guard unlocks it after the
/// fork, in the parent and in the child (whose only thread is the forking one). A std mutex,
/// not parking_lot's: parking_lot may hand a contended lock to a waiting thread on unlock, and
/// in the child that would be one of the parent's threads, which do not exist there.
#[cfg(unix)]
trait ForkGuarded: Sync {
    /// Locks, keeping the guard on this thread until [`release_kept`].
    fn lock_kept(&'static self);
}

#[cfg(unix)]
impl<T: Send + 'static> ForkGuarded for Mutex<T> {
    fn lock_kept(&'static self) {
        let guard = self.lock().unwrap_or_else(PoisonError::into_inner);
        // A thread being torn down has no store left: it forks without holding the lock.
        let _ = KEPT.try_with(|kept| kept.borrow_mut().push(Box::new(guard)));
    }
}

#[cfg(unix)]
thread_local! {
    /// The guards the forking thread holds across `fork()`.
    static KEPT: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// The mutexes guarded across `fork()`, in locking order.
#[cfg(unix)]
static FORK_GUARDED: [OnceLock<&'static dyn ForkGuarded>; 2] = [const { OnceLock::new() }; 2];

/// Unlocks what the forking thread locked before the fork.
#[cfg(unix)]
extern "C" fn release_kept() {
    let _ = KEPT.try_with(|kept| kept.borrow_mut().clear());
}

/// Guards `mutex` across `fork()` (see [`ForkGuarded`]). Call once per mutex; it must never
/// be held by a thread that forks, nor while waiting for another guarded mutex.
#[cfg(unix)]
pub(crate) fn guard_across_fork<T: Send + 'static>(mutex: &'static Mutex<T>) {
    extern "C" fn prepare() {
        for slot in &FORK_GUARDED {
            if let Some(mutex) = slot.get() {
                mutex.lock_kept();
            }
        }
    }
    static HANDLERS: std::sync::Once = std::sync::Once::new();
    HANDLERS.call_once(|| {
        // SAFETY: registers handlers that lock and unlock static mutexes on the forking thread.
        unsafe { libc::pthread_atfork(Some(prepare), Some(release_kept), Some(release_kept)) };
    });
    let placed = FORK_GUARDED.iter().any(|slot| slot.set(mutex).is_ok());
    assert!(placed, "more fork-guarded mutexes than FORK_GUARDED holds");
}
