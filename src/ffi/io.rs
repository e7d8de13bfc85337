//! `avk_io`: a custom sink made of C callbacks (a .NET Stream, a game engine's file system,
//! memory).

use super::boundary::require;
use super::versioned::{field_spans, read_versioned};
use crate::error::Result;
use crate::riff::{Cursor, Sink, WriteError};
use std::ffi::c_void;
use std::io;
use std::mem::size_of;

/// A custom destination for a writer's bytes. All callbacks are called on the writer's worker
/// thread, one at a time, never concurrently. Like `avk_async_callback`s they must return
/// normally: no C++ exception may escape them, and they must not call pthread_exit or longjmp
/// out (that aborts the process or stops the writer forever); report failure by returning
/// non-zero.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct avk_io {
    /// `sizeof(avk_io)` as the caller was compiled.
    pub struct_size: u32,
    /// Passed to every callback.
    pub user: *mut c_void,
    /// Writes all `len` bytes at byte `offset` of the destination (offsets may go back to patch
    /// sizes and headers). `len` is at most 256 KiB: larger writes come in pieces, and chunk
    /// headers and pad bytes come together with payload, never one call each. Returns 0 on success; anything else fails the operation with AVK_E_IO
    /// and breaks the writer. Required.
    pub write_at: Option<
        unsafe extern "C" fn(user: *mut c_void, offset: u64, data: *const u8, len: usize) -> i32,
    >,
    /// Pushes buffered bytes out; returns 0 on success. May be NULL.
    pub flush: Option<unsafe extern "C" fn(user: *mut c_void) -> i32>,
    /// Called exactly once when the writer is done with the sink, after the file is finalized.
    /// Not called when `avk_writer_create_io` fails with AVK_E_INVALID_ARGUMENT or
    /// AVK_E_UNSUPPORTED: the caller still owns `user` then. May be NULL.
    pub close: Option<unsafe extern "C" fn(user: *mut c_void)>,
    /// Returns once every byte written so far is on stable storage (fsync, FlushFileBuffers);
    /// returns 0 on success, anything else fails the operation with AVK_E_IO and breaks the
    /// writer. Called (after `flush`) where the writer's `durability` asks for a sync: at
    /// checkpoints, at close and at `avk_writer_flush` with AVK_FLUSH_DURABLE, between the data
    /// and the header that points at it. May be NULL: the sink then promises nothing after a
    /// power cut. Added in 0.3: a caller compiled against an older header gets NULL.
    pub sync: Option<unsafe extern "C" fn(user: *mut c_void) -> i32>,
}

impl avk_io {
    /// # Safety
    /// `ptr` must point to a valid struct of `struct_size` bytes (NULL is rejected).
    pub(crate) unsafe fn read(ptr: *const Self) -> Result<Self> {
        // A sink is required: NULL does not mean defaults here.
        require(ptr, "io")?;
        let defaults = avk_io {
            struct_size: size_of::<avk_io>() as u32,
            user: std::ptr::null_mut(),
            write_at: None,
            flush: None,
            close: None,
            sync: None,
        };
        let spans = field_spans!(avk_io; struct_size, user, write_at, flush, close, sync);
        // SAFETY: forwarded caller contract.
        unsafe { read_versioned(ptr, defaults, &spans, "avk_io") }
    }
}

/// A [`Sink`] over an [`avk_io`]. Each `write_at` of the sink becomes calls of the callback with
/// pieces of at most [`WRITE_PIECE_MAX`](crate::limits::WRITE_PIECE_MAX) bytes, small parts
/// (chunk headers, pads) gathered with payload (see [`Cursor::contiguous`]).
pub(crate) struct CallbackSink {
    io: avk_io,
    /// The bytes of the current gathered piece, kept allocated from call to call.
    gather: Vec<u8>,
}

// SAFETY: the avk_io contract lets its callbacks be called from the writer's worker thread, one
// call at a time; the sink is only ever used from that thread.
unsafe impl Send for CallbackSink {}

impl CallbackSink {
    /// Takes ownership of the caller's sink; `io.write_at` must be set.
    pub(crate) fn new(io: avk_io) -> CallbackSink {
        debug_assert!(io.write_at.is_some());
        CallbackSink {
            io,
            gather: Vec::new(),
        }
    }
}

/// One call of `io.write_at`.
fn call_write(io: &avk_io, offset: u64, data: &[u8]) -> io::Result<()> {
    let Some(write_at) = io.write_at else {
        return Err(io::Error::other("avk_io.write_at is NULL"));
    };
    // SAFETY: the caller's callback, called as its contract says, with a valid buffer.
    let rc = unsafe { write_at(io.user, offset, data.as_ptr(), data.len()) };
    if rc != 0 {
        return Err(io::Error::other(format!(
            "the custom sink's write_at returned {rc} for {} bytes at offset {offset}",
            data.len()
        )));
    }
    Ok(())
}

/// One call of an optional status-returning callback (`flush`, `sync`); NULL does nothing.
fn call_optional(
    io: &avk_io,
    callback: Option<unsafe extern "C" fn(user: *mut c_void) -> i32>,
    name: &str,
) -> io::Result<()> {
    let Some(callback) = callback else {
        return Ok(());
    };
    // SAFETY: the caller's callback, called as its contract says.
    let rc = unsafe { callback(io.user) };
    if rc != 0 {
        return Err(io::Error::other(format!(
            "the custom sink's {name} returned {rc}"
        )));
    }
    Ok(())
}

impl Sink for CallbackSink {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> std::result::Result<(), WriteError> {
        let mut cursor = Cursor::new(bufs);
        while !cursor.is_done() {
            let piece = cursor.contiguous(&mut self.gather);
            let len = piece.len();
            call_write(&self.io, offset + cursor.written(), piece).map_err(|error| WriteError {
                written: cursor.written(),
                error,
            })?;
            cursor.advance(len);
        }
        Ok(())
    }

    /// The `flush` callback, then with `durable` the `sync` callback (each skipped when NULL).
    fn flush(&mut self, durable: bool) -> io::Result<()> {
        call_optional(&self.io, self.io.flush, "flush")?;
        if durable {
            call_optional(&self.io, self.io.sync, "sync")?;
        }
        Ok(())
    }
}

impl Drop for CallbackSink {
    fn drop(&mut self) {
        if let Some(close) = self.io.close {
            // SAFETY: the caller's callback; the sink is dropped once, so it runs exactly once.
            unsafe { close(self.io.user) }
        }
    }
}
