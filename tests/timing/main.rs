//! Capture timing: timed video and audio writes placed by capture time, empty frames and
//! silence for gaps, and timed writes in the queue.

#[path = "../common/mod.rs"]
mod common;

mod timing;
mod timing_audio;
mod timing_queue;
