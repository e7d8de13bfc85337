//! The irregular capture every codec of timing_readers.rs records: numbered frames at jittered
//! times with gaps of several sizes, a frame that lands in a taken slot, a camera stall of five
//! seconds bridged by `skip_frames(1)` on every frame tick (so its empty frames are interleaved
//! with audio across several RIFF segments), `skip_frames(2)` at the end, and 100 ms PCM blocks
//! with a stretch of lost audio, all begun in time order on one writer.

use avikit::{AudioStream, FrameRate, PcmFormat, Status, VideoStream};

use crate::common::content::pcm_block;
use crate::common::rng::TestRng;
use crate::common::tools::timing_slots_json;

pub const RATE: FrameRate = FrameRate {
    num: 30000,
    den: 1001,
};
/// Numbered frames begun (one of them is dropped).
pub const FRAMES: usize = 40;
/// Empty slots before frame `n` that its capture time leaves.
const GAPS: [(usize, u64); 6] = [(3, 1), (8, 2), (14, 40), (27, 6), (33, 1), (36, 4)];
/// Frame `n` comes after a stall of that many frame ticks, each one `skip_frames(1)`.
const STALL_BEFORE: (usize, u64) = (22, 150);
const SKIP_AT_END: u32 = 2;
/// Captured 1 ms after frame 17, in its slot: the write is dropped.
pub const DROPPED: usize = 18;
/// Any clock: time zero is the first timed write.
const CLOCK_BASE_NS: i64 = 5_000_000_123_456;

pub const SAMPLE_RATE: u32 = 44100;
const BLOCK_SAMPLES: u64 = 4410;
/// Audio blocks 20..25 are never captured: silence fills their time.
const LOST_BLOCKS: std::ops::Range<u64> = 20..25;
/// A quarter of the core's 20 ms tolerance: two neighbours' jitter stays within it, so blocks
/// are written where the stream is.
const AUDIO_JITTER_NS: i64 = 5_000_000;

pub fn pcm_format() -> PcmFormat {
    PcmFormat::derive(2, SAMPLE_RATE, 16).unwrap()
}

enum Event {
    Frame { number: usize, at: i64 },
    Skip(u32),
    Audio { samples: u64, at: i64 },
}

/// What is begun when, and what the file must then hold.
pub struct Plan {
    events: Vec<Event>,
    /// The slot of every numbered frame in the file, in number order.
    pub slots: Vec<(usize, u64)>,
    /// Slots of the video stream, empty frames included.
    pub total_slots: u64,
    /// Samples of the audio stream, silence included.
    pub audio_samples: u64,
    /// Samples of silence for the lost blocks.
    pub silence_samples: u64,
}

fn period_ns(slots: f64) -> f64 {
    slots * 1e9 * f64::from(RATE.den) / f64::from(RATE.num)
}

impl Plan {
    pub fn new() -> Plan {
        let mut rng = TestRng::new(0x7131_4e55);
        let mut events = Vec::new();
        let mut slots = Vec::new();
        let mut slot = 0u64;
        let mut last_at = 0i64;
        for number in 0..FRAMES {
            if number == STALL_BEFORE.0 {
                for _ in 0..STALL_BEFORE.1 {
                    slot += 1;
                    events.push((period_ns(slot as f64) as i64, Event::Skip(1)));
                }
            }
            let at = if number == DROPPED {
                last_at + 1_000_000
            } else {
                if number > 0 {
                    slot += 1 + GAPS.iter().find(|g| g.0 == number).map_or(0, |g| g.1);
                }
                // Up to 35% of a period early or late: still nearest to its own slot.
                let jitter = if number == 0 {
                    0.0
                } else {
                    (rng.below(71) as f64 - 35.0) / 100.0
                };
                slots.push((number, slot));
                period_ns(slot as f64 + jitter) as i64
            };
            last_at = at;
            events.push((at, Event::Frame { number, at }));
        }
        let total_slots = slot + 1 + u64::from(SKIP_AT_END);
        let end_ns = period_ns(total_slots as f64) as i64;
        events.push((end_ns, Event::Skip(SKIP_AT_END)));
        // The samples the stream holds, by the core's rule: a block within 20 ms of the
        // stream's end is written there; one later gets silence first.
        let video_samples =
            total_slots * u64::from(SAMPLE_RATE) * u64::from(RATE.den) / u64::from(RATE.num);
        let (mut written, mut silence) = (0u64, 0u64);
        for block in 0.. {
            if written >= video_samples {
                break;
            }
            if LOST_BLOCKS.contains(&block) {
                continue;
            }
            let nominal = block as i64 * 100_000_000;
            let at = if block == 0 {
                0
            } else {
                nominal + rng.below(2 * AUDIO_JITTER_NS as u64 + 1) as i64 - AUDIO_JITTER_NS
            };
            let first = sample_at(at);
            if first > written + u64::from(SAMPLE_RATE) / 50 {
                silence += first - written;
                written = first;
            }
            // The last block is cut to end the audio where the video ends.
            let samples = BLOCK_SAMPLES.min(video_samples - written);
            written += samples;
            events.push((at, Event::Audio { samples, at }));
        }
        events.sort_by_key(|e| e.0);
        Plan {
            events: events.into_iter().map(|e| e.1).collect(),
            slots,
            total_slots,
            audio_samples: written,
            silence_samples: silence,
        }
    }

    /// Begins everything in time order (the audio blocks only with `audio`): `frame(n)` gives
    /// frame `n`'s input. Checks that the frame in a taken slot is dropped, every other write
    /// succeeds, and the streams' counters.
    pub fn record(
        &self,
        video: &VideoStream,
        audio: Option<&AudioStream>,
        frame: impl Fn(usize) -> Vec<u8>,
    ) {
        for (n, event) in self.events.iter().enumerate() {
            match *event {
                Event::Frame { number, at } => {
                    let outcome = video
                        .write_frame_at(true, CLOCK_BASE_NS + at, &frame(number))
                        .map_err(|e| e.status());
                    let expected = if number == DROPPED {
                        Err(Status::Dropped)
                    } else {
                        Ok(())
                    };
                    assert_eq!(outcome, expected, "frame {number}");
                }
                Event::Skip(count) => video.skip_frames(count).unwrap(),
                Event::Audio { samples, at } => {
                    if let Some(audio) = audio {
                        let block = pcm_block(samples as usize, n);
                        audio
                            .write_block_at(true, CLOCK_BASE_NS + at, &block)
                            .unwrap();
                    }
                }
            }
        }
        let stats = video.stats();
        let empty = self.total_slots - self.slots.len() as u64;
        assert_eq!(
            (stats.chunks, stats.empty_frames, stats.dropped),
            (self.total_slots, empty, 1),
            "video stream counters"
        );
        if let Some(audio) = audio {
            let stats = audio.stats();
            assert_eq!(
                (stats.samples, stats.silence_samples),
                (self.audio_samples, self.silence_samples),
                "audio samples begun, silence among them"
            );
        }
    }

    /// The slots as timing_check.py --slots reads them.
    pub fn slots_json(&self) -> String {
        timing_slots_json((RATE.num, RATE.den), self.total_slots, &self.slots)
    }
}

/// The sample of `at` ns after time zero, halves up.
fn sample_at(at: i64) -> u64 {
    ((at as i128 * i128::from(SAMPLE_RATE) + 500_000_000) / 1_000_000_000) as u64
}
