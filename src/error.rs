//! Status codes and the error type shared by the Rust API and the C ABI.

use std::fmt;
use std::sync::Arc;

/// The outcome class of an avikit call. The numeric values are the C ABI's `avk_status` values
/// and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// NULL where not allowed, value out of range, wrong data length, unknown enum value.
    InvalidArgument = 1,
    /// NULL, released, stale or foreign handle; an async result that was already ended.
    InvalidHandle = 2,
    /// The call is not allowed now (for example adding a stream after the first write).
    InvalidState = 3,
    /// The operating system or the custom sink failed.
    Io = 4,
    /// The operation was canceled before it ran.
    Canceled = 5,
    /// A wait timed out; the operation is still pending.
    Timeout = 6,
    /// Codec or feature not built in, or not available at run time.
    Unsupported = 7,
    /// The encoder rejected the input or failed.
    Encoder = 8,
    /// A format limit: too many streams, a chunk too large, index capacity.
    Limit = 9,
    /// An earlier error broke this writer; nothing more is written.
    WriterFailed = 10,
    /// Waiting on the writer's own worker thread for something not complete.
    WouldDeadlock = 11,
    /// Allocation failed.
    NoMemory = 12,
    /// An internal bug, caught before it could unwind into the caller.
    Panic = 13,
    /// A timed write whose time slot is already filled, or lies before time zero: nothing was
    /// queued, no callback runs, the writer is fine.
    Dropped = 14,
    /// A begin that must not wait (`AVK_WRITE_NOWAIT`) found the queue over `max_queued_bytes`:
    /// nothing was queued, no callback runs.
    QueueFull = 15,
}

impl Status {
    /// Every status, in numeric order.
    pub const ALL: [Status; 16] = [
        Status::Ok,
        Status::InvalidArgument,
        Status::InvalidHandle,
        Status::InvalidState,
        Status::Io,
        Status::Canceled,
        Status::Timeout,
        Status::Unsupported,
        Status::Encoder,
        Status::Limit,
        Status::WriterFailed,
        Status::WouldDeadlock,
        Status::NoMemory,
        Status::Panic,
        Status::Dropped,
        Status::QueueFull,
    ];

    /// The C name of this status, for example `"AVK_E_IO"`.
    pub fn name(self) -> &'static str {
        // The names are ASCII, so the conversion never fails.
        self.c_name().to_str().unwrap_or_default()
    }

    /// The C name as a NUL-terminated string: the one table of names, which the C ABI's
    /// `avk_status_name` hands out as is.
    pub const fn c_name(self) -> &'static std::ffi::CStr {
        match self {
            Status::Ok => c"AVK_OK",
            Status::InvalidArgument => c"AVK_E_INVALID_ARGUMENT",
            Status::InvalidHandle => c"AVK_E_INVALID_HANDLE",
            Status::InvalidState => c"AVK_E_INVALID_STATE",
            Status::Io => c"AVK_E_IO",
            Status::Canceled => c"AVK_E_CANCELED",
            Status::Timeout => c"AVK_E_TIMEOUT",
            Status::Unsupported => c"AVK_E_UNSUPPORTED",
            Status::Encoder => c"AVK_E_ENCODER",
            Status::Limit => c"AVK_E_LIMIT",
            Status::WriterFailed => c"AVK_E_WRITER_FAILED",
            Status::WouldDeadlock => c"AVK_E_WOULD_DEADLOCK",
            Status::NoMemory => c"AVK_E_NO_MEMORY",
            Status::Panic => c"AVK_E_PANIC",
            Status::Dropped => c"AVK_E_DROPPED",
            Status::QueueFull => c"AVK_E_QUEUE_FULL",
        }
    }

    /// The status with this numeric value, if there is one.
    pub fn from_code(code: i32) -> Option<Status> {
        Status::ALL.get(usize::try_from(code).ok()?).copied()
    }
}

/// An avikit error: a [`Status`] (never [`Status::Ok`]), a message naming the problem, and the
/// operating system's error it came from, if any ([`std::error::Error::source`]). Cheap to
/// clone; thread-safe. `Display` prints the message; the C API adds the status name.
#[derive(Debug, Clone)]
pub struct Error {
    status: Status,
    message: String,
    source: Option<Arc<std::io::Error>>,
}

/// Errors are equal when their status and message are: the source is what made the message.
impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        self.status == other.status && self.message == other.message
    }
}

impl Eq for Error {}

impl Error {
    /// Makes an error. `status` should not be [`Status::Ok`].
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
            source: None,
        }
    }

    /// An [`Status::InvalidArgument`] error.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    /// An [`Status::InvalidState`] error.
    pub fn invalid_state(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidState, message)
    }

    /// An [`Status::Io`] error: `context`, then the operating system's message for `err`, which
    /// it keeps as its source.
    pub fn io(context: &str, err: std::io::Error) -> Error {
        Error {
            status: Status::Io,
            message: format!("{context}: {err}"),
            source: Some(Arc::new(err)),
        }
    }

    /// The status class.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The human-readable detail.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What kind of I/O error this is: the source's kind for operating system errors, else the
    /// nearest kind for the status (for `?` into `std::io::Result`).
    pub fn kind(&self) -> std::io::ErrorKind {
        use std::io::ErrorKind;
        match (&self.source, self.status) {
            (Some(source), _) => source.kind(),
            (None, Status::InvalidArgument | Status::InvalidHandle) => ErrorKind::InvalidInput,
            (None, Status::Unsupported) => ErrorKind::Unsupported,
            (None, Status::Timeout) => ErrorKind::TimedOut,
            (None, Status::NoMemory) => ErrorKind::OutOfMemory,
            (None, Status::WouldDeadlock) => ErrorKind::Deadlock,
            (None, _) => ErrorKind::Other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        std::io::Error::new(e.kind(), e)
    }
}

/// The message of a caught panic's payload.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// The result type of every fallible avikit call.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn io_errors_keep_their_source_and_read_as_rust() {
        let os = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let e = Error::io("cannot create out.avi", os);
        assert_eq!(e.status(), Status::Io);
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
        let source = e.source().expect("the OS error");
        assert_eq!(
            source.downcast_ref::<std::io::Error>().map(|s| s.kind()),
            Some(std::io::ErrorKind::PermissionDenied)
        );
        assert!(e.to_string().starts_with("cannot create out.avi: "), "{e}");
        assert!(
            !e.to_string().contains("AVK_E_"),
            "C names stay in the C API"
        );
        let plain = Error::invalid_argument("width must be non-zero");
        assert!(plain.source().is_none());
        assert_eq!(plain.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(
            std::io::Error::from(plain).kind(),
            std::io::ErrorKind::InvalidInput
        );
    }
}
