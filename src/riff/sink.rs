//! Where the bytes of a file go: a positional, vectored sink, and the file sink that records to
//! a path while holding it against a second writer.

use super::pieces::Cursor;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// A destination that accepts positional writes. The writer's worker thread is its only user, so
/// implementations need `Send` but not `Sync`. Dropping the sink releases it (closes the file, or
/// calls a custom sink's close).
pub trait Sink: Send {
    /// Writes every byte of `bufs`, back to back, starting at byte `offset`. Returns only when all
    /// of them were handed to the operating system (or the custom destination), or on error.
    ///
    /// # Errors
    /// [`WriteError`]: what failed, and how many bytes from the start of `bufs` were written
    /// before the failure.
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> Result<(), WriteError>;

    /// Pushes buffered data out; with `durable` (the sync), also returns only once every byte
    /// written so far is on stable storage, the promise that [`crate::Durability`] orders
    /// writes around: the writer calls it with `durable` between the data and the header that
    /// points at it, and last at close. A sink that cannot reach stable storage does what it
    /// can and says so in its docs. One method for both, because a sync is a flush that goes
    /// all the way down (as `AVK_FLUSH_DURABLE` and [`crate::Writer::flush`] say).
    ///
    /// # Errors
    /// The destination's error.
    fn flush(&mut self, durable: bool) -> io::Result<()>;
}

/// A [`Sink::write_at`] that failed, possibly part-way.
#[derive(Debug)]
pub struct WriteError {
    /// Bytes from the start of the write, back to back, that reached the destination before the
    /// failure. A sink that cannot tell reports 0 (what `From<io::Error>` gives), so that nothing
    /// of the failed write counts as written.
    pub written: u64,
    /// The failure.
    pub error: io::Error,
}

impl From<io::Error> for WriteError {
    fn from(error: io::Error) -> Self {
        WriteError { written: 0, error }
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (after {} bytes)", self.error, self.written)
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A [`Sink`] over a file opened (created or truncated) by path. While it lives, the file is held
/// against a second writer: an advisory lock on Unix, a share mode that lets readers in but not
/// writers on Windows. Other programs can open it for reading while it is recorded. Writes go
/// straight to the operating system (nothing is buffered); the sync (`flush(true)`) is
/// `File::sync_data`: fdatasync on Linux, `F_FULLFSYNC` on Apple systems (plain fsync does not
/// reach the platters there), fsync on other Unix, FlushFileBuffers on Windows. On Unix the
/// first sync of a file created by path also syncs its directory, so that a power cut cannot
/// lose the file's name (best effort: some file systems refuse to sync a directory).
#[derive(Debug)]
pub struct FileSink {
    file: File,
    /// The gather list of the current `write_at` (vectored writes), or the bytes of its current
    /// gathered piece (one-buffer writes), kept allocated from call to call.
    scratch: Scratch,
    /// The directory that names the file, until the first sync has synced it too (Unix, files
    /// created by path).
    unsynced_dir: Option<PathBuf>,
}

/// `iovec`s of one `write_at` call. Refilled for every piece, so no pointer in it is used after
/// the call that made it.
#[cfg(unix)]
#[derive(Debug, Default)]
struct Scratch(Vec<libc::iovec>);

// SAFETY: the raw pointers inside are only dereferenced (by pwritev) during the `write_at`
// call that filled them from slices it borrows; between calls they are stale values never used.
#[cfg(unix)]
unsafe impl Send for Scratch {}

/// The bytes of the current gathered piece.
#[cfg(not(unix))]
#[derive(Debug, Default)]
struct Scratch(Vec<u8>);

/// What a second writer of the same file is told.
const BEING_WRITTEN: &str = "the file is being written by another writer";

impl FileSink {
    /// Creates `path`, or truncates it once it holds the file against other writers.
    ///
    /// # Errors
    /// The operating system's error, unchanged; [`io::ErrorKind::ResourceBusy`] saying the file is
    /// being written when another writer (in this process or another) holds it.
    pub fn create(path: &Path) -> io::Result<FileSink> {
        Ok(FileSink {
            file: open_held(path)?,
            scratch: Scratch::default(),
            unsynced_dir: cfg!(unix).then(|| directory_of(path)),
        })
    }

    /// The sync: the file's data, then, the first time, the directory entry that names it.
    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()?;
        if let Some(dir) = self.unsynced_dir.take() {
            // Best effort: a file system that cannot sync a directory still has the data.
            if let Ok(dir) = File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }
}

/// The directory `path` is in (`.` for a bare file name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Opens `path` for writing and takes the advisory lock before truncating, so a second writer
/// fails without destroying the first one's recording.
#[cfg(unix)]
fn open_held(path: &Path) -> io::Result<File> {
    use std::os::unix::io::AsRawFd;
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    // SAFETY: flock on a descriptor this function owns; no memory is passed.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::WouldBlock {
            return Err(io::Error::new(io::ErrorKind::ResourceBusy, BEING_WRITTEN));
        }
        return Err(err);
    }
    // Only when there is something to drop, as O_TRUNC would.
    if file.metadata()?.len() > 0 {
        file.set_len(0)?;
    }
    Ok(file)
}

/// Opens `path` sharing it with readers only: Windows refuses a second open for writing before
/// it truncates anything.
#[cfg(windows)]
fn open_held(path: &Path) -> io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    /// `FILE_SHARE_READ | FILE_SHARE_DELETE`: readers may open it, and it may be renamed or
    /// deleted while recorded, as on Unix.
    const SHARE_READ_DELETE: u32 = 0x1 | 0x4;
    /// `ERROR_SHARING_VIOLATION`.
    const SHARING_VIOLATION: i32 = 32;
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .share_mode(SHARE_READ_DELETE)
        .open(path)
        .map_err(|err| {
            if err.raw_os_error() == Some(SHARING_VIOLATION) {
                io::Error::new(
                    io::ErrorKind::ResourceBusy,
                    format!("{BEING_WRITTEN} or opened without sharing ({err})"),
                )
            } else {
                err
            }
        })
}

/// Elsewhere plain std: no hold against a second writer.
#[cfg(not(any(unix, windows)))]
fn open_held(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

impl From<File> for FileSink {
    /// Writes through a file already open for writing (such as a temporary file); its directory
    /// is the opener's to sync.
    fn from(file: File) -> FileSink {
        FileSink {
            file,
            scratch: Scratch::default(),
            unsynced_dir: None,
        }
    }
}

#[cfg(unix)]
impl Sink for FileSink {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> Result<(), WriteError> {
        use std::os::unix::io::AsRawFd;
        // Linux rejects more than IOV_MAX (1024) entries in one call.
        const IOV_MAX: usize = 1024;
        let iovecs = &mut self.scratch.0;
        let mut cursor = Cursor::new(bufs);
        while !cursor.is_done() {
            let failed = |error| WriteError {
                written: cursor.written(),
                error,
            };
            let file_offset = libc::off_t::try_from(offset + cursor.written()).map_err(|_| {
                failed(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "file offset too large",
                ))
            })?;
            iovecs.clear();
            cursor.vectored(IOV_MAX, |part| {
                iovecs.push(libc::iovec {
                    iov_base: part.as_ptr() as *mut libc::c_void,
                    iov_len: part.len(),
                })
            });
            // SAFETY: every iovec points into a slice of `bufs`, borrowed for this call.
            let written = unsafe {
                libc::pwritev(
                    self.file.as_raw_fd(),
                    iovecs.as_ptr(),
                    iovecs.len() as libc::c_int,
                    file_offset,
                )
            };
            if written < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(failed(err));
            }
            if written == 0 {
                return Err(failed(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "pwritev wrote nothing",
                )));
            }
            cursor.advance(written as usize);
        }
        Ok(())
    }

    fn flush(&mut self, durable: bool) -> io::Result<()> {
        if durable {
            self.sync()?;
        }
        Ok(())
    }
}

/// Writes some of `buf` at `offset`; returns how much.
#[cfg(windows)]
fn write_some_at(file: &mut File, buf: &[u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_write(file, buf, offset)
}

/// Writes some of `buf` at `offset`; returns how much.
#[cfg(not(any(unix, windows)))]
fn write_some_at(file: &mut File, buf: &[u8], offset: u64) -> io::Result<usize> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(offset))?;
    file.write(buf)
}

#[cfg(not(unix))]
impl Sink for FileSink {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> Result<(), WriteError> {
        let mut cursor = Cursor::new(bufs);
        while !cursor.is_done() {
            let piece = cursor.contiguous(&mut self.scratch.0);
            match write_some_at(&mut self.file, piece, offset + cursor.written()) {
                Ok(0) => {
                    return Err(WriteError {
                        written: cursor.written(),
                        error: io::Error::new(io::ErrorKind::WriteZero, "the write wrote nothing"),
                    })
                }
                Ok(n) => cursor.advance(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(WriteError {
                        written: cursor.written(),
                        error,
                    })
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self, durable: bool) -> io::Result<()> {
        if durable {
            self.sync()?;
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

    #[test]
    fn a_second_writer_is_refused_without_truncating_the_first() {
        let path = std::env::temp_dir().join(format!("avikit-sink-held-{}", std::process::id()));
        let mut first = FileSink::create(&path).unwrap();
        first.write_at(0, &[b"recording"]).unwrap();
        let second = FileSink::create(&path).unwrap_err();
        assert_eq!(second.kind(), io::ErrorKind::ResourceBusy);
        assert!(second.to_string().contains("being written"), "{second}");
        // Readers still get in, and see what the first writer wrote.
        assert_eq!(std::fs::read(&path).unwrap(), b"recording");
        drop(first);
        let third = FileSink::create(&path).unwrap();
        drop(third);
        assert_eq!(std::fs::read(&path).unwrap(), b"");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_large_write_lands_whole_across_pieces() {
        let path = std::env::temp_dir().join(format!("avikit-sink-large-{}", std::process::id()));
        let mut sink = FileSink::create(&path).unwrap();
        let big: Vec<u8> = (0..3 * crate::riff::WRITE_PIECE_MAX + 11)
            .map(|i| i as u8)
            .collect();
        sink.write_at(0, &[b"12345678", &big, b"\0"]).unwrap();
        drop(sink);
        let data = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(&data[..8], b"12345678");
        assert_eq!(&data[8..8 + big.len()], &big[..]);
        assert_eq!(data.len(), 8 + big.len() + 1);
    }
}
