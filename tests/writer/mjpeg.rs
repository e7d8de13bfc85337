//! AVK_VIDEO_MJPEG: libjpeg-turbo frames encoded in parallel, judged by ffmpeg's PSNR, OpenCV's
//! own AVI reader and PyAV.
#![cfg(feature = "mjpeg")]

use crate::common::callback_order::write_recording_order;
use crate::common::ffmpeg::{psnr, testsrc2};
use crate::common::numbered::{numbered_bgra, NUMBERED_MIN_HEIGHT, NUMBERED_MIN_WIDTH};
use crate::common::riff::{find, first, le32, walk};
use crate::common::scratch::Scratch;
use crate::common::tools::{avi_check, opencv_mjpeg_frames};
use avikit::codec::mjpeg::MjpegEncoder;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{Status, Writer, WriterOptions};
use std::sync::Arc;

const W: usize = 320;
const H: usize = 240;
const FRAMES: usize = 40;

fn record(path: &std::path::Path, frames: &[Vec<u8>], stride: i32, quality: u32, threads: usize) {
    let writer = Writer::create(
        path,
        WriterOptions::default()
            .with_encoder_threads(threads)
            .with_checkpoint_interval(None),
    )
    .unwrap();
    let layout = InputLayout::new(W as u32, H as u32, PixelFormat::Bgra32).with_stride(stride);
    let video = writer
        .add_encoding_video_stream(Arc::new(MjpegEncoder::new(layout, quality).unwrap()), None)
        .unwrap();
    let inputs = frames.iter().map(|frame| {
        if stride < 0 {
            frame.chunks_exact(W * 4).rev().flatten().copied().collect()
        } else {
            frame.clone()
        }
    });
    let order = write_recording_order(&video, inputs);
    writer.close().unwrap();
    assert_eq!(*order.lock(), (0..frames.len()).collect::<Vec<_>>());
}

#[test]
fn quality_90_reaches_35_db_and_every_reader_decodes_it() {
    let frames = testsrc2(W, H, FRAMES);
    let file = Scratch::new("mjpeg-q90.avi");
    record(file.path(), &frames, 0, 90, 2);
    avi_check(
        file.path(),
        &["--video-frames", &FRAMES.to_string(), "--seek-frame", "35"],
    );
    assert_eq!(opencv_mjpeg_frames(file.path()), FRAMES);
    let db = psnr(file.path(), &frames, W, H);
    assert!(db >= 35.0, "PSNR {db:.2} dB below 35");
    let bytes = std::fs::read(file.path()).unwrap();
    let chunks = walk(&bytes);
    let strh = first(&chunks, b"strh");
    assert_eq!(&bytes[strh.offset + 4..strh.offset + 8], b"MJPG");
    let strf = first(&chunks, b"strf");
    assert_eq!(le32(&bytes, strf.offset + 12) >> 16, 24, "biBitCount 24");
    assert_eq!(&bytes[strf.offset + 16..strf.offset + 20], b"MJPG");
    assert!(find(&bytes, b"00dc").is_some());
}

#[test]
fn bottom_up_input_and_thread_count_do_not_change_the_bytes() {
    let frames = testsrc2(W, H, FRAMES);
    let a = Scratch::new("mjpeg-a.avi");
    let b = Scratch::new("mjpeg-b.avi");
    record(a.path(), &frames[..12], 0, 75, 1);
    record(b.path(), &frames[..12], -(W as i32 * 4), 75, 2);
    assert!(std::fs::read(a.path()).unwrap() == std::fs::read(b.path()).unwrap());
}

#[test]
fn quality_out_of_range_is_rejected() {
    let layout = InputLayout::new(16, 16, PixelFormat::Rgb24);
    for q in [0, 101] {
        assert_eq!(
            MjpegEncoder::new(layout, q).unwrap_err().status(),
            Status::InvalidArgument
        );
    }
}

#[test]
fn numbered_frames_at_the_minimum_size_reach_every_reader_in_order() {
    // The smallest picture the frame code survives JPEG at the default quality (75) in.
    let (w, h, n) = (NUMBERED_MIN_WIDTH, NUMBERED_MIN_HEIGHT, 30);
    let file = Scratch::new("mjpeg-numbered.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let layout = InputLayout::new(w as u32, h as u32, PixelFormat::Bgra32);
    let video = writer
        .add_encoding_video_stream(Arc::new(MjpegEncoder::new(layout, 75).unwrap()), None)
        .unwrap();
    let order = write_recording_order(&video, (0..n).map(|k| numbered_bgra(w, h, k)));
    writer.close().unwrap();
    assert_eq!(*order.lock(), (0..n).collect::<Vec<_>>());
    let frames = n.to_string();
    avi_check(
        file.path(),
        &[
            "--video-frames",
            &frames,
            "--frame-numbers",
            &frames,
            "--seek-frame",
            "17",
        ],
    );
}

#[test]
fn a_picture_over_the_jpeg_limit_is_refused_when_the_stream_is_added() {
    // JPEG stores each side in 16 bits and libjpeg-turbo takes at most 65,500 pixels.
    for (width, height) in [(65_501, 16), (16, 65_501), (65_536, 2)] {
        let layout = InputLayout::new(width, height, PixelFormat::Bgra32);
        let e = MjpegEncoder::new(layout, 75).unwrap_err();
        assert_eq!(e.status(), Status::InvalidArgument, "{width}x{height}: {e}");
        assert!(e.message().contains("65500"), "{e}");
    }
    let fits = InputLayout::new(65_500, 2, PixelFormat::Bgra32);
    MjpegEncoder::new(fits, 75).unwrap();
}
