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
}

/// How many sampled images each reader played as far as their durable state.
#[derive(Debug, Default)]
pub struct PlayedTally {
    ffprobe: (usize, usize),
    gstreamer: (usize, usize),
    vlc: (usize, usize),
    failures: Vec<String>,
}

impl PlayedTally {
    /// One line of counts, then one line per failure.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "ffprobe {} of {}, GStreamer {} of {}, VLC {} of {}",
            self.ffprobe.0,
            self.ffprobe.1,
            self.gstreamer.0,
            self.gstreamer.1,
            self.vlc.0,
            self.vlc.1
        );
        for failure in &self.failures {
            out += &format!("\n    {failure}");
        }
        out
    }

    /// Whether every reader played every sample as far as its durable state.
    pub fn all_as_far(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs ffprobe on every sample and GStreamer and VLC on the first `player_samples`, each on
/// the image and on its durable state.
pub fn play_samples(samples: &[Sample], player_samples: usize) -> PlayedTally {
    let mut tally = PlayedTally::default();
    for (k, sample) in samples.iter().enumerate() {
        let (got, want) = (
            ffprobe_packets(&sample.image),
            ffprobe_packets(&sample.durable),
        );
        tally.ffprobe.1 += 1;
        if got >= want {
            tally.ffprobe.0 += 1;
        } else {
            tally.failures.push(format!(
                "sample {k}: ffprobe read {got} video packets, {want} in the durable state"
            ));
        }
        if k >= player_samples {
            continue;
        }
        let want = players(&sample.durable).expect("the durable state plays");
        let got = players(&sample.image);
        for (i, (name, want)) in want.iter().enumerate() {
            let counts = if *name == "vlc" {
                &mut tally.vlc
            } else {
                &mut tally.gstreamer
            };
            counts.1 += 1;
            let got = got.map(|g| g[i].1);
            if got.is_some_and(|g| g.frames >= want.frames && g.last >= want.last) {
                counts.0 += 1;
            } else {
                tally.failures.push(format!(
                    "sample {k}: {name} played {got:?}, the durable state {want:?}"
                ));
            }
        }
    }
    tally
}
