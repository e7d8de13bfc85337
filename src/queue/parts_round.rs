//! One round of a frame's parts (Ut Video's slices), taken one at a time by the encoder thread
//! that encodes the frame and by the idle encoder threads its writer lends it. The parts borrow
//! the frame's buffers from the owner's stack, so the round guarantees that no thread calls a
//! part once the owner has returned from [`PartsRound::finish`].

use crate::caught_panic::catch_quietly;
use parking_lot::{Condvar, Mutex, MutexGuard};
use std::any::Any;

/// A part, with its borrow's lifetime erased: see the protocol on [`PartsRound`].
type ErasedPart = *const (dyn Fn(usize) + Sync + 'static);

/// The shared state of a round. The owner creates it, lets helpers [`PartsRound::help`] and
/// calls [`PartsRound::finish`]: a helper calls the part only after it registered as running
/// while the round was open, and `finish` closes the round and waits until no helper runs.
pub(crate) struct PartsRound {
    part: ErasedPart,
    state: Mutex<RoundState>,
    all_out: Condvar,
}

struct RoundState {
    next: usize,
    count: usize,
    /// Threads inside the loop that calls parts.
    running: usize,
    /// Set by the owner's `finish`: late helpers leave without touching the part.
    closed: bool,
    /// The first part that panicked; no part starts after it.
    panic: Option<Box<dyn Any + Send>>,
}

// SAFETY: `part` points at a `Sync` closure, and it is only called between a thread's
// registration (under the lock, while the round is open) and its deregistration; the owner, who
// keeps the closure alive, waits in `finish` until every registered thread has deregistered.
unsafe impl Send for PartsRound {}
// SAFETY: as for Send; the rest of the state is behind the mutex.
unsafe impl Sync for PartsRound {}

impl PartsRound {
    /// A round of `count` parts calling `part`. The caller must call [`PartsRound::finish`]
    /// before `part` goes out of scope, and before that only hand the round to helpers.
    pub fn new(count: usize, part: &(dyn Fn(usize) + Sync)) -> PartsRound {
        let part: *const (dyn Fn(usize) + Sync + '_) = part;
        PartsRound {
            // SAFETY: only the lifetime changes (the same fat pointer); `finish` guarantees
            // the pointer is not used after the borrow ends (see the type's protocol).
            part: unsafe {
                std::mem::transmute::<*const (dyn Fn(usize) + Sync + '_), ErasedPart>(part)
            },
            state: Mutex::new(RoundState {
                next: 0,
                count,
                running: 0,
                closed: false,
                panic: None,
            }),
            all_out: Condvar::new(),
        }
    }

    /// Takes parts until none is left; returns at once if the round is already closed.
    pub fn help(&self) {
        let mut state = self.state.lock();
        if state.closed {
            return;
        }
        state.running += 1;
        while state.next < state.count {
            let i = state.next;
            state.next += 1;
            let outcome = MutexGuard::unlocked(&mut state, || {
                // SAFETY: this thread is registered as running in an open round, so the owner
                // is still inside `finish`'s wait or before it: the closure is alive.
                catch_quietly(|| unsafe { (*self.part)(i) })
            });
            if let Err(panic) = outcome {
                state.panic.get_or_insert(panic);
                state.next = state.count;
            }
        }
        state.running -= 1;
        if state.running == 0 {
            self.all_out.notify_all();
        }
    }

    /// The owner's end of the round: takes parts until none is left, closes the round, waits
    /// for the helpers still running a part, and returns the first panic of a part, if any.
    pub fn finish(&self) -> Option<Box<dyn Any + Send>> {
        self.help();
        let mut state = self.state.lock();
        state.closed = true;
        while state.running > 0 {
            self.all_out.wait(&mut state);
        }
        state.panic.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn every_part_runs_once_across_helpers() {
        for helpers in [0, 1, 3] {
            let calls: Vec<AtomicUsize> = (0..50).map(|_| AtomicUsize::new(0)).collect();
            let part = |i: usize| {
                calls[i].fetch_add(1, Ordering::Relaxed);
            };
            let round = Arc::new(PartsRound::new(calls.len(), &part));
            std::thread::scope(|scope| {
                for _ in 0..helpers {
                    let round = Arc::clone(&round);
                    scope.spawn(move || round.help());
                }
                assert!(round.finish().is_none());
            });
            assert!(calls.iter().all(|c| c.load(Ordering::Relaxed) == 1));
        }
    }

    #[test]
    fn a_late_helper_leaves_a_closed_round_alone() {
        let called = AtomicUsize::new(0);
        let part = |_: usize| {
            called.fetch_add(1, Ordering::Relaxed);
        };
        let round = PartsRound::new(4, &part);
        assert!(round.finish().is_none());
        round.help();
        assert_eq!(called.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn a_panicking_part_is_handed_to_the_owner_after_the_helpers() {
        let part = |i: usize| assert!(i != 2, "part 2 fails");
        let round = Arc::new(PartsRound::new(8, &part));
        let panic = std::thread::scope(|scope| {
            let helper = Arc::clone(&round);
            scope.spawn(move || helper.help());
            round.finish()
        });
        let panic = panic.expect("the panic of part 2");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"part 2 fails"));
    }
}
