//! `avk_io`: a custom sink made of C callbacks (a .NET Stream, a game engine's file system,
//! memory).

use super::options::read_versioned_io;
use crate::error::Result;
use crate::riff::Sink;
use std::ffi::c_void;
use std::io;

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
    /// sizes and headers). Returns 0 on success; anything else fails the operation with AVK_E_IO
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
}

impl avk_io {
    /// # Safety
    /// `ptr` must point to a valid struct of `struct_size` bytes (NULL is rejected).
    pub(crate) unsafe fn read(ptr: *const Self) -> Result<Self> {
        // SAFETY: forwarded caller contract.
        unsafe { read_versioned_io(ptr) }
    }
}

/// Writes below this many bytes are gathered into one `write_at` call.
const GATHER_LIMIT: usize = 64 * 1024;

/// A [`Sink`] over an [`avk_io`].
pub(crate) struct CallbackSink {
    io: avk_io,
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

    fn call_write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let Some(write_at) = self.io.write_at else {
            return Err(io::Error::other("avk_io.write_at is NULL"));
        };
        // SAFETY: the caller's callback, called as its contract says, with a valid buffer.
        let rc = unsafe { write_at(self.io.user, offset, data.as_ptr(), data.len()) };
        if rc != 0 {
            return Err(io::Error::other(format!(
                "the custom sink's write_at returned {rc} for {} bytes at offset {offset}",
                data.len()
            )));
        }
        Ok(())
    }
}

impl Sink for CallbackSink {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> io::Result<()> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if bufs.len() > 1 && total <= GATHER_LIMIT {
            let mut gather = std::mem::take(&mut self.gather);
            gather.clear();
            bufs.iter().for_each(|b| gather.extend_from_slice(b));
            let outcome = self.call_write(offset, &gather);
            self.gather = gather;
            return outcome;
        }
        let mut at = offset;
        for buf in bufs.iter().filter(|b| !b.is_empty()) {
            self.call_write(at, buf)?;
            at += buf.len() as u64;
        }
        Ok(())
    }

    fn flush(&mut self, _durable: bool) -> io::Result<()> {
        let Some(flush) = self.io.flush else {
            return Ok(());
        };
        // SAFETY: the caller's callback, called as its contract says.
        let rc = unsafe { flush(self.io.user) };
        if rc != 0 {
            return Err(io::Error::other(format!(
                "the custom sink's flush returned {rc}"
            )));
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
