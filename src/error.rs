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
}

impl Status {
    /// Every status, in numeric order.
    pub const ALL: [Status; 14] = [
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
    ];

    /// The C name of this status, for example `"AVK_E_IO"`.
    pub const fn name(self) -> &'static str {
        match self {
            Status::Ok => "AVK_OK",
            Status::InvalidArgument => "AVK_E_INVALID_ARGUMENT",
            Status::InvalidHandle => "AVK_E_INVALID_HANDLE",
            Status::InvalidState => "AVK_E_INVALID_STATE",
            Status::Io => "AVK_E_IO",
            Status::Canceled => "AVK_E_CANCELED",
            Status::Timeout => "AVK_E_TIMEOUT",
            Status::Unsupported => "AVK_E_UNSUPPORTED",
            Status::Encoder => "AVK_E_ENCODER",
            Status::Limit => "AVK_E_LIMIT",
            Status::WriterFailed => "AVK_E_WRITER_FAILED",
            Status::WouldDeadlock => "AVK_E_WOULD_DEADLOCK",
            Status::NoMemory => "AVK_E_NO_MEMORY",
            Status::Panic => "AVK_E_PANIC",
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

/// The result type of every fallible avikit call.
pub type Result<T> = std::result::Result<T, Error>;
