//! Long recordings as players meet them: thousands of checkpoints and several RIFF segments,
//! read in full by every reader of the suite (frame numbers drawn into the pictures), with the
//! two-tier OpenDML index intact. The ten-minute recording at default settings is ignored by
//! default (a 1.4 GB file, minutes of reading) and prints what each reader delivers:
//!
//! ```text
//! cargo test --release --test readers -- long_recording:: --ignored --nocapture
//! ```

use crate::common::content::{dib_to_top_down, pcm_block};
use crate::common::ffmpeg::ffmpeg_decode;
use crate::common::numbered::numbered_dib;
use crate::common::odml::{assert_one_index_per_segment, assert_two_tier_index};
use crate::common::riff::walk;
use crate::common::scratch::Scratch;
use crate::common::tools::{avi_check, reader_census};
use avikit::{AudioFormat, PcmFormat, VideoFormat, Writer, WriterOptions};
use std::time::Duration;

const W: usize = 80;
const H: usize = 60;
/// 1/30 s of 16-bit stereo at 44.1 kHz.
const BLOCK_SAMPLES: usize = 1470;

/// Records `frames` numbered DIB frames and an audio block per frame; `between` runs after
/// every frame (a flush, a pause).
fn record(
    path: &std::path::Path,
    options: WriterOptions,
    frames: usize,
    between: impl Fn(&Writer),
) {
    let writer = Writer::create(path, options).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), Some("numbered"))
        .unwrap();
    let audio = writer
        .add_audio_stream(
            AudioFormat::pcm(PcmFormat::derive(2, 44_100, 16).unwrap()),
            None,
        )
        .unwrap();
    for n in 0..frames {
        video.write_frame(true, &numbered_dib(W, H, 32, n)).unwrap();
        audio
            .write_block(true, &pcm_block(BLOCK_SAMPLES, n))
            .unwrap();
        between(&writer);
    }
    writer.close().unwrap();
}

fn check_every_frame(path: &std::path::Path, frames: usize) {
    avi_check(
        path,
        &[
            "--video-frames",
            &frames.to_string(),
            "--audio-bytes",
            &(frames * BLOCK_SAMPLES * 4).to_string(),
            "--seek-frame",
            &(frames * 3 / 4).to_string(),
            "--frame-numbers",
            &frames.to_string(),
        ],
    );
    let decoded = ffmpeg_decode(path, "0:v:0", "rawvideo", &["-pix_fmt", "bgra"]);
    let frame_len = W * H * 4;
    assert_eq!(decoded.len(), frames * frame_len);
    for (n, frame) in decoded.chunks_exact(frame_len).enumerate() {
        assert!(
            frame == dib_to_top_down(&numbered_dib(W, H, 32, n), W, H, 32),
            "frame {n}"
        );
    }
}

#[test]
fn a_checkpoint_after_every_frame_across_many_segments_keeps_one_index_per_segment() {
    let file = Scratch::new("long-checkpointed.avi");
    let frames = 3000;
    let options = WriterOptions::default()
        .with_riff_limit(1 << 20)
        .with_checkpoint_interval(None);
    // A flush checkpoints: 3000 checkpoints, each appending to the segment's standard indexes.
    record(file.path(), options, frames, |w| w.flush(false).unwrap());
    let bytes = std::fs::read(file.path()).unwrap();
    assert_one_index_per_segment(&bytes, 40);
    check_every_frame(file.path(), frames);
}

#[test]
fn millisecond_checkpoints_in_one_segment_lose_nothing() {
    // The reported case: 1 ms checkpoints and a pause between writes, default segment size.
    let file = Scratch::new("long-1ms.avi");
    let frames = 3000;
    let options = WriterOptions::default().with_checkpoint_interval(Some(Duration::from_millis(1)));
    record(file.path(), options, frames, |_| {
        std::thread::sleep(Duration::from_micros(1500))
    });
    let bytes = std::fs::read(file.path()).unwrap();
    assert_eq!(assert_two_tier_index(&bytes), [1, 1]);
    // The standard indexes outgrew their slots several times; the replaced slots are JUNK.
    let junk = walk(&bytes).iter().filter(|c| &c.id == b"JUNK").count();
    assert!(junk >= 2 * 5, "{junk} JUNK chunks");
    check_every_frame(file.path(), frames);
}

/// Ten minutes at 30 fps.
const TEN_MINUTES: usize = 18_000;
/// Frames per flush: one checkpoint per second of video, as the default interval gives in real
/// time.
const FRAMES_PER_SECOND: usize = 30;

fn census_then_check(path: &std::path::Path, frames: usize, audio_bytes: Option<usize>) {
    eprintln!("{}:\n{}", path.display(), reader_census(path));
    let frames = frames.to_string();
    let audio = audio_bytes.map(|b| b.to_string());
    let mut args = vec!["--video-frames", &frames, "--frame-numbers", &frames];
    if let Some(bytes) = &audio {
        args.extend(["--audio-bytes", bytes]);
    }
    avi_check(path, &args);
}

#[test]
#[ignore = "long: 1.4 GB; cargo test --release --test readers -- long_recording:: --ignored"]
fn a_ten_minute_recording_at_default_settings_plays_in_full() {
    let file = Scratch::new("ten-minutes.avi");
    let (w, h) = (160, 120);
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(w as u32, h as u32, 32), Some("camera"))
        .unwrap();
    let audio = writer
        .add_audio_stream(
            AudioFormat::pcm(PcmFormat::derive(2, 44100, 16).unwrap()),
            Some("mic"),
        )
        .unwrap();
    for n in 0..TEN_MINUTES {
        video.write_frame(true, &numbered_dib(w, h, 32, n)).unwrap();
        audio
            .write_block(true, &pcm_block(BLOCK_SAMPLES, n))
            .unwrap();
        if (n + 1) % FRAMES_PER_SECOND == 0 {
            writer.flush(false).unwrap();
        }
    }
    writer.close().unwrap();
    census_then_check(
        file.path(),
        TEN_MINUTES,
        Some(TEN_MINUTES * BLOCK_SAMPLES * 4),
    );
}
