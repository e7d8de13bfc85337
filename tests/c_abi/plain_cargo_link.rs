//! The shared library of a plain `cargo build` links and runs (issue 14, item 18): a C program
//! linked with `-L<target>/<profile> -lavikit` starts with only that directory on its library
//! path. The versioned soname is given by the CMake build, which installs the links it names.
#![cfg(target_os = "linux")]

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/deps`, where this test runs from: the shared library there is the one this
/// very build made, which `cargo build` copies to `target/<profile>` (`cargo test` does not, so
/// that copy may be older).
fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().to_path_buf()
}

#[test]
fn a_program_linked_against_the_cargo_output_runs() {
    let lib_dir = build_dir();
    assert!(
        lib_dir.join("libavikit.so").exists(),
        "{}",
        lib_dir.display()
    );
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plain-cargo-link");
    std::fs::create_dir_all(&work).unwrap();
    let source = work.join("version.c");
    std::fs::write(
        &source,
        "#include <avikit.h>\n#include <stdio.h>\n\
         int main(void) { printf(\"%s %s\\n\", avk_version_string(), avk_status_name(AVK_E_IO)); return 0; }\n",
    )
    .unwrap();
    let program = work.join("version");
    let include = concat!(env!("CARGO_MANIFEST_DIR"), "/include");
    let built = Command::new("cc")
        .arg(&source)
        .arg("-I")
        .arg(include)
        .arg("-L")
        .arg(&lib_dir)
        .args(["-lavikit", "-o"])
        .arg(&program)
        .output()
        .unwrap();
    assert!(built.status.success(), "{built:?}");
    let ran = Command::new(&program)
        .env("LD_LIBRARY_PATH", &lib_dir)
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        format!("{} AVK_E_IO\n", env!("CARGO_PKG_VERSION"))
    );
}
