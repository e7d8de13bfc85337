//! ffprobe's view of the timed audio of timing_readers.rs (every reader's view of the video is
//! tests/tools/timing_check.py, run by `common::timing_check`).

use std::path::Path;
use std::process::Command;

use super::plan::{self, Plan};
use crate::common::ffmpeg::{ffmpeg_decode, ffprobe_duration};

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
    let audio = ffprobe_duration(path, "a:0");
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
