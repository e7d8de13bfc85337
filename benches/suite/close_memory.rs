//! W5: how long close takes with a million index entries (idx1 on), what the index costs in
//! memory per chunk, and resident memory over a 10 GB recording of 1080p frames.

use crate::machine::{live_heap_bytes, status_kib};
use crate::report::{Row, Target};
use crate::Settings;
use avikit::{Payload, VideoFormat, Writer, WriterOptions};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const TINY: [u8; 64] = [7; 64];

fn video(writer: &Writer, width: u32, height: u32) -> avikit::VideoStream {
    writer
        .add_video_stream(VideoFormat::dib(width, height, 32), None)
        .unwrap()
}

/// Writes `chunks` 64-byte frames; returns (close seconds, heap bytes held per chunk just
/// before close: the index, with whatever spare capacity its vectors have).
fn million_entries(out: &Path, chunks: usize) -> (f64, f64) {
    let writer = Writer::create(out, WriterOptions::default()).unwrap();
    let stream = video(&writer, 4, 4);
    let before = live_heap_bytes();
    let mut pending = VecDeque::with_capacity(65);
    for _ in 0..chunks {
        // SAFETY: TINY is a static.
        let payload = unsafe { Payload::borrowed(TINY.as_ptr(), TINY.len()) };
        pending.push_back(stream.begin_write_frame(true, payload, None).unwrap());
        if pending.len() > 64 {
            stream
                .end_write_frame(pending.pop_front().unwrap())
                .unwrap();
        }
    }
    for result in pending {
        stream.end_write_frame(result).unwrap();
    }
    let gained = (live_heap_bytes() - before) as f64 / chunks as f64;
    let start = Instant::now();
    writer.close().unwrap();
    (start.elapsed().as_secs_f64(), gained)
}

/// Writes `bytes` of 1080p frames; returns resident MiB after the first tenth, at the end, and
/// the highest seen on the way (sampled every 16 frames).
fn long_recording(out: &Path, bytes: u64) -> (f64, f64, f64) {
    const W: usize = 1920;
    const H: usize = 1080;
    let ring: Vec<Arc<[u8]>> = (0..8u8)
        .map(|n| Arc::from(vec![n.wrapping_mul(31); W * H * 4]))
        .collect();
    let frames = (bytes / (W * H * 4) as u64) as usize;
    let writer = Writer::create(out, WriterOptions::default()).unwrap();
    let stream = video(&writer, W as u32, H as u32);
    let mut pending = VecDeque::with_capacity(9);
    let mut early = 0.0;
    let mut peak = 0.0f64;
    for n in 0..frames {
        let payload = Payload::shared(Arc::clone(&ring[n % ring.len()]));
        pending.push_back(stream.begin_write_frame(true, payload, None).unwrap());
        if pending.len() > 8 {
            stream
                .end_write_frame(pending.pop_front().unwrap())
                .unwrap();
        }
        if n % 16 == 0 {
            let now = status_kib("VmRSS") as f64 / 1024.0;
            peak = peak.max(now);
            if n / 16 == frames / 160 {
                early = now;
            }
        }
    }
    for result in pending {
        stream.end_write_frame(result).unwrap();
    }
    let late = status_kib("VmRSS") as f64 / 1024.0;
    writer.close().unwrap();
    (early, late, peak.max(late))
}

/// Runs W5 and returns its rows.
pub fn measure(settings: &Settings) -> Vec<Row> {
    let chunks = if settings.quick { 100_000 } else { 1_000_000 };
    let bytes: u64 = if settings.quick {
        1_000_000_000
    } else {
        10_000_000_000
    };
    std::fs::create_dir_all(&settings.dir).unwrap();
    let out = settings.dir.join("w5.avi");
    let mut close = Row::new(
        "W5 close",
        format!("close with {chunks} index entries"),
        "s",
    )
    .lower_is_better()
    .target(Target::Value(0.2));
    let mut memory = Row::new("W5 index memory", "heap bytes per indexed chunk", "B")
        .lower_is_better()
        .target(Target::Value(16.0));
    for round in 0..settings.rounds {
        eprintln!("W5 close round {}/{}", round + 1, settings.rounds);
        let (secs, per_chunk) = million_entries(&out, chunks);
        close.samples.push(secs);
        memory.samples.push(per_chunk);
        std::fs::remove_file(&out).unwrap();
    }
    eprintln!("W5 recording {} GB", bytes / 1_000_000_000);
    let (early, late, peak) = long_recording(&out, bytes);
    std::fs::remove_file(&out).unwrap();
    let mut growth = Row::new(
        "W5 RSS over a long recording",
        format!(
            "RSS growth, {} GB of 1080p after the first tenth",
            bytes / 1_000_000_000
        ),
        "MiB",
    )
    .lower_is_better()
    .target(Target::Value(4.0));
    growth.samples = vec![late - early];
    growth.note =
        format!("RSS {early:.0} -> {late:.0} MiB, peak {peak:.0} MiB (8 frames in flight)");
    vec![close, memory, growth]
}
