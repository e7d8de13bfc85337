//! What every handle of one writer shares, and how it closes: the gate that orders begins and
//! shuts the queue, the writer's life ([`WriterState`]), its worker and encoder threads, and
//! the close protocol (drain, finalize, join; refused where it would deadlock).

use super::chunking::{Chunking, SharedSequentialEncoder};
use super::encoder_pool::EncoderLane;
use super::options::WriterOptions;
use super::pressure::QueuePressure;
use super::process;
use super::timing::Timeline;
use super::wait_graph::{self, WaitEdge};
use super::worker::{Job, Worker};
use super::worker_thread::on_worker_of;
use crate::avi::{InfoList, StreamSpec, MAX_STREAMS};
use crate::error::{Error, Result, Status};
use crate::riff::Sink;
use crossbeam_channel::Sender;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// What begin checks and where it sends jobs; guarded by one lock so that the job order is the
/// begin order and nothing is queued after close.
pub(super) struct Gate {
    /// `None` once the writer is closed.
    pub jobs: Option<Sender<Job>>,
    streams: Vec<StreamSpec>,
    /// The header's INFO metadata, settable until the first write.
    info: InfoList,
    /// Sequential encoders by stream, handed to the worker with the header job.
    sequential_encoders: Vec<(usize, SharedSequentialEncoder)>,
    /// Time zero and each stream's slots, in begin order.
    pub timeline: Timeline,
    started: bool,
}

/// One writer's state, shared by the [`crate::Writer`] and its streams.
pub(super) struct WriterShared {
    pub id: u64,
    pub options: WriterOptions,
    pub gate: Mutex<Gate>,
    pub pressure: Arc<QueuePressure>,
    worker: Mutex<Option<JoinHandle<Result<()>>>>,
    /// This writer's way onto the process's encoder threads: joined with the first stream with
    /// a parallel encoder, let go after the worker at close.
    pub encoders: Mutex<Option<EncoderLane>>,
    /// The process that created the writer, the only one with its worker thread.
    pub pid: u32,
    /// A [`WriterState`], readable without the gate lock (by begin before it waits for room,
    /// and by callers that hold locks of their own).
    state: AtomicU8,
}

/// Where a writer is in its life, as [`crate::Writer::state`] tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriterState {
    /// Operations and streams can be begun and added.
    Open,
    /// A close shut the queue: nothing more can be begun, and the queue is being drained.
    Closing,
    /// A close finalized the file and stopped the worker.
    Closed,
}

impl WriterState {
    fn from_u8(value: u8) -> WriterState {
        match value {
            0 => WriterState::Open,
            1 => WriterState::Closing,
            _ => WriterState::Closed,
        }
    }

    fn as_u8(self) -> u8 {
        match self {
            WriterState::Open => 0,
            WriterState::Closing => 1,
            WriterState::Closed => 2,
        }
    }
}

/// How a close ended, so that callers need not guess from a status value.
pub(super) enum CloseOutcome {
    /// Nothing was done (inside a callback that would deadlock, or in another process).
    Refused(Error),
    /// Another close got there first and owns the outcome.
    AlreadyClosed,
    /// This close drained the queue, finalized the file and stopped the worker: the first error
    /// the writer met, or `Ok`.
    Closed(Result<()>),
}

/// The error of a call on a closed writer.
pub(super) fn closed_error() -> Error {
    Error::new(Status::InvalidHandle, "the writer was closed")
}

/// The error of a close that finds the writer closed, or being closed by another call.
pub(super) fn already_closing_error() -> Error {
    Error::new(
        Status::InvalidHandle,
        "the writer is closed or being closed by another call",
    )
}

static NEXT_WRITER_ID: AtomicU64 = AtomicU64::new(1);

impl WriterShared {
    /// Starts the worker thread of a new writer that writes through `sink`.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for bad options; [`Status::Io`] if no thread can be started.
    pub fn start(sink: Box<dyn Sink>, options: WriterOptions) -> Result<WriterShared> {
        let options = options.validated()?;
        let id = NEXT_WRITER_ID.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = crossbeam_channel::unbounded();
        let pressure = Arc::new(QueuePressure::new(id, options.max_queued_bytes));
        let worker = Worker::new(
            id,
            rx,
            Arc::clone(&pressure),
            sink,
            options.checkpoint_interval,
        );
        let handle = std::thread::Builder::new()
            .name(format!("avikit-writer-{id}"))
            .spawn(move || worker.run())
            .map_err(|e| Error::io("cannot start the writer thread", e))?;
        Ok(WriterShared {
            id,
            options,
            gate: Mutex::new(Gate {
                jobs: Some(tx),
                streams: Vec::new(),
                info: InfoList::default(),
                sequential_encoders: Vec::new(),
                timeline: Timeline::default(),
                started: false,
            }),
            pressure,
            worker: Mutex::new(Some(handle)),
            encoders: Mutex::new(None),
            pid: process::current(),
            state: AtomicU8::new(WriterState::Open.as_u8()),
        })
    }

    /// Where the writer is in its life. Lock-free.
    pub fn state(&self) -> WriterState {
        WriterState::from_u8(self.state.load(Ordering::Acquire))
    }

    /// Queues `job`, preceded by the header job if this is the first one.
    pub fn enqueue(&self, job: Job) -> Result<()> {
        // Before the lock: in a forked child a parent thread may have held it at fork.
        process::check(self.pid)?;
        self.enqueue_locked(&mut self.gate.lock(), job)
    }

    /// As [`WriterShared::enqueue`], under the gate lock the caller holds.
    pub fn enqueue_locked(&self, gate: &mut Gate, job: Job) -> Result<()> {
        process::check(self.pid)?;
        let jobs = gate.jobs.as_ref().ok_or_else(closed_error)?;
        if !gate.started {
            gate.started = true;
            let cfg = self
                .options
                .muxer_config(gate.streams.clone(), gate.info.clone());
            let encoders = gate.sequential_encoders.clone();
            jobs.send(Job::Start(cfg, encoders))
                .map_err(|_| closed_error())?;
        }
        jobs.send(job).map_err(|_| closed_error())
    }

    /// Sets an INFO metadata entry, as [`crate::Writer::set_info`].
    pub fn set_info(&self, id: &str, value: &str) -> Result<()> {
        self.gate_before_start("INFO metadata can only be set")?
            .info
            .set(id, value)
    }

    /// The gate, locked, while the writer is open and nothing was written or flushed yet: when
    /// the header can still change. `refusal` says what is refused after that.
    fn gate_before_start(&self, refusal: &str) -> Result<parking_lot::MutexGuard<'_, Gate>> {
        // Before the lock: in a forked child a parent thread may have held it at fork.
        process::check(self.pid)?;
        let gate = self.gate.lock();
        if gate.jobs.is_none() {
            return Err(closed_error());
        }
        if gate.started {
            return Err(Error::invalid_state(format!(
                "{refusal} before the first write or flush"
            )));
        }
        Ok(gate)
    }

    /// Adds a stream whose input becomes chunks as `chunking` says, and returns its number. A
    /// parallel encoder joins the process's encoder threads (once per writer), but only when
    /// the stream can be added; a sequential encoder goes to the worker with the header job.
    pub fn add_stream(&self, spec: StreamSpec, chunking: &Chunking) -> Result<usize> {
        spec.validate()?;
        let mut gate = self.gate_before_start("streams can only be added")?;
        if gate.streams.len() >= MAX_STREAMS {
            return Err(Error::new(
                Status::Limit,
                format!("an AVI file holds at most {MAX_STREAMS} streams"),
            ));
        }
        if let Chunking::ParallelEncoder(_) = chunking {
            let mut lane = self.encoders.lock();
            if lane.is_none() {
                *lane = Some(EncoderLane::join(self.options.encoder_threads)?);
            }
        }
        gate.streams.push(spec);
        gate.timeline.add_stream();
        let index = gate.streams.len() - 1;
        if let Chunking::SequentialEncoder { encoder, .. } = chunking {
            gate.sequential_encoders.push((index, Arc::clone(encoder)));
        }
        Ok(index)
    }

    /// Refuses work once a close has shut the queue. Lock-free, so begin can answer a closed
    /// writer before it waits for room or places a timed write; `enqueue_locked` decides for
    /// good under the gate.
    pub fn refuse_closed(&self) -> Result<()> {
        if self.state() != WriterState::Open {
            return Err(closed_error());
        }
        Ok(())
    }

    /// Refuses a call that would wait for this writer's worker on that worker itself.
    ///
    /// # Errors
    /// [`Status::WouldDeadlock`] inside a callback of this writer; `what` names the call.
    pub fn refuse_on_worker(&self, what: &str) -> Result<()> {
        if on_worker_of(self.id) {
            return Err(Error::new(
                Status::WouldDeadlock,
                format!("{what} inside a callback of the same writer would deadlock"),
            ));
        }
        Ok(())
    }

    /// Drains the queue, finalizes the file and stops the worker, unless refused or already
    /// done by another call.
    pub fn close(&self) -> CloseOutcome {
        // Registered until the worker is joined.
        let _edge = match self.begin_close() {
            Ok(edge) => edge,
            Err(refused) => return refused,
        };
        let worker = self.worker.lock().take();
        let outcome = match worker.map(JoinHandle::join) {
            Some(Ok(outcome)) => outcome,
            Some(Err(_)) => Err(Error::new(
                Status::Panic,
                "the writer's worker thread panicked",
            )),
            None => Ok(()),
        };
        // The worker is done with every encoded frame: the writer lets go of the encoder
        // threads now, not when the last stream clone goes (the last writer stops them).
        drop(self.encoders.lock().take());
        let stream_count = self.gate.lock().streams.len();
        self.state
            .store(WriterState::Closed.as_u8(), Ordering::Release);
        CloseOutcome::Closed(outcome.and_then(|()| {
            if stream_count == 0 {
                return Err(Error::invalid_state(
                    "the writer was closed without any stream: the file has no streams",
                ));
            }
            Ok(())
        }))
    }

    /// The part of close that may refuse: checks, then queues the close job and shuts the
    /// gate. Returns the wait edge, for the caller to hold until it has joined the worker.
    fn begin_close(&self) -> std::result::Result<WaitEdge, CloseOutcome> {
        // In a forked child no lock is taken: a parent thread may have held any of them at
        // fork, and the child has none of the threads that would release them.
        process::check(self.pid).map_err(CloseOutcome::Refused)?;
        self.refuse_on_worker("closing the writer")
            .map_err(CloseOutcome::Refused)?;
        let mut gate = self.gate.lock();
        if gate.jobs.is_none() {
            return Err(CloseOutcome::AlreadyClosed);
        }
        let edge =
            wait_graph::enter(self.id, "closing another writer").map_err(CloseOutcome::Refused)?;
        // A file without writes still gets its header, indexes and sizes.
        if let Err(e) = self.enqueue_locked(&mut gate, Job::Close) {
            return Err(CloseOutcome::Refused(e));
        }
        gate.jobs = None;
        self.state
            .store(WriterState::Closing.as_u8(), Ordering::Release);
        Ok(edge)
    }

    /// The close of a dropped writer, whose outcome nobody learns. Dropped inside a callback
    /// that cannot wait for the worker, it lets the worker finish on its own.
    pub fn close_on_drop(&self) {
        let refused = match self.close() {
            CloseOutcome::Refused(e) => e,
            CloseOutcome::AlreadyClosed | CloseOutcome::Closed(_) => return,
        };
        if refused.status() == Status::WouldDeadlock {
            if let Some(jobs) = self.gate.lock().jobs.take() {
                let _ = jobs.send(Job::Close);
            }
        }
    }
}

impl Drop for WriterShared {
    /// In a forked child the worker, the encoder threads and the queue's receiver are the
    /// parent's: their handles are leaked, never joined or disconnected. `get_mut` takes no
    /// lock, so a lock a parent thread held at fork does not matter.
    fn drop(&mut self) {
        if process::check(self.pid).is_err() {
            std::mem::forget(self.worker.get_mut().take());
            std::mem::forget(self.encoders.get_mut().take());
            std::mem::forget(self.gate.get_mut().jobs.take());
        }
    }
}
