//! `AsyncResult`, the IAsyncResult of the APM: an operation's completion state, the waiters on
//! it and the callback that runs on the worker once it completes.

use super::worker_thread::on_worker_of;
use super::{process, wait_graph};
use crate::error::{panic_text, Error, Result, Status};
use crossbeam_utils::Backoff;
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The callback of an asynchronous operation. It runs once, on the writer's worker thread, after
/// the operation has completed and its waiters were woken.
pub type Callback = Box<dyn FnOnce(&AsyncResult) + Send + 'static>;

/// What an operation acts on, to match it against the stream or writer that ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpTarget {
    Stream { writer: u64, stream: usize },
    Flush { writer: u64 },
}

impl OpTarget {
    fn writer(self) -> u64 {
        match self {
            OpTarget::Stream { writer, .. } | OpTarget::Flush { writer } => writer,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Queued,
    /// Taken by the worker: no longer cancelable.
    Running,
    Done,
}

struct OpState {
    phase: Phase,
    cancel_requested: bool,
    outcome: Option<Error>,
}

pub(crate) struct OpShared {
    state: Mutex<OpState>,
    /// Set with `state.phase = Done`, readable without the lock by a waiter that spins.
    done: AtomicBool,
    completed: Condvar,
    callback: Mutex<Option<Callback>>,
    target: OpTarget,
    /// The process that began the operation: only its writer's worker can complete it.
    pid: u32,
}

/// Snoozes of a crossbeam `Backoff` (spins first, then yields of the CPU) that a thread spends
/// on an event another thread is about to cause before it sleeps: about 30 microseconds, the
/// turnaround of a write on the worker. Sleeping sooner costs both threads a futex wake-up per
/// synchronous write (Backoff's own limit, a few microseconds, cut W2 sync writes tenfold).
pub(crate) const SNOOZES: u32 = 40;

/// The state of one asynchronous operation (.NET's `IAsyncResult`). Cheap to clone; every clone
/// refers to the same operation. Thread-safe.
#[derive(Clone)]
pub struct AsyncResult {
    op: Arc<OpShared>,
}

impl OpState {
    fn queued() -> OpState {
        OpState {
            phase: Phase::Queued,
            cancel_requested: false,
            outcome: None,
        }
    }
}

impl std::fmt::Debug for AsyncResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncResult")
            .field("target", &self.op.target)
            .field("completed", &self.is_completed())
            .finish()
    }
}

impl AsyncResult {
    pub(crate) fn new(target: OpTarget, callback: Option<Callback>) -> AsyncResult {
        AsyncResult {
            op: Arc::new(OpShared {
                state: Mutex::new(OpState::queued()),
                done: AtomicBool::new(false),
                completed: Condvar::new(),
                callback: Mutex::new(callback),
                target,
                pid: process::current(),
            }),
        }
    }

    pub(crate) fn target(&self) -> OpTarget {
        self.op.target
    }

    /// Whether both refer to the same operation.
    pub fn same_operation(&self, other: &AsyncResult) -> bool {
        Arc::ptr_eq(&self.op, &other.op)
    }

    /// Whether the operation has completed (successfully or not).
    pub fn is_completed(&self) -> bool {
        self.op.done.load(Ordering::Acquire)
    }

    /// The outcome once completed: `Some(Ok(()))`, `Some(Err(e))`, or `None` while pending.
    /// In a forked child, `None` also when the parent's worker was completing it at fork.
    pub fn outcome(&self) -> Option<Result<()>> {
        if !self.is_completed() {
            return None;
        }
        // The worker marks the operation done while it still holds the lock: in a forked child
        // that lock may never be released.
        let state = if process::check(self.op.pid).is_ok() {
            self.op.state.lock()
        } else {
            self.op.state.try_lock()?
        };
        match state.phase {
            Phase::Queued | Phase::Running => None,
            Phase::Done => Some(state.outcome.clone().map_or(Ok(()), Err)),
        }
    }

    /// Waits until the operation completes or `timeout` passes (`None` waits forever).
    ///
    /// # Errors
    /// [`Status::Timeout`] when time ran out (the operation is still pending);
    /// [`Status::WouldDeadlock`] when called on the writer's own worker (inside a callback) for
    /// an operation that has not completed, or inside a callback of another writer whose wait
    /// would close a cycle of workers waiting on each other; [`Status::InvalidState`] in a
    /// process other than the one that began it (after `fork()`).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<()> {
        let poll = timeout.is_some_and(|t| t.is_zero());
        // A zero timeout is a poll: it answers at once.
        if !poll && !on_worker_of(self.op.target.writer()) {
            self.spin_until_done();
        }
        if self.is_completed() {
            return Ok(());
        }
        // Before the lock, which a parent thread may have held at fork.
        process::check(self.op.pid)?;
        let mut state = self.op.state.lock();
        if state.phase == Phase::Done {
            return Ok(());
        }
        if on_worker_of(self.op.target.writer()) {
            return Err(Error::new(
                Status::WouldDeadlock,
                "waiting inside a callback for an operation of the same writer that has not \
                 completed would deadlock: the worker running the callback is the one that \
                 completes it",
            ));
        }
        let _edge = if poll {
            None
        } else {
            Some(wait_graph::enter(
                self.op.target.writer(),
                "waiting for an operation of another writer",
            )?)
        };
        let deadline = timeout.map(|t| Instant::now() + t);
        while state.phase != Phase::Done {
            match deadline {
                None => self.op.completed.wait(&mut state),
                Some(d) => {
                    if self.op.completed.wait_until(&mut state, d).timed_out()
                        && state.phase != Phase::Done
                    {
                        return Err(Error::new(
                            Status::Timeout,
                            "the operation did not complete within the timeout; it is still pending",
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Spins briefly for completion: a worker that is already on the operation usually
    /// finishes within microseconds, sooner than a sleep on the condition variable and the
    /// wake-up it needs (two system calls, one on each side).
    fn spin_until_done(&self) {
        let backoff = Backoff::new();
        for _ in 0..SNOOZES {
            if self.op.done.load(Ordering::Acquire) {
                return;
            }
            backoff.snooze();
        }
    }

    /// Asks that the operation not run. It still completes (with [`Status::Canceled`]) and its
    /// callback still runs, in its place in the queue.
    ///
    /// # Errors
    /// [`Status::InvalidState`] when the worker has already started it or it is complete: a
    /// chunk that has started is always written whole; also in a process other than the one
    /// that began it (after `fork()`).
    pub fn cancel(&self) -> Result<()> {
        process::check(self.op.pid)?;
        let mut state = self.op.state.lock();
        if state.phase != Phase::Queued {
            return Err(Error::invalid_state(
                "the operation has already started or completed and can no longer be canceled",
            ));
        }
        state.cancel_requested = true;
        Ok(())
    }

    /// Called by the worker when it takes the operation: `false` if it was canceled (then it
    /// must be completed with [`AsyncResult::canceled`] without running).
    pub(crate) fn start_running(&self) -> bool {
        let mut state = self.op.state.lock();
        if state.cancel_requested {
            return false;
        }
        state.phase = Phase::Running;
        true
    }

    /// The outcome of a canceled operation.
    pub(crate) fn canceled() -> Result<()> {
        Err(Error::new(
            Status::Canceled,
            "the operation was canceled before it ran",
        ))
    }

    /// Waits without limit and returns the outcome.
    pub(crate) fn wait_outcome(&self) -> Result<()> {
        self.wait(None)?;
        self.outcome().unwrap_or(Ok(()))
    }

    /// Marks the operation complete and wakes its waiters. Called by the worker exactly once.
    pub(crate) fn complete(&self, outcome: Result<()>) {
        let mut state = self.op.state.lock();
        debug_assert_ne!(state.phase, Phase::Done);
        state.outcome = outcome.err();
        state.phase = Phase::Done;
        self.op.done.store(true, Ordering::Release);
        drop(state);
        self.op.completed.notify_all();
    }

    /// Completes the operation unless it already is: for a worker that lost track of where it
    /// was (it unwound), so that no waiter is left hanging.
    pub(crate) fn complete_if_pending(&self, outcome: Result<()>) {
        if self.op.state.lock().phase != Phase::Done {
            self.complete(outcome);
        }
    }

    /// Runs the callback, if any, on the calling (worker) thread. A panicking Rust callback is
    /// contained so the worker keeps serving the queue; the host's panic hook reports it.
    pub(crate) fn run_callback(&self) -> Option<String> {
        let callback = self.op.callback.lock().take()?;
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::caught_panic::as_host_code(|| callback(self))
        }))
        .err()?;
        Some(panic_text(panic.as_ref()))
    }
}
