//! Crash safety: a child process records through begin + callback with checkpoints every 50 ms,
//! in RIFF segments so small that a new one starts every few frames (every kill lands within a
//! few milliseconds of a segment boundary, and dozens of boundaries lie between checkpoints), and
//! reports each completed frame over a pipe; the parent SIGKILLs it at a moment chosen by a
//! seed. The unrepaired file must decode without error and hold every frame that completed well
//! before the kill (a checkpoint interval plus scheduling slack), byte for byte; after repair it
//! passes strict inspection and holds every frame reported complete. The same runs record
//! uncompressed DIB frames and lossless Ut Video frames encoded on the encoder threads.

use crate::common::child::spawn_child_test;
use crate::common::content::dib_to_top_down;
use crate::common::ffmpeg::ffmpeg_decode;
use crate::common::numbered::{numbered_dib, numbered_i420};
use crate::common::scratch::Scratch;
use crate::common::tools::{python_run, reader_frames};
use crate::{CHECKPOINT, SLACK};
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{AsyncResult, Payload, PixelAspect, VideoCodec, VideoFormat, Writer, WriterOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::Command;
use std::time::{Duration, Instant};

const W: usize = 64;
const H: usize = 36;
/// The smallest segment the writer allows: about six frames.
const RIFF_LIMIT: u64 = 64 * 1024;

/// What the child records.
#[derive(Clone, Copy, Debug)]
enum Recorded {
    /// 32-bit DIB frames passed through as given.
    Dib,
    /// Camera I420 frames encoded losslessly to Ut Video (`ULY0`) on the encoder threads.
    UtVideo,
}

impl Recorded {
    fn child_test(self) -> &'static str {
        match self {
            Recorded::Dib => "crash_child",
            Recorded::UtVideo => "crash_child_ut_video",
        }
    }

    /// Frame `n` as the child writes it.
    fn frame(self, n: usize) -> Vec<u8> {
        match self {
            Recorded::Dib => numbered_dib(W, H, 32, n),
            Recorded::UtVideo => numbered_i420(W, H, n),
        }
    }

    /// ffmpeg's decode of the first video stream of `path`, and frame `n` as it must decode.
    fn decode(self, path: &std::path::Path) -> Vec<u8> {
        let pix_fmt = match self {
            Recorded::Dib => "bgra",
            Recorded::UtVideo => "yuv420p",
        };
        ffmpeg_decode(path, "0:v:0", "rawvideo", &["-pix_fmt", pix_fmt])
    }

    fn decoded(self, n: usize) -> Vec<u8> {
        match self {
            Recorded::Dib => dib_to_top_down(&numbered_dib(W, H, 32, n), W, H, 32),
            // Lossless: the very samples written.
            Recorded::UtVideo => numbered_i420(W, H, n),
        }
    }

    /// The players that share no code with FFmpeg and decode this codec. GStreamer 1.22 maps
    /// no Ut Video FourCC and VLC 3 shows no Ut Video picture (tests/readers/readers.rs shows
    /// both on FFmpeg's own files); MPlayer's Ut Video decoder is FFmpeg's.
    fn players(self) -> &'static [&'static str] {
        match self {
            Recorded::Dib => &["gstreamer", "vlc"],
            Recorded::UtVideo => &[],
        }
    }
}

/// The child: records until killed. Runs only when spawned by the parent test.
#[test]
#[ignore = "the crash test's child process; run by crash_kills_leave_playable_files"]
fn crash_child() {
    record_until_killed(Recorded::Dib);
}

/// As [`crash_child`], in Ut Video.
#[test]
#[ignore = "the crash test's child process; run by ut_video_crash_kills_leave_playable_files"]
fn crash_child_ut_video() {
    record_until_killed(Recorded::UtVideo);
}

fn record_until_killed(recorded: Recorded) {
    let Ok(path) = std::env::var("AVIKIT_CRASH_CHILD") else {
        return;
    };
    let writer = Writer::create(
        &path,
        WriterOptions::default()
            .with_checkpoint_interval(Some(CHECKPOINT))
            .with_riff_limit(RIFF_LIMIT),
    )
    .unwrap();
    let video = match recorded {
        Recorded::Dib => writer.add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None),
        Recorded::UtVideo => writer.add_video(
            VideoCodec::ut_video(InputLayout::new(W as u32, H as u32, PixelFormat::I420)),
            PixelAspect::SQUARE,
            None,
        ),
    }
    .unwrap();
    for n in 0.. {
        let cb = Box::new(move |r: &AsyncResult| {
            assert_eq!(r.outcome(), Some(Ok(())));
            let mut out = std::io::stdout().lock();
            writeln!(out, "done {n}").unwrap();
            out.flush().unwrap();
        });
        video
            .begin_write_frame(true, Payload::owned(recorded.frame(n)), Some(cb))
            .unwrap();
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn run_once(recorded: Recorded, seed: u64) -> (usize, usize, usize, usize) {
    let file = Scratch::new(&format!("crash-{recorded:?}-{seed}.avi"));
    let mut child = spawn_child_test(
        module_path!(),
        recorded.child_test(),
        "AVIKIT_CRASH_CHILD",
        file.path(),
    );
    let kill_after = Duration::from_millis(300 + (seed * 7919) % 900);
    let started = Instant::now();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut reports = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(n) = line.strip_prefix("done ") {
                reports.push((n.parse::<usize>().unwrap(), Instant::now()));
            }
        }
        reports
    });
    std::thread::sleep(kill_after.saturating_sub(started.elapsed()));
    let killed_at = Instant::now();
    child.kill().unwrap(); // SIGKILL: no destructor, no close
    child.wait().unwrap();
    let reports = reader.join().unwrap();
    let must_have = reports
        .iter()
        .filter(|(_, at)| *at + SLACK <= killed_at)
        .count();
    let reported = reports.len();

    let segments = count(&std::fs::read(file.path()).unwrap(), b"AVIX") + 1;
    assert!(
        segments >= 2,
        "seed {seed}: the recording never left its first RIFF"
    );

    // The scratch file's name carries the seed, so a failed decode names it too.
    let unrepaired = recorded.decode(file.path());
    let frame_len = recorded.decoded(0).len();
    let decoded = unrepaired.len() / frame_len;
    assert!(
        decoded >= must_have,
        "seed {seed}: {decoded} frames decoded, but {must_have} completed {SLACK:?} before the kill"
    );
    for (n, frame) in unrepaired.chunks_exact(frame_len).enumerate() {
        assert!(
            frame == recorded.decoded(n),
            "seed {seed}: frame {n} differs"
        );
    }

    // PyAV decodes the unrepaired file as far, and mediainfo reads its header counts.
    let pyav = python_run(
        "import sys, av\nprint(sum(1 for _ in av.open(sys.argv[1]).decode(video=0)))",
        &[file.path().to_str().unwrap()],
    );
    let pyav_frames: usize = pyav.trim().parse().unwrap();
    assert!(
        pyav_frames >= must_have,
        "seed {seed}: PyAV decoded {pyav_frames} of {must_have}"
    );
    let info = Command::new("mediainfo")
        .args(["--Inform=Video;%FrameCount%"])
        .arg(file.path())
        .output()
        .unwrap();
    let counted: usize = String::from_utf8_lossy(&info.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    assert!(
        counted >= must_have,
        "seed {seed}: mediainfo counts {counted} of {must_have}"
    );

    // The players that share no code with FFmpeg play it as far, from frame 0 without a gap.
    let players = reader_frames(file.path(), recorded.players());
    for reader in recorded.players() {
        let got = &players[*reader];
        let frames = got["frames"].as_u64().unwrap() as usize;
        assert!(
            frames >= must_have
                && got["first"] == 0
                && got["last"] == frames as u64 - 1
                && got["unreadable"] == 0,
            "seed {seed}: {reader} delivered {got} of the {must_have} frames checkpointed"
        );
    }

    // Repair recovers every frame the child saw complete, and the result passes the strict
    // checks.
    let repaired = Scratch::new(&format!("crash-{recorded:?}-{seed}-repaired.avi"));
    let report = avikit::repair::repair_file(file.path(), Some(repaired.path())).unwrap();
    avikit::repair::inspect_file(repaired.path()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    let recovered = recorded.decode(repaired.path());
    let frames = recovered.len() / frame_len;
    assert_eq!(report.video_frames as usize, frames);
    assert!(
        frames >= reported,
        "seed {seed}: repair kept {frames} frames, {reported} were reported complete"
    );
    for (n, frame) in recovered.chunks_exact(frame_len).enumerate() {
        assert!(
            frame == recorded.decoded(n),
            "seed {seed}: repaired frame {n} differs"
        );
    }
    (decoded, reported, frames, segments)
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

#[test]
fn crash_kills_leave_playable_files() {
    crash_runs(Recorded::Dib, 20);
}

#[test]
fn ut_video_crash_kills_leave_playable_files() {
    crash_runs(Recorded::UtVideo, 10);
}

#[test]
#[ignore = "long: 100 crashes; cargo test --release --test crash_repair -- crash:: --ignored"]
fn a_hundred_crash_kills_leave_playable_files() {
    crash_runs(Recorded::Dib, 100);
    crash_runs(Recorded::UtVideo, 100);
}

fn crash_runs(recorded: Recorded, default_runs: u64) {
    let runs: u64 = std::env::var("AVIKIT_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_runs);
    let mut tally = Vec::new();
    for seed in 0..runs {
        tally.push(run_once(recorded, seed));
    }
    eprintln!(
        "{recorded:?} crash runs (frames decoded unrepaired, reported complete, after repair, RIFF \
         segments): {tally:?}"
    );
    assert!(tally.iter().all(|&(decoded, ..)| decoded > 0));
}
