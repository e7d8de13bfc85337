//! `avikit`: inspect and repair AVI files, or record a demo through the asynchronous API.

use avikit::repair::{inspect_file, repair_file_with_progress, FileReport};
use avikit::{
    AsyncResult, AudioFormat, FrameRate, Payload, PcmFormat, VideoFormat, Writer, WriterOptions,
};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

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
            inspect_file(&file).map(|r| print_report(&file, &r, json))
        }
        Command::Repair { file, output } => repair(&file, output),
        Command::Demo { output, seconds } => demo(&output, seconds),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("avikit: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_report(file: &std::path::Path, r: &FileReport, json: bool) {
    if json {
        println!(
            "{{\"file\":{:?},\"streams\":{},\"video_frames\":{},\"audio_chunks\":{},\"riff_count\":{},\"opendml\":{},\"bytes_recovered\":{},\"was_damaged\":{}}}",
            file.display().to_string(),
            r.stream_count,
            r.video_frames,
            r.audio_chunks,
            r.riff_count,
            r.riff_count > 1,
            r.bytes_recovered,
            r.was_damaged
        );
    } else {
        let kind = if r.riff_count > 1 {
            "OpenDML"
        } else {
            "AVI 1.0"
        };
        println!("{}: valid {kind} file", file.display());
        println!("  streams:      {}", r.stream_count);
        println!("  video frames: {}", r.video_frames);
        println!("  audio chunks: {}", r.audio_chunks);
        println!("  RIFF parts:   {}", r.riff_count);
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

const WIDTH: u32 = 320;
const HEIGHT: u32 = 180;
const SAMPLE_RATE: u32 = 48_000;

/// One bottom-up BGRA frame: color bars with a white box moving across.
fn pattern(n: u32) -> Vec<u8> {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let bars: [[u8; 3]; 7] = [
        [192, 192, 192],
        [0, 192, 192],
        [192, 192, 0],
        [0, 192, 0],
        [192, 0, 192],
        [0, 0, 192],
        [192, 0, 0],
    ];
    let box_x = (n as usize * 4) % (w - 32);
    let mut frame = vec![0u8; w * h * 4];
    for (row, line) in frame.chunks_exact_mut(w * 4).enumerate() {
        let y = h - 1 - row; // DIB rows run bottom-up
        for (x, px) in line.chunks_exact_mut(4).enumerate() {
            let [b, g, r] = if (box_x..box_x + 32).contains(&x) && (74..106).contains(&y) {
                [255; 3]
            } else {
                bars[x * 7 / w]
            };
            px.copy_from_slice(&[b, g, r, 255]);
        }
    }
    frame
}

/// Samples `from..to` of a 440 Hz tone, 16-bit stereo.
fn tone(from: u64, to: u64) -> Vec<u8> {
    (from..to)
        .flat_map(|i| {
            let v = ((i as f64 / f64::from(SAMPLE_RATE) * 440.0 * std::f64::consts::TAU).sin()
                * 8000.0) as i16;
            [v.to_le_bytes(), v.to_le_bytes()].concat()
        })
        .collect()
}

fn demo(output: &std::path::Path, seconds: u32) -> avikit::Result<()> {
    let rate = FrameRate::new(30_000, 1001)?;
    let writer = Writer::create(
        output,
        WriterOptions {
            frame_rate: rate,
            ..Default::default()
        },
    )?;
    let video =
        writer.add_video_stream(VideoFormat::dib(WIDTH, HEIGHT, 32), Some("test pattern"))?;
    let audio = writer.add_audio_stream(
        AudioFormat::pcm(PcmFormat::derive(2, SAMPLE_RATE, 16)?),
        Some("440 Hz"),
    )?;
    let completed = Arc::new(AtomicU64::new(0));
    let frames = u64::from(seconds) * u64::from(rate.num) / u64::from(rate.den);
    let mut pending = std::collections::VecDeque::new();
    for n in 0..frames {
        let counter = Arc::clone(&completed);
        let callback = Box::new(move |r: &AsyncResult| {
            if r.outcome() == Some(Ok(())) {
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        pending.push_back(video.begin_write_frame(
            true,
            Payload::owned(pattern(n as u32)),
            Some(callback),
        )?);
        // Audio samples up to the end of this frame, so sound and picture stay in step.
        let samples =
            |k: u64| k * u64::from(SAMPLE_RATE) * u64::from(rate.den) / u64::from(rate.num);
        audio.begin_write_block(true, Payload::owned(tone(samples(n), samples(n + 1))), None)?;
        if pending.len() > 4 {
            video.end_write_frame(pending.pop_front().expect("non-empty"))?;
        }
    }
    for r in pending {
        video.end_write_frame(r)?;
    }
    writer.close()?;
    println!(
        "{}: {frames} frames of {WIDTH}x{HEIGHT} at 30000/1001 fps with a 440 Hz tone ({} callbacks)",
        output.display(),
        completed.load(Ordering::Relaxed)
    );
    Ok(())
}
