//! No file may crash inspection or repair (issue 21, items 1 and 2): an `ix##` claiming ~2^32
//! entries in a file made sparse to 36 GB, and a PCM stream whose `nBlockAlign` is 0. Each case
//! runs through the Rust API, the C ABI and the `avikit` command, and must end in a status or
//! an exit code, never a signal, a panic or an allocation of the claimed size.

use super::inspect_hostile::ten_frames;
use crate::common::scratch::Scratch;
use avikit::repair::{inspect_file, repair_file};
use avikit::{AudioFormat, FourCc, PcmFormat, Status, VideoFormat, Writer, WriterOptions};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

/// Size of each `RIFF AVIX` appended to make the file long: its body is one sparse `JUNK`.
const AVIX_SIZE: u32 = 0xF000_0000;
/// How many of them: 9 x 3.75 GiB puts the end of the file past 34.4 GB, where an `ix00`
/// claiming `u32::MAX` 8-byte entries would end.
const AVIX_COUNT: u64 = 9;

fn position(bytes: &[u8], id: &[u8; 4]) -> usize {
    bytes.windows(4).position(|w| w == id).unwrap()
}

/// A ten-frame recording whose `ix00` says it holds `u32::MAX` entries, made ~36 GB long by
/// sparse `AVIX` segments (a few KB of disk): every size and offset stays inside the file.
fn sparse_huge_index(path: &Path) {
    let bytes = ten_frames(path);
    // nEntriesInUse: after the chunk header, wLongsPerEntry, bIndexSubType and bIndexType.
    let ix = position(&bytes, b"ix00") + 8 + 4;
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.write_all_at(&u32::MAX.to_le_bytes(), ix as u64)
        .unwrap();
    let mut at = bytes.len() as u64;
    for _ in 0..AVIX_COUNT {
        let junk = AVIX_SIZE - 4 - 12 - 8;
        let head = [
            &b"RIFF"[..],
            &AVIX_SIZE.to_le_bytes(),
            b"AVIX",
            b"LIST",
            &4u32.to_le_bytes(),
            b"movi",
            b"JUNK",
            &junk.to_le_bytes(),
        ]
        .concat();
        file.write_all_at(&head, at).unwrap();
        at += 8 + u64::from(AVIX_SIZE);
    }
    file.set_len(at).unwrap();
    assert!(at > 36_000_000_000);
}

/// A recording of video and 16-bit stereo PCM whose audio `strf` has `nBlockAlign` 0.
fn zero_block_align(path: &Path) {
    let writer = Writer::create(path, WriterOptions::default()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::compressed(8, 8, FourCc::new(*b"XVID")), None)
        .unwrap();
    let audio = writer
        .add_audio_stream(
            AudioFormat::pcm(PcmFormat::derive(2, 48_000, 16).unwrap()),
            None,
        )
        .unwrap();
    for n in 0..10u8 {
        video.write_frame(true, &[n; 100]).unwrap();
        audio.write_block(true, &[n; 1600 * 4]).unwrap();
    }
    writer.close().unwrap();
    let mut bytes = std::fs::read(path).unwrap();
    let auds = position(&bytes, b"auds");
    // WAVEFORMATEX: wFormatTag, nChannels, nSamplesPerSec, nAvgBytesPerSec, nBlockAlign.
    let block_align = auds + position(&bytes[auds..], b"strf") + 8 + 12;
    assert_eq!(bytes[block_align..block_align + 2], 4u16.to_le_bytes());
    bytes[block_align..block_align + 2].copy_from_slice(&0u16.to_le_bytes());
    std::fs::write(path, bytes).unwrap();
}

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

fn c_inspect(path: &Path) -> i32 {
    let path = c_path(path);
    // SAFETY: avk_file_report is plain C data, for which all zeros is a valid value.
    let mut report: avikit::ffi::avk_file_report = unsafe { std::mem::zeroed() };
    report.struct_size = std::mem::size_of_val(&report) as u32;
    // SAFETY: a NUL-terminated path and a report of the size it says.
    unsafe { avikit::ffi::avk_inspect_file(path.as_ptr(), &mut report) }
}

fn c_repair(path: &Path, out: &Path) -> i32 {
    let (path, out) = (c_path(path), c_path(out));
    // SAFETY: avk_file_report is plain C data, for which all zeros is a valid value.
    let mut report: avikit::ffi::avk_file_report = unsafe { std::mem::zeroed() };
    report.struct_size = std::mem::size_of_val(&report) as u32;
    // SAFETY: NUL-terminated paths and a report of the size it says.
    unsafe { avikit::ffi::avk_repair_file(path.as_ptr(), out.as_ptr(), &mut report) }
}

/// Runs `avikit ARGS`: its exit code (a signal fails the test) and its stderr.
fn cli(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_avikit"))
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.signal(),
        None,
        "avikit {args:?} died of a signal: {stderr}"
    );
    (out.status.code().unwrap(), stderr)
}

#[test]
fn an_index_claiming_more_entries_than_its_chunk_holds_is_a_fault() {
    let file = Scratch::new("hostile-sparse-ix.avi");
    let out = Scratch::new("hostile-sparse-ix-out.avi");
    sparse_huge_index(file.path());

    let e = inspect_file(file.path()).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    assert!(e.message().contains("nEntriesInUse"), "{e}");
    assert_eq!(c_inspect(file.path()), avikit::ffi::AVK_E_INVALID_ARGUMENT);

    // Repair keeps the ten frames and drops the sparse tail.
    let report = repair_file(file.path(), Some(out.path())).unwrap();
    assert!(report.was_damaged);
    assert_eq!(report.video_frames, 10);
    inspect_file(out.path()).unwrap();
    std::fs::remove_file(out.path()).unwrap();
    assert_eq!(c_repair(file.path(), out.path()), avikit::ffi::AVK_OK);

    let (code, stderr) = cli(&["inspect".as_ref(), file.path().as_os_str()]);
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("nEntriesInUse"), "{stderr}");
    let (code, stderr) = cli(&[
        "repair".as_ref(),
        file.path().as_os_str(),
        "-o".as_ref(),
        out.path().as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_zero_block_align_is_a_fault_not_a_panic() {
    let file = Scratch::new("hostile-block-align.avi");
    let out = Scratch::new("hostile-block-align-out.avi");
    zero_block_align(file.path());

    let e = inspect_file(file.path()).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    assert!(e.message().contains("nBlockAlign"), "{e}");
    assert_eq!(c_inspect(file.path()), avikit::ffi::AVK_E_INVALID_ARGUMENT);

    let e = repair_file(file.path(), Some(out.path())).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    assert!(e.message().contains("block_align"), "{e}");
    assert_eq!(
        c_repair(file.path(), out.path()),
        avikit::ffi::AVK_E_INVALID_ARGUMENT
    );

    let (code, stderr) = cli(&["inspect".as_ref(), file.path().as_os_str()]);
    assert_ne!(code, 0, "{stderr}");
    let (code, stderr) = cli(&[
        "repair".as_ref(),
        file.path().as_os_str(),
        "-o".as_ref(),
        out.path().as_os_str(),
    ]);
    assert!(code != 0 && code != 101, "exit {code}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
