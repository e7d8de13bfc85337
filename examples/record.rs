//! Records three seconds of a moving gradient with a tone through the asynchronous API, keeping
//! a window of writes in flight, then checks the file. `cargo run --example record -- out.avi`

use avikit::codec::encoder::DibConversion;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{AudioFormat, FrameRate, Payload, PcmFormat, Writer, WriterOptions};
use std::collections::VecDeque;
use std::sync::Arc;

fn main() -> avikit::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "record.avi".to_owned());
    let (width, height) = (320u32, 240u32);
    let writer = Writer::create(
        &path,
        WriterOptions::default()
            .with_frame_rate(FrameRate::new(30, 1)?)
            // The default 0 is unbounded: with a slow disk the queue would grow without limit.
            .with_max_queued_bytes(64 << 20),
    )?;
    // Top-down RGB frames in, bottom-up 24-bit DIBs out, converted on encoder threads.
    let layout = InputLayout::new(width, height, PixelFormat::Rgb24);
    let video = writer
        .add_encoding_video_stream(Arc::new(DibConversion::new(layout, 24)?), Some("gradient"))?;
    let audio = writer.add_audio_stream(
        AudioFormat::pcm(PcmFormat::derive(1, 48_000, 16)?),
        Some("tone"),
    )?;

    let mut in_flight = VecDeque::new();
    for n in 0..90u32 {
        let frame: Vec<u8> = (0..height)
            .flat_map(|y| (0..width).flat_map(move |x| [(x + n * 4) as u8, y as u8, (n * 3) as u8]))
            .collect();
        in_flight.push_back(video.begin_write_frame(true, Payload::owned(frame), None)?);
        let tone: Vec<u8> = (0..1600u32)
            .flat_map(|i| {
                let t = f64::from(n * 1600 + i) / 48_000.0;
                (((t * 440.0 * std::f64::consts::TAU).sin() * 9000.0) as i16).to_le_bytes()
            })
            .collect();
        audio.write_block(true, &tone)?;
        // At most four frames queued: end the oldest before starting a fifth.
        if in_flight.len() > 4 {
            video.end_write_frame(in_flight.pop_front().expect("non-empty"))?;
        }
    }
    for pending in in_flight {
        video.end_write_frame(pending)?;
    }
    writer.close()?;
    let report = avikit::repair::inspect_file(std::path::Path::new(&path))?;
    println!(
        "{path}: {} frames, {} audio chunks, passes strict inspection",
        report.video_frames, report.audio_chunks
    );
    Ok(())
}
