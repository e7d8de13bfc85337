//! Child processes of the running test binary: one test of it run again in a process of its
//! own, for a recording that is killed (the crash tests) or for a test that measures or limits
//! its whole process (the test files of a crate share one process, their tests run in parallel
//! threads).

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Set in the child started by [`run_alone`]: the name of the test that child runs.
const ALONE_ENV: &str = "AVIKIT_TEST_ALONE";

/// The name the test harness gives test `name` of the module `module` (the caller's
/// `module_path!()`): the module path without the crate's name, as `--exact` matches it.
pub fn test_name(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_string(),
    }
}

/// Starts this test binary again to run only the ignored test `name` of module `module` (the
/// recording child of a crash test) with `var` set to `path`: stdout piped to the parent,
/// stderr discarded.
pub fn spawn_child_test(module: &str, name: &str, var: &str, path: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &test_name(module, name),
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(var, path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the child test")
}

/// Runs `body`, the test `name` of module `module`, alone in a child process of this test
/// binary, and fails unless it passed there. Called by that test: in the parent it starts the
/// child, in the child it runs `body`.
pub fn run_alone(module: &str, name: &str, body: impl FnOnce()) {
    let test = test_name(module, name);
    if std::env::var(ALONE_ENV).is_ok_and(|running| running == test) {
        body();
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &test, "--nocapture"])
        .env(ALONE_ENV, &test)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The child really ran the test (a filter that matched nothing would also succeed).
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}
