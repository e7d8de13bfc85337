//! W2: what one operation costs when the payload is tiny (64-byte frames), through the Rust API
//! and through the C ABI: synchronous writes, the double-buffer pattern (begin frame n, then end
//! frame n-1) and a window of 64 operations in flight.

use crate::machine::{allocations, cpu_time};
use crate::report::{summary, Row, Target};
use crate::Settings;
use avikit::ffi::*;
use avikit::{Payload, VideoFormat, Writer, WriterOptions};
use std::collections::VecDeque;
use std::ffi::CString;
use std::path::Path;
use std::ptr::{null, null_mut};
use std::time::Instant;

/// A 4x4 32-bit DIB: 64 bytes.
const SIDE: u32 = 4;
const FRAME: [u8; 64] = [0x5a; 64];

/// Capture times of timed writes: one frame period (30 fps) apart, so every write takes the
/// next slot and the rows compare the cost of placing it, not of writing empty frames.
const PERIOD_NS: i64 = 33_333_333;

#[derive(Clone, Copy)]
enum Pattern {
    Sync,
    DoubleBuffer,
    Window(usize),
    /// A window of timed writes.
    TimedWindow(usize),
}

impl Pattern {
    fn in_flight(self) -> usize {
        match self {
            Pattern::Sync => 0,
            Pattern::DoubleBuffer => 1,
            Pattern::Window(n) | Pattern::TimedWindow(n) => n,
        }
    }

    fn time_of(self, op: usize) -> Option<i64> {
        match self {
            Pattern::TimedWindow(_) => Some(op as i64 * PERIOD_NS),
            Pattern::Sync | Pattern::DoubleBuffer | Pattern::Window(_) => None,
        }
    }
}

/// One run: operations per second, CPU microseconds and allocations per operation (all
/// threads). The clock runs from the first begin to the last end; creating and closing the file
/// are W5's business.
type Measured = (f64, f64, f64);

/// Where a run's measurement starts.
struct Start {
    at: Instant,
    cpu: std::time::Duration,
    allocations: u64,
}

fn start() -> Start {
    Start {
        at: Instant::now(),
        cpu: cpu_time(),
        allocations: allocations(),
    }
}

fn finish(ops: usize, start: Start) -> Measured {
    let secs = start.at.elapsed().as_secs_f64();
    let cpu_us = (cpu_time() - start.cpu).as_secs_f64() * 1e6;
    let allocs = (allocations() - start.allocations) as f64;
    let ops = ops as f64;
    (ops / secs, cpu_us / ops, allocs / ops)
}

fn rust_api(out: &Path, ops: usize, pattern: Pattern) -> Measured {
    let writer = Writer::create(out, WriterOptions::default()).unwrap();
    let format = VideoFormat::dib(SIDE, SIDE, 32);
    let video = writer.add_video_stream(format, None).unwrap();
    let started = start();
    if let Pattern::Sync = pattern {
        for _ in 0..ops {
            video.write_frame(true, &FRAME).unwrap();
        }
    } else {
        let mut pending = VecDeque::with_capacity(pattern.in_flight() + 1);
        for op in 0..ops {
            // SAFETY: FRAME is a static that lives for the whole program.
            let payload = unsafe { Payload::borrowed(FRAME.as_ptr(), FRAME.len()) };
            let result = match pattern.time_of(op) {
                Some(time_ns) => video.begin_write_frame_at(true, time_ns, payload, None),
                None => video.begin_write_frame(true, payload, None),
            };
            pending.push_back(result.unwrap());
            if pending.len() > pattern.in_flight() {
                video.end_write_frame(pending.pop_front().unwrap()).unwrap();
            }
        }
        for result in pending {
            video.end_write_frame(result).unwrap();
        }
    }
    let measured = finish(ops, started);
    writer.close().unwrap();
    measured
}

fn ok(status: avk_status) {
    assert_eq!(status, AVK_OK, "C ABI call failed");
}

fn c_abi(out: &Path, ops: usize, pattern: Pattern) -> Measured {
    let path = CString::new(out.to_str().unwrap()).unwrap();
    let mut writer = null_mut();
    let mut video = null_mut();
    // SAFETY: valid pointers throughout; every handle is used before the writer is closed.
    unsafe {
        ok(avk_writer_create(path.as_ptr(), null(), &mut writer));
        let mut options = std::mem::zeroed::<avk_video_stream_options>();
        avk_video_stream_options_init(&mut options);
        options.width = SIDE;
        options.height = SIDE;
        options.bits_per_pixel = 32;
        ok(avk_writer_add_video_stream(writer, &options, &mut video));
    }
    let started = start();
    // SAFETY: FRAME is static; results are ended exactly once, before close.
    unsafe {
        if let Pattern::Sync = pattern {
            for _ in 0..ops {
                ok(avk_video_stream_write_frame(
                    video,
                    AVK_FRAME_KEYFRAME,
                    FRAME.as_ptr(),
                    FRAME.len(),
                ));
            }
        } else {
            let mut pending = VecDeque::with_capacity(pattern.in_flight() + 1);
            for op in 0..ops {
                let mut result = null_mut();
                ok(match pattern.time_of(op) {
                    Some(time_ns) => avk_video_stream_begin_write_frame_at(
                        video,
                        AVK_FRAME_KEYFRAME,
                        time_ns,
                        FRAME.as_ptr(),
                        FRAME.len(),
                        None,
                        null_mut(),
                        &mut result,
                    ),
                    None => avk_video_stream_begin_write_frame(
                        video,
                        AVK_FRAME_KEYFRAME,
                        FRAME.as_ptr(),
                        FRAME.len(),
                        None,
                        null_mut(),
                        &mut result,
                    ),
                });
                pending.push_back(result);
                if pending.len() > pattern.in_flight() {
                    ok(avk_video_stream_end_write_frame(
                        video,
                        pending.pop_front().unwrap(),
                    ));
                }
            }
            for result in pending {
                ok(avk_video_stream_end_write_frame(video, result));
            }
        }
    }
    let measured = finish(ops, started);
    // SAFETY: the writer handle is live and closed once.
    unsafe { ok(avk_writer_close(writer)) };
    measured
}

const TIMED_RUST: &str = "Rust API window 64, timed";
const TIMED_C: &str = "C ABI window 64, timed";

fn timed_baseline(name: &str) -> Option<&'static str> {
    match name {
        TIMED_RUST => Some("Rust API window 64"),
        TIMED_C => Some("C ABI window 64"),
        _ => None,
    }
}

/// Runs W2 and returns its rows.
pub fn measure(settings: &Settings) -> Vec<Row> {
    let ops = if settings.quick { 20_000 } else { 200_000 };
    std::fs::create_dir_all(&settings.dir).unwrap();
    let out = settings.dir.join("w2.avi");
    type Runner = fn(&Path, usize, Pattern) -> Measured;
    let contenders: [(&str, Runner, Pattern, Option<f64>); 8] = [
        ("Rust API sync write_frame", rust_api, Pattern::Sync, None),
        (
            "Rust API double buffer",
            rust_api,
            Pattern::DoubleBuffer,
            Some(1e5),
        ),
        (
            "Rust API window 64",
            rust_api,
            Pattern::Window(64),
            Some(1e6),
        ),
        ("C ABI sync write_frame", c_abi, Pattern::Sync, None),
        (
            "C ABI double buffer",
            c_abi,
            Pattern::DoubleBuffer,
            Some(1e5),
        ),
        ("C ABI window 64", c_abi, Pattern::Window(64), Some(1e6)),
        (TIMED_RUST, rust_api, Pattern::TimedWindow(64), Some(1e6)),
        (TIMED_C, c_abi, Pattern::TimedWindow(64), Some(1e6)),
    ];
    let mut rates = vec![Vec::new(); contenders.len()];
    let mut cpu = vec![Vec::new(); contenders.len()];
    let mut allocs = vec![Vec::new(); contenders.len()];
    for round in 0..settings.rounds {
        eprintln!("W2 round {}/{}", round + 1, settings.rounds);
        for (i, (_, runner, pattern, _)) in contenders.iter().enumerate() {
            let (rate, cpu_us, allocations) = runner(&out, ops, *pattern);
            rates[i].push(rate);
            cpu[i].push(cpu_us);
            allocs[i].push(allocations);
            std::fs::remove_file(&out).unwrap();
        }
    }
    let mut rows = Vec::new();
    for (i, (name, _, _, target)) in contenders.iter().enumerate() {
        let mut row = Row::new("W2 64-byte frames", *name, "ops/s");
        row.samples = rates[i].clone();
        // A timed begin against the same window untimed: what placing by time costs.
        if let Some(untimed) = timed_baseline(name) {
            row = row.ratio_to(untimed).target(Target::Ratio {
                baseline: untimed.into(),
                factor: 0.8,
            });
        }
        if let Some(t) = target {
            row = row.target(Target::Value(*t));
        }
        let (cpu_median, _, _) = summary(&cpu[i]);
        let (allocs_median, _, _) = summary(&allocs[i]);
        row.note =
            format!("CPU {cpu_median:.2} us/op, {allocs_median:.3} allocations/op (all threads)");
        rows.push(row);
    }
    rows
}
