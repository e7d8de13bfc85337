//! A [`Sink`] over anything that can write and seek: a `std::fs::File` opened by the caller, a
//! file of another file system layer, a buffer shared with the caller.

use super::sink::{Sink, WriteError};
use std::io::{self, Seek, SeekFrom, Write};

/// Adapts any `Write + Seek` destination to a [`Sink`]. Seeks only when a write does not
/// continue where the last one ended (the muxer writes forward, and goes back only to patch
/// headers and indexes).
///
/// Ownership: the writer takes the sink and drops it on its worker thread once the file is
/// finished; `W` must be `Send`. Errors of `W` become the failing operation's `Status::Io`.
///
/// Durability: `Write` knows no sync, so `flush(true)` is `W::flush` and promises only that
/// `W` holds nothing back; what survives a power cut is `W`'s business. For a file with
/// power-cut safety, write through [`crate::sink::FileSink`] (`Writer::create`, or a `File` turned
/// into a `FileSink` with `From`), which syncs.
#[derive(Debug)]
pub struct WriteSeekSink<W> {
    inner: W,
    /// Where `inner` stands, once known.
    position: Option<u64>,
}

impl<W: Write + Seek + Send> WriteSeekSink<W> {
    /// Writes through `inner`, from wherever it stands (every write says its offset).
    pub fn new(inner: W) -> WriteSeekSink<W> {
        WriteSeekSink {
            inner,
            position: None,
        }
    }
}

impl<W: Write + Seek + Send> Sink for WriteSeekSink<W> {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> Result<(), WriteError> {
        if self.position != Some(offset) {
            // Unknown after a failure: the next write seeks again.
            self.position = None;
            self.inner.seek(SeekFrom::Start(offset))?;
        }
        let mut written = 0u64;
        for buf in bufs {
            if let Err(error) = self.inner.write_all(buf) {
                self.position = None;
                return Err(WriteError { written, error });
            }
            written += buf.len() as u64;
        }
        self.position = Some(offset + written);
        Ok(())
    }

    fn flush(&mut self, _durable: bool) -> io::Result<()> {
        // `Write` knows no sync (see the type's docs).
        self.inner.flush()
    }
}
