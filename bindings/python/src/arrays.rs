//! The bytes of a numpy array, borrowed without a copy. The Python layer (`avikit._frames`)
//! checks shapes and dtypes and makes any copy; this module only proves that the memory is one
//! C-contiguous block, which is what borrowing it as a byte slice needs (the library checks its
//! length against the stream's format at begin).

use numpy::{PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// A C-contiguous numpy array's memory: its address (as an integer, so that closures run
/// without the GIL can carry it) and length in bytes. Valid while the array object it came from
/// is alive and not resized (numpy refuses to resize an array others reference, and the holder
/// of a `Borrowed` always holds a reference).
#[derive(Clone, Copy)]
pub struct Borrowed {
    ptr: usize,
    len: usize,
}

impl Borrowed {
    /// The memory of `obj`, which must be a C-contiguous numpy array.
    ///
    /// # Errors
    /// `TypeError` for anything but a numpy array, `ValueError` for one that is not
    /// C-contiguous.
    pub fn of(obj: &Bound<'_, PyAny>) -> PyResult<Borrowed> {
        let array = obj.cast::<PyUntypedArray>().map_err(|_| {
            PyTypeError::new_err(format!(
                "expected a numpy array, not {}",
                obj.get_type()
                    .name()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ))
        })?;
        if !array.is_c_contiguous() {
            return Err(PyValueError::new_err(
                "the array is not C-contiguous: pass numpy.ascontiguousarray(a), or copy=True",
            ));
        }
        let len = array.len() * array.dtype().itemsize();
        // SAFETY: `as_array_ptr` is the live PyArrayObject behind `array`; reading its data
        // pointer does not touch the data.
        let ptr = unsafe { (*array.as_array_ptr()).data } as usize;
        Ok(Borrowed { ptr, len })
    }

    /// The bytes.
    ///
    /// # Safety
    /// The array this came from must stay alive (referenced) and unresized while the slice is
    /// used, and nobody may write into it meanwhile: the same contract as the C ABI's borrowed
    /// buffers, which the Python documentation passes on to the caller ("do not modify the
    /// array until the write completes", or `copy=True`).
    pub unsafe fn slice<'a>(self) -> &'a [u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: the caller keeps the array alive; its memory is `len` contiguous bytes.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }

    /// A payload that refers to the array's memory.
    ///
    /// # Safety
    /// The array must stay alive and unresized until the operation the payload goes to has
    /// completed (the callback that holds a reference to it has run).
    pub unsafe fn payload(self) -> avikit::Payload {
        // SAFETY: forwarded to the caller, which keeps the array alive until completion.
        unsafe { avikit::Payload::borrowed(self.ptr as *const u8, self.len) }
    }
}
