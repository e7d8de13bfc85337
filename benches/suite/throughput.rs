//! W1 (uncompressed 1080p throughput) and W3 (how long begin keeps the caller while the disk is
//! saturated): avikit sync and async against plain write() loops of the same bytes and against
//! `ffmpeg -c:v rawvideo`, alternating round by round. Those runs leave writes to the OS (page
//! cache to page cache); avikit with durable checkpoints (the default: synced every second and
//! at close) runs against its own run without, and a write() loop that syncs as often shows what
//! the disk itself costs.

use crate::machine::{run, settle};
use crate::report::{quantile, Row, Target};
use crate::Settings;
use avikit::{
    BeginOptions, Durability, FrameRate, Payload, Status, VideoFormat, Writer, WriterOptions,
};
use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

const W: usize = 1920;
const H: usize = 1080;
const FRAME: usize = W * H * 4;
/// Distinct frames cycled through: the bytes differ from frame to frame without holding 5 GB.
const RING: usize = 16;
/// Frames in flight in the async runs (begin, then end the oldest once more are queued).
const WINDOW: usize = 8;
const RAW_CHUNKS: [(usize, &str); 3] = [
    (32 * 1024, "write() loop, 32 KiB writes"),
    (1024 * 1024, "write() loop, 1 MiB writes"),
    (8 * 1024 * 1024, "write() loop, 8 MiB writes"),
];
const BEST_RAW: &str = "write() loop, best chunk size";
/// Chunk size of the loop that syncs: the fastest of RAW_CHUNKS on this machine.
const SYNCED_RAW_CHUNK: usize = 8 * 1024 * 1024;
const SYNCED_RAW: &str = "write() loop, 8 MiB writes, fdatasync every second and at close";
/// How often the syncing loop syncs: avikit's default checkpoint interval.
const SYNC_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
const FFMPEG: &str = "ffmpeg -c:v rawvideo (input in page cache)";
const SYNC: &str = "avikit sync write_frame";
const ASYNC: &str = "avikit async, window 8";
const ASYNC_BOUNDED: &str = "avikit async, max_queued_bytes 4 frames";
const SYNC_DURABLE: &str = "avikit sync write_frame, durable checkpoints (default)";
const ASYNC_DURABLE: &str = "avikit async, window 8, durable checkpoints (default)";
const NOWAIT: &str = "avikit timed + NOWAIT, max_queued_bytes 4 frames";
/// Capture times of the timed run: 30 fps.
const PERIOD_NS: i64 = 33_333_333;

fn ring() -> Vec<Arc<[u8]>> {
    (0..RING)
        .map(|n| {
            let mut frame = vec![0u8; FRAME];
            for (i, px) in frame.chunks_exact_mut(4).enumerate() {
                let v = (i / W + i % W + n * 37) as u8;
                px.copy_from_slice(&[v, v.wrapping_mul(3), v ^ 0x5a, 255]);
            }
            Arc::from(frame)
        })
        .collect()
}

fn seconds_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

fn raw_write(out: &Path, ring: &[Arc<[u8]>], frames: usize, chunk: usize) -> f64 {
    let start = Instant::now();
    let mut file = std::fs::File::create(out).unwrap();
    for n in 0..frames {
        for piece in ring[n % RING].chunks(chunk) {
            file.write_all(piece).unwrap();
        }
    }
    drop(file);
    seconds_since(start)
}

/// The write() loop of `chunk`-byte writes with an fdatasync every SYNC_INTERVAL and at the end.
fn raw_write_synced(out: &Path, ring: &[Arc<[u8]>], frames: usize, chunk: usize) -> f64 {
    let start = Instant::now();
    let mut file = std::fs::File::create(out).unwrap();
    let mut synced = Instant::now();
    for n in 0..frames {
        for piece in ring[n % RING].chunks(chunk) {
            file.write_all(piece).unwrap();
        }
        if synced.elapsed() >= SYNC_INTERVAL {
            file.sync_data().unwrap();
            synced = Instant::now();
        }
    }
    file.sync_data().unwrap();
    drop(file);
    seconds_since(start)
}

fn dib_writer(
    out: &Path,
    max_queued_bytes: u64,
    durability: Durability,
) -> (Writer, avikit::VideoStream) {
    let options = WriterOptions::default()
        .with_frame_rate(FrameRate::new(30, 1).unwrap())
        .with_max_queued_bytes(max_queued_bytes)
        .with_durability(durability);
    let writer = Writer::create(out, options).unwrap();
    let format = VideoFormat::dib(W as u32, H as u32, 32);
    let video = writer.add_video_stream(format, None).unwrap();
    (writer, video)
}

fn avikit_sync(out: &Path, ring: &[Arc<[u8]>], frames: usize, durability: Durability) -> f64 {
    let start = Instant::now();
    let (writer, video) = dib_writer(out, 0, durability);
    for n in 0..frames {
        video.write_frame(true, &ring[n % RING]).unwrap();
    }
    writer.close().unwrap();
    seconds_since(start)
}

/// Returns the elapsed seconds and the duration of every begin call in microseconds.
fn avikit_async(
    out: &Path,
    ring: &[Arc<[u8]>],
    frames: usize,
    (max_queued_bytes, window): (u64, usize),
    durability: Durability,
) -> (f64, Vec<f64>) {
    let mut begins = Vec::with_capacity(frames);
    let start = Instant::now();
    let (writer, video) = dib_writer(out, max_queued_bytes, durability);
    let mut pending = VecDeque::with_capacity(window + 1);
    for n in 0..frames {
        let payload = Payload::shared(Arc::clone(&ring[n % RING]));
        let before = Instant::now();
        let result = video.begin_write_frame(true, payload, None).unwrap();
        begins.push(before.elapsed().as_secs_f64() * 1e6);
        pending.push_back(result);
        if pending.len() > window {
            video.end_write_frame(pending.pop_front().unwrap()).unwrap();
        }
    }
    for result in pending {
        video.end_write_frame(result).unwrap();
    }
    writer.close().unwrap();
    (seconds_since(start), begins)
}

/// A game loop that never waits: timed begins with NOWAIT, as fast as it can, on a queue
/// bounded at 4 frames, ending nothing until the end. Returns the duration of every begin in
/// microseconds, accepted or answered QueueFull, and how many were accepted.
fn avikit_nowait(out: &Path, ring: &[Arc<[u8]>], frames: usize) -> (Vec<f64>, usize) {
    let mut begins = Vec::with_capacity(frames);
    let (writer, video) = dib_writer(out, 4 * FRAME as u64, Durability::None);
    let mut pending = Vec::with_capacity(frames);
    for n in 0..frames {
        let payload = Payload::shared(Arc::clone(&ring[n % RING]));
        let options = BeginOptions::keyframe(true)
            .at(n as i64 * PERIOD_NS)
            .nowait();
        let before = Instant::now();
        let begun = video.begin_write_frame_with(options, payload, None);
        begins.push(before.elapsed().as_secs_f64() * 1e6);
        match begun {
            Ok(result) => pending.push(result),
            Err(e) => assert_eq!(e.status(), Status::QueueFull, "{e}"),
        }
    }
    let accepted = pending.len();
    for result in pending {
        video.end_write_frame(result).unwrap();
    }
    writer.close().unwrap();
    (begins, accepted)
}

fn ffmpeg(input: &Path, out: &Path, frames: usize) -> f64 {
    let start = Instant::now();
    run(Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgra",
        ])
        .args(["-s", &format!("{W}x{H}"), "-framerate", "30"])
        .args(["-stream_loop", "-1", "-i"])
        .arg(input)
        .args(["-frames:v", &frames.to_string(), "-c:v", "rawvideo"])
        .arg(out));
    seconds_since(start)
}

/// Latency rows (p50, p99, max of begin) from the per-round lists.
fn latency_rows(name: &str, rounds: &[Vec<f64>], targets: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for (label, q, limit) in [
        ("p50", 0.5, None),
        ("p99", 0.99, Some(10.0)),
        ("max", 1.0, Some(1000.0)),
    ] {
        let mut row =
            Row::new("W3 begin latency", format!("{name}: {label}"), "us").lower_is_better();
        for round in rounds {
            let mut sorted = round.clone();
            sorted.sort_by(f64::total_cmp);
            row.samples.push(quantile(&sorted, q));
        }
        if let (true, Some(limit)) = (targets, limit) {
            row = row.target(Target::Value(limit));
        }
        rows.push(row);
    }
    rows
}

/// Runs W1 and W3 and returns their rows.
pub fn measure(settings: &Settings) -> Vec<Row> {
    let frames = if settings.quick { 60 } else { 600 };
    let dir = settings.dir.join("w1");
    std::fs::create_dir_all(&dir).unwrap();
    let ring = ring();
    let input = dir.join("ring.bgra");
    std::fs::write(&input, ring.concat()).unwrap();
    let out = dir.join("out.avi");
    let mb = (frames * FRAME) as f64 / 1e6;

    let mut raw = vec![Vec::new(); RAW_CHUNKS.len()];
    let (mut sync, mut asynchronous, mut bounded, mut ff) = (vec![], vec![], vec![], vec![]);
    let (mut free_begins, mut bounded_begins, mut nowait_begins) = (vec![], vec![], vec![]);
    let (mut synced_raw, mut sync_durable, mut async_durable) = (vec![], vec![], vec![]);
    let mut durable_begins = vec![];
    let mut accepted = vec![];
    // Runs of a round: the raw loops, then avikit sync, async, async bounded, timed NOWAIT, the
    // syncing loop, avikit sync and async durable, and ffmpeg.
    const SYNC_RUN: usize = RAW_CHUNKS.len();
    const ASYNC_RUN: usize = SYNC_RUN + 1;
    const BOUNDED_RUN: usize = SYNC_RUN + 2;
    const NOWAIT_RUN: usize = SYNC_RUN + 3;
    const SYNCED_RAW_RUN: usize = SYNC_RUN + 4;
    const SYNC_DURABLE_RUN: usize = SYNC_RUN + 5;
    const ASYNC_DURABLE_RUN: usize = SYNC_RUN + 6;
    const RUNS: usize = SYNC_RUN + 8;
    for round in 0..settings.rounds {
        eprintln!("W1/W3 round {}/{}", round + 1, settings.rounds);
        // Each round starts at another contender, so none always runs right after the same
        // one; every run starts with no dirty pages anywhere (its file deleted, then sync), so
        // no run pays for the write-back of another.
        for run in (0..RUNS).map(|k| (k + round) % RUNS) {
            settle();
            match run {
                i if i < RAW_CHUNKS.len() => {
                    raw[i].push(mb / raw_write(&out, &ring, frames, RAW_CHUNKS[i].0));
                }
                SYNC_RUN => sync.push(mb / avikit_sync(&out, &ring, frames, Durability::None)),
                ASYNC_RUN => {
                    let (secs, begins) =
                        avikit_async(&out, &ring, frames, (0, WINDOW), Durability::None);
                    asynchronous.push(mb / secs);
                    free_begins.push(begins);
                }
                BOUNDED_RUN => {
                    let bound = (4 * FRAME as u64, frames);
                    let (secs, begins) = avikit_async(&out, &ring, frames, bound, Durability::None);
                    bounded.push(mb / secs);
                    bounded_begins.push(begins);
                }
                SYNCED_RAW_RUN => {
                    synced_raw.push(mb / raw_write_synced(&out, &ring, frames, SYNCED_RAW_CHUNK));
                }
                SYNC_DURABLE_RUN => {
                    let secs = avikit_sync(&out, &ring, frames, Durability::Checkpoints);
                    sync_durable.push(mb / secs);
                }
                ASYNC_DURABLE_RUN => {
                    let (secs, begins) =
                        avikit_async(&out, &ring, frames, (0, WINDOW), Durability::Checkpoints);
                    async_durable.push(mb / secs);
                    durable_begins.push(begins);
                }
                NOWAIT_RUN => {
                    let (begins, taken) = avikit_nowait(&out, &ring, frames);
                    nowait_begins.push(begins);
                    accepted.push(taken as f64);
                }
                _ => ff.push(mb / ffmpeg(&input, &out, frames)),
            }
            std::fs::remove_file(&out).unwrap();
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();

    let workload = "W1 1080p BGRA throughput";
    let mut rows: Vec<Row> = RAW_CHUNKS
        .iter()
        .zip(raw)
        .map(|((_, name), samples)| Row {
            samples,
            ..Row::new(workload, *name, "MB/s")
        })
        .collect();
    // The physical limit: in each round, the fastest of the three loops.
    let best_samples: Vec<f64> = (0..settings.rounds)
        .map(|round| rows.iter().map(|r| r.samples[round]).fold(0.0, f64::max))
        .collect();
    let best_row = Row {
        samples: best_samples,
        note: "per round, the fastest of the three loops".into(),
        ..Row::new(workload, BEST_RAW, "MB/s")
    };
    rows.push(best_row);
    rows.push(Row {
        samples: ff,
        ..Row::new(workload, FFMPEG, "MB/s").ratio_to(BEST_RAW)
    });
    for (name, samples) in [
        (SYNC, sync),
        (ASYNC, asynchronous),
        (ASYNC_BOUNDED, bounded),
    ] {
        let mut row = Row::new(workload, name, "MB/s").ratio_to(BEST_RAW);
        row.samples = samples;
        if name != ASYNC_BOUNDED {
            row = row
                .target(Target::Ratio {
                    baseline: BEST_RAW.into(),
                    factor: 0.95,
                })
                .target(Target::Ratio {
                    baseline: FFMPEG.into(),
                    factor: 1.2,
                });
        }
        rows.push(row);
    }
    rows.push(Row {
        samples: synced_raw,
        note: "what syncing as often as avikit's checkpoints costs the disk itself".into(),
        ..Row::new(workload, SYNCED_RAW, "MB/s").ratio_to(BEST_RAW)
    });
    for (name, baseline, samples) in [
        (SYNC_DURABLE, SYNC, sync_durable),
        (ASYNC_DURABLE, ASYNC, async_durable),
    ] {
        rows.push(Row {
            samples,
            note: "ratio: against the same writer without durability".into(),
            ..Row::new(workload, name, "MB/s").ratio_to(baseline)
        });
    }
    rows.extend(latency_rows(ASYNC, &free_begins, true));
    rows.extend(latency_rows(ASYNC_DURABLE, &durable_begins, true));
    let mut bounded_rows = latency_rows(ASYNC_BOUNDED, &bounded_begins, false);
    for row in &mut bounded_rows {
        row.note = "begin waits for room by design: the disk's pace".into();
    }
    rows.extend(bounded_rows);
    let mut nowait_rows = latency_rows(NOWAIT, &nowait_begins, true);
    let (taken, _, _) = crate::report::summary(&accepted);
    for row in &mut nowait_rows {
        row.note = format!(
            "never waits for the disk: {taken:.0} of {frames} frames accepted, the rest \
             answered QueueFull (their slots become empty frames)"
        );
    }
    rows.extend(nowait_rows);
    rows
}
