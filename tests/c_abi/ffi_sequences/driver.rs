//! The driver: one per test thread and seed, with its own generator. It picks handle arguments
//! (live, stale, NULL, made-up or of the wrong type) and, step by step, the next call; the calls
//! themselves are in writers.rs, streams.rs, writes.rs and results.rs.

use super::faults::{ensure, lock, set_where};
use super::model::*;
use super::status::status_name;
use crate::common::rng::TestRng;
use avikit::ffi::*;
use std::ptr::null_mut;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{Arc, MutexGuard};

pub(crate) struct Driver<'a> {
    pub(crate) seed: &'a Seed,
    pub(crate) rng: TestRng,
    pub(crate) thread: usize,
}

impl<'a> Driver<'a> {
    pub(crate) fn pool(&self) -> MutexGuard<'a, Pool> {
        lock(&self.seed.pool)
    }

    pub(crate) fn stat(&self, i: usize) {
        lock(&self.seed.stats)[i] += 1;
    }

    /// A certainly dead handle for `kind`: stale, NULL, fake, or a live handle of another kind.
    pub(crate) fn dead(&mut self, kind: Kind) -> Arg {
        let choice = self.rng.below(6);
        let value = match choice {
            0 => 0,
            1 => *self.rng.pick(&FAKES).unwrap(),
            2 => self.rng.next_u64() as usize | 1 << 63,
            3 => {
                let pool = self.pool();
                let other: Vec<usize> =
                    pool.writers
                        .iter()
                        .flat_map(|w| {
                            let mut v: Vec<(Kind, usize)> = vec![(Kind::Writer, w.handle)];
                            v.extend(lock(&w.streams).iter().map(|s| {
                                (if s.video { Kind::Video } else { Kind::Audio }, s.handle)
                            }));
                            v
                        })
                        .chain(pool.asyncs.iter().map(|a| (Kind::Async, a.handle)))
                        .filter(|(k, _)| *k != kind)
                        .map(|(_, h)| h)
                        .collect();
                drop(pool);
                self.rng.pick(&other).copied().unwrap_or(0)
            }
            4 => {
                // The address of something real: never a handle.
                &self.seed.junk[..] as *const [u8] as *const u8 as usize
            }
            _ => {
                let pool = self.pool();
                let any: Vec<usize> = pool.stale.iter().map(|&(_, h)| h).collect();
                drop(pool);
                self.rng.pick(&any).copied().unwrap_or(0)
            }
        };
        Arg { value, dead: true }
    }

    pub(crate) fn live_writers(&self) -> Vec<Arc<WriterRec>> {
        self.pool().writers.clone()
    }

    /// A live (or believed live) writer, or a dead handle.
    pub(crate) fn writer_arg(&mut self) -> (Arg, Option<Arc<WriterRec>>) {
        let writers = self.live_writers();
        if !writers.is_empty() && self.rng.percent(85) {
            let w = self.rng.pick(&writers).unwrap().clone();
            let dead = w.closed.load(SeqCst);
            (
                Arg {
                    value: w.handle,
                    dead,
                },
                Some(w),
            )
        } else {
            (self.dead(Kind::Writer), None)
        }
    }

    pub(crate) fn stream_arg(&mut self, video: bool) -> (Arg, Option<(Arc<WriterRec>, StreamRec)>) {
        let writers = self.live_writers();
        let candidates: Vec<(Arc<WriterRec>, StreamRec)> = writers
            .iter()
            .flat_map(|w| {
                w.streams()
                    .into_iter()
                    .filter(|s| s.video == video)
                    .map(move |s| (w.clone(), s))
            })
            .collect();
        if !candidates.is_empty() && self.rng.percent(85) {
            let (w, s) = self.rng.pick(&candidates).unwrap().clone();
            let dead = w.closed.load(SeqCst);
            (
                Arg {
                    value: s.handle,
                    dead,
                },
                Some((w, s)),
            )
        } else {
            let kind = if video { Kind::Video } else { Kind::Audio };
            (self.dead(kind), None)
        }
    }

    pub(crate) fn async_arg(&mut self) -> (Arg, Option<AsyncRef>) {
        let asyncs = self.pool().asyncs.clone();
        if !asyncs.is_empty() && self.rng.percent(80) {
            let a = self.rng.pick(&asyncs).unwrap().clone();
            let dead = a.writer.closed.load(SeqCst);
            (
                Arg {
                    value: a.handle,
                    dead,
                },
                Some(a),
            )
        } else {
            (self.dead(Kind::Async), None)
        }
    }

    pub(crate) fn step(&mut self, n: usize) {
        let action = self.rng.below(100);
        set_where(format!("thread {} step {n} action {action}", self.thread));
        match action {
            0..=2 => self.create_writer(),
            3..=8 => self.add_stream(None),
            9..=39 => self.begin_write(),
            40..=46 => self.sync_write(),
            47..=57 => self.end(),
            58..=66 => self.getters(),
            67..=71 => self.wait(),
            72..=77 => self.cancel(),
            78..=80 => self.flush(),
            81..=85 => self.begin_flush(),
            86 if self.rng.percent(30) => self.close_random(),
            87..=88 => self.misc(),
            89 if self.rng.percent(5) => self.stream_limit(),
            _ => self.begin_write(),
        }
        // Writers that ran out of slots are closed.
        let full: Vec<Arc<WriterRec>> = self
            .live_writers()
            .into_iter()
            .filter(|w| w.next_slot.load(Relaxed) >= SLOTS - 50 && !w.closing.load(SeqCst))
            .collect();
        for w in full {
            self.close(&w);
        }
    }

    fn misc(&mut self) {
        let code = self.rng.below(20) as i32 - 3;
        let name = status_name(code);
        let known = (0..=15).contains(&code);
        ensure!(
            known == (name != "AVK_UNKNOWN") && (!known || name.starts_with("AVK_")),
            "avk_status_name({code}) = {name}"
        );
        let v = avk_version();
        ensure!(
            v >> 16 == AVK_VERSION_MAJOR && (v >> 8) & 0xFF == AVK_VERSION_MINOR,
            "avk_version {v:#x}"
        );
        // SAFETY: NULL options are ignored by the init functions.
        unsafe {
            avk_writer_options_init(null_mut());
            avk_video_stream_options_init(null_mut());
            avk_audio_stream_options_init(null_mut());
        }
    }
}
