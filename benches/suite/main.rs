//! The avikit benchmark suite: W1 uncompressed throughput, W2 per-operation cost, W3 begin
//! latency, W4 MJPEG, W5 close time and memory, W6 H.264, W7 Ut Video, P9 many writers at
//! once. Every contender runs alternately with its baselines in the same process, round by
//! round (7 by default), and one table prints median, min, max, the ratio to the baseline (the
//! median of the round-by-round ratios) and whether each target (issues #7, #13 and #22) is
//! met.
//!
//! `scripts/bench.sh` installs what it needs and runs it; by hand:
//! `cargo bench --bench suite -- [--quick] [--only W1,W4,W6,W7,P9] [--rounds N] [--dir D]
//! [--markdown F]`.
//! `--quick` shrinks every workload for a smoke run (its numbers mean little).

mod close_memory;
mod encoding;
mod h264;
mod machine;
mod mjpeg;
mod per_op;
mod report;
mod throughput;
mod utvideo;
mod writers;

use std::path::PathBuf;

/// What the command line asked for.
pub struct Settings {
    pub quick: bool,
    pub rounds: usize,
    /// Scratch directory on the file system under test.
    pub dir: PathBuf,
    only: Vec<String>,
    markdown: Option<PathBuf>,
}

impl Settings {
    fn parse() -> Settings {
        let mut settings = Settings {
            quick: false,
            rounds: 7,
            dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-scratch"),
            only: Vec::new(),
            markdown: None,
        };
        let mut rounds = None;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .unwrap_or_else(|| panic!("{name} needs a value"))
            };
            match arg.as_str() {
                "--quick" => settings.quick = true,
                "--rounds" => rounds = Some(value("--rounds").parse().expect("--rounds N")),
                "--dir" => settings.dir = PathBuf::from(value("--dir")),
                "--markdown" => settings.markdown = Some(PathBuf::from(value("--markdown"))),
                "--only" => {
                    settings.only = value("--only")
                        .split(',')
                        .map(|w| w.trim().to_uppercase())
                        .collect()
                }
                // cargo bench passes --bench to every bench binary.
                "--bench" => {}
                other => panic!("unknown argument {other}"),
            }
        }
        settings.rounds = rounds.unwrap_or(if settings.quick { 2 } else { 7 });
        settings
    }

    fn wants(&self, workload: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|w| w == workload)
    }
}

fn main() {
    let settings = Settings::parse();
    std::fs::create_dir_all(&settings.dir).expect("create the scratch directory");
    let started = std::time::Instant::now();
    let mut rows = Vec::new();
    if settings.wants("W1") || settings.wants("W3") {
        rows.extend(throughput::measure(&settings));
    }
    if settings.wants("W2") {
        rows.extend(per_op::measure(&settings));
    }
    // W5 before W4: W4's 2.4 GB of frames would stay in the heap glibc keeps and blur W5's
    // resident-memory reading.
    if settings.wants("W5") {
        rows.extend(close_memory::measure(&settings));
    }
    if settings.wants("W4") {
        rows.extend(mjpeg::measure(&settings));
    }
    if settings.wants("W6") {
        rows.extend(h264::measure(&settings));
    }
    if settings.wants("W7") {
        rows.extend(utvideo::measure(&settings));
    }
    if settings.wants("P9") {
        rows.extend(writers::measure(&settings));
    }
    let heading = format!(
        "avikit {} benchmark suite{}: {} rounds, {:.0} s\nmachine: {}\nfile system: {}\n",
        env!("CARGO_PKG_VERSION"),
        if settings.quick { " (--quick)" } else { "" },
        settings.rounds,
        started.elapsed().as_secs_f64(),
        machine::describe(),
        machine::describe_fs(&settings.dir),
    );
    let table = report::render(&rows);
    println!("\n{heading}\n{table}");
    if let Some(path) = &settings.markdown {
        std::fs::write(path, format!("{heading}\n{table}")).expect("write the markdown table");
    }
    let _ = std::fs::remove_dir(&settings.dir);
}
