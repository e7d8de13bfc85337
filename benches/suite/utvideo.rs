//! W7: Ut Video 1080p, lossless. avikit's ULY0 (from I420) and ULRG (from BGRA) on 1 and 2
//! encoder threads against `ffmpeg -c:v utvideo -pred median` at the same thread count and on
//! the same frames (ffmpeg reads them from the page cache and converts BGRA to planar GBR
//! itself, as avikit does), and against `-c:v ffvhuff`; on two clips: testsrc2 and a noisy
//! camera-like clip (testsrc2 with temporal sensor noise). Rounds alternate the contenders,
//! after a warm-up round; each run starts with its input resident in memory
//! (`machine::make_resident`).
//! Then frames per CPU second (all of avikit's threads, or the ffmpeg process), file sizes
//! against FFmpeg's with the same predictor, and the capture case: 1080p60
//! BGRA in real time through timed NOWAIT writes on 2 encoder threads, with the frames dropped,
//! the file size and the begin latency.

use crate::encoding::{measured_recording_in_flight, WINDOW};
use crate::machine::{
    camera_frames, children_cpu_time, cpu_time, fresh_output, make_file_resident, make_resident,
    run, testsrc2_filtered,
};
use crate::report::{quantile, Row, Target};
use crate::Settings;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{
    BeginOptions, Durability, FrameRate, Payload, PixelAspect, Status, VideoCodec, Writer,
    WriterOptions,
};
use std::collections::VecDeque;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const W: usize = 1920;
const H: usize = 1080;
/// Both rates of the issue: avikit at least this multiple of FFmpeg's Ut Video fps, its files
/// at most this multiple of FFmpeg's size with the same predictor.
const SPEED_FACTOR: f64 = 2.5;
const SIZE_FACTOR: f64 = 1.01;
/// The noise of the camera-like clip: ffmpeg's `noise` filter, temporal and uniform, at a
/// strength like a sensor's at indoor gain.
const CAMERA_NOISE: &str = "noise=alls=12:allf=t+u";
/// The capture case: 60 fps for this long, at most this many frames queued.
const CAPTURE_RATE: FrameRate = FrameRate { num: 60, den: 1 };
const CAPTURE_QUEUE_FRAMES: u64 = 8;

/// One input of the clip: avikit's pixel format, ffmpeg's name for it and the Ut Video layout
/// both write.
#[derive(Clone, Copy)]
struct Input {
    format: PixelFormat,
    ffmpeg_in: &'static str,
    ffmpeg_out: &'static str,
    fourcc: &'static str,
}

const I420: Input = Input {
    format: PixelFormat::I420,
    ffmpeg_in: "yuv420p",
    ffmpeg_out: "yuv420p",
    fourcc: "ULY0",
};
const BGRA: Input = Input {
    format: PixelFormat::Bgra32,
    ffmpeg_in: "bgra",
    ffmpeg_out: "gbrp",
    fourcc: "ULRG",
};

fn ut_video(layout: InputLayout) -> VideoCodec {
    VideoCodec::ut_video(layout)
}

/// Seconds for avikit to record `frames` on `threads` encoder threads with `window` frames in
/// flight.
fn avikit(
    frames: &[Arc<[u8]>],
    input: Input,
    (threads, window): (usize, usize),
    out: &Path,
) -> f64 {
    measured_recording_in_flight(
        out,
        (W, H),
        (frames, input.format),
        (threads, Durability::None),
        window,
        |writer, layout| {
            writer
                .add_video(ut_video(layout), PixelAspect::SQUARE, None)
                .unwrap()
        },
    )
}

/// Seconds for ffmpeg to encode the raw `input` frames in `raw` with `codec` on `threads`.
fn ffmpeg(raw: &Path, input: Input, codec: &[&str], threads: usize, out: &Path) -> f64 {
    let start = Instant::now();
    run(Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "rawvideo"])
        .args(["-pix_fmt", input.ffmpeg_in, "-s", &format!("{W}x{H}")])
        .args(["-framerate", "30", "-i"])
        .arg(raw)
        .args(["-threads", &threads.to_string(), "-filter_threads", "1"])
        .args(codec)
        .args(["-pix_fmt", input.ffmpeg_out])
        .arg(out));
    start.elapsed().as_secs_f64()
}

const FFMPEG_UTVIDEO: &[&str] = &["-c:v", "utvideo", "-pred", "median"];
const FFMPEG_FFVHUFF: &[&str] = &["-c:v", "ffvhuff"];

fn threads_text(threads: usize) -> String {
    match threads {
        1 => "1 thread".into(),
        n => format!("{n} threads"),
    }
}

/// Contender names carry the clip: rows find their baselines by name.
fn ffmpeg_name(clip: &str, input: Input, threads: usize) -> String {
    format!(
        "{clip}: ffmpeg utvideo -pred median {}, {}",
        input.fourcc,
        threads_text(threads)
    )
}

fn avikit_name(clip: &str, input: Input, threads: usize) -> String {
    let from = if input.format == PixelFormat::I420 {
        "I420"
    } else {
        "BGRA"
    };
    format!(
        "{clip}: avikit {} from {from} on {}",
        input.fourcc,
        threads_text(threads)
    )
}

/// One encoder of a clip's frames: `encode` returns the seconds it took to write its file.
struct Contender<'a> {
    name: String,
    input: Input,
    threads: usize,
    /// Judged against FFmpeg's Ut Video at the same thread count (the targets).
    ours: bool,
    /// Brings the contender's input into memory before a timed run (see [`make_resident`]).
    warm: Box<dyn Fn() + 'a>,
    encode: Box<dyn Fn(&Path) -> f64 + 'a>,
}

/// The fps and size rows of one clip.
fn clip_rows(settings: &Settings, clip: &'static str, filter: &str, count: usize) -> Vec<Row> {
    let dir = settings.dir.join("w7");
    std::fs::create_dir_all(&dir).unwrap();
    let raw_bgra = dir.join("frames.bgra");
    // One copy of each clip in memory (the files' buffers go once chunked): the noisy clip is
    // 3.4 GB of frames.
    let bgra: Vec<Arc<[u8]>> = testsrc2_filtered(W, H, count, filter, &raw_bgra)
        .chunks_exact(W * H * 4)
        .map(Arc::from)
        .collect();
    let raw_i420 = dir.join("frames.yuv420p");
    let i420: Vec<Arc<[u8]>> = camera_frames(&raw_bgra, (W, H), "yuv420p", &raw_i420)
        .chunks_exact(W * H * 3 / 2)
        .map(Arc::from)
        .collect();
    let raw_of = |input: Input| {
        if input.format == PixelFormat::I420 {
            raw_i420.clone()
        } else {
            raw_bgra.clone()
        }
    };
    let frames_of = |input: Input| {
        if input.format == PixelFormat::I420 {
            &i420[..]
        } else {
            &bgra[..]
        }
    };

    let warm_frames =
        |input: Input| -> Box<dyn Fn()> { Box::new(move || make_resident(frames_of(input))) };
    let warm_file = |input: Input| -> Box<dyn Fn()> {
        let raw = raw_of(input);
        Box::new(move || make_file_resident(&raw))
    };
    let mut contenders: Vec<Contender<'_>> = Vec::new();
    for input in [I420, BGRA] {
        for threads in [1, 2] {
            contenders.push(Contender {
                name: avikit_name(clip, input, threads),
                input,
                threads,
                ours: true,
                warm: warm_frames(input),
                encode: Box::new(move |out| {
                    avikit(frames_of(input), input, (threads, WINDOW), out)
                }),
            });
            let raw = raw_of(input);
            contenders.push(Contender {
                name: ffmpeg_name(clip, input, threads),
                input,
                threads,
                ours: false,
                warm: warm_file(input),
                encode: Box::new(move |out| ffmpeg(&raw, input, FFMPEG_UTVIDEO, threads, out)),
            });
        }
        // A caller that waits for every write: one frame at a time, its slices on both
        // threads (shown against FFmpeg's two threads, without a target of the issue's).
        contenders.push(Contender {
            name: format!("{}, one frame at a time", avikit_name(clip, input, 2)),
            input,
            threads: 2,
            ours: false,
            warm: warm_frames(input),
            encode: Box::new(move |out| avikit(frames_of(input), input, (2, 0), out)),
        });
        let raw = raw_of(input);
        contenders.push(Contender {
            name: format!("{clip}: ffmpeg ffvhuff {}, 2 threads", input.ffmpeg_out),
            input,
            threads: 2,
            ours: false,
            warm: warm_file(input),
            encode: Box::new(move |out| ffmpeg(&raw, input, FFMPEG_FFVHUFF, 2, out)),
        });
    }
    let mut seconds = vec![Vec::new(); contenders.len()];
    // CPU seconds of the run (avikit's threads, or ffmpeg's process): steadier than the wall
    // clock on a machine that other work shares.
    let mut cpu_seconds = vec![Vec::new(); contenders.len()];
    let mut sizes_mb = vec![0.0; contenders.len()];
    // One file at a time: each run deletes the run before's file, so the page cache it writes
    // into is the memory the last run just gave back. With every contender's file kept, a run
    // took fresh pages instead, which this VM's host had reclaimed and maps again page by page
    // on first touch (the page-cache copy of a 1 GB file then took 2.5 s instead of 0.5 s,
    // depending only on the order of the runs).
    let out = dir.join("out.avi");
    // A warm-up round first, not counted (full runs only): the first run after a clip is made
    // writes into memory the host took back from the clip before (made and freed just then),
    // and ran at 0.6x of the rounds after (noisy ULY0 on one thread, 1.6 CPUs for one thread's
    // work).
    let warm_up = usize::from(!settings.quick);
    for round in 0..warm_up + settings.rounds {
        match round.checked_sub(warm_up) {
            None => eprintln!("W7 {clip} warm-up round (not counted)"),
            Some(r) => eprintln!("W7 {clip} round {}/{}", r + 1, settings.rounds),
        }
        for (i, contender) in contenders.iter().enumerate() {
            let out = fresh_output(out.clone());
            (contender.warm)();
            let cpu_before = cpu_time() + children_cpu_time();
            let secs = (contender.encode)(&out);
            let cpu = (cpu_time() + children_cpu_time() - cpu_before).as_secs_f64();
            sizes_mb[i] = std::fs::metadata(&out).unwrap().len() as f64 / 1e6;
            eprintln!(
                "  {}: {:.1} fps, {:.1} frames per CPU second",
                contender.name,
                count as f64 / secs,
                count as f64 / cpu
            );
            if round >= warm_up {
                seconds[i].push(secs);
                cpu_seconds[i].push(cpu);
            }
        }
    }
    let workload = match clip {
        "testsrc2" => "W7 Ut Video 1080p testsrc2",
        _ => "W7 Ut Video 1080p noisy camera",
    };
    let size_workload = match clip {
        "testsrc2" => "W7 file size testsrc2",
        _ => "W7 file size noisy camera",
    };
    let cpu_workload = match clip {
        "testsrc2" => "W7 per CPU second testsrc2",
        _ => "W7 per CPU second noisy camera",
    };
    let mut rows = Vec::new();
    let mut cpu_rows = Vec::new();
    let mut size_rows = Vec::new();
    for (i, contender) in contenders.iter().enumerate() {
        let (name, threads) = (&contender.name, contender.threads);
        let baseline = ffmpeg_name(clip, contender.input, threads);
        let mut row = Row::new(workload, name.clone(), "fps").ratio_to(&baseline);
        row.samples = seconds[i].iter().map(|s| count as f64 / s).collect();
        let frame_mb = frames_of(contender.input)[0].len() as f64 / 1e6;
        let size_mb = sizes_mb[i];
        row.note = format!(
            "{:.0} MB/s of input per thread, {size_mb:.1} MB",
            row.median() * frame_mb / threads as f64
        );
        let mut cpu_row = Row::new(cpu_workload, format!("{name}: per CPU second"), "frames")
            .ratio_to(&format!("{baseline}: per CPU second"));
        cpu_row.samples = cpu_seconds[i].iter().map(|s| count as f64 / s).collect();
        cpu_rows.push(cpu_row);
        let mut size_row = Row::new(size_workload, format!("{name}: size"), "MB")
            .lower_is_better()
            .ratio_to(&format!("{baseline}: size"));
        size_row.samples = vec![size_mb];
        if contender.ours {
            row = row.target(Target::Ratio {
                baseline: baseline.clone(),
                factor: SPEED_FACTOR,
            });
            size_row = size_row.target(Target::Ratio {
                baseline: format!("{baseline}: size"),
                factor: SIZE_FACTOR,
            });
        }
        rows.push(row);
        size_rows.push(size_row);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    rows.extend(cpu_rows);
    rows.extend(size_rows);
    rows
}

/// The capture case: BGRA frames begun with NOWAIT at their 60 fps capture times, each at its
/// time on the clock, for `seconds`, on a queue bounded at CAPTURE_QUEUE_FRAMES frames, with
/// the default durability (a synced checkpoint every second, on the worker).
fn capture_rows(settings: &Settings, seconds: u64) -> Vec<Row> {
    let dir = settings.dir.join("w7-capture");
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join("frames.bgra");
    // One second of distinct frames, played in a loop.
    let ring = testsrc2_filtered(W, H, 60, "null", &raw);
    let ring: Vec<Arc<[u8]>> = ring.chunks_exact(W * H * 4).map(Arc::from).collect();
    let out = dir.join("capture.avi");
    let frame_len = (W * H * 4) as u64;
    let options = WriterOptions::default()
        .with_frame_rate(CAPTURE_RATE)
        .with_encoder_threads(2)
        .with_max_queued_bytes(CAPTURE_QUEUE_FRAMES * frame_len);
    let writer = Writer::create(&out, options).unwrap();
    let layout = InputLayout::new(W as u32, H as u32, PixelFormat::Bgra32);
    let video = writer
        .add_video(ut_video(layout), PixelAspect::SQUARE, None)
        .unwrap();
    let (num, den) = (u64::from(CAPTURE_RATE.num), u64::from(CAPTURE_RATE.den));
    let period = Duration::from_nanos(1_000_000_000 * den / num);
    let frames = (seconds * num / den) as usize;
    let mut begins = Vec::with_capacity(frames);
    let mut pending = VecDeque::new();
    // Seconds into the capture of each refused frame, for the row's note.
    let mut dropped_at = Vec::new();
    let start = Instant::now();
    for n in 0..frames {
        let due = start + period * n as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let time_ns = (period * n as u32).as_nanos() as i64;
        let options = BeginOptions::keyframe(true).at(time_ns).nowait();
        let payload = Payload::shared(Arc::clone(&ring[n % ring.len()]));
        let before = Instant::now();
        let begun = video.begin_write_frame_with(options, payload, None);
        begins.push(before.elapsed().as_secs_f64() * 1e6);
        match begun {
            Ok(result) => pending.push_back(result),
            Err(e) => {
                assert_eq!(e.status(), Status::QueueFull, "{e}");
                dropped_at.push(start.elapsed().as_secs_f64());
            }
        }
        // End what is done, so the results do not pile up over a long capture.
        while pending.front().is_some_and(|r| r.is_completed()) {
            video.end_write_frame(pending.pop_front().unwrap()).unwrap();
        }
    }
    for result in pending {
        video.end_write_frame(result).unwrap();
    }
    writer.close().unwrap();
    let size_mb = std::fs::metadata(&out).unwrap().len() as f64 / 1e6;
    std::fs::remove_dir_all(&dir).unwrap();
    let name = format!("avikit ULRG from BGRA, 1080p60 NOWAIT capture for {seconds} s, 2 threads");
    let mut drops = Row::new("W7 capture", format!("{name}: frames dropped"), "frames")
        .lower_is_better()
        .target(Target::Value(0.0));
    drops.samples = vec![dropped_at.len() as f64];
    drops.note = format!("of {frames}; {size_mb:.0} MB file");
    if !dropped_at.is_empty() {
        let times: Vec<String> = dropped_at.iter().map(|t| format!("{t:.2}")).collect();
        drops.note += &format!("; dropped at {} s", times.join(", "));
    }
    begins.sort_by(f64::total_cmp);
    let mut p99 = Row::new("W7 capture", format!("{name}: begin p99"), "us").lower_is_better();
    p99.samples = vec![quantile(&begins, 0.99)];
    p99.note = format!(
        "p50 {:.1} us, max {:.0} us",
        quantile(&begins, 0.5),
        quantile(&begins, 1.0)
    );
    vec![drops, p99]
}

/// Runs W7 and returns its rows.
pub fn measure(settings: &Settings) -> Vec<Row> {
    let count = if settings.quick { 20 } else { 300 };
    let mut rows = clip_rows(settings, "testsrc2", "null", count);
    rows.extend(clip_rows(settings, "noisy camera", CAMERA_NOISE, count));
    rows.extend(capture_rows(settings, if settings.quick { 2 } else { 60 }));
    rows
}
