//! The settings of a writer: [`WriterOptions`], its `with_*` setters, and the muxer
//! configuration they give the file.

use crate::avi::{
    Durability, InfoList, MuxerConfig, StreamSpec, DEFAULT_RIFF_LIMIT, DEFAULT_SUPER_INDEX_CAPACITY,
};
use crate::error::Result;
use crate::format::FrameRate;
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
    /// Encoder threads this writer's encoding streams (MJPEG, Ut Video, uncompressed
    /// conversion) use at once: frames in parallel, and a Ut Video frame's slices on the ones
    /// no frame needs. They are the threads the whole process shares (one per CPU, started with
    /// the first encoding stream of any writer, stopped when the last writer using them
    /// closes); 0 = as many as there are CPUs. H.264 streams run this many threads of their own (at most
    /// 4; 2 for 0).
    pub encoder_threads: usize,
    /// Crash safety: at most this long after a chunk is written, the worker indexes it and
    /// refreshes the header, so a file cut by a crash plays up to there. `None`: only at flush
    /// and close (and output depends only on the calls made). Default one second.
    pub checkpoint_interval: Option<Duration>,
    /// Power-cut safety: [`Durability::Checkpoints`] (the default) syncs every checkpoint and
    /// the close in an order that a power cut cannot tear, so the file repairs to at least its
    /// last checkpoint; [`Durability::None`] leaves writes to the operating system. Syncs run
    /// on the worker, never in a begin. What a sync reaches is the sink's business (see
    /// [`crate::sink::Sink::flush`]).
    pub durability: Durability,
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
            durability: Durability::Checkpoints,
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
    with_durability: durability: Durability,
}

impl WriterOptions {
    /// The same options with the frame rate in lowest terms, once checked as a file layout.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] or [`crate::Status::Limit`] naming the bad setting.
    pub(crate) fn validated(self) -> Result<WriterOptions> {
        let options = WriterOptions {
            frame_rate: FrameRate::new(self.frame_rate.num, self.frame_rate.den)?,
            ..self
        };
        options
            .muxer_config(Vec::new(), InfoList::empty())
            .validate()?;
        Ok(options)
    }

    /// The layout of a file with these options, `streams` and INFO metadata `info`.
    pub(crate) fn muxer_config(&self, streams: Vec<StreamSpec>, info: InfoList) -> MuxerConfig {
        MuxerConfig {
            frame_rate: self.frame_rate,
            streams,
            info,
            emit_index1: self.emit_index1,
            riff_limit: self.riff_limit,
            super_index_capacity: self.super_index_capacity,
            durability: self.durability,
        }
    }
}
