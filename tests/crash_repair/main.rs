//! Crash safety and repair: recordings killed mid-write, strict inspection and repair of cut and
//! hostile files, and the `avikit` command-line tool that inspects and repairs them.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod crash;
mod crash_timed;
mod inspect_hostile;
mod repair;
