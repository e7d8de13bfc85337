//! LAME, loaded at run time with dlopen (`libmp3lame.so.0`), so avikit has no LGPL link and no
//! build dependency on it. The path can be overridden with [`set_lame_path`] or the
//! `AVIKIT_LAME_PATH` environment variable.

use crate::error::{Error, Result, Status};
use parking_lot::Mutex;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::Arc;

/// The library name tried when no path is set.
#[cfg(target_os = "macos")]
const DEFAULT_LAME: &str = "libmp3lame.0.dylib";
#[cfg(windows)]
const DEFAULT_LAME: &str = "libmp3lame.dll";
#[cfg(not(any(target_os = "macos", windows)))]
const DEFAULT_LAME: &str = "libmp3lame.so.0";

/// `lame_global_flags *`.
pub(crate) type LameHandle = *mut c_void;

/// The LAME entry points avikit uses.
pub(crate) struct LameLibrary {
    _library: *mut c_void,
    pub init: unsafe extern "C" fn() -> LameHandle,
    pub set_num_channels: unsafe extern "C" fn(LameHandle, c_int) -> c_int,
    pub set_in_samplerate: unsafe extern "C" fn(LameHandle, c_int) -> c_int,
    pub set_out_samplerate: unsafe extern "C" fn(LameHandle, c_int) -> c_int,
    pub set_brate: unsafe extern "C" fn(LameHandle, c_int) -> c_int,
    pub set_mode: unsafe extern "C" fn(LameHandle, c_int) -> c_int,
    pub set_vbr: unsafe extern "C" fn(LameHandle, c_int) -> c_int,
    pub set_write_vbr_tag: unsafe extern "C" fn(LameHandle, c_int) -> c_int,
    pub init_params: unsafe extern "C" fn(LameHandle) -> c_int,
    pub encode_interleaved:
        unsafe extern "C" fn(LameHandle, *mut i16, c_int, *mut u8, c_int) -> c_int,
    pub encode_buffer:
        unsafe extern "C" fn(LameHandle, *const i16, *const i16, c_int, *mut u8, c_int) -> c_int,
    pub encode_flush: unsafe extern "C" fn(LameHandle, *mut u8, c_int) -> c_int,
    pub get_encoder_delay: unsafe extern "C" fn(LameHandle) -> c_int,
    pub close: unsafe extern "C" fn(LameHandle) -> c_int,
}

// SAFETY: the library handle and function pointers are immutable after loading, and LAME's
// functions take their state explicitly; each encoder handle is used by one thread at a time.
unsafe impl Send for LameLibrary {}
// SAFETY: as above; nothing behind `&LameLibrary` is mutated.
unsafe impl Sync for LameLibrary {}

static LAME_PATH: Mutex<Option<String>> = Mutex::new(None);
static LOADED: Mutex<Option<Arc<LameLibrary>>> = Mutex::new(None);

/// Uses `path` for LAME instead of `libmp3lame.so.0` (or `$AVIKIT_LAME_PATH`), from the next
/// MP3 stream on if LAME is not loaded yet. Thread-safe.
pub fn set_lame_path(path: &str) {
    *LAME_PATH.lock() = Some(path.to_owned());
}

/// Checks that a usable LAME can be loaded from `path` (the library and every function avikit
/// calls), without keeping it.
///
/// # Errors
/// [`Status::Unsupported`] saying what is missing and what to install.
pub fn probe_lame(path: &str) -> Result<()> {
    LameLibrary::load(path).map(drop)
}

/// The function `name` (NUL-terminated) of `library` as the function pointer type `F`.
///
/// # Safety
/// `library` is a handle from dlopen and `F` is the C signature of the symbol.
unsafe fn lame_symbol<F: Copy>(library: *mut c_void, name: &str, path: &str) -> Result<F> {
    assert_eq!(std::mem::size_of::<F>(), std::mem::size_of::<*mut c_void>());
    // SAFETY: looking up a NUL-terminated name in an open library.
    let f = unsafe { libc::dlsym(library, name.as_ptr() as *const c_char) };
    if f.is_null() {
        return Err(unsupported(format!(
            "{path} lacks {}",
            name.trim_end_matches('\0')
        )));
    }
    // SAFETY: `F` is a function pointer of the symbol's signature (caller contract), the same
    // size as the data pointer dlsym returns.
    Ok(unsafe { std::mem::transmute_copy::<*mut c_void, F>(&f) })
}

fn unsupported(what: String) -> Error {
    Error::new(
        Status::Unsupported,
        format!(
            "{what}: MP3 needs the LAME library at run time (Debian/Ubuntu: apt install \
             libmp3lame0; or set AVIKIT_LAME_PATH / avk_set_lame_path to libmp3lame's path)"
        ),
    )
}

impl LameLibrary {
    /// LAME, loaded once per process (a failed load is retried next time).
    ///
    /// # Errors
    /// [`Status::Unsupported`] saying what to install when it cannot be loaded.
    pub fn get() -> Result<Arc<LameLibrary>> {
        let mut loaded = LOADED.lock();
        if let Some(lib) = loaded.as_ref() {
            return Ok(Arc::clone(lib));
        }
        let path = LAME_PATH
            .lock()
            .clone()
            .or_else(|| std::env::var("AVIKIT_LAME_PATH").ok())
            .unwrap_or_else(|| DEFAULT_LAME.to_owned());
        let lib = Arc::new(LameLibrary::load(&path)?);
        *loaded = Some(Arc::clone(&lib));
        Ok(lib)
    }

    /// Loads LAME from `path`.
    ///
    /// # Errors
    /// [`Status::Unsupported`] when the library or one of its functions is missing.
    pub fn load(path: &str) -> Result<LameLibrary> {
        let c_path =
            CString::new(path).map_err(|_| unsupported(format!("bad LAME path {path:?}")))?;
        // SAFETY: dlopen with a valid NUL-terminated path; the handle is never closed, so the
        // function pointers stay valid for the life of the process.
        let library = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        if library.is_null() {
            return Err(unsupported(format!("cannot load {path}")));
        }
        macro_rules! symbol {
            ($name:literal) => {
                // SAFETY: `library` is open; the field this initializes has the C signature of
                // LAME's function of this name (lame.h, LAME 3.100).
                unsafe { lame_symbol(library, concat!($name, "\0"), path)? }
            };
        }
        Ok(LameLibrary {
            _library: library,
            init: symbol!("lame_init"),
            set_num_channels: symbol!("lame_set_num_channels"),
            set_in_samplerate: symbol!("lame_set_in_samplerate"),
            set_out_samplerate: symbol!("lame_set_out_samplerate"),
            set_brate: symbol!("lame_set_brate"),
            set_mode: symbol!("lame_set_mode"),
            set_vbr: symbol!("lame_set_VBR"),
            set_write_vbr_tag: symbol!("lame_set_bWriteVbrTag"),
            init_params: symbol!("lame_init_params"),
            encode_interleaved: symbol!("lame_encode_buffer_interleaved"),
            encode_buffer: symbol!("lame_encode_buffer"),
            encode_flush: symbol!("lame_encode_flush"),
            get_encoder_delay: symbol!("lame_get_encoder_delay"),
            close: symbol!("lame_close"),
        })
    }
}
