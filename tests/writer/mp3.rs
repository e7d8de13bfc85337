//! AVK_AUDIO_MP3: LAME loaded at run time, one MP3 frame per chunk, duration within one frame,
//! and audio in step with video (LAME's delay taken off the input).

use crate::common::content::dib_frame;
use crate::common::ffmpeg::ffmpeg_decode;
use crate::common::riff::{le32, walk};
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::codec::mp3::Mp3Encoder;
use avikit::codec::probe_lame;
use avikit::{Status, VideoFormat, Writer, WriterOptions};

const RATE: usize = 44100;

/// Stereo 16-bit PCM: silence, with a loud 1 kHz burst from `burst_at` seconds on.
fn pcm_with_burst(samples: usize, burst_at: f64) -> Vec<u8> {
    (0..samples)
        .flat_map(|i| {
            let t = i as f64 / RATE as f64;
            let v = if t >= burst_at {
                ((t * 1000.0 * std::f64::consts::TAU).sin() * 20000.0) as i16
            } else {
                0
            };
            [v.to_le_bytes(), v.to_le_bytes()].concat()
        })
        .collect()
}

#[test]
fn mp3_decodes_to_the_right_length_and_stays_in_sync() {
    let file = Scratch::new("mp3.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(8, 8, 32), None)
        .unwrap();
    let audio = writer
        .add_encoding_audio_stream(
            Box::new(Mp3Encoder::new(2, RATE as u32, 16, 128).unwrap()),
            Some("mp3"),
        )
        .unwrap();
    // 3 s at 30 fps, one audio block per frame; the burst starts at 2.0 s.
    let pcm = pcm_with_burst(3 * RATE, 2.0);
    let per_frame = RATE / 30 * 4;
    for (n, block) in pcm.chunks(per_frame).enumerate() {
        video.write_frame(true, &dib_frame(8, 8, 32, n)).unwrap();
        audio.write_block(true, block).unwrap();
    }
    assert_eq!(
        audio.write_block(true, &[0; 3]).unwrap_err().status(),
        Status::InvalidArgument
    );
    writer.close().unwrap();

    avi_check(file.path(), &["--video-frames", "90", "--seek-frame", "80"]);
    let decoded = ffmpeg_decode(file.path(), "0:a:0", "s16le", &["-ac", "1"]);
    let samples: Vec<i16> = decoded
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    let frame = 1152;
    assert!(
        samples.len().abs_diff(3 * RATE) <= frame,
        "decoded {} samples for {} written",
        samples.len(),
        3 * RATE
    );
    let onset = samples
        .iter()
        .position(|s| s.unsigned_abs() > 5000)
        .expect("the burst is there");
    let expected = 2 * RATE;
    assert!(
        onset.abs_diff(expected) <= 64,
        "the burst starts at sample {onset}, written at {expected}: audio is out of step by {} ms",
        (onset as f64 - expected as f64) * 1000.0 / RATE as f64
    );
    // One MP3 frame per chunk, and the header says MPEG Layer III counted in frames.
    let bytes = std::fs::read(file.path()).unwrap();
    let chunks = walk(&bytes);
    let frames: Vec<_> = chunks.iter().filter(|c| &c.id == b"01wb").collect();
    assert!(frames
        .iter()
        .all(|c| bytes[c.offset] == 0xFF && bytes[c.offset + 1] & 0xE0 == 0xE0));
    let strh = chunks
        .iter()
        .filter(|c| &c.id == b"strh")
        .nth(1)
        .unwrap()
        .offset;
    assert_eq!(
        (le32(&bytes, strh + 20), le32(&bytes, strh + 24)),
        (1152, 44100),
        "dwScale, dwRate"
    );
    assert_eq!(
        le32(&bytes, strh + 32) as usize,
        frames.len(),
        "dwLength counts frames"
    );
    assert_eq!(le32(&bytes, strh + 44), 0, "dwSampleSize 0");
    let strf = chunks.iter().filter(|c| &c.id == b"strf").nth(1).unwrap();
    assert_eq!(
        (strf.size, &bytes[strf.offset..strf.offset + 2]),
        (30, &[0x55, 0][..])
    );
    // nBlockAlign: the samples of one frame, which readers time each chunk by.
    assert_eq!(
        bytes[strf.offset + 12..strf.offset + 14],
        1152u16.to_le_bytes()
    );
    avikit::repair::inspect_file(file.path()).unwrap();
    // Copied out of the AVI, the audio keeps its 3 s (it was 1152 times too long when
    // nBlockAlign was 1: FFmpeg timed each chunk as its byte count).
    let copied = Scratch::new("mp3-copied.mka");
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(file.path())
        .args(["-map", "0:a", "-c", "copy"])
        .arg(copied.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(copied.path())
        .output()
        .unwrap();
    let seconds: f64 = String::from_utf8_lossy(&probe.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(
        (seconds - 3.0).abs() < 0.1,
        "copied audio lasts {seconds} s"
    );
}

#[test]
fn mono_and_low_rates_and_bad_options() {
    let file = Scratch::new("mp3-mono.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let audio = writer
        .add_encoding_audio_stream(Box::new(Mp3Encoder::new(1, 22050, 16, 64).unwrap()), None)
        .unwrap();
    for n in 0..40 {
        let block: Vec<u8> = (0..1000)
            .map(|i| (((n * 1000 + i) as f64 / 7.0).sin() * 9000.0) as i16)
            .flat_map(i16::to_le_bytes)
            .collect();
        audio.write_block(true, &block).unwrap();
    }
    writer.close().unwrap();
    avi_check(file.path(), &[]);
    let decoded = ffmpeg_decode(file.path(), "0:a:0", "s16le", &[]);
    assert!(
        (decoded.len() / 2).abs_diff(40_000) <= 576,
        "{} samples",
        decoded.len() / 2
    );
    for (c, r, b, k) in [
        (3, 44100, 16, 128),
        (2, 44100, 8, 128),
        (2, 44000, 16, 128),
        (2, 44100, 16, 100),
        (2, 22050, 16, 320),
    ] {
        assert_eq!(
            Mp3Encoder::new(c, r, b, k).unwrap_err().status(),
            Status::InvalidArgument,
            "{c} {r} {b} {k}"
        );
    }
}

#[test]
fn a_missing_lame_says_what_to_install() {
    let err = probe_lame("/nonexistent/libmp3lame.so.0").unwrap_err();
    probe_lame("libmp3lame.so.0").unwrap();
    assert_eq!(err.status(), Status::Unsupported);
    assert!(err.message().contains("apt install libmp3lame0"), "{err}");
}
