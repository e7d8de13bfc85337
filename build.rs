//! Gives the C shared library (the cdylib) an ELF soname, `libavikit.so.<major>`, when the CMake
//! build asks for it (`AVIKIT_SONAME=1`): programs linked against that library record the
//! versioned name, and the CMake install provides libavikit.so -> libavikit.so.0 ->
//! libavikit.so.0.1.0. A plain `cargo build` gives no soname, so a program linked with
//! `-Ltarget/release -lavikit` finds `libavikit.so` itself at run time. The rlib and staticlib
//! are unaffected.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=AVIKIT_SONAME");
    if std::env::var("AVIKIT_SONAME").as_deref() != Ok("1") {
        return;
    }
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    // ELF platforms with a GNU-compatible linker driver. Not Android: its loader only finds
    // unversioned lib*.so names.
    if matches!(
        target_os.as_str(),
        "linux" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    ) {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libavikit.so.{major}");
    }
}
