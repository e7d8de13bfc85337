//! Capture timing: which slot of a constant-rate stream a timed write belongs to, and what keeps
//! the stream on time around it (empty frames or silence for a gap, samples trimmed from an
//! overlap). Pure bookkeeping in begin order, kept under the lock that orders begins; the worker
//! writes what it decides.

use crate::error::{Error, Result, Status};
use crate::format::FrameRate;
pub(crate) use crate::format::SampleLayout;

/// Most slots one timed write may leave empty before it: about nine hours at 30 fps.
pub const MAX_GAP_SLOTS: u64 = 1_000_000;
/// Most bytes of silence one timed audio write queues before its block: at 48 kHz 16-bit
/// stereo about six minutes. A longer gap (up to [`MAX_GAP_SLOTS`] frame periods, hours) is
/// filled by the writes that follow, each queuing up to this much, so that one small write
/// never makes the worker write gigabytes while the stream still catches up with its clock;
/// the blocks in between land early by the silence still missing. Refusing the write instead
/// would refuse every later one too (the gap only grows), leaving the rest of a capture silent.
pub const MAX_SILENCE_BYTES_PER_WRITE: u64 = 64 << 20;
/// Audio blocks that start this close to where the stream stands are written as they are: the
/// capture clock's jitter is not worth a cut or an insert.
const JITTER_TOLERANCE_NS: i128 = 20_000_000;
const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// What keeps a stream on time around one write; the worker writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeFill {
    /// The writer has no timed writes: nothing, and a canceled write leaves no trace.
    Untimed,
    /// Video: `gap` empty frames before the frame, and an empty frame in its place should it be
    /// canceled, so that later frames keep their slots.
    Frames { gap: u64 },
    /// Audio: `gap` samples of silence before the block, and silence of its length in its place
    /// should it be canceled.
    Samples { gap: u64, layout: SampleLayout },
}

impl TimeFill {
    /// Empty frames or samples of silence before the write.
    pub fn gap(self) -> u64 {
        match self {
            TimeFill::Untimed => 0,
            TimeFill::Frames { gap } | TimeFill::Samples { gap, .. } => gap,
        }
    }

    /// What stands in for a canceled write of `len` input bytes: one empty frame, or silence of
    /// its samples; nothing for an untimed writer.
    pub fn units_of(self, len: usize) -> u64 {
        match self {
            TimeFill::Untimed => 0,
            TimeFill::Frames { .. } => 1,
            TimeFill::Samples { layout, .. } => (len / layout.block_align) as u64,
        }
    }
}

/// Counters of one stream, covering the operations begin accepted so far (queued or written).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamStats {
    /// Writes begun on the stream plus the empty frames queued (video): the chunks of a video
    /// stream.
    pub chunks: u64,
    /// Video: empty frames queued for gaps and by `skip_frames`.
    pub empty_frames: u64,
    /// Timed writes answered [`Status::Dropped`], plus begins answered [`Status::QueueFull`].
    pub dropped: u64,
    /// Bytes of the writes begun, as given (input size; the encoded size is not known at begin),
    /// after trimming, silence included.
    pub payload_bytes: u64,
    /// Audio streams with a sample layout: samples begun, inserted silence included.
    pub samples: u64,
    /// Audio: samples of silence inserted for gaps.
    pub silence_samples: u64,
    /// Audio: samples cut from the start of blocks that overlapped what the stream already had
    /// (a block dropped whole counts in `dropped` only).
    pub trimmed_samples: u64,
}

/// Where a timed audio block goes: silence before it, or samples cut from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockPlacement {
    pub silence: u64,
    pub trim: u64,
}

/// Time zero and each stream's position, in begin order.
#[derive(Debug, Default)]
pub(crate) struct Timeline {
    /// The capture time of the first timed write that passed its argument checks.
    t0: Option<i64>,
    /// Per stream: slots (video) or samples (audio with a layout) taken so far.
    taken: Vec<u64>,
    stats: Vec<StreamStats>,
}

/// `num / den` rounded to nearest, halves up, for `den > 0`.
fn round_half_up(num: i128, den: i128) -> i128 {
    (2 * num + den).div_euclid(2 * den)
}

impl Timeline {
    /// Makes room for one more stream.
    pub fn add_stream(&mut self) {
        self.taken.push(0);
        self.stats.push(StreamStats::default());
    }

    /// The counters of `stream`.
    pub fn stats(&self, stream: usize) -> StreamStats {
        self.stats[stream]
    }

    /// Counts a begin answered [`Status::QueueFull`] or [`Status::Dropped`].
    pub fn count_drop(&mut self, stream: usize) {
        self.stats[stream].dropped += 1;
    }

    /// Nanoseconds since time zero, fixing time zero at `time_ns` if no timed write came before.
    fn elapsed(&mut self, time_ns: i64) -> i128 {
        let t0 = *self.t0.get_or_insert(time_ns);
        i128::from(time_ns) - i128::from(t0)
    }

    /// The fill for an untimed write of `len` input bytes (`samples`: the layout of an audio
    /// stream that counts samples), which takes the stream's next slot.
    pub fn untimed(
        &mut self,
        stream: usize,
        len: usize,
        samples: Option<SampleLayout>,
    ) -> TimeFill {
        let stats = &mut self.stats[stream];
        stats.chunks += 1;
        stats.payload_bytes += len as u64;
        let timed = self.t0.is_some();
        match samples {
            Some(layout) => {
                let n = (len / layout.block_align) as u64;
                stats.samples += n;
                self.taken[stream] += n;
                if timed {
                    TimeFill::Samples { gap: 0, layout }
                } else {
                    TimeFill::Untimed
                }
            }
            None => {
                self.taken[stream] += 1;
                if timed {
                    TimeFill::Frames { gap: 0 }
                } else {
                    TimeFill::Untimed
                }
            }
        }
    }

    /// Places a timed video frame captured at `time_ns`; with `commit`, takes its slot and
    /// returns how many empty frames go before it.
    ///
    /// # Errors
    /// [`Status::Dropped`] when its slot is taken or before time zero (counted);
    /// [`Status::Limit`] for a gap over [`MAX_GAP_SLOTS`].
    pub fn place_frame(
        &mut self,
        stream: usize,
        time_ns: i64,
        rate: FrameRate,
        len: usize,
        commit: bool,
    ) -> Result<TimeFill> {
        let elapsed = self.elapsed(time_ns);
        let slot = round_half_up(
            elapsed * i128::from(rate.num),
            i128::from(rate.den) * NANOS_PER_SECOND,
        );
        let taken = i128::from(self.taken[stream]);
        if slot < taken {
            self.count_drop(stream);
            return Err(Error::new(
                Status::Dropped,
                format!(
                    "a frame captured at {time_ns} ns belongs to slot {slot}, but the stream \
                     already has {taken} frames: dropped"
                ),
            ));
        }
        let gap = slot - taken;
        if gap > i128::from(MAX_GAP_SLOTS) {
            return Err(Error::new(
                Status::Limit,
                format!(
                    "a frame captured at {time_ns} ns would leave {gap} empty frames before it; \
                     at most {MAX_GAP_SLOTS} are allowed"
                ),
            ));
        }
        let gap = gap as u64;
        if commit {
            self.taken[stream] += gap + 1;
            let stats = &mut self.stats[stream];
            stats.chunks += gap + 1;
            stats.empty_frames += gap;
            stats.payload_bytes += len as u64;
        }
        Ok(TimeFill::Frames { gap })
    }

    /// Places a timed audio block of `block_samples` samples captured at `time_ns`, where
    /// `max_gap_ns` is the longest gap allowed (of which at most
    /// [`MAX_SILENCE_BYTES_PER_WRITE`] is filled with silence now); with `commit`, takes its
    /// samples.
    ///
    /// # Errors
    /// [`Status::Dropped`] when all of it lies before what the stream already has (counted);
    /// [`Status::Limit`] for a gap over `max_gap_ns`.
    pub fn place_block(
        &mut self,
        stream: usize,
        time_ns: i64,
        layout: SampleLayout,
        block_samples: u64,
        max_gap_ns: i128,
        commit: bool,
    ) -> Result<BlockPlacement> {
        let elapsed = self.elapsed(time_ns);
        let rate = i128::from(layout.sample_rate);
        let start = round_half_up(elapsed * rate, NANOS_PER_SECOND);
        let tolerance = round_half_up(JITTER_TOLERANCE_NS * rate, NANOS_PER_SECOND);
        let taken = i128::from(self.taken[stream]);
        let placement = if (start - taken).abs() <= tolerance {
            BlockPlacement {
                silence: 0,
                trim: 0,
            }
        } else if start > taken {
            let gap = start - taken;
            if gap * NANOS_PER_SECOND > max_gap_ns * rate {
                return Err(Error::new(
                    Status::Limit,
                    format!(
                        "an audio block captured at {time_ns} ns would need {gap} samples of \
                         silence before it, more than {MAX_GAP_SLOTS} frame periods"
                    ),
                ));
            }
            let most = MAX_SILENCE_BYTES_PER_WRITE / layout.block_align as u64;
            BlockPlacement {
                silence: (gap as u64).min(most),
                trim: 0,
            }
        } else {
            let overlap = taken - start;
            if overlap >= i128::from(block_samples) {
                self.count_drop(stream);
                return Err(Error::new(
                    Status::Dropped,
                    format!(
                        "an audio block captured at {time_ns} ns ends at sample {}, but the \
                         stream already has {taken} samples: dropped",
                        start + i128::from(block_samples)
                    ),
                ));
            }
            BlockPlacement {
                silence: 0,
                trim: overlap as u64,
            }
        };
        if commit {
            let kept = block_samples - placement.trim;
            self.taken[stream] += placement.silence + kept;
            let stats = &mut self.stats[stream];
            stats.chunks += 1;
            stats.samples += placement.silence + kept;
            stats.silence_samples += placement.silence;
            stats.trimmed_samples += placement.trim;
            stats.payload_bytes += (placement.silence + kept) * layout.block_align as u64;
        }
        Ok(placement)
    }

    /// Takes `count` slots of `stream` for empty frames.
    pub fn skip(&mut self, stream: usize, count: u64) {
        self.taken[stream] += count;
        let stats = &mut self.stats[stream];
        stats.chunks += count;
        stats.empty_frames += count;
    }
}

/// The longest audio gap a timed write may fill with silence: [`MAX_GAP_SLOTS`] frame periods.
pub(crate) fn max_gap_ns(rate: FrameRate) -> i128 {
    i128::from(MAX_GAP_SLOTS) * i128::from(rate.den) * NANOS_PER_SECOND / i128::from(rate.num)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPS30: FrameRate = FrameRate { num: 30, den: 1 };
    const STEREO48K: SampleLayout = SampleLayout {
        sample_rate: 48_000,
        block_align: 4,
        silence: 0,
    };
    const MS: i64 = 1_000_000;

    fn timeline(streams: usize) -> Timeline {
        let mut t = Timeline::default();
        (0..streams).for_each(|_| t.add_stream());
        t
    }

    fn gap(fill: TimeFill) -> u64 {
        assert_ne!(fill, TimeFill::Untimed);
        fill.gap()
    }

    #[test]
    fn frames_take_the_slot_of_their_time_and_gaps_get_empty_frames() {
        let mut t = timeline(1);
        // Time zero is the first timed write, whatever clock it is on.
        let base = 5_000_000_000_000;
        assert_eq!(gap(t.place_frame(0, base, FPS30, 10, true).unwrap()), 0);
        // 16.6 ms rounds down to slot 0, which is taken: dropped.
        let e = t
            .place_frame(0, base + 16 * MS, FPS30, 10, true)
            .unwrap_err();
        assert_eq!(e.status(), Status::Dropped);
        // Exactly half a period rounds up to slot 1.
        assert_eq!(
            gap(t
                .place_frame(0, base + 16_666_667, FPS30, 10, true)
                .unwrap()),
            0
        );
        // 200 ms is slot 6: four empty frames (slots 2..=5) first.
        assert_eq!(
            gap(t.place_frame(0, base + 200 * MS, FPS30, 10, true).unwrap()),
            4
        );
        let s = t.stats(0);
        assert_eq!((s.chunks, s.empty_frames, s.dropped), (7, 4, 1));
        assert_eq!(s.payload_bytes, 30);
    }

    #[test]
    fn frames_before_time_zero_are_dropped_and_far_ones_refused() {
        let mut t = timeline(2);
        t.place_frame(0, 0, FPS30, 1, true).unwrap();
        let e = t.place_frame(1, -40 * MS, FPS30, 1, true).unwrap_err();
        assert_eq!(e.status(), Status::Dropped);
        // Slot 1,000,001 leaves 1,000,000 empty: allowed; one more is not.
        let period = 1_000_000_000 / 30;
        let limit = t
            .place_frame(
                0,
                (MAX_GAP_SLOTS as i64 + 2) * period + period,
                FPS30,
                1,
                false,
            )
            .unwrap_err();
        assert_eq!(limit.status(), Status::Limit);
        assert!(t.place_frame(0, i64::MAX, FPS30, 1, false).is_err());
        let e = t.place_frame(0, i64::MIN, FPS30, 1, false).unwrap_err();
        assert_eq!(e.status(), Status::Dropped);
        // Nothing was taken by the refused ones.
        assert_eq!(gap(t.place_frame(0, period, FPS30, 1, true).unwrap()), 0);
    }

    #[test]
    fn untimed_writes_take_the_next_slot() {
        let mut t = timeline(1);
        assert_eq!(t.untimed(0, 8, None), TimeFill::Untimed);
        assert_eq!(t.untimed(0, 8, None), TimeFill::Untimed);
        // Time zero is now; slots 0 and 1 are taken, so slot 2 is 66.7 ms later.
        let e = t.place_frame(0, 1000, FPS30, 8, true).unwrap_err();
        assert_eq!(e.status(), Status::Dropped);
        assert_eq!(
            gap(t.place_frame(0, 1000 + 67 * MS, FPS30, 8, true).unwrap()),
            0
        );
        assert_eq!(t.untimed(0, 8, None), TimeFill::Frames { gap: 0 });
        t.skip(0, 5);
        assert_eq!(
            gap(t.place_frame(0, 1000 + 300 * MS, FPS30, 8, true).unwrap()),
            0
        );
        assert_eq!(t.stats(0).empty_frames, 5);
    }

    #[test]
    fn audio_jitter_is_ignored_gaps_get_silence_and_overlaps_are_trimmed() {
        let mut t = timeline(1);
        let place = |t: &mut Timeline, at: i64, samples: u64| {
            t.place_block(0, at, STEREO48K, samples, max_gap_ns(FPS30), true)
        };
        // 10 ms blocks.
        assert_eq!(
            place(&mut t, 0, 480).unwrap(),
            BlockPlacement {
                silence: 0,
                trim: 0
            }
        );
        // 19 ms late or 15 ms early: written as it is.
        assert_eq!(place(&mut t, 29 * MS, 480).unwrap().silence, 0);
        assert_eq!(place(&mut t, 5 * MS, 480).unwrap().trim, 0);
        // The stream now has 1440 samples (30 ms); a block at 100 ms needs 70 ms of silence.
        assert_eq!(
            place(&mut t, 100 * MS, 480).unwrap(),
            BlockPlacement {
                silence: 3360,
                trim: 0
            }
        );
        // 110 ms = 5280 samples taken. A 30 ms block at 80 ms overlaps all of it: dropped; one
        // at 85 ms overlaps by 25 ms and keeps its last 5 ms.
        assert_eq!(
            place(&mut t, 80 * MS, 1440).unwrap_err().status(),
            Status::Dropped
        );
        assert_eq!(
            place(&mut t, 85 * MS, 1440).unwrap(),
            BlockPlacement {
                silence: 0,
                trim: 1200
            }
        );
        let s = t.stats(0);
        assert_eq!(s.samples, 5280 + 240);
        assert_eq!(
            (s.silence_samples, s.trimmed_samples, s.dropped),
            (3360, 1200, 1)
        );
        assert_eq!(s.chunks, 5);
        assert_eq!(s.payload_bytes, s.samples * 4);
    }

    /// Issue 21, item 4: the gap limit is in time (a million frame periods, over nine hours at
    /// 30 fps), so one small block after a long gap could queue gigabytes of silence. One write
    /// queues at most MAX_SILENCE_BYTES_PER_WRITE of it; the writes after it fill the rest of
    /// the gap, so the stream still catches up with its clock.
    #[test]
    fn one_write_queues_a_bounded_amount_of_silence_and_the_next_ones_catch_up() {
        let mut t = timeline(1);
        let place = |t: &mut Timeline, at: i64| {
            t.place_block(0, at, STEREO48K, 480, max_gap_ns(FPS30), true)
                .unwrap()
        };
        place(&mut t, 0);
        // An hour later (172.8 million samples, 691 MB of silence).
        let hour = 3_600_000 * MS;
        let cap = MAX_SILENCE_BYTES_PER_WRITE / STEREO48K.block_align as u64;
        let mut written = 0;
        for n in 0..20 {
            let placed = place(&mut t, hour + n * 10 * MS);
            assert!(placed.silence <= cap, "{placed:?}");
            written += placed.silence;
        }
        let wanted = 48_000 * 3_600 - 480;
        assert_eq!(written, wanted);
        assert_eq!(t.stats(0).samples, 48_000 * 3_600 + 20 * 480);
    }

    #[test]
    fn audio_gaps_are_bounded_like_video_gaps() {
        let mut t = timeline(1);
        t.place_block(0, 0, STEREO48K, 1, max_gap_ns(FPS30), true)
            .unwrap();
        let far = (MAX_GAP_SLOTS as i64 + 10) * (1_000_000_000 / 30);
        let e = t
            .place_block(0, far, STEREO48K, 1, max_gap_ns(FPS30), true)
            .unwrap_err();
        assert_eq!(e.status(), Status::Limit);
        let e = t
            .place_block(0, i64::MIN, STEREO48K, 1, max_gap_ns(FPS30), true)
            .unwrap_err();
        assert_eq!(e.status(), Status::Dropped);
    }
}
