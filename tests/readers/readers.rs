//! GStreamer, VLC and MPlayer on avikit's files (tests/tools/reader_checks.py, run by every
//! avi_check): every frame of every stream, the frame numbers drawn into the pictures, and a
//! seek. What a reader cannot do at all is allowed by name only; each allowance is shown here
//! on a file of the same format that FFmpeg wrote itself, so it is the reader's limit, not ours.

use crate::common::content::pcm_block;
use crate::common::ffmpeg::{ffmpeg_decode, ffmpeg_numbered};
use crate::common::numbered::{numbered_bgra, numbered_dib, numbered_i420};
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::codec::utvideo::Prediction;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{
    AudioFormat, FourCc, PcmFormat, PixelAspect, VideoCodec, VideoFormat, Writer, WriterOptions,
};
use std::path::Path;
use std::process::Command;

const W: usize = 64;
const H: usize = 48;
const FRAMES: usize = 30;

/// Every allowance avi_check knows (reader_checks.py; FFmpeg's own in its seek check).
const ALLOWANCES: [&str; 14] = [
    "ffmpeg:pal8-seek-palette",
    "gstreamer:dib16",
    "gstreamer:max-16-streams",
    "gstreamer:no-data",
    "mplayer:no-video-frames",
    "vlc:mjpg-last-frame",
    "vlc:mjpg-seek-one-late",
    "vlc:tiny-pcm-stream",
    "mplayer:seek-to-next-keyframe",
    "mplayer:audio-only",
    "mplayer:dib-upside-down",
    "gstreamer:utvideo-unmapped",
    "vlc:utvideo-no-pictures",
    "mplayer:utvideo-planar-rgb",
];

/// The allowances an avi_check report applied (their names appear nowhere else in it).
fn allowances(report: &str) -> Vec<&'static str> {
    ALLOWANCES
        .into_iter()
        .filter(|name| report.contains(&format!("\"{name}\"")))
        .collect()
}

/// avikit's file of `FRAMES` numbered DIB frames of `bpp` bits.
fn avikit_numbered_dib(path: &Path, bpp: u16) {
    let writer = Writer::create(path, WriterOptions::default()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, bpp), None)
        .unwrap();
    for n in 0..FRAMES {
        video
            .write_frame(true, &numbered_dib(W, H, bpp.into(), n))
            .unwrap();
    }
    writer.close().unwrap();
}

/// avi_check with every frame numbered and a seek to frame `seek`; the allowances it applied.
fn numbered_check(path: &Path, seek: usize) -> Vec<&'static str> {
    let frames = FRAMES.to_string();
    let seek = seek.to_string();
    allowances(&avi_check(
        path,
        &[
            "--video-frames",
            &frames,
            "--frame-numbers",
            &frames,
            "--seek-frame",
            &seek,
        ],
    ))
}

#[test]
fn dib_limits_are_the_readers_own_at_every_depth() {
    for (bpp, pix_fmt, expected) in [
        (8u16, "pal8", &["ffmpeg:pal8-seek-palette"][..]),
        (
            16,
            "rgb555le",
            &["gstreamer:dib16", "mplayer:dib-upside-down"],
        ),
        (24, "bgr24", &["mplayer:dib-upside-down"]),
        (32, "bgra", &["mplayer:dib-upside-down"]),
    ] {
        let ours = Scratch::new(&format!("readers-dib{bpp}.avi"));
        avikit_numbered_dib(ours.path(), bpp);
        assert_eq!(
            numbered_check(ours.path(), 21),
            expected,
            "avikit's {bpp} bits"
        );
        let theirs = Scratch::new(&format!("readers-ffmpeg-dib{bpp}.avi"));
        ffmpeg_numbered(
            theirs.path(),
            W,
            H,
            FRAMES,
            &["-c:v", "rawvideo", "-pix_fmt", pix_fmt],
        );
        // GStreamer's videoconvert mangles FFmpeg's colour palette (not avikit's gray one), so
        // FFmpeg's 8-bit file is only counted, not read for numbers.
        let theirs_found = if bpp == 8 {
            allowances(&avi_check(
                theirs.path(),
                &["--video-frames", &FRAMES.to_string(), "--seek-frame", "21"],
            ))
        } else {
            numbered_check(theirs.path(), 21)
        };
        assert_eq!(theirs_found, expected, "FFmpeg's {bpp} bits");
    }
}

#[test]
fn vlc_drops_the_last_mjpg_frame_of_ffmpegs_file_too() {
    let theirs = Scratch::new("readers-ffmpeg-mjpg.avi");
    ffmpeg_numbered(
        theirs.path(),
        W,
        H,
        FRAMES,
        &["-c:v", "mjpeg", "-pix_fmt", "yuvj420p"],
    );
    // The same JPEGs, passed through avikit.
    let jpegs = ffmpeg_decode(theirs.path(), "0:v:0", "mjpeg", &["-c:v", "copy"]);
    let starts: Vec<usize> = (0..jpegs.len() - 2)
        .filter(|&i| jpegs[i..i + 3] == [0xFF, 0xD8, 0xFF])
        .collect();
    assert_eq!(starts.len(), FRAMES);
    let ours = Scratch::new("readers-mjpg.avi");
    let writer = Writer::create(ours.path(), WriterOptions::default()).unwrap();
    let video = writer
        .add_video_stream(
            VideoFormat::compressed(W as u32, H as u32, FourCc::new(*b"MJPG")),
            None,
        )
        .unwrap();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(jpegs.len());
        video.write_frame(true, &jpegs[s..end]).unwrap();
    }
    writer.close().unwrap();
    let expected = ["vlc:mjpg-last-frame", "vlc:mjpg-seek-one-late"];
    assert_eq!(numbered_check(theirs.path(), 17), expected, "FFmpeg's file");
    assert_eq!(numbered_check(ours.path(), 17), expected, "avikit's file");
}

#[test]
fn gstreamer_and_vlc_show_no_ut_video_pictures_of_ffmpegs_file_either() {
    let expected = ["gstreamer:utvideo-unmapped", "vlc:utvideo-no-pictures"];
    let theirs = Scratch::new("readers-ffmpeg-utvideo.avi");
    ffmpeg_numbered(
        theirs.path(),
        W,
        H,
        FRAMES,
        &["-c:v", "utvideo", "-pix_fmt", "yuv420p"],
    );
    assert_eq!(numbered_check(theirs.path(), 17), expected, "FFmpeg's file");
    let ours = Scratch::new("readers-utvideo.avi");
    let writer = Writer::create(ours.path(), WriterOptions::default()).unwrap();
    let codec = VideoCodec::ut_video(InputLayout::new(W as u32, H as u32, PixelFormat::I420));
    let video = writer.add_video(codec, PixelAspect::SQUARE, None).unwrap();
    for n in 0..FRAMES {
        video.write_frame(true, &numbered_i420(W, H, n)).unwrap();
    }
    writer.close().unwrap();
    assert_eq!(numbered_check(ours.path(), 17), expected, "avikit's file");
}

#[test]
fn mplayer_and_vlc_show_no_planar_rgb_ut_video_pictures_of_ffmpegs_files_either() {
    let expected = [
        "gstreamer:utvideo-unmapped",
        "vlc:utvideo-no-pictures",
        "mplayer:utvideo-planar-rgb",
    ];
    for (pix_fmt, keep_alpha) in [("gbrp", false), ("gbrap", true)] {
        let theirs = Scratch::new(&format!("readers-ffmpeg-utvideo-{pix_fmt}.avi"));
        ffmpeg_numbered(
            theirs.path(),
            W,
            H,
            FRAMES,
            &["-c:v", "utvideo", "-pix_fmt", pix_fmt],
        );
        assert_eq!(
            numbered_check(theirs.path(), 17),
            expected,
            "FFmpeg's {pix_fmt}"
        );
        let ours = Scratch::new(&format!("readers-utvideo-{pix_fmt}.avi"));
        let writer = Writer::create(ours.path(), WriterOptions::default()).unwrap();
        let codec = VideoCodec::UtVideo {
            input: InputLayout::new(W as u32, H as u32, PixelFormat::Bgra32),
            prediction: Prediction::Median,
            slices: 0,
            keep_alpha,
        };
        let video = writer.add_video(codec, PixelAspect::SQUARE, None).unwrap();
        for n in 0..FRAMES {
            video.write_frame(true, &numbered_bgra(W, H, n)).unwrap();
        }
        writer.close().unwrap();
        assert_eq!(
            numbered_check(ours.path(), 17),
            expected,
            "avikit's {pix_fmt}"
        );
    }
}

#[cfg(feature = "h264")]
#[test]
fn mplayer_seeks_to_the_next_keyframe_in_ffmpegs_h264_too() {
    use avikit::codec::h264::H264Encoder;
    use avikit::pixel::{InputLayout, PixelFormat};
    // Keyframes at 0, 30 and 60 in both files: a seek to 17 starts at 30 in MPlayer, a seek to
    // 75 finds no keyframe after it.
    let frames = 90;
    let theirs = Scratch::new("readers-ffmpeg-h264.avi");
    let gop = [
        "-g",
        "30",
        "-keyint_min",
        "30",
        "-sc_threshold",
        "0",
        "-bf",
        "0",
    ];
    ffmpeg_numbered(
        theirs.path(),
        W,
        H,
        frames,
        &[&["-c:v", "libx264", "-pix_fmt", "yuv420p"][..], &gop].concat(),
    );
    let ours = Scratch::new("readers-h264.avi");
    let writer = Writer::create(ours.path(), WriterOptions::default()).unwrap();
    let layout = InputLayout::new(W as u32, H as u32, PixelFormat::Bgra32);
    let encoder = H264Encoder::new(layout, 75, 30, avikit::FrameRate::new(30, 1).unwrap(), 1);
    let video = writer
        .add_sequential_video_stream(Box::new(encoder.unwrap()), None)
        .unwrap();
    for n in 0..frames {
        video.write_frame(true, &numbered_bgra(W, H, n)).unwrap();
    }
    writer.close().unwrap();
    let count = frames.to_string();
    for file in [&theirs, &ours] {
        for seek in ["17", "75"] {
            let report = avi_check(
                file.path(),
                &[
                    "--video-frames",
                    &count,
                    "--frame-numbers",
                    &count,
                    "--seek-frame",
                    seek,
                ],
            );
            assert_eq!(
                allowances(&report),
                ["mplayer:seek-to-next-keyframe"],
                "{} seek {seek}",
                file.path().display()
            );
        }
    }
}

#[test]
fn mplayer_plays_no_audio_only_file_not_even_ffmpegs() {
    let theirs = Scratch::new("readers-ffmpeg-audio-only.avi");
    let out = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=r=44100:d=1",
        ])
        .args(["-ac", "2", "-c:a", "pcm_s16le"])
        .arg(theirs.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = Scratch::new("readers-audio-only.avi");
    let writer = Writer::create(ours.path(), WriterOptions::default()).unwrap();
    let audio = writer
        .add_audio_stream(
            AudioFormat::pcm(PcmFormat::derive(2, 44100, 16).unwrap()),
            None,
        )
        .unwrap();
    for n in 0..10 {
        audio.write_block(true, &pcm_block(4410, n)).unwrap();
    }
    writer.close().unwrap();
    assert_eq!(
        allowances(&avi_check(theirs.path(), &[])),
        ["mplayer:audio-only"]
    );
    let report = avi_check(
        ours.path(),
        &["--audio-bytes", &(10 * 4410 * 4).to_string()],
    );
    assert_eq!(allowances(&report), ["mplayer:audio-only"]);
}

#[test]
fn a_file_without_data_is_beyond_gstreamer_and_mplayer_ffmpegs_too() {
    let theirs = Scratch::new("readers-ffmpeg-empty.avi");
    ffmpeg_numbered(
        theirs.path(),
        W,
        H,
        0,
        &["-c:v", "rawvideo", "-pix_fmt", "bgr24"],
    );
    let ours = Scratch::new("readers-empty.avi");
    let writer = Writer::create(ours.path(), WriterOptions::default()).unwrap();
    writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 24), None)
        .unwrap();
    writer.close().unwrap();
    for file in [&theirs, &ours] {
        assert_eq!(
            allowances(&avi_check(file.path(), &["--video-frames", "0"])),
            ["gstreamer:no-data", "mplayer:no-video-frames"],
            "{}",
            file.path().display()
        );
    }
}

#[test]
fn a_hundred_tiny_pcm_streams_are_beyond_gstreamer_and_vlc_ffmpegs_too() {
    // 100 mono streams of one 20 ms chunk each, as writer/files.rs writes them.
    let theirs = Scratch::new("readers-ffmpeg-hundred.avi");
    let maps: Vec<&str> = (0..100).flat_map(|_| ["-map", "0:a"]).collect();
    let out = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=r=8000:d=0.02",
        ])
        .args(&maps)
        .args(["-c:a", "pcm_s16le"])
        .arg(theirs.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = Scratch::new("readers-hundred.avi");
    let writer = Writer::create(ours.path(), WriterOptions::default()).unwrap();
    let mono = AudioFormat::pcm(PcmFormat::derive(1, 8000, 16).unwrap());
    let streams: Vec<_> = (0..100)
        .map(|_| writer.add_audio_stream(mono.clone(), None).unwrap())
        .collect();
    for (i, s) in streams.iter().enumerate() {
        s.write_block(true, &[i as u8; 320]).unwrap();
    }
    writer.close().unwrap();
    for file in [&theirs, &ours] {
        assert_eq!(
            allowances(&avi_check(file.path(), &["--no-pyav"])),
            [
                "gstreamer:max-16-streams",
                "vlc:tiny-pcm-stream",
                "mplayer:audio-only"
            ],
            "{}",
            file.path().display()
        );
    }
}

#[test]
fn every_reader_delivers_every_frame_of_several_numbered_streams() {
    let file = Scratch::new("readers-several.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let formats = [
        VideoFormat::dib(W as u32, H as u32, 24),
        VideoFormat::dib(80, 60, 32),
    ];
    let videos: Vec<_> = formats
        .iter()
        .map(|f| writer.add_video_stream(f.clone(), None).unwrap())
        .collect();
    let audio = writer
        .add_audio_stream(
            AudioFormat::pcm(PcmFormat::derive(2, 44100, 16).unwrap()),
            None,
        )
        .unwrap();
    for n in 0..FRAMES {
        for (video, f) in videos.iter().zip(&formats) {
            let (w, h, bpp) = (
                f.width as usize,
                f.height as usize,
                f.bits_per_pixel as usize,
            );
            video
                .write_frame(true, &numbered_dib(w, h, bpp, n))
                .unwrap();
        }
        audio.write_block(true, &pcm_block(1470, n)).unwrap();
    }
    writer.close().unwrap();
    let frames = FRAMES.to_string();
    let report = avi_check(
        file.path(),
        &[
            "--video-frames",
            &frames,
            "--frame-numbers",
            &frames,
            "--seek-frame",
            "23",
            "--audio-bytes",
            &(FRAMES * 1470 * 4).to_string(),
        ],
    );
    assert_eq!(allowances(&report), ["mplayer:dib-upside-down"]);
}
