//! The verdicts of timing_readers.rs beyond the file's bytes: tests/tools/timing_check.py (every
//! reader's times and durations) and ffprobe's view of the timed audio.

use std::path::Path;
use std::process::Command;

use crate::common::{ffmpeg_decode, python, Scratch};
use crate::plan::{self, Plan};

/// Runs tests/tools/timing_check.py on `path` with `slots` (its --slots JSON, kept in scratch
/// file `name`); panics with its report unless every reader passes. Returns the report.
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

/// ffprobe's end of the last packet of stream `select` ("a:0"), in seconds.
fn packets_end(path: &Path, select: &str) -> f64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", select, "-show_entries"])
        .args(["packet=pts_time,duration_time", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let (pts, duration) = line.split_once(',').unwrap();
            pts.parse::<f64>().unwrap() + duration.parse::<f64>().unwrap()
        })
        .fold(0.0, f64::max)
}

/// The audio plays as long as the video (within 20 ms, by ffprobe) and decodes to exactly the
/// planned samples, silence included.
pub fn check_audio(path: &Path, plan: &Plan) {
    let video = plan.total_slots as f64 * f64::from(plan::RATE.den) / f64::from(plan::RATE.num);
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["stream=duration", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    let probed: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert!(
        (probed - video).abs() < 1e-5,
        "video duration {probed}, expected {video}"
    );
    let audio = packets_end(path, "a:0");
    assert!(
        (audio - probed).abs() <= 0.020,
        "audio lasts {audio} s, video {probed} s"
    );
    let pcm = ffmpeg_decode(path, "0:a:0", "s16le", &[]);
    assert_eq!(
        pcm.len() as u64,
        plan.audio_samples * 4,
        "decoded audio bytes"
    );
}
