//! Durable checkpoints (issue 21, docs/c-api.md §9): the order of the writes and syncs a writer
//! makes on its sink. A recording sink logs every `write_at` and sync of long multi-segment
//! recordings (512 KiB RIFF segments, a 2 ms checkpoint interval, DIB or MJPEG video with timed
//! gaps and stalls, timed PCM in three blocks a frame with lost stretches, so that index slots
//! fill up and move, flushes) and the tests check, from the log alone:
//! - every rewrite of the header, and every count or size patched in place, comes after a sync
//!   that follows every data write before it (the bytes it points at are on stable storage);
//! - every header rewrite is followed by a sync, and replaced index slots become `JUNK` only
//!   after it;
//! - close ends with a sync; `Durability::None` never syncs (avikit 0.2);
//! - the default options give this order, through a file and through a custom sink;
//! - durability changes when syncs happen, never the bytes;
//! - a crash image (everything before a sync, any subset of the writes after it) repairs to
//!   every frame of the last checkpoint whose header was synced, byte for byte.

use crate::common::content::pcm_block;
use crate::common::numbered::{numbered_bgra, numbered_dib};
use crate::common::riff::{data_chunks, find, le32, walk};
use crate::common::rng::TestRng;
use crate::common::scratch::Scratch;
use avikit::sink::{Sink, WriteError};
use avikit::{Durability, FrameRate, PcmFormat, VideoFormat, VideoStream, Writer, WriterOptions};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

const W: usize = 64;
const H: usize = 48;
/// 1/90 s of 44.1 kHz stereo: three blocks per frame tick.
const BLOCK_SAMPLES: usize = 490;
const BLOCKS_PER_TICK: usize = 3;
/// About 25 ticks of DIB a segment (a hundred of MJPEG), so ten to twenty RIFFs, and more
/// audio blocks than a first index slot holds.
const RIFF_LIMIT: u64 = 512 << 10;
const CHECKPOINT: Duration = Duration::from_millis(2);
/// Any clock: time zero is the first timed write.
const CLOCK_BASE_NS: i64 = 3_000_000_000_000;

/// One call the writer made on its sink.
#[derive(Debug, Clone)]
enum Op {
    Write {
        offset: u64,
        bytes: Vec<u8>,
    },
    /// `flush(true)`.
    Sync,
    /// `flush(false)`.
    Flush,
}

/// A sink that keeps every call, with the bytes written.
#[derive(Clone, Default)]
struct RecordingSink(Arc<Mutex<Vec<Op>>>);

impl RecordingSink {
    fn ops(&self) -> Vec<Op> {
        self.0.lock().clone()
    }
}

impl Sink for RecordingSink {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> Result<(), WriteError> {
        let bytes = bufs.concat();
        self.0.lock().push(Op::Write { offset, bytes });
        Ok(())
    }

    fn flush(&mut self, durable: bool) -> std::io::Result<()> {
        self.0
            .lock()
            .push(if durable { Op::Sync } else { Op::Flush });
        Ok(())
    }
}

/// What a write is, told from its place and bytes only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The header, at offset 0.
    Header,
    /// A count or size rewritten in place: 4 bytes, or an OpenDML segment's RIFF and `movi`
    /// sizes together (`size AVIX LIST size`, 16 bytes).
    Pointer,
    /// A replaced index slot turned into `JUNK`.
    Retire,
    /// Chunks, index chunks, segment heads.
    Data,
}

fn kind(offset: u64, bytes: &[u8]) -> Kind {
    match (offset, bytes.len()) {
        (0, _) => Kind::Header,
        (_, 4) if bytes == b"JUNK" => Kind::Retire,
        (_, 4) => Kind::Pointer,
        (_, 16) if &bytes[4..12] == b"AVIXLIST" => Kind::Pointer,
        _ => Kind::Data,
    }
}

/// The file as `ops` leave it.
fn image(ops: &[Op]) -> Vec<u8> {
    let mut file = Vec::new();
    apply(&mut file, ops);
    file
}

/// Applies the writes of `ops` to `file`.
fn apply<'a>(file: &mut Vec<u8>, ops: impl IntoIterator<Item = &'a Op>) {
    for op in ops {
        if let Op::Write { offset, bytes } = op {
            let end = *offset as usize + bytes.len();
            if file.len() < end {
                file.resize(end, 0);
            }
            file[*offset as usize..end].copy_from_slice(bytes);
        }
    }
}

/// What the order checks counted.
#[derive(Debug, Default)]
struct Tally {
    header_rewrites: usize,
    pointers: usize,
    retired: usize,
    syncs: usize,
}

/// Checks the durable order on a log (see the module docs) and counts what it saw.
fn check_durable_order(ops: &[Op]) -> Tally {
    let mut tally = Tally::default();
    // Whether data was written since the last sync; whether the header was rewritten since it.
    let mut data_unsynced = false;
    let mut header_unsynced = false;
    // Whether a header rewrite was synced since the last data write.
    let mut header_synced = false;
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Sync => {
                tally.syncs += 1;
                data_unsynced = false;
                header_synced |= header_unsynced;
                header_unsynced = false;
            }
            Op::Flush => {}
            Op::Write { offset, bytes } => match kind(*offset, bytes) {
                // The first write is the initial header: it points at nothing.
                Kind::Header if i == 0 => {}
                Kind::Header => {
                    assert!(
                        !data_unsynced,
                        "op {i}: header rewritten before a data sync"
                    );
                    assert!(
                        matches!(ops.get(i + 1), Some(Op::Sync)),
                        "op {i}: header rewrite not followed by a sync: {:?}",
                        ops.get(i + 1).map(|op| match op {
                            Op::Write { offset, bytes } =>
                                format!("write {offset}+{}", bytes.len()),
                            other => format!("{other:?}"),
                        })
                    );
                    tally.header_rewrites += 1;
                    header_unsynced = true;
                }
                Kind::Pointer => {
                    assert!(
                        !data_unsynced,
                        "op {i}: a count or size at {offset} patched before a data sync"
                    );
                    tally.pointers += 1;
                }
                Kind::Retire => {
                    assert!(
                        header_synced && !header_unsynced,
                        "op {i}: index slot at {offset} retired before the header was synced"
                    );
                    tally.retired += 1;
                }
                Kind::Data => {
                    data_unsynced = true;
                    header_synced = false;
                }
            },
        }
    }
    assert!(
        matches!(ops.last(), Some(Op::Sync)),
        "close must end with a sync"
    );
    tally
}

/// Which video a recording has.
#[derive(Debug, Clone, Copy)]
enum Video {
    Dib,
    #[cfg(feature = "mjpeg")]
    Mjpeg,
}

fn add_video(writer: &Writer, video: Video) -> VideoStream {
    match video {
        Video::Dib => writer
            .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None)
            .unwrap(),
        #[cfg(feature = "mjpeg")]
        Video::Mjpeg => {
            let input = avikit::pixel::InputLayout::new(
                W as u32,
                H as u32,
                avikit::pixel::PixelFormat::Bgra32,
            );
            let encoder = avikit::codec::mjpeg::MjpegEncoder::new(input, 75).unwrap();
            writer
                .add_encoding_video_stream(Arc::new(encoder), None)
                .unwrap()
        }
    }
}

fn frame(video: Video, n: usize) -> Vec<u8> {
    match video {
        Video::Dib => numbered_dib(W, H, 32, n),
        #[cfg(feature = "mjpeg")]
        Video::Mjpeg => numbered_bgra(W, H, n),
    }
}

fn tick_ns(tick: u64) -> i64 {
    CLOCK_BASE_NS + (tick as f64 * 1e9 / 30.0) as i64
}

/// Records `frames` timed frames with gaps (every 13th frame comes one to three ticks late, a
/// stall bridged by `skip_frames` every 100 frames), timed PCM blocks on every tick except lost
/// stretches, pauses that let checkpoints fall due, and a flush (durable every other time)
/// every 64 frames.
fn record(writer: &Writer, video: Video, frames: usize, pauses: bool) {
    let camera = add_video(writer, video);
    let audio = writer
        .add_pcm_stream(PcmFormat::derive(2, 44_100, 16).unwrap(), None)
        .unwrap();
    let mut tick = 0u64;
    let audio_at = |tick: u64| {
        if tick % 50 < 5 {
            return;
        }
        for k in 0..BLOCKS_PER_TICK {
            let n = tick as usize * BLOCKS_PER_TICK + k;
            let block = pcm_block(BLOCK_SAMPLES, n);
            let at = tick_ns(tick) + (k * BLOCK_SAMPLES) as i64 * 1_000_000_000 / 44_100;
            audio.write_block_at(true, at, &block).unwrap();
        }
    };
    for n in 0..frames {
        if n > 0 && n % 100 == 0 {
            for _ in 0..6 {
                tick += 1;
                camera.skip_frames(1).unwrap();
                audio_at(tick);
            }
        }
        if n > 0 {
            tick += 1 + if n % 13 == 0 {
                1 + (n / 13 % 3) as u64
            } else {
                0
            };
        }
        camera
            .write_frame_at(true, tick_ns(tick), &frame(video, n))
            .unwrap();
        audio_at(tick);
        if pauses && n % 5 == 4 {
            std::thread::sleep(CHECKPOINT + Duration::from_millis(1));
        }
        if n % 64 == 63 {
            writer.flush(n % 128 == 127).unwrap();
        }
    }
    writer.close().unwrap();
}

fn options(durability: Durability, checkpoint: Option<Duration>) -> WriterOptions {
    WriterOptions::default()
        .with_frame_rate(FrameRate::new(30, 1).unwrap())
        .with_riff_limit(RIFF_LIMIT)
        .with_super_index_capacity(512)
        .with_checkpoint_interval(checkpoint)
        .with_durability(durability)
}

/// Records through a [`RecordingSink`]; returns the log.
fn record_logged(video: Video, frames: usize, options: WriterOptions, pauses: bool) -> Vec<Op> {
    let sink = RecordingSink::default();
    let writer = Writer::with_sink(Box::new(sink.clone()), options).unwrap();
    record(&writer, video, frames, pauses);
    sink.ops()
}

/// RIFF segments of a finished file.
fn riff_count(bytes: &[u8]) -> usize {
    walk(bytes).iter().filter(|c| &c.id == b"RIFF").count()
}

fn check_long_recording(video: Video) {
    let ops = record_logged(
        video,
        600,
        options(Durability::Checkpoints, Some(CHECKPOINT)),
        true,
    );
    let tally = check_durable_order(&ops);
    let file = image(&ops);
    let riffs = riff_count(&file);
    println!("{video:?}: {riffs} RIFF segments, {tally:?}");
    assert!(riffs >= 8, "{riffs} RIFF segments");
    assert!(tally.header_rewrites >= 20, "{tally:?}");
    assert!(tally.pointers > 2 * riffs && tally.retired > 0, "{tally:?}");
    assert!(tally.syncs > 2 * tally.header_rewrites, "{tally:?}");
    check_crash_images(&ops, &format!("{video:?}"), 0xD0_7AB1E);
}

#[test]
fn a_long_dib_recording_syncs_data_before_every_header_that_points_at_it() {
    check_long_recording(Video::Dib);
}

#[cfg(feature = "mjpeg")]
#[test]
fn a_long_mjpeg_recording_syncs_data_before_every_header_that_points_at_it() {
    check_long_recording(Video::Mjpeg);
}

#[test]
fn without_durability_nothing_is_synced() {
    let ops = record_logged(
        Video::Dib,
        300,
        options(Durability::None, Some(CHECKPOINT)),
        true,
    );
    // The recording's durable flushes are explicit: they sync (in order) even so, at most
    // three times each (data, header, retired slots).
    let durable_flushes = 300 / 128;
    let syncs = ops.iter().filter(|op| matches!(op, Op::Sync)).count();
    assert!(syncs <= 3 * durable_flushes, "{syncs} syncs");
    let ops = record_logged(
        Video::Dib,
        100,
        options(Durability::None, Some(CHECKPOINT)),
        true,
    );
    assert!(ops.iter().all(|op| !matches!(op, Op::Sync)), "a sync");
    assert!(
        ops.iter()
            .filter(|op| matches!(op, Op::Write { offset: 0, .. }))
            .count()
            > 5,
        "checkpoints still rewrite the header"
    );
}

#[test]
fn the_default_options_are_durable_and_the_bytes_do_not_depend_on_it() {
    assert_eq!(WriterOptions::default().durability, Durability::Checkpoints);
    // Without periodic checkpoints the bytes depend only on the calls made.
    let durable = record_logged(
        Video::Dib,
        400,
        options(Durability::Checkpoints, None),
        false,
    );
    let plain = record_logged(Video::Dib, 400, options(Durability::None, None), false);
    check_durable_order(&durable);
    assert_eq!(
        image(&durable),
        image(&plain),
        "durability changed the bytes"
    );
    // Default options through a file: the same bytes as the logged recording.
    let file = Scratch::new("durability-default.avi");
    let defaults = WriterOptions::default()
        .with_frame_rate(FrameRate::new(30, 1).unwrap())
        .with_riff_limit(RIFF_LIMIT)
        .with_super_index_capacity(512)
        .with_checkpoint_interval(None);
    record(
        &Writer::create(file.path(), defaults).unwrap(),
        Video::Dib,
        400,
        false,
    );
    assert_eq!(std::fs::read(file.path()).unwrap(), image(&durable));
}

#[test]
fn a_durable_flush_syncs_in_order_even_without_durability() {
    let sink = RecordingSink::default();
    let writer =
        Writer::with_sink(Box::new(sink.clone()), options(Durability::None, None)).unwrap();
    let video = add_video(&writer, Video::Dib);
    for n in 0..40 {
        video.write_frame(true, &frame(Video::Dib, n)).unwrap();
    }
    writer.flush(false).unwrap();
    assert!(sink.ops().iter().all(|op| !matches!(op, Op::Sync)));
    for n in 40..80 {
        video.write_frame(true, &frame(Video::Dib, n)).unwrap();
    }
    writer.flush(true).unwrap();
    let ops = sink.ops();
    let last_header = ops
        .iter()
        .rposition(|op| matches!(op, Op::Write { offset: 0, .. }))
        .unwrap();
    assert!(matches!(ops[last_header + 1], Op::Sync), "header then sync");
    let data_sync = ops[..last_header]
        .iter()
        .rposition(|op| matches!(op, Op::Sync))
        .expect("a sync before the header");
    assert!(
        ops[data_sync..last_header].iter().all(|op| match op {
            Op::Write { offset, bytes } => kind(*offset, bytes) == Kind::Pointer,
            _ => true,
        }),
        "only counts and sizes between the data sync and the header"
    );
    assert!(
        matches!(ops.last(), Some(Op::Sync)),
        "the flush ends synced"
    );
    // Nothing new: a second durable flush has nothing to sync.
    let before = sink.ops().len();
    writer.flush(true).unwrap();
    assert_eq!(sink.ops().len(), before);
    writer.close().unwrap();
    // Close without durability pushes, never syncs.
    assert!(matches!(sink.ops().last(), Some(Op::Flush)));
}

/// Frames the header in `file` claims (the OpenDML `dmlh` total, else `avih`).
fn header_frames(file: &[u8]) -> usize {
    match find(file, b"dmlh") {
        Some(at) => le32(file, at + 8) as usize,
        None => le32(file, find(file, b"avih").unwrap() + 8 + 16) as usize,
    }
}

/// Crash images: for a sample of syncs, everything written before the sync plus a random subset
/// of the writes after it (up to the next sync). Each must repair to every video frame of the
/// last checkpoint whose header was synced before the cut, byte for byte.
fn check_crash_images(ops: &[Op], name: &str, seed: u64) {
    let final_file = image(ops);
    let final_frames: Vec<Vec<u8>> = data_chunks(&walk(&final_file))
        .iter()
        .filter(|c| c.stream == 0)
        .map(|c| final_file[c.offset..c.offset + c.size].to_vec())
        .collect();
    let syncs: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| matches!(op, Op::Sync))
        .map(|(i, _)| i)
        .collect();
    let mut rng = TestRng::new(seed);
    let cut = Scratch::new(&format!("durability-crash-{name}.avi"));
    let repaired = Scratch::new(&format!("durability-crash-{name}-repaired.avi"));
    let mut tried = 0;
    let mut durable = Vec::new();
    let mut applied = 0;
    for (n, &sync) in syncs.iter().enumerate() {
        apply(&mut durable, &ops[applied..sync]);
        applied = sync;
        if n % 7 != 3 {
            continue;
        }
        // The last header rewrite before this sync was synced by it or earlier.
        let promised = header_frames(&durable);
        let next = syncs.get(n + 1).copied().unwrap_or(ops.len());
        let mut later: Vec<&Op> = ops[sync..next].iter().filter(|_| rng.percent(50)).collect();
        if rng.percent(50) {
            later.reverse();
        }
        let mut crashed = durable.clone();
        apply(&mut crashed, later);
        std::fs::write(cut.path(), crashed).unwrap();
        avikit::repair::repair_file(cut.path(), Some(repaired.path()))
            .unwrap_or_else(|e| panic!("sync {n}: repair failed: {e}"));
        let bytes = std::fs::read(repaired.path()).unwrap();
        let frames: Vec<&[u8]> = data_chunks(&walk(&bytes))
            .iter()
            .filter(|c| c.stream == 0)
            .map(|c| &bytes[c.offset..c.offset + c.size])
            .collect();
        assert!(
            frames.len() >= promised,
            "sync {n}: {} frames repaired, the header promised {promised}",
            frames.len()
        );
        for (i, frame) in frames.iter().take(promised).enumerate() {
            assert!(
                *frame == &final_frames[i][..],
                "sync {n}: frame {i} differs"
            );
        }
        tried += 1;
    }
    assert!(tried >= 10, "{tried} crash images");
}

/// A sink whose sync takes `SLOW_SYNC`, logging like [`RecordingSink`].
struct SlowSyncSink(RecordingSink);

const SLOW_SYNC: Duration = Duration::from_millis(100);

impl Sink for SlowSyncSink {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> Result<(), WriteError> {
        self.0.write_at(offset, bufs)
    }

    fn flush(&mut self, durable: bool) -> std::io::Result<()> {
        if durable {
            std::thread::sleep(SLOW_SYNC);
        }
        self.0.flush(durable)
    }
}

#[test]
fn a_slow_sync_never_blocks_a_begin_and_checkpoints_that_fall_due_merge() {
    let log = RecordingSink::default();
    let options = options(Durability::Checkpoints, Some(Duration::from_millis(1)));
    let writer = Writer::with_sink(Box::new(SlowSyncSink(log.clone())), options).unwrap();
    let video = add_video(&writer, Video::Dib);
    let started = std::time::Instant::now();
    let mut slowest = Duration::ZERO;
    let mut pending = Vec::new();
    for n in 0..300 {
        let payload = avikit::Payload::owned(frame(Video::Dib, n));
        let before = std::time::Instant::now();
        pending.push(video.begin_write_frame(true, payload, None).unwrap());
        slowest = slowest.max(before.elapsed());
        std::thread::sleep(Duration::from_millis(2));
    }
    let elapsed = started.elapsed();
    for result in pending {
        video.end_write_frame(result).unwrap();
    }
    writer.close().unwrap();
    // Each sync holds the worker, never the caller: begins stay far below one sync.
    assert!(slowest < SLOW_SYNC / 2, "a begin took {slowest:?}");
    // A checkpoint falls due every millisecond of writing, but one that falls due during a
    // sync waits for it and then covers everything: at most one checkpoint per two syncs.
    let ops = log.ops();
    let tally = check_durable_order(&ops);
    let most = (elapsed.as_millis() / (2 * SLOW_SYNC.as_millis())) as usize + 2;
    assert!(
        (1..=most).contains(&tally.header_rewrites),
        "{} checkpoints in {elapsed:?}: {tally:?}",
        tally.header_rewrites
    );
    assert_eq!(header_frames(&image(&ops)), 300);
}
