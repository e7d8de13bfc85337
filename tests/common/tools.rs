//! Drivers of the Python side of the suite: the scripts in tests/tools (avi_check,
//! timing_check, reader_census, which run ffmpeg, ffprobe, mediainfo, PyAV, OpenCV, GStreamer,
//! VLC and MPlayer on a file) and the venv's Python itself.

use super::scratch::Scratch;
use std::path::Path;
use std::process::Command;

/// The Python that runs the tests' tools: $AVIKIT_PYTHON, else the project's .venv, else
/// python3 from PATH.
pub fn python() -> String {
    if let Ok(p) = std::env::var("AVIKIT_PYTHON") {
        return p;
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if venv.exists() {
        return venv.display().to_string();
    }
    "python3".to_string()
}

/// Runs the venv's Python on `code` with `args`; returns stdout, panics on failure.
pub fn python_run(code: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs tests/tools/avi_check.py (ffmpeg strict decode, ffprobe packet counts against header
/// counts, mediainfo, PyAV, and every frame through GStreamer, VLC and MPlayer; with
/// `--frame-numbers N` each reader's pictures must carry 0..N-1) with `args`; panics with its
/// report when any check fails. Returns its JSON report.
pub fn avi_check(path: &Path, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/avi_check.py");
    let out = Command::new(python())
        .arg(script)
        .arg(path)
        .args(args)
        .output()
        .expect("run avi_check.py (install test deps: scripts/install-test-deps.sh)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "avi_check failed for {}:\n{}\n{}",
        path.display(),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The --slots JSON of tests/tools/timing_check.py: a video stream of `total` slots at
/// `rate` (num, den) frames per second, numbered frame `n` in slot `k` for each `(n, k)`.
pub fn timing_slots_json(rate: (u32, u32), total: u64, slots: &[(usize, u64)]) -> String {
    let slots: Vec<String> = slots.iter().map(|(n, k)| format!("\"{n}\": {k}")).collect();
    format!(
        "{{\"rate\": [{}, {}], \"total\": {total}, \"slots\": {{{}}}}}",
        rate.0,
        rate.1,
        slots.join(", ")
    )
}

/// Runs tests/tools/timing_check.py on `path` with `slots` (its --slots JSON, kept in the
/// calling test file's scratch file `name`); panics with its report unless every reader passes.
/// Returns the report.
#[track_caller]
pub fn timing_check(path: &Path, name: &str, slots: &str) -> serde_json::Value {
    let json = Scratch::new(name);
    std::fs::write(json.path(), slots).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/timing_check.py");
    let out = Command::new(python())
        .arg(script)
        .arg(path)
        .arg("--slots")
        .arg(json.path())
        .output()
        .expect("run timing_check.py (install test deps: scripts/install-test-deps.sh)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "timing_check failed for {}:\n{report}\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&report).unwrap()
}

/// The names of the allowances a timing_check report applied, sorted.
pub fn allowances(report: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = report["allowances"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

/// Runs tests/tools/reader_census.py: one line per reader with the frames it delivered from the
/// first (numbered) video stream of `path` and their first and last frame numbers. Judges
/// nothing; panics only if the census cannot run.
pub fn reader_census(path: &Path) -> String {
    census_output(path, &[])
}

/// What `readers` (reader_census.py's names: "gstreamer", "vlc", ...) deliver from the first
/// video stream of `path`: per reader, frames, first and last frame number, unreadable ones.
pub fn reader_frames(path: &Path, readers: &[&str]) -> serde_json::Value {
    let joined = readers.join(",");
    let out = census_output(path, &["--json", "--readers", &joined]);
    serde_json::from_str(&out).expect("reader_census.py prints JSON")
}

fn census_output(path: &Path, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/reader_census.py");
    let out = Command::new(python())
        .arg(script)
        .arg(path)
        .args(args)
        .output()
        .expect("run reader_census.py (install test deps: scripts/install-test-deps.sh)");
    assert!(
        out.status.success(),
        "reader_census failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Frames OpenCV's own AVI reader (CAP_OPENCV_MJPEG, strict about idx1) reads from `path`.
pub fn opencv_mjpeg_frames(path: &Path) -> usize {
    let code = "import sys, cv2\n\
        cap = cv2.VideoCapture(sys.argv[1], cv2.CAP_OPENCV_MJPEG)\n\
        assert cap.isOpened(), 'OpenCV could not open the file'\n\
        n = 0\n\
        while True:\n\
        \x20   ok, frame = cap.read()\n\
        \x20   if not ok: break\n\
        \x20   n += 1\n\
        print(n)\n";
    python_run(code, &[path.to_str().unwrap()])
        .trim()
        .parse()
        .unwrap()
}
