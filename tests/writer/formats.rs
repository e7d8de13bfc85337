//! The formats capture tools need beyond 16-bit stereo and square pixels: 8/24/32-bit and
//! float PCM in up to 18 channels (WAVE_FORMAT_EXTENSIBLE with speaker masks), INFO metadata and
//! non-square pixels (`vprp`), as ffprobe and the other readers see them.

use crate::common::content::dib_frame;
use crate::common::ffmpeg::ffmpeg_decode;
use crate::common::riff::{find, first, walk};
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::codec::encoder::PixelShaped;
use avikit::codec::mjpeg::MjpegEncoder;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{AudioFormat, PcmFormat, PixelAspect, Status, VideoFormat, Writer, WriterOptions};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

/// ffprobe's `-show_streams -show_format` of `path`.
fn probe(path: &Path) -> Probe {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Probe(serde_json::from_slice(&out.stdout).unwrap())
}

struct Probe(serde_json::Value);

impl Probe {
    /// The field at a `/`-separated path (`streams/0/codec_name`) as text; "" when absent.
    fn get(&self, path: &str) -> String {
        let mut v = &self.0;
        for key in path.split('/') {
            v = match key.parse::<usize>() {
                Ok(i) => &v[i],
                Err(_) => &v[key],
            };
        }
        match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
    }
}

/// Deterministic sample bytes: every byte differs from its neighbours.
fn samples(len: usize, seed: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 31 + seed * 7) % 251) as u8)
        .collect()
}

#[test]
fn pcm_depths_float_and_surround_layouts_decode_bit_exactly() {
    // (format, ffprobe codec, raw format for ffmpeg, ffprobe channel layout: plain WAVEFORMATEX
    // has none to show)
    let cases = [
        (PcmFormat::derive(1, 8000, 8).unwrap(), "pcm_u8", "u8", ""),
        (
            PcmFormat::derive(2, 44100, 16).unwrap(),
            "pcm_s16le",
            "s16le",
            "",
        ),
        (
            PcmFormat::derive(2, 48000, 24).unwrap(),
            "pcm_s24le",
            "s24le",
            "stereo",
        ),
        (
            PcmFormat::derive(6, 48000, 32).unwrap(),
            "pcm_s32le",
            "s32le",
            "5.1",
        ),
        (
            PcmFormat::float(8, 48000).unwrap(),
            "pcm_f32le",
            "f32le",
            "7.1",
        ),
        (
            PcmFormat::float(2, 44100).unwrap(),
            "pcm_f32le",
            "f32le",
            "stereo",
        ),
        (
            PcmFormat::derive(18, 48000, 16).unwrap(),
            "pcm_s16le",
            "s16le",
            "",
        ),
    ];
    for (n, (format, codec, raw, layout)) in cases.into_iter().enumerate() {
        let file = Scratch::new(&format!("pcm-{n}.avi"));
        let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
        let audio = writer
            .add_audio_stream(AudioFormat::pcm(format), None)
            .unwrap();
        let block = usize::from(format.block_align) * (format.sample_rate as usize / 10);
        let written: Vec<u8> = (0..12).flat_map(|i| samples(block, i)).collect();
        for piece in written.chunks(block) {
            audio.write_block(true, piece).unwrap();
        }
        writer.close().unwrap();
        let info = probe(file.path());
        assert_eq!(info.get("streams/0/codec_name"), codec, "case {n}");
        assert_eq!(info.get("streams/0/channels"), format.channels.to_string());
        assert_eq!(info.get("streams/0/channel_layout"), layout, "case {n}");
        let extensible = format.needs_extensible();
        let bytes = std::fs::read(file.path()).unwrap();
        let strf = first(&walk(&bytes), b"strf").clone();
        let tag = u16::from_le_bytes([bytes[strf.offset], bytes[strf.offset + 1]]);
        assert_eq!(tag == 0xFFFE, extensible, "case {n}: wFormatTag {tag:#x}");
        avi_check(file.path(), &["--audio-bytes", &written.len().to_string()]);
        let decoded = ffmpeg_decode(file.path(), "0:a:0", raw, &[]);
        assert!(
            decoded == written,
            "case {n}: samples differ after decoding"
        );
    }
}

#[test]
fn channel_masks_and_bad_audio_formats_are_refused() {
    assert!(PcmFormat::derive(19, 48000, 16).is_err());
    assert!(PcmFormat::derive(2, 48000, 20).is_err());
    let stereo = PcmFormat::derive(2, 48000, 16).unwrap();
    assert_eq!(
        stereo.with_channel_mask(0x7).unwrap_err().status(),
        Status::InvalidArgument
    );
    // A stereo pair of side speakers: written out, so ffprobe knows where they go.
    let file = Scratch::new("side-pair.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let format = stereo.with_channel_mask(0x600).unwrap();
    let audio = writer
        .add_audio_stream(AudioFormat::pcm(format), None)
        .unwrap();
    audio.write_block(true, &samples(4800 * 4, 1)).unwrap();
    writer.close().unwrap();
    assert_eq!(
        probe(file.path()).get("streams/0/channel_layout"),
        "2 channels (SL+SR)"
    );
}

#[test]
fn info_metadata_reaches_readers_as_tags_with_utf8_intact() {
    let file = Scratch::new("info.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    writer.set_info("INAM", "Première prise — テスト").unwrap();
    writer.set_info("IART", "avikit tests").unwrap();
    writer.set_info("ICMT", "first").unwrap();
    writer
        .set_info("ICMT", "second, replacing the first")
        .unwrap();
    writer.set_info("ICRD", "2026-12-03").unwrap();
    writer.set_info("IGNR", "to be removed").unwrap();
    writer.set_info("IGNR", "").unwrap();
    for bad in ["INAMX", "inam", "ABCD", "I@AM"] {
        assert_eq!(
            writer.set_info(bad, "x").unwrap_err().status(),
            Status::InvalidArgument
        );
    }
    let too_long = "x".repeat(65_001);
    assert_eq!(
        writer.set_info("ICMT", &too_long).unwrap_err().status(),
        Status::InvalidArgument
    );
    let video = writer
        .add_video_stream(VideoFormat::dib(16, 16, 32), None)
        .unwrap();
    video.write_frame(true, &dib_frame(16, 16, 32, 0)).unwrap();
    let late = writer.set_info("INAM", "too late").unwrap_err();
    assert_eq!(late.status(), Status::InvalidState, "{late}");
    writer.close().unwrap();
    let info = probe(file.path());
    assert_eq!(info.get("format/tags/title"), "Première prise — テスト");
    assert_eq!(info.get("format/tags/artist"), "avikit tests");
    assert_eq!(
        info.get("format/tags/comment"),
        "second, replacing the first"
    );
    assert_eq!(info.get("format/tags/date"), "2026-12-03");
    assert_eq!(info.get("format/tags/genre"), "");
    assert_eq!(
        info.get("format/tags/software"),
        concat!("avikit ", env!("CARGO_PKG_VERSION"))
    );
    avi_check(file.path(), &["--video-frames", "1"]);
    // Repair keeps the metadata.
    let repaired = Scratch::new("info-repaired.avi");
    avikit::repair::repair_file(file.path(), Some(repaired.path())).unwrap();
    assert_eq!(
        probe(repaired.path()).get("format/tags/title"),
        "Première prise — テスト"
    );

    // ISFT set to empty leaves no software tag (and with nothing else, no INFO list).
    let file = Scratch::new("no-info.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    writer.set_info("ISFT", "").unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(16, 16, 32), None)
        .unwrap();
    video.write_frame(true, &dib_frame(16, 16, 32, 0)).unwrap();
    writer.close().unwrap();
    let bytes = std::fs::read(file.path()).unwrap();
    assert!(find(&bytes, b"INFO").is_none());
    assert_eq!(probe(file.path()).get("format/tags/software"), "");
}

#[test]
fn non_square_pixels_get_vprp_with_the_display_aspect() {
    let file = Scratch::new("anamorphic.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    // 64x48 with 4:3 pixels shows at 16:9; a PAL-like 720x576 at 16:15 shows at 4:3.
    let wide = PixelAspect::new(4, 3).unwrap();
    let dib = writer
        .add_video_stream(VideoFormat::dib(64, 48, 32).with_pixel_aspect(wide), None)
        .unwrap();
    let layout = InputLayout::new(720, 576, PixelFormat::Bgra32);
    let pal = PixelShaped::new(
        MjpegEncoder::new(layout, 75).unwrap(),
        PixelAspect::new(16, 15).unwrap(),
    );
    let mjpeg = writer
        .add_encoding_video_stream(Arc::new(pal), None)
        .unwrap();
    let square = writer
        .add_video_stream(VideoFormat::dib(16, 16, 32), None)
        .unwrap();
    for n in 0..3 {
        dib.write_frame(true, &dib_frame(64, 48, 32, n)).unwrap();
        mjpeg
            .write_frame(true, &vec![n as u8 * 60; 720 * 576 * 4])
            .unwrap();
        square.write_frame(true, &dib_frame(16, 16, 32, n)).unwrap();
    }
    writer.close().unwrap();
    let info = probe(file.path());
    assert_eq!(info.get("streams/0/sample_aspect_ratio"), "4:3");
    assert_eq!(info.get("streams/0/display_aspect_ratio"), "16:9");
    assert_eq!(info.get("streams/1/sample_aspect_ratio"), "16:15");
    assert_eq!(info.get("streams/1/display_aspect_ratio"), "4:3");
    let bytes = std::fs::read(file.path()).unwrap();
    let vprps = walk(&bytes).iter().filter(|c| &c.id == b"vprp").count();
    assert_eq!(vprps, 2, "square pixels get no vprp");
    avi_check(file.path(), &["--video-frames", "3"]);
    let repaired = Scratch::new("anamorphic-repaired.avi");
    avikit::repair::repair_file(file.path(), Some(repaired.path())).unwrap();
    assert_eq!(
        probe(repaired.path()).get("streams/1/sample_aspect_ratio"),
        "16:15"
    );
    assert_eq!(
        PixelAspect::new(0, 3).unwrap_err().status(),
        Status::InvalidArgument
    );
    assert_eq!(PixelAspect::new(0, 0).unwrap(), PixelAspect::SQUARE);
}
