//! avikit writes AVI 1.0 and OpenDML files through an asynchronous write queue.

pub mod avi;
pub mod codec;
mod error;
pub mod riff;

pub use error::{Error, Result, Status};
pub mod queue;

pub use avi::{AudioFormat, FrameRate, VideoFormat};
pub use codec::pcm::PcmFormat;
pub use queue::{AsyncResult, AudioStream, Callback, Payload, VideoStream, Writer, WriterOptions};
pub use riff::{FileSink, FourCc, Sink};
pub mod ffi;
