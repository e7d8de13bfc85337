//! The asynchronous write queue: one worker thread per writer serializes every write in begin
//! order; callers get [`AsyncResult`]s in the style of .NET's Asynchronous Programming Model.

mod async_result;
mod begin_options;
mod encoder_pool;
mod payload;
mod pressure;
mod process;
mod scope;
mod stream_codec;
mod timing;
mod wait_graph;
mod worker;
mod writer;

pub use async_result::{AsyncResult, Callback};
pub use begin_options::BeginOptions;
pub use payload::Payload;
pub use scope::{scope, WriteScope};
pub use stream_codec::{AudioCodec, VideoCodec};
pub use timing::{SampleLayout, StreamStats, MAX_GAP_SLOTS, MAX_SILENCE_BYTES_PER_WRITE};
pub use writer::{AudioStream, VideoStream, Writer, WriterOptions, WriterState};
