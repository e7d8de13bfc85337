//! `avikit`: inspect and repair AVI files, or record a demo through the asynchronous API.

mod demo;
mod report;

use avikit::repair::{inspect_file, repair_file_with_progress};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "avikit",
    version,
    about = "Inspect, repair and record AVI/OpenDML files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Strictly check a file's structure and indexes; exit 1 on the first fault.
    Inspect {
        /// The AVI file.
        file: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the headers and indexes of a file cut short by a crash.
    Repair {
        /// The damaged file.
        file: PathBuf,
        /// Write the repaired file here instead of replacing FILE.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Record a moving test pattern with a 440 Hz tone through the asynchronous API.
    Demo {
        /// Where to write the AVI.
        output: PathBuf,
        /// Length in seconds.
        #[arg(long, default_value_t = 5)]
        seconds: u32,
    },
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Inspect { file, json } => {
            inspect_file(&file).map(|r| report::print(&file, &r, json))
        }
        Command::Repair { file, output } => repair(&file, output),
        Command::Demo { output, seconds } => demo::record(&output, seconds),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("avikit: {e}");
            ExitCode::FAILURE
        }
    }
}

fn repair(file: &std::path::Path, output: Option<PathBuf>) -> avikit::Result<()> {
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    // A progress bar only where it helps: large files on a terminal.
    let bar = (size > 256 << 20).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let report = repair_file_with_progress(file, output.as_deref(), &mut |done, total| {
        if let Some(bar) = &bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let target = output.as_deref().unwrap_or(file);
    let verdict = if report.was_damaged {
        "repaired"
    } else {
        "was intact; rewritten"
    };
    println!(
        "{}: {verdict}: {} video frames, {} audio chunks, {} payload bytes kept -> {}",
        file.display(),
        report.video_frames,
        report.audio_chunks,
        report.bytes_recovered,
        target.display()
    );
    Ok(())
}
