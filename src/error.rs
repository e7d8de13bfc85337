//! Status codes and the error type shared by the Rust API and the C ABI.

use std::ffi::CStr;
use std::fmt;
use std::sync::Arc;

/// The status codes of the C ABI: the one definition of each status, its number (the value),
/// its C name (the constant's name) and its meaning (the doc). [`Status`] takes its values and
/// names from here, and cbindgen copies these items into include/avikit.h.
pub mod code {
    #![allow(non_camel_case_types)]

    /// The result of every fallible avikit call: `AVK_OK` (0) or one of the `AVK_E_*` codes.
    pub type avk_status = i32;

    /// Success.
    pub const AVK_OK: avk_status = 0;
    /// NULL where not allowed, value out of range, wrong data length, unknown enum value.
    pub const AVK_E_INVALID_ARGUMENT: avk_status = 1;
    /// NULL, released, stale or foreign handle; an async result that was already ended.
    pub const AVK_E_INVALID_HANDLE: avk_status = 2;
    /// The call is not allowed now (a stream added after the first write, a pending result queried).
    pub const AVK_E_INVALID_STATE: avk_status = 3;
    /// The operating system or the custom sink failed; the message carries the OS error.
    pub const AVK_E_IO: avk_status = 4;
    /// The operation was canceled before it ran.
    pub const AVK_E_CANCELED: avk_status = 5;
    /// `avk_async_wait` timed out; the operation is still pending.
    pub const AVK_E_TIMEOUT: avk_status = 6;
    /// Codec or feature not built in, or not available at run time.
    pub const AVK_E_UNSUPPORTED: avk_status = 7;
    /// The encoder rejected the input or failed.
    pub const AVK_E_ENCODER: avk_status = 8;
    /// A format limit: more than 100 streams, a chunk over 2 GiB, index capacity.
    pub const AVK_E_LIMIT: avk_status = 9;
    /// An earlier error broke this writer; nothing more is written; the file is repairable.
    pub const AVK_E_WRITER_FAILED: avk_status = 10;
    /// Waiting on the writer's own worker thread (inside a callback) for something not complete.
    pub const AVK_E_WOULD_DEADLOCK: avk_status = 11;
    /// Allocation failed.
    pub const AVK_E_NO_MEMORY: avk_status = 12;
    /// Internal bug caught at the boundary.
    pub const AVK_E_PANIC: avk_status = 13;
    /// A timed write whose time slot is already filled (or lies before time zero): nothing was
    /// queued, no callback runs, the writer is fine.
    pub const AVK_E_DROPPED: avk_status = 14;
    /// A begin with AVK_WRITE_NOWAIT found the queue over `max_queued_bytes`: nothing was queued, no
    /// callback runs.
    pub const AVK_E_QUEUE_FULL: avk_status = 15;
}

/// The C name of a status code as a NUL-terminated string, checked when compiled.
const fn c_str(name_with_nul: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(name_with_nul.as_bytes()) {
        Ok(name) => name,
        Err(_) => panic!("a status name must end in its only NUL"),
    }
}

/// Declares [`Status`] with one variant per code of [`code`], valued and named by it.
macro_rules! statuses {
    ($($variant:ident = $code:ident,)+) => {
        /// The outcome class of an avikit call. Each variant is a status code of the C ABI,
        /// which defines its value, C name and meaning (docs/c-api.md lists them); the values
        /// never change.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum Status {
            $(
                #[doc = concat!(
                    "`", stringify!($code), "` of the C ABI (its meaning: docs/c-api.md)."
                )]
                $variant = code::$code,
            )+
        }

        const COUNT: usize = [$(stringify!($variant)),+].len();

        /// The C names, in numeric order.
        const C_NAMES: [&CStr; COUNT] = [$(c_str(concat!(stringify!($code), "\0"))),+];

        impl Status {
            /// Every status, in numeric order.
            pub const ALL: [Status; COUNT] = [$(Status::$variant),+];
        }
    };
}

statuses! {
    Ok = AVK_OK,
    InvalidArgument = AVK_E_INVALID_ARGUMENT,
    InvalidHandle = AVK_E_INVALID_HANDLE,
    InvalidState = AVK_E_INVALID_STATE,
    Io = AVK_E_IO,
    Canceled = AVK_E_CANCELED,
    Timeout = AVK_E_TIMEOUT,
    Unsupported = AVK_E_UNSUPPORTED,
    Encoder = AVK_E_ENCODER,
    Limit = AVK_E_LIMIT,
    WriterFailed = AVK_E_WRITER_FAILED,
    WouldDeadlock = AVK_E_WOULD_DEADLOCK,
    NoMemory = AVK_E_NO_MEMORY,
    Panic = AVK_E_PANIC,
    Dropped = AVK_E_DROPPED,
    QueueFull = AVK_E_QUEUE_FULL,
}

// The codes run 0, 1, 2, ... in the order of `Status::ALL`, so a code is its index there.
const _: () = {
    let mut i = 0;
    while i < COUNT {
        assert!(Status::ALL[i] as usize == i);
        i += 1;
    }
};

impl Status {
    /// The C name of this status, for example `"AVK_E_IO"`.
    pub fn name(self) -> &'static str {
        // The names are ASCII, so the conversion never fails.
        self.c_name().to_str().unwrap_or_default()
    }

    /// The C name as a NUL-terminated string, which the C ABI's `avk_status_name` hands out as
    /// is.
    pub const fn c_name(self) -> &'static CStr {
        C_NAMES[self as usize]
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
