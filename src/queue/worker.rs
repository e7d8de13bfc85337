//! The worker thread of one writer: the only thread that touches the file. It takes jobs in FIFO
//! order, gathers runs of queued writes into vectored writes, completes operations in begin order
//! and then runs their callbacks.

use super::async_result::{enter_worker, AsyncResult};
use super::payload::Payload;
use crate::avi::{ChunkWrite, Muxer, MuxerConfig};
use crate::error::{Error, Result, Status};
use crate::riff::Sink;
use crossbeam_channel::Receiver;
use std::panic::{catch_unwind, AssertUnwindSafe};

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
    sink: Option<Box<dyn Sink>>,
    muxer: Option<Muxer>,
    /// The first error; once set every later operation fails with `WriterFailed`.
    first_error: Option<Error>,
}

impl Worker {
    pub fn new(writer_id: u64, jobs: Receiver<Job>, sink: Box<dyn Sink>) -> Worker {
        Worker {
            writer_id,
            jobs,
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
                    let outcome = self.flush(durable);
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
        let outcomes: Vec<Result<()>> = match (&self.first_error, self.muxer.as_mut()) {
            (None, Some(muxer)) => {
                let chunks: Vec<ChunkWrite<'_>> = batch
                    .iter()
                    .map(|j| ChunkWrite {
                        stream: j.stream,
                        keyframe: j.keyframe,
                        data: j.payload.as_slice(),
                    })
                    .collect();
                let (written, error) = match guarded(|| Ok(muxer.write_chunks(&chunks))) {
                    Ok(Ok(())) => (batch.len(), None),
                    Ok(Err(e)) => (e.failed_at, Some(e.error)),
                    Err(panic) => (0, Some(panic)),
                };
                let mut outcomes = vec![Ok(()); written];
                if let Some(error) = error {
                    outcomes.push(Err(error.clone()));
                    self.fail(error);
                }
                outcomes
            }
            _ => Vec::new(),
        };
        let failed = self.writer_failed();
        for (i, job) in batch.iter().enumerate() {
            let outcome = outcomes
                .get(i)
                .cloned()
                .unwrap_or_else(|| Err(failed.clone()));
            job.result.complete(outcome);
        }
        // Payloads are released before callbacks run: a callback may reuse its buffer.
        let results: Vec<AsyncResult> = batch.into_iter().map(|j| j.result).collect();
        for result in &results {
            result.run_callback();
        }
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
