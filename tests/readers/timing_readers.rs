//! Timed writes in every video codec, as every reader of the suite plays them: numbered frames
//! captured at irregular times (plan.rs), recorded with a timed PCM stream into several OpenDML
//! RIFF segments. layout.rs checks the empty frames in the file's bytes (chunks, idx1, ix##,
//! dwLength, avih, dmlh); tests/tools/timing_check.py checks that ffmpeg, ffprobe, PyAV, OpenCV,
//! mediainfo, GStreamer, VLC and MPlayer each show every frame at the time of its slot and the
//! stream's full length. What a reader mistimes is allowed by name only, and shown here on a
//! file with gaps that FFmpeg wrote itself.

mod judge;
mod layout;
mod plan;

use crate::common::ffmpeg::ffmpeg_numbered;
use crate::common::numbered::{numbered_bgra, numbered_dib, numbered_i420};
use crate::common::riff::{data_chunks, walk};
use crate::common::scratch::Scratch;
use crate::common::tools::{allowances, timing_check, timing_slots_json};
use avikit::codec::encoder::DibConversion;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{FourCc, PixelAspect, VideoCodec, VideoFormat, VideoStream, Writer, WriterOptions};
use judge::check_audio;
use plan::Plan;
use std::path::Path;
use std::sync::Arc;

const W: usize = 64;
const H: usize = 48;
/// Small segments: the recording spans several RIFFs, and the stall's empty frames cross
/// their boundaries.
const RIFF_LIMIT: u64 = 256 * 1024;
#[cfg(feature = "h264")]
const H264_KEYFRAME_INTERVAL: u32 = 10;

#[derive(Clone, Copy)]
enum Codec {
    /// AVK_VIDEO_RAW with a FourCC: 8-bit gray `Y800` frames passed through as given.
    RawY800,
    /// AVK_VIDEO_RAW without one: 32-bit bottom-up DIB frames as given.
    Dib,
    /// AVK_VIDEO_UNCOMPRESSED: BGRA converted to a 24-bit DIB on the encoder threads.
    Uncompressed,
    #[cfg(feature = "mjpeg")]
    Mjpeg,
    #[cfg(feature = "h264")]
    H264,
    /// AVK_VIDEO_UTVIDEO: camera I420 encoded losslessly as `ULY0` on the encoder threads (the
    /// layout MPlayer shows; it shows no `ULRG` picture, and VLC none of either, FFmpeg's own
    /// files included: tests/readers/readers.rs).
    UtVideo,
}

fn bgra_input() -> InputLayout {
    InputLayout::new(W as u32, H as u32, PixelFormat::Bgra32)
}

fn add_video(writer: &Writer, codec: Codec) -> VideoStream {
    let (w, h) = (W as u32, H as u32);
    match codec {
        Codec::RawY800 => {
            let y800 = VideoFormat::compressed(w, h, FourCc::new(*b"Y800")).with_bits_per_pixel(8);
            writer.add_video_stream(y800, None)
        }
        Codec::Dib => writer.add_video_stream(VideoFormat::dib(w, h, 32), None),
        Codec::Uncompressed => {
            let encoder = DibConversion::new(bgra_input(), 24).unwrap();
            writer.add_encoding_video_stream(Arc::new(encoder), None)
        }
        #[cfg(feature = "mjpeg")]
        Codec::Mjpeg => {
            let encoder = avikit::codec::mjpeg::MjpegEncoder::new(bgra_input(), 75).unwrap();
            writer.add_encoding_video_stream(Arc::new(encoder), None)
        }
        #[cfg(feature = "h264")]
        Codec::H264 => {
            let encoder = avikit::codec::h264::H264Encoder::new(
                bgra_input(),
                75,
                H264_KEYFRAME_INTERVAL,
                plan::RATE,
                1,
            );
            writer.add_sequential_video_stream(Box::new(encoder.unwrap()), None)
        }
        Codec::UtVideo => writer.add_video(
            VideoCodec::ut_video(InputLayout::new(W as u32, H as u32, PixelFormat::I420)),
            PixelAspect::SQUARE,
            None,
        ),
    }
    .unwrap()
}

/// Numbered frame `n` as `codec` takes it.
fn input(codec: Codec, n: usize) -> Vec<u8> {
    match codec {
        // Top-down gray: the blue byte of the black or white BGRA picture.
        Codec::RawY800 => numbered_bgra(W, H, n).chunks(4).map(|px| px[0]).collect(),
        Codec::Dib => numbered_dib(W, H, 32, n),
        Codec::UtVideo => numbered_i420(W, H, n),
        _ => numbered_bgra(W, H, n),
    }
}

/// Records `plan` on `codec`, with the timed PCM stream when `audio`.
fn record(path: &Path, plan: &Plan, codec: Codec, riff_limit: u64, audio: bool) {
    let options = WriterOptions::default()
        .with_frame_rate(plan::RATE)
        .with_riff_limit(riff_limit)
        .with_checkpoint_interval(None);
    let writer = Writer::create(path, options).unwrap();
    let video = add_video(&writer, codec);
    let pcm = audio.then(|| writer.add_pcm_stream(plan::pcm_format(), None).unwrap());
    plan.record(&video, pcm.as_ref(), |n| input(codec, n));
    writer.close().unwrap();
}

/// The whole check of one codec's recording: its bytes, its audio, and every reader.
fn recording_in(codec: Codec, name: &str, chunk_id: &[u8; 4], key: fn(usize) -> bool) {
    let plan = Plan::new();
    let file = Scratch::new(&format!("timing-readers-{name}.avi"));
    record(file.path(), &plan, codec, RIFF_LIMIT, true);
    let bytes = std::fs::read(file.path()).unwrap();
    let segments = layout::check(&bytes, &plan, chunk_id, true, key);
    assert!(segments >= 3, "{segments} RIFF segments");
    check_audio(file.path(), &plan);
    let expected: &[&str] = match name {
        "dib" | "uncompressed" => &["mplayer:dib-upside-down"],
        "mjpeg" => &["vlc:mjpg-last-frame"],
        "h264" => &["pyav:h264-pts-of-next-packet"],
        // Shown on FFmpeg's own Ut Video file in tests/readers/readers.rs.
        "utvideo" => &["gstreamer:utvideo-unmapped", "vlc:utvideo-no-pictures"],
        _ => &[],
    };
    let slots = format!("timing-readers-{name}.json");
    let report = timing_check(file.path(), &slots, &plan.slots_json());
    assert_eq!(allowances(&report), expected);
}

#[test]
fn ut_video_frames_play_on_time_in_every_reader() {
    recording_in(Codec::UtVideo, "utvideo", b"00dc", |_| true);
}

#[test]
fn raw_y800_frames_play_on_time_in_every_reader() {
    recording_in(Codec::RawY800, "y800", b"00dc", |_| true);
}

#[test]
fn dib_frames_play_on_time_in_every_reader() {
    recording_in(Codec::Dib, "dib", b"00db", |_| true);
}

#[test]
fn uncompressed_frames_play_on_time_in_every_reader() {
    recording_in(Codec::Uncompressed, "uncompressed", b"00db", |_| true);
}

#[cfg(feature = "mjpeg")]
#[test]
fn mjpeg_frames_play_on_time_in_every_reader() {
    recording_in(Codec::Mjpeg, "mjpeg", b"00dc", |_| true);
}

#[cfg(feature = "h264")]
#[test]
fn h264_frames_play_on_time_in_every_reader() {
    recording_in(Codec::H264, "h264", b"00dc", |k| {
        k % H264_KEYFRAME_INTERVAL as usize == 0
    });
}

/// OpenCV's own AVI reader shows the previous picture again for each empty frame: it is judged
/// on a file it takes (one MJPEG stream, one RIFF).
#[cfg(feature = "mjpeg")]
#[test]
fn opencvs_own_reader_repeats_the_previous_picture_for_empty_frames() {
    let plan = Plan::new();
    let file = Scratch::new("timing-readers-mjpeg-only.avi");
    record(
        file.path(),
        &plan,
        Codec::Mjpeg,
        WriterOptions::default().riff_limit,
        false,
    );
    let bytes = std::fs::read(file.path()).unwrap();
    assert_eq!(layout::check(&bytes, &plan, b"00dc", false, |_| true), 1);
    let report = timing_check(
        file.path(),
        "timing-readers-mjpeg-only.json",
        &plan.slots_json(),
    );
    assert_eq!(allowances(&report), ["vlc:mjpg-last-frame"]);
    assert_eq!(
        report["opencv"]["own_reader_pictures"], plan.total_slots,
        "one picture per slot"
    );
}

/// FFmpeg's own AVI of numbered pictures 0..FFMPEG_FRAMES at 30 fps, encoded with `codec`,
/// without the frames FFMPEG_DROPPED selects: with -fps_mode passthrough its AVI muxer writes
/// an empty chunk for each slot they leave. Returns the --slots JSON.
fn ffmpeg_with_gaps(path: &Path, codec: &[&str]) -> String {
    let drop_selected = format!("select='not({FFMPEG_DROPPED})'");
    let output = [
        &["-vf", &drop_selected, "-fps_mode", "passthrough"][..],
        codec,
    ]
    .concat();
    ffmpeg_numbered(path, W, H, FFMPEG_FRAMES, &output);
    let kept: Vec<(usize, u64)> = (0..FFMPEG_FRAMES)
        .filter(|n| !ffmpeg_drops(*n))
        .map(|n| (n, n as u64))
        .collect();
    let json = timing_slots_json((30, 1), FFMPEG_FRAMES as u64, &kept);
    // FFmpeg's file holds the same kind of empty frames as avikit's.
    let data = data_chunks(&walk(&std::fs::read(path).unwrap()));
    let sizes: Vec<bool> = data
        .iter()
        .filter(|d| d.stream == 0)
        .map(|d| d.size > 0)
        .collect();
    let want: Vec<bool> = (0..FFMPEG_FRAMES).map(|n| !ffmpeg_drops(n)).collect();
    assert_eq!(
        sizes, want,
        "FFmpeg wrote an empty chunk for every dropped frame"
    );
    json
}

const FFMPEG_FRAMES: usize = 45;
/// The select expression of the dropped frames, and the same in Rust.
const FFMPEG_DROPPED: &str = "between(n\\,5\\,9)+eq(n\\,20)+between(n\\,31\\,33)";
fn ffmpeg_drops(n: usize) -> bool {
    (5..=9).contains(&n) || n == 20 || (31..=33).contains(&n)
}

#[test]
fn the_allowances_hold_for_ffmpegs_own_files_with_gaps() {
    let y800: &[&str] = &["-c:v", "rawvideo", "-pix_fmt", "gray"];
    let dib: &[&str] = &["-c:v", "rawvideo", "-pix_fmt", "bgr24"];
    let mjpeg: &[&str] = &["-c:v", "mjpeg", "-pix_fmt", "yuvj420p"];
    let h264: &[&str] = &[
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-bf", "0", "-g", "10",
    ];
    for (name, codec, expected) in [
        ("y800", y800, &[][..]),
        ("dib", dib, &["mplayer:dib-upside-down"]),
        ("mjpeg", mjpeg, &["vlc:mjpg-last-frame"]),
        ("h264", h264, &["pyav:h264-pts-of-next-packet"]),
    ] {
        let file = Scratch::new(&format!("timing-readers-ffmpeg-{name}.avi"));
        let slots = ffmpeg_with_gaps(file.path(), codec);
        let json = format!("timing-readers-ffmpeg-{name}.json");
        assert_eq!(
            allowances(&timing_check(file.path(), &json, &slots)),
            expected,
            "{name}"
        );
    }
}
