//! The asynchronous write queue: one worker thread per writer serializes every write in begin
//! order; callers get [`AsyncResult`]s in the style of .NET's Asynchronous Programming Model.

mod async_result;
mod encoder_pool;
mod payload;
mod pressure;
mod worker;
mod writer;

pub use async_result::{AsyncResult, Callback};
pub use payload::Payload;
pub use writer::{AudioStream, VideoStream, Writer, WriterOptions};
