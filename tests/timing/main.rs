//! Capture timing: timed video and audio writes placed by capture time, empty frames and
//! silence for gaps, and timed writes in the queue.

#[path = "../common/mod.rs"]
mod common;

mod timing;
mod timing_audio;
mod timing_queue;

use avikit::WriterOptions;

/// A millisecond in the nanoseconds of capture times.
const MS: i64 = 1_000_000;

/// The options of the timing tests: no time-based checkpoints, so a slow machine cannot move
/// what the files hold.
fn options() -> WriterOptions {
    WriterOptions::default().with_checkpoint_interval(None)
}
