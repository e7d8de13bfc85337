//! The writer through the Rust API: the queue and its semantics, scoped writes, a writer's
//! states, how the worker and encoder threads end, sinks, stress, the files and formats it
//! writes, and the MJPEG, H.264, MP3, Ut Video, camera and conversion codecs.

#[path = "../common/mod.rs"]
mod common;

mod camera;
mod encoding;
mod files;
mod formats;
mod frame_parts;
mod golden_bytes;
mod h264;
mod mjpeg;
mod mp3;
mod queue;
mod scope;
mod stress;
mod utvideo;
mod utvideo_stream;
mod worker_failures;
mod write_seek_sink;
mod writer_state;
