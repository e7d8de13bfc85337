//! Timed video writes: frames in the slots of their capture time, empty frames for gaps and
//! skip_frames, checked in the file's chunks, its index and ffprobe's timestamps.

use crate::common::ffmpeg::ffprobe_duration;
use crate::common::index::check_idx1;
use crate::common::numbered::numbered_dib;
use crate::common::riff::{data_chunks, stream_chunk_sizes, walk};
use crate::common::scratch::Scratch;
use avikit::{Status, VideoFormat, Writer};

const W: usize = 64;
const H: usize = 48;
use crate::{options, MS};

#[test]
fn frames_land_in_the_slots_of_their_time() {
    let dir = Scratch::new("timing-slots.avi");
    let path = dir.path();
    let writer = Writer::create(path, options()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(W as u32, H as u32, 32), None)
        .unwrap();
    let base = 987_654_321_000;
    // Captured at 0, 40, 70 (slot 2), 80 (slot 2 again: dropped), 210 (slot 6) ms at 30 fps.
    let times = [0, 40, 70, 80, 210];
    let mut outcomes = Vec::new();
    for (n, t) in times.iter().enumerate() {
        let frame = numbered_dib(W, H, 32, n);
        outcomes.push(
            video
                .write_frame_at(true, base + t * MS, &frame)
                .map_err(|e| e.status()),
        );
    }
    assert_eq!(
        outcomes,
        [Ok(()), Ok(()), Ok(()), Err(Status::Dropped), Ok(())]
    );
    video.skip_frames(2).unwrap();
    let stats = video.stats();
    assert_eq!((stats.chunks, stats.empty_frames, stats.dropped), (9, 5, 1));
    writer.close().unwrap();

    let bytes = std::fs::read(path).unwrap();
    let frame = W * H * 4;
    assert_eq!(
        stream_chunk_sizes(&bytes, 0),
        [frame, frame, frame, 0, 0, 0, frame, 0, 0]
    );
    let chunks = walk(&bytes);
    let data = data_chunks(&chunks);
    let flags = check_idx1(&bytes, &chunks, &data);
    let keyframes: Vec<bool> = flags.iter().map(|f| f & 0x10 != 0).collect();
    assert_eq!(
        keyframes,
        [true, true, true, false, false, false, true, false, false],
        "empty frames are never keyframes"
    );
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["packet=pts,size", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    // ffprobe passes over the empty frames: the real ones keep the times of their slots.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "0,12288\n1,12288\n2,12288\n6,12288"
    );
    assert!((ffprobe_duration(path, "v:0") - 7.0 / 30.0).abs() < 1e-5);
}
