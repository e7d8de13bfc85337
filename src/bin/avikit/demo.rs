//! `avikit demo`: a moving test pattern with a 440 Hz tone, recorded through the asynchronous API.

use avikit::{
    AsyncResult, AudioFormat, FrameRate, Payload, PcmFormat, VideoFormat, Writer, WriterOptions,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const WIDTH: u32 = 320;
const HEIGHT: u32 = 180;
const SAMPLE_RATE: u32 = 48_000;

/// One bottom-up BGRA frame: color bars with a white box moving across.
fn pattern(n: u32) -> Vec<u8> {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let bars: [[u8; 3]; 7] = [
        [192, 192, 192],
        [0, 192, 192],
        [192, 192, 0],
        [0, 192, 0],
        [192, 0, 192],
        [0, 0, 192],
        [192, 0, 0],
    ];
    let box_x = (n as usize * 4) % (w - 32);
    let mut frame = vec![0u8; w * h * 4];
    for (row, line) in frame.chunks_exact_mut(w * 4).enumerate() {
        let y = h - 1 - row; // DIB rows run bottom-up
        for (x, px) in line.chunks_exact_mut(4).enumerate() {
            let [b, g, r] = if (box_x..box_x + 32).contains(&x) && (74..106).contains(&y) {
                [255; 3]
            } else {
                bars[x * 7 / w]
            };
            px.copy_from_slice(&[b, g, r, 255]);
        }
    }
    frame
}

/// Samples `from..to` of a 440 Hz tone, 16-bit stereo.
fn tone(from: u64, to: u64) -> Vec<u8> {
    (from..to)
        .flat_map(|i| {
            let v = ((i as f64 / f64::from(SAMPLE_RATE) * 440.0 * std::f64::consts::TAU).sin()
                * 8000.0) as i16;
            [v.to_le_bytes(), v.to_le_bytes()].concat()
        })
        .collect()
}

/// Records `seconds` of the test pattern and tone to `output` through begin/end with callbacks,
/// as a capture loop would, and prints what it wrote.
pub fn record(output: &std::path::Path, seconds: u32) -> avikit::Result<()> {
    let rate = FrameRate::new(30_000, 1001)?;
    let writer = Writer::create(
        output,
        WriterOptions::default()
            .with_frame_rate(rate)
            // The default 0 is unbounded: with a slow disk the queue would grow without limit.
            .with_max_queued_bytes(64 << 20),
    )?;
    let video =
        writer.add_video_stream(VideoFormat::dib(WIDTH, HEIGHT, 32), Some("test pattern"))?;
    let audio = writer.add_audio_stream(
        AudioFormat::pcm(PcmFormat::derive(2, SAMPLE_RATE, 16)?),
        Some("440 Hz"),
    )?;
    let completed = Arc::new(AtomicU64::new(0));
    let frames = u64::from(seconds) * u64::from(rate.num) / u64::from(rate.den);
    let mut pending = std::collections::VecDeque::new();
    for n in 0..frames {
        let counter = Arc::clone(&completed);
        let callback = Box::new(move |r: &AsyncResult| {
            if r.outcome() == Some(Ok(())) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        pending.push_back(video.begin_write_frame(
            true,
            Payload::owned(pattern(n as u32)),
            Some(callback),
        )?);
        // Audio samples up to the end of this frame, so sound and picture stay in step.
        let samples =
            |k: u64| k * u64::from(SAMPLE_RATE) * u64::from(rate.den) / u64::from(rate.num);
        audio.begin_write_block(true, Payload::owned(tone(samples(n), samples(n + 1))), None)?;
        if pending.len() > 4 {
            video.end_write_frame(pending.pop_front().expect("non-empty"))?;
        }
    }
    for r in pending {
        video.end_write_frame(r)?;
    }
    writer.close()?;
    println!(
        "{}: {frames} frames of {WIDTH}x{HEIGHT} at 30000/1001 fps with a 440 Hz tone ({} callbacks)",
        output.display(),
        completed.load(Ordering::Relaxed)
    );
    Ok(())
}
