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
//! Public surface: [`Writer`] and its streams, [`format`](mod@format) (frame rates, picture and sample
//! formats), [`WriterOptions`] and [`BeginOptions`], [`Error`] and [`Status`], [`Sink`] for
//! custom destinations, [`pixel`] (input layouts and pixel conversion), [`codec`] (the
//! encoders) and [`repair`] (inspection and repair).
//! Inside, `riff` builds chunks and writes through a [`Sink`], `avi` holds the AVI/OpenDML
//! structures and the muxer, [`queue`] the worker, results and back-pressure. The C ABI
//! (`ffi`) is the cargo feature `capi`, on by default: with `default-features = false` no
//! `avk_*` symbol is linked into a Rust program, so two avikit versions can coexist.

// include/avikit.h is generated from `ffi` and the status codes in `error` alone: cbindgen skips
// every module marked `cbindgen:ignore` (on public ones inside an HTML comment, which rustdoc
// does not show).
/// cbindgen:ignore
mod avi;
mod caught_panic;
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
/// <!--
/// cbindgen:ignore
/// -->
pub mod format;
pub mod pixel;
/// <!--
/// cbindgen:ignore
/// -->
pub mod queue;
/// <!--
/// cbindgen:ignore
/// -->
pub mod repair;
/// cbindgen:ignore
mod riff;
/// cbindgen:ignore
mod scratch;

pub use avi::{
    DEFAULT_RIFF_LIMIT, DEFAULT_SUPER_INDEX_CAPACITY, MAX_INFO_VALUE_LEN, MAX_STREAMS,
    MAX_SUPER_INDEX_CAPACITY,
};

pub use error::{Error, Result, Status};
pub use format::{AudioFormat, FrameRate, PcmFormat, PixelAspect, StreamFormat, VideoFormat};
pub use queue::{
    AsyncResult, AudioCodec, AudioStream, BeginOptions, Callback, Payload, StreamStats, VideoCodec,
    VideoStream, Writer, WriterOptions, WriterState,
};
pub use riff::{FileSink, FourCc, Sink, WriteError, WriteSeekSink, WRITE_PIECE_MAX};
