//! Crash safety and repair: recordings killed mid-write, strict inspection and repair of cut and
//! hostile files, and the `avikit` command-line tool that inspects and repairs them.

#[path = "../common/mod.rs"]
mod common;
// The crate's global allocator: it counts each thread's heap, for the tests that bound what
// inspection and repair hold at once (fuzz_corpus, repair_memory).
mod counting_alloc;

mod cli;
mod crash;
mod crash_timed;
mod durability;
mod fuzz_corpus;
mod hostile_files;
mod inspect_hostile;
#[cfg(all(target_os = "linux", feature = "mjpeg"))]
mod power_loss;
mod repair;
mod repair_memory;

use std::time::Duration;

/// The checkpoint interval of the killed recordings (crash, crash_timed).
const CHECKPOINT: Duration = Duration::from_millis(50);
/// Frames that completed this long before the kill must have been checkpointed.
const SLACK: Duration = Duration::from_millis(400);
