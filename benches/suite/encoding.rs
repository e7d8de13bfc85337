//! avikit's contender in the encoding workloads (W4 MJPEG, W6 H.264): one timed recording of the
//! workload's frames through the encoder it adds, on a writer at 30 fps, durable or not; its
//! windowed write loop also feeds the P9 writers.

use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{Durability, FrameRate, Payload, VideoStream, Writer, WriterOptions};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// The frame rate of the writer (and of an encoder that needs one).
pub const RATE: FrameRate = FrameRate { num: 30, den: 1 };
/// Frames in flight (begin, then end the oldest).
pub const WINDOW: usize = 8;

/// Seconds to record `frames` (tight `format`, `width` x `height`) into `out`: a writer at RATE
/// with `threads` encoder threads and `durability`, the stream `add` puts on it for the frames'
/// layout, every frame written with WINDOW in flight, and the close.
pub fn measured_recording(
    out: &Path,
    size: (usize, usize),
    input: (&[Arc<[u8]>], PixelFormat),
    threads: (usize, Durability),
    add: impl FnOnce(&Writer, InputLayout) -> VideoStream,
) -> f64 {
    measured_recording_in_flight(out, size, input, threads, WINDOW, add)
}

/// As [`measured_recording`] with `window` frames in flight (0: each write waits for its
/// frame, as a synchronous caller does).
pub fn measured_recording_in_flight(
    out: &Path,
    (width, height): (usize, usize),
    (frames, format): (&[Arc<[u8]>], PixelFormat),
    (threads, durability): (usize, Durability),
    window: usize,
    add: impl FnOnce(&Writer, InputLayout) -> VideoStream,
) -> f64 {
    let start = Instant::now();
    let options = WriterOptions::default()
        .with_frame_rate(RATE)
        .with_encoder_threads(threads)
        .with_durability(durability);
    let writer = Writer::create(out, options).unwrap();
    let layout = InputLayout::new(width as u32, height as u32, format);
    let video = add(&writer, layout);
    write_windowed(&video, frames, window);
    writer.close().unwrap();
    start.elapsed().as_secs_f64()
}

/// Writes every frame as a keyframe with `window` in flight (begin, then end the oldest), and
/// ends the rest.
pub fn write_windowed(video: &VideoStream, frames: &[Arc<[u8]>], window: usize) {
    let mut pending = VecDeque::with_capacity(window + 1);
    for frame in frames {
        let payload = Payload::shared(Arc::clone(frame));
        pending.push_back(video.begin_write_frame(true, payload, None).unwrap());
        if pending.len() > window {
            video.end_write_frame(pending.pop_front().unwrap()).unwrap();
        }
    }
    for result in pending {
        video.end_write_frame(result).unwrap();
    }
}
