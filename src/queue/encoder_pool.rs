//! The encoder threads of a writer. Begin hands each frame of an encoding stream to the pool and
//! queues a job that refers to its [`EncodedSlot`]; the worker takes jobs in begin order and waits
//! for each slot, so frames encode in parallel while chunks still land in begin order.

use super::payload::Payload;
use crate::codec::encoder::{EncodedFrame, FrameEncoder};
use crate::error::{Error, Result, Status};
use crossbeam_channel::{Receiver, Sender};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
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
}

/// A fixed set of encoder threads fed through one channel.
pub(crate) struct EncoderPool {
    tasks: Option<Sender<EncodeTask>>,
    threads: Vec<JoinHandle<()>>,
}

impl EncoderPool {
    /// Starts `threads` encoder threads (0 = one per CPU) for writer `writer_id`.
    ///
    /// # Errors
    /// [`Status::Io`] when the operating system refuses a thread.
    pub fn start(writer_id: u64, threads: usize) -> Result<EncoderPool> {
        let count = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let (tx, rx) = crossbeam_channel::unbounded::<EncodeTask>();
        let mut pool = EncoderPool {
            tasks: Some(tx),
            threads: Vec::with_capacity(count),
        };
        for i in 0..count {
            let rx: Receiver<EncodeTask> = rx.clone();
            let handle = std::thread::Builder::new()
                .name(format!("avikit-encoder-{writer_id}-{i}"))
                .spawn(move || {
                    for task in rx {
                        let encoded = catch_unwind(AssertUnwindSafe(|| {
                            task.encoder.encode(task.input.as_slice())
                        }))
                        .unwrap_or_else(|_| Err(Error::new(Status::Panic, "the encoder panicked")));
                        drop(task.input);
                        task.slot.fill(encoded);
                    }
                })
                .map_err(|e| Error::io("cannot start an encoder thread", &e))?;
            pool.threads.push(handle);
        }
        Ok(pool)
    }

    /// Queues one frame; its result appears in the returned slot.
    pub fn submit(&self, encoder: Arc<dyn FrameEncoder>, input: Payload) -> Arc<EncodedSlot> {
        let slot = Arc::new(EncodedSlot::new());
        let task = EncodeTask {
            encoder,
            input,
            slot: Arc::clone(&slot),
        };
        if let Some(Err(rejected)) = self.tasks.as_ref().map(|tx| tx.send(task)) {
            // Only after shutdown; fail the frame rather than leave the worker waiting.
            rejected.0.slot.fill(Err(Error::new(
                Status::InvalidHandle,
                "the writer was closed",
            )));
        }
        slot
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
