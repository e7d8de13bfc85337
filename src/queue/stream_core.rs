//! The begin pipeline of one stream, whatever its kind: check the length, reserve queue room,
//! start the input on its way to become chunks, place the write on the timeline and queue it
//! under the gate; and end, the synchronous write, empty frames and the stream's counters.

use super::async_result::{AsyncResult, Callback, OpTarget};
use super::begin_options::BeginOptions;
use super::chunking::{ChunkInput, Chunking};
use super::payload::Payload;
use super::process;
use super::shared::{closed_error, WriterShared};
use super::timing::{self, StreamStats, TimeFill, Timeline, MAX_GAP_SLOTS};
use super::wait_graph;
use super::worker::{Job, WriteJob};
use crate::avi::StreamSpec;
use crate::error::{Error, Result, Status};
use crate::format::MAX_CHUNK_SIZE;
use std::sync::Arc;

/// What every stream has: the writer, the stream number, its validated spec and how its input
/// becomes chunks.
#[derive(Clone)]
pub(super) struct StreamCore {
    shared: Arc<WriterShared>,
    index: usize,
    spec: Arc<StreamSpec>,
    chunking: Chunking,
}

impl StreamCore {
    /// Adds a stream of `spec` to the writer, its input becoming chunks as `chunking` says.
    ///
    /// # Errors
    /// As [`WriterShared::add_stream`].
    pub fn add(
        shared: &Arc<WriterShared>,
        spec: StreamSpec,
        chunking: Chunking,
    ) -> Result<StreamCore> {
        let index = shared.add_stream(spec.clone(), &chunking)?;
        Ok(StreamCore {
            shared: Arc::clone(shared),
            index,
            spec: Arc::new(spec),
            chunking,
        })
    }

    /// The stream number in the file.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The id of the writer.
    pub fn writer_id(&self) -> u64 {
        self.shared.id
    }

    fn target(&self) -> OpTarget {
        OpTarget::Stream {
            writer: self.shared.id,
            stream: self.index,
        }
    }

    /// Whether a write of `len` bytes is one this stream takes; checked before anything is
    /// copied or read.
    pub fn check_len(&self, len: usize) -> Result<()> {
        if len > MAX_CHUNK_SIZE {
            return Err(Error::new(
                Status::Limit,
                format!("a write of {len} bytes exceeds the limit of {MAX_CHUNK_SIZE} bytes"),
            ));
        }
        self.chunking.check_input_len(&self.spec, len)
    }

    /// Queues one write: checks, queue room, the input on its way to become chunks, its place,
    /// and the job. Nothing is queued when it fails.
    pub fn begin(
        &self,
        options: BeginOptions,
        payload: Payload,
        callback: Option<Callback>,
    ) -> Result<AsyncResult> {
        process::check(self.shared.pid)?;
        self.shared.refuse_closed()?;
        self.check_len(payload.len())?;
        let len = payload.len();
        match options.time_ns {
            // Where begin could wait for room or start an encoding, a write that will be
            // refused is refused first; the place is decided again when it is queued.
            Some(time_ns)
                if matches!(self.chunking, Chunking::ParallelEncoder(_))
                    || self.shared.pressure.is_bounded() =>
            {
                let mut gate = self.shared.gate.lock();
                self.place(&mut gate.timeline, time_ns, len, false)?;
            }
            _ => {}
        }
        self.reserve(len, options.nowait)?;
        let input = match &self.chunking {
            Chunking::AsGiven { .. } => ChunkInput::AsGiven(payload),
            Chunking::ParallelEncoder(encoder) => {
                let lane = self.shared.encoders.lock();
                let Some(lane) = lane.as_ref() else {
                    self.shared.pressure.release(len as u64);
                    return Err(closed_error());
                };
                ChunkInput::ParallelEncoder {
                    slot: lane.submit(Arc::clone(encoder), payload),
                    input_len: len,
                }
            }
            Chunking::SequentialEncoder { encoder, .. } => ChunkInput::SequentialEncoder {
                encoder: Arc::clone(encoder),
                input: payload,
            },
        };
        let slot = input.encoded_slot().cloned();
        let result = AsyncResult::new(self.target(), callback);
        if let Err(e) = self.enqueue(options, input, result.clone()) {
            self.shared.pressure.release(len as u64);
            // The encoder may still read the caller's buffer: finish before reporting failure.
            if let Some(slot) = slot {
                let _ = slot.take();
            }
            return Err(e);
        }
        Ok(result)
    }

    /// Reserves queue room for `len` bytes, waiting for it unless `nowait`.
    fn reserve(&self, len: usize, nowait: bool) -> Result<()> {
        if !nowait {
            return self.shared.pressure.acquire(len as u64);
        }
        self.shared
            .pressure
            .try_acquire(len as u64)
            .inspect_err(|_| {
                self.shared.gate.lock().timeline.count_drop(self.index);
            })
    }

    /// Places the write in its slot (timed) or the next one and queues it, under the lock that
    /// orders begins. On failure nothing is queued and the caller gives back all the queue room
    /// it reserved; on success, the room of samples cut off the front goes back here.
    fn enqueue(
        &self,
        options: BeginOptions,
        mut input: ChunkInput,
        result: AsyncResult,
    ) -> Result<()> {
        let mut gate = self.shared.gate.lock();
        // Before the timeline: a write refused for a closed writer takes no slot or sample.
        if gate.jobs.is_none() {
            return Err(closed_error());
        }
        let len = input.queued_len();
        let mut trimmed = 0;
        let fill = match options.time_ns {
            None => gate
                .timeline
                .untimed(self.index, len, self.chunking.samples()),
            Some(time_ns) => {
                let (fill, trim) = self.place(&mut gate.timeline, time_ns, len, true)?;
                input.trim_front(trim);
                trimmed = trim;
                fill
            }
        };
        self.shared.enqueue_locked(
            &mut gate,
            Job::Write(WriteJob {
                stream: self.index,
                keyframe: options.keyframe,
                input,
                fill,
                result,
            }),
        )?;
        // The overlapping samples are not written: their queue room goes back once the rest
        // is queued (after a failure, the caller gives back the whole reservation).
        self.shared.pressure.release(trimmed as u64);
        Ok(())
    }

    /// Where a timed write of `len` bytes captured at `time_ns` goes: its fill, and the bytes
    /// to cut from its start (audio overlaps). With `commit`, takes its place.
    ///
    /// # Errors
    /// [`Status::Dropped`], [`Status::Limit`] as [`Timeline`] decides; [`Status::Unsupported`]
    /// for audio without a sample layout.
    fn place(
        &self,
        timeline: &mut Timeline,
        time_ns: i64,
        len: usize,
        commit: bool,
    ) -> Result<(TimeFill, usize)> {
        let rate = self.shared.options.frame_rate;
        if self.spec.is_video() {
            let fill = timeline.place_frame(self.index, time_ns, rate, len, commit)?;
            return Ok((fill, 0));
        }
        let layout = self.chunking.samples().ok_or_else(|| {
            Error::new(
                Status::Unsupported,
                "timed writes need a stream that knows its samples (PCM, float or MP3): this \
                 audio stream writes its format as given",
            )
        })?;
        let block = (len / layout.block_align) as u64;
        let placed = timeline.place_block(
            self.index,
            time_ns,
            layout,
            block,
            timing::max_gap_ns(rate),
            commit,
        )?;
        let fill = TimeFill::Samples {
            gap: placed.silence,
            layout,
        };
        Ok((fill, placed.trim as usize * layout.block_align))
    }

    /// Queues `count` empty frames at the (video) stream's next slots, fire-and-forget.
    pub fn skip_frames(&self, count: u32) -> Result<()> {
        process::check(self.shared.pid)?;
        if u64::from(count) > MAX_GAP_SLOTS {
            return Err(Error::new(
                Status::Limit,
                format!("skip_frames({count}): at most {MAX_GAP_SLOTS} empty frames at once"),
            ));
        }
        let mut gate = self.shared.gate.lock();
        if gate.jobs.is_none() {
            return Err(closed_error());
        }
        if count == 0 {
            return Ok(());
        }
        // One empty chunk of its own, after `count - 1` of fill: no callback, and no handle
        // that could cancel it.
        let job = WriteJob {
            stream: self.index,
            keyframe: false,
            input: ChunkInput::AsGiven(Payload::owned(Vec::new())),
            fill: TimeFill::Frames {
                gap: u64::from(count) - 1,
            },
            result: AsyncResult::new(self.target(), None),
        };
        self.shared.enqueue_locked(&mut gate, Job::Write(job))?;
        gate.timeline.skip(self.index, u64::from(count));
        Ok(())
    }

    /// The stream's counters; all zero in a forked child, which takes no lock of the parent's.
    pub fn stats(&self) -> StreamStats {
        if process::check(self.shared.pid).is_err() {
            return StreamStats::default();
        }
        self.shared.gate.lock().timeline.stats(self.index)
    }

    /// Whether `result` was begun on this stream.
    pub fn check_result(&self, result: &AsyncResult) -> Result<()> {
        if result.target() != self.target() {
            return Err(Error::invalid_argument(
                "the result belongs to another stream or operation",
            ));
        }
        Ok(())
    }

    /// Waits for an operation of this stream and returns its outcome.
    pub fn end(&self, result: AsyncResult) -> Result<()> {
        self.check_result(&result)?;
        result.wait_outcome()
    }

    /// Begin + end on borrowed bytes.
    pub fn write(&self, options: BeginOptions, data: &[u8]) -> Result<()> {
        process::check(self.shared.pid)?;
        // Refused up front: the end would deadlock after the borrowed bytes were queued.
        self.shared.refuse_on_worker("a synchronous write")?;
        // Likewise a wait on another writer that would close a cycle; held until the end.
        let _edge = wait_graph::enter(self.shared.id, "a synchronous write on another writer")?;
        // SAFETY: `end` below waits until the operation completes, and nothing returns between
        // begin and end, so `data` outlives every read of it.
        let payload = unsafe { Payload::borrowed(data.as_ptr(), data.len()) };
        let result = self.begin(options, payload, None)?;
        self.end(result)
    }
}
