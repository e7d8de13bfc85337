//! The asynchronous write queue: one worker thread per writer serializes every write in begin
//! order; callers get [`AsyncResult`]s in the style of .NET's Asynchronous Programming Model.

mod async_result;
mod encoder_pool;
mod payload;
mod pressure;
mod process;
mod wait_graph;
mod worker;
mod writer;

#[cfg(test)]
pub(crate) use async_result::OpTarget;
pub use async_result::{AsyncResult, Callback};
pub use payload::Payload;
pub(crate) use writer::CloseOutcome;
pub use writer::{AudioStream, VideoStream, Writer, WriterOptions};
