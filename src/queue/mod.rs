//! The asynchronous write queue: one worker thread per writer serializes every write in begin
//! order; callers get [`AsyncResult`]s in the style of .NET's Asynchronous Programming Model.
//!
//! Caller side: [`Writer`] (`writer`) adds streams and runs writer-wide operations on the state its
//! handles share (`shared`: the gate that orders begins, the close protocol) under its
//! [`WriterOptions`] (`options`); each [`Stream`] (`stream`) begins writes through the stream core
//! (`stream_core`), whose input becomes chunks as its `chunking` says. Worker side: the `worker`
//! writes the chunks in begin order, with frames encoded in parallel on the process's encoder
//! threads (`encoder_pool`), into buffers the worker gives back (`chunk_buffers`). Around them:
//! results (`async_result`), capture timing (`timing`), back-pressure (`pressure`), and the
//! deadlock checks of waits (`worker_thread`, `wait_graph`).

mod async_result;
mod begin_options;
mod chunk_buffers;
mod chunking;
mod encoder_pool;
mod options;
mod parts_round;
mod payload;
mod pressure;
pub(crate) mod process;
mod scope;
mod shared;
mod stream;
mod stream_codec;
mod stream_core;
mod timing;
mod wait_graph;
mod worker;
mod worker_thread;
mod writer;

pub use async_result::{AsyncResult, Callback};
pub use begin_options::BeginOptions;
pub use options::WriterOptions;
pub use payload::Payload;
pub use scope::{scope, WriteScope};
pub use shared::WriterState;
pub use stream::{Audio, AudioStream, Stream, StreamKind, Video, VideoStream};
pub use stream_codec::{AudioCodec, VideoCodec};
pub use timing::{StreamStats, MAX_GAP_SLOTS, MAX_SILENCE_BYTES_PER_WRITE};
pub use writer::Writer;
