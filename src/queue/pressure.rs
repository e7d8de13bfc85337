//! Back-pressure: a bound on the payload bytes queued in one writer. Begin waits for room; the
//! worker gives room back as operations complete.

use super::wait_graph;
use super::worker_thread::on_worker_of;
use crate::error::{Error, Result, Status};
use parking_lot::{Condvar, Mutex};

/// Queued payload bytes of one writer and their bound.
pub(crate) struct QueuePressure {
    writer_id: u64,
    /// 0 = unbounded.
    bound: u64,
    queued: Mutex<u64>,
    room: Condvar,
}

impl QueuePressure {
    pub fn new(writer_id: u64, bound: u64) -> QueuePressure {
        QueuePressure {
            writer_id,
            bound,
            queued: Mutex::new(0),
            room: Condvar::new(),
        }
    }

    /// Reserves `len` queued bytes, waiting while the queue is over the bound. An operation
    /// larger than the bound waits for an empty queue.
    ///
    /// # Errors
    /// [`Status::WouldDeadlock`] when it would have to wait on the writer's own worker (inside a
    /// callback), since only that thread can make room, or inside a callback of another writer
    /// whose worker this writer's worker is waiting on.
    pub fn acquire(&self, len: u64) -> Result<()> {
        if self.bound == 0 {
            return Ok(());
        }
        let mut queued = self.queued.lock();
        let mut edge = None;
        while *queued > 0 && *queued + len > self.bound {
            if on_worker_of(self.writer_id) {
                return Err(Error::new(
                    Status::WouldDeadlock,
                    format!(
                        "the queue holds {} bytes and max_queued_bytes is {}: waiting for room \
                         inside a callback of the same writer would deadlock",
                        *queued, self.bound
                    ),
                ));
            }
            if edge.is_none() {
                edge = Some(wait_graph::enter(
                    self.writer_id,
                    "waiting for queue room on another writer",
                )?);
            }
            self.room.wait(&mut queued);
        }
        *queued += len;
        Ok(())
    }

    /// Whether begin may have to wait for room at all.
    pub fn is_bounded(&self) -> bool {
        self.bound != 0
    }

    /// Reserves `len` queued bytes if there is room now, never waiting (`AVK_WRITE_NOWAIT`).
    ///
    /// # Errors
    /// [`Status::QueueFull`] when [`QueuePressure::acquire`] would wait.
    pub fn try_acquire(&self, len: u64) -> Result<()> {
        if self.bound == 0 {
            return Ok(());
        }
        let mut queued = self.queued.lock();
        if *queued > 0 && *queued + len > self.bound {
            return Err(Error::new(
                Status::QueueFull,
                format!(
                    "the queue holds {} bytes and max_queued_bytes is {}: no room for {len} more \
                     without waiting",
                    *queued, self.bound
                ),
            ));
        }
        *queued += len;
        Ok(())
    }

    /// Gives back `len` bytes reserved by [`QueuePressure::acquire`].
    pub fn release(&self, len: u64) {
        if self.bound == 0 {
            return;
        }
        let mut queued = self.queued.lock();
        *queued -= len.min(*queued);
        drop(queued);
        self.room.notify_all();
    }
}
