//! Camera pixel formats (I420, NV12, YUY2) into MJPEG, H.264 and uncompressed streams: what
//! ffmpeg decodes from the files matches what ffmpeg itself makes of the same raw YUV frames
//! (PSNR), with padded strides, and the bytes do not depend on how many threads encode.
#![cfg(all(feature = "mjpeg", feature = "h264"))]

use crate::common::callback_order::write_recording_order;
use crate::common::ffmpeg::psnr;
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::codec::encoder::DibConversion;
use avikit::codec::h264::H264Encoder;
use avikit::codec::mjpeg::MjpegEncoder;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{FrameRate, Writer, WriterOptions};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const W: usize = 320;
const H: usize = 240;
const FRAMES: usize = 30;
const FORMATS: [PixelFormat; 3] = [PixelFormat::I420, PixelFormat::Nv12, PixelFormat::Yuy2];

/// ffmpeg's name of a camera format.
fn ffmpeg_pix_fmt(format: PixelFormat) -> &'static str {
    match format {
        PixelFormat::I420 => "yuv420p",
        PixelFormat::Nv12 => "nv12",
        PixelFormat::Yuy2 => "yuyv422",
        other => unreachable!("{other:?} is not a camera format"),
    }
}

/// Tight frame size of a camera format at W x H.
fn tight_len(format: PixelFormat) -> usize {
    match format {
        PixelFormat::Yuy2 => W * H * 2,
        _ => W * H * 3 / 2,
    }
}

fn ffmpeg(args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error"])
        .args(args)
        .output()
        .expect("run ffmpeg (install test deps: scripts/install-test-deps.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// NV12 frames as I420: the same samples, the U and V planes taken apart.
fn nv12_as_i420(raw: &[u8]) -> Vec<u8> {
    raw.chunks_exact(W * H * 3 / 2)
        .flat_map(|frame| {
            let (luma, uv) = frame.split_at(W * H);
            let u = uv.iter().step_by(2);
            let v = uv.iter().skip(1).step_by(2);
            luma.iter().chain(u).chain(v).copied().collect::<Vec<u8>>()
        })
        .collect()
}

/// testsrc2 as tight camera frames (ffmpeg's BT.601 limited-range conversion), and what
/// ffmpeg makes of those same frames as BGRA: the reference every decoded file is judged by.
/// NV12 goes to ffmpeg as the I420 it is equal to, since ffmpeg's NV12 path interpolates
/// chroma where its I420 path (like avikit) repeats each sample over its 2x2 block.
fn camera_frames(format: PixelFormat) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let size = format!("testsrc2=size={W}x{H}:rate=30");
    let frames = FRAMES.to_string();
    let raw = ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &size,
        "-frames:v",
        &frames,
        "-f",
        "rawvideo",
        "-pix_fmt",
        ffmpeg_pix_fmt(format),
        "-",
    ]);
    let (reference_format, reference_input) = match format {
        PixelFormat::Nv12 => (PixelFormat::I420, nv12_as_i420(&raw)),
        other => (other, raw.clone()),
    };
    // One file per call: the tests of this binary run in parallel in one process.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let input = Scratch::new(&format!("camera-{format:?}-{call}.yuv"));
    std::fs::write(input.path(), &reference_input).unwrap();
    let dims = format!("{W}x{H}");
    let bgra = ffmpeg(&[
        "-f",
        "rawvideo",
        "-pix_fmt",
        ffmpeg_pix_fmt(reference_format),
        "-s",
        &dims,
        "-i",
        input.path().to_str().unwrap(),
        "-f",
        "rawvideo",
        "-pix_fmt",
        "bgra",
        "-",
    ]);
    let split = |bytes: &[u8], len: usize| -> Vec<Vec<u8>> {
        bytes.chunks_exact(len).map(<[u8]>::to_vec).collect()
    };
    let (camera, reference) = (split(&raw, tight_len(format)), split(&bgra, W * H * 4));
    assert_eq!((camera.len(), reference.len()), (FRAMES, FRAMES));
    (camera, reference)
}

/// A tight frame re-laid at `stride` bytes per Y (or packed) row, padding bytes 0xEE: chroma
/// rows of I420 at `stride / 2`, of NV12 at `stride`.
fn padded(format: PixelFormat, tight: &[u8], stride: usize) -> Vec<u8> {
    let row = if format == PixelFormat::Yuy2 {
        W * 2
    } else {
        W
    };
    let mut out = Vec::new();
    let mut rows = |src: &[u8], width: usize, pitch: usize| {
        for r in src.chunks_exact(width) {
            out.extend_from_slice(r);
            out.resize(out.len() + pitch - width, 0xEE);
        }
    };
    let (luma, chroma) = tight.split_at(row * H);
    rows(luma, row, stride);
    match format {
        PixelFormat::I420 => rows(chroma, W / 2, stride / 2),
        PixelFormat::Nv12 => rows(chroma, W, stride),
        _ => {}
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Codec {
    Mjpeg,
    H264,
    Uncompressed,
}

/// Records `frames` as a `codec` stream of `format` input at `stride`, on `threads` encoder
/// threads.
fn record(
    path: &Path,
    codec: Codec,
    format: PixelFormat,
    stride: i32,
    frames: &[Vec<u8>],
    threads: usize,
) {
    let writer = Writer::create(
        path,
        WriterOptions::default()
            .with_encoder_threads(threads)
            .with_checkpoint_interval(None),
    )
    .unwrap();
    let layout = InputLayout::new(W as u32, H as u32, format).with_stride(stride);
    let video = match codec {
        Codec::Mjpeg => {
            writer.add_encoding_video_stream(Arc::new(MjpegEncoder::new(layout, 90).unwrap()), None)
        }
        Codec::Uncompressed => writer
            .add_encoding_video_stream(Arc::new(DibConversion::new(layout, 24).unwrap()), None),
        Codec::H264 => {
            let rate = FrameRate { num: 30, den: 1 };
            let encoder = H264Encoder::new(layout, 75, 0, rate, threads).unwrap();
            writer.add_sequential_video_stream(Box::new(encoder), None)
        }
    }
    .unwrap();
    let order = write_recording_order(&video, frames.iter().cloned());
    writer.close().unwrap();
    assert_eq!(*order.lock(), (0..frames.len()).collect::<Vec<_>>());
}

/// The lowest PSNR a codec must reach from a format, against ffmpeg's own conversion of the YUV
/// input (measured: uncompressed 50 dB, MJPEG q90 40-42 dB, H.264 q75 42 dB from 4:2:0 and
/// 35.6 dB from YUY2, whose chroma H.264 halves vertically while the reference keeps it).
fn threshold(format: PixelFormat, codec: Codec) -> f64 {
    match (codec, format) {
        (Codec::Uncompressed, _) => 45.0,
        (Codec::Mjpeg, _) => 37.0,
        (Codec::H264, PixelFormat::Yuy2) => 35.0,
        (Codec::H264, _) => 40.0,
    }
}

#[test]
fn every_format_and_codec_decodes_to_what_the_yuv_means() {
    let (mut report, mut failures) = (Vec::new(), Vec::new());
    for format in FORMATS {
        let (camera, reference) = camera_frames(format);
        for codec in [Codec::Uncompressed, Codec::Mjpeg, Codec::H264] {
            let file = Scratch::new(&format!("camera-{format:?}-{codec:?}.avi"));
            record(file.path(), codec, format, 0, &camera, 2);
            avi_check(file.path(), &["--video-frames", &FRAMES.to_string()]);
            let db = psnr(file.path(), &reference, W, H);
            report.push(format!("{format:?} {codec:?}: {db:.2} dB"));
            if db < threshold(format, codec) {
                failures.push(format!("{format:?} {codec:?}: PSNR {db:.2} dB"));
            }
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{failures:?}");
}

#[test]
fn padded_strides_give_the_same_file_as_tight_rows() {
    for format in FORMATS {
        let (camera, _) = camera_frames(format);
        let row = if format == PixelFormat::Yuy2 {
            W * 2
        } else {
            W
        };
        // Even and odd paddings; I420 chroma rows are stride / 2 either way.
        for stride in [row + 64, row + 7] {
            let padded_frames: Vec<Vec<u8>> =
                camera.iter().map(|f| padded(format, f, stride)).collect();
            for codec in [Codec::Uncompressed, Codec::Mjpeg, Codec::H264] {
                let tight = Scratch::new(&format!("tight-{format:?}-{codec:?}.avi"));
                let wide = Scratch::new(&format!("padded-{format:?}-{codec:?}.avi"));
                record(tight.path(), codec, format, 0, &camera, 1);
                record(wide.path(), codec, format, stride as i32, &padded_frames, 1);
                assert!(
                    std::fs::read(tight.path()).unwrap() == std::fs::read(wide.path()).unwrap(),
                    "{format:?} {codec:?} at stride {stride}"
                );
            }
        }
    }
}

#[test]
fn the_bytes_depend_on_the_input_not_on_thread_scheduling() {
    for format in FORMATS {
        let (camera, _) = camera_frames(format);
        for codec in [Codec::Uncompressed, Codec::Mjpeg] {
            let one = Scratch::new(&format!("threads1-{format:?}-{codec:?}.avi"));
            let two = Scratch::new(&format!("threads2-{format:?}-{codec:?}.avi"));
            record(one.path(), codec, format, 0, &camera, 1);
            record(two.path(), codec, format, 0, &camera, 2);
            assert!(
                std::fs::read(one.path()).unwrap() == std::fs::read(two.path()).unwrap(),
                "{format:?} {codec:?}: 1 and 2 encoder threads differ"
            );
        }
        // H.264 cuts pictures into one slice per thread: the same bytes for the same count.
        for threads in [1, 2] {
            let first = Scratch::new(&format!("h264-a-{format:?}-{threads}.avi"));
            let again = Scratch::new(&format!("h264-b-{format:?}-{threads}.avi"));
            record(first.path(), Codec::H264, format, 0, &camera, threads);
            record(again.path(), Codec::H264, format, 0, &camera, threads);
            assert!(
                std::fs::read(first.path()).unwrap() == std::fs::read(again.path()).unwrap(),
                "{format:?} H.264 on {threads} threads differs between runs"
            );
        }
    }
}
