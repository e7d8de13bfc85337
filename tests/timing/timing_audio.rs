//! Timed audio: blocks placed by capture time, exact silence for gaps, exact trimming of
//! overlaps, jitter within 20 ms ignored; for PCM of every sample size, float and MP3.

use crate::common::content::pcm_block;
use crate::common::ffmpeg::{ffmpeg_decode, ffprobe_duration};
use crate::common::numbered::numbered_dib;
use crate::common::riff::stream_payload;
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::codec::mp3::Mp3Encoder;
use avikit::{AudioFormat, PcmFormat, Status, VideoFormat, Writer};

use crate::{options, MS};

/// `samples` sample frames of `align` bytes, every byte `value`.
fn block(samples: usize, align: usize, value: u8) -> Vec<u8> {
    vec![value; samples * align]
}

#[test]
fn gaps_get_exact_silence_overlaps_are_trimmed_and_jitter_is_ignored() {
    let file = Scratch::new("timing-pcm16.avi");
    let writer = Writer::create(file.path(), options()).unwrap();
    let audio = writer
        .add_pcm_stream(PcmFormat::derive(2, 48_000, 16).unwrap(), None)
        .unwrap();
    let t0 = -5_000 * MS; // any clock, negative included
    let at = |ms: i64| t0 + ms * MS;
    let mut expected = Vec::new();
    // 10 ms blocks (480 samples of 4 bytes), each filled with its own byte.
    audio
        .write_block_at(true, at(0), &block(480, 4, 1))
        .unwrap();
    expected.extend(block(480, 4, 1));
    // 19 ms late and 15 ms early: jitter, written as they are.
    audio
        .write_block_at(true, at(29), &block(480, 4, 2))
        .unwrap();
    expected.extend(block(480, 4, 2));
    audio
        .write_block_at(true, at(5), &block(480, 4, 3))
        .unwrap();
    expected.extend(block(480, 4, 3));
    // The stream holds 30 ms; a block at 100 ms gets 70 ms (3360 samples) of silence first.
    audio
        .write_block_at(true, at(100), &block(480, 4, 4))
        .unwrap();
    expected.extend(block(3360, 4, 0));
    expected.extend(block(480, 4, 4));
    // 110 ms held: a 30 ms block at 80 ms lies wholly before that, one at 85 ms keeps 5 ms.
    let e = audio
        .write_block_at(true, at(80), &block(1440, 4, 5))
        .unwrap_err();
    assert_eq!(e.status(), Status::Dropped, "{e}");
    let mut late = block(1200, 4, 6);
    late.extend(block(240, 4, 7));
    audio.write_block_at(true, at(85), &late).unwrap();
    expected.extend(block(240, 4, 7));
    // An untimed block takes the next samples; a gap after it is measured from its end.
    audio.write_block(true, &block(480, 4, 8)).unwrap();
    expected.extend(block(480, 4, 8));
    audio
        .write_block_at(true, at(200), &block(480, 4, 9))
        .unwrap();
    // 6000 samples held; 200 ms is sample 9600.
    expected.extend(block(3600, 4, 0));
    expected.extend(block(480, 4, 9));
    let stats = audio.stats();
    writer.close().unwrap();

    let bytes = std::fs::read(file.path()).unwrap();
    let written = stream_payload(&bytes, 0);
    assert_eq!(written.len(), expected.len());
    assert!(written == expected, "silence and trimming are exact");
    assert_eq!(stats.samples, (expected.len() / 4) as u64);
    assert_eq!(stats.silence_samples, 3360 + 3600);
    assert_eq!((stats.trimmed_samples, stats.dropped), (1200, 1));
    assert_eq!(stats.chunks, 7);
    assert_eq!(stats.payload_bytes, expected.len() as u64);
    let seconds = ffprobe_duration(file.path(), "a:0");
    assert!((seconds - 0.210).abs() < 0.001, "{seconds}");
}

#[test]
fn silence_is_the_zero_of_each_sample_format() {
    for (format, silence) in [
        (PcmFormat::derive(1, 8000, 8).unwrap(), 0x80u8),
        (PcmFormat::derive(6, 48_000, 24).unwrap(), 0),
        (PcmFormat::float(2, 44_100).unwrap(), 0),
    ] {
        let file = Scratch::new("timing-silence.avi");
        let writer = Writer::create(file.path(), options()).unwrap();
        let audio = writer.add_pcm_stream(format, None).unwrap();
        let align = usize::from(format.block_align);
        let rate = format.sample_rate as usize;
        audio
            .write_block_at(true, 0, &block(rate / 100, align, 0x11))
            .unwrap();
        // Half a second later: the gap is 490 ms of silence.
        audio
            .write_block_at(true, 500 * MS, &block(rate / 100, align, 0x22))
            .unwrap();
        writer.close().unwrap();
        let bytes = std::fs::read(file.path()).unwrap();
        let mut expected = block(rate / 100, align, 0x11);
        expected.extend(block(rate * 49 / 100, align, silence));
        expected.extend(block(rate / 100, align, 0x22));
        assert!(stream_payload(&bytes, 0) == expected, "{format:?}");
        avi_check(file.path(), &["--audio-bytes", &expected.len().to_string()]);
    }
}

#[test]
fn audio_and_video_share_time_zero() {
    let file = Scratch::new("timing-av.avi");
    let writer = Writer::create(file.path(), options()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(64, 48, 32), None)
        .unwrap();
    let audio = writer
        .add_pcm_stream(PcmFormat::derive(2, 44_100, 16).unwrap(), None)
        .unwrap();
    // Audio starts 100 ms after the first video frame: time zero is the video frame's time.
    let base = 77 * MS;
    video
        .write_frame_at(true, base, &numbered_dib(64, 48, 32, 0))
        .unwrap();
    for n in 0..30 {
        audio
            .write_block_at(
                true,
                base + 100 * MS + n * 33 * MS,
                &pcm_block(1455, n as usize),
            )
            .unwrap();
        video
            .write_frame_at(
                true,
                base + (n + 1) * 33_333_333,
                &numbered_dib(64, 48, 32, 1),
            )
            .unwrap();
    }
    writer.close().unwrap();
    assert_eq!(audio.stats().silence_samples, 4410);
    let v = ffprobe_duration(file.path(), "v:0");
    let a = ffprobe_duration(file.path(), "a:0");
    assert!((v - 31.0 / 30.0).abs() < 1e-3, "video {v}");
    assert!(
        (a - (0.1 + 30.0 * 1455.0 / 44_100.0)).abs() < 1e-3,
        "audio {a}"
    );
}

#[test]
fn mp3_streams_take_timed_blocks_and_raw_streams_refuse_them() {
    let file = Scratch::new("timing-mp3.avi");
    let writer = Writer::create(file.path(), options()).unwrap();
    let mp3 = writer
        .add_encoding_audio_stream(Box::new(Mp3Encoder::new(2, 44_100, 16, 128).unwrap()), None)
        .unwrap();
    let raw = writer
        .add_audio_stream(
            AudioFormat::pcm(PcmFormat::derive(2, 44_100, 16).unwrap()),
            None,
        )
        .unwrap();
    // One second of tone, a one-second gap, one more second.
    for n in 0..10 {
        mp3.write_block_at(true, n * 100 * MS, &pcm_block(4410, n as usize))
            .unwrap();
    }
    for n in 20..30 {
        mp3.write_block_at(true, n * 100 * MS, &pcm_block(4410, n as usize))
            .unwrap();
    }
    let e = raw.write_block_at(true, 0, &pcm_block(441, 0)).unwrap_err();
    assert_eq!(e.status(), Status::Unsupported, "{e}");
    raw.write_block(true, &pcm_block(441, 0)).unwrap();
    let stats = mp3.stats();
    assert_eq!((stats.samples, stats.silence_samples), (3 * 44_100, 44_100));
    assert_eq!(
        raw.stats().samples,
        0,
        "a RAW stream does not know its samples"
    );
    writer.close().unwrap();
    let seconds = ffprobe_duration(file.path(), "a:0");
    // MP3 frames are 1152 samples: the last one is padded.
    assert!((seconds - 3.0).abs() < 0.03, "{seconds}");
    let decoded = ffmpeg_decode(file.path(), "0:a:0", "s16le", &["-ac", "1"]);
    let samples: Vec<i16> = decoded
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    // The middle second is silent (away from the edges, where the codec's filters ring).
    let quiet = samples[44_100 + 2_000..2 * 44_100 - 2_000]
        .iter()
        .all(|s| s.abs() < 64);
    let loud = samples[2_000..40_000].iter().any(|s| s.abs() > 4_000);
    assert!(quiet && loud, "tone, silence, tone");
}
