//! [`Writer`]: an AVI file being written, the streams added to it, and the writer-wide
//! operations (flush, close, INFO metadata, state).

use super::async_result::{AsyncResult, Callback, OpTarget};
use super::chunking::Chunking;
use super::options::WriterOptions;
use super::process;
use super::shared::{already_closing_error, CloseOutcome, WriterShared, WriterState};
use super::stream::{AudioStream, Stream, StreamKind, VideoStream};
use super::stream_core::StreamCore;
use super::wait_graph;
use super::worker::Job;
use crate::avi::StreamSpec;
use crate::codec::encoder::{FrameEncoder, SequentialEncoder};
use crate::error::{Error, Result};
// Named in the docs only.
#[cfg(doc)]
use crate::error::Status;
use crate::format::{AudioFormat, FrameRate, PcmFormat, StreamFormat, VideoFormat};
use crate::riff::{FileSink, Sink};
use std::path::Path;
use std::sync::Arc;

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
        Ok(Writer {
            shared: Arc::new(WriterShared::start(sink, options)?),
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
        self.shared.set_info(id, value)
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
        self.add_stream(spec, Chunking::AsGiven { samples: None })
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
        self.add_stream(spec, Chunking::AsGiven { samples: None })
    }

    /// Adds a linear PCM (integer or float) audio stream. Unlike [`Writer::add_audio_stream`],
    /// which writes any format as given, this stream knows its samples, so it takes timed
    /// writes ([`AudioStream::begin_write_block_at`]). Same rules as
    /// [`Writer::add_video_stream`].
    ///
    /// # Errors
    /// As [`Writer::add_video_stream`].
    pub fn add_pcm_stream(&self, format: PcmFormat, name: Option<&str>) -> Result<AudioStream> {
        let spec = StreamSpec {
            format: StreamFormat::Audio(AudioFormat::pcm(format)),
            name: name.map(str::to_owned),
        };
        let samples = Some(format.sample_layout());
        self.add_stream(spec, Chunking::AsGiven { samples })
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
        self.add_stream(spec, Chunking::ParallelEncoder(encoder))
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
        self.add_sequential_stream(encoder, name)
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
        self.add_sequential_stream(encoder, name)
    }

    fn add_sequential_stream<K: StreamKind>(
        &self,
        encoder: Box<dyn SequentialEncoder>,
        name: Option<&str>,
    ) -> Result<Stream<K>> {
        let spec = StreamSpec {
            format: encoder.output_format(),
            name: name.map(str::to_owned),
        };
        self.add_stream(spec, Chunking::sequential(encoder))
    }

    fn add_stream<K: StreamKind>(&self, spec: StreamSpec, chunking: Chunking) -> Result<Stream<K>> {
        Ok(Stream::new(StreamCore::add(&self.shared, spec, chunking)?))
    }

    /// Queues a flush behind every operation begun so far: a checkpoint (everything written is
    /// indexed and the header refreshed), then the data is pushed out; `durable` (or the
    /// writer's [`crate::Durability::Checkpoints`]) makes the checkpoint durable, synced in the
    /// order that survives a power cut.
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

    /// Flushes synchronously: waits for every earlier operation, then checkpoints and pushes
    /// the data out (durable as [`Writer::begin_flush`] says).
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
        self.shared.state()
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
        self.shared.close_on_drop();
    }
}
