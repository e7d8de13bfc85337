//! Status codes and the error type shared by the Rust API and the C ABI.

use std::fmt;

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

/// An avikit error: a [`Status`] (never [`Status::Ok`]) and a message naming the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// Makes an error. `status` should not be [`Status::Ok`].
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
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

    /// An [`Status::Io`] error that carries the operating system's message for `err`.
    pub fn io(context: &str, err: &std::io::Error) -> Error {
        Error::new(Status::Io, format!("{context}: {err}"))
    }

    /// The status class.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The human-readable detail.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}

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
