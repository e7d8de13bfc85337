//! The parts of one frame (Ut Video's slices) on the encoder threads: a caller that waits for
//! every write still gets the writer's idle threads, the bytes do not depend on how the parts
//! were spread, a part that panics fails its frame with `Status::Panic`, and frames are
//! encoded into the buffers of chunks already written.

use crate::common::rng::TestRng;
use crate::common::scratch::Scratch;
use avikit::codec::encoder::{EncodedFrame, FrameEncoder, FrameParts};
use avikit::codec::utvideo::Prediction;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::{PixelAspect, Result, Status, VideoCodec, VideoFormat, Writer, WriterOptions};
use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

const PARTS: usize = 8;

/// Frames of PARTS parts that each take a while and note the thread that ran them; part
/// `panic_at` (if any) panics.
struct SlowParts {
    threads: Mutex<Vec<HashSet<ThreadId>>>,
    panic_at: Option<usize>,
}

impl FrameEncoder for SlowParts {
    fn output_format(&self) -> VideoFormat {
        VideoFormat::dib(4, 4, 32)
    }

    fn check_input_len(&self, _: usize) -> Result<()> {
        Ok(())
    }

    fn encode(&self, input: &[u8]) -> Result<EncodedFrame> {
        Ok(EncodedFrame {
            data: input.to_vec(),
            keyframe: true,
        })
    }

    fn encode_in_parts(&self, input: &[u8], parts: &dyn FrameParts) -> Result<EncodedFrame> {
        let ran = Mutex::new(HashSet::new());
        parts.run(PARTS, &|i| {
            assert_ne!(Some(i), self.panic_at, "part {i} fails");
            std::thread::sleep(Duration::from_millis(5));
            ran.lock().insert(std::thread::current().id());
        });
        self.threads.lock().push(ran.into_inner());
        self.encode(input)
    }
}

#[test]
fn one_frame_at_a_time_takes_the_writers_idle_encoder_threads() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for cap in [1, 2] {
        let file = Scratch::new(&format!("frame-parts-{cap}.avi"));
        let options = WriterOptions::default().with_encoder_threads(cap);
        let writer = Writer::create(file.path(), options).unwrap();
        let encoder = Arc::new(SlowParts {
            threads: Mutex::new(Vec::new()),
            panic_at: None,
        });
        let video = writer
            .add_encoding_video_stream(Arc::clone(&encoder) as Arc<dyn FrameEncoder>, None)
            .unwrap();
        // Other tests of this process share the pool: until one frame found a second thread
        // idle (with one thread allowed, never).
        for n in 0..100u8 {
            video.write_frame(true, &[n; 64]).unwrap();
            let most = encoder.threads.lock().iter().map(HashSet::len).max();
            if most > Some(1) {
                break;
            }
        }
        writer.close().unwrap();
        let most = encoder.threads.lock().iter().map(HashSet::len).max();
        let expected = if cap == 1 || cores == 1 { 1 } else { 2 };
        assert_eq!(most, Some(expected), "encoder_threads {cap}");
    }
}

/// Frames copied into the spare chunk the encoder thread offers; notes the capacity offered,
/// and the address of the offered buffer and of the chunk.
struct SpareChunks {
    offered: Mutex<Vec<(usize, usize, usize)>>,
}

impl FrameEncoder for SpareChunks {
    fn output_format(&self) -> VideoFormat {
        VideoFormat::dib(4, 4, 32)
    }

    fn check_input_len(&self, _: usize) -> Result<()> {
        Ok(())
    }

    fn encode(&self, input: &[u8]) -> Result<EncodedFrame> {
        self.encode_in_parts(input, &avikit::codec::encoder::OnThisThread)
    }

    fn encode_in_parts(&self, input: &[u8], parts: &dyn FrameParts) -> Result<EncodedFrame> {
        let mut data = parts.spare_chunk();
        assert!(data.is_empty());
        let (capacity, spare) = (data.capacity(), data.as_ptr() as usize);
        data.extend_from_slice(input);
        self.offered
            .lock()
            .push((capacity, spare, data.as_ptr() as usize));
        Ok(EncodedFrame {
            data,
            keyframe: true,
        })
    }
}

#[test]
fn frames_are_encoded_into_the_buffers_of_chunks_already_written() {
    for (threads, in_flight) in [(1, 1), (2, 6)] {
        let file = Scratch::new(&format!("frame-parts-spare-{threads}.avi"));
        let options = WriterOptions::default().with_encoder_threads(threads);
        let writer = Writer::create(file.path(), options).unwrap();
        let encoder = Arc::new(SpareChunks {
            offered: Mutex::new(Vec::new()),
        });
        let video = writer
            .add_encoding_video_stream(Arc::clone(&encoder) as Arc<dyn FrameEncoder>, None)
            .unwrap();
        let frames: Vec<Vec<u8>> = (0..60u8).map(|n| vec![n; 64 + usize::from(n)]).collect();
        let mut pending = std::collections::VecDeque::new();
        for frame in &frames {
            let payload = avikit::Payload::owned(frame.clone());
            pending.push_back(video.begin_write_frame(true, payload, None).unwrap());
            if pending.len() >= in_flight {
                video.end_write_frame(pending.pop_front().unwrap()).unwrap();
            }
        }
        pending
            .into_iter()
            .for_each(|r| video.end_write_frame(r).unwrap());
        writer.close().unwrap();
        let offered = encoder.offered.lock();
        assert_eq!(
            offered[0].0, 0,
            "the first frame has no chunk written before it"
        );
        // A spare is the buffer of a chunk from before.
        let mut reused = Vec::new();
        for (n, &(capacity, spare, _)) in offered.iter().enumerate() {
            if capacity > 0 {
                assert!(
                    offered[..n].iter().any(|&(_, _, chunk)| chunk == spare),
                    "frame {n} was offered a buffer no chunk had"
                );
                reused.push(n);
            }
        }
        assert!(
            reused.len() > frames.len() / 2,
            "{threads} threads: {} of {} frames in a spare chunk",
            reused.len(),
            frames.len()
        );
        let bytes = std::fs::read(file.path()).unwrap();
        for frame in &frames {
            let chunk: Vec<u8> =
                [&b"00db"[..], &(frame.len() as u32).to_le_bytes(), frame].concat();
            assert!(
                bytes.windows(chunk.len()).any(|w| w == chunk),
                "frame {} is in the file",
                frame[0]
            );
        }
    }
}

#[test]
fn a_panicking_part_fails_its_frame_with_panic() {
    let file = Scratch::new("frame-parts-panic.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let encoder = SlowParts {
        threads: Mutex::new(Vec::new()),
        panic_at: Some(5),
    };
    let video = writer
        .add_encoding_video_stream(Arc::new(encoder), None)
        .unwrap();
    let error = video.write_frame(true, &[0; 64]).unwrap_err();
    assert_eq!(error.status(), Status::Panic, "{error}");
}

#[test]
fn ut_video_bytes_do_not_depend_on_how_slices_were_spread() {
    let (w, h) = (320u32, 240u32);
    let mut rng = TestRng::new(17);
    let frames: Vec<Vec<u8>> = (0..12)
        .map(|_| (0..w * h * 4).map(|_| rng.below(24) as u8).collect())
        .collect();
    let record = |threads: usize, windowed: bool| {
        let file = Scratch::new(&format!("frame-parts-utvideo-{threads}-{windowed}.avi"));
        let options = WriterOptions::default()
            .with_encoder_threads(threads)
            .with_checkpoint_interval(None);
        let writer = Writer::create(file.path(), options).unwrap();
        let codec = VideoCodec::UtVideo {
            input: InputLayout::new(w, h, PixelFormat::Bgra32),
            prediction: Prediction::Median,
            slices: 7,
            keep_alpha: false,
        };
        let video = writer.add_video(codec, PixelAspect::SQUARE, None).unwrap();
        if windowed {
            let pending: Vec<_> = frames
                .iter()
                .map(|f| {
                    let payload = avikit::Payload::owned(f.clone());
                    video.begin_write_frame(true, payload, None).unwrap()
                })
                .collect();
            for result in pending {
                video.end_write_frame(result).unwrap();
            }
        } else {
            for f in &frames {
                video.write_frame(true, f).unwrap();
            }
        }
        writer.close().unwrap();
        std::fs::read(file.path()).unwrap()
    };
    let alone = record(1, false);
    assert_eq!(record(2, false), alone, "one frame at a time on 2 threads");
    assert_eq!(record(2, true), alone, "frames in flight on 2 threads");
    assert_eq!(record(0, true), alone, "frames in flight on every thread");
}
