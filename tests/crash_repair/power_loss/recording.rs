//! The recording under test: numbered MJPEG frames and PCM audio in small blocks (as a
//! low-latency capture delivers it), both timed, with capture gaps (slots skipped by the capture
//! clock), in RIFF segments of 128 KiB (a new one every dozen frames, each with more audio
//! chunks than a first standard index slot holds, so slots move and retire) and checkpoints
//! every 50 ms, paced over a few seconds of wall time so that cuts fall between, during and
//! after many checkpoints and syncs.

use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{FrameRate, Payload, PcmFormat, PixelAspect, VideoCodec, Writer, WriterOptions};
use std::path::Path;
use std::time::{Duration, Instant};

/// Picture size: large enough for the frame code's cells to survive JPEG (8 x 12 pixels
/// a cell at least).
const W: usize = 160;
const H: usize = 120;
const FRAMES_PER_SECOND: u32 = 30;
const SAMPLE_RATE: u32 = 48_000;
const CHANNELS: u32 = 2;
/// Bytes of one 16-bit stereo sample frame.
const SAMPLE_BYTES: usize = 4;
/// Audio samples per frame slot, written in `BLOCKS_PER_SLOT` blocks.
const SLOT_SAMPLES: usize = (SAMPLE_RATE / FRAMES_PER_SECOND) as usize;
const BLOCKS_PER_SLOT: usize = 8;
const BLOCK_SAMPLES: usize = SLOT_SAMPLES / BLOCKS_PER_SLOT;
/// The writer's checkpoint interval.
pub const CHECKPOINT: Duration = Duration::from_millis(50);
/// A RIFF segment every dozen frames.
const RIFF_LIMIT: u64 = 128 * 1024;
/// Super index slots per stream: room for every segment of the recording, and a header of a
/// few pages (so that torn header sectors are part of the test).
const SUPER_INDEX_CAPACITY: usize = 256;
/// Frames recorded, one every `PACING` of wall time.
const FRAMES: usize = 400;
const PACING: Duration = Duration::from_millis(10);
const JPEG_QUALITY: u32 = 90;

/// The options every mode starts from: the writer's defaults, with short checkpoints and small
/// segments.
pub fn base_options() -> WriterOptions {
    WriterOptions::default()
        .with_frame_rate(FrameRate::new(FRAMES_PER_SECOND, 1).unwrap())
        .with_checkpoint_interval(Some(CHECKPOINT))
        .with_riff_limit(RIFF_LIMIT)
        .with_super_index_capacity(SUPER_INDEX_CAPACITY)
}

/// [`base_options`] whose checkpoints are not synced (`Durability::None`): an application that
/// makes the recording durable with its own `flush(true)` calls.
pub fn undurable_options() -> WriterOptions {
    base_options().with_durability(avikit::Durability::None)
}

/// Empty slots the capture clock leaves before frame `n`: every 40th frame comes 1 to 3
/// slots late.
fn gap_before(n: usize) -> u64 {
    if n > 0 && n.is_multiple_of(40) {
        1 + (n / 40 % 3) as u64
    } else {
        0
    }
}

/// The capture time of frame `n`, and of the first audio block recorded with it.
fn capture_ns(n: usize) -> i64 {
    let slot = (0..=n).map(gap_before).sum::<u64>() + n as u64;
    (slot * 1_000_000_000 / u64::from(FRAMES_PER_SECOND)) as i64
}

/// The capture time of audio block `block` of the slot of frame `n`.
fn block_ns(n: usize, block: usize) -> i64 {
    let offset = (block * BLOCK_SAMPLES) as u64 * 1_000_000_000 / u64::from(SAMPLE_RATE);
    capture_ns(n) + offset as i64
}

/// The frame code of tests/tools/frame_code.py: `n` in the top 20 bits of a 32-bit word, a
/// 12-bit multiplicative checksum below, drawn as 8 x 4 flat cells (white = 1, most
/// significant first), read back by the players' census.
fn code_word(n: usize) -> u32 {
    const CHECK_BITS: u32 = 12;
    let n = u32::try_from(n).unwrap();
    let check = n.wrapping_mul(0x9E37_79B1).wrapping_add(0x7F4A_7C15) >> (32 - CHECK_BITS);
    (n << CHECK_BITS) | check
}

/// Frame `n` as tight top-down BGRA: its number as black and white cells.
fn numbered_picture(n: usize) -> Vec<u8> {
    const COLUMNS: usize = 8;
    const ROWS: usize = 4;
    let word = code_word(n);
    let mut out = Vec::with_capacity(W * H * 4);
    for y in 0..H {
        for x in 0..W {
            let cell = (y * ROWS / H) * COLUMNS + x * COLUMNS / W;
            let v = if word >> (31 - cell) & 1 == 1 { 255 } else { 0 };
            out.extend_from_slice(&[v, v, v, 255]);
        }
    }
    out
}

/// Audio block `block` of the slot of frame `n`: 16-bit stereo, a ramp that differs from
/// block to block (so that a block out of place never compares equal).
fn audio_block(n: usize, block: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(BLOCK_SAMPLES * SAMPLE_BYTES);
    for i in 0..BLOCK_SAMPLES {
        let v = ((n * SLOT_SAMPLES + block * BLOCK_SAMPLES + i) as u32).wrapping_mul(97) as i16;
        out.extend_from_slice(&v.to_le_bytes());
        out.extend_from_slice(&(v ^ 0x5555).to_le_bytes());
    }
    out
}

/// Records the whole plan into `path` with `options`; with `durable_flush_every`, also calls
/// `Writer::flush(true)` that often and once before closing (what an application does today to
/// make its recording durable). Panics on any error.
pub fn record(path: &Path, options: WriterOptions, durable_flush_every: Option<Duration>) {
    let writer = Writer::create(path, options).unwrap();
    let input = InputLayout::new(W as u32, H as u32, PixelFormat::Bgra32);
    let video = writer
        .add_video(
            VideoCodec::Mjpeg {
                input,
                quality: JPEG_QUALITY,
            },
            PixelAspect::SQUARE,
            Some("numbered"),
        )
        .unwrap();
    let audio = writer
        .add_pcm_stream(PcmFormat::derive(CHANNELS, SAMPLE_RATE, 16).unwrap(), None)
        .unwrap();
    let mut last_flush = Instant::now();
    for n in 0..FRAMES {
        let at = capture_ns(n);
        // Outcomes reach close, which is checked.
        let _ = video
            .begin_write_frame_at(true, at, Payload::owned(numbered_picture(n)), None)
            .unwrap();
        for block in 0..BLOCKS_PER_SLOT {
            let payload = Payload::owned(audio_block(n, block));
            let _ = audio
                .begin_write_block_at(true, block_ns(n, block), payload, None)
                .unwrap();
        }
        if durable_flush_every.is_some_and(|every| last_flush.elapsed() >= every) {
            writer.flush(true).unwrap();
            last_flush = Instant::now();
        }
        std::thread::sleep(PACING);
    }
    if durable_flush_every.is_some() {
        writer.flush(true).unwrap();
    }
    writer.close().unwrap();
}
