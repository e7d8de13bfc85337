//! The caller-facing side of the queue: [`Writer`], its streams, and begin/end.

use super::async_result::{on_worker_of, AsyncResult, Callback, OpTarget};
use super::begin_options::BeginOptions;
use super::encoder_pool::EncoderLane;
use super::payload::Payload;
use super::pressure::QueuePressure;
use super::process;
use super::timing::{self, SampleLayout, StreamStats, TimeFill, Timeline, MAX_GAP_SLOTS};
use super::wait_graph::{self, WaitEdge};
use super::worker::{ChunkSource, Job, SharedSequentialEncoder, Worker, WriteJob};
use crate::avi::{
    InfoList, MuxerConfig, StreamSpec, DEFAULT_RIFF_LIMIT, DEFAULT_SUPER_INDEX_CAPACITY,
    MAX_STREAMS,
};
use crate::codec::encoder::{FrameEncoder, InputRule, SequentialEncoder};
use crate::error::{Error, Result, Status};
use crate::format::{AudioFormat, FrameRate, PcmFormat, StreamFormat, VideoFormat, MAX_CHUNK_SIZE};
use crate::riff::{FileSink, Sink};
use crossbeam_channel::Sender;
use parking_lot::Mutex;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Settings of a writer. Start from `WriterOptions::default()` and change what you need with the
/// `with_*` methods (new settings may come in later versions, so the struct cannot be built
/// field by field outside this crate).
///
/// ```
/// use std::time::Duration;
/// let options = avikit::WriterOptions::default()
///     .with_max_queued_bytes(64 << 20)
///     .with_checkpoint_interval(Some(Duration::from_millis(500)));
/// assert_eq!(options.max_queued_bytes, 64 << 20);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WriterOptions {
    /// Video frame rate; default 30/1.
    pub frame_rate: FrameRate,
    /// Write the legacy `idx1` index (AVI 1.0 players need it); default true.
    pub emit_index1: bool,
    /// Bytes after which a RIFF segment ends (default 1 GiB). Lower it to exercise OpenDML
    /// segments with little data.
    pub riff_limit: u64,
    /// Slots of each stream's OpenDML super index in the header: one per RIFF segment (about
    /// 1 GiB) the stream spans. The default, 4608, holds more than 4 TiB, for 72 KiB of header
    /// per stream; a write that would need one more fails with [`crate::Status::Limit`] and
    /// leaves a file that plays up to it. 1..=65536.
    pub super_index_capacity: usize,
    /// Back-pressure: begin waits while this many payload bytes are queued. 0 = unbounded (the
    /// default): the queue grows without limit while the sink is slower than the caller.
    pub max_queued_bytes: u64,
    /// Frames of this writer's encoding streams (MJPEG, uncompressed conversion) that encode at
    /// once, on the encoder threads the whole process shares (one per CPU, started with the
    /// first encoding stream of any writer, stopped when the last writer using them closes);
    /// 0 = as many as there are CPUs. H.264 streams run this many threads of their own (at most
    /// 4; 2 for 0).
    pub encoder_threads: usize,
    /// Crash safety: at most this long after a chunk is written, the worker indexes it and
    /// refreshes the header, so a file cut by a crash plays up to there. `None`: only at flush
    /// and close (and output depends only on the calls made). Default one second.
    pub checkpoint_interval: Option<Duration>,
}

impl Default for WriterOptions {
    fn default() -> WriterOptions {
        WriterOptions {
            frame_rate: FrameRate { num: 30, den: 1 },
            emit_index1: true,
            riff_limit: DEFAULT_RIFF_LIMIT,
            super_index_capacity: DEFAULT_SUPER_INDEX_CAPACITY,
            max_queued_bytes: 0,
            encoder_threads: 0,
            checkpoint_interval: Some(Duration::from_secs(1)),
        }
    }
}

/// `with_*` setters of [`WriterOptions`], one per field.
macro_rules! with_setters {
    ($($setter:ident: $field:ident: $ty:ty,)+) => {
        impl WriterOptions {
            $(
                #[doc = concat!("The same options with `", stringify!($field), "` set (see the field).")]
                pub fn $setter(self, $field: $ty) -> WriterOptions {
                    WriterOptions { $field, ..self }
                }
            )+
        }
    };
}

with_setters! {
    with_frame_rate: frame_rate: FrameRate,
    with_emit_index1: emit_index1: bool,
    with_riff_limit: riff_limit: u64,
    with_super_index_capacity: super_index_capacity: usize,
    with_max_queued_bytes: max_queued_bytes: u64,
    with_encoder_threads: encoder_threads: usize,
    with_checkpoint_interval: checkpoint_interval: Option<Duration>,
}

/// What begin checks and where it sends jobs; guarded by one lock so that the job order is the
/// begin order and nothing is queued after close.
struct Gate {
    /// `None` once the writer is closed.
    jobs: Option<Sender<Job>>,
    streams: Vec<StreamSpec>,
    /// The header's INFO metadata, settable until the first write.
    info: InfoList,
    /// Sequential encoders by stream, handed to the worker with the header job.
    block_encoders: Vec<(usize, SharedSequentialEncoder)>,
    /// Time zero and each stream's slots, in begin order.
    timeline: Timeline,
    started: bool,
}

struct WriterShared {
    id: u64,
    options: WriterOptions,
    gate: Mutex<Gate>,
    pressure: Arc<QueuePressure>,
    worker: Mutex<Option<JoinHandle<Result<()>>>>,
    /// This writer's way onto the process's encoder threads: joined with the first encoding
    /// stream, let go after the worker at close.
    encoders: Mutex<Option<EncoderLane>>,
    /// The process that created the writer, the only one with its worker thread.
    pid: u32,
    /// A [`WriterState`], readable without the gate lock (by begin before it waits for room,
    /// and by callers that hold locks of their own).
    state: AtomicU8,
}

/// Where a writer is in its life, as [`Writer::state`] tells it.
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
enum CloseOutcome {
    /// Nothing was done (inside a callback that would deadlock, or in another process).
    Refused(Error),
    /// Another close got there first and owns the outcome.
    AlreadyClosed,
    /// This close drained the queue, finalized the file and stopped the worker: the first error
    /// the writer met, or `Ok`.
    Closed(Result<()>),
}

fn closed_error() -> Error {
    Error::new(Status::InvalidHandle, "the writer was closed")
}

fn already_closing_error() -> Error {
    Error::new(
        Status::InvalidHandle,
        "the writer is closed or being closed by another call",
    )
}

impl WriterShared {
    /// Queues `job`, preceded by the header job if this is the first one.
    fn enqueue(&self, job: Job) -> Result<()> {
        self.enqueue_locked(&mut self.gate.lock(), job)
    }

    fn enqueue_locked(&self, gate: &mut Gate, job: Job) -> Result<()> {
        process::check(self.pid)?;
        let jobs = gate.jobs.as_ref().ok_or_else(closed_error)?;
        if !gate.started {
            gate.started = true;
            let cfg = muxer_config(&self.options, gate.streams.clone(), gate.info.clone());
            let encoders = gate.block_encoders.clone();
            jobs.send(Job::Start(cfg, encoders))
                .map_err(|_| closed_error())?;
        }
        jobs.send(job).map_err(|_| closed_error())
    }

    /// Adds a stream; with `start_encoders`, also joins the process's encoder threads (once per
    /// writer), but only when the stream can be added.
    fn add_stream(
        &self,
        spec: StreamSpec,
        encoder: Option<SharedSequentialEncoder>,
        start_encoders: bool,
    ) -> Result<usize> {
        spec.validate()?;
        process::check(self.pid)?;
        let mut gate = self.gate.lock();
        if gate.jobs.is_none() {
            return Err(closed_error());
        }
        if gate.started {
            return Err(Error::invalid_state(
                "streams can only be added before the first write or flush",
            ));
        }
        if gate.streams.len() >= MAX_STREAMS {
            return Err(Error::new(
                Status::Limit,
                format!("an AVI file holds at most {MAX_STREAMS} streams"),
            ));
        }
        if start_encoders {
            let mut pool = self.encoders.lock();
            if pool.is_none() {
                *pool = Some(EncoderLane::join(self.options.encoder_threads)?);
            }
        }
        gate.streams.push(spec);
        gate.timeline.add_stream();
        let index = gate.streams.len() - 1;
        if let Some(encoder) = encoder {
            gate.block_encoders.push((index, encoder));
        }
        Ok(index)
    }

    /// Refuses work once a close has shut the queue. Lock-free, so begin can answer a closed
    /// writer before it waits for room or places a timed write; `enqueue_locked` decides for
    /// good under the gate.
    fn refuse_closed(&self) -> Result<()> {
        if self.state.load(Ordering::Acquire) != WriterState::Open.as_u8() {
            return Err(closed_error());
        }
        Ok(())
    }

    fn refuse_on_worker(&self, what: &str) -> Result<()> {
        if on_worker_of(self.id) {
            return Err(Error::new(
                Status::WouldDeadlock,
                format!("{what} inside a callback of the same writer would deadlock"),
            ));
        }
        Ok(())
    }

    fn close(&self) -> CloseOutcome {
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
        if let Err(e) = process::check(self.pid) {
            // The child of a fork: the worker and encoder threads are the parent's; never join.
            std::mem::forget(self.worker.lock().take());
            std::mem::forget(self.encoders.lock().take());
            return Err(CloseOutcome::Refused(e));
        }
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
}

fn muxer_config(options: &WriterOptions, streams: Vec<StreamSpec>, info: InfoList) -> MuxerConfig {
    MuxerConfig {
        frame_rate: options.frame_rate,
        streams,
        info,
        emit_index1: options.emit_index1,
        riff_limit: options.riff_limit,
        super_index_capacity: options.super_index_capacity,
    }
}

static NEXT_WRITER_ID: AtomicU64 = AtomicU64::new(1);

/// An AVI file being written. Every write goes through one FIFO queue served by the writer's
/// worker thread, which owns the file.
///
/// Thread-safe: share it (for example in an `Arc`) and write from any thread; operations land in
/// the order their begin calls returned. Dropping a writer closes it and ignores the outcome;
/// call [`Writer::close`] to learn it.
pub struct Writer {
    shared: Arc<WriterShared>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("id", &self.shared.id)
            .finish()
    }
}

impl Writer {
    /// Creates (or truncates) the file at `path` and starts the writer's worker.
    ///
    /// # Errors
    /// [`Status::Io`] with the operating system's message when the file cannot be created;
    /// [`Status::InvalidArgument`] for bad options.
    pub fn create(path: impl AsRef<Path>, options: WriterOptions) -> Result<Writer> {
        let path = path.as_ref();
        let sink = FileSink::create(path)
            .map_err(|e| Error::io(&format!("cannot create {}", path.display()), e))?;
        Writer::with_sink(Box::new(sink), options)
    }

    /// Starts a writer that writes through `sink`. The sink is dropped (released) on the worker
    /// thread once the file is finished, or at once if this fails.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for bad options; [`Status::Io`] if no thread can be started.
    pub fn with_sink(sink: Box<dyn Sink>, options: WriterOptions) -> Result<Writer> {
        let options = WriterOptions {
            frame_rate: FrameRate::new(options.frame_rate.num, options.frame_rate.den)?,
            ..options
        };
        muxer_config(&options, Vec::new(), InfoList::empty()).validate()?;
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
        Ok(Writer {
            shared: Arc::new(WriterShared {
                id,
                options,
                gate: Mutex::new(Gate {
                    jobs: Some(tx),
                    streams: Vec::new(),
                    info: InfoList::default(),
                    block_encoders: Vec::new(),
                    timeline: Timeline::default(),
                    started: false,
                }),
                pressure,
                worker: Mutex::new(Some(handle)),
                encoders: Mutex::new(None),
                pid: process::current(),
                state: AtomicU8::new(WriterState::Open.as_u8()),
            }),
        })
    }

    /// Sets the INFO metadata entry `id` (`INAM` title, `IART` artist, `ICMT` comment, `ICRD`
    /// date, `ISFT` software, `ICOP` copyright, `IGNR` genre, ...: `I` and three uppercase
    /// letters or digits) to `value`; setting an id again replaces its value, an empty value
    /// removes it. `ISFT` is `avikit X.Y.Z` (this version) unless set. Allowed until the first write or
    /// flush, like adding streams.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for a bad id or a value over 65,000 bytes (or with NUL),
    /// [`Status::InvalidState`] after the first write, [`Status::InvalidHandle`] after close.
    pub fn set_info(&self, id: &str, value: &str) -> Result<()> {
        let mut gate = self.shared.gate.lock();
        if gate.jobs.is_none() {
            return Err(closed_error());
        }
        if gate.started {
            return Err(Error::invalid_state(
                "INFO metadata can only be set before the first write or flush",
            ));
        }
        gate.info.set(id, value)
    }

    /// Adds a video stream. Allowed until the first write or flush on the writer.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for a bad format, [`Status::InvalidState`] after the first
    /// write, [`Status::Limit`] past 100 streams, [`Status::InvalidHandle`] after close.
    pub fn add_video_stream(&self, format: VideoFormat, name: Option<&str>) -> Result<VideoStream> {
        let spec = StreamSpec {
            format: StreamFormat::Video(format),
            name: name.map(str::to_owned),
        };
        Ok(VideoStream(self.add_stream(spec)?))
    }

    /// Adds an audio stream. Same rules as [`Writer::add_video_stream`].
    ///
    /// # Errors
    /// As [`Writer::add_video_stream`].
    pub fn add_audio_stream(&self, format: AudioFormat, name: Option<&str>) -> Result<AudioStream> {
        let spec = StreamSpec {
            format: StreamFormat::Audio(format),
            name: name.map(str::to_owned),
        };
        Ok(AudioStream(self.add_stream(spec)?))
    }

    /// Adds a linear PCM (integer or float) audio stream. Unlike [`Writer::add_audio_stream`],
    /// which writes any format as given, this stream knows its samples, so it takes timed
    /// writes ([`AudioStream::begin_write_block_at`]). Same rules as
    /// [`Writer::add_video_stream`].
    ///
    /// # Errors
    /// As [`Writer::add_video_stream`].
    pub fn add_pcm_stream(&self, format: PcmFormat, name: Option<&str>) -> Result<AudioStream> {
        let mut core = self.add_stream(StreamSpec {
            format: StreamFormat::Audio(AudioFormat::pcm(format)),
            name: name.map(str::to_owned),
        })?;
        core.samples = Some(format.sample_layout());
        Ok(AudioStream(core))
    }

    /// Adds a video stream whose frames `encoder` turns into chunks on the writer's encoder
    /// threads (for example [`crate::codec::encoder::DibConversion`] for
    /// `AVK_VIDEO_UNCOMPRESSED`). Frames of one writer encode in parallel; chunks still land in
    /// begin order. Same rules as [`Writer::add_video_stream`].
    ///
    /// # Errors
    /// As [`Writer::add_video_stream`]; [`Status::Io`] if the encoder threads cannot start.
    pub fn add_encoding_video_stream(
        &self,
        encoder: Arc<dyn FrameEncoder>,
        name: Option<&str>,
    ) -> Result<VideoStream> {
        let spec = StreamSpec {
            format: StreamFormat::Video(encoder.output_format()),
            name: name.map(str::to_owned),
        };
        let index = self.shared.add_stream(spec.clone(), None, true)?;
        Ok(VideoStream(StreamCore {
            shared: Arc::clone(&self.shared),
            index,
            spec: Arc::new(spec),
            encoder: Some(encoder),
            sequential: None,
            samples: None,
        }))
    }

    /// Adds an audio stream whose blocks a sequential `encoder` (for example
    /// [`crate::codec::mp3::Mp3Encoder`]) turns into chunks, in begin order on the worker. One
    /// block may give no chunk or several; the encoder's last chunks are written at close.
    /// Same rules as [`Writer::add_audio_stream`].
    ///
    /// # Errors
    /// As [`Writer::add_audio_stream`]; [`Status::InvalidArgument`] for an encoder of video.
    pub fn add_encoding_audio_stream(
        &self,
        encoder: Box<dyn SequentialEncoder>,
        name: Option<&str>,
    ) -> Result<AudioStream> {
        if !matches!(encoder.output_format(), StreamFormat::Audio(_)) {
            return Err(Error::invalid_argument(
                "the encoder does not produce audio",
            ));
        }
        Ok(AudioStream(self.add_sequential_stream(encoder, name)?))
    }

    /// Adds a video stream whose frames a sequential `encoder` (one that keeps state from frame
    /// to frame, like H.264) turns into chunks, in begin order on the worker. Same rules as
    /// [`Writer::add_video_stream`].
    ///
    /// # Errors
    /// As [`Writer::add_video_stream`]; [`Status::InvalidArgument`] for an encoder of audio.
    pub fn add_sequential_video_stream(
        &self,
        encoder: Box<dyn SequentialEncoder>,
        name: Option<&str>,
    ) -> Result<VideoStream> {
        if !matches!(encoder.output_format(), StreamFormat::Video(_)) {
            return Err(Error::invalid_argument(
                "the encoder does not produce video",
            ));
        }
        Ok(VideoStream(self.add_sequential_stream(encoder, name)?))
    }

    fn add_sequential_stream(
        &self,
        encoder: Box<dyn SequentialEncoder>,
        name: Option<&str>,
    ) -> Result<StreamCore> {
        let spec = StreamSpec {
            format: encoder.output_format(),
            name: name.map(str::to_owned),
        };
        let input_rule = encoder.input_rule();
        let samples = encoder.input_samples();
        let shared: SharedSequentialEncoder = Arc::new(Mutex::new(encoder));
        let index = self
            .shared
            .add_stream(spec.clone(), Some(Arc::clone(&shared)), false)?;
        Ok(StreamCore {
            shared: Arc::clone(&self.shared),
            index,
            spec: Arc::new(spec),
            encoder: None,
            sequential: Some((shared, input_rule)),
            samples,
        })
    }

    fn add_stream(&self, spec: StreamSpec) -> Result<StreamCore> {
        let index = self.shared.add_stream(spec.clone(), None, false)?;
        Ok(StreamCore {
            shared: Arc::clone(&self.shared),
            index,
            spec: Arc::new(spec),
            encoder: None,
            sequential: None,
            samples: None,
        })
    }

    /// Queues a flush behind every operation begun so far: a checkpoint (everything written is
    /// indexed and the header refreshed), then the data is pushed out; `durable` also fsyncs.
    ///
    /// # Errors
    /// [`Status::InvalidHandle`] after close.
    pub fn begin_flush(&self, durable: bool, callback: Option<Callback>) -> Result<AsyncResult> {
        let result = AsyncResult::new(
            OpTarget::Flush {
                writer: self.shared.id,
            },
            callback,
        );
        self.shared.enqueue(Job::Flush {
            durable,
            result: result.clone(),
        })?;
        Ok(result)
    }

    /// Waits for a flush begun on this writer and returns its outcome.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for a result of another operation or writer;
    /// [`Status::WouldDeadlock`] inside a callback while it is pending; the flush's own error.
    pub fn end_flush(&self, result: AsyncResult) -> Result<()> {
        self.check_flush_result(&result)?;
        result.wait_outcome()
    }

    /// Whether `result` is a flush of this writer.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] when it is not.
    pub fn check_flush_result(&self, result: &AsyncResult) -> Result<()> {
        if result.target()
            != (OpTarget::Flush {
                writer: self.shared.id,
            })
        {
            return Err(Error::invalid_argument(
                "the result is not a flush of this writer",
            ));
        }
        Ok(())
    }

    /// Flushes synchronously: waits for every earlier operation, then pushes the data out.
    ///
    /// # Errors
    /// [`Status::WouldDeadlock`] inside a callback; otherwise as [`Writer::end_flush`].
    pub fn flush(&self, durable: bool) -> Result<()> {
        process::check(self.shared.pid)?;
        self.shared.refuse_on_worker("flushing")?;
        // Checked before the flush is queued: refused, nothing is left behind.
        let _edge = wait_graph::enter(self.shared.id, "flushing another writer")?;
        let result = self.begin_flush(durable, None)?;
        self.end_flush(result)
    }

    /// Drains the queue (every callback runs), finalizes the file and stops the worker.
    ///
    /// # Errors
    /// The first error the writer met (the file is still finalized as far as possible); else
    /// [`Status::Panic`] with the message of the first callback that panicked (callback panics
    /// are caught: the writer and the other callbacks go on);
    /// [`Status::WouldDeadlock`] inside a callback of this writer, or inside a callback of
    /// another writer that this writer's worker is waiting on (nothing is closed then: close it
    /// later from elsewhere); [`Status::InvalidState`] when no stream was ever added, or in
    /// another process than the one that created the writer (after `fork()`);
    /// [`Status::InvalidHandle`] when already closed, or while another call's close drains the
    /// queue (that close owns the outcome; see [`Writer::state`]).
    pub fn close(&self) -> Result<()> {
        match self.shared.close() {
            CloseOutcome::Refused(e) => Err(e),
            CloseOutcome::AlreadyClosed => Err(already_closing_error()),
            CloseOutcome::Closed(outcome) => outcome,
        }
    }

    /// Closes the writer and consumes it (as [`Writer::close`]), so that nothing can use it
    /// afterwards. Dropping a writer closes it too, but can only ignore the outcome.
    ///
    /// # Errors
    /// As [`Writer::close`].
    pub fn finalize(self) -> Result<()> {
        self.close()
    }

    /// Where the writer is in its life: [`WriterState::Closed`] once a close (this call's or
    /// another's) finalized the file and stopped the worker, [`WriterState::Closing`] while a
    /// close drains the queue, [`WriterState::Open`] before (also after a close that was
    /// refused). Lock-free; thread-safe.
    pub fn state(&self) -> WriterState {
        WriterState::from_u8(self.shared.state.load(Ordering::Acquire))
    }

    /// A number that identifies this writer among live ones.
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// The frame rate of the file (the rate every video stream plays at), in lowest terms.
    pub fn frame_rate(&self) -> FrameRate {
        self.shared.options.frame_rate
    }

    /// The encoder threads asked for in [`WriterOptions::encoder_threads`] (0 = one per CPU),
    /// for encoders that run threads of their own, such as the H.264 encoder (`codec::h264`).
    pub fn encoder_threads(&self) -> usize {
        self.shared.options.encoder_threads
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let refused = match self.shared.close() {
            CloseOutcome::Refused(e) => e,
            CloseOutcome::AlreadyClosed | CloseOutcome::Closed(_) => return,
        };
        if refused.status() == Status::WouldDeadlock {
            // Dropped inside a callback that cannot wait for the worker: let the worker finish
            // on its own.
            if let Some(jobs) = self.shared.gate.lock().jobs.take() {
                let _ = jobs.send(Job::Close);
            }
        }
    }
}

/// What video and audio streams share: the writer, the stream number and its validated spec.
#[derive(Clone)]
struct StreamCore {
    shared: Arc<WriterShared>,
    index: usize,
    spec: Arc<StreamSpec>,
    /// Set for encoding video streams: what turns written frames into chunks.
    encoder: Option<Arc<dyn FrameEncoder>>,
    /// Set for sequential encoding streams: the encoder and what its inputs must look like.
    sequential: Option<(SharedSequentialEncoder, InputRule)>,
    /// Set for audio streams that know their samples (PCM, float, MP3 input): what timed
    /// writes need.
    samples: Option<SampleLayout>,
}

impl StreamCore {
    fn target(&self) -> OpTarget {
        OpTarget::Stream {
            writer: self.shared.id,
            stream: self.index,
        }
    }

    /// Whether a write of `len` bytes is one this stream takes; checked before anything is
    /// copied or read.
    fn check_len(&self, len: usize) -> Result<()> {
        if len > MAX_CHUNK_SIZE {
            return Err(Error::new(
                Status::Limit,
                format!("a write of {len} bytes exceeds the limit of {MAX_CHUNK_SIZE} bytes"),
            ));
        }
        match (&self.encoder, &self.sequential) {
            (Some(encoder), _) => encoder.check_input_len(len),
            (None, Some((_, rule))) => rule.check(len),
            (None, None) => self.spec.check_chunk_len(len),
        }
    }

    fn begin(
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
            Some(time_ns) if self.encoder.is_some() || self.shared.pressure.is_bounded() => {
                let mut gate = self.shared.gate.lock();
                self.place(&mut gate.timeline, time_ns, len, false)?;
            }
            _ => {}
        }
        self.reserve(len, options.nowait)?;
        let source = match &self.encoder {
            None => match &self.sequential {
                Some((encoder, _)) => ChunkSource::Stateful {
                    encoder: Arc::clone(encoder),
                    input: payload,
                },
                None => ChunkSource::Ready(payload),
            },
            Some(encoder) => {
                let pool = self.shared.encoders.lock();
                let Some(pool) = pool.as_ref() else {
                    self.shared.pressure.release(len as u64);
                    return Err(closed_error());
                };
                ChunkSource::Encoding {
                    slot: pool.submit(Arc::clone(encoder), payload),
                    input_len: len,
                }
            }
        };
        let slot = match &source {
            ChunkSource::Encoding { slot, .. } => Some(Arc::clone(slot)),
            ChunkSource::Ready(_) | ChunkSource::Stateful { .. } => None,
        };
        let result = AsyncResult::new(self.target(), callback);
        if let Err(e) = self.enqueue(options, source, result.clone()) {
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
        mut source: ChunkSource,
        result: AsyncResult,
    ) -> Result<()> {
        let mut gate = self.shared.gate.lock();
        // Before the timeline: a write refused for a closed writer takes no slot or sample.
        if gate.jobs.is_none() {
            return Err(closed_error());
        }
        let len = source.queued_len();
        let mut trimmed = 0;
        let fill = match options.time_ns {
            None => gate.timeline.untimed(self.index, len, self.samples),
            Some(time_ns) => {
                let (fill, trim) = self.place(&mut gate.timeline, time_ns, len, true)?;
                source.trim_front(trim);
                trimmed = trim;
                fill
            }
        };
        self.shared.enqueue_locked(
            &mut gate,
            Job::Write(WriteJob {
                stream: self.index,
                keyframe: options.keyframe,
                source,
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
        let layout = self.samples.ok_or_else(|| {
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

    /// Queues `count` empty frames at the stream's next slots, fire-and-forget.
    fn skip_frames(&self, count: u32) -> Result<()> {
        process::check(self.shared.pid)?;
        if !self.spec.is_video() {
            return Err(Error::invalid_argument(
                "empty frames exist for video streams only",
            ));
        }
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
            source: ChunkSource::Ready(Payload::owned(Vec::new())),
            fill: TimeFill::Frames {
                gap: u64::from(count) - 1,
            },
            result: AsyncResult::new(self.target(), None),
        };
        self.shared.enqueue_locked(&mut gate, Job::Write(job))?;
        gate.timeline.skip(self.index, u64::from(count));
        Ok(())
    }

    fn stats(&self) -> StreamStats {
        self.shared.gate.lock().timeline.stats(self.index)
    }

    fn check_result(&self, result: &AsyncResult) -> Result<()> {
        if result.target() != self.target() {
            return Err(Error::invalid_argument(
                "the result belongs to another stream or operation",
            ));
        }
        Ok(())
    }

    fn end(&self, result: AsyncResult) -> Result<()> {
        self.check_result(&result)?;
        result.wait_outcome()
    }

    fn write(&self, options: BeginOptions, data: &[u8]) -> Result<()> {
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

macro_rules! stream_type {
    (
        $name:ident, $unit:literal, $write:ident, $begin:ident, $end:ident,
        $write_at:ident, $begin_at:ident, $write_with:ident, $begin_with:ident,
        $timed_doc:literal
    ) => {
        #[doc = concat!("A stream of ", $unit, "s belonging to a [`Writer`]. Cheap to clone; thread-safe.")]
        #[derive(Clone)]
        pub struct $name(StreamCore);

        impl $name {
            #[doc = concat!("Writes one ", $unit, " and waits until it is in the file: begin + end.")]
            ///
            /// # Errors
            /// As the begin and end calls; also [`Status::WouldDeadlock`] inside a callback.
            pub fn $write(&self, keyframe: bool, data: &[u8]) -> Result<()> {
                self.0.write(BeginOptions::keyframe(keyframe), data)
            }

            #[doc = concat!("Queues one ", $unit, " and returns at once. The callback runs on the worker after the")]
            /// operation completes. Operations complete in begin order across the writer.
            ///
            /// # Errors
            /// [`Status::InvalidArgument`] for a wrong length, [`Status::Limit`] over 2 GiB,
            /// [`Status::InvalidHandle`] after close. Nothing is queued and no callback runs.
            pub fn $begin(
                &self,
                keyframe: bool,
                payload: Payload,
                callback: Option<Callback>,
            ) -> Result<AsyncResult> {
                self.0.begin(BeginOptions::keyframe(keyframe), payload, callback)
            }

            #[doc = concat!("Queues one ", $unit, " captured at `time_ns` (nanoseconds on any clock; time zero is")]
            /// the time of the first timed write begun on the writer, whatever its stream).
            #[doc = $timed_doc]
            /// Untimed writes may be mixed in: they take the stream's next slot. The result is
            /// ended like any other.
            ///
            /// # Errors
            /// As the untimed begin; [`Status::Dropped`] as above (counted in
            /// [`Self::stats`]); [`Status::Limit`] for a gap of more than
            /// [`crate::queue::MAX_GAP_SLOTS`] frame periods. Nothing is queued and no
            /// callback runs; the writer is fine.
            pub fn $begin_at(
                &self,
                keyframe: bool,
                time_ns: i64,
                payload: Payload,
                callback: Option<Callback>,
            ) -> Result<AsyncResult> {
                self.0
                    .begin(BeginOptions::keyframe(keyframe).at(time_ns), payload, callback)
            }

            #[doc = concat!("Writes one ", $unit, " captured at `time_ns` and waits until it is in the file:")]
            #[doc = concat!("[`Self::", stringify!($begin_at), "`] + end.")]
            ///
            /// # Errors
            #[doc = concat!("As [`Self::", stringify!($begin_at), "`] and the end call.")]
            pub fn $write_at(&self, keyframe: bool, time_ns: i64, data: &[u8]) -> Result<()> {
                self.0.write(BeginOptions::keyframe(keyframe).at(time_ns), data)
            }

            #[doc = concat!("Queues one ", $unit, " as `options` say: keyframe, capture time, and whether")]
            /// begin may wait for queue room (with `nowait` it fails with
            /// [`Status::QueueFull`] instead, also inside a callback: nothing is queued, and
            /// the refusal is counted in [`Self::stats`]).
            ///
            /// # Errors
            #[doc = concat!("As [`Self::", stringify!($begin_at), "`]; [`Status::QueueFull`] as above.")]
            pub fn $begin_with(
                &self,
                options: BeginOptions,
                payload: Payload,
                callback: Option<Callback>,
            ) -> Result<AsyncResult> {
                self.0.begin(options, payload, callback)
            }

            #[doc = concat!("Writes one ", $unit, " as `options` say and waits until it is in the file.")]
            ///
            /// # Errors
            #[doc = concat!("As [`Self::", stringify!($begin_with), "`] and the end call.")]
            pub fn $write_with(&self, options: BeginOptions, data: &[u8]) -> Result<()> {
                self.0.write(options, data)
            }

            /// The stream's counters: writes, empty frames, drops, bytes and samples begun so
            /// far (queued or written).
            pub fn stats(&self) -> StreamStats {
                self.0.stats()
            }

            /// Checks that this stream takes a write of `len` bytes, as begin does first: a way
            /// to refuse a length before filling or copying a buffer for it.
            ///
            /// # Errors
            /// [`Status::InvalidArgument`] for a length the format cannot take (an uncompressed
            /// DIB frame must be exactly its image size), [`Status::Limit`] over 2 GiB.
            pub fn check_len(&self, len: usize) -> Result<()> {
                self.0.check_len(len)
            }

            /// Waits for an operation begun on this stream and returns its outcome.
            ///
            /// # Errors
            /// [`Status::InvalidArgument`] for a result of another stream; [`Status::WouldDeadlock`]
            /// inside a callback while it is pending; the operation's own error.
            pub fn $end(&self, result: AsyncResult) -> Result<()> {
                self.0.end(result)
            }

            /// Whether `result` was begun on this stream.
            ///
            /// # Errors
            /// [`Status::InvalidArgument`] when it was not.
            pub fn check_result(&self, result: &AsyncResult) -> Result<()> {
                self.0.check_result(result)
            }

            /// The stream number in the file.
            pub fn index(&self) -> usize {
                self.0.index
            }

            /// The id of the writer it belongs to.
            pub fn writer_id(&self) -> u64 {
                self.0.shared.id
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name)).field("index", &self.0.index).finish()
            }
        }
    };
}

stream_type!(
    VideoStream,
    "video frame",
    write_frame,
    begin_write_frame,
    end_write_frame,
    write_frame_at,
    begin_write_frame_at,
    write_frame_with,
    begin_write_frame_with,
    "The frame goes into slot `k = round((time_ns - t0) * rate)` of the writer's frame rate \
     (halves up): with `n` slots taken (frames and empty frames, in begin order), `k > n` \
     first queues `k - n` empty frames (zero-length chunks, not keyframes, in every index: \
     players show the previous frame again), `k == n` takes slot `n`, and `k < n` (or a time \
     before time zero) is refused with [`Status::Dropped`]. Works for every video codec."
);
stream_type!(
    AudioStream,
    "audio block",
    write_block,
    begin_write_block,
    end_write_block,
    write_block_at,
    begin_write_block_at,
    write_block_with,
    begin_write_block_with,
    "The block's first sample is `s = round((time_ns - t0) * sample_rate)`; with `e` samples \
     on the stream (blocks and silence): within 20 ms of `e` the block is written as it is \
     (clock jitter), later it gets `s - e` samples of silence first, earlier its first `e - s` \
     samples are cut, and a block cut whole is refused with [`Status::Dropped`]. Silence and \
     cuts are exact to the sample. Only streams that know their samples take timed writes \
     ([`Writer::add_pcm_stream`], MP3); others answer [`Status::Unsupported`]."
);

impl VideoStream {
    /// Queues `count` empty frames at the stream's next slots (players show the previous frame
    /// again) and returns once they are queued, like a fire-and-forget write: a failure
    /// reaches later operations and close. `count == 0` does nothing.
    ///
    /// # Errors
    /// [`Status::Limit`] over [`crate::queue::MAX_GAP_SLOTS`]; [`Status::InvalidHandle`]
    /// after close.
    pub fn skip_frames(&self, count: u32) -> Result<()> {
        self.0.skip_frames(count)
    }
}
