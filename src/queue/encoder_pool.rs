//! The process's encoder threads, shared by every writer. Begin hands each frame of an encoding
//! stream to the writer's [`EncoderLane`] and queues a job that refers to its [`EncodedSlot`];
//! the worker takes jobs in begin order and waits for each slot, so frames encode in parallel
//! while chunks still land in begin order. One pool per process (one thread per CPU) keeps 16
//! writers on 16 cores at 16 encoder threads, not 256. A frame made of independent parts (Ut
//! Video's slices) borrows the idle threads its writer may still use, so one frame at a time
//! (a caller that waits for each write) also encodes on several cores.

use super::chunk_buffers::ChunkBuffers;
use super::parts_round::PartsRound;
use super::payload::Payload;
use super::process::{self, ForkSafeMutex};
use crate::caught_panic::catch_quietly;
use crate::codec::encoder::{EncodedFrame, FrameEncoder, FrameParts};
use crate::error::{Error, Result, Status};
use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

/// Where one frame's encoding result appears: a one-shot channel, filled once by an encoder
/// thread and taken once by the worker.
pub(crate) struct EncodedSlot {
    filled: Sender<Result<EncodedFrame>>,
    taken: Receiver<Result<EncodedFrame>>,
    /// Where the chunk's buffer goes once written.
    buffers: Arc<ChunkBuffers>,
}

impl EncodedSlot {
    fn new(buffers: Arc<ChunkBuffers>) -> EncodedSlot {
        let (filled, taken) = crossbeam_channel::bounded(1);
        EncodedSlot {
            filled,
            taken,
            buffers,
        }
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

    /// As [`EncodedSlot::take`], as the chunk to write and its keyframe flag; the chunk's
    /// buffer goes back to the writer's encoders once the payload is dropped.
    pub fn take_chunk(&self) -> Result<(Payload, bool)> {
        let frame = self.take()?;
        let payload = Payload::encoded(frame.data, Arc::clone(&self.buffers));
        Ok((payload, frame.keyframe))
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
    fn run(self, pool: &PoolShared) -> Option<EncodeTask> {
        let parts = LaneParts {
            pool,
            lane: &self.lane,
        };
        let encoded = catch_quietly(|| self.encoder.encode_in_parts(self.input.as_slice(), &parts))
            .unwrap_or_else(|_| Err(Error::new(Status::Panic, "the encoder panicked")));
        drop(self.input);
        self.slot.fill(encoded);
        self.lane.finished()
    }
}

/// What an encoder thread takes from the pool's channel.
enum PoolJob {
    Encode(EncodeTask),
    /// Take parts of a frame another thread of the lane is encoding, then give the lane's
    /// place back.
    Help(Arc<PartsRound>, Arc<Lane>),
    /// The pool is stopping: the thread ends.
    Stop,
}

/// The frame parts of one encoding task: on its own thread, and on as many idle threads as its
/// lane has places free.
struct LaneParts<'a> {
    pool: &'a PoolShared,
    lane: &'a Arc<Lane>,
}

impl FrameParts for LaneParts<'_> {
    fn run(&self, count: usize, part: &(dyn Fn(usize) + Sync)) {
        let round = Arc::new(PartsRound::new(count, part));
        let idle = self.pool.idle.load(Ordering::Relaxed);
        for _ in 0..count.saturating_sub(1).min(idle) {
            if !self.lane.try_take_place() {
                break;
            }
            let help = PoolJob::Help(Arc::clone(&round), Arc::clone(self.lane));
            // Cannot fail: this very thread holds a receiver of the channel.
            let _ = self.pool.jobs.send(help);
        }
        if let Some(panic) = round.finish() {
            std::panic::resume_unwind(panic);
        }
    }

    fn spare_chunk(&self) -> Vec<u8> {
        self.lane.buffers.take()
    }
}

/// One writer's frames on the pool: at most `cap` encode at once, the rest wait in begin order.
struct Lane {
    cap: usize,
    state: Mutex<LaneState>,
    /// The buffers of the writer's chunks already written, for its next frames.
    buffers: Arc<ChunkBuffers>,
}

struct LaneState {
    running: usize,
    waiting: VecDeque<EncodeTask>,
}

impl Lane {
    /// Takes a place for a helper if the lane has one free (no frame waits then).
    fn try_take_place(&self) -> bool {
        let mut state = self.state.lock();
        let free = state.running < self.cap;
        state.running += usize::from(free);
        free
    }

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
/// lets go and are joined then.
struct EncoderPool {
    shared: Arc<PoolShared>,
    threads: Vec<JoinHandle<()>>,
}

/// What the encoder threads share with the pool: the channel they take jobs from (each thread
/// also sends on it, to hand out frame parts) and how many of them wait for a job.
struct PoolShared {
    jobs: Sender<PoolJob>,
    idle: AtomicUsize,
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
        let (jobs, rx) = crossbeam_channel::unbounded::<PoolJob>();
        let mut pool = EncoderPool {
            shared: Arc::new(PoolShared {
                jobs,
                idle: AtomicUsize::new(0),
            }),
            threads: Vec::with_capacity(count),
        };
        for i in 0..count {
            let rx: Receiver<PoolJob> = rx.clone();
            let shared = Arc::clone(&pool.shared);
            let handle = std::thread::Builder::new()
                .name(format!("avikit-encoder-{i}"))
                .spawn(move || encoder_thread(&shared, &rx))
                .map_err(|e| Error::io("cannot start an encoder thread", e))?;
            pool.threads.push(handle);
        }
        Ok(pool)
    }

    fn threads(&self) -> usize {
        self.threads.len()
    }
}

/// The loop of one encoder thread: jobs from the channel until [`PoolJob::Stop`], and after
/// each one the tasks that waited in its lane.
fn encoder_thread(pool: &PoolShared, jobs: &Receiver<PoolJob>) {
    loop {
        pool.idle.fetch_add(1, Ordering::Relaxed);
        let job = jobs.recv();
        pool.idle.fetch_sub(1, Ordering::Relaxed);
        let mut next = match job {
            Ok(PoolJob::Encode(task)) => task.run(pool),
            Ok(PoolJob::Help(round, lane)) => {
                round.help();
                lane.finished()
            }
            Ok(PoolJob::Stop) | Err(_) => return,
        };
        while let Some(task) = next {
            next = task.run(pool);
        }
    }
}

impl Drop for EncoderPool {
    fn drop(&mut self) {
        // The threads hold senders of their own: a stop per thread ends them.
        for _ in &self.threads {
            let _ = self.shared.jobs.send(PoolJob::Stop);
        }
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
                buffers: Arc::new(ChunkBuffers::new(cap)),
            }),
        })
    }

    /// Queues one frame; its result appears in the returned slot.
    pub fn submit(&self, encoder: Arc<dyn FrameEncoder>, input: Payload) -> Arc<EncodedSlot> {
        let slot = Arc::new(EncodedSlot::new(Arc::clone(&self.lane.buffers)));
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
        if let Err(rejected) = self.pool.shared.jobs.send(PoolJob::Encode(task)) {
            // The pool lives as long as this lane: cannot happen, but never leave the worker
            // waiting on a slot no thread will fill.
            if let PoolJob::Encode(task) = rejected.0 {
                task.slot.fill(Err(Error::new(
                    Status::InvalidHandle,
                    "the encoder pool has stopped",
                )));
            }
        }
        slot
    }
}
