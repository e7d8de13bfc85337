//! Power-loss simulator (issue 21), in the spirit of ALICE and CrashMonkey. A child process
//! records a long multi-segment file (numbered MJPEG frames, PCM audio in small blocks, capture
//! gaps, checkpoints every 50 ms) under an LD_PRELOAD shim (shim.c) that logs every write, sync
//! and truncation on the file. From the log, crash images are built for power cuts at random
//! moments (all that preceded the last completed sync, and any subset of the later writes at
//! 4 KiB pages, in any order, some torn at 512-byte sectors), and each image is judged:
//! - inspection and repair never panic (an error is fine);
//! - repair restores every chunk the durable state (the file after everything before that
//!   sync) indexes, byte for byte;
//! - no chunk is lost whose write finished more than the loss bound before the cut (the
//!   mode's durable interval, plus two of the longest sync, plus scheduling slack);
//! - where the durable header survived, the unrepaired image's own indexes list every durable
//!   chunk, and on a sample ffprobe, GStreamer and VLC play it at least as far as the durable
//!   state.
//!
//! Each way of recording is a [`Mode`]; its counts are printed (`-- --nocapture`), and the
//! promise is asserted for the modes whose `promise_asserted` is set. Panics fail every mode.

mod avi_index;
mod crash_image;
mod judge;
mod readers;
mod recording;
mod write_log;

use crate::common::rng::TestRng;
use avikit::WriterOptions;
use crash_image::Cut;
use judge::{Durable, Recording, Tally};
use readers::Sample;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use write_log::WriteLog;

/// One way of recording, judged on its own.
struct Mode {
    name: &'static str,
    options: fn() -> WriterOptions,
    /// Calls `Writer::flush(true)` this often, and before close.
    durable_flush_every: Option<Duration>,
    /// Whether a broken promise fails the test; otherwise the counts are only printed (a panic
    /// in inspection or repair fails it either way).
    promise_asserted: bool,
    /// Whether the asserted promise also covers unrepaired images whose header survived but
    /// whose own indexes do not list every durable chunk (a strict reader's view), and what the
    /// players make of them. Durable checkpoints retire a moved standard index slot (`JUNK`
    /// over its `ix##`) only after the header that stops pointing at it is synced; checkpoints
    /// left to the OS retire it at once, so the disk can hold the old header and the retired
    /// slot (ffprobe and GStreamer fall back to scanning, VLC can stop a few frames short of
    /// the durable state). Images with intact indexes are asserted either way.
    unrepaired_indexes_asserted: bool,
}

/// The writer's default settings: durable checkpoints.
const DEFAULT_OPTIONS: Mode = Mode {
    name: "default options",
    options: recording::base_options,
    durable_flush_every: None,
    promise_asserted: true,
    unrepaired_indexes_asserted: true,
};

/// Checkpoints left to the OS (`Durability::None`), made durable by the application's own
/// `flush(true)` every other checkpoint interval and before close (so that checkpoints between
/// the syncs rewrite the header, and torn headers are part of the test).
const PERIODIC_DURABLE_FLUSH: Mode = Mode {
    name: "periodic flush(true)",
    options: recording::undurable_options,
    // Two checkpoint intervals.
    durable_flush_every: Some(Duration::from_millis(100)),
    promise_asserted: true,
    unrepaired_indexes_asserted: false,
};

const MODES: [&Mode; 2] = [&DEFAULT_OPTIONS, &PERIODIC_DURABLE_FLUSH];

/// Set in the child: the file to record, and the mode's name.
const CHILD_VAR: &str = "AVIKIT_POWER_LOSS_CHILD";
const MODE_VAR: &str = "AVIKIT_POWER_LOSS_MODE";
/// Overrides [`SEED`] (cut moments and images).
const SEED_VAR: &str = "AVIKIT_POWER_LOSS_SEED";
const SEED: u64 = 0x21_5EED;

/// Cut moments per mode, and images per cut.
const CUTS: usize = 48;
const IMAGES_PER_CUT: usize = 25;
/// Cuts may fall this long after the recording's last call (after close).
const AFTER_CLOSE: Duration = Duration::from_millis(200);
/// The loss bound is the mode's durable interval (the checkpoint interval, or the period of its
/// `flush(true)` calls), plus two of the longest sync (one in progress when the chunk is
/// written, and the one that covers it), plus this: the time from a chunk's write to the start
/// of the checkpoint that covers it beyond the interval (the recorder's pacing, the queue ahead).
const SCHEDULING_SLACK: Duration = Duration::from_millis(50);
/// Images run through ffprobe, and through GStreamer and VLC (each with its durable state):
/// spread over the recording, plus images whose surviving header has indexes that do not list
/// the durable chunks (what the players make of them).
const FFPROBE_SAMPLES: usize = 20;
const PLAYER_SAMPLES: usize = 3;
const BROKEN_INDEX_SAMPLES: usize = 2;
/// Threads judging the images of a cut (one a CPU of the 2-CPU machines the suite runs on).
const JUDGES: usize = 2;

/// The recording child: runs only when started by [`simulate`].
#[test]
#[ignore = "the power-loss test's recording child; run by the power_cuts_* tests"]
fn power_loss_recording_child() {
    let (Ok(path), Ok(name)) = (std::env::var(CHILD_VAR), std::env::var(MODE_VAR)) else {
        return;
    };
    let mode = MODES.iter().find(|m| m.name == name).expect("a known mode");
    recording::record(Path::new(&path), (mode.options)(), mode.durable_flush_every);
}

#[test]
fn power_cuts_with_default_options() {
    simulate(&DEFAULT_OPTIONS);
}

#[test]
fn power_cuts_with_periodic_durable_flush() {
    simulate(&PERIODIC_DURABLE_FLUSH);
}

/// A directory of one mode's files, removed when dropped unless the test is failing (then it
/// stays for inspection and its path is printed).
struct ScratchDir(PathBuf);

impl ScratchDir {
    /// A directory for `mode` under `root`.
    fn new(root: &Path, mode: &Mode) -> ScratchDir {
        let name: String = mode
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let dir = root
            .join("avikit-power-loss")
            .join(format!("{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        ScratchDir(dir.canonicalize().unwrap())
    }

    /// The recording's directory: on the target's disk, so that its syncs take what syncs take.
    fn for_recording(mode: &Mode) -> ScratchDir {
        ScratchDir::new(Path::new(env!("CARGO_TARGET_TMPDIR")), mode)
    }

    /// The crash images' directory: in memory where there is a tmpfs (gigabytes of images
    /// never need to reach a disk), else beside the recording.
    fn for_images(mode: &Mode) -> ScratchDir {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            ScratchDir::new(shm, mode)
        } else {
            ScratchDir::for_recording(mode)
        }
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept for inspection: {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
            // The shared parent too, once no other run uses it.
            if let Some(parent) = self.0.parent() {
                let _ = std::fs::remove_dir(parent);
            }
        }
    }
}

/// Records `mode` in a child process under the write-log shim; returns the log and the file.
fn record_logged(mode: &Mode, dir: &ScratchDir) -> (WriteLog, Vec<u8>) {
    let path = dir.join("recording.avi");
    let log = dir.join("writes.log");
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &crate::common::child::test_name(module_path!(), "power_loss_recording_child"),
            "--ignored",
        ])
        .args(["--nocapture", "--test-threads", "1"])
        .env("LD_PRELOAD", write_log::shim())
        .env(write_log::LOG_VAR, &log)
        .env(write_log::TARGET_VAR, &path)
        .env(CHILD_VAR, &path)
        .env(MODE_VAR, mode.name)
        .stdin(Stdio::null())
        .output()
        .expect("start the recording child");
    assert!(
        out.status.success(),
        "the recording child failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let log = WriteLog::parse(&std::fs::read(&log).expect("the child wrote a log"));
    (log, std::fs::read(&path).unwrap())
}

fn simulate(mode: &Mode) {
    let dir = ScratchDir::for_recording(mode);
    let images = ScratchDir::for_images(mode);
    let started = Instant::now();
    let (log, file) = record_logged(mode, &dir);
    let recorded = started.elapsed();
    // Every path of the file's bytes went through the shim.
    assert!(
        log.replay() == file,
        "{}: the replayed write log differs from the recorded file",
        mode.name
    );
    let recording = Recording::new(file, &log);
    let segments = recording.file.windows(4).filter(|w| w == b"AVIX").count() + 1;
    assert!(
        segments >= 10,
        "{}: only {segments} RIFF segments",
        mode.name
    );
    // Standard indexes outgrew their slots, moved, and the old slots were retired.
    let retired = log.writes_of(b"JUNK");
    assert!(retired > 0, "{}: no standard index slot moved", mode.name);
    let bound = mode.durable_flush_every.unwrap_or(recording::CHECKPOINT)
        + 2 * Duration::from_nanos(log.longest_sync_ns())
        + SCHEDULING_SLACK;
    let seed = std::env::var(SEED_VAR)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    let (tally, samples) = judge_cuts(&log, &recording, &images, bound, seed);
    let judged = started.elapsed();
    let played = readers::play_samples(&samples);
    let took = format!(
        "{:.1} s recording, {:.1} s images, {:.1} s readers",
        recorded.as_secs_f64(),
        (judged - recorded).as_secs_f64(),
        (started.elapsed() - judged).as_secs_f64()
    );

    let (slowest, never) = recording.sync_latency(&log);
    let slowest = slowest.map_or("none".into(), |d| {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    });
    let lost = |stream: usize| tally.lost_due.get(stream).copied().unwrap_or(0);
    let summary = format!(
        "power loss, {}: {} images at {CUTS} cuts (seed {seed}; {took})\n  \
         recording: {} video chunks, {} audio chunks, {segments} RIFF segments, {retired} index \
         slots retired, {} syncs (longest {:.1} ms); slowest \
         chunk to a sync: {slowest}, {never} chunks never synced; loss bound {} ms\n  \
         recovered in full (every durable chunk, nothing older than the bound lost): {} of {}\n  \
         durable chunks restored byte-exact: {} of {} ({} had durable chunks)\n  \
         lost beyond the checkpoint: {} frames, {} audio chunks (in {} images)\n  \
         inspect: {} errors; repair: {} errors; panics: {}\n  \
         header survived in {} images, whose own indexes list every durable chunk in {}; \
         played as far as the durable state: {}",
        mode.name,
        tally.images,
        recording.index.chunks(0).len(),
        recording.index.chunks(1).len(),
        log.syncs(),
        log.longest_sync_ns() as f64 / 1e6,
        bound.as_millis(),
        tally.recovered_in_full,
        tally.images,
        tally.durable_restored,
        tally.images,
        tally.with_durable_chunks,
        lost(0),
        lost(1),
        tally.images_losing_due,
        tally.inspect_failed,
        tally.repair_failed,
        tally.panics.len(),
        tally.header_survived,
        tally.unrepaired_indexes_durable,
        played.describe(),
    );
    println!("{summary}");
    assert!(
        tally.panics.is_empty(),
        "{summary}\nfirst panic: {}",
        tally.panics[0]
    );
    if mode.promise_asserted {
        assert!(
            tally.with_durable_chunks * 2 > tally.images,
            "{summary}\ntoo few images had anything durable to test"
        );
        assert!(tally.promise_kept(), "{summary}");
        assert!(played.as_far(true), "{summary}");
        if mode.unrepaired_indexes_asserted {
            assert!(tally.unrepaired_indexes_kept(), "{summary}");
            assert!(played.as_far(false), "{summary}");
        }
    }
}

/// Runs `run(seed, image path, repaired path)` for every seed on `JUDGES` threads, each with
/// files of its own in `dir`; returns the verdicts in seed order.
fn judge_images(
    seeds: &[u64],
    dir: &ScratchDir,
    run: impl Fn(u64, &Path, &Path) -> judge::Verdict + Sync,
) -> Vec<judge::Verdict> {
    let mut verdicts: Vec<Option<judge::Verdict>> = (0..seeds.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let run = &run;
        let threads: Vec<_> = (0..JUDGES)
            .map(|t| {
                s.spawn(move || {
                    let image = dir.join(&format!("image-{t}.avi"));
                    let repaired = dir.join(&format!("repaired-{t}.avi"));
                    (t..seeds.len())
                        .step_by(JUDGES)
                        .map(|i| (i, run(seeds[i], &image, &repaired)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for thread in threads {
            for (i, verdict) in thread.join().unwrap() {
                verdicts[i] = Some(verdict);
            }
        }
    });
    verdicts.into_iter().map(Option::unwrap).collect()
}

/// Cuts the recording at `CUTS` random moments (from its first call to `AFTER_CLOSE` past its
/// last), judges `IMAGES_PER_CUT` images of each, and keeps samples for the external readers
/// (from cuts spread over the recording, at most one a cut, and the first images with broken
/// indexes).
fn judge_cuts(
    log: &WriteLog,
    recording: &Recording,
    dir: &ScratchDir,
    bound: Duration,
    seed: u64,
) -> (Tally, Vec<Sample>) {
    let mut rng = TestRng::new(seed);
    let first_ns = log.ops.first().unwrap().start_ns;
    let last_ns = log.ops.last().unwrap().end_ns + AFTER_CLOSE.as_nanos() as u64;
    let mut moments: Vec<u64> = (0..CUTS)
        .map(|_| first_ns + rng.below(last_ns - first_ns))
        .collect();
    moments.sort_unstable();

    let mut tally = Tally::default();
    let mut samples = Vec::new();
    let (mut spread_samples, mut broken_samples) = (0, 0);
    let sample_every = (CUTS / FFPROBE_SAMPLES).max(1);
    let mut durable = Durable::default();
    for (n, &at_ns) in moments.iter().enumerate() {
        let cut = Cut::at(log, at_ns);
        durable.advance(log, cut.durable_ops);
        let streams = recording.index.streams.len();
        let had_durable = (0..streams).any(|s| !durable.chunks(s).is_empty());
        let mut wants_sample = n % sample_every == 0 && !durable.chunks(0).is_empty();
        let seeds: Vec<u64> = (0..IMAGES_PER_CUT).map(|_| rng.next_u64()).collect();
        let image_of = |seed| cut.image(log, &durable.file, &mut TestRng::new(seed));
        let verdicts = judge_images(&seeds, dir, |seed, image_path, repaired_path| {
            let image = image_of(seed);
            std::fs::write(image_path, &image).unwrap();
            judge::judge(
                &image,
                image_path,
                repaired_path,
                &durable,
                recording,
                (at_ns, bound.as_nanos() as u64),
            )
        });
        for (&seed, verdict) in seeds.iter().zip(&verdicts) {
            tally.add(verdict, had_durable);
            let spread = wants_sample && spread_samples < FFPROBE_SAMPLES;
            let broken =
                !verdict.unrepaired_indexes_durable && broken_samples < BROKEN_INDEX_SAMPLES;
            if verdict.header_survived && (spread || broken) {
                if spread {
                    wants_sample = false;
                    spread_samples += 1;
                } else {
                    broken_samples += 1;
                }
                let k = samples.len();
                let sample = Sample {
                    image: dir.join(&format!("sample-{k}.avi")),
                    durable: dir.join(&format!("sample-{k}-durable.avi")),
                    players: broken || spread_samples <= PLAYER_SAMPLES,
                    indexes_intact: verdict.unrepaired_indexes_durable,
                };
                std::fs::write(&sample.image, image_of(seed)).unwrap();
                std::fs::write(&sample.durable, &durable.file).unwrap();
                samples.push(sample);
            }
        }
    }
    (tally, samples)
}
