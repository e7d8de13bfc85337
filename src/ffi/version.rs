//! Library version: numbers, string and header macros, all matching Cargo.toml.

use super::boundary::boundary_value;
use std::ffi::c_char;

/// Major version of this header (matches `avk_version() >> 16` of a compatible library).
pub const AVK_VERSION_MAJOR: u32 = 0;
/// Minor version of this header.
pub const AVK_VERSION_MINOR: u32 = 1;
/// Patch version of this header.
pub const AVK_VERSION_PATCH: u32 = 0;

/// The library's version as `major << 16 | minor << 8 | patch`. Thread-safe; cannot fail.
#[no_mangle]
pub extern "C" fn avk_version() -> u32 {
    (AVK_VERSION_MAJOR << 16) | (AVK_VERSION_MINOR << 8) | AVK_VERSION_PATCH
}

/// The library's version as a static string such as "0.1.0"; never free it. Thread-safe; cannot
/// fail.
#[no_mangle]
pub extern "C" fn avk_version_string() -> *const c_char {
    boundary_value(c"".as_ptr(), || {
        concat!(env!("CARGO_PKG_VERSION"), "\0")
            .as_ptr()
            .cast::<c_char>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_macros_match_cargo_toml() {
        assert_eq!(
            AVK_VERSION_MAJOR.to_string(),
            env!("CARGO_PKG_VERSION_MAJOR")
        );
        assert_eq!(
            AVK_VERSION_MINOR.to_string(),
            env!("CARGO_PKG_VERSION_MINOR")
        );
        assert_eq!(
            AVK_VERSION_PATCH.to_string(),
            env!("CARGO_PKG_VERSION_PATCH")
        );
        // SAFETY: a static NUL-terminated string.
        let s = unsafe { std::ffi::CStr::from_ptr(avk_version_string()) };
        assert_eq!(s.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    }
}
