//! LAME, loaded at run time (`libmp3lame.so.0`; on Windows `libmp3lame.dll` or
//! `libmp3lame-0.dll`), so avikit has no LGPL link and no build dependency on it. The path can be overridden with [`set_lame_path`] or the
//! `AVIKIT_LAME_PATH` environment variable.

use crate::error::{Error, Result, Status};
use parking_lot::Mutex;
use std::ffi::{c_int, c_void};
use std::sync::Arc;

/// The library names tried, in order, when no path is set.
#[cfg(target_os = "macos")]
const DEFAULT_LAME: &[&str] = &["libmp3lame.0.dylib"];
/// The name of LAME's own build, then the one MSYS2/MinGW packages ship.
#[cfg(windows)]
const DEFAULT_LAME: &[&str] = &["libmp3lame.dll", "libmp3lame-0.dll"];
#[cfg(not(any(target_os = "macos", windows)))]
const DEFAULT_LAME: &[&str] = &["libmp3lame.so.0"];

/// What to install when LAME is missing, for the platform avikit was built for.
#[cfg(windows)]
const INSTALL_HINT: &str = "put libmp3lame.dll next to the program or on PATH";
#[cfg(not(windows))]
const INSTALL_HINT: &str = "Debian/Ubuntu: apt install libmp3lame0";

/// `lame_global_flags *`.
pub(crate) type LameHandle = *mut c_void;

/// The LAME entry points avikit uses.
pub(crate) struct LameLibrary {
    /// Keeps the function pointers below valid: they are copied out of this library.
    _library: libloading::Library,
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

static LAME_PATH: Mutex<Option<String>> = Mutex::new(None);
static LOADED: Mutex<Option<Arc<LameLibrary>>> = Mutex::new(None);

/// Uses `path` for LAME instead of the default names (or `$AVIKIT_LAME_PATH`), from the next
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
/// `F` is the C signature of the symbol.
unsafe fn lame_symbol<F: Copy>(library: &libloading::Library, name: &str, path: &str) -> Result<F> {
    // SAFETY: `F` is the symbol's C signature (caller contract); the pointer is copied out and
    // its users keep `library` alive beside it.
    let symbol = unsafe { library.get::<F>(name.as_bytes()) };
    symbol.map(|f| *f).map_err(|e| {
        unsupported(format!(
            "{path} lacks {} ({e})",
            name.trim_end_matches('\0')
        ))
    })
}

fn unsupported(what: String) -> Error {
    Error::new(
        Status::Unsupported,
        format!(
            "{what}: MP3 needs the LAME library at run time ({INSTALL_HINT}; or set \
             AVIKIT_LAME_PATH / avk_set_lame_path to libmp3lame's path)"
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
        let chosen = LAME_PATH
            .lock()
            .clone()
            .or_else(|| std::env::var("AVIKIT_LAME_PATH").ok());
        let lib = match chosen {
            Some(path) => LameLibrary::load(&path)?,
            None => LameLibrary::load_default()?,
        };
        let lib = Arc::new(lib);
        *loaded = Some(Arc::clone(&lib));
        Ok(lib)
    }

    /// The first of [`DEFAULT_LAME`] that loads; the last failure when none does.
    fn load_default() -> Result<LameLibrary> {
        let mut failure = None;
        for name in DEFAULT_LAME {
            match LameLibrary::load(name) {
                Ok(lib) => return Ok(lib),
                Err(e) => failure = Some(e),
            }
        }
        Err(failure.expect("DEFAULT_LAME names at least one library"))
    }

    /// Loads LAME from `path`.
    ///
    /// # Errors
    /// [`Status::Unsupported`] when the library or one of its functions is missing.
    pub fn load(path: &str) -> Result<LameLibrary> {
        // SAFETY: loading LAME runs only its initializers, which have no preconditions; the
        // library stays loaded as long as the returned value, which owns it.
        let library = unsafe { libloading::Library::new(path) }
            .map_err(|e| unsupported(format!("cannot load {path} ({e})")))?;
        macro_rules! symbol {
            ($name:literal) => {
                // SAFETY: `library` is open; the field this initializes has the C signature of
                // LAME's function of this name (lame.h, LAME 3.100).
                unsafe { lame_symbol(&library, concat!($name, "\0"), path)? }
            };
        }
        Ok(LameLibrary {
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
            _library: library,
        })
    }
}
