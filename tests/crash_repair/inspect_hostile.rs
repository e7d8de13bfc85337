//! Strict inspection refuses header values no reader can use (issue 14, item 14): a super
//! index entry whose size is not its index chunk's, an avih stream count that is not the
//! number of stream lists, and a strh rate or scale of 0.

use crate::common::scratch::Scratch;
use avikit::repair::inspect_file;
use avikit::{FourCc, Status, VideoFormat, Writer, WriterOptions};
use std::path::Path;

/// Records ten small XVID-tagged frames at `path` and returns the file's bytes.
pub(crate) fn ten_frames(path: &Path) -> Vec<u8> {
    let writer = Writer::create(path, WriterOptions::default()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::compressed(8, 8, FourCc::new(*b"XVID")), None)
        .unwrap();
    for n in 0..10u8 {
        video.write_frame(true, &[n; 100]).unwrap();
    }
    writer.close().unwrap();
    std::fs::read(path).unwrap()
}

fn position(bytes: &[u8], id: &[u8; 4]) -> usize {
    bytes.windows(4).position(|w| w == id).unwrap()
}

/// Inspects the file with the u32 at `at` set to `value`; returns the fault's message.
fn fault_with(name: &str, at: impl Fn(&[u8]) -> usize, value: u32) -> String {
    let file = Scratch::new(name);
    let mut bytes = ten_frames(file.path());
    inspect_file(file.path()).expect("the unpatched file passes");
    let at = at(&bytes);
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    std::fs::write(file.path(), &bytes).unwrap();
    let e = inspect_file(file.path()).expect_err("the patched file must fail inspection");
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    e.message().to_string()
}

#[test]
fn a_super_index_entry_size_of_all_ones_is_a_fault() {
    // indx header (8) + its 24 fixed bytes, then entry 0: qwOffset (8), dwSize.
    let msg = fault_with(
        "hostile-indx-size.avi",
        |b| position(b, b"indx") + 8 + 24 + 8,
        u32::MAX,
    );
    assert!(msg.contains("dwSize"), "{msg}");
}

#[test]
fn an_avih_stream_count_that_is_not_the_number_of_streams_is_a_fault() {
    // avih: dwMicroSecPerFrame .. dwInitialFrames, then dwStreams at byte 24 of the body.
    for count in [u32::MAX, 0, 2] {
        let msg = fault_with(
            "hostile-avih-streams.avi",
            |b| position(b, b"avih") + 8 + 24,
            count,
        );
        assert!(msg.contains("dwStreams"), "{msg}");
    }
}

#[test]
fn a_strh_rate_or_scale_of_zero_is_a_fault() {
    // strh: fccType, fccHandler, dwFlags, wPriority+wLanguage, dwInitialFrames, dwScale, dwRate.
    for (field, offset) in [("dwScale", 20), ("dwRate", 24)] {
        let msg = fault_with(
            "hostile-strh-rate.avi",
            |b| position(b, b"strh") + 8 + offset,
            0,
        );
        assert!(msg.contains(field), "{field}: {msg}");
    }
}
