//! Output bytes are part of the contract (docs/c-api.md §11): the same calls give the same file.
//! Each recording here covers one shape of file (AVI 1.0 with PCM and INFO, OpenDML segments
//! with checkpoints, MJPEG, H.264, converted DIBs, pass-through video with non-square pixels
//! and a declared audio format, timed writes with gaps, silence and trims) and must hash to the
//! SHA-256 recorded below: the hashes the same recording gave before the modules were
//! restructured (commit 871b8b9, with its older option syntax), so the restructuring moved no
//! byte. A change that moves a byte fails here; if the change is meant, say why in its commit
//! and record the new hash.

use crate::common::content::pcm_block;
use crate::common::numbered::{numbered_bgra, numbered_dib};
use crate::common::scratch::Scratch;
use avikit::codec::encoder::DibConversion;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{
    AudioFormat, FourCc, FrameRate, PcmFormat, PixelAspect, VideoFormat, Writer, WriterOptions,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;

const W: usize = 64;
const H: usize = 48;
const BLOCK_SAMPLES: usize = 1470;

fn options() -> WriterOptions {
    WriterOptions::default().with_checkpoint_interval(None)
}

fn bgra_input() -> InputLayout {
    InputLayout::new(W as u32, H as u32, PixelFormat::Bgra32)
}

fn pcm_stereo() -> PcmFormat {
    PcmFormat::derive(2, 44_100, 16).unwrap()
}

/// Records with `record` into a scratch file and returns the file's SHA-256 in hex.
fn hash_of(name: &str, options: WriterOptions, record: impl FnOnce(&Writer)) -> String {
    let file = Scratch::new(&format!("golden-{name}.avi"));
    let writer = Writer::create(file.path(), options).unwrap();
    record(&writer);
    writer.close().unwrap();
    let digest = Sha256::digest(std::fs::read(file.path()).unwrap());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn dib_pcm_avi1(writer: &Writer) {
    writer.set_info("INAM", "golden").unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 24), Some("camera"))
        .unwrap();
    let audio = writer
        .add_audio_stream(AudioFormat::pcm(pcm_stereo()), Some("mic"))
        .unwrap();
    for n in 0..30 {
        video.write_frame(true, &numbered_dib(W, H, 24, n)).unwrap();
        audio
            .write_block(true, &pcm_block(BLOCK_SAMPLES, n))
            .unwrap();
        if n == 14 {
            writer.flush(false).unwrap();
        }
    }
}

fn odml_segments(writer: &Writer) {
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None)
        .unwrap();
    let audio = writer
        .add_audio_stream(AudioFormat::pcm(pcm_stereo()), None)
        .unwrap();
    for n in 0..90 {
        video.write_frame(true, &numbered_dib(W, H, 32, n)).unwrap();
        audio
            .write_block(true, &pcm_block(BLOCK_SAMPLES, n))
            .unwrap();
        if n % 10 == 9 {
            writer.flush(false).unwrap();
        }
    }
}

#[cfg(feature = "mjpeg")]
fn mjpeg(writer: &Writer) {
    let encoder = avikit::codec::mjpeg::MjpegEncoder::new(bgra_input(), 75).unwrap();
    let video = writer
        .add_encoding_video_stream(Arc::new(encoder), None)
        .unwrap();
    for n in 0..20 {
        video.write_frame(true, &numbered_bgra(W, H, n)).unwrap();
    }
}

#[cfg(feature = "h264")]
fn h264(writer: &Writer) {
    let rate = FrameRate::new(30, 1).unwrap();
    let encoder = avikit::codec::h264::H264Encoder::new(bgra_input(), 75, 10, rate, 1).unwrap();
    let video = writer
        .add_sequential_video_stream(Box::new(encoder), None)
        .unwrap();
    for n in 0..20 {
        video
            .write_frame(n % 10 == 0, &numbered_bgra(W, H, n))
            .unwrap();
    }
}

fn converted_dib(writer: &Writer) {
    let encoder = DibConversion::new(bgra_input(), 24).unwrap();
    let video = writer
        .add_encoding_video_stream(Arc::new(encoder), None)
        .unwrap();
    for n in 0..10 {
        video.write_frame(true, &numbered_bgra(W, H, n)).unwrap();
    }
}

fn passthrough_declared_audio(writer: &Writer) {
    let format = VideoFormat::compressed(320, 240, FourCc::new(*b"XVID"))
        .with_pixel_aspect(PixelAspect::new(10, 11).unwrap());
    let video = writer.add_video_stream(format, Some("pass")).unwrap();
    // IEEE float stereo at 48 kHz with two extra format bytes.
    let float = AudioFormat::declared(3, 2, 48_000, 32, 8, 0, vec![0xAB, 0xCD]).unwrap();
    let audio = writer.add_audio_stream(float, None).unwrap();
    for n in 0..12u8 {
        let frame: Vec<u8> = (0..100 + usize::from(n) * 7).map(|i| i as u8 ^ n).collect();
        video.write_frame(n % 4 == 0, &frame).unwrap();
        audio.write_block(true, &[n; 8 * 160]).unwrap();
    }
}

fn timed_gaps(writer: &Writer) {
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None)
        .unwrap();
    let audio = writer.add_pcm_stream(pcm_stereo(), None).unwrap();
    let ms = |t: i64| 1_000_000_000_000 + t * 1_000_000;
    // 30 fps: frames at 0, 33, 100 (one empty slot), 300 (five), then two skipped slots.
    for (n, at) in [(0, 0), (1, 33), (2, 100), (3, 300)] {
        video
            .write_frame_at(true, ms(at), &numbered_dib(W, H, 32, n))
            .unwrap();
    }
    video.skip_frames(2).unwrap();
    // 100 ms blocks at 0 and 100 ms, one lost (silence), one 30 ms early (trimmed).
    for (n, at) in [(0, 0), (1, 100), (2, 300), (3, 370)] {
        audio
            .write_block_at(true, ms(at), &pcm_block(4410, n))
            .unwrap();
    }
}

#[test]
fn every_shape_of_file_keeps_its_bytes() {
    let mut hashes = vec![
        ("dib-pcm-avi1", hash_of("dib-pcm", options(), dib_pcm_avi1)),
        (
            "odml-segments",
            hash_of("odml", options().with_riff_limit(64 * 1024), odml_segments),
        ),
        (
            "converted-dib",
            hash_of("converted", options(), converted_dib),
        ),
        (
            "passthrough-declared-audio",
            hash_of("passthrough", options(), passthrough_declared_audio),
        ),
        ("timed-gaps", hash_of("timed", options(), timed_gaps)),
    ];
    #[cfg(feature = "mjpeg")]
    hashes.push(("mjpeg", hash_of("mjpeg", options(), mjpeg)));
    #[cfg(feature = "h264")]
    hashes.push(("h264", hash_of("h264", options(), h264)));
    let expected = [
        (
            "dib-pcm-avi1",
            "29ac305942506e9d2da8379b0ef35af8bffaf725fa1235d6bdad7106118a7734",
        ),
        (
            "odml-segments",
            "5a93a364b3f36b9c513c0af435196f1ef9f6d1a4173b44f4652283db44a73989",
        ),
        (
            "converted-dib",
            "d7cc13824f0ff311d23c0fe74b4f9d0e7bb5dd4e943196a467f56a8081ae0eb3",
        ),
        (
            "passthrough-declared-audio",
            "4627ba710b13ac325281978ad9a96492bd6cdcad5fb96a7fcf2360f5ee69a305",
        ),
        (
            "timed-gaps",
            "19d6b6ef5c44152e7203e5b30daa7bf6740a85a465da98e2e27517f841ce839f",
        ),
        (
            "mjpeg",
            "7fd0569c295434145feb815dfbef75b5d9636634208aec6c23aa5e18594161a9",
        ),
        (
            "h264",
            "58ab3728c77ad2a24971da2fad58e6ff49d6468c82091db1cd1f62bd7b0e73d0",
        ),
    ];
    let changed: Vec<String> = hashes
        .iter()
        .filter(|(name, hash)| expected.iter().find(|e| e.0 == *name).unwrap().1 != hash)
        .map(|(name, hash)| format!("{name}: now {hash}"))
        .collect();
    assert!(
        changed.is_empty(),
        "these files' bytes changed: {changed:#?}"
    );
}
