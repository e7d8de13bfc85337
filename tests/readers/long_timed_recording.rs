//! A long capture with gaps, as players meet it: 3,000 numbered gray frames timed at 30 fps with
//! dropped-frame gaps of 1 to 4 slots and two camera stalls of three seconds bridged by
//! `skip_frames(1)` on every tick, timed PCM with two stretches of lost audio, a checkpoint
//! after every frame, across dozens of RIFF segments. Every reader of
//! tests/tools/timing_check.py (ffmpeg, ffprobe, PyAV, OpenCV, mediainfo, GStreamer, VLC,
//! MPlayer) must show each frame at its slot and the stream's full length, and the audio must
//! decode to exactly the blocks and the silence planned.

use crate::common::content::pcm_block;
use crate::common::ffmpeg::ffmpeg_decode;
use crate::common::numbered::numbered_bgra;
use crate::common::odml::assert_one_index_per_segment;
use crate::common::riff::stream_chunk_sizes;
use crate::common::rng::TestRng;
use crate::common::scratch::Scratch;
use crate::common::tools::{allowances, timing_check, timing_slots_json};
use avikit::{FourCc, FrameRate, PcmFormat, VideoFormat, Writer, WriterOptions};

const W: usize = 64;
const H: usize = 48;
const FRAMES: usize = 3000;
/// 1/30 s of 44.1 kHz audio: one block per frame tick.
const BLOCK_SAMPLES: u64 = 1470;
const BLOCK_BYTES: usize = BLOCK_SAMPLES as usize * 4;
/// Small segments: about thirty RIFFs, the stalls' empty frames crossing their boundaries.
const RIFF_LIMIT: u64 = 1 << 20;
/// Before these frames the camera stalls for this many ticks.
const STALLS: [(usize, u64); 2] = [(1000, 90), (2000, 90)];
/// Audio of these ticks is never captured: silence fills it.
const LOST_AUDIO: [std::ops::Range<u64>; 2] = [500..530, 2500..2520];
/// Any clock: time zero is the first timed write.
const CLOCK_BASE_NS: i64 = 7_000_000_000_000;

/// Empty slots before frame `n` that its capture time leaves: every 97th frame comes late.
fn gap_before(n: usize) -> u64 {
    if n > 0 && n.is_multiple_of(97) {
        1 + (n / 97 % 4) as u64
    } else {
        0
    }
}

fn tick_ns(tick: f64) -> i64 {
    (tick * 1e9 / 30.0) as i64
}

/// Top-down 8-bit gray numbered frame `n`.
fn y800(n: usize) -> Vec<u8> {
    numbered_bgra(W, H, n).chunks(4).map(|px| px[0]).collect()
}

struct Recorded {
    slots: Vec<(usize, u64)>,
    total_slots: u64,
    lost_ticks: u64,
}

/// Records the capture: on each tick, the frame (timed with jitter) or an empty one during a
/// stall, then that tick's audio block, and a checkpoint after every frame.
fn record(path: &std::path::Path) -> Recorded {
    let options = WriterOptions::default()
        .with_frame_rate(FrameRate::new(30, 1).unwrap())
        .with_riff_limit(RIFF_LIMIT)
        .with_checkpoint_interval(None);
    let writer = Writer::create(path, options).unwrap();
    let format = VideoFormat::compressed(W as u32, H as u32, FourCc::new(*b"Y800"));
    let video = writer
        .add_video_stream(format.with_bits_per_pixel(8), Some("camera"))
        .unwrap();
    let audio = writer
        .add_pcm_stream(PcmFormat::derive(2, 44_100, 16).unwrap(), None)
        .unwrap();
    let mut rng = TestRng::new(0x10_4e_71_3e);
    let mut jitter = |percent: u64| (rng.below(2 * percent + 1) as f64 - percent as f64) / 100.0;
    let mut slots = Vec::with_capacity(FRAMES);
    let mut tick = 0u64;
    let mut lost_ticks = 0;
    // The audio clock is exact, so the silence for a lost stretch is exactly its length.
    let mut audio_at = |tick: u64| {
        if LOST_AUDIO.iter().any(|r| r.contains(&tick)) {
            lost_ticks += 1;
            return;
        }
        let block = pcm_block(BLOCK_SAMPLES as usize, tick as usize);
        let at = CLOCK_BASE_NS + tick_ns(tick as f64);
        audio.write_block_at(true, at, &block).unwrap();
    };
    for n in 0..FRAMES {
        if let Some(&(_, ticks)) = STALLS.iter().find(|s| s.0 == n) {
            for _ in 0..ticks {
                tick += 1;
                video.skip_frames(1).unwrap();
                audio_at(tick);
            }
        }
        if n > 0 {
            for _ in 0..gap_before(n) {
                tick += 1;
                audio_at(tick);
            }
            tick += 1;
        }
        // Up to 35% of a period early or late: still nearest to its own slot.
        let at = CLOCK_BASE_NS + tick_ns(tick as f64 + if n == 0 { 0.0 } else { jitter(35) });
        video.write_frame_at(true, at, &y800(n)).unwrap();
        slots.push((n, tick));
        audio_at(tick);
        writer.flush(false).unwrap();
    }
    let total_slots = tick + 1;
    let stats = video.stats();
    assert_eq!(
        (stats.chunks, stats.empty_frames, stats.dropped),
        (total_slots, total_slots - FRAMES as u64, 0),
        "video counters"
    );
    let stats = audio.stats();
    assert_eq!(
        (stats.samples, stats.silence_samples),
        (total_slots * BLOCK_SAMPLES, lost_ticks * BLOCK_SAMPLES),
        "audio counters"
    );
    writer.close().unwrap();
    Recorded {
        slots,
        total_slots,
        lost_ticks,
    }
}

#[test]
fn a_long_checkpointed_capture_with_gaps_plays_on_time_in_every_reader() {
    let file = Scratch::new("long-timed.avi");
    let recorded = record(file.path());
    let bytes = std::fs::read(file.path()).unwrap();

    assert_one_index_per_segment(&bytes, 20);
    let sizes = stream_chunk_sizes(&bytes, 0);
    assert_eq!(sizes.len() as u64, recorded.total_slots);
    assert_eq!(
        sizes.iter().filter(|&&s| s == 0).count(),
        recorded.total_slots as usize - FRAMES,
        "one empty chunk per slot without a frame"
    );

    let slots = timing_slots_json((30, 1), recorded.total_slots, &recorded.slots);
    let report = timing_check(file.path(), "long-timed.json", &slots);
    assert_eq!(allowances(&report), Vec::<String>::new());

    // The audio: each tick's block where it was captured, silence where it was lost.
    assert!(recorded.lost_ticks >= 50);
    let pcm = ffmpeg_decode(file.path(), "0:a:0", "s16le", &[]);
    assert_eq!(pcm.len() as u64, recorded.total_slots * BLOCK_SAMPLES * 4);
    for (tick, block) in pcm.chunks_exact(BLOCK_BYTES).enumerate() {
        let lost = LOST_AUDIO.iter().any(|r| r.contains(&(tick as u64)));
        let expected = if lost {
            vec![0; BLOCK_BYTES]
        } else {
            pcm_block(BLOCK_SAMPLES as usize, tick)
        };
        assert!(block == expected.as_slice(), "audio of tick {tick}");
    }
}
