//! The stream types: one generic [`Stream`] whose kind ([`Video`] or [`Audio`]) is a type
//! parameter, with the methods every stream has written once, and the names of each kind
//! (frames for video, blocks for audio) on [`VideoStream`] and [`AudioStream`].

use super::async_result::{AsyncResult, Callback};
use super::begin_options::BeginOptions;
use super::payload::Payload;
use super::stream_core::StreamCore;
use super::timing::StreamStats;
use crate::error::Result;
// Named in the docs only.
#[cfg(doc)]
use crate::error::Status;
use std::marker::PhantomData;

mod sealed {
    /// Keeps [`super::StreamKind`] to the kinds of this crate.
    pub trait Sealed {}
}

/// The kind of a [`Stream`]: [`Video`] or [`Audio`]. Sealed: the kinds are those of an AVI
/// file that this crate writes.
pub trait StreamKind: sealed::Sealed + 'static {
    /// The name of the stream type (`VideoStream`, `AudioStream`), as `Debug` prints it.
    const TYPE_NAME: &'static str;
}

/// The kind of a video stream ([`VideoStream`]): its writes are frames. A type-level marker,
/// never a value.
#[derive(Debug)]
pub enum Video {}

/// The kind of an audio stream ([`AudioStream`]): its writes are blocks of samples (or of the
/// encoded format). A type-level marker, never a value.
#[derive(Debug)]
pub enum Audio {}

impl sealed::Sealed for Video {}
impl sealed::Sealed for Audio {}

impl StreamKind for Video {
    const TYPE_NAME: &'static str = "VideoStream";
}

impl StreamKind for Audio {
    const TYPE_NAME: &'static str = "AudioStream";
}

/// A stream of a [`crate::Writer`], of kind `K`. Cheap to clone (every clone is the same
/// stream); thread-safe. The methods here are those of every stream; [`VideoStream`] and
/// [`AudioStream`] add the names of their kind (`write_frame`, `write_block`, ...) and what
/// only video has ([`VideoStream::skip_frames`]).
pub struct Stream<K: StreamKind> {
    core: StreamCore,
    kind: PhantomData<fn() -> K>,
}

/// A stream of video frames belonging to a [`crate::Writer`]. Cheap to clone; thread-safe.
pub type VideoStream = Stream<Video>;

/// A stream of audio blocks belonging to a [`crate::Writer`]. Cheap to clone; thread-safe.
pub type AudioStream = Stream<Audio>;

impl<K: StreamKind> Clone for Stream<K> {
    fn clone(&self) -> Stream<K> {
        Stream {
            core: self.core.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: StreamKind> std::fmt::Debug for Stream<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(K::TYPE_NAME)
            .field("index", &self.core.index())
            .finish()
    }
}

impl<K: StreamKind> Stream<K> {
    /// The stream of kind `K` that `core` begins on.
    pub(super) fn new(core: StreamCore) -> Stream<K> {
        Stream {
            core,
            kind: PhantomData,
        }
    }

    /// Queues one write (a video frame or an audio block) as `options` say: keyframe, capture
    /// time (see [`VideoStream::begin_write_frame_at`] and
    /// [`AudioStream::begin_write_block_at`] for where a timed write goes), and whether begin
    /// may wait for queue room (with `nowait` it fails with [`Status::QueueFull`] instead,
    /// also inside a callback: nothing is queued, and the refusal is counted in
    /// [`Self::stats`]). Returns at once; the callback runs on the worker after the operation
    /// completes. Operations complete in begin order across the writer.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for a wrong length, [`Status::Limit`] over 2 GiB,
    /// [`Status::InvalidHandle`] after close; for timed writes [`Status::Dropped`] (counted in
    /// [`Self::stats`]), [`Status::Limit`] for a gap of more than
    /// [`crate::limits::MAX_GAP_SLOTS`] frame periods and [`Status::Unsupported`] for an audio
    /// stream that does not know its samples; [`Status::QueueFull`] as above. Nothing is
    /// queued and no callback runs; the writer is fine.
    pub fn begin_write_with(
        &self,
        options: BeginOptions,
        payload: Payload,
        callback: Option<Callback>,
    ) -> Result<AsyncResult> {
        self.core.begin(options, payload, callback)
    }

    /// Writes one frame or block as `options` say and waits until it is in the file:
    /// [`Self::begin_write_with`] + [`Self::end_write`] on the borrowed `data`.
    ///
    /// # Errors
    /// As [`Self::begin_write_with`] and [`Self::end_write`]; [`Status::WouldDeadlock`]
    /// inside a callback of the same writer, or one that would close a cycle of writers waiting
    /// on each other.
    pub fn write_with(&self, options: BeginOptions, data: &[u8]) -> Result<()> {
        self.core.write(options, data)
    }

    /// Waits for an operation begun on this stream and returns its outcome.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for a result of another stream; [`Status::WouldDeadlock`]
    /// inside a callback while it is pending; the operation's own error.
    pub fn end_write(&self, result: AsyncResult) -> Result<()> {
        self.core.end(result)
    }

    /// The stream's counters: writes, empty frames, drops, bytes and samples begun so far
    /// (queued or written). All zero in a forked child, which has no worker for the stream.
    pub fn stats(&self) -> StreamStats {
        self.core.stats()
    }

    /// Checks that this stream takes a write of `len` bytes, as begin does first: a way to
    /// refuse a length before filling or copying a buffer for it.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for a length the format cannot take (an uncompressed DIB
    /// frame must be exactly its image size), [`Status::Limit`] over 2 GiB.
    pub fn check_len(&self, len: usize) -> Result<()> {
        self.core.check_len(len)
    }

    /// Whether `result` was begun on this stream.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] when it was not.
    pub fn check_result(&self, result: &AsyncResult) -> Result<()> {
        self.core.check_result(result)
    }

    /// The stream number in the file.
    pub fn index(&self) -> usize {
        self.core.index()
    }

    /// The id of the writer it belongs to.
    pub fn writer_id(&self) -> u64 {
        self.core.writer_id()
    }
}

impl Stream<Video> {
    /// Writes one video frame and waits until it is in the file: begin + end.
    ///
    /// # Errors
    /// As the begin and end calls; also [`Status::WouldDeadlock`] inside a callback.
    pub fn write_frame(&self, keyframe: bool, data: &[u8]) -> Result<()> {
        self.write_with(BeginOptions::keyframe(keyframe), data)
    }

    /// Queues one video frame and returns at once. The callback runs on the worker after the
    /// operation completes. Operations complete in begin order across the writer.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for a wrong length, [`Status::Limit`] over 2 GiB,
    /// [`Status::InvalidHandle`] after close. Nothing is queued and no callback runs.
    pub fn begin_write_frame(
        &self,
        keyframe: bool,
        payload: Payload,
        callback: Option<Callback>,
    ) -> Result<AsyncResult> {
        self.begin_write_with(BeginOptions::keyframe(keyframe), payload, callback)
    }

    /// Queues one video frame captured at `time_ns` (nanoseconds on any clock; time zero is
    /// the time of the first timed write begun on the writer, whatever its stream). The frame
    /// goes into slot `k = round((time_ns - t0) * rate)` of the writer's frame rate (halves
    /// up): with `n` slots taken (frames and empty frames, in begin order), `k > n` first
    /// queues `k - n` empty frames (zero-length chunks, not keyframes, in every index: players
    /// show the previous frame again), `k == n` takes slot `n`, and `k < n` (or a time before
    /// time zero) is refused with [`Status::Dropped`]. Works for every video codec. Untimed
    /// writes may be mixed in: they take the stream's next slot. The result is ended like any
    /// other.
    ///
    /// # Errors
    /// As the untimed begin; [`Status::Dropped`] as above (counted in [`Self::stats`]);
    /// [`Status::Limit`] for a gap of more than [`crate::limits::MAX_GAP_SLOTS`] frame periods.
    /// Nothing is queued and no callback runs; the writer is fine.
    pub fn begin_write_frame_at(
        &self,
        keyframe: bool,
        time_ns: i64,
        payload: Payload,
        callback: Option<Callback>,
    ) -> Result<AsyncResult> {
        self.begin_write_with(
            BeginOptions::keyframe(keyframe).at(time_ns),
            payload,
            callback,
        )
    }

    /// Writes one video frame captured at `time_ns` and waits until it is in the file:
    /// [`Self::begin_write_frame_at`] + end.
    ///
    /// # Errors
    /// As [`Self::begin_write_frame_at`] and the end call.
    pub fn write_frame_at(&self, keyframe: bool, time_ns: i64, data: &[u8]) -> Result<()> {
        self.write_with(BeginOptions::keyframe(keyframe).at(time_ns), data)
    }

    /// Queues one video frame as `options` say: [`Self::begin_write_with`].
    ///
    /// # Errors
    /// As [`Self::begin_write_with`].
    pub fn begin_write_frame_with(
        &self,
        options: BeginOptions,
        payload: Payload,
        callback: Option<Callback>,
    ) -> Result<AsyncResult> {
        self.begin_write_with(options, payload, callback)
    }

    /// Writes one video frame as `options` say and waits until it is in the file:
    /// [`Self::write_with`].
    ///
    /// # Errors
    /// As [`Self::write_with`].
    pub fn write_frame_with(&self, options: BeginOptions, data: &[u8]) -> Result<()> {
        self.write_with(options, data)
    }

    /// Waits for a frame write begun on this stream and returns its outcome:
    /// [`Self::end_write`].
    ///
    /// # Errors
    /// As [`Self::end_write`].
    pub fn end_write_frame(&self, result: AsyncResult) -> Result<()> {
        self.end_write(result)
    }

    /// Queues `count` empty frames at the stream's next slots (players show the previous frame
    /// again) and returns once they are queued, like a fire-and-forget write: a failure
    /// reaches later operations and close. `count == 0` does nothing.
    ///
    /// # Errors
    /// [`Status::Limit`] over [`crate::limits::MAX_GAP_SLOTS`]; [`Status::InvalidHandle`]
    /// after close.
    pub fn skip_frames(&self, count: u32) -> Result<()> {
        self.core.skip_frames(count)
    }
}

impl Stream<Audio> {
    /// Writes one audio block and waits until it is in the file: begin + end.
    ///
    /// # Errors
    /// As the begin and end calls; also [`Status::WouldDeadlock`] inside a callback.
    pub fn write_block(&self, keyframe: bool, data: &[u8]) -> Result<()> {
        self.write_with(BeginOptions::keyframe(keyframe), data)
    }

    /// Queues one audio block and returns at once. The callback runs on the worker after the
    /// operation completes. Operations complete in begin order across the writer.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for a wrong length, [`Status::Limit`] over 2 GiB,
    /// [`Status::InvalidHandle`] after close. Nothing is queued and no callback runs.
    pub fn begin_write_block(
        &self,
        keyframe: bool,
        payload: Payload,
        callback: Option<Callback>,
    ) -> Result<AsyncResult> {
        self.begin_write_with(BeginOptions::keyframe(keyframe), payload, callback)
    }

    /// Queues one audio block captured at `time_ns` (nanoseconds on any clock; time zero is
    /// the time of the first timed write begun on the writer, whatever its stream). The
    /// block's first sample is `s = round((time_ns - t0) * sample_rate)`; with `e` samples on
    /// the stream (blocks and silence): within 20 ms of `e` the block is written as it is
    /// (clock jitter), later it gets `s - e` samples of silence first, earlier its first
    /// `e - s` samples are cut, and a block cut whole is refused with [`Status::Dropped`].
    /// Silence and cuts are exact to the sample. Only streams that know their samples take
    /// timed writes ([`crate::Writer::add_pcm_stream`], MP3); others answer
    /// [`Status::Unsupported`]. Untimed writes may be mixed in: they take the stream's next
    /// slot. The result is ended like any other.
    ///
    /// # Errors
    /// As the untimed begin; [`Status::Dropped`] as above (counted in [`Self::stats`]);
    /// [`Status::Limit`] for a gap of more than [`crate::limits::MAX_GAP_SLOTS`] frame periods.
    /// Nothing is queued and no callback runs; the writer is fine.
    pub fn begin_write_block_at(
        &self,
        keyframe: bool,
        time_ns: i64,
        payload: Payload,
        callback: Option<Callback>,
    ) -> Result<AsyncResult> {
        self.begin_write_with(
            BeginOptions::keyframe(keyframe).at(time_ns),
            payload,
            callback,
        )
    }

    /// Writes one audio block captured at `time_ns` and waits until it is in the file:
    /// [`Self::begin_write_block_at`] + end.
    ///
    /// # Errors
    /// As [`Self::begin_write_block_at`] and the end call.
    pub fn write_block_at(&self, keyframe: bool, time_ns: i64, data: &[u8]) -> Result<()> {
        self.write_with(BeginOptions::keyframe(keyframe).at(time_ns), data)
    }

    /// Queues one audio block as `options` say: [`Self::begin_write_with`].
    ///
    /// # Errors
    /// As [`Self::begin_write_with`].
    pub fn begin_write_block_with(
        &self,
        options: BeginOptions,
        payload: Payload,
        callback: Option<Callback>,
    ) -> Result<AsyncResult> {
        self.begin_write_with(options, payload, callback)
    }

    /// Writes one audio block as `options` say and waits until it is in the file:
    /// [`Self::write_with`].
    ///
    /// # Errors
    /// As [`Self::write_with`].
    pub fn write_block_with(&self, options: BeginOptions, data: &[u8]) -> Result<()> {
        self.write_with(options, data)
    }

    /// Waits for a block write begun on this stream and returns its outcome:
    /// [`Self::end_write`].
    ///
    /// # Errors
    /// As [`Self::end_write`].
    pub fn end_write_block(&self, result: AsyncResult) -> Result<()> {
        self.end_write(result)
    }
}
