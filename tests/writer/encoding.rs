//! Encoding streams: caller pixels converted on the encoder threads, written in begin order.

use crate::common::callback_order::write_recording_order;
use crate::common::ffmpeg::ffmpeg_decode;
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::codec::encoder::DibConversion;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{Status, Writer, WriterOptions};
use std::process::{Command, Stdio};
use std::sync::Arc;

const W: usize = 37; // odd: every row of a 24-bit DIB needs padding
const H: usize = 11;
const FRAMES: usize = 24;

/// ffmpeg's own conversion of tight top-down frames in `pix_fmt` to `out_fmt`: the oracle.
fn ffmpeg_convert(frames: &[u8], pix_fmt: &str, out_fmt: &str) -> Vec<u8> {
    let mut child = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            pix_fmt,
            "-s",
            &format!("{W}x{H}"),
        ])
        .args(["-i", "-", "-f", "rawvideo", "-pix_fmt", out_fmt, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = frames.to_vec();
    let feeder = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input).unwrap());
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// `frame` (tight, top-down) laid out with `stride` (padded, or negative = bottom-up).
fn with_stride(frame: &[u8], row: usize, stride: i32) -> Vec<u8> {
    let pitch = stride.unsigned_abs() as usize;
    let mut out = vec![0xEE; pitch * H];
    for y in 0..H {
        let memory_row = if stride < 0 { H - 1 - y } else { y };
        out[memory_row * pitch..memory_row * pitch + row]
            .copy_from_slice(&frame[y * row..(y + 1) * row]);
    }
    out
}

#[test]
fn every_input_format_depth_and_stride_decodes_to_the_input_pixels() {
    let formats = [
        (PixelFormat::Bgra32, "bgra", 4),
        (PixelFormat::Rgba32, "rgba", 4),
        (PixelFormat::Bgr24, "bgr24", 3),
        (PixelFormat::Rgb24, "rgb24", 3),
    ];
    for (format, pix_fmt, bpp) in formats {
        let row = W * bpp;
        // Opaque alpha: a 32-bit DIB keeps it, a 24-bit one drops it.
        let frames: Vec<Vec<u8>> = (0..FRAMES)
            .map(|n| {
                (0..row * H)
                    .map(|i| {
                        if bpp == 4 && i % 4 == 3 {
                            255
                        } else {
                            (i * 5 + n * 17) as u8
                        }
                    })
                    .collect()
            })
            .collect();
        for out_bits in [24u16, 32] {
            let out_fmt = if out_bits == 24 { "bgr24" } else { "bgra" };
            let expected = ffmpeg_convert(&frames.concat(), pix_fmt, out_fmt);
            for stride in [0i32, (row + 9) as i32, -(row as i32)] {
                let file = Scratch::new(&format!("conv-{pix_fmt}-{out_bits}-{stride}.avi"));
                let writer = Writer::create(
                    file.path(),
                    WriterOptions::default().with_encoder_threads(2),
                )
                .unwrap();
                let layout = InputLayout::new(W as u32, H as u32, format).with_stride(stride);
                let video = writer
                    .add_encoding_video_stream(
                        Arc::new(DibConversion::new(layout, out_bits).unwrap()),
                        None,
                    )
                    .unwrap();
                let inputs = frames.iter().map(|f| {
                    if stride == 0 {
                        f.clone()
                    } else {
                        with_stride(f, row, stride)
                    }
                });
                let order = write_recording_order(&video, inputs);
                writer.close().unwrap();
                assert_eq!(
                    *order.lock(),
                    (0..FRAMES).collect::<Vec<_>>(),
                    "callbacks in begin order"
                );
                avi_check(
                    file.path(),
                    &["--video-frames", &FRAMES.to_string(), "--no-pyav"],
                );
                let decoded =
                    ffmpeg_decode(file.path(), "0:v:0", "rawvideo", &["-pix_fmt", out_fmt]);
                assert!(
                    decoded == expected,
                    "{pix_fmt} -> {out_bits} bits, stride {stride}"
                );
            }
        }
    }
}

#[test]
fn wrong_input_lengths_and_depths_are_rejected_at_begin() {
    let layout = InputLayout::new(W as u32, H as u32, PixelFormat::Rgb24);
    assert_eq!(
        DibConversion::new(layout, 16).unwrap_err().status(),
        Status::InvalidArgument
    );
    let narrow = layout.with_stride(10);
    assert_eq!(
        DibConversion::new(narrow, 24).unwrap_err().status(),
        Status::InvalidArgument
    );
    let file = Scratch::new("conv-bad.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let video = writer
        .add_encoding_video_stream(Arc::new(DibConversion::new(layout, 24).unwrap()), None)
        .unwrap();
    let err = video
        .write_frame(true, &vec![0; W * 3 * H - 1])
        .unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    video.write_frame(true, &vec![0; W * 3 * H]).unwrap();
    writer.close().unwrap();
}
