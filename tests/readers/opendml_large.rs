//! A real OpenDML file past 4 GiB: several AVIX segments, read back by ffmpeg, ffprobe,
//! mediainfo and PyAV, and seeked to a frame near the end. Deleted afterwards.

use crate::common::content::{dib_frame, dib_to_top_down, pcm_block};
use crate::common::riff::{find, le32};
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::{AudioFormat, Payload, PcmFormat, VideoFormat, Writer, WriterOptions};
use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

const WIDTH: usize = 1280;
const HEIGHT: usize = 720;
const FRAMES: usize = 1200;
const PATTERNS: usize = 7;

/// Reads `len` bytes at `at`.
fn read_at(file: &mut std::fs::File, at: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    file.seek(SeekFrom::Start(at)).unwrap();
    file.read_exact(&mut buf).unwrap();
    buf
}

#[test]
fn a_file_past_4_gib_plays_and_seeks() {
    let file = Scratch::new("large.avi");
    let patterns: Vec<Arc<[u8]>> = (0..PATTERNS)
        .map(|n| dib_frame(WIDTH, HEIGHT, 32, n).into())
        .collect();
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(WIDTH as u32, HEIGHT as u32, 32), None)
        .unwrap();
    let audio = writer
        .add_audio_stream(
            AudioFormat::pcm(PcmFormat::derive(2, 44100, 16).unwrap()),
            None,
        )
        .unwrap();
    let tone: Arc<[u8]> = pcm_block(1470, 0).into();
    let mut window = VecDeque::new();
    for n in 0..FRAMES {
        window.push_back(
            video
                .begin_write_frame(true, Payload::shared(patterns[n % PATTERNS].clone()), None)
                .unwrap(),
        );
        audio.write_block(true, &tone).unwrap();
        if window.len() > 8 {
            video.end_write_frame(window.pop_front().unwrap()).unwrap();
        }
    }
    window
        .into_iter()
        .for_each(|r| video.end_write_frame(r).unwrap());
    writer.close().unwrap();

    let size = std::fs::metadata(file.path()).unwrap().len();
    assert!(size > 4 << 30, "file is only {size} bytes");
    // Walk the top-level RIFFs without reading payloads.
    let mut f = std::fs::File::open(file.path()).unwrap();
    let mut at = 0u64;
    let mut forms = Vec::new();
    while at < size {
        let head = read_at(&mut f, at, 12);
        assert_eq!(&head[..4], b"RIFF");
        let riff_size = u64::from(le32(&head, 4));
        assert!(
            riff_size < 1 << 31,
            "segments stay near 1 GiB, got {riff_size}"
        );
        forms.push(head[8..12].to_vec());
        at += 8 + riff_size;
    }
    assert_eq!(at, size, "RIFF sizes add up to the file size");
    assert!(
        forms.len() >= 5,
        "expected at least 5 RIFFs, got {}",
        forms.len()
    );
    assert_eq!(forms[0], b"AVI ");
    assert!(forms[1..].iter().all(|f| f == b"AVIX"));
    // The header with its reserved super indexes (72 KiB per stream).
    let header = read_at(&mut f, 0, 1 << 20);
    let chunks_in_first_riff = first_riff_frames(&header);
    assert!(chunks_in_first_riff > 100 && (chunks_in_first_riff as usize) < FRAMES);
    let dmlh = find(&header, b"dmlh").unwrap();
    assert_eq!(le32(&header, dmlh + 8) as usize, FRAMES);

    let audio_bytes = (FRAMES * 1470 * 4).to_string();
    let frames = FRAMES.to_string();
    let seek = (FRAMES - 9).to_string();
    let report = avi_check(
        file.path(),
        &[
            "--video-frames",
            &frames,
            "--audio-bytes",
            &audio_bytes,
            "--seek-frame",
            &seek,
        ],
    );
    eprintln!("{report}");
    // The frame found by seeking near the end is the one written there.
    let k = FRAMES - 9;
    let t = format!("{:.6}", k as f64 / 30.0);
    let started = std::time::Instant::now();
    let out = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-ss", &t, "-i"])
        .arg(file.path())
        .args([
            "-map",
            "0:v:0",
            "-frames:v",
            "1",
            "-pix_fmt",
            "bgra",
            "-f",
            "rawvideo",
            "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let decoded = out.stdout;
    eprintln!("input seek to frame {k} took {:?}", started.elapsed());
    assert!(decoded == dib_to_top_down(&patterns[k % PATTERNS], WIDTH, HEIGHT, 32));
}

/// `avih.dwTotalFrames`: the frames of the first RIFF.
fn first_riff_frames(header: &[u8]) -> u32 {
    let avih = find(header, b"avih").unwrap();
    le32(header, avih + 8 + 16)
}
