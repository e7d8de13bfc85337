//! Long recordings at default settings, as a user makes them, read by every reader with the
//! frame numbers drawn into the pictures. Ignored by default (a 1.4 GB file, minutes of reading):
//!
//! ```text
//! cargo test --release --test long_recording -- --ignored --nocapture
//! ```
//!
//! Each test prints reader_census.py's table (frames delivered, first and last frame number, per
//! reader) before avi_check judges the file, so the numbers are there to compare whether or not
//! the check passes.

mod common;

use avikit::{AudioFormat, PcmFormat, VideoFormat, Writer, WriterOptions};
use common::*;
use std::time::Duration;

/// Ten minutes at 30 fps.
const TEN_MINUTES: usize = 18_000;
/// Frames per flush: one checkpoint per second of video, as the default interval gives in real
/// time.
const FRAMES_PER_SECOND: usize = 30;
const AUDIO_SAMPLES_PER_FRAME: usize = 1470;

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
#[ignore = "long: 1.4 GB; cargo test --release --test long_recording -- --ignored"]
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
            .write_block(true, &pcm_block(AUDIO_SAMPLES_PER_FRAME, n))
            .unwrap();
        if (n + 1) % FRAMES_PER_SECOND == 0 {
            writer.flush(false).unwrap();
        }
    }
    writer.close().unwrap();
    census_then_check(
        file.path(),
        TEN_MINUTES,
        Some(TEN_MINUTES * AUDIO_SAMPLES_PER_FRAME * 4),
    );
}

#[test]
#[ignore = "takes a while: 3000 frames 1-2 ms apart"]
fn thousands_of_one_millisecond_checkpoints_play_in_full() {
    let file = Scratch::new("ms-checkpoints.avi");
    let (w, h, frames) = (64, 48, 3000);
    let options = WriterOptions {
        checkpoint_interval: Some(Duration::from_millis(1)),
        ..Default::default()
    };
    let writer = Writer::create(file.path(), options).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(w as u32, h as u32, 32), None)
        .unwrap();
    for n in 0..frames {
        video.write_frame(true, &numbered_dib(w, h, 32, n)).unwrap();
        std::thread::sleep(Duration::from_micros(1500));
    }
    writer.close().unwrap();
    census_then_check(file.path(), frames, None);
}
