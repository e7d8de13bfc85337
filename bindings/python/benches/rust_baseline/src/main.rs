//! Writes the frames of a raw file (tight top-down 8-bit pixels, one frame after another) to an
//! AVI through avikit's Rust API, the way `compare.py` does through Python: every frame begun
//! asynchronously without a copy (shared buffers standing for the borrowed numpy arrays), then
//! close. Prints the wall time from the writer's creation to the end of close, in seconds.
//!
//! `rust_baseline FRAMES_FILE OUT_AVI WIDTH HEIGHT PIXEL_FORMAT CODEC QUALITY THREADS COUNT`

use avikit::codec::utvideo::Prediction;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{Payload, PixelAspect, VideoCodec, Writer, WriterOptions};
use std::sync::Arc;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [frames_file, out, width, height, pixel_format, codec, quality, threads, count] =
        <[String; 9]>::try_from(args).map_err(|_| {
            "usage: rust_baseline FRAMES_FILE OUT_AVI WIDTH HEIGHT PIXEL_FORMAT CODEC QUALITY \
             THREADS COUNT"
        })?;
    let (width, height): (u32, u32) = (width.parse()?, height.parse()?);
    let format = match pixel_format.as_str() {
        "bgr24" => PixelFormat::Bgr24,
        "gray8" => PixelFormat::Gray8,
        "i420" => PixelFormat::I420,
        other => return Err(format!("pixel format {other} is not measured").into()),
    };
    let input = InputLayout::new(width, height, format);
    let quality: u32 = quality.parse()?;
    let codec = match codec.as_str() {
        "mjpeg" => VideoCodec::Mjpeg { input, quality },
        "utvideo" => VideoCodec::UtVideo {
            input,
            prediction: Prediction::Median,
            slices: 0,
            keep_alpha: false,
        },
        "uncompressed" => VideoCodec::Uncompressed {
            input,
            bits_per_pixel: 24,
        },
        other => return Err(format!("codec {other} is not measured").into()),
    };
    let bytes = std::fs::read(frames_file)?;
    let frames: Vec<Arc<[u8]>> = bytes
        .chunks_exact(input.frame_len())
        .map(Arc::from)
        .collect();
    if frames.is_empty() {
        return Err("the frames file holds no whole frame".into());
    }
    let options = WriterOptions::default().with_encoder_threads(threads.parse()?);
    let count: usize = count.parse()?;

    let start = Instant::now();
    let writer = Writer::create(&out, options)?;
    let video = writer.add_video(codec, PixelAspect::SQUARE, None)?;
    for n in 0..count {
        // Fire and forget, as the Python side only waits for close: dropping the result
        // leaves the write queued.
        video.begin_write_frame(
            true,
            Payload::shared(frames[n % frames.len()].clone()),
            None,
        )?;
    }
    writer.close()?;
    println!("{:.6}", start.elapsed().as_secs_f64());
    Ok(())
}
