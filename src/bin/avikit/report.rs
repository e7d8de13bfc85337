//! How `avikit inspect` prints a [`FileReport`]: a summary for people, or one JSON object.

use avikit::format::wave::{WAVE_FORMAT_MPEGLAYER3, WAVE_FORMAT_PCM};
use avikit::repair::{FileReport, StreamReport};
use avikit::FourCc;
use avikit::StreamFormat;
use serde_json::{json, Value};
use std::path::Path;

/// Prints the report of `file` to stdout.
pub fn print(file: &Path, r: &FileReport, json: bool) {
    if json {
        println!("{}", to_json(file, r));
        return;
    }
    let kind = if r.riff_count > 1 {
        "OpenDML"
    } else {
        "AVI 1.0"
    };
    println!("{}: valid {kind} file", file.display());
    println!("  streams:      {}", r.stream_count);
    for (n, s) in r.streams.iter().enumerate() {
        let unit = match s.format {
            StreamFormat::Video(_) => "frames",
            StreamFormat::Audio(_) => "chunks",
        };
        let name = s
            .name
            .as_deref()
            .map(|n| format!(", {n:?}"))
            .unwrap_or_default();
        println!(
            "    {n}: {}: {} {unit}, {} bytes{name}",
            describe(s),
            s.chunks,
            s.bytes
        );
    }
    println!("  video frames: {} (first video stream)", r.video_frames);
    println!("  audio chunks: {}", r.audio_chunks);
    println!("  RIFF parts:   {}", r.riff_count);
}

/// "video MJPG 640x480", "video DIB 32-bit 320x180", "audio PCM 2 ch 48000 Hz 16-bit".
fn describe(s: &StreamReport) -> String {
    match &s.format {
        StreamFormat::Video(v) => match v.fourcc {
            Some(fourcc) => format!("video {} {}x{}", fourcc_text(fourcc), v.width, v.height),
            None => format!(
                "video DIB {}-bit {}x{}",
                v.bits_per_pixel, v.width, v.height
            ),
        },
        StreamFormat::Audio(a) => {
            let codec = match a.format_tag {
                WAVE_FORMAT_PCM => "PCM".to_string(),
                WAVE_FORMAT_MPEGLAYER3 => "MP3".to_string(),
                tag => format!("format 0x{tag:04x}"),
            };
            let bits = if a.bits_per_sample > 0 {
                format!(" {}-bit", a.bits_per_sample)
            } else {
                String::new()
            };
            format!("audio {codec} {} ch {} Hz{bits}", a.channels, a.sample_rate)
        }
    }
}

fn to_json(file: &Path, r: &FileReport) -> Value {
    json!({
        "file": file.display().to_string(),
        "streams": r.stream_count,
        "video_frames": r.video_frames,
        "audio_chunks": r.audio_chunks,
        "riff_count": r.riff_count,
        "opendml": r.riff_count > 1,
        "bytes_recovered": r.bytes_recovered,
        "was_damaged": r.was_damaged,
        "stream_list": r.streams.iter().map(stream_json).collect::<Vec<_>>(),
    })
}

fn stream_json(s: &StreamReport) -> Value {
    let mut stream = match &s.format {
        StreamFormat::Video(v) => json!({
            "type": "video",
            "fourcc": v.fourcc.map(fourcc_text),
            "width": v.width,
            "height": v.height,
            "bits_per_pixel": v.bits_per_pixel,
        }),
        StreamFormat::Audio(a) => json!({
            "type": "audio",
            "format_tag": a.format_tag,
            "channels": a.channels,
            "sample_rate": a.sample_rate,
            "bits_per_sample": a.bits_per_sample,
        }),
    };
    stream["name"] = json!(s.name);
    stream["chunks"] = json!(s.chunks);
    stream["bytes"] = json!(s.bytes);
    stream
}

/// The four characters as they are (FourCc's Display quotes and escapes them).
fn fourcc_text(fourcc: FourCc) -> String {
    String::from_utf8_lossy(&fourcc.0).into_owned()
}
