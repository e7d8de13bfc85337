//! Scratch files of the tests: a path per test under the target directory, kept when the test
//! fails.

use std::path::{Path, PathBuf};

/// A file path under the target directory, removed when dropped unless the test is failing
/// (then it stays for inspection and its path is printed).
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// `name` in the tests' scratch directory, after the process id and the name of the
    /// calling test file: the files of one test crate share a process, so a name one of them
    /// picks must not become another's file.
    #[track_caller]
    pub fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("avikit-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let caller = Path::new(std::panic::Location::caller().file());
        let file = caller.file_stem().unwrap().to_string_lossy();
        let path = dir.join(format!("{}-{file}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Scratch(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept for inspection: {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_file(&self.0);
    }
}
