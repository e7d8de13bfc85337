//! The external readers, run on a sample of unrepaired crash images whose header survived:
//! each must play the image at least as far as it plays the durable state the image was cut
//! from. ffprobe counts packets; GStreamer and VLC (through tests/tools/reader_census.py, which
//! runs VLC as an unprivileged user when the tests run as root) read the frame numbers drawn
//! into the pictures.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python that runs the tests' tools: $AVIKIT_PYTHON, else the project's .venv, else
/// python3 from PATH.
fn python() -> String {
    if let Ok(p) = std::env::var("AVIKIT_PYTHON") {
        return p;
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if venv.exists() {
        venv.display().to_string()
    } else {
        "python3".into()
    }
}

/// Packets of the first video stream that ffprobe reads (0 when it cannot open the file).
pub fn ffprobe_packets(path: &Path) -> u64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_packets", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("run ffprobe (install test deps: scripts/install-test-deps.sh)");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// How far a player got: pictures delivered and the last frame number it showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Played {
    pub frames: u64,
    pub last: Option<u64>,
}

/// What GStreamer and VLC deliver from the first video stream of `path`; `None` when the
/// census cannot read the file at all (ffprobe finds no video stream in it).
pub fn players(path: &Path) -> Option<[(&'static str, Played); 2]> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/reader_census.py");
    let out = Command::new(python())
        .arg(script)
        .arg(path)
        .args(["--json", "--readers", "gstreamer,vlc"])
        .output()
        .expect("run reader_census.py (install test deps: scripts/install-test-deps.sh)");
    let census: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(["gstreamer", "vlc"].map(|name| {
        let facts = &census[name];
        let played = Played {
            frames: facts["frames"].as_u64().unwrap_or(0),
            last: facts["last"].as_u64(),
        };
        (name, played)
    }))
}

/// A crash image whose header survived, kept on disk with the durable state it was cut from.
pub struct Sample {
    pub image: PathBuf,
    pub durable: PathBuf,
    /// Whether GStreamer and VLC play it too (ffprobe plays every sample).
    pub players: bool,
    /// Whether its own indexes list every durable chunk (see `judge::Verdict`).
    pub indexes_intact: bool,
}

/// One reader's run on one sample.
#[derive(Debug)]
struct Run {
    reader: &'static str,
    indexes_intact: bool,
    /// How it fell short of the durable state, if it did.
    short: Option<String>,
}

/// What the readers made of the samples.
#[derive(Debug, Default)]
pub struct PlayedTally {
    runs: Vec<Run>,
}

const READERS: [&str; 3] = ["ffprobe", "gstreamer", "vlc"];

impl PlayedTally {
    fn counts(&self, indexes_intact: bool) -> String {
        let counts: Vec<String> = READERS
            .iter()
            .map(|&reader| {
                let runs = self
                    .runs
                    .iter()
                    .filter(|r| r.reader == reader && r.indexes_intact == indexes_intact);
                let (mut played, mut all) = (0, 0);
                for run in runs {
                    all += 1;
                    played += usize::from(run.short.is_none());
                }
                format!("{reader} {played} of {all}")
            })
            .collect();
        counts.join(", ")
    }

    /// The counts (images with intact indexes, then broken ones), then one line per reader
    /// that fell short.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "{}; with broken indexes: {}",
            self.counts(true),
            self.counts(false)
        );
        for run in &self.runs {
            if let Some(short) = &run.short {
                out += &format!("\n    {short}");
            }
        }
        out
    }

    /// Whether every reader played every sample with `indexes_intact` (or not) as far as its
    /// durable state.
    pub fn as_far(&self, indexes_intact: bool) -> bool {
        self.runs
            .iter()
            .filter(|r| r.indexes_intact == indexes_intact)
            .all(|r| r.short.is_none())
    }
}

/// `read` of the sample's image and of its durable state, run at once.
fn both<T: Send>(sample: &Sample, read: fn(&Path) -> T) -> (T, T) {
    std::thread::scope(|s| {
        let durable = s.spawn(|| read(&sample.durable));
        (read(&sample.image), durable.join().unwrap())
    })
}

/// Runs ffprobe on every sample, and GStreamer and VLC on those marked for them, each on the
/// image and on its durable state.
pub fn play_samples(samples: &[Sample]) -> PlayedTally {
    let mut tally = PlayedTally::default();
    for (k, sample) in samples.iter().enumerate() {
        let what = if sample.indexes_intact {
            "intact indexes"
        } else {
            "broken indexes"
        };
        let (got, want) = both(sample, ffprobe_packets);
        tally.runs.push(Run {
            reader: "ffprobe",
            indexes_intact: sample.indexes_intact,
            short: (got < want).then(|| {
                format!("sample {k} ({what}): ffprobe read {got} video packets, {want} in the durable state")
            }),
        });
        if !sample.players {
            continue;
        }
        let (got, want) = both(sample, players);
        let want = want.expect("the durable state plays");
        for (i, (reader, want)) in want.into_iter().enumerate() {
            let got = got.map(|g| g[i].1);
            let as_far = got.is_some_and(|g| g.frames >= want.frames && g.last >= want.last);
            tally.runs.push(Run {
                reader,
                indexes_intact: sample.indexes_intact,
                short: (!as_far).then(|| {
                    format!(
                        "sample {k} ({what}): {reader} played {got:?}, the durable state {want:?}"
                    )
                }),
            });
        }
    }
    tally
}
