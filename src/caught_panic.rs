//! Panics avikit catches itself (at the C ABI's boundary, on its worker and encoder threads)
//! become error statuses and messages; the process's panic hook must not also print them on the
//! host program's stderr. One hook, installed once on first use, stays silent while the
//! panicking thread is inside such a catch and hands every other panic (the host's own, and
//! those of Rust callbacks avikit runs) to the hook it replaced.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many catches of avikit's own the thread is inside (they nest: a boundary call whose
    /// body catches an encoder panic), or 0 while a host callback runs.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
}

static INSTALL_HOOK: Once = Once::new();

/// Runs `body`, catching a panic as `catch_unwind` does, without the panic hook printing it.
/// The thread-local flag also covers panics while unwinding; a thread being torn down (its
/// locals gone) gets the previous hook.
pub(crate) fn catch_quietly<R>(body: impl FnOnce() -> R) -> std::thread::Result<R> {
    INSTALL_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.try_with(Cell::get).unwrap_or(0) == 0 {
                previous(info);
            }
        }));
    });
    let depth = CATCHING.try_with(Cell::get).unwrap_or(0);
    let _ = CATCHING.try_with(|c| c.set(depth + 1));
    let outcome = catch_unwind(AssertUnwindSafe(body));
    let _ = CATCHING.try_with(|c| c.set(depth));
    outcome
}

/// Runs host code (a Rust callback) inside one of avikit's catches: its panics reach the
/// host's hook as if avikit were not there.
pub(crate) fn as_host_code<R>(body: impl FnOnce() -> R) -> R {
    let depth = CATCHING.try_with(|c| c.replace(0)).unwrap_or(0);
    // Restored even when `body` unwinds.
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = CATCHING.try_with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(depth);
    body()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Set in the child process that [`a_caught_panic_writes_nothing_to_stderr`] starts.
    const CHILD: &str = "AVIKIT_CAUGHT_PANIC_CHILD";

    /// A panic caught inside `catch_quietly` prints nothing, nested or not, through the C ABI's
    /// boundary too; a panic outside one still reaches the previous hook, and so does a host
    /// callback's inside one. Runs in a child process: the hook is process-wide.
    #[test]
    fn a_caught_panic_writes_nothing_to_stderr() {
        if std::env::var_os(CHILD).is_some() {
            assert!(catch_quietly(|| panic!("first")).is_err());
            let nested = catch_quietly(|| catch_quietly(|| panic!("nested")).is_err());
            assert!(matches!(nested, Ok(true)));
            #[cfg(feature = "capi")]
            assert_eq!(
                crate::ffi::boundary(|| -> crate::Result<()> { panic!("at the boundary") }),
                crate::ffi::AVK_E_PANIC
            );
            eprint!("quiet so far|");
            let host = catch_quietly(|| as_host_code(|| panic!("host callback")));
            assert!(host.is_err());
            let outside = std::panic::catch_unwind(|| panic!("outside"));
            assert!(outside.is_err());
            return;
        }
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "caught_panic::tests::a_caught_panic_writes_nothing_to_stderr",
            ])
            .args(["--nocapture", "--test-threads=1"])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let (before, after) = stderr.split_once("quiet so far|").expect("the child ran");
        assert_eq!(before, "", "a caught panic printed");
        assert!(after.contains("host callback"), "{after}");
        assert!(after.contains("outside"), "{after}");
    }
}
