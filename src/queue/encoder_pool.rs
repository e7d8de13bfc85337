//! The process's encoder threads, shared by every writer. Begin hands each frame of an encoding
//! stream to the writer's [`EncoderLane`] and queues a job that refers to its [`EncodedSlot`];
//! the worker takes jobs in begin order and waits for each slot, so frames encode in parallel
//! while chunks still land in begin order. One pool per process (one thread per CPU) keeps 16
//! writers on 16 cores at 16 encoder threads, not 256.

use super::payload::Payload;
use super::process::{self, ForkSafeMutex};
use crate::caught_panic::catch_quietly;
use crate::codec::encoder::{EncodedFrame, FrameEncoder};
use crate::error::{Error, Result, Status};
use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

/// Where one frame's encoding result appears: a one-shot channel, filled once by an encoder
/// thread and taken once by the worker.
pub(crate) struct EncodedSlot {
    filled: Sender<Result<EncodedFrame>>,
    taken: Receiver<Result<EncodedFrame>>,
}

impl EncodedSlot {
    fn new() -> EncodedSlot {
        let (filled, taken) = crossbeam_channel::bounded(1);
        EncodedSlot { filled, taken }
    }

    fn fill(&self, frame: Result<EncodedFrame>) {
        // The slot holds one result and is filled once: the send never blocks.
        let _ = self.filled.try_send(frame);
    }

    /// Waits for the encoder thread and takes its result. The input buffer is no longer read
    /// once this returns.
    pub fn take(&self) -> Result<EncodedFrame> {
        // The slot keeps its own sender, so the channel is never disconnected.
        self.taken
            .recv()
            .unwrap_or_else(|_| Err(Error::new(Status::Panic, "an encoded slot lost its sender")))
    }
}

struct EncodeTask {
    encoder: Arc<dyn FrameEncoder>,
    input: Payload,
    slot: Arc<EncodedSlot>,
    lane: Arc<Lane>,
}

impl EncodeTask {
    /// Encodes, fills the slot, and returns the lane's next waiting task, if any.
    fn run(self) -> Option<EncodeTask> {
        let encoded = catch_quietly(|| self.encoder.encode(self.input.as_slice()))
            .unwrap_or_else(|_| Err(Error::new(Status::Panic, "the encoder panicked")));
        drop(self.input);
        self.slot.fill(encoded);
        self.lane.finished()
    }
}

/// One writer's frames on the pool: at most `cap` encode at once, the rest wait in begin order.
struct Lane {
    cap: usize,
    state: Mutex<LaneState>,
}

struct LaneState {
    running: usize,
    waiting: VecDeque<EncodeTask>,
}

impl Lane {
    /// A task of this lane is done: the next waiting one runs in its place.
    fn finished(&self) -> Option<EncodeTask> {
        let mut state = self.state.lock();
        let next = state.waiting.pop_front();
        if next.is_none() {
            state.running -= 1;
        }
        next
    }
}

/// The encoder threads, fed through one channel; they stop when the last writer using them
/// lets go (the channel closes) and are joined then.
struct EncoderPool {
    tasks: Option<Sender<EncodeTask>>,
    threads: Vec<JoinHandle<()>>,
}

/// The pool of this process, while any writer holds it (a forked child starts its own).
static SHARED_POOL: ForkSafeMutex<Option<(u32, Weak<EncoderPool>)>> = ForkSafeMutex::new(|| None);

impl EncoderPool {
    /// The process's pool, started (one thread per CPU) if no writer holds it now.
    fn shared() -> Result<Arc<EncoderPool>> {
        // Fork-safe: a child that starts writers of its own never finds it held.
        let mut shared = SHARED_POOL.lock();
        let pid = process::current();
        if let Some(pool) = shared
            .as_ref()
            .filter(|(owner, _)| *owner == pid)
            .and_then(|(_, pool)| pool.upgrade())
        {
            return Ok(pool);
        }
        let pool = Arc::new(EncoderPool::start()?);
        *shared = Some((pid, Arc::downgrade(&pool)));
        Ok(pool)
    }

    fn start() -> Result<EncoderPool> {
        let count = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (tx, rx) = crossbeam_channel::unbounded::<EncodeTask>();
        let mut pool = EncoderPool {
            tasks: Some(tx),
            threads: Vec::with_capacity(count),
        };
        for i in 0..count {
            let rx: Receiver<EncodeTask> = rx.clone();
            let handle = std::thread::Builder::new()
                .name(format!("avikit-encoder-{i}"))
                .spawn(move || {
                    for task in rx {
                        let mut next = Some(task);
                        while let Some(task) = next {
                            next = task.run();
                        }
                    }
                })
                .map_err(|e| Error::io("cannot start an encoder thread", e))?;
            pool.threads.push(handle);
        }
        Ok(pool)
    }

    fn threads(&self) -> usize {
        self.threads.len()
    }
}

impl Drop for EncoderPool {
    fn drop(&mut self) {
        self.tasks = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A writer's way onto the process's encoder pool.
pub(crate) struct EncoderLane {
    pool: Arc<EncoderPool>,
    lane: Arc<Lane>,
}

impl EncoderLane {
    /// Joins the process's pool (starting it if no writer holds it), with at most `cap` frames
    /// encoding at once (0 = as many as the pool has threads).
    ///
    /// # Errors
    /// [`Status::Io`] when the operating system refuses a thread.
    pub fn join(cap: usize) -> Result<EncoderLane> {
        let pool = EncoderPool::shared()?;
        let cap = match cap {
            0 => pool.threads(),
            n => n,
        };
        Ok(EncoderLane {
            pool,
            lane: Arc::new(Lane {
                cap,
                state: Mutex::new(LaneState {
                    running: 0,
                    waiting: VecDeque::new(),
                }),
            }),
        })
    }

    /// Queues one frame; its result appears in the returned slot.
    pub fn submit(&self, encoder: Arc<dyn FrameEncoder>, input: Payload) -> Arc<EncodedSlot> {
        let slot = Arc::new(EncodedSlot::new());
        let task = EncodeTask {
            encoder,
            input,
            slot: Arc::clone(&slot),
            lane: Arc::clone(&self.lane),
        };
        let mut state = self.lane.state.lock();
        if state.running >= self.lane.cap {
            state.waiting.push_back(task);
            return slot;
        }
        state.running += 1;
        drop(state);
        if let Some(Err(rejected)) = self.pool.tasks.as_ref().map(|tx| tx.send(task)) {
            // The pool lives as long as this lane: cannot happen, but never leave the worker
            // waiting on a slot no thread will fill.
            rejected.0.slot.fill(Err(Error::new(
                Status::InvalidHandle,
                "the encoder pool has stopped",
            )));
        }
        slot
    }
}
