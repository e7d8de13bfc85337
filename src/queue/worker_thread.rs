//! Which writer's worker the calling thread is. A wait on that thread for its own writer could
//! never end (the worker is the one that would end it), so every wait asks here first: results,
//! queue room, flush, close, the wait graph and write scopes.

use std::cell::Cell;

thread_local! {
    /// The id of the writer whose worker is this thread (0 elsewhere).
    static WORKER_OF: Cell<u64> = const { Cell::new(0) };
}

/// Marks the calling thread as the worker of writer `id`.
pub(crate) fn enter_worker(id: u64) {
    WORKER_OF.with(|w| w.set(id));
}

/// The id of the writer whose worker is the calling thread; 0 on other threads.
pub(crate) fn current_worker() -> u64 {
    WORKER_OF.with(Cell::get)
}

/// Whether the calling thread is writer `id`'s worker (inside one of its callbacks).
pub(crate) fn on_worker_of(id: u64) -> bool {
    current_worker() == id
}
