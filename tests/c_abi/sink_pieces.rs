//! How a writer's bytes reach a custom sink (`avk_io.write_at`) and a file: in pieces of at most
//! `WRITE_PIECE_MAX` bytes, chunk headers and pad bytes always together with payload (never a
//! call of their own), and the same bytes as the file written by path.

use crate::common::content::pcm_block;
use crate::common::scratch::Scratch;
use avikit::ffi::*;
use std::ffi::{c_void, CString};
use std::ptr::null_mut;

/// One `write_at` call the sink saw.
struct Call {
    offset: u64,
    data: Vec<u8>,
}

#[derive(Default)]
struct Recorder {
    calls: Vec<Call>,
}

impl Recorder {
    /// The destination's bytes after every call, in call order.
    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for c in &self.calls {
            let end = c.offset as usize + c.data.len();
            if out.len() < end {
                out.resize(end, 0);
            }
            out[c.offset as usize..end].copy_from_slice(&c.data);
        }
        out
    }
}

unsafe extern "C" fn record_write(
    user: *mut c_void,
    offset: u64,
    data: *const u8,
    len: usize,
) -> i32 {
    // SAFETY: `user` is the Recorder the test owns for the writer's life; `data` has `len` bytes.
    let (recorder, bytes) = unsafe {
        (
            &mut *(user as *mut Recorder),
            std::slice::from_raw_parts(data, len),
        )
    };
    recorder.calls.push(Call {
        offset,
        data: bytes.to_vec(),
    });
    0
}

/// Frame sizes around every boundary of the piece logic: tiny, odd (padded), just under and
/// over the gather size, several pieces long.
const FRAME_SIZES: [usize; 12] = [
    1,
    7,
    100,
    64 * 1024 - 1,
    64 * 1024 + 1,
    256 * 1024 - 8,
    256 * 1024 + 1,
    300_001,
    1 << 20,
    (3 << 20) + 3,
    5,
    8_000_001,
];

/// Writes the same recording (RAW pass-through frames of FRAME_SIZES, PCM between them, all queued
/// before the first completes) through `create`.
fn record(create: impl FnOnce(&avk_writer_options, &mut *mut avk_writer) -> avk_status) {
    let mut wo = std::mem::MaybeUninit::<avk_writer_options>::uninit();
    // SAFETY: init fills the whole struct.
    let mut wo = unsafe {
        avk_writer_options_init(wo.as_mut_ptr());
        wo.assume_init()
    };
    wo.checkpoint_interval_ms = 0;
    let mut w = null_mut();
    assert_eq!(create(&wo, &mut w), AVK_OK);
    let mut vo = std::mem::MaybeUninit::<avk_video_stream_options>::uninit();
    let mut ao = std::mem::MaybeUninit::<avk_audio_stream_options>::uninit();
    // SAFETY: init fills the whole structs.
    let (mut vo, mut ao) = unsafe {
        avk_video_stream_options_init(vo.as_mut_ptr());
        avk_audio_stream_options_init(ao.as_mut_ptr());
        (vo.assume_init(), ao.assume_init())
    };
    vo.width = 640;
    vo.height = 480;
    vo.codec = AVK_VIDEO_RAW;
    vo.fourcc = u32::from_le_bytes(*b"avkt");
    ao.codec = AVK_AUDIO_PCM;
    let (mut v, mut a) = (null_mut(), null_mut());
    let frames: Vec<Vec<u8>> = FRAME_SIZES.iter().map(|&n| vec![0x5A; n]).collect();
    let block = pcm_block(1470, 0);
    let mut results = Vec::new();
    // SAFETY: live handles, valid options and buffers that outlive the writes (ended below).
    unsafe {
        assert_eq!(avk_writer_add_video_stream(w, &vo, &mut v), AVK_OK);
        assert_eq!(avk_writer_add_audio_stream(w, &ao, &mut a), AVK_OK);
        for frame in &frames {
            let mut r = null_mut();
            let s = avk_video_stream_begin_write_frame(
                v,
                AVK_FRAME_KEYFRAME,
                frame.as_ptr(),
                frame.len(),
                None,
                null_mut(),
                &mut r,
            );
            assert_eq!(s, AVK_OK);
            results.push((r, true));
            let s = avk_audio_stream_begin_write_block(
                a,
                0,
                block.as_ptr(),
                block.len(),
                None,
                null_mut(),
                &mut r,
            );
            assert_eq!(s, AVK_OK);
            results.push((r, false));
        }
        for (r, video) in results {
            let s = if video {
                avk_video_stream_end_write_frame(v, r)
            } else {
                avk_audio_stream_end_write_block(a, r)
            };
            assert_eq!(s, AVK_OK);
        }
        assert_eq!(avk_writer_close(w), AVK_OK);
    }
}

/// Whether `data` is exactly one chunk header of a data chunk of this file ("00dc", "01wb").
fn is_lone_chunk_header(data: &[u8]) -> bool {
    data.len() == 8
        && data[0].is_ascii_digit()
        && data[1].is_ascii_digit()
        && matches!(&data[2..4], b"dc" | b"db" | b"wb")
}

#[test]
fn a_custom_sink_gets_bounded_pieces_with_headers_and_pads_inside() {
    let mut recorder = Recorder::default();
    let io = avk_io {
        struct_size: std::mem::size_of::<avk_io>() as u32,
        user: &mut recorder as *mut Recorder as *mut c_void,
        write_at: Some(record_write),
        flush: None,
        close: None,
        sync: None,
    };
    // SAFETY: valid avk_io and options; the recorder outlives the writer (closed in `record`).
    record(|wo, w| unsafe { avk_writer_create_io(&io, wo, w) });

    let payload: usize = FRAME_SIZES.iter().sum();
    for (i, c) in recorder.calls.iter().enumerate() {
        assert!(
            c.data.len() <= avikit::limits::WRITE_PIECE_MAX,
            "call {i}: {} bytes at {}",
            c.data.len(),
            c.offset
        );
        assert!(
            !is_lone_chunk_header(&c.data),
            "call {i} carries only a chunk header"
        );
        assert!(c.data.len() != 1, "call {i} carries only a pad byte");
    }
    // Pieces are full where they can be: the 16 MB of payload take few calls more than the
    // bound forces.
    let big_calls = recorder
        .calls
        .iter()
        .filter(|c| c.data.len() > 64 * 1024)
        .count();
    assert!(big_calls >= payload / avikit::limits::WRITE_PIECE_MAX);
    assert!(
        recorder.calls.len()
            < payload / avikit::limits::WRITE_PIECE_MAX + 4 * FRAME_SIZES.len() + 16,
        "{} calls for {payload} bytes",
        recorder.calls.len()
    );

    // The same calls written to a file by path give the same bytes.
    let file = Scratch::new("sink-pieces.avi");
    let path = CString::new(file.path().to_str().unwrap()).unwrap();
    // SAFETY: a valid path and options.
    record(|wo, w| unsafe { avk_writer_create(path.as_ptr(), wo, w) });
    let on_disk = std::fs::read(file.path()).unwrap();
    assert!(recorder.bytes() == on_disk, "custom sink and file differ");
    // SAFETY: zeroed is a valid report (plain integers); the path is NUL-terminated.
    let mut report: avk_file_report = unsafe { std::mem::zeroed() };
    report.struct_size = std::mem::size_of::<avk_file_report>() as u32;
    // SAFETY: valid path and report.
    assert_eq!(
        unsafe { avk_inspect_file(path.as_ptr(), &mut report) },
        AVK_OK
    );
    assert_eq!(report.video_frames, FRAME_SIZES.len() as u64);
    assert_eq!(report.audio_chunks, FRAME_SIZES.len() as u64);
}
