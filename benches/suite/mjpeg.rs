//! W4: MJPEG 1080p. avikit with 1 and 2 encoder threads against OpenCV's own writer
//! (`cv2.VideoWriter`, CAP_OPENCV_MJPEG) and `ffmpeg -c:v mjpeg`, on the same testsrc2 frames at
//! quality 75, alternating round by round; then output size and PSNR against the input. avikit
//! also runs at libjpeg quality 95, which matches the fidelity OpenCV's writer gives at its 75,
//! and from camera input: the same frames as I420 and NV12 (ffmpeg's conversion), against its
//! own BGRA run; and with durable checkpoints (the default: synced every second and at close)
//! against its own run without. The other avikit runs leave writes to the OS, as their
//! baselines do.

use crate::encoding::measured_recording;
use crate::machine::{camera_frames, fresh_output, psnr, python, run, testsrc2};
use crate::report::{Row, Target};
use crate::Settings;
use avikit::codec::mjpeg::MjpegEncoder;
use avikit::pixel::PixelFormat;
use avikit::Durability;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

const W: usize = 1920;
const H: usize = 1080;
const QUALITY: u32 = 75;
/// The libjpeg quality whose output matches the fidelity of OpenCV's writer at its quality 75
/// (OpenCV's encoder scales its tables differently: its "75" is near libjpeg's 94 in PSNR).
const MATCHED_QUALITY: u32 = 95;
const OPENCV: &str = "OpenCV cv2.VideoWriter (CAP_OPENCV_MJPEG, q75)";
const FFMPEG: &str = "ffmpeg -c:v mjpeg -q:v 4 -pix_fmt yuvj420p";
const MATCHED: &str = "avikit MJPEG q95 (OpenCV q75's fidelity), 2 encoder threads";
const I420_INPUT: &str = "avikit MJPEG q75 from I420, 2 encoder threads";
const NV12_INPUT: &str = "avikit MJPEG q75 from NV12, 2 encoder threads";
/// The BGRA run the camera-input and durable runs are compared with.
const BGRA_TWO_THREADS: &str = "avikit MJPEG q75, 2 encoder threads";
const DURABLE: &str = "avikit MJPEG q75, 2 encoder threads, durable checkpoints (default)";

fn avikit(input: (&[Arc<[u8]>], PixelFormat), threads: usize, quality: u32, out: &Path) -> f64 {
    avikit_durable(input, (threads, Durability::None), quality, out)
}

fn avikit_durable(
    input: (&[Arc<[u8]>], PixelFormat),
    threads: (usize, Durability),
    quality: u32,
    out: &Path,
) -> f64 {
    measured_recording(out, (W, H), input, threads, |writer, layout| {
        let encoder = Arc::new(MjpegEncoder::new(layout, quality).unwrap());
        writer.add_encoding_video_stream(encoder, None).unwrap()
    })
}

/// Times only OpenCV's writer, not Python's start or the loading of the frames.
const OPENCV_SCRIPT: &str = r#"
import sys, time, numpy as np, cv2
raw, out, w, h, n, q = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
frames = np.fromfile(raw, dtype=np.uint8).reshape(n, h, w, 4)
bgr = [np.ascontiguousarray(f[:, :, :3]) for f in frames]
start = time.perf_counter()
vw = cv2.VideoWriter(out, cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*'MJPG'), 30, (w, h))
vw.set(cv2.VIDEOWRITER_PROP_QUALITY, q)
for f in bgr:
    vw.write(f)
vw.release()
print(time.perf_counter() - start)
"#;

fn opencv(raw: &Path, out: &Path, frames: usize) -> f64 {
    let text = run(Command::new(python())
        .args(["-c", OPENCV_SCRIPT])
        .arg(raw)
        .arg(out)
        .args([W, H, frames, QUALITY as usize].map(|v| v.to_string())));
    text.trim().lines().last().unwrap().parse().unwrap()
}

fn ffmpeg(raw: &Path, out: &Path) -> f64 {
    let start = Instant::now();
    run(Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgra",
        ])
        .args(["-s", &format!("{W}x{H}"), "-framerate", "30", "-i"])
        .arg(raw)
        .args(["-c:v", "mjpeg", "-q:v", "4", "-pix_fmt", "yuvj420p"])
        .arg(out));
    start.elapsed().as_secs_f64()
}

/// Runs W4 and returns its rows.
pub fn measure(settings: &Settings) -> Vec<Row> {
    let count = if settings.quick { 30 } else { 300 };
    let dir = settings.dir.join("w4");
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join("frames.bgra");
    let bytes = testsrc2(W, H, count, &raw);
    let frames: Vec<Arc<[u8]>> = bytes.chunks_exact(W * H * 4).map(Arc::from).collect();
    drop(bytes);
    let camera = |pix_fmt: &str| -> Vec<Arc<[u8]>> {
        let bytes = camera_frames(&raw, (W, H), pix_fmt, &dir.join(pix_fmt));
        bytes.chunks_exact(W * H * 3 / 2).map(Arc::from).collect()
    };
    let (i420, nv12) = (camera("yuv420p"), camera("nv12"));
    let bgra = (&frames[..], PixelFormat::Bgra32);

    type Contender<'a> = (String, Box<dyn Fn(&Path) -> f64 + 'a>);
    let contenders: Vec<Contender<'_>> = vec![
        (
            "avikit MJPEG q75, 1 encoder thread".into(),
            Box::new(|out: &Path| avikit(bgra, 1, QUALITY, out)),
        ),
        (
            BGRA_TWO_THREADS.into(),
            Box::new(|out: &Path| avikit(bgra, 2, QUALITY, out)),
        ),
        (
            DURABLE.into(),
            Box::new(|out: &Path| avikit_durable(bgra, (2, Durability::Checkpoints), QUALITY, out)),
        ),
        (
            MATCHED.into(),
            Box::new(|out: &Path| avikit(bgra, 2, MATCHED_QUALITY, out)),
        ),
        (
            I420_INPUT.into(),
            Box::new(|out: &Path| avikit((&i420, PixelFormat::I420), 2, QUALITY, out)),
        ),
        (
            NV12_INPUT.into(),
            Box::new(|out: &Path| avikit((&nv12, PixelFormat::Nv12), 2, QUALITY, out)),
        ),
        (
            OPENCV.into(),
            Box::new(|out: &Path| opencv(&raw, out, count)),
        ),
        (FFMPEG.into(), Box::new(|out: &Path| ffmpeg(&raw, out))),
    ];
    let mut fps = vec![Vec::new(); contenders.len()];
    for round in 0..settings.rounds {
        eprintln!("W4 round {}/{}", round + 1, settings.rounds);
        for (i, (_, encode)) in contenders.iter().enumerate() {
            fps[i].push(count as f64 / encode(&fresh_output(dir.join(format!("out{i}.avi")))));
        }
    }
    let workload = "W4 MJPEG 1080p q75";
    let mut rows = Vec::new();
    let mut quality_rows = Vec::new();
    for (i, (name, _)) in contenders.iter().enumerate() {
        let out = dir.join(format!("out{i}.avi"));
        let camera_input = name == I420_INPUT || name == NV12_INPUT;
        let baseline = if camera_input || name == DURABLE {
            BGRA_TWO_THREADS
        } else {
            OPENCV
        };
        let mut row = Row::new(workload, name.clone(), "fps").ratio_to(baseline);
        row.samples = fps[i].clone();
        let two_threads = i == 1 || name == MATCHED;
        if two_threads {
            row = row
                .target(Target::Ratio {
                    baseline: OPENCV.into(),
                    factor: 4.0,
                })
                .target(Target::Ratio {
                    baseline: FFMPEG.into(),
                    factor: 3.0,
                });
        }
        let size = std::fs::metadata(&out).unwrap().len() as f64 / 1e6;
        if name == DURABLE {
            // The same bytes as its baseline: only the time differs.
            row.note = format!("{size:.1} MB, synced every second and at close");
            rows.push(row);
            continue;
        }
        let db = psnr(&out, &raw, (W, H));
        row.note = if camera_input {
            // Against the BGRA frames: ffmpeg's conversion into the camera format counts too.
            format!("{size:.1} MB, {db:.2} dB against the BGRA source")
        } else {
            format!("{size:.1} MB, {db:.2} dB")
        };
        rows.push(row);
        let mut size_row = Row::new("W4 file size", format!("{name}: size"), "MB")
            .lower_is_better()
            .ratio_to(&format!("{OPENCV}: size"));
        size_row.samples = vec![size];
        let mut psnr_row =
            Row::new("W4 PSNR", format!("{name}: PSNR"), "dB").ratio_to(&format!("{OPENCV}: PSNR"));
        psnr_row.samples = vec![db];
        if name == MATCHED {
            size_row = size_row.target(Target::Ratio {
                baseline: format!("{OPENCV}: size"),
                factor: 1.1,
            });
            psnr_row = psnr_row.target(Target::Ratio {
                baseline: format!("{OPENCV}: PSNR"),
                factor: 1.0,
            });
        }
        quality_rows.push(size_row);
        quality_rows.push(psnr_row);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    rows.extend(quality_rows);
    rows
}
