//! What the integration tests share, one concern per module: scratch files, generated content
//! and numbered frames, the RIFF walker and the index checks, the external readers that judge
//! the files (FFmpeg and the Python tools), seeded randomness, and child processes of the test
//! binary. Every test crate includes this module once (`#[path = "../common/mod.rs"]`).
// Each crate uses only the part of these helpers its area needs, so what one crate leaves
// unused is not dead code.
#![allow(dead_code)]

pub mod callback_order;
pub mod child;
pub mod content;
pub mod ffmpeg;
pub mod index;
pub mod numbered;
pub mod odml;
pub mod riff;
pub mod rng;
pub mod scratch;
pub mod tools;
