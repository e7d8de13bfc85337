//! Where the bytes of a file go: a positional, vectored sink.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// A destination that accepts positional writes. The writer's worker thread is its only user, so
/// implementations need `Send` but not `Sync`. Dropping the sink releases it (closes the file, or
/// calls a custom sink's close).
pub trait Sink: Send {
    /// Writes every byte of `bufs`, back to back, starting at byte `offset`. Returns only when all
    /// of them were handed to the operating system (or the custom destination), or on error.
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> io::Result<()>;

    /// Pushes buffered data out; with `durable`, also asks for it to reach stable storage (fsync).
    fn flush(&mut self, durable: bool) -> io::Result<()>;
}

/// A [`Sink`] over a file opened (created or truncated) by path.
#[derive(Debug)]
pub struct FileSink {
    file: File,
    /// The gather list of the current `write_at`, kept allocated from call to call.
    iovecs: IoVecs,
}

/// `iovec`s of one `write_at` call. Refilled at the start of every call, so no pointer in it
/// is used after the call that made it.
#[derive(Debug, Default)]
struct IoVecs(#[cfg(unix)] Vec<libc::iovec>);

// SAFETY: the raw pointers inside are only dereferenced (by pwritev) during the `write_at`
// call that filled them from slices it borrows; between calls they are stale values never used.
unsafe impl Send for IoVecs {}

impl FileSink {
    /// Creates `path`, truncating an existing file at open time (O_TRUNC: truncating later makes
    /// ext4 flush the old blocks at close).
    ///
    /// # Errors
    /// The operating system's error, unchanged.
    pub fn create(path: &Path) -> io::Result<FileSink> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(FileSink {
            file,
            iovecs: IoVecs::default(),
        })
    }
}

impl From<File> for FileSink {
    /// Writes through a file already open for writing (such as a temporary file).
    fn from(file: File) -> FileSink {
        FileSink {
            file,
            iovecs: IoVecs::default(),
        }
    }
}

#[cfg(unix)]
impl Sink for FileSink {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> io::Result<()> {
        use std::os::unix::io::AsRawFd;
        // Linux rejects more than IOV_MAX (1024) entries in one call.
        const IOV_MAX: usize = 1024;
        let iovecs = &mut self.iovecs.0;
        iovecs.clear();
        iovecs.extend(bufs.iter().filter(|b| !b.is_empty()).map(|b| libc::iovec {
            iov_base: b.as_ptr() as *mut libc::c_void,
            iov_len: b.len(),
        }));
        let mut first = 0;
        let mut offset = offset;
        while first < iovecs.len() {
            let count = (iovecs.len() - first).min(IOV_MAX);
            let file_offset = libc::off_t::try_from(offset).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidInput, "file offset too large")
            })?;
            // SAFETY: every iovec points into a slice borrowed for this call, and partially written
            // entries are only shortened from the front, staying inside their slice.
            let written = unsafe {
                libc::pwritev(
                    self.file.as_raw_fd(),
                    iovecs.as_ptr().add(first),
                    count as libc::c_int,
                    file_offset,
                )
            };
            if written < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            }
            if written == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "pwritev wrote nothing",
                ));
            }
            let mut left = written as usize;
            offset += left as u64;
            while left > 0 {
                let iov = &mut iovecs[first];
                if left >= iov.iov_len {
                    left -= iov.iov_len;
                    first += 1;
                } else {
                    // SAFETY: `left < iov_len`, so the new base stays inside the same slice.
                    iov.iov_base =
                        unsafe { (iov.iov_base as *mut u8).add(left) } as *mut libc::c_void;
                    iov.iov_len -= left;
                    left = 0;
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self, durable: bool) -> io::Result<()> {
        if durable {
            self.file.sync_data()?;
        }
        Ok(())
    }
}

#[cfg(not(unix))]
impl Sink for FileSink {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        self.file.seek(SeekFrom::Start(offset))?;
        bufs.iter().try_for_each(|buf| self.file.write_all(buf))
    }

    fn flush(&mut self, durable: bool) -> io::Result<()> {
        if durable {
            self.file.sync_data()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectored_positional_writes_land_in_place() {
        let path = std::env::temp_dir().join(format!("avikit-sink-{}", std::process::id()));
        let mut sink = FileSink::create(&path).unwrap();
        sink.write_at(0, &[b"abc", b"", b"def"]).unwrap();
        sink.write_at(2, &[b"XY"]).unwrap();
        let many: Vec<&[u8]> = std::iter::repeat_n(&b"z"[..], 3000).collect();
        sink.write_at(6, &many).unwrap();
        sink.flush(true).unwrap();
        drop(sink);
        let data = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(&data[..6], b"abXYef");
        assert_eq!(data.len(), 3006);
        assert!(data[6..].iter().all(|&b| b == b'z'));
    }
}
