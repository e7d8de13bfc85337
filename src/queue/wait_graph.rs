//! Which writer's worker is waiting on which other writer. A worker thread blocked inside a
//! callback (on a result, a flush, queue room or a close of another writer) cannot serve its own
//! queue, so a wait that would close a cycle of such waits (A's callback waits on B while B's
//! waits on A) would hang forever: it is refused with [`Status::WouldDeadlock`] instead.
//! Waits of the writer on itself are refused where they happen, with their own messages.

use super::worker_thread::current_worker;
use crate::error::{Error, Result, Status};
use parking_lot::Mutex;

/// Edges `(waiting writer, awaited writer)`: at most one per waiting worker thread.
static WAITS: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());

/// A registered wait; dropping it removes the edge (when this one added it).
#[must_use = "the wait is registered only while the edge lives"]
pub(crate) struct WaitEdge {
    /// The waiting writer whose edge this guard removes; 0 when it added none.
    from: u64,
}

impl Drop for WaitEdge {
    fn drop(&mut self) {
        if self.from != 0 {
            WAITS.lock().retain(|&(from, _)| from != self.from);
        }
    }
}

/// Registers that the calling thread is about to block until writer `target`'s worker makes
/// progress. Threads that are no worker wait freely (nothing waits on them), as does a worker
/// already registered (a wait nested in one that was checked).
///
/// # Errors
/// [`Status::WouldDeadlock`] when `target`'s worker is, directly or through other workers,
/// waiting on the calling worker's writer; `what` names the refused call.
pub(crate) fn enter(target: u64, what: &str) -> Result<WaitEdge> {
    let from = current_worker();
    if from == 0 || from == target {
        return Ok(WaitEdge { from: 0 });
    }
    let mut waits = WAITS.lock();
    if waits.iter().any(|&(f, _)| f == from) {
        return Ok(WaitEdge { from: 0 });
    }
    let mut at = target;
    // Each worker waits on at most one writer, so the walk ends within `waits.len()` steps.
    for _ in 0..waits.len() {
        let Some(&(_, next)) = waits.iter().find(|&&(f, _)| f == at) else {
            break;
        };
        if next == from {
            return Err(Error::new(
                Status::WouldDeadlock,
                format!(
                    "{what} inside a callback of writer {from} would deadlock: writer \
                     {target}'s worker is itself waiting (in a callback) for this writer"
                ),
            ));
        }
        at = next;
    }
    waits.push((from, target));
    Ok(WaitEdge { from })
}
