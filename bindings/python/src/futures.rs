//! Completing Python futures from the writer's worker thread.
//!
//! A write begun with `write_async` carries a callback that owns a reference to the Python
//! future and to the array it borrows. The worker runs it once the write completes (or was
//! canceled, or failed): it takes the GIL for as long as it takes to hand the outcome to the
//! future's `_avikit_complete` method (defined in `avikit/__init__.py`), then drops both
//! references. The caller never waits on the worker while holding the GIL (every call into the
//! library is made under `Python::detach`), so this GIL hold cannot deadlock.

use crate::errors;
use pyo3::prelude::*;

/// The callback of one asynchronous write: completes `future` with the outcome and releases
/// `keep_alive` (the borrowed array, or `None` for an owned copy) afterwards, since the worker
/// is done with the bytes once the result is complete.
pub fn completion(future: Py<PyAny>, keep_alive: Option<Py<PyAny>>) -> avikit::Callback {
    Box::new(move |result: &avikit::AsyncResult| {
        // The callback runs only once the result is complete, so the outcome is there.
        let outcome = result.outcome().unwrap_or(Ok(()));
        Python::attach(|py| {
            let error = match outcome {
                Ok(()) => py.None(),
                Err(e) => errors::exception(py, &e).into_value(py).into_any(),
            };
            if let Err(failure) = future.call_method1(py, "_avikit_complete", (error,)) {
                // Nobody can catch an exception raised on the worker thread: report it the
                // way Python reports errors in finalizers.
                failure.write_unraisable(py, Some(future.bind(py)));
            }
            drop(keep_alive);
        });
    })
}
