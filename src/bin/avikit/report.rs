//! How `avikit inspect` prints a [`FileReport`]: a summary for people, or one JSON object.

use avikit::repair::{FileReport, StreamReport};
use avikit::FourCc;
use avikit::StreamFormat;
use std::path::Path;

/// `wFormatTag` values with a name people know.
const WAVE_FORMAT_PCM: u16 = 0x0001;
const WAVE_FORMAT_MPEGLAYER3: u16 = 0x0055;

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

fn to_json(file: &Path, r: &FileReport) -> String {
    let streams: Vec<String> = r.streams.iter().map(stream_json).collect();
    format!(
        "{{\"file\":{},\"streams\":{},\"video_frames\":{},\"audio_chunks\":{},\"riff_count\":{},\
         \"opendml\":{},\"bytes_recovered\":{},\"was_damaged\":{},\"stream_list\":[{}]}}",
        json_string(&file.display().to_string()),
        r.stream_count,
        r.video_frames,
        r.audio_chunks,
        r.riff_count,
        r.riff_count > 1,
        r.bytes_recovered,
        r.was_damaged,
        streams.join(",")
    )
}

fn stream_json(s: &StreamReport) -> String {
    let format = match &s.format {
        StreamFormat::Video(v) => format!(
            "\"type\":\"video\",\"fourcc\":{},\"width\":{},\"height\":{},\"bits_per_pixel\":{}",
            v.fourcc
                .map_or("null".to_string(), |f| json_string(&fourcc_text(f))),
            v.width,
            v.height,
            v.bits_per_pixel
        ),
        StreamFormat::Audio(a) => format!(
            "\"type\":\"audio\",\"format_tag\":{},\"channels\":{},\"sample_rate\":{},\
             \"bits_per_sample\":{}",
            a.format_tag, a.channels, a.sample_rate, a.bits_per_sample
        ),
    };
    format!(
        "{{{format},\"name\":{},\"chunks\":{},\"bytes\":{}}}",
        s.name.as_deref().map_or("null".to_string(), json_string),
        s.chunks,
        s.bytes
    )
}

/// The four characters as they are (FourCc's Display quotes and escapes them).
fn fourcc_text(fourcc: FourCc) -> String {
    String::from_utf8_lossy(&fourcc.0).into_owned()
}

/// `text` as a JSON string literal (RFC 8259: quote, backslash and control characters escaped).
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_quotes_backslashes_and_control_characters() {
        assert_eq!(
            json_string("a\"b\\c\n\u{1}é"),
            "\"a\\\"b\\\\c\\u000a\\u0001é\""
        );
    }
}
