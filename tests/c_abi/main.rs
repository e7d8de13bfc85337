//! The C ABI: randomized call sequences, caller-sized buffers, inspection and repair safety,
//! custom sinks, a program linked against the plain cargo build, and what the header and the
//! documentation must say.

#[path = "../common/mod.rs"]
mod common;

mod docs;
mod ffi_sequences;
mod memory_limits;
mod plain_cargo_link;
mod repair_safety;
mod sink_pieces;
