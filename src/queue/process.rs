//! The process a writer belongs to. Its worker thread exists only in the process that created
//! it: after `fork()` the child has the writer's memory but no worker, so its calls would wait
//! forever. Writers record the process id at creation and refuse use from another process.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU32, Ordering};

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
