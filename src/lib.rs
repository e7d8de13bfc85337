//! avikit writes AVI 1.0 and OpenDML files (far past 4 GB) through an asynchronous write queue
//! in the style of .NET's Asynchronous Programming Model: begin a write, get an [`AsyncResult`],
//! and end it later or let its callback tell you. One worker thread per [`Writer`] owns the file
//! and performs every write in begin order; the C ABI drives the same engine.
//!
//! ```
//! use avikit::{AudioFormat, Payload, PcmFormat, VideoFormat, Writer, WriterOptions};
//!
//! # fn main() -> avikit::Result<()> {
//! let path = std::env::temp_dir().join(format!("avikit-doc-{}.avi", std::process::id()));
//! let writer = Writer::create(&path, WriterOptions::default())?;
//! // An uncompressed 32-bit DIB: bottom-up rows padded to 4 bytes.
//! let video = writer.add_video_stream(
//!     VideoFormat::dib(64, 48, 32),
//!     Some("camera"),
//! )?;
//! let audio = writer.add_audio_stream(AudioFormat::pcm(PcmFormat::derive(2, 44100, 16)?), None)?;
//! for n in 0..30u8 {
//!     // Queued and written on the worker; the callback runs there once it is in the file.
//!     let pending = video.begin_write_frame(
//!         true,
//!         Payload::owned(vec![n; 64 * 48 * 4]),
//!         Some(Box::new(|result| assert!(result.is_completed()))),
//!     )?;
//!     audio.write_block(true, &vec![0; 1470 * 4])?; // synchronous: begin + end
//!     video.end_write_frame(pending)?;
//! }
//! writer.close()?; // drains the queue, writes indexes and headers
//! # std::fs::remove_file(&path).unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! # The public surface
//!
//! One path per item. At the root: the [`Writer`], its options ([`WriterOptions`],
//! [`WriterState`]), its streams ([`VideoStream`] and [`AudioStream`], both a [`Stream`]) and
//! what a stream writes ([`VideoCodec`], [`AudioCodec`]); the APM vocabulary ([`AsyncResult`],
//! [`Callback`], [`Payload`], [`BeginOptions`], [`scope`] for borrowed buffers, [`StreamStats`]);
//! the formats ([`VideoFormat`], [`AudioFormat`], [`PcmFormat`], [`FrameRate`],
//! [`PixelAspect`], [`SampleLayout`], [`StreamFormat`], [`FourCc`]); and the errors ([`Error`],
//! [`Result`], [`Status`]). Modules: [`sink`] (custom destinations), [`pixel`] (input layouts
//! and pixel conversion), [`codec`] (the encoders, for custom encoding streams), [`repair`]
//! (strict inspection and repair), [`format`](mod@format) (wave format tags, speaker
//! positions, DIB sizes) and [`limits`].
//!
//! # Inside
//!
//! `format` (which uses only `riff`'s `FourCc`) and `pixel` are leaves; `riff` builds chunks and writes through a [`sink::Sink`];
//! `avi` holds the AVI/OpenDML structures, the muxer and the index room (`avi::index`);
//! `codec` the encoders; `queue` the worker, results, back-pressure and capture timing;
//! `repair` reads existing files. The C ABI (`ffi`) is the cargo feature `capi`, on by
//! default: with `default-features = false` no `avk_*` symbol is linked into a Rust program,
//! so two avikit versions can coexist.

// include/avikit.h is generated from `ffi` and the status codes in `error` alone: cbindgen skips
// every module marked `cbindgen:ignore` (on public ones inside an HTML comment, which rustdoc
// does not show).
/// cbindgen:ignore
mod avi;
/// cbindgen:ignore
mod caught_panic;
/// The encoders, for streams that encode caller frames: MJPEG, H.264, Ut Video, MP3.
/// <!--
/// cbindgen:ignore
/// -->
pub mod codec;
mod error;
// Public to Rust only so that this crate's own tests can drive the C ABI as C does; not part of
// the Rust API (its contract is include/avikit.h and docs/c-api.md).
#[cfg(feature = "capi")]
#[doc(hidden)]
pub mod ffi;
/// The numbers of the Windows structures formats become: wave tags, speakers, DIB sizes.
/// <!--
/// cbindgen:ignore
/// -->
pub mod format;
/// Caller pixels: input layouts and their conversion for the encoders.
/// <!--
/// cbindgen:ignore
/// -->
pub mod pixel;
/// cbindgen:ignore
mod queue;
/// Reading existing files: strict inspection, and repair of files cut short by a crash.
/// <!--
/// cbindgen:ignore
/// -->
pub mod repair;
/// cbindgen:ignore
mod riff;
/// cbindgen:ignore
mod scratch;

pub use avi::Durability;
pub use error::{Error, Result, Status};
pub use format::audio::AudioFormat;
pub use format::pcm::{PcmFormat, SampleLayout};
pub use format::rate::FrameRate;
pub use format::stream::StreamFormat;
pub use format::video::{PixelAspect, VideoFormat};
pub use queue::{
    scope, AsyncResult, Audio, AudioCodec, AudioStream, BeginOptions, Callback, Payload, Stream,
    StreamKind, StreamStats, Video, VideoCodec, VideoStream, WriteScope, Writer, WriterOptions,
    WriterState,
};
pub use riff::FourCc;

/// Custom destinations: a [`Writer`] writes through a [`sink::Sink`] (positional, vectored
/// writes from its worker thread); [`sink::FileSink`] is the file one, [`sink::WriteSeekSink`]
/// adapts any `Write + Seek`.
/// <!--
/// cbindgen:ignore
/// -->
pub mod sink {
    pub use crate::riff::{FileSink, Sink, WriteError, WriteSeekSink};
}

/// The limits and defaults of the format and of the library, in one place.
/// <!--
/// cbindgen:ignore
/// -->
pub mod limits {
    pub use crate::avi::{
        DEFAULT_RIFF_LIMIT, DEFAULT_SUPER_INDEX_CAPACITY, MAX_INFO_VALUE_LEN, MAX_STREAMS,
        MAX_SUPER_INDEX_CAPACITY,
    };
    pub use crate::format::pcm::MAX_CHANNELS;
    pub use crate::format::stream::MAX_CHUNK_SIZE;
    pub use crate::queue::{MAX_GAP_SLOTS, MAX_SILENCE_BYTES_PER_WRITE};
    pub use crate::repair::reader::READ_PIECE_LEN;
    pub use crate::riff::WRITE_PIECE_MAX;
}
