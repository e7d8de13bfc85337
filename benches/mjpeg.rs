//! MJPEG 1080p: avikit with 1 and 2 encoder threads against OpenCV's own writer
//! (`cv2.VideoWriter`, CAP_OPENCV_MJPEG) and `ffmpeg -c:v mjpeg`, on the same frames
//! (ffmpeg's testsrc2), in the same run. Prints frames per second, file size, PSNR and ratios.
//! `cargo bench --bench mjpeg` (needs ffmpeg and the test venv: scripts/install-test-deps.sh).

use avikit::codec::convert::{InputLayout, PixelFormat};
use avikit::codec::mjpeg::MjpegEncoder;
use avikit::{FrameRate, Payload, Writer, WriterOptions};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

const W: usize = 1920;
const H: usize = 1080;
const FRAMES: usize = 120;
const ROUNDS: usize = 3;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run a baseline tool");
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    std::env::var_os("AVIKIT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or(venv)
}

fn avikit_mjpeg(frames: &[Arc<[u8]>], threads: usize, out: &Path) -> f64 {
    let started = Instant::now();
    let options = WriterOptions {
        frame_rate: FrameRate::new(30, 1).unwrap(),
        encoder_threads: threads,
        checkpoint_interval: None,
        ..Default::default()
    };
    let writer = Writer::create(out, options).unwrap();
    let layout = InputLayout {
        width: W as u32,
        height: H as u32,
        format: PixelFormat::Bgra32,
        stride: 0,
    };
    let video = writer
        .add_encoding_video_stream(Arc::new(MjpegEncoder::new(layout, 75).unwrap()), None)
        .unwrap();
    let mut window = VecDeque::new();
    for frame in frames {
        window.push_back(
            video
                .begin_write_frame(true, Payload::shared(frame.clone()), None)
                .unwrap(),
        );
        if window.len() > 8 {
            video.end_write_frame(window.pop_front().unwrap()).unwrap();
        }
    }
    window
        .into_iter()
        .for_each(|r| video.end_write_frame(r).unwrap());
    writer.close().unwrap();
    started.elapsed().as_secs_f64()
}

const OPENCV: &str = r#"
import sys, time, numpy as np, cv2
raw, out, w, h, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
frames = np.fromfile(raw, dtype=np.uint8).reshape(n, h, w, 4)
bgr = [np.ascontiguousarray(f[:, :, :3]) for f in frames]
start = time.perf_counter()
vw = cv2.VideoWriter(out, cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*'MJPG'), 30, (w, h))
vw.set(cv2.VIDEOWRITER_PROP_QUALITY, 75)
for f in bgr:
    vw.write(f)
vw.release()
print(time.perf_counter() - start)
"#;

fn opencv_mjpeg(raw: &Path, out: &Path) -> f64 {
    let text = run(Command::new(python())
        .args(["-c", OPENCV])
        .arg(raw)
        .arg(out)
        .args([W.to_string(), H.to_string(), FRAMES.to_string()]));
    text.trim().lines().last().unwrap().parse().unwrap()
}

fn ffmpeg_mjpeg(raw: &Path, out: &Path) -> f64 {
    let started = Instant::now();
    run(Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgra",
            "-s",
            &format!("{W}x{H}"),
        ])
        .args(["-framerate", "30", "-i"])
        .arg(raw)
        .args(["-c:v", "mjpeg", "-q:v", "4", "-pix_fmt", "yuvj420p"])
        .arg(out));
    started.elapsed().as_secs_f64()
}

fn psnr(file: &Path, raw: &Path) -> f64 {
    let log = run(Command::new("ffmpeg")
        .args(["-nostdin", "-i"])
        .arg(file)
        .args([
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgra",
            "-framerate",
            "30",
            "-s",
            &format!("{W}x{H}"),
            "-i",
        ])
        .arg(raw)
        .args([
            "-lavfi",
            "[0:v]format=bgra[a];[a][1:v]psnr",
            "-f",
            "null",
            "-",
        ]));
    let average = log
        .split("average:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or("0");
    average.parse().unwrap_or(0.0)
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let dir = std::env::temp_dir().join("avikit-bench-mjpeg");
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join("frames.bgra");
    run(Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=size={W}x{H}:rate=30"),
        ])
        .args([
            "-frames:v",
            &FRAMES.to_string(),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgra",
        ])
        .arg(&raw));
    let bytes = std::fs::read(&raw).unwrap();
    let frames: Vec<Arc<[u8]>> = bytes.chunks_exact(W * H * 4).map(Arc::from).collect();

    type Contender<'a> = (&'a str, Box<dyn Fn(&Path) -> f64 + 'a>);
    let contenders: Vec<Contender<'_>> = vec![
        (
            "avikit, 1 encoder thread",
            Box::new(|out: &Path| avikit_mjpeg(&frames, 1, out)),
        ),
        (
            "avikit, 2 encoder threads",
            Box::new(|out: &Path| avikit_mjpeg(&frames, 2, out)),
        ),
        (
            "OpenCV cv2.VideoWriter (CAP_OPENCV_MJPEG, q75)",
            Box::new(|out: &Path| opencv_mjpeg(&raw, out)),
        ),
        (
            "ffmpeg -c:v mjpeg -q:v 4",
            Box::new(|out: &Path| ffmpeg_mjpeg(&raw, out)),
        ),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    // Alternate the contenders round by round, so drift in the machine hits all of them.
    for _ in 0..ROUNDS {
        for (i, (_, run_one)) in contenders.iter().enumerate() {
            times[i].push(run_one(&dir.join(format!("out{i}.avi"))));
        }
    }
    println!(
        "MJPEG {W}x{H}, {FRAMES} frames of testsrc2, {ROUNDS} rounds, {} CPUs",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<48} {:>9} {:>9} {:>9} {:>8} {:>8} {:>10} {:>9}",
        "writer", "fps med", "fps min", "fps max", "vs OCV", "vs ffm", "size MB", "PSNR dB"
    );
    let fps: Vec<(f64, f64, f64)> = times
        .iter()
        .map(|t| {
            let (med, lo, hi) = median(t.clone());
            (FRAMES as f64 / med, FRAMES as f64 / hi, FRAMES as f64 / lo)
        })
        .collect();
    for (i, (name, _)) in contenders.iter().enumerate() {
        let out = dir.join(format!("out{i}.avi"));
        let size = std::fs::metadata(&out).unwrap().len() as f64 / 1e6;
        println!(
            "{:<48} {:>9.1} {:>9.1} {:>9.1} {:>7.2}x {:>7.2}x {:>10.1} {:>9.2}",
            name,
            fps[i].0,
            fps[i].1,
            fps[i].2,
            fps[i].0 / fps[2].0,
            fps[i].0 / fps[3].0,
            size,
            psnr(&out, &raw)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
