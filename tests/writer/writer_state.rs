//! A writer's life as `Writer::state` tells it (open, closing while the queue drains, closed),
//! which close finished the file when several race, and `check_len` before a write.

use crate::common::riff::stream_chunk_sizes;
use crate::common::scratch::Scratch;
use avikit::{Payload, PcmFormat, Status, VideoFormat, Writer, WriterOptions, WriterState};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[test]
fn state_goes_open_closing_closed_and_only_the_finishing_close_owns_the_outcome() {
    let file = Scratch::new("state.avi");
    let writer = Arc::new(Writer::create(file.path(), WriterOptions::default()).unwrap());
    let video = writer
        .add_video_stream(VideoFormat::dib(4, 2, 24), None)
        .unwrap();
    let audio = writer
        .add_pcm_stream(PcmFormat::derive(2, 44_100, 16).unwrap(), None)
        .unwrap();
    assert_eq!(writer.state(), WriterState::Open);

    // A close inside a callback is refused and leaves the writer open.
    let (inside_tx, inside_rx) = mpsc::channel();
    let refused = {
        let writer = Arc::clone(&writer);
        Box::new(move |_: &avikit::AsyncResult| {
            let status = writer.close().unwrap_err().status();
            inside_tx.send((status, writer.state())).unwrap();
        })
    };
    let frame = vec![0u8; 4 * 2 * 3];
    let first = video
        .begin_write_frame(true, Payload::owned(frame.clone()), Some(refused))
        .unwrap();
    video.end_write_frame(first).unwrap();
    assert_eq!(
        inside_rx.recv().unwrap(),
        (Status::WouldDeadlock, WriterState::Open)
    );

    // A callback that holds the drain until the test has seen the writer closing.
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let held = Box::new(move |_: &avikit::AsyncResult| release_rx.recv().unwrap());
    video
        .begin_write_frame(true, Payload::owned(frame), Some(held))
        .unwrap();
    let closer = {
        let writer = Arc::clone(&writer);
        std::thread::spawn(move || writer.close())
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while writer.state() == WriterState::Open {
        assert!(Instant::now() < deadline, "the close never began");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(writer.state(), WriterState::Closing);
    let second = writer.close().unwrap_err();
    assert_eq!(second.status(), Status::InvalidHandle);
    assert_eq!(writer.state(), WriterState::Closing, "{second}");
    let late = video.write_frame(true, &[0; 24]).unwrap_err();
    assert_eq!(late.status(), Status::InvalidHandle);

    release_tx.send(()).unwrap();
    closer.join().unwrap().unwrap();
    assert_eq!(writer.state(), WriterState::Closed);
    // A write refused for the closed writer takes no slot, sample or drop.
    let before = (video.stats(), audio.stats());
    let timed = video.write_frame_at(true, 1_000_000_000, &[0; 24]);
    assert_eq!(timed.unwrap_err().status(), Status::InvalidHandle);
    let block = audio.write_block_at(true, 1_000_000_000, &[0; 400]);
    assert_eq!(block.unwrap_err().status(), Status::InvalidHandle);
    let untimed = audio.write_block(true, &[0; 400]);
    assert_eq!(untimed.unwrap_err().status(), Status::InvalidHandle);
    assert_eq!((video.stats(), audio.stats()), before);
    assert_eq!(writer.close().unwrap_err().status(), Status::InvalidHandle);
    assert_eq!(writer.state(), WriterState::Closed);
    let sizes = stream_chunk_sizes(&std::fs::read(file.path()).unwrap(), 0);
    assert_eq!(sizes, vec![24, 24], "both frames are in the file");
}

#[test]
fn check_len_answers_what_begin_would() {
    let file = Scratch::new("check-len.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    // 5 pixels of 24 bits: rows padded to 16 bytes, 3 rows.
    let dib = writer
        .add_video_stream(VideoFormat::dib(5, 3, 24), None)
        .unwrap();
    let mjpg = writer
        .add_video_stream(
            VideoFormat::compressed(8, 8, avikit::FourCc::new(*b"MJPG")),
            None,
        )
        .unwrap();
    dib.check_len(48).unwrap();
    for wrong in [0, 47, 49, 45] {
        assert_eq!(
            dib.check_len(wrong).unwrap_err().status(),
            Status::InvalidArgument,
            "{wrong} bytes"
        );
        let begun = dib.begin_write_frame(true, Payload::owned(vec![0; wrong]), None);
        assert_eq!(begun.unwrap_err().status(), Status::InvalidArgument);
    }
    mjpg.check_len(1).unwrap();
    mjpg.check_len(0).unwrap();
    assert_eq!(
        mjpg.check_len(usize::MAX).unwrap_err().status(),
        Status::Limit
    );
    mjpg.check_len(0x7FFF_FFFF).unwrap();
    assert_eq!(
        mjpg.check_len(0x8000_0000).unwrap_err().status(),
        Status::Limit
    );
    writer.close().unwrap();
}
