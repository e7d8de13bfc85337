//! How one begin places and queues its write: the keyframe flag, the capture time of a timed
//! write, and whether it may wait for queue room.

/// How one begin places and queues its write. Build it with [`BeginOptions::keyframe`] (or
/// `Default`: a delta frame, untimed, waiting for room) and the `at`/`nowait` modifiers.
///
/// ```
/// use avikit::BeginOptions;
/// let options = BeginOptions::keyframe(true).at(1_500_000_000).nowait();
/// assert_eq!(options.time_ns, Some(1_500_000_000));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BeginOptions {
    /// Marks a video frame as a keyframe (ignored by streams whose chunks are all keyframes).
    pub keyframe: bool,
    /// The capture time in nanoseconds on any clock the caller likes: the write goes into the
    /// slot of its time, with empty frames or silence before it for a gap (see
    /// [`crate::VideoStream::begin_write_frame_at`]). `None`: the stream's next slot.
    pub time_ns: Option<i64>,
    /// Where begin would wait for queue room (`max_queued_bytes`), fail with
    /// [`crate::Status::QueueFull`] at once instead, also inside a callback.
    pub nowait: bool,
}

impl BeginOptions {
    /// An untimed write that may wait for room, flagged as a keyframe or not.
    pub const fn keyframe(keyframe: bool) -> BeginOptions {
        BeginOptions {
            keyframe,
            time_ns: None,
            nowait: false,
        }
    }

    /// The same, timed: captured at `time_ns`.
    pub const fn at(self, time_ns: i64) -> BeginOptions {
        BeginOptions {
            time_ns: Some(time_ns),
            ..self
        }
    }

    /// The same, never waiting for queue room.
    pub const fn nowait(self) -> BeginOptions {
        BeginOptions {
            nowait: true,
            ..self
        }
    }
}
