//! The process a writer belongs to. Its worker thread exists only in the process that created
//! it: after `fork()` the child has the writer's memory but no worker, so its calls would wait
//! forever. Writers record the process id at creation and refuse use from another process.

use crate::error::{Error, Result};
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

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

/// A process-wide mutex that a forked child never finds locked. The forking thread locks it
/// before `fork()` and unlocks it after, in the parent; the child, whose only thread is the
/// forking one, moves the value into a new mutex and leaves the old one (still locked) behind.
/// The child does not unlock: a parking_lot mutex may hand a contended lock to a thread waiting
/// for it, and in the child that would be a parent thread that does not exist there. (A std
/// mutex would avoid that, but ThreadSanitizer cannot see std's own locks.)
pub(crate) struct ForkSafeMutex<T> {
    current: AtomicPtr<parking_lot::Mutex<T>>,
    init: fn() -> T,
}

impl<T: Send + 'static> ForkSafeMutex<T> {
    /// A mutex whose value `init` makes on first use.
    pub(crate) const fn new(init: fn() -> T) -> ForkSafeMutex<T> {
        ForkSafeMutex {
            current: AtomicPtr::new(ptr::null_mut()),
            init,
        }
    }

    /// Locks it. It must never be held by a thread that forks, nor while waiting for another
    /// `ForkSafeMutex`.
    pub(crate) fn lock(&'static self) -> parking_lot::MutexGuard<'static, T> {
        self.mutex().lock()
    }

    fn mutex(&'static self) -> &'static parking_lot::Mutex<T> {
        let current = self.current.load(Ordering::Acquire);
        if !current.is_null() {
            // SAFETY: only leaked, never freed mutexes are stored.
            return unsafe { &*current };
        }
        let fresh = Box::into_raw(Box::new(parking_lot::Mutex::new((self.init)())));
        match self.current.compare_exchange(
            ptr::null_mut(),
            fresh,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                #[cfg(unix)]
                guard_across_fork(self);
                // SAFETY: just leaked; never freed.
                unsafe { &*fresh }
            }
            Err(existing) => {
                // SAFETY: `fresh` was never shared; `existing` is leaked, never freed.
                unsafe {
                    drop(Box::from_raw(fresh));
                    &*existing
                }
            }
        }
    }
}

/// What `fork()` does to a [`ForkSafeMutex`].
#[cfg(unix)]
trait ForkGuarded: Sync {
    fn before_fork(&'static self);
    fn in_parent(&'static self);
    fn in_child(&'static self);
}

#[cfg(unix)]
impl<T: Send + 'static> ForkGuarded for ForkSafeMutex<T> {
    fn before_fork(&'static self) {
        std::mem::forget(self.mutex().lock());
    }

    fn in_parent(&'static self) {
        // SAFETY: `before_fork` locked it on this thread and forgot the guard.
        unsafe { self.mutex().force_unlock() }
    }

    fn in_child(&'static self) {
        let old = self.mutex();
        // SAFETY: `before_fork` locked `old` on this thread, the child's only one, so nothing
        // else reads the value; it is moved out once, and `old` is leaked, never dropped.
        let value = unsafe { ptr::read(old.data_ptr()) };
        let fresh = Box::into_raw(Box::new(parking_lot::Mutex::new(value)));
        self.current.store(fresh, Ordering::Release);
    }
}

/// The mutexes guarded across `fork()`, in locking order (each a leaked reference).
#[cfg(unix)]
static FORK_GUARDED: [AtomicPtr<&'static dyn ForkGuarded>; 2] =
    [const { AtomicPtr::new(ptr::null_mut()) }; 2];

/// Each guarded mutex, in order.
#[cfg(unix)]
fn fork_guarded() -> impl DoubleEndedIterator<Item = &'static dyn ForkGuarded> {
    FORK_GUARDED.iter().filter_map(|slot| {
        // SAFETY: only leaked references are stored.
        unsafe { slot.load(Ordering::Acquire).as_ref() }.copied()
    })
}

/// Registers `mutex` with the at-fork handlers (installed once).
#[cfg(unix)]
fn guard_across_fork(mutex: &'static dyn ForkGuarded) {
    extern "C" fn prepare() {
        fork_guarded().for_each(|m| m.before_fork());
    }
    extern "C" fn parent() {
        fork_guarded().rev().for_each(|m| m.in_parent());
    }
    extern "C" fn child() {
        fork_guarded().for_each(|m| m.in_child());
    }
    static HANDLERS: std::sync::Once = std::sync::Once::new();
    HANDLERS.call_once(|| {
        // SAFETY: registers handlers that lock, unlock and renew static mutexes.
        unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    });
    let leaked: *mut &'static dyn ForkGuarded = Box::into_raw(Box::new(mutex));
    let placed = FORK_GUARDED.iter().any(|slot| {
        slot.compare_exchange(ptr::null_mut(), leaked, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    });
    assert!(placed, "more fork-guarded mutexes than FORK_GUARDED holds");
}
