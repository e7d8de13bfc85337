//! Scoped zero-copy writes (`avikit::scope`): borrowed buffers, read in place, every write
//! complete when the scope returns, even when its closure panics; refused inside callbacks.

use crate::common::numbered::numbered_dib;
use crate::common::scratch::Scratch;
use crate::common::tools::avi_check;
use avikit::scope;
use avikit::{BeginOptions, Status, VideoFormat, Writer, WriterOptions};
use std::sync::{Arc, Mutex};

const W: usize = 64;
const H: usize = 48;

#[test]
fn borrowed_frames_are_written_in_place_and_complete_when_the_scope_returns() {
    let file = Scratch::new("scope.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None)
        .unwrap();
    let mut frames: Vec<Vec<u8>> = (0..20).map(|n| numbered_dib(W, H, 32, n)).collect();
    let results = scope(|s| {
        frames
            .iter()
            .map(|f| {
                s.begin_write_frame(&video, BeginOptions::keyframe(true), f, None)
                    .unwrap()
            })
            .collect::<Vec<_>>()
    })
    .unwrap();
    assert!(results.iter().all(|r| r.is_completed()), "the scope waited");
    // The buffers are the caller's again: changing them changes nothing in the file.
    frames.iter_mut().for_each(|f| f.fill(0));
    writer.finalize().unwrap();
    avi_check(file.path(), &["--frame-numbers", "20"]);
}

#[test]
fn a_panicking_scope_still_waits_for_its_writes() {
    let file = Scratch::new("scope-panic.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None)
        .unwrap();
    let frame = numbered_dib(W, H, 32, 0);
    let begun = Mutex::new(Vec::new());
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scope(|s| {
            for _ in 0..8 {
                let r = s
                    .begin_write_frame(&video, BeginOptions::keyframe(true), &frame, None)
                    .unwrap();
                begun.lock().unwrap().push(r);
            }
            panic!("the caller's code failed");
        })
    }));
    assert!(unwound.is_err());
    let begun = begun.into_inner().unwrap();
    assert_eq!(begun.len(), 8);
    assert!(
        begun.iter().all(|r| r.is_completed()),
        "waited while unwinding"
    );
    writer.finalize().unwrap();
}

#[test]
fn a_scope_inside_a_callback_is_refused() {
    let writer = Writer::create(
        Scratch::new("scope-cb.avi").path(),
        WriterOptions::default(),
    )
    .unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(4, 4, 32), None)
        .unwrap();
    let inner = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&inner);
    video
        .begin_write_frame(
            true,
            vec![0; 64].into(),
            Some(Box::new(move |_| {
                *seen.lock().unwrap() = Some(scope(|_| ()).map_err(|e| e.status()));
            })),
        )
        .unwrap();
    writer.finalize().unwrap();
    assert_eq!(*inner.lock().unwrap(), Some(Err(Status::WouldDeadlock)));
}
