//! avikit's status codes as Python exceptions: `avikit.Error` and one subclass per status,
//! each carrying the status name (`AVK_E_IO`) and the library's message.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    avikit,
    Error,
    PyException,
    "A failure reported by the avikit library: `status` is the C status name (\"AVK_E_IO\"), \
     `message` the detail."
);

/// Declares one subclass of `avikit.Error` per status, and the table that maps a status to it.
macro_rules! status_errors {
    ($($status:ident => $class:ident: $doc:literal,)+) => {
        $(create_exception!(avikit, $class, Error, $doc);)+

        /// The exception class of `status`.
        fn class_of(py: Python<'_>, status: avikit::Status) -> Bound<'_, pyo3::types::PyType> {
            match status {
                $(avikit::Status::$status => py.get_type::<$class>(),)+
                _ => py.get_type::<Error>(),
            }
        }

        /// Adds `Error` and its subclasses to the module.
        pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
            let py = m.py();
            m.add("Error", py.get_type::<Error>())?;
            $(m.add(stringify!($class), py.get_type::<$class>())?;)+
            Ok(())
        }
    };
}

status_errors! {
    InvalidArgument => InvalidArgumentError: "A value out of range or of the wrong size (AVK_E_INVALID_ARGUMENT).",
    InvalidHandle => InvalidHandleError: "A writer or stream used after close (AVK_E_INVALID_HANDLE).",
    InvalidState => InvalidStateError: "A call not allowed now, such as adding a stream after the first write (AVK_E_INVALID_STATE).",
    Io => IOError: "The operating system failed to write (AVK_E_IO).",
    Canceled => CanceledError: "The operation was canceled before it ran (AVK_E_CANCELED).",
    Timeout => TimeoutError: "A wait timed out; the operation is still pending (AVK_E_TIMEOUT).",
    Unsupported => UnsupportedError: "A codec or feature not available, such as MP3 without LAME (AVK_E_UNSUPPORTED).",
    Encoder => EncoderError: "The encoder rejected the input or failed (AVK_E_ENCODER).",
    Limit => LimitError: "A format limit: too many streams, a chunk over 2 GiB, a gap too long (AVK_E_LIMIT).",
    WriterFailed => WriterFailedError: "An earlier error broke this writer; the file is repairable (AVK_E_WRITER_FAILED).",
    WouldDeadlock => WouldDeadlockError: "Waiting on the writer from its own worker thread, e.g. inside a future's done-callback (AVK_E_WOULD_DEADLOCK).",
    NoMemory => NoMemoryError: "An allocation failed (AVK_E_NO_MEMORY).",
    Panic => PanicError: "An internal bug caught at the boundary (AVK_E_PANIC).",
    Dropped => DroppedError: "A timed write whose slot is already filled: nothing was written, the writer is fine (AVK_E_DROPPED).",
    QueueFull => QueueFullError: "A non-blocking write found the queue full: nothing was written (AVK_E_QUEUE_FULL).",
}

/// The Python exception of a library error: its status's class, with `status` and `message`
/// attributes set. Needs the GIL (the exception object is created at once).
pub fn exception(py: Python<'_>, err: &avikit::Error) -> PyErr {
    let class = class_of(py, err.status());
    let message = err.message().to_owned();
    match class.call1((message.clone(),)) {
        Ok(instance) => {
            // Attributes on a fresh exception object of our own class cannot fail short of
            // memory exhaustion; the exception is still raised without them then.
            let _ = instance.setattr("status", err.status().name());
            let _ = instance.setattr("message", message);
            PyErr::from_value(instance)
        }
        Err(failure) => failure,
    }
}

/// `result` with its library error turned into the Python exception.
pub fn check<T>(py: Python<'_>, result: avikit::Result<T>) -> PyResult<T> {
    result.map_err(|e| exception(py, &e))
}
