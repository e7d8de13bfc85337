//! The worker thread of one writer: the only thread that touches the file. It takes jobs in FIFO
//! order, gathers runs of queued writes into vectored writes, completes operations in begin order
//! and then runs their callbacks.

use super::async_result::{AsyncResult, SNOOZES};
use super::chunking::{ChunkInput, SharedSequentialEncoder};
use super::payload::Payload;
use super::pressure::QueuePressure;
use super::timing::{SampleLayout, TimeFill};
use super::worker_thread::enter_worker;
use crate::avi::{ChunkWrite, Muxer, MuxerConfig};
use crate::caught_panic::catch_quietly;
use crate::codec::encoder::EncodedFrame;
use crate::error::{panic_text, Error, Result, Status};
use crate::riff::Sink;
use crate::scratch::recycle;
use crossbeam_channel::Receiver;
use crossbeam_utils::Backoff;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most writes gathered into one batch.
const MAX_BATCH_OPS: usize = 256;
/// Payload bytes after which a batch stops gathering.
const MAX_BATCH_BYTES: usize = 4 << 20;

/// Samples of silence in one chunk (or one encoder input): a second's worth bounds the memory a
/// long gap takes.
const SILENCE_PIECE_SECONDS: u64 = 1;

/// A queued write of one chunk.
pub(crate) struct WriteJob {
    pub stream: usize,
    pub keyframe: bool,
    pub input: ChunkInput,
    /// What keeps the stream on time around this write.
    pub fill: TimeFill,
    pub result: AsyncResult,
}

/// A write taken by the worker: whether it runs (not canceled) and its chunks (a sequential
/// encoder may turn one input into none or several).
struct ChunkedWrite {
    stream: usize,
    run: bool,
    chunks: Result<ChunkPayloads>,
    queued_len: usize,
    result: AsyncResult,
}

/// The chunks of one write with their keyframe flags: the usual single chunk inline, so that a
/// write allocates nothing, or what a sequential encoder returned.
enum ChunkPayloads {
    One(Payload, bool),
    Many(Vec<(Payload, bool)>),
}

impl ChunkPayloads {
    fn into_vec(self) -> Vec<(Payload, bool)> {
        match self {
            ChunkPayloads::One(payload, keyframe) => vec![(payload, keyframe)],
            ChunkPayloads::Many(chunks) => chunks,
        }
    }

    fn iter(&self) -> impl Iterator<Item = (&Payload, bool)> {
        let (one, many) = match self {
            ChunkPayloads::One(payload, keyframe) => (Some((payload, *keyframe)), &[][..]),
            ChunkPayloads::Many(chunks) => (None, &chunks[..]),
        };
        one.into_iter()
            .chain(many.iter().map(|(payload, keyframe)| (payload, *keyframe)))
    }
}

impl WriteJob {
    /// Marks the write running (unless canceled) and gets its chunks: the fill that keeps the
    /// stream on time, then the write's own. Encoded frames are awaited even when canceled: the
    /// encoder may still be reading the caller's buffer, which must not be reported free before
    /// it is done. A canceled input never reaches its sequential encoder; a canceled write of a
    /// timed writer leaves an empty frame or silence in its place, so later ones keep theirs.
    fn into_chunks(self) -> ChunkedWrite {
        let run = self.result.start_running();
        let queued_len = self.input.queued_len();
        let sequential = self.input.sequential_encoder().cloned();
        let gap = self.fill.gap();
        // Before the write's own chunks: a sequential encoder gets the silence first.
        let before = fill_chunks(self.fill, gap, sequential.as_ref());
        let in_place = || {
            fill_chunks(
                self.fill,
                self.fill.units_of(queued_len),
                sequential.as_ref(),
            )
            .map(ChunkPayloads::Many)
        };
        let own = match self.input {
            ChunkInput::ParallelEncoder { slot, .. } => {
                let chunk = slot.take_chunk();
                if run {
                    chunk.map(|(payload, keyframe)| ChunkPayloads::One(payload, keyframe))
                } else {
                    in_place()
                }
            }
            _ if !run => in_place(),
            ChunkInput::AsGiven(payload) => Ok(ChunkPayloads::One(payload, self.keyframe)),
            ChunkInput::SequentialEncoder { encoder, input } => {
                guarded(|| encoder.lock().encode(input.as_slice()))
                    .map(|frames| ChunkPayloads::Many(frames.into_iter().map(chunk_of).collect()))
            }
        };
        let chunks = if gap == 0 {
            own
        } else {
            before.and_then(|mut before| {
                before.extend(own?.into_vec());
                Ok(ChunkPayloads::Many(before))
            })
        };
        ChunkedWrite {
            stream: self.stream,
            run,
            chunks,
            queued_len,
            result: self.result,
        }
    }
}

fn chunk_of(frame: EncodedFrame) -> (Payload, bool) {
    (Payload::owned(frame.data), frame.keyframe)
}

/// The chunks of `units` empty frames or samples of silence (through the stream's sequential
/// encoder, if it has one); none for an untimed writer.
fn fill_chunks(
    fill: TimeFill,
    units: u64,
    sequential: Option<&SharedSequentialEncoder>,
) -> Result<Vec<(Payload, bool)>> {
    match fill {
        TimeFill::Untimed => Ok(Vec::new()),
        TimeFill::Frames { .. } => Ok((0..units)
            .map(|_| (Payload::owned(Vec::new()), false))
            .collect()),
        TimeFill::Samples { layout, .. } => silence_chunks(layout, units, sequential),
    }
}

/// `samples` of silence in pieces of at most [`SILENCE_PIECE_SECONDS`]: raw chunks, or what the
/// sequential encoder makes of them.
fn silence_chunks(
    layout: SampleLayout,
    samples: u64,
    sequential: Option<&SharedSequentialEncoder>,
) -> Result<Vec<(Payload, bool)>> {
    if samples == 0 {
        return Ok(Vec::new());
    }
    let piece = u64::from(layout.sample_rate) * SILENCE_PIECE_SECONDS;
    let full: Arc<[u8]> =
        vec![layout.silence; (piece.min(samples) as usize) * layout.block_align].into();
    let mut chunks = Vec::new();
    let mut left = samples;
    while left > 0 {
        let n = left.min(piece);
        let bytes = &full[..n as usize * layout.block_align];
        match sequential {
            Some(encoder) => {
                let frames = guarded(|| encoder.lock().encode(bytes))?;
                chunks.extend(frames.into_iter().map(chunk_of));
            }
            None if n == piece || n == samples => {
                chunks.push((Payload::shared(Arc::clone(&full)), true));
            }
            None => chunks.push((Payload::owned(bytes.to_vec()), true)),
        }
        left -= n;
    }
    Ok(chunks)
}

/// One unit of work, in begin order.
pub(crate) enum Job {
    /// The first write is coming: write the header for these streams.
    Start(MuxerConfig, Vec<(usize, SharedSequentialEncoder)>),
    Write(WriteJob),
    Flush {
        durable: bool,
        result: AsyncResult,
    },
    /// Finalize the file and stop.
    Close,
}

/// The worker's state.
pub(crate) struct Worker {
    writer_id: u64,
    jobs: Receiver<Job>,
    pressure: Arc<QueuePressure>,
    sink: Option<Box<dyn Sink>>,
    muxer: Option<Muxer>,
    /// The first error; once set every later operation fails with `WriterFailed`.
    first_error: Option<Error>,
    /// A first error no operation has reported yet (the header write failed before any
    /// operation ran): the next operation carries it instead of `WriterFailed`.
    unreported: Option<Error>,
    /// How long written chunks may wait for a checkpoint; `None`: only at flush and close.
    checkpoint_interval: Option<Duration>,
    /// When the chunks written since the last checkpoint are due for one.
    checkpoint_due: Option<Instant>,
    /// Sequential encoders, flushed into their streams at close.
    sequential_encoders: Vec<(usize, SharedSequentialEncoder)>,
    /// Buffers of [`Worker::write_batch`], kept from batch to batch.
    scratch: BatchScratch,
    /// The first panic of a callback: caught, so the worker and every other callback go on,
    /// and returned by close unless the writer met an error first.
    callback_panic: Option<Error>,
}

/// The vectors one batch of writes needs, emptied after each batch but kept allocated.
#[derive(Default)]
struct BatchScratch {
    jobs: Vec<WriteJob>,
    chunked: Vec<ChunkedWrite>,
    outcomes: Vec<Option<Result<()>>>,
    /// For each chunk of the batch, the write it belongs to.
    owners: Vec<usize>,
    chunks: Vec<ChunkWrite<'static>>,
    results: Vec<AsyncResult>,
}

impl Worker {
    pub fn new(
        writer_id: u64,
        jobs: Receiver<Job>,
        pressure: Arc<QueuePressure>,
        sink: Box<dyn Sink>,
        checkpoint_interval: Option<Duration>,
    ) -> Worker {
        Worker {
            writer_id,
            jobs,
            pressure,
            sink: Some(sink),
            muxer: None,
            first_error: None,
            unreported: None,
            checkpoint_interval,
            checkpoint_due: None,
            sequential_encoders: Vec::new(),
            scratch: BatchScratch::default(),
            callback_panic: None,
        }
    }

    /// The next job, or `None` when every sender is gone. Runs a due checkpoint while waiting.
    fn next_job(&mut self) -> Option<Job> {
        // A busy caller sends the next job within microseconds: catching it without sleeping
        // saves both threads a system call per operation.
        let backoff = Backoff::new();
        for _ in 0..SNOOZES {
            match self.jobs.try_recv() {
                Ok(job) => return Some(job),
                Err(crossbeam_channel::TryRecvError::Disconnected) => return None,
                Err(crossbeam_channel::TryRecvError::Empty) => backoff.snooze(),
            }
        }
        loop {
            let Some(due) = self.checkpoint_due else {
                return self.jobs.recv().ok();
            };
            match self.jobs.recv_deadline(due) {
                Ok(job) => return Some(job),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => self.checkpoint(),
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Indexes what was written and refreshes the header, so a crash loses nothing before it.
    fn checkpoint(&mut self) {
        self.checkpoint_due = None;
        if self.first_error.is_some() {
            return;
        }
        if let Some(muxer) = self.muxer.as_mut() {
            if let Err(e) = guarded(|| muxer.checkpoint()) {
                self.fail(e);
            }
        }
    }

    /// Schedules a checkpoint for chunks just written, and runs it if a busy queue kept the
    /// worker from noticing that it was due.
    fn after_writes(&mut self) {
        let now = Instant::now();
        match (self.checkpoint_due, self.checkpoint_interval) {
            (Some(due), _) if now >= due => self.checkpoint(),
            (None, Some(interval)) => self.checkpoint_due = Some(now + interval),
            _ => {}
        }
    }

    /// Serves jobs until `Close` (or until every sender is gone), then finalizes the file.
    /// Returns the first error the writer met. Should the worker unwind from outside its
    /// guarded work (a callback's panic payload that panics when dropped), every operation of
    /// the interrupted batch and every later one still completes, with [`Status::Panic`].
    pub fn run(mut self) -> Result<()> {
        enter_worker(self.writer_id);
        if let Err(panic) = catch_quietly(|| self.serve()) {
            let what = panic_text(panic.as_ref());
            discard(panic);
            self.serve_after_unwind(Error::new(
                Status::Panic,
                format!("internal error: the writer's worker unwound: {what}"),
            ));
        }
        self.finalize();
        self.first_error.or(self.callback_panic).map_or(Ok(()), Err)
    }

    /// Fails every operation left after the worker unwound, running each callback once, until
    /// `Close` (or until every sender is gone).
    fn serve_after_unwind(&mut self, error: Error) {
        self.fail(error.clone());
        let fail_one = |result: &AsyncResult| {
            result.complete_if_pending(Err(error.clone()));
            // The callback may be the one that unwound: contain whatever it does.
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| result.run_callback())) {
                discard(panic);
            }
        };
        // The interrupted batch: its queue room was given back before its callbacks ran.
        for result in std::mem::take(&mut self.scratch.results) {
            fail_one(&result);
        }
        while let Ok(job) = self.jobs.recv() {
            match job {
                Job::Start(..) => {}
                Job::Write(write) => {
                    // An encoder may still read the caller's buffer: wait for it first.
                    if let Some(slot) = write.input.encoded_slot() {
                        let _ = slot.take();
                    }
                    self.pressure.release(write.input.queued_len() as u64);
                    fail_one(&write.result);
                }
                Job::Flush { result, .. } => fail_one(&result),
                Job::Close => break,
            }
        }
    }

    fn serve(&mut self) {
        let mut carried: Option<Job> = None;
        loop {
            let job = match carried.take() {
                Some(job) => job,
                None => match self.next_job() {
                    Some(job) => job,
                    None => break,
                },
            };
            match job {
                Job::Start(cfg, sequential_encoders) => {
                    self.sequential_encoders = sequential_encoders;
                    self.start(cfg);
                }
                Job::Write(first) => {
                    let mut bytes = first.input.queued_len();
                    let mut batch = std::mem::take(&mut self.scratch.jobs);
                    batch.push(first);
                    while batch.len() < MAX_BATCH_OPS && bytes < MAX_BATCH_BYTES {
                        match self.jobs.try_recv() {
                            Ok(Job::Write(next)) => {
                                bytes += next.input.queued_len();
                                batch.push(next);
                            }
                            Ok(other) => {
                                carried = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.write_batch(&mut batch);
                    self.scratch.jobs = batch;
                    self.after_writes();
                }
                Job::Flush { durable, result } => {
                    let outcome = if result.start_running() {
                        self.flush(durable)
                    } else {
                        AsyncResult::canceled()
                    };
                    result.complete(outcome);
                    keep_first_panic(&mut self.callback_panic, result.run_callback());
                }
                Job::Close => break,
            }
        }
    }

    fn writer_failed(&self) -> Error {
        let first = self.first_error.as_ref().map_or("", |e| e.message());
        Error::new(
            Status::WriterFailed,
            format!("an earlier error broke this writer, nothing more is written: {first}"),
        )
    }

    /// The error of an operation that finds the writer failed: the unreported first error
    /// once, then `WriterFailed`.
    fn failure_for_next_op(&mut self) -> Error {
        self.unreported
            .take()
            .unwrap_or_else(|| self.writer_failed())
    }

    fn fail(&mut self, error: Error) {
        if self.first_error.is_none() {
            self.first_error = Some(error);
        }
    }

    fn start(&mut self, cfg: MuxerConfig) {
        let Some(sink) = self.sink.take() else {
            return;
        };
        match guarded(|| Muxer::start(sink, cfg)) {
            Ok(muxer) => self.muxer = Some(muxer),
            Err(e) => {
                self.unreported = Some(e.clone());
                self.fail(e);
            }
        }
    }

    /// Writes a batch of queued writes (drained from `batch`) with as few system calls as the
    /// muxer can, completes them in order, then runs their callbacks.
    fn write_batch(&mut self, batch: &mut Vec<WriteJob>) {
        let mut chunked = std::mem::take(&mut self.scratch.chunked);
        chunked.extend(batch.drain(..).map(WriteJob::into_chunks));
        let failed_before = self.first_error.is_some();
        // Running writes up to the first one whose encoding failed are written; each op's
        // outcome is its first failed chunk, or success.
        let mut outcomes = std::mem::take(&mut self.scratch.outcomes);
        outcomes.resize(chunked.len(), None);
        let mut owners = std::mem::take(&mut self.scratch.owners);
        let mut chunks: Vec<ChunkWrite<'_>> = recycle(std::mem::take(&mut self.scratch.chunks));
        let mut encode_failure = None;
        // A canceled write's chunks (what keeps a timed stream on time) are written too, but
        // its outcome stays "canceled".
        for (i, p) in chunked.iter().enumerate() {
            match &p.chunks {
                Ok(written) => {
                    if p.run {
                        outcomes[i] = Some(if failed_before {
                            Err(self.failure_for_next_op())
                        } else {
                            Ok(())
                        });
                    }
                    for (payload, keyframe) in written.iter() {
                        owners.push(i);
                        chunks.push(ChunkWrite {
                            stream: p.stream,
                            keyframe,
                            data: payload.as_slice(),
                        });
                    }
                }
                // Encoding (or a canceled write's fill) failed: the writer stops here.
                Err(e) => {
                    encode_failure = Some((i, e.clone()));
                    break;
                }
            }
        }
        let (written, error) = self.write_chunks(&chunks);
        self.scratch.chunks = recycle(chunks);
        if let Some(error) = error {
            // The chunk that failed carries the error; the ones after it were never written.
            for (n, &i) in owners.iter().enumerate().skip(written) {
                if outcomes[i].as_ref().is_some_and(Result::is_ok) {
                    outcomes[i] = Some(Err(if n == written {
                        error.clone()
                    } else {
                        self.writer_failed()
                    }));
                }
            }
        }
        owners.clear();
        self.scratch.owners = owners;
        if let Some((i, error)) = encode_failure {
            self.fail(error.clone());
            outcomes[i] = Some(Err(error));
        }
        // Queue room goes back before anyone learns of the completion: a caller whose end just
        // returned finds the room of that write free (a non-waiting begin right after it must
        // not be refused for bytes already written).
        let bytes: usize = chunked.iter().map(|p| p.queued_len).sum();
        self.pressure.release(bytes as u64);
        for (p, outcome) in chunked.iter().zip(outcomes.drain(..)) {
            let outcome = match outcome {
                Some(outcome) => outcome,
                None if !p.run => AsyncResult::canceled(),
                None => Err(self.writer_failed()),
            };
            p.result.complete(outcome);
        }
        self.scratch.outcomes = outcomes;
        // Payloads are released before callbacks run: a callback may reuse its buffer or begin
        // the next write. The results stay in `scratch` while their callbacks run, so that a
        // worker unwinding from one still finds the rest.
        self.scratch
            .results
            .extend(chunked.drain(..).map(|p| p.result));
        self.scratch.chunked = chunked;
        for result in &self.scratch.results {
            keep_first_panic(&mut self.callback_panic, result.run_callback());
        }
        self.scratch.results.clear();
    }

    /// Writes the chunks of running operations: returns how many are in the file and, when
    /// not all are, why the next one is not.
    fn write_chunks(&mut self, chunks: &[ChunkWrite<'_>]) -> (usize, Option<Error>) {
        let Some(muxer) = self.muxer.as_mut().filter(|_| self.first_error.is_none()) else {
            return (0, Some(self.writer_failed()));
        };
        let (written, error) = match guarded(|| Ok(muxer.write_chunks(chunks))) {
            Ok(Ok(())) => (chunks.len(), None),
            Ok(Err(e)) => (e.failed_at, Some(e.error)),
            Err(panic) => (0, Some(panic)),
        };
        if let Some(error) = &error {
            self.fail(error.clone());
        }
        (written, error)
    }

    fn flush(&mut self, durable: bool) -> Result<()> {
        if self.first_error.is_some() {
            return Err(self.failure_for_next_op());
        }
        let Some(muxer) = self.muxer.as_mut() else {
            return Ok(());
        };
        self.checkpoint_due = None;
        guarded(|| muxer.flush(durable)).inspect_err(|e| self.fail(e.clone()))
    }

    /// Finishes the file, even after a failure, so that what was written stays readable.
    fn finalize(&mut self) {
        if let Some(mut muxer) = self.muxer.take() {
            let encoders = std::mem::take(&mut self.sequential_encoders);
            let finished = guarded(|| {
                if self.first_error.is_none() {
                    // Sequential encoders hold their last frames until the stream ends.
                    for (stream, encoder) in &encoders {
                        let tail = encoder.lock().flush()?;
                        let chunks: Vec<ChunkWrite<'_>> = tail
                            .iter()
                            .map(|f| ChunkWrite {
                                stream: *stream,
                                keyframe: f.keyframe,
                                data: &f.data,
                            })
                            .collect();
                        muxer.write_chunks(&chunks).map_err(|e| e.error)?;
                    }
                }
                muxer.finish()
            });
            if let Err(e) = finished {
                self.fail(e);
            }
        }
    }
}

/// Drops a caught panic's payload; one whose drop panics again is leaked instead, so that it
/// cannot unwind a worker that is already failing what is left.
fn discard(panic: Box<dyn std::any::Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(panic))) {
        std::mem::forget(again);
    }
}

/// Keeps the first callback panic (the message of `panic`) for close to report.
fn keep_first_panic(first: &mut Option<Error>, panic: Option<String>) {
    if let (None, Some(panic)) = (first.as_ref(), panic) {
        *first = Some(Error::new(
            Status::Panic,
            format!("a callback panicked (caught; the writer went on): {panic}"),
        ));
    }
}

/// Runs `f`, turning a panic into a [`Status::Panic`] error.
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic_text(panic.as_ref());
        Err(Error::new(
            Status::Panic,
            format!("internal error in the writer: {what}"),
        ))
    })
}
