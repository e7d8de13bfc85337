//! Files written through the Rust API, judged by readers nobody here wrote (ffmpeg, ffprobe,
//! mediainfo, PyAV, OpenCV) and by their exact bytes.

use crate::common::content::{dib_frame, dib_to_top_down, pcm_block};
use crate::common::ffmpeg::ffmpeg_decode;
use crate::common::index::index_keyframes;
use crate::common::numbered::numbered_dib;
use crate::common::odml::assert_two_tier_index;
use crate::common::riff::{data_chunks, find, first, le32, walk};
use crate::common::scratch::Scratch;
use crate::common::tools::{avi_check, opencv_mjpeg_frames};
use avikit::{
    AudioFormat, FourCc, FrameRate, PcmFormat, Status, VideoFormat, Writer, WriterOptions,
};

/// Pass-through Motion JPEG: the caller's JPEG frames go into the file as they are.
fn mjpg(width: u32, height: u32) -> VideoFormat {
    VideoFormat::compressed(width, height, FourCc::new(*b"MJPG"))
}

fn stereo16() -> AudioFormat {
    AudioFormat::pcm(PcmFormat::derive(2, 44100, 16).unwrap())
}

/// Writes `frames` DIB frames (+ one PCM block per frame when `audio`) and returns the frames.
fn record(
    path: &std::path::Path,
    options: WriterOptions,
    format: VideoFormat,
    frames: usize,
    audio: bool,
) -> Vec<Vec<u8>> {
    let (w, h, bpp) = (
        format.width as usize,
        format.height as usize,
        format.bits_per_pixel as usize,
    );
    let writer = Writer::create(path, options).unwrap();
    let video = writer.add_video_stream(format, Some("camera")).unwrap();
    let sound = audio.then(|| writer.add_audio_stream(stereo16(), Some("mic")).unwrap());
    let mut written = Vec::new();
    for n in 0..frames {
        let frame = dib_frame(w, h, bpp, n);
        video.write_frame(true, &frame).unwrap();
        if let Some(sound) = &sound {
            sound.write_block(true, &pcm_block(1470, n)).unwrap();
        }
        written.push(frame);
    }
    writer.close().unwrap();
    written
}

#[test]
fn dib_and_pcm_decode_byte_identical_at_every_depth_and_odd_width() {
    for (bpp, pix_fmt) in [(24u16, "bgr24"), (32, "bgra"), (16, "rgb555le")] {
        let file = Scratch::new(&format!("dib{bpp}.avi"));
        let (w, h, n) = (33usize, 17usize, 25usize);
        let frames = record(
            file.path(),
            WriterOptions::default(),
            VideoFormat::dib(w as u32, h as u32, bpp),
            n,
            true,
        );
        avi_check(
            file.path(),
            &[
                "--video-frames",
                "25",
                "--audio-bytes",
                &(n * 1470 * 4).to_string(),
                "--seek-frame",
                "20",
            ],
        );
        let decoded = ffmpeg_decode(file.path(), "0:v:0", "rawvideo", &["-pix_fmt", pix_fmt]);
        let expected: Vec<u8> = frames
            .iter()
            .flat_map(|f| dib_to_top_down(f, w, h, bpp as usize))
            .collect();
        assert_eq!(decoded.len(), expected.len(), "{bpp} bpp: decoded size");
        assert!(
            decoded == expected,
            "{bpp} bpp: decoded frames differ from the written ones"
        );
        let pcm = ffmpeg_decode(file.path(), "0:a:0", "s16le", &[]);
        let expected: Vec<u8> = (0..n).flat_map(|i| pcm_block(1470, i)).collect();
        assert!(pcm == expected, "PCM differs");
    }
}

#[test]
fn numbered_dib_frames_with_pcm_reach_every_reader_in_order_at_every_depth() {
    // 65x49: odd sizes, cells of uneven size, rows padded. Every reader must show frames 0..39
    // in order and seek to frame 33.
    let (w, h, n) = (65usize, 49usize, 40usize);
    for bpp in [8u16, 16, 24, 32] {
        let file = Scratch::new(&format!("numbered-dib{bpp}.avi"));
        let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
        let video = writer
            .add_video_stream(VideoFormat::dib(w as u32, h as u32, bpp), None)
            .unwrap();
        let sound = writer.add_audio_stream(stereo16(), None).unwrap();
        for k in 0..n {
            video
                .write_frame(true, &numbered_dib(w, h, bpp.into(), k))
                .unwrap();
            sound.write_block(true, &pcm_block(1470, k)).unwrap();
        }
        writer.close().unwrap();
        let frames = n.to_string();
        avi_check(
            file.path(),
            &[
                "--video-frames",
                &frames,
                "--frame-numbers",
                &frames,
                "--audio-bytes",
                &(n * 1470 * 4).to_string(),
                "--seek-frame",
                "33",
            ],
        );
    }
}

#[test]
fn eight_bit_dib_gets_a_gray_palette() {
    let file = Scratch::new("dib8.avi");
    let frames = record(
        file.path(),
        WriterOptions::default(),
        VideoFormat::dib(10, 6, 8),
        5,
        false,
    );
    avi_check(file.path(), &["--video-frames", "5"]);
    // ffmpeg's pal8 rawvideo frame: the 60 index bytes, then the 256-entry palette (B, G, R, A).
    let decoded = ffmpeg_decode(file.path(), "0:v:0", "rawvideo", &["-pix_fmt", "pal8"]);
    assert_eq!(decoded.len(), 5 * (60 + 1024));
    for (n, frame) in frames.iter().enumerate() {
        let out = &decoded[n * 1084..(n + 1) * 1084];
        assert!(
            out[..60] == dib_to_top_down(frame, 10, 6, 8)[..],
            "frame {n} indexes"
        );
        for g in 0..256 {
            assert_eq!(
                out[60 + g * 4..60 + g * 4 + 3],
                [g as u8; 3],
                "palette entry {g} is gray"
            );
        }
    }
}

#[test]
fn header_fields_follow_the_format_rules() {
    let file = Scratch::new("fields.avi");
    let options = WriterOptions::default().with_frame_rate(FrameRate::new(30000, 1001).unwrap());
    record(file.path(), options, VideoFormat::dib(7, 5, 24), 12, true);
    let bytes = std::fs::read(file.path()).unwrap();
    let chunks = walk(&bytes);
    assert_eq!(chunks[0].form, Some(*b"AVI "));
    let avih = first(&chunks, b"avih");
    assert_eq!(le32(&bytes, avih.offset), 33367, "dwMicroSecPerFrame");
    assert_eq!(le32(&bytes, avih.offset + 16), 12, "dwTotalFrames");
    assert_eq!(le32(&bytes, avih.offset + 24), 2, "dwStreams");
    assert_eq!(
        le32(&bytes, avih.offset + 28),
        5880,
        "dwSuggestedBufferSize = largest chunk"
    );
    assert_eq!(le32(&bytes, avih.offset + 12) & 0x10, 0x10, "AVIF_HASINDEX");
    let strhs: Vec<_> = chunks.iter().filter(|c| &c.id == b"strh").collect();
    let (v, a) = (strhs[0].offset, strhs[1].offset);
    assert_eq!(&bytes[v..v + 4], b"vids");
    assert_eq!(
        (le32(&bytes, v + 20), le32(&bytes, v + 24)),
        (1001, 30000),
        "video dwScale/dwRate"
    );
    assert_eq!(le32(&bytes, v + 32), 12, "video dwLength");
    assert_eq!(
        le32(&bytes, v + 36),
        24 * 5,
        "video dwSuggestedBufferSize: stride 24 x 5 rows"
    );
    assert_eq!(&bytes[a..a + 4], b"auds");
    assert_eq!(
        (le32(&bytes, a + 20), le32(&bytes, a + 24)),
        (4, 176_400),
        "PCM dwScale = nBlockAlign, dwRate = bytes/s"
    );
    assert_eq!(le32(&bytes, a + 32), 12 * 1470, "PCM dwLength in blocks");
    assert_eq!(le32(&bytes, a + 44), 4, "PCM dwSampleSize = nBlockAlign");
    let strf = chunks.iter().find(|c| &c.id == b"strf").unwrap();
    assert_eq!(
        le32(&bytes, strf.offset + 8) as i32,
        5,
        "positive biHeight: bottom-up"
    );
    assert_eq!(
        le32(&bytes, strf.offset + 20),
        24 * 5,
        "biSizeImage = padded stride x height"
    );
    let dmlh = first(&chunks, b"dmlh");
    assert_eq!(le32(&bytes, dmlh.offset), 12);
    let names: Vec<_> = chunks
        .iter()
        .filter(|c| &c.id == b"strn")
        .map(|c| bytes[c.offset..c.offset + c.size].to_vec())
        .collect();
    assert_eq!(names, vec![b"camera\0".to_vec(), b"mic\0".to_vec()]);
    // Every chunk in movi is even-aligned with its pad byte, and idx1 points at each chunk.
    let movi = chunks.iter().find(|c| c.form == Some(*b"movi")).unwrap();
    let idx1 = first(&chunks, b"idx1");
    assert_eq!(idx1.size, 24 * 16);
    for e in 0..24 {
        let at = idx1.offset + e * 16;
        let id = &bytes[at..at + 4];
        let chunk_at = movi.offset + le32(&bytes, at + 8) as usize;
        assert_eq!(
            &bytes[chunk_at..chunk_at + 4],
            id,
            "idx1 entry {e} points at its chunk"
        );
        assert_eq!(
            le32(&bytes, chunk_at + 4),
            le32(&bytes, at + 12),
            "idx1 entry {e} size"
        );
        assert_eq!(
            le32(&bytes, at + 4),
            0x10,
            "every DIB and PCM chunk is a keyframe"
        );
    }
    let probe = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=r_frame_rate",
            "-of",
            "csv=p=0",
        ])
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "30000/1001");
}

#[test]
fn audio_only_and_video_only_files_play() {
    let file = Scratch::new("audio-only.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let mono8 = writer
        .add_audio_stream(
            AudioFormat::pcm(PcmFormat::derive(1, 8000, 8).unwrap()),
            None,
        )
        .unwrap();
    let stereo = writer.add_audio_stream(stereo16(), None).unwrap();
    for n in 0..40 {
        mono8.write_block(true, &vec![(n * 3) as u8; 800]).unwrap();
        stereo.write_block(true, &pcm_block(4410, n)).unwrap();
    }
    writer.close().unwrap();
    // No video: 0 frames in avih and dmlh, which readers multiply by dwMicroSecPerFrame.
    let bytes = std::fs::read(file.path()).unwrap();
    let chunks = walk(&bytes);
    assert_eq!(le32(&bytes, first(&chunks, b"avih").offset + 16), 0, "avih");
    assert_eq!(le32(&bytes, first(&chunks, b"dmlh").offset), 0, "dmlh");
    avi_check(file.path(), &["--audio-bytes", &(40 * 800).to_string()]);
    let second = ffmpeg_decode(file.path(), "0:a:1", "s16le", &[]);
    assert!(second == (0..40).flat_map(|n| pcm_block(4410, n)).collect::<Vec<_>>());

    let file = Scratch::new("video-only.avi");
    record(
        file.path(),
        WriterOptions::default(),
        VideoFormat::dib(16, 16, 32),
        9,
        false,
    );
    avi_check(file.path(), &["--video-frames", "9", "--seek-frame", "8"]);
}

/// Splits a concatenation of JPEG images at their start-of-image markers.
fn split_jpegs(stream: &[u8]) -> Vec<Vec<u8>> {
    let starts: Vec<usize> = (0..stream.len() - 2)
        .filter(|&i| stream[i] == 0xFF && stream[i + 1] == 0xD8 && stream[i + 2] == 0xFF)
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| stream[s..starts.get(k + 1).copied().unwrap_or(stream.len())].to_vec())
        .collect()
}

#[test]
fn passthrough_mjpeg_opens_in_opencv_pyav_and_ffmpeg() {
    let out = std::process::Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=96x64:rate=25",
            "-frames:v",
            "30",
        ])
        .args(["-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-f", "mjpeg", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let jpegs = split_jpegs(&out.stdout);
    assert_eq!(jpegs.len(), 30);
    let file = Scratch::new("mjpeg.avi");
    let writer = Writer::create(
        file.path(),
        WriterOptions::default().with_frame_rate(FrameRate::new(25, 1).unwrap()),
    )
    .unwrap();
    let video = writer.add_video_stream(mjpg(96, 64), None).unwrap();
    let audio = writer.add_audio_stream(stereo16(), None).unwrap();
    for (n, jpeg) in jpegs.iter().enumerate() {
        video.write_frame(true, jpeg).unwrap();
        audio.write_block(true, &pcm_block(1764, n)).unwrap();
    }
    writer.close().unwrap();
    avi_check(file.path(), &["--video-frames", "30", "--seek-frame", "29"]);
    // The chunks are exactly the JPEGs given: ffmpeg copies them out unchanged.
    let copied = ffmpeg_decode(file.path(), "0:v:0", "mjpeg", &["-c:v", "copy"]);
    assert!(copied == jpegs.concat());
    let bytes = std::fs::read(file.path()).unwrap();
    assert!(
        find(&bytes, b"00dc").is_some(),
        "compressed video uses ##dc chunks"
    );

    // OpenCV's own reader takes only files with a single MJPEG stream (FFmpeg's too).
    let video_only = Scratch::new("mjpeg-only.avi");
    let writer = Writer::create(video_only.path(), WriterOptions::default()).unwrap();
    let video = writer.add_video_stream(mjpg(96, 64), None).unwrap();
    jpegs
        .iter()
        .for_each(|jpeg| video.write_frame(true, jpeg).unwrap());
    writer.close().unwrap();
    assert_eq!(opencv_mjpeg_frames(video_only.path()), 30);
}

#[test]
fn delta_frames_are_flagged_in_every_index() {
    let file = Scratch::new("delta.avi");
    let writer = Writer::create(
        file.path(),
        WriterOptions::default().with_riff_limit(64 * 1024),
    )
    .unwrap();
    let video = writer
        .add_video_stream(VideoFormat::compressed(8, 8, FourCc::new(*b"XVID")), None)
        .unwrap();
    for n in 0..40u8 {
        video.write_frame(n % 10 == 0, &vec![n; 3001]).unwrap();
    }
    writer.close().unwrap();
    let (idx1, ix) = index_keyframes(&std::fs::read(file.path()).unwrap());
    let expected: Vec<bool> = (0..40).map(|n| n % 10 == 0).collect();
    // idx1 covers the first RIFF only.
    assert!(!idx1.is_empty() && idx1.len() < 40);
    assert_eq!(idx1, expected[..idx1.len()], "idx1");
    assert_eq!(ix, expected, "ix00");
}

#[test]
fn many_small_segments_keep_one_standard_index_per_stream_and_segment() {
    let file = Scratch::new("segments.avi");
    let options = WriterOptions::default().with_riff_limit(64 * 1024);
    let frames = record(
        file.path(),
        options,
        VideoFormat::dib(64, 48, 32),
        120,
        true,
    );
    let bytes = std::fs::read(file.path()).unwrap();
    let chunks = walk(&bytes);
    let riffs: Vec<_> = chunks.iter().filter(|c| &c.id == b"RIFF").collect();
    assert!(
        riffs.len() > 20,
        "expected many RIFF segments, got {}",
        riffs.len()
    );
    assert!(riffs[1..].iter().all(|r| r.form == Some(*b"AVIX")));
    // The first RIFF also holds the header, which is larger than this tiny limit.
    assert!(
        riffs[1..]
            .iter()
            .all(|r| r.size + 8 <= 64 * 1024 + 12_300 + 8),
        "segments end near the limit: {:?}",
        riffs.iter().map(|r| r.size).collect::<Vec<_>>()
    );
    assert_eq!(
        le32(&bytes, first(&chunks, b"avih").offset + 16) as usize,
        chunks
            .iter()
            .take_while(|c| c.form != Some(*b"AVIX"))
            .filter(|c| &c.id == b"00db")
            .count(),
        "avih counts the first RIFF"
    );
    assert_eq!(le32(&bytes, first(&chunks, b"dmlh").offset), 120);
    // One super index entry per stream and segment that holds its chunks.
    let data = data_chunks(&chunks);
    let segments_of = |stream| {
        let mut movis: Vec<usize> = data
            .iter()
            .filter(|d| d.stream == stream)
            .map(|d| d.movi)
            .collect();
        movis.dedup();
        movis.len()
    };
    assert_eq!(segments_of(0), riffs.len());
    assert_eq!(
        assert_two_tier_index(&bytes),
        [segments_of(0), segments_of(1)]
    );
    avi_check(
        file.path(),
        &[
            "--video-frames",
            "120",
            "--audio-bytes",
            &(120 * 1470 * 4).to_string(),
            "--seek-frame",
            "117",
        ],
    );
    let decoded = ffmpeg_decode(file.path(), "0:v:0", "rawvideo", &["-pix_fmt", "bgra"]);
    let expected: Vec<u8> = frames
        .iter()
        .flat_map(|f| dib_to_top_down(f, 64, 48, 32))
        .collect();
    assert!(decoded == expected);
}

#[test]
fn a_full_super_index_refuses_the_chunk_that_needs_one_more_and_the_file_plays_to_it() {
    let file = Scratch::new("full-index.avi");
    let options = WriterOptions::default()
        .with_riff_limit(64 * 1024)
        .with_super_index_capacity(4);
    let writer = Writer::create(file.path(), options).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(64, 48, 32), None)
        .unwrap();
    let mut written = 0;
    let refused = loop {
        match video.write_frame(true, &dib_frame(64, 48, 32, written)) {
            Ok(()) => written += 1,
            Err(e) => break e,
        }
        assert!(written < 1000, "the super index never filled up");
    };
    assert_eq!(refused.status(), Status::Limit, "{refused}");
    assert!(
        refused.message().contains("super_index_capacity"),
        "{refused}"
    );
    assert_eq!(writer.close().unwrap_err().status(), Status::Limit);
    let bytes = std::fs::read(file.path()).unwrap();
    assert_eq!(assert_two_tier_index(&bytes), [4]);
    avi_check(file.path(), &["--video-frames", &written.to_string()]);
}

#[test]
fn a_hundred_streams_fit_and_the_hundred_and_first_does_not() {
    let file = Scratch::new("hundred.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let streams: Vec<_> = (0..100)
        .map(|_| {
            writer
                .add_audio_stream(
                    AudioFormat::pcm(PcmFormat::derive(1, 8000, 16).unwrap()),
                    None,
                )
                .unwrap()
        })
        .collect();
    let err = writer.add_audio_stream(stereo16(), None).unwrap_err();
    assert_eq!(err.status(), Status::Limit);
    for (i, s) in streams.iter().enumerate() {
        s.write_block(true, &[i as u8; 320]).unwrap();
    }
    writer.close().unwrap();
    let bytes = std::fs::read(file.path()).unwrap();
    assert!(find(&bytes, b"99wb").is_some());
    avi_check(file.path(), &["--no-pyav"]);
}

#[test]
fn the_same_calls_give_the_same_bytes() {
    let a = Scratch::new("det-a.avi");
    let b = Scratch::new("det-b.avi");
    record(
        a.path(),
        WriterOptions::default()
            .with_riff_limit(64 * 1024)
            .with_checkpoint_interval(None),
        VideoFormat::dib(31, 9, 24),
        50,
        true,
    );
    record(
        b.path(),
        WriterOptions::default()
            .with_riff_limit(64 * 1024)
            .with_checkpoint_interval(None),
        VideoFormat::dib(31, 9, 24),
        50,
        true,
    );
    assert!(std::fs::read(a.path()).unwrap() == std::fs::read(b.path()).unwrap());
}

#[test]
fn without_idx1_the_file_still_plays_through_the_opendml_index() {
    let file = Scratch::new("no-idx1.avi");
    record(
        file.path(),
        WriterOptions::default().with_emit_index1(false),
        VideoFormat::dib(8, 8, 24),
        10,
        false,
    );
    let bytes = std::fs::read(file.path()).unwrap();
    assert!(find(&bytes, b"idx1").is_none());
    assert_eq!(
        le32(&bytes, first(&walk(&bytes), b"avih").offset + 12) & 0x10,
        0,
        "no AVIF_HASINDEX"
    );
    avi_check(file.path(), &["--video-frames", "10", "--seek-frame", "9"]);
}

#[test]
fn raw_audio_keeps_its_format_tag_and_extra_bytes() {
    let file = Scratch::new("float.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    // WAVE_FORMAT_IEEE_FLOAT, stereo, 48 kHz, 32 bits, block_align 8, with two extra bytes.
    let float = AudioFormat::declared(3, 2, 48000, 32, 8, 48000 * 8, vec![0xAB, 0xCD]).unwrap();
    let audio = writer.add_audio_stream(float, Some("float")).unwrap();
    let mut written = Vec::new();
    for n in 0..20 {
        let block: Vec<u8> = (0..960)
            .flat_map(|i| {
                let v = ((n * 960 + i) as f32 / 100.0).sin() * 0.5;
                [v.to_le_bytes(), (-v).to_le_bytes()].concat()
            })
            .collect();
        audio.write_block(true, &block).unwrap();
        written.extend_from_slice(&block);
    }
    let err = audio.write_block(true, &[0; 12]).unwrap_err();
    assert_eq!(
        err.status(),
        Status::InvalidArgument,
        "12 bytes is not a multiple of block_align 8"
    );
    writer.close().unwrap();
    avi_check(file.path(), &["--audio-bytes", &written.len().to_string()]);
    assert!(ffmpeg_decode(file.path(), "0:a:0", "f32le", &[]) == written);
    let bytes = std::fs::read(file.path()).unwrap();
    let strf = first(&walk(&bytes), b"strf").clone();
    assert_eq!(strf.size, 18 + 2);
    assert_eq!(&bytes[strf.offset..strf.offset + 2], &3u16.to_le_bytes());
    assert_eq!(
        &bytes[strf.offset + 16..strf.offset + 20],
        &[2, 0, 0xAB, 0xCD],
        "cbSize and extra bytes"
    );
}

#[test]
fn empty_and_short_streams_beside_a_full_one_still_check_out() {
    // The streams in front of and behind the filled one stay empty or short: readers must match
    // every reported track to its own stream, not to the n-th one that has packets. An empty
    // MJPG stream has no frame to tell ffmpeg its pixel format; the strict decode must still
    // pass. mediainfo gives the short stream the file's total (dmlh), the checker allows that.
    let file = Scratch::new("empty-streams.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let _silent = writer.add_audio_stream(stereo16(), None).unwrap();
    let _idle = writer
        .add_video_stream(VideoFormat::dib(7, 5, 24), None)
        .unwrap();
    let camera = writer
        .add_video_stream(VideoFormat::dib(8, 6, 24), None)
        .unwrap();
    let short = writer
        .add_video_stream(VideoFormat::dib(7, 5, 24), None)
        .unwrap();
    let _idle_mjpg = writer.add_video_stream(mjpg(16, 16), None).unwrap();
    let frames: Vec<Vec<u8>> = (0..4).map(|n| dib_frame(8, 6, 24, n)).collect();
    for frame in &frames {
        camera.write_frame(true, frame).unwrap();
    }
    short.write_frame(true, &dib_frame(7, 5, 24, 9)).unwrap();
    writer.close().unwrap();
    avi_check(file.path(), &[]);
    let decoded = ffmpeg_decode(file.path(), "0:v:1", "rawvideo", &["-pix_fmt", "bgr24"]);
    let expected: Vec<u8> = frames
        .iter()
        .flat_map(|f| dib_to_top_down(f, 8, 6, 24))
        .collect();
    assert!(
        decoded == expected,
        "the filled stream decodes to its frames"
    );
    let header = std::fs::read(file.path()).unwrap();
    let avih = header.windows(4).position(|w| w == b"avih").unwrap();
    let total_frames = u32::from_le_bytes(header[avih + 24..avih + 28].try_into().unwrap());
    assert_eq!(total_frames, 4, "avih counts the longest video stream");
}

#[test]
fn the_first_movi_ends_before_idx1_while_the_recording_goes_on() {
    // With checkpoints off, nothing rewrites the header after the first RIFF closes: its movi
    // size must already be right then, or a copy taken mid-recording has idx1 inside movi.
    let file = Scratch::new("movi-before-idx1.avi");
    let options = WriterOptions::default()
        .with_riff_limit(64 * 1024)
        .with_checkpoint_interval(None);
    let writer = Writer::create(file.path(), options).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(64, 48, 32), None)
        .unwrap();
    let first_movi_ends_at_idx1 = || {
        let bytes = std::fs::read(file.path()).unwrap();
        let movi = find(&bytes, b"movi").unwrap(); // the first RIFF's, in the header
        let size = le32(&bytes, movi - 4) as usize;
        let idx1 = find(&bytes, b"idx1").expect("the first RIFF has ended");
        assert_eq!(movi + size, idx1, "movi ends where idx1 begins");
    };
    let mut n = 0;
    while find(&std::fs::read(file.path()).unwrap(), b"AVIX").is_none() {
        video.write_frame(true, &dib_frame(64, 48, 32, n)).unwrap();
        n += 1;
    }
    first_movi_ends_at_idx1();
    for _ in 0..10 {
        video.write_frame(true, &dib_frame(64, 48, 32, n)).unwrap();
        n += 1;
    }
    first_movi_ends_at_idx1();
    writer.close().unwrap();
    first_movi_ends_at_idx1();
}
