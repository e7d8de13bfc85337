//! Structs that grow between versions: every one starts with `uint32_t struct_size`, set by
//! the caller to the size it was compiled with. Options are read and reports written through
//! that prefix only, so old callers keep working against a newer library.

use crate::error::{Error, Result};
use std::mem::size_of;

/// Byte spans `(offset, size)` of every field of a struct, in order.
macro_rules! field_spans {
    ($t:ty; $($field:ident),+) => {{
        fn size_of_pointee<F>(_: *const F) -> usize {
            std::mem::size_of::<F>()
        }
        let probe = std::mem::MaybeUninit::<$t>::uninit();
        let base = probe.as_ptr();
        [$(
            (
                std::mem::offset_of!($t, $field),
                // SAFETY: only the field's address is formed, nothing is read.
                size_of_pointee(unsafe { std::ptr::addr_of!((*base).$field) }),
            )
        ),+]
    }};
}
pub(crate) use field_spans;

/// The caller's `struct_size`, checked: not larger than this version's struct (the caller
/// was compiled against a newer header) and not inside a field.
///
/// # Safety
/// `ptr` must point to at least 4 readable bytes.
unsafe fn checked_size<T>(ptr: *const T, spans: &[(usize, usize)], what: &str) -> Result<usize> {
    // SAFETY: every version starts with `uint32_t struct_size`.
    let size = unsafe { ptr.cast::<u32>().read_unaligned() } as usize;
    if size > size_of::<T>() {
        return Err(Error::invalid_argument(format!(
            "{what}.struct_size is {size} but this library knows only {} bytes: the caller was \
             compiled against a newer avikit.h than the library it runs with",
            size_of::<T>()
        )));
    }
    if size < 4
        || spans
            .iter()
            .any(|&(off, len)| off < size && size < off + len)
    {
        return Err(Error::invalid_argument(format!(
            "{what}.struct_size {size} does not end on a field boundary: set it with the _init \
             function or to sizeof({what})"
        )));
    }
    Ok(size)
}

/// Reads a caller's struct of any version not newer than ours: fields that end within its
/// `struct_size` come from the caller, the rest keep `defaults`. NULL means all defaults.
///
/// # Safety
/// `ptr` must be NULL or point to at least `ptr->struct_size` readable bytes.
pub(crate) unsafe fn read_versioned<T: Copy>(
    ptr: *const T,
    defaults: T,
    spans: &[(usize, usize)],
    what: &str,
) -> Result<T> {
    if ptr.is_null() {
        return Ok(defaults);
    }
    // SAFETY: forwarded caller contract.
    let size = unsafe { checked_size(ptr, spans, what) }?;
    let mut value = defaults;
    // SAFETY: `size <= size_of::<T>()` bytes are readable at `ptr` (caller contract) and
    // writable at `value`; the covered fields are whole and plain data.
    unsafe {
        std::ptr::copy_nonoverlapping(ptr.cast::<u8>(), (&mut value as *mut T).cast::<u8>(), size)
    };
    Ok(value)
}

/// Writes `value` into a caller's struct, only the fields within its `struct_size` (which
/// stays as the caller set it). Padding between fields is left as the caller had it: it holds
/// nothing of ours.
///
/// # Safety
/// `out` must be non-NULL and valid for `out->struct_size` bytes.
pub(crate) unsafe fn write_versioned<T: Copy>(
    out: *mut T,
    value: &T,
    spans: &[(usize, usize)],
    what: &str,
) -> Result<()> {
    // SAFETY: forwarded caller contract.
    let size = unsafe { checked_size(out.cast_const(), spans, what) }?;
    let from = (value as *const T).cast::<u8>();
    // The first span is `struct_size` itself.
    for &(offset, len) in spans.iter().skip(1).filter(|&&(o, l)| o + l <= size) {
        // SAFETY: the field lies within `size` bytes, which are writable at `out` (caller
        // contract), and within `value`; fields never overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(from.add(offset), out.cast::<u8>().add(offset), len)
        };
    }
    Ok(())
}
