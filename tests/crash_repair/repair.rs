//! Strict inspection and repair: our files and FFmpeg's pass, injected faults are named, and
//! files cut at any byte are rebuilt to every complete chunk.

use crate::common::content::{dib_frame, dib_to_top_down, pcm_block};
use crate::common::ffmpeg::ffmpeg_decode;
use crate::common::riff::{first, walk};
use crate::common::rng::{random_seed, TestRng};
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::repair::{inspect_file, repair_file};
use avikit::{AudioFormat, FourCc, PcmFormat, Status, VideoFormat, Writer, WriterOptions};
use std::path::Path;
use std::process::Command;

/// A small recording with an odd-sized compressed stream, a DIB stream and PCM, over several
/// RIFF segments, with checkpoints from flushes inside them.
fn record(path: &Path) -> Vec<(usize, Vec<u8>)> {
    let options = WriterOptions::default()
        .with_riff_limit(64 * 1024)
        .with_checkpoint_interval(None);
    let writer = Writer::create(path, options).unwrap();
    let raw = writer
        .add_video_stream(
            VideoFormat::compressed(15, 15, FourCc::new(*b"Y800")).with_bits_per_pixel(8),
            None,
        )
        .unwrap();
    let dib = writer
        .add_video_stream(VideoFormat::dib(5, 3, 24), None)
        .unwrap();
    let pcm = writer
        .add_audio_stream(
            AudioFormat::pcm(PcmFormat::derive(2, 8000, 16).unwrap()),
            None,
        )
        .unwrap();
    let mut written = Vec::new();
    for n in 0..60usize {
        // Raw 8-bit gray frames of 225 bytes: odd, so every one needs a pad byte.
        let frame = vec![n as u8; 225];
        raw.write_frame(n % 5 == 0, &frame).unwrap();
        written.push((0, frame));
        let picture = dib_frame(5, 3, 24, n);
        dib.write_frame(true, &picture).unwrap();
        written.push((1, picture));
        let block = pcm_block(1067, n);
        pcm.write_block(true, &block).unwrap();
        written.push((2, block));
        if n % 9 == 4 {
            writer.flush(false).unwrap();
        }
    }
    writer.close().unwrap();
    written
}

#[test]
fn our_files_pass_and_report_their_shape() {
    let file = Scratch::new("inspect-ours.avi");
    record(file.path());
    let report = inspect_file(file.path()).unwrap();
    assert_eq!(
        (
            report.stream_count,
            report.video_frames,
            report.audio_chunks
        ),
        (3, 60, 60)
    );
    assert!(report.riff_count > 3, "{report:?}");
    avi_check(file.path(), &["--video-frames", "60"]);
}

fn ffmpeg_make(path: &Path, args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ffmpeg_files_pass() {
    let raw = Scratch::new("ffmpeg-raw.avi");
    ffmpeg_make(
        raw.path(),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine",
            "-t",
            "2",
            "-c:v",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
            "-c:a",
            "pcm_s16le",
        ],
    );
    inspect_file(raw.path()).unwrap();
    let mp3 = Scratch::new("ffmpeg-mjpeg-mp3.avi");
    ffmpeg_make(
        mp3.path(),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=64x48:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine",
            "-t",
            "2",
            "-c:v",
            "mjpeg",
            "-c:a",
            "libmp3lame",
        ],
    );
    inspect_file(mp3.path()).unwrap();
    let big = Scratch::new("ffmpeg-opendml.avi");
    ffmpeg_make(
        big.path(),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x480:rate=25",
            "-frames:v",
            "1300",
            "-c:v",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
        ],
    );
    let report = inspect_file(big.path()).unwrap();
    assert!(report.riff_count > 1);
    assert_eq!(report.video_frames, 1300);
}

/// Applies `damage` to a copy of a good file and returns inspection's message.
fn fault_of(good: &[u8], damage: impl FnOnce(&mut Vec<u8>)) -> String {
    let bad = Scratch::new("inspect-bad.avi");
    let mut bytes = good.to_vec();
    damage(&mut bytes);
    std::fs::write(bad.path(), &bytes).unwrap();
    let err = inspect_file(bad.path()).unwrap_err();
    assert_eq!(err.status(), Status::InvalidArgument);
    err.message().to_string()
}

#[test]
fn injected_faults_are_named() {
    let file = Scratch::new("inspect-good.avi");
    record(file.path());
    let good = std::fs::read(file.path()).unwrap();
    let chunks = walk(&good);
    let idx1 = first(&chunks, b"idx1").offset;
    let msg = fault_of(&good, |b| b[idx1 + 8] ^= 0x40);
    assert!(msg.contains("idx1 entry 0 points at"), "{msg}");
    let msg = fault_of(&good, |b| b[idx1 + 15] |= 0x80);
    assert!(msg.contains("bit 31"), "{msg}");
    let ix = chunks.iter().find(|c| &c.id == b"ix00").unwrap().offset;
    let msg = fault_of(&good, |b| b[ix + 24] ^= 0x10);
    assert!(msg.contains("ix entry 0 of stream 0"), "{msg}");
    // Index chunks that only FFmpeg follows: a nested index in movi, a super index entry that
    // points at an index of indexes.
    let msg = fault_of(&good, |b| b[ix - 8..ix - 4].copy_from_slice(b"indx"));
    assert!(msg.contains("nested index-of-indexes in movi"), "{msg}");
    let msg = fault_of(&good, |b| b[ix + 3] = 0);
    assert!(msg.contains("another index of indexes"), "{msg}");
    let strh = first(&chunks, b"strh").offset;
    let msg = fault_of(&good, |b| b[strh + 32] ^= 1);
    assert!(msg.contains("strh.dwLength of stream 0"), "{msg}");
    let msg = fault_of(&good, |b| b.truncate(b.len() - 100));
    assert!(
        msg.contains("truncated") || msg.contains("runs past"),
        "{msg}"
    );
    // Remove the pad byte after the first odd-sized chunk and fix up the sizes around it.
    let odd = chunks
        .iter()
        .find(|c| &c.id == b"00dc" && c.size % 2 == 1)
        .unwrap()
        .clone();
    let msg = fault_of(&good, |b| {
        b.remove(odd.offset + odd.size);
    });
    assert!(
        msg.contains("pad") || msg.contains("runs past") || msg.contains("unexpected"),
        "{msg}"
    );
}

#[test]
fn files_cut_anywhere_repair_to_every_complete_chunk() {
    let file = Scratch::new("repair-source.avi");
    let written = record(file.path());
    let good = std::fs::read(file.path()).unwrap();
    let chunks = walk(&good);
    let hdrl_end = {
        let hdrl = chunks.iter().find(|c| c.form == Some(*b"hdrl")).unwrap();
        hdrl.offset + hdrl.size
    };
    let data: Vec<_> = chunks
        .iter()
        .filter(|c| c.id[0].is_ascii_digit())
        .cloned()
        .collect();
    // Every chunk boundary, a byte inside every tenth chunk, and cuts inside the header.
    let mut cuts: Vec<usize> = data
        .iter()
        .map(|c| c.offset + c.size + (c.size & 1))
        .collect();
    cuts.extend(data.iter().step_by(10).map(|c| c.offset + c.size / 2));
    cuts.extend([20, 100, hdrl_end - 3]);
    for cut in cuts {
        let cut_file = Scratch::new("repair-cut.avi");
        std::fs::write(cut_file.path(), &good[..cut]).unwrap();
        let out = Scratch::new("repair-out.avi");
        let result = repair_file(cut_file.path(), Some(out.path()));
        if cut < hdrl_end {
            let err = result.unwrap_err();
            assert!(err.message().contains("header"), "cut {cut}: {err}");
            continue;
        }
        let report = result.unwrap_or_else(|e| panic!("cut {cut}: {e}"));
        assert!(report.was_damaged || cut == good.len());
        inspect_file(out.path())
            .unwrap_or_else(|e| panic!("cut {cut}: repaired file fails inspection: {e}"));
        let kept = data.iter().filter(|c| c.offset + c.size <= cut).count();
        let repaired = std::fs::read(out.path()).unwrap();
        let payloads: Vec<Vec<u8>> = walk(&repaired)
            .iter()
            .filter(|c| c.id[0].is_ascii_digit())
            .map(|c| repaired[c.offset..c.offset + c.size].to_vec())
            .collect();
        assert_eq!(
            payloads.len(),
            kept,
            "cut {cut}: every complete chunk is kept"
        );
        assert!(
            payloads.iter().zip(&written).all(|(p, (_, w))| p == w),
            "cut {cut}: payloads in order"
        );
    }
    let sample = Scratch::new("repair-sample.avi");
    std::fs::write(sample.path(), &good[..good.len() * 2 / 3]).unwrap();
    let report = repair_file(sample.path(), None).unwrap();
    assert!(report.was_damaged && report.bytes_recovered > 0);
    avi_check(sample.path(), &[]);
}

/// A [`avikit::sink::Sink`] over a real file that fails every write from its `fail_from`th call on,
/// as a full disk would.
struct FullDisk {
    file: avikit::sink::FileSink,
    calls: usize,
    fail_from: usize,
}

impl avikit::sink::Sink for FullDisk {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> Result<(), avikit::sink::WriteError> {
        self.calls += 1;
        if self.calls >= self.fail_from {
            return Err(std::io::Error::from_raw_os_error(libc::ENOSPC).into());
        }
        self.file.write_at(offset, bufs)
    }
    fn flush(&mut self, durable: bool) -> std::io::Result<()> {
        self.file.flush(durable)
    }
}

#[test]
fn a_full_disk_stops_with_io_and_repairs_to_what_was_written() {
    for fail_from in [4, 9, 17, 30] {
        let file = Scratch::new(&format!("full-disk-{fail_from}.avi"));
        let sink = FullDisk {
            file: avikit::sink::FileSink::create(file.path()).unwrap(),
            calls: 0,
            fail_from,
        };
        let options = WriterOptions::default().with_checkpoint_interval(None);
        let writer = Writer::with_sink(Box::new(sink), options).unwrap();
        let video = writer
            .add_video_stream(VideoFormat::dib(8, 8, 32), None)
            .unwrap();
        let mut landed = Vec::new();
        for n in 0..40 {
            let frame = dib_frame(8, 8, 32, n);
            match video.write_frame(true, &frame) {
                Ok(()) => landed.push(frame),
                Err(e) => assert!(
                    matches!(e.status(), Status::Io | Status::WriterFailed),
                    "{e}"
                ),
            }
        }
        let err = writer.close().unwrap_err();
        assert_eq!(err.status(), Status::Io);
        assert!(err.message().contains("No space left"), "{err}");
        let out = Scratch::new(&format!("full-disk-{fail_from}-repaired.avi"));
        let report = repair_file(file.path(), Some(out.path())).unwrap();
        inspect_file(out.path()).unwrap();
        assert_eq!(
            report.video_frames as usize,
            landed.len(),
            "fail at call {fail_from}"
        );
        let decoded = ffmpeg_decode(out.path(), "0:v:0", "rawvideo", &["-pix_fmt", "bgra"]);
        let expected: Vec<u8> = landed
            .iter()
            .flat_map(|f| dib_to_top_down(f, 8, 8, 32))
            .collect();
        assert!(decoded == expected, "fail at call {fail_from}");
    }
}

/// Mutated copies of a recording are inspected and repaired without a panic or a hang, and what
/// repair writes passes inspection. A fixed seed and count (`AVIKIT_MUTATION_RUNS`, default
/// 10,000; `AVIKIT_MUTATION_SEED` sets another seed), so two runs of one commit do the same;
/// `AVIKIT_RANDOM_SEEDS=1` takes a seed from the clock and runs for `AVIKIT_MUTATION_SECONDS`
/// (default 15) instead.
#[test]
fn random_mutations_never_panic_or_hang() {
    let file = Scratch::new("mutate-source.avi");
    record(file.path());
    let good = std::fs::read(file.path()).unwrap();
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let chosen = std::env::var("AVIKIT_MUTATION_SEED")
        .ok()
        .and_then(|s| s.parse().ok());
    let random = chosen.is_none().then(random_seed).flatten();
    let seed = chosen.or(random).unwrap_or(0x5eed);
    let wanted = env("AVIKIT_MUTATION_RUNS", 10_000);
    let seconds = env("AVIKIT_MUTATION_SECONDS", 15);
    let deadline =
        random.map(|_| std::time::Instant::now() + std::time::Duration::from_secs(seconds));
    match deadline {
        Some(_) => eprintln!(
            "mutations: seed {seed} from the clock for {seconds} s (reproduce with \
             AVIKIT_MUTATION_SEED={seed})"
        ),
        None => eprintln!("mutations: seed {seed}, {wanted} runs"),
    }
    let mut rng = TestRng::new(seed);
    let mut runs = 0;
    while deadline.map_or(runs < wanted, |d| std::time::Instant::now() < d) {
        let mut bytes = good.clone();
        for _ in 0..1 + rng.below(8) {
            let len = bytes.len();
            let at = rng.below(len as u64) as usize;
            match rng.below(4) {
                0 => bytes[at] ^= 1 << rng.below(8),
                1 => bytes[at..(at + 4).min(len)].fill(0xFF),
                2 => bytes.truncate(at.max(1)),
                _ => {
                    bytes[at..(at + 4).min(len)].copy_from_slice(
                        &(rng.below(1 << 32) as u32).to_le_bytes()[..(len - at).min(4)],
                    );
                }
            }
        }
        let mutated = Scratch::new("mutated.avi");
        std::fs::write(mutated.path(), &bytes).unwrap();
        let _ = inspect_file(mutated.path());
        let out = Scratch::new("mutated-repaired.avi");
        if repair_file(mutated.path(), Some(out.path())).is_ok() {
            inspect_file(out.path())
                .unwrap_or_else(|e| panic!("run {runs}: a repaired file fails inspection: {e}"));
        }
        runs += 1;
    }
    eprintln!("{runs} mutated files inspected and repaired");
    // Time-bounded, the run must still have done enough to mean something.
    assert!(
        deadline.is_none() || runs > 50,
        "{runs} runs in {seconds} s"
    );
}
