//! AVK_VIDEO_H264: OpenH264 streams judged by ffmpeg's strict decoder and PSNR, ffprobe's view of
//! which pictures are keyframes, mediainfo and PyAV.
#![cfg(feature = "h264")]

use crate::common::callback_order::write_recording_order;
use crate::common::ffmpeg::{psnr, testsrc2};
use crate::common::index::index_keyframes;
use crate::common::numbered::{numbered_bgra, NUMBERED_MIN_HEIGHT, NUMBERED_MIN_WIDTH};
use crate::common::riff::{data_chunks, find, first, le32, walk};
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::codec::h264::H264Encoder;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{FrameRate, Writer, WriterOptions};
use std::path::Path;
use std::process::Command;

const W: usize = 320;
const H: usize = 240;

fn bgra(stride: i32) -> InputLayout {
    InputLayout::new(W as u32, H as u32, PixelFormat::Bgra32).with_stride(stride)
}

const FPS30: FrameRate = FrameRate { num: 30, den: 1 };

/// Records `inputs` through an H.264 stream made of `layout`, `quality` and `keyframe_interval`.
fn record(
    path: &Path,
    inputs: impl Iterator<Item = Vec<u8>>,
    layout: InputLayout,
    quality: u32,
    keyframe_interval: u32,
) {
    record_on(path, inputs, layout, (quality, keyframe_interval), 1);
}

/// As [`record`], on `threads` encoder threads.
fn record_on(
    path: &Path,
    inputs: impl Iterator<Item = Vec<u8>>,
    layout: InputLayout,
    (quality, keyframe_interval): (u32, u32),
    threads: usize,
) {
    let writer = Writer::create(path, WriterOptions::default()).unwrap();
    let encoder = H264Encoder::new(layout, quality, keyframe_interval, FPS30, threads).unwrap();
    let video = writer
        .add_sequential_video_stream(Box::new(encoder), Some("camera"))
        .unwrap();
    let order = write_recording_order(&video, inputs);
    writer.close().unwrap();
    let order = order.lock();
    assert_eq!(
        *order,
        (0..order.len()).collect::<Vec<_>>(),
        "callback order"
    );
}

/// The decoder's key_frame flag of every picture of the file, from ffprobe.
fn decoded_keyframes(path: &Path) -> Vec<bool> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["frame=key_frame", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim() == "1")
        .collect()
}

#[test]
fn the_default_quality_reaches_35_db_and_every_reader_decodes_it() {
    let frames = testsrc2(W, H, 90);
    let file = Scratch::new("h264-default.avi");
    record(file.path(), frames.iter().cloned(), bgra(0), 75, 0);
    // The seek lands on a delta picture between the two keyframes (0 and 60).
    avi_check(file.path(), &["--video-frames", "90", "--seek-frame", "75"]);
    let db = psnr(file.path(), &frames, W, H);
    eprintln!("H.264 at the default quality: {db:.2} dB");
    assert!(db >= 35.0, "PSNR {db:.2} dB below 35");
    let bytes = std::fs::read(file.path()).unwrap();
    let chunks = walk(&bytes);
    let strh = first(&chunks, b"strh");
    assert_eq!(&bytes[strh.offset..strh.offset + 8], b"vidsH264");
    let strf = first(&chunks, b"strf");
    assert_eq!(le32(&bytes, strf.offset + 12) >> 16, 24, "biBitCount 24");
    assert_eq!(&bytes[strf.offset + 16..strf.offset + 20], b"H264");
    assert!(find(&bytes, b"00dc").is_some());
    let (idx1, ix) = index_keyframes(&bytes);
    let expected: Vec<bool> = (0..90).map(|n| n % 60 == 0).collect();
    assert_eq!(idx1, expected, "two seconds between keyframes at 30 fps");
    assert_eq!(ix, expected);
}

#[test]
fn keyframe_flags_in_both_indexes_are_the_pictures_the_decoder_calls_key() {
    let frames = testsrc2(W, H, 35);
    let file = Scratch::new("h264-interval.avi");
    record(file.path(), frames.iter().cloned(), bgra(0), 60, 10);
    avi_check(file.path(), &["--video-frames", "35", "--seek-frame", "23"]);
    let (idx1, ix) = index_keyframes(&std::fs::read(file.path()).unwrap());
    let decoded = decoded_keyframes(file.path());
    assert_eq!(decoded.len(), 35);
    assert_eq!(idx1, decoded, "idx1 against the decoder");
    assert_eq!(ix, decoded, "ix00 against the decoder");
    let at: Vec<usize> = (0..35).filter(|&n| decoded[n]).collect();
    assert_eq!(at, [0, 10, 20, 30]);
}

#[test]
fn higher_quality_costs_bytes_and_buys_fidelity() {
    let frames = testsrc2(W, H, 20);
    let low = Scratch::new("h264-q20.avi");
    let high = Scratch::new("h264-q95.avi");
    record(low.path(), frames.iter().cloned(), bgra(0), 20, 0);
    record(high.path(), frames.iter().cloned(), bgra(0), 95, 0);
    // Payload bytes: the file also holds a fixed-size header.
    let size = |p: &Path| avikit::repair::inspect_file(p).unwrap().streams[0].bytes;
    let (low_db, high_db) = (
        psnr(low.path(), &frames, W, H),
        psnr(high.path(), &frames, W, H),
    );
    let (low_size, high_size) = (size(low.path()), size(high.path()));
    assert!(
        low_size * 3 < high_size,
        "q20 ({low_size} bytes) well under q95 ({high_size} bytes)"
    );
    assert!(
        low_db + 5.0 < high_db,
        "q20 {low_db:.2} dB, q95 {high_db:.2} dB"
    );
    assert!(high_db >= 42.0, "q95 {high_db:.2} dB");
}

#[test]
fn every_input_layout_encodes_to_the_same_stream() {
    let frames = testsrc2(W, H, 8);
    let reference = Scratch::new("h264-bgra.avi");
    record(reference.path(), frames.iter().cloned(), bgra(0), 75, 0);
    let expected = std::fs::read(reference.path()).unwrap();
    // RGB24, rows padded to a 4-byte multiple plus 4 and stored bottom-up.
    let pitch = W * 3 + 4;
    let rgb_bottom_up = frames.iter().map(|f| {
        let mut out = vec![0u8; pitch * H];
        for (y, row) in f.chunks_exact(W * 4).enumerate() {
            let dst = &mut out[(H - 1 - y) * pitch..][..W * 3];
            for (d, s) in dst.chunks_exact_mut(3).zip(row.chunks_exact(4)) {
                d.copy_from_slice(&[s[2], s[1], s[0]]);
            }
        }
        out
    });
    let layout =
        InputLayout::new(W as u32, H as u32, PixelFormat::Rgb24).with_stride(-(pitch as i32));
    let other = Scratch::new("h264-rgb-bottom-up.avi");
    record(other.path(), rgb_bottom_up, layout, 75, 0);
    assert!(std::fs::read(other.path()).unwrap() == expected);
}

#[test]
fn numbered_frames_at_the_minimum_size_reach_every_reader_in_order() {
    // The smallest picture the frame code survives H.264 at the default quality in; the seek
    // lands on a delta picture (keyframes at 0 and 60).
    let (w, h, n) = (NUMBERED_MIN_WIDTH, NUMBERED_MIN_HEIGHT, 90);
    let layout = InputLayout::new(w as u32, h as u32, PixelFormat::Bgra32);
    let file = Scratch::new("h264-numbered.avi");
    record(
        file.path(),
        (0..n).map(|k| numbered_bgra(w, h, k)),
        layout,
        75,
        0,
    );
    let frames = n.to_string();
    avi_check(
        file.path(),
        &[
            "--video-frames",
            &frames,
            "--frame-numbers",
            &frames,
            "--seek-frame",
            "75",
        ],
    );
}

/// The NAL unit types of an Annex B chunk, in order.
fn nal_types(chunk: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut i = 0;
    while i + 3 < chunk.len() {
        if chunk[i..i + 3] == [0, 0, 1] {
            types.push(chunk[i + 3] & 0x1f);
            i += 3;
        }
        i += 1;
    }
    types
}

#[test]
fn two_threads_encode_one_slice_each_and_keep_keyframes_and_quality() {
    let frames = testsrc2(W, H, 35);
    let one = Scratch::new("h264-threads1.avi");
    let two = Scratch::new("h264-threads2.avi");
    record_on(one.path(), frames.iter().cloned(), bgra(0), (75, 10), 1);
    record_on(two.path(), frames.iter().cloned(), bgra(0), (75, 10), 2);
    avi_check(two.path(), &["--video-frames", "35", "--seek-frame", "23"]);
    let bytes = std::fs::read(two.path()).unwrap();
    let (idx1, ix) = index_keyframes(&bytes);
    let decoded = decoded_keyframes(two.path());
    assert_eq!(
        (&idx1, &ix),
        (&decoded, &decoded),
        "index flags against the decoder"
    );
    let at: Vec<usize> = (0..35).filter(|&n| decoded[n]).collect();
    assert_eq!(at, [0, 10, 20, 30]);
    // Every picture is two slices: IDR pictures two type-5 NAL units after SPS and PPS.
    let chunks = data_chunks(&walk(&bytes));
    for (n, c) in chunks.iter().enumerate() {
        let types = nal_types(&bytes[c.offset..c.offset + c.size]);
        let expected: &[u8] = if n % 10 == 0 { &[7, 8, 5, 5] } else { &[1, 1] };
        assert_eq!(types, expected, "picture {n}");
    }
    let (db1, db2) = (
        psnr(one.path(), &frames, W, H),
        psnr(two.path(), &frames, W, H),
    );
    eprintln!("H.264 on 1 thread {db1:.2} dB, on 2 threads {db2:.2} dB");
    assert!(
        db2 >= 35.0 && (db1 - db2).abs() < 1.0,
        "{db1:.2} vs {db2:.2} dB"
    );
}
