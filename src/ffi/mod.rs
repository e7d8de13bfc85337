//! The C ABI: opaque handles, status codes, option structs and the panic boundary. No format or
//! queue logic lives here: every function checks and converts its arguments, then calls the same
//! Rust API that Rust users call.
#![allow(non_camel_case_types)]

mod async_result;
mod boundary;
mod handle;
mod io;
mod options;
mod registry;
mod repair;
mod stats;
mod stream;
mod version;
mod versioned;
mod writer;

pub use async_result::*;
pub use boundary::*;
pub use handle::*;
pub use io::*;
pub use options::*;
pub use repair::*;
pub use stats::*;
pub use stream::*;
pub use version::*;
pub use writer::*;
