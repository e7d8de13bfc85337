//! FFmpeg as oracle and source: strict decoding, PSNR, ffprobe's durations, its test pictures
//! and its own AVI files of numbered frames.

use super::numbered::numbered_bgra;
use super::scratch::Scratch;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// The options of ffmpeg's strict decoding: any damage or decoder error is fatal, and only
/// errors are printed.
pub const STRICT: [&str; 7] = [
    "-nostdin",
    "-v",
    "error",
    "-err_detect",
    "explode",
    "-xerror",
    "-y",
];

/// Decodes stream `map` (e.g. "0:v:0") with ffmpeg's strict decoder into raw `format` bytes;
/// fails unless ffmpeg exits 0 and prints nothing.
pub fn ffmpeg_decode(path: &Path, map: &str, format: &str, extra: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(STRICT)
        .arg("-i")
        .arg(path)
        .args(["-map", map])
        .args(extra)
        .args(["-f", format, "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg decode of {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Realistic moving content from ffmpeg's testsrc2: `frames` tight top-down BGRA frames.
pub fn testsrc2(width: usize, height: usize, frames: usize) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={width}x{height}:rate=30"))
        .args(["-frames:v", &frames.to_string()])
        .args(["-f", "rawvideo", "-pix_fmt", "bgra", "-"])
        .output()
        .expect("run ffmpeg (install test deps: scripts/install-test-deps.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frames: Vec<Vec<u8>> = out
        .stdout
        .chunks_exact(width * height * 4)
        .map(<[u8]>::to_vec)
        .collect();
    assert!(!frames.is_empty());
    frames
}

/// FFmpeg's own AVI of numbered pictures 0..`frames` (`width` x `height`, fed as BGRA at
/// 30 fps): the same frames avikit's files carry, for showing that a reader's limit holds on a
/// file FFmpeg wrote too. `output` (codec, filters) comes before the output path.
pub fn ffmpeg_numbered(path: &Path, width: usize, height: usize, frames: usize, output: &[&str]) {
    let mut child = Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgra",
        ])
        .args(["-s", &format!("{width}x{height}"), "-r", "30", "-i", "-"])
        .args(output)
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("run ffmpeg");
    let mut stdin = child.stdin.take().unwrap();
    for n in 0..frames {
        stdin.write_all(&numbered_bgra(width, height, n)).unwrap();
    }
    drop(stdin);
    assert!(
        child.wait().unwrap().success(),
        "ffmpeg could not write {}",
        path.display()
    );
}

/// Average PSNR (dB) of the first video stream of `path` against the BGRA `frames`, from
/// ffmpeg's psnr filter (both sides compared as BGRA).
pub fn psnr(path: &Path, frames: &[Vec<u8>], width: usize, height: usize) -> f64 {
    // One reference file per call: tests of one binary run in parallel in one process.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let reference = Scratch::new(&format!("psnr-reference-{call}.bgra"));
    std::fs::write(reference.path(), frames.concat()).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", "bgra", "-framerate", "30"])
        .args(["-s", &format!("{width}x{height}"), "-i"])
        .arg(reference.path())
        .args([
            "-lavfi",
            "[0:v]format=bgra[a];[a][1:v]psnr",
            "-f",
            "null",
            "-",
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let average = log
        .split("average:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no PSNR in ffmpeg output: {log}"));
    average.parse().unwrap()
}

/// Where stream `select` ("v:0", "a:0") of `path` ends in ffprobe's reading, in seconds: the
/// last packet's time plus its duration. ffprobe must read the file without a word of warning.
pub fn ffprobe_duration(path: &Path, select: &str) -> f64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", select])
        .args([
            "-show_entries",
            "packet=pts_time,duration_time",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffprobe on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    let mut fields = last.split(',').map(|f| f.trim().parse::<f64>());
    match (fields.next(), fields.next()) {
        (Some(Ok(pts)), Some(Ok(duration))) => pts + duration,
        _ => panic!("ffprobe packets of {select}: {last:?}"),
    }
}
