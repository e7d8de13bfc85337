//! P9: many writers at once. 16 writers each record MJPEG 720p from their own thread, against
//! one writer alone: the aggregate frame rate, and how many threads the process runs while
//! the 16 are open (every writer has a worker; encoder threads are what P9 is about).

use crate::encoding::write_windowed;
use crate::machine::testsrc2;
use crate::report::{Row, Target};
use crate::Settings;
use avikit::codec::mjpeg::MjpegEncoder;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{Durability, VideoStream, Writer, WriterOptions};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Instant;

const W: usize = 1280;
const H: usize = 720;
const WRITERS: usize = 16;
const QUALITY: u32 = 75;
/// Frames in flight per writer (begin, then end the oldest).
const WINDOW: usize = 4;
const ONE: &str = "1 writer";
const MANY: &str = "16 writers at once, aggregate";

fn open(out: &Path) -> (Writer, VideoStream) {
    // Page cache to page cache: W1 and W4 measure what durability costs.
    let options = WriterOptions::default().with_durability(Durability::None);
    let writer = Writer::create(out, options).unwrap();
    let layout = InputLayout::new(W as u32, H as u32, PixelFormat::Bgra32);
    let encoder = Arc::new(MjpegEncoder::new(layout, QUALITY).unwrap());
    let video = writer.add_encoding_video_stream(encoder, None).unwrap();
    (writer, video)
}

fn record(writer: Writer, video: &VideoStream, frames: &[Arc<[u8]>]) {
    write_windowed(video, frames, WINDOW);
    writer.close().unwrap();
}

/// Threads of this process now.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

/// One writer alone: frames per second.
fn one_writer(dir: &Path, frames: &[Arc<[u8]>]) -> f64 {
    let out = dir.join("p9-one.avi");
    let start = Instant::now();
    let (writer, video) = open(&out);
    record(writer, &video, frames);
    let fps = frames.len() as f64 / start.elapsed().as_secs_f64();
    std::fs::remove_file(out).unwrap();
    fps
}

/// 16 writers, each on its own thread, started together: aggregate frames per second, and the
/// process's threads once all of them are open.
fn many_writers(dir: &Path, frames: &[Arc<[u8]>]) -> (f64, usize) {
    let opened: Vec<(Writer, VideoStream)> = (0..WRITERS)
        .map(|i| open(&dir.join(format!("p9-{i}.avi"))))
        .collect();
    let threads = threads();
    let go = Arc::new(Barrier::new(WRITERS + 1));
    let start_and_join = {
        let recorders: Vec<_> = opened
            .into_iter()
            .map(|(writer, video)| {
                let go = Arc::clone(&go);
                let frames = frames.to_vec();
                std::thread::spawn(move || {
                    go.wait();
                    record(writer, &video, &frames);
                })
            })
            .collect();
        go.wait();
        let start = Instant::now();
        for recorder in recorders {
            recorder.join().unwrap();
        }
        start.elapsed().as_secs_f64()
    };
    for i in 0..WRITERS {
        std::fs::remove_file(dir.join(format!("p9-{i}.avi"))).unwrap();
    }
    ((WRITERS * frames.len()) as f64 / start_and_join, threads)
}

/// Runs P9 and returns its rows.
pub fn measure(settings: &Settings) -> Vec<Row> {
    let count = if settings.quick { 10 } else { 40 };
    let dir = settings.dir.join("p9");
    std::fs::create_dir_all(&dir).unwrap();
    let raw = testsrc2(W, H, count, &dir.join("frames.bgra"));
    let frames: Vec<Arc<[u8]>> = raw.chunks_exact(W * H * 4).map(Arc::from).collect();
    let (mut one, mut many, mut thread_counts) = (vec![], vec![], vec![]);
    for round in 0..settings.rounds {
        eprintln!("P9 round {}/{}", round + 1, settings.rounds);
        // Alternate which runs first, so neither always inherits a warm or a busy machine.
        if round % 2 == 0 {
            one.push(one_writer(&dir, &frames));
        }
        let (fps, threads) = many_writers(&dir, &frames);
        many.push(fps);
        thread_counts.push(threads as f64);
        if round % 2 == 1 {
            one.push(one_writer(&dir, &frames));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    let workload = "P9 MJPEG 720p, many writers";
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    vec![
        Row {
            samples: one,
            ..Row::new(workload, ONE, "fps")
        },
        Row {
            samples: many,
            note: "the machine's encoding capacity, shared".into(),
            ..Row::new(workload, MANY, "fps")
                .ratio_to(ONE)
                .target(Target::Ratio {
                    baseline: ONE.into(),
                    factor: 0.9,
                })
        },
        Row {
            samples: thread_counts,
            note: format!(
                "with 16 writers open: a worker each, the caller, and the encoder threads \
                 ({cpus} CPUs)"
            ),
            ..Row::new(workload, "threads of the process", "threads")
                .lower_is_better()
                .target(Target::Value((WRITERS + 1 + cpus + 2) as f64))
        },
    ]
}
