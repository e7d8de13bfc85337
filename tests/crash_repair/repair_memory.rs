//! What repair holds in memory (issue 21, item 4a): a chunk of 1 GiB is copied in pieces of
//! `READ_PIECE_LEN`, never read whole, and a file of many small chunks costs bookkeeping in
//! proportion to its chunks, not a multiple of its size. Both run on virtual files (bytes plus
//! a claimed length) so that neither needs the disk or the memory the file claims.

use crate::counting_alloc;

use crate::common::scratch::Scratch;
use avikit::limits::READ_PIECE_LEN;
use avikit::repair::inspect_and_repair_virtual;
use avikit::{FourCc, VideoFormat, Writer, WriterOptions};

/// A recording of `frames` frames of `len` bytes each, as bytes.
fn recording(name: &str, frames: usize, len: usize) -> Vec<u8> {
    let file = Scratch::new(name);
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::compressed(8, 8, FourCc::new(*b"XVID")), None)
        .unwrap();
    for n in 0..frames {
        video.write_frame(n % 30 == 0, &vec![n as u8; len]).unwrap();
    }
    writer.close().unwrap();
    std::fs::read(file.path()).unwrap()
}

#[test]
fn a_chunk_of_a_gibibyte_is_copied_in_pieces() {
    let mut bytes = recording("repair-memory-big-chunk.avi", 3, 100);
    // A fourth frame of 1 GiB after the file's end, as a crash leaves it: its bytes are a hole.
    let size: u32 = 1 << 30;
    bytes.extend_from_slice(b"00dc");
    bytes.extend_from_slice(&size.to_le_bytes());
    let claimed = bytes.len() as u64 + u64::from(size);
    let start = counting_alloc::start_peak();
    let outcome = inspect_and_repair_virtual(bytes, claimed);
    let used = counting_alloc::peak_since(start);
    let report = outcome.repair.unwrap();
    assert_eq!(report.video_frames, 4);
    assert_eq!(report.bytes_recovered, 300 + u64::from(size));
    assert!(
        used < 4 * READ_PIECE_LEN,
        "repair held {used} bytes at once for a chunk of {size}"
    );
}

#[test]
fn many_small_chunks_cost_bookkeeping_below_the_file_size() {
    // 100,000 one-byte frames: the pathological valid file, 34 bytes a chunk (header and pad,
    // ix00 entry, idx1 entry).
    let bytes = recording("repair-memory-small-chunks.avi", 100_000, 1);
    let file = bytes.len();
    let start = counting_alloc::start_peak();
    let outcome = inspect_and_repair_virtual(bytes, file as u64);
    let used = counting_alloc::peak_since(start);
    assert_eq!(outcome.repair.unwrap().video_frames, 100_000);
    // The repaired file, kept in memory by the harness in a vector that grows by doubling, is
    // up to two file sizes. Repair's own bookkeeping must stay under one more: 16 bytes a
    // chunk, 8 a delta frame and the muxer's rebuilt index, where it held 32 a chunk plus a
    // hash map entry for each (about 2.4 file sizes here; issue 21 suspected about four with
    // the inspection repair runs first).
    assert!(
        used < 3 * file,
        "repair of a {file}-byte file held {used} bytes at once ({:.1}x its size)",
        used as f64 / file as f64
    );
}
