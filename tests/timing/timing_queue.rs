//! Timed writes in the queue: a begin that never waits (nowait), canceled timed writes that keep
//! their slot, refusals that leave nothing behind, and crash repair of a file with empty frames.

use crate::common::ffmpeg::ffprobe_duration;
use crate::common::numbered::numbered_dib;
use crate::common::riff::{data_chunks, stream_chunk_sizes, walk};
use crate::common::scratch::Scratch;
use avikit::{
    AsyncResult, BeginOptions, Payload, PcmFormat, Status, VideoFormat, Writer, WriterOptions,
};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const W: usize = 64;
const H: usize = 48;
const FRAME: usize = W * H * 4;
const PERIOD: i64 = 33_333_333;

fn options() -> WriterOptions {
    WriterOptions::default().with_checkpoint_interval(None)
}

/// A callback that holds the worker until the returned sender is used (or dropped), running
/// `then` on the worker afterwards.
fn holding_callback(
    then: impl FnOnce() + Send + 'static,
) -> (avikit::Callback, mpsc::Sender<()>, mpsc::Receiver<()>) {
    let (release, held) = mpsc::channel::<()>();
    let (entered_tx, entered) = mpsc::channel::<()>();
    let cb: avikit::Callback = Box::new(move |_: &AsyncResult| {
        entered_tx.send(()).unwrap();
        let _ = held.recv();
        then();
    });
    (cb, release, entered)
}

#[test]
fn nowait_refuses_at_once_where_begin_would_wait_even_inside_a_callback() {
    let file = Scratch::new("timing-nowait.avi");
    let writer =
        Writer::create(file.path(), options().with_max_queued_bytes(FRAME as u64)).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None)
        .unwrap();
    let inner = Arc::new(Mutex::new(None));
    let (cb, release, entered) = {
        let video = video.clone();
        let inner = Arc::clone(&inner);
        holding_callback(move || {
            let frame = numbered_dib(W, H, 32, 9);
            let nowait = video.begin_write_frame_with(
                BeginOptions::keyframe(true).nowait(),
                Payload::owned(frame),
                None,
            );
            *inner.lock().unwrap() = Some(nowait.map(|_| ()).map_err(|e| e.status()));
        })
    };
    let first = video
        .begin_write_frame(true, Payload::owned(numbered_dib(W, H, 32, 0)), Some(cb))
        .unwrap();
    entered.recv().unwrap();
    // The worker is held: one frame fills the queue, the next would wait.
    let queued = video
        .begin_write_frame(true, Payload::owned(numbered_dib(W, H, 32, 1)), None)
        .unwrap();
    let started = Instant::now();
    let refused = video
        .begin_write_frame_with(
            BeginOptions::keyframe(true).nowait(),
            Payload::owned(numbered_dib(W, H, 32, 2)),
            None,
        )
        .unwrap_err();
    assert_eq!(refused.status(), Status::QueueFull, "{refused}");
    assert!(started.elapsed() < Duration::from_secs(5), "never waits");
    assert_eq!(video.stats().dropped, 1);
    release.send(()).unwrap();
    video.end_write_frame(first).unwrap();
    video.end_write_frame(queued).unwrap();
    writer.close().unwrap();
    assert_eq!(*inner.lock().unwrap(), Some(Err(Status::QueueFull)));
    assert_eq!(video.stats().dropped, 2);
    assert_eq!(
        stream_chunk_sizes(&std::fs::read(file.path()).unwrap(), 0),
        [FRAME; 2]
    );
}

#[test]
fn a_canceled_timed_write_leaves_an_empty_frame_or_silence_in_its_place() {
    let file = Scratch::new("timing-cancel.avi");
    let writer = Writer::create(file.path(), options()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None)
        .unwrap();
    let audio = writer
        .add_pcm_stream(PcmFormat::derive(1, 8000, 16).unwrap(), None)
        .unwrap();
    let (cb, release, entered) = holding_callback(|| {});
    let first = video
        .begin_write_frame_at(true, 0, Payload::owned(numbered_dib(W, H, 32, 0)), Some(cb))
        .unwrap();
    entered.recv().unwrap();
    let canceled = video
        .begin_write_frame_at(
            true,
            PERIOD,
            Payload::owned(numbered_dib(W, H, 32, 1)),
            None,
        )
        .unwrap();
    let block = audio
        .begin_write_block_at(true, 0, Payload::owned(vec![7; 160]), None)
        .unwrap();
    let last = video
        .begin_write_frame_at(
            true,
            2 * PERIOD,
            Payload::owned(numbered_dib(W, H, 32, 2)),
            None,
        )
        .unwrap();
    canceled.cancel().unwrap();
    block.cancel().unwrap();
    release.send(()).unwrap();
    video.end_write_frame(first).unwrap();
    assert_eq!(
        video.end_write_frame(canceled).unwrap_err().status(),
        Status::Canceled
    );
    assert_eq!(
        audio.end_write_block(block).unwrap_err().status(),
        Status::Canceled
    );
    video.end_write_frame(last).unwrap();
    writer.close().unwrap();
    let bytes = std::fs::read(file.path()).unwrap();
    assert_eq!(
        stream_chunk_sizes(&bytes, 0),
        [FRAME, 0, FRAME],
        "frame 2 keeps slot 2"
    );
    let audio_chunks: Vec<Vec<u8>> = data_chunks(&walk(&bytes))
        .iter()
        .filter(|c| c.stream == 1)
        .map(|c| bytes[c.offset..c.offset + c.size].to_vec())
        .collect();
    assert_eq!(audio_chunks, [vec![0; 160]], "10 ms of silence");
}

#[test]
fn refused_timed_writes_queue_nothing_and_the_writer_goes_on() {
    let file = Scratch::new("timing-refused.avi");
    let writer = Writer::create(file.path(), options()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None)
        .unwrap();
    let frame = numbered_dib(W, H, 32, 0);
    let t0 = 1_000 * PERIOD;
    video.write_frame_at(true, t0, &frame).unwrap();
    video.write_frame_at(true, t0 + PERIOD, &frame).unwrap();
    let status = |r: avikit::Result<()>| r.unwrap_err().status();
    // Backwards, before time zero, the extremes of the clock, and a gap over the limit.
    assert_eq!(
        status(video.write_frame_at(true, t0, &frame)),
        Status::Dropped
    );
    assert_eq!(
        status(video.write_frame_at(true, 0, &frame)),
        Status::Dropped
    );
    assert_eq!(
        status(video.write_frame_at(true, i64::MIN, &frame)),
        Status::Dropped
    );
    assert_eq!(
        status(video.write_frame_at(true, i64::MAX, &frame)),
        Status::Limit
    );
    let far = t0 + 1_000_003 * PERIOD;
    let limit = video.write_frame_at(true, far, &frame).unwrap_err();
    assert_eq!(limit.status(), Status::Limit);
    assert!(limit.message().contains("1000000"), "{limit}");
    // A wrong length is refused before any placement.
    assert_eq!(
        status(video.write_frame_at(true, t0 + 2 * PERIOD, &frame[1..])),
        Status::InvalidArgument
    );
    assert_eq!(status(video.skip_frames(1_000_001)), Status::Limit);
    let stats = video.stats();
    assert_eq!((stats.chunks, stats.empty_frames, stats.dropped), (2, 0, 3));
    // Still usable: slot 2 is free, and a gap of exactly 1,000,000 empty frames is allowed.
    video.write_frame_at(true, t0 + 2 * PERIOD, &frame).unwrap();
    video.skip_frames(0).unwrap();
    writer.close().unwrap();
    assert_eq!(
        stream_chunk_sizes(&std::fs::read(file.path()).unwrap(), 0),
        [FRAME; 3]
    );
    assert_eq!(status(video.skip_frames(1)), Status::InvalidHandle);
}

#[test]
fn a_crashed_timed_recording_repairs_with_its_empty_frames() {
    let file = Scratch::new("timing-crash.avi");
    let copy = Scratch::new("timing-crash-copy.avi");
    let repaired = Scratch::new("timing-crash-repaired.avi");
    let writer = Writer::create(file.path(), options().with_riff_limit(256 << 10)).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None)
        .unwrap();
    // 120 frames in 240 slots: every other slot empty, across about nine RIFF segments.
    for n in 0..120 {
        video
            .write_frame_at(true, 2 * n * PERIOD, &numbered_dib(W, H, 32, n as usize))
            .unwrap();
    }
    writer.flush(false).unwrap();
    // A copy cut as a crash would cut it, in the middle of a chunk.
    let bytes = std::fs::read(file.path()).unwrap();
    std::fs::write(copy.path(), &bytes[..bytes.len() - 1000]).unwrap();
    writer.close().unwrap();
    let report = avikit::repair::repair_file(copy.path(), Some(repaired.path())).unwrap();
    assert!(report.was_damaged, "{report:?}");
    let sizes = stream_chunk_sizes(&std::fs::read(repaired.path()).unwrap(), 0);
    let expected: Vec<usize> = (0..sizes.len())
        .map(|slot| if slot % 2 == 0 { FRAME } else { 0 })
        .collect();
    assert_eq!(sizes, expected);
    assert!(sizes.len() >= 200, "{} slots kept", sizes.len());
    avikit::repair::inspect_file(repaired.path()).unwrap();
    let last_frame = sizes.iter().rposition(|&s| s == FRAME).unwrap();
    let end = ffprobe_duration(repaired.path(), "v:0") * 30.0;
    assert!(
        (end - (last_frame + 1) as f64).abs() < 0.01,
        "ends at slot {end}"
    );
}
