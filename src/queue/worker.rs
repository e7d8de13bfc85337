//! The worker thread of one writer: the only thread that touches the file. It takes jobs in FIFO
//! order, gathers runs of queued writes into vectored writes, completes operations in begin order
//! and then runs their callbacks.

use super::async_result::{enter_worker, AsyncResult};
use super::payload::Payload;
use super::pressure::QueuePressure;
use crate::avi::{ChunkWrite, Muxer, MuxerConfig};
use crate::error::{Error, Result, Status};
use crate::riff::Sink;
use crossbeam_channel::Receiver;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Most writes gathered into one batch.
const MAX_BATCH_OPS: usize = 256;
/// Payload bytes after which a batch stops gathering.
const MAX_BATCH_BYTES: usize = 4 << 20;

/// A queued write of one chunk.
pub(crate) struct WriteJob {
    pub stream: usize,
    pub keyframe: bool,
    pub payload: Payload,
    pub result: AsyncResult,
}

/// One unit of work, in begin order.
pub(crate) enum Job {
    /// The first write is coming: write the header for these streams.
    Start(MuxerConfig),
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
}

impl Worker {
    pub fn new(
        writer_id: u64,
        jobs: Receiver<Job>,
        pressure: Arc<QueuePressure>,
        sink: Box<dyn Sink>,
    ) -> Worker {
        Worker {
            writer_id,
            jobs,
            pressure,
            sink: Some(sink),
            muxer: None,
            first_error: None,
        }
    }

    /// Serves jobs until `Close` (or until every sender is gone), then finalizes the file.
    /// Returns the first error the writer met.
    pub fn run(mut self) -> Result<()> {
        enter_worker(self.writer_id);
        let mut carried: Option<Job> = None;
        loop {
            let job = match carried.take() {
                Some(job) => job,
                None => match self.jobs.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                },
            };
            match job {
                Job::Start(cfg) => self.start(cfg),
                Job::Write(first) => {
                    let mut batch = vec![first];
                    let mut bytes = batch[0].payload.len();
                    while batch.len() < MAX_BATCH_OPS && bytes < MAX_BATCH_BYTES {
                        match self.jobs.try_recv() {
                            Ok(Job::Write(next)) => {
                                bytes += next.payload.len();
                                batch.push(next);
                            }
                            Ok(other) => {
                                carried = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.write_batch(batch);
                }
                Job::Flush { durable, result } => {
                    let outcome = if result.start_running() {
                        self.flush(durable)
                    } else {
                        AsyncResult::canceled()
                    };
                    result.complete(outcome);
                    result.run_callback();
                }
                Job::Close => break,
            }
        }
        self.finalize();
        self.first_error.map_or(Ok(()), Err)
    }

    fn writer_failed(&self) -> Error {
        let first = self.first_error.as_ref().map_or("", |e| e.message());
        Error::new(
            Status::WriterFailed,
            format!("an earlier error broke this writer, nothing more is written: {first}"),
        )
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
            Err(e) => self.fail(e),
        }
    }

    fn write_batch(&mut self, batch: Vec<WriteJob>) {
        let running: Vec<bool> = batch.iter().map(|j| j.result.start_running()).collect();
        let live: Vec<ChunkWrite<'_>> = batch
            .iter()
            .zip(&running)
            .filter(|(_, &run)| run)
            .map(|(j, _)| ChunkWrite {
                stream: j.stream,
                keyframe: j.keyframe,
                data: j.payload.as_slice(),
            })
            .collect();
        let mut live_outcomes = self.write_chunks(&live).into_iter();
        drop(live);
        for (job, run) in batch.iter().zip(running) {
            let outcome = if run {
                live_outcomes
                    .next()
                    .unwrap_or_else(|| Err(self.writer_failed()))
            } else {
                AsyncResult::canceled()
            };
            job.result.complete(outcome);
        }
        let bytes: usize = batch.iter().map(|j| j.payload.len()).sum();
        // Payloads and queue room are released before callbacks run: a callback may reuse its
        // buffer or begin the next write.
        let results: Vec<AsyncResult> = batch.into_iter().map(|j| j.result).collect();
        self.pressure.release(bytes as u64);
        for result in &results {
            result.run_callback();
        }
    }

    /// Writes the chunks of running operations; one outcome per chunk, in order.
    fn write_chunks(&mut self, chunks: &[ChunkWrite<'_>]) -> Vec<Result<()>> {
        let Some(muxer) = self.muxer.as_mut().filter(|_| self.first_error.is_none()) else {
            return vec![Err(self.writer_failed()); chunks.len()];
        };
        let (written, error) = match guarded(|| Ok(muxer.write_chunks(chunks))) {
            Ok(Ok(())) => (chunks.len(), None),
            Ok(Err(e)) => (e.failed_at, Some(e.error)),
            Err(panic) => (0, Some(panic)),
        };
        let mut outcomes = vec![Ok(()); written];
        if let Some(error) = error {
            outcomes.push(Err(error.clone()));
            self.fail(error);
            let failed = self.writer_failed();
            outcomes.resize(chunks.len(), Err(failed));
        }
        outcomes
    }

    fn flush(&mut self, durable: bool) -> Result<()> {
        if self.first_error.is_some() {
            return Err(self.writer_failed());
        }
        let Some(muxer) = self.muxer.as_mut() else {
            return Ok(());
        };
        guarded(|| muxer.flush(durable)).inspect_err(|e| self.fail(e.clone()))
    }

    /// Finishes the file, even after a failure, so that what was written stays readable.
    fn finalize(&mut self) {
        if let Some(muxer) = self.muxer.take() {
            if let Err(e) = guarded(|| muxer.finish()) {
                self.fail(e);
            }
        }
    }
}

/// Runs `f`, turning a panic into a [`Status::Panic`] error.
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        Err(Error::new(
            Status::Panic,
            format!("internal error in the writer: {what}"),
        ))
    })
}
