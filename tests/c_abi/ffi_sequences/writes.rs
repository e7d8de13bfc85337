//! Writes and flushes: begun (with or without callback, out-pointer and copy, and a plan for the
//! callback), synchronous, and the writer's flush and begin_flush; random flags (unknown bits
//! too), lengths a stream must refuse, NULL data.

use super::callbacks::{on_complete, record_end};
use super::driver::Driver;
use super::faults::{ensure, lock};
use super::model::*;
use super::status::*;
use avikit::ffi::*;
use std::ffi::c_void;
use std::ptr::{null, null_mut};
use std::sync::atomic::Ordering::{Relaxed, Release, SeqCst};

impl Driver<'_> {
    /// A payload length for stream `st`: valid, or (when `bad`) one it must refuse.
    fn length(&mut self, st: Option<&StreamRec>, video: bool, bad: bool) -> usize {
        match st {
            Some(st) if st.video => {
                if bad {
                    let d = *self.rng.pick(&[1isize, -1, 2, 4, -4]).unwrap();
                    if self.rng.percent(20) {
                        0
                    } else {
                        (st.frame_len as isize + d).max(0) as usize
                    }
                } else {
                    st.frame_len
                }
            }
            Some(st) => {
                if bad {
                    if st.align > 1 && self.rng.percent(70) {
                        st.align * self.rng.range(3, 20) as usize + 1
                    } else {
                        0
                    }
                } else {
                    let min = 12usize.div_ceil(st.align);
                    st.align * self.rng.range(min as u64, min as u64 + 60) as usize
                }
            }
            None => {
                if video {
                    self.rng.range(0, 200) as usize
                } else {
                    self.rng.range(0, 64) as usize * 2
                }
            }
        }
    }

    fn flags(&mut self) -> (u32, bool) {
        if self.rng.percent(8) {
            (
                (self.rng.next_u64() as u32) | 1 << self.rng.range(3, 31),
                true,
            )
        } else {
            (
                *self
                    .rng
                    .pick(&[
                        0,
                        AVK_FRAME_KEYFRAME,
                        AVK_WRITE_COPY,
                        AVK_FRAME_KEYFRAME | AVK_WRITE_COPY,
                    ])
                    .unwrap(),
                false,
            )
        }
    }

    pub(crate) fn begin_write(&mut self) {
        let video = self.rng.percent(50);
        let (sarg, target) = self.stream_arg(video);
        let (flags, bad_flags) = self.flags();
        let bad_len = self.rng.percent(8);
        let len = self.length(target.as_ref().map(|t| &t.1), video, bad_len);
        let null_data = len > 0 && self.rng.percent(4);
        let with_callback = self.rng.percent(70);
        let with_out = self.rng.percent(60);
        let args_bad = bad_flags || bad_len || null_data;
        let slot = match &target {
            Some((w, st)) => {
                let Some(slot) = w.alloc_slot(if video { OpKind::Video } else { OpKind::Audio })
                else {
                    return;
                };
                slot.stream.store(st.index, Relaxed);
                slot.has_callback.store(with_callback, Relaxed);
                slot.has_out.store(with_out, Relaxed);
                let mut plan = 0;
                for (b, p) in [
                    (CB_QUERY, 30),
                    (CB_FLUSH, 5),
                    (CB_CLOSE, 4),
                    (CB_BEGIN, 6),
                    (CB_END_SELF, 8),
                    (CB_WAIT_LAST, 6),
                    (CB_CANCEL_LAST, 6),
                    (CB_SYNC_WRITE, 4),
                    (CB_BEGIN_FLUSH, 3),
                ] {
                    if self.rng.percent(p) {
                        plan |= b;
                    }
                }
                slot.plan.store(plan, Relaxed);
                if !args_bad {
                    w.maybe_started.store(true, SeqCst);
                }
                Some((w.clone(), slot))
            }
            None => None,
        };
        let copy = flags & AVK_WRITE_COPY != 0;
        let mut local: Vec<u8> = Vec::new();
        let data: *const u8 = if null_data {
            null()
        } else if let Some((w, slot)) = &slot {
            local = target.as_ref().unwrap().1.frame(w.no, slot.index, len);
            if copy {
                local.as_ptr()
            } else {
                let boxed: Box<[u8]> = std::mem::take(&mut local).into();
                let ptr = boxed.as_ptr();
                lock(&w.arena).push(boxed);
                ptr
            }
        } else if len <= self.seed.junk.len() {
            self.seed.junk.as_ptr()
        } else {
            null()
        };
        let data_missing = data.is_null() && len > 0;
        let user_state = slot
            .as_ref()
            .map_or(null_mut(), |(_, s)| *s as *const OpSlot as *mut c_void);
        let mut out: usize = SENTINEL;
        let out_ptr: *mut *mut avk_async = if with_out {
            (&mut out as *mut usize).cast()
        } else {
            null_mut()
        };
        // A callback only where user_state is a slot.
        let cb: avk_async_callback = if with_callback && slot.is_some() {
            Some(on_complete)
        } else {
            None
        };
        // SAFETY: `data` is NULL or readable for `len` bytes until completion (arena or copy).
        let s = unsafe {
            if video {
                avk_video_stream_begin_write_frame(
                    sarg.value as _,
                    flags,
                    data,
                    len,
                    cb,
                    user_state,
                    out_ptr,
                )
            } else {
                avk_audio_stream_begin_write_block(
                    sarg.value as _,
                    flags,
                    data,
                    len,
                    cb,
                    user_state,
                    out_ptr,
                )
            }
        };
        local.fill(0xEE);
        drop(local);
        let args_bad = args_bad || data_missing;
        let owner = slot.as_ref().map(|(w, _)| &**w);
        let expect = call_expect(owner, sarg.dead, args_bad, false);
        check(Func::Begin, s, expect, false, "begin write");
        if let Some((w, slot)) = &slot {
            slot.begun
                .store(if s == AVK_OK { BEGUN_OK } else { BEGUN_FAILED }, Release);
            if s == AVK_OK {
                self.stat(2);
                if with_out {
                    ensure!(
                        out != SENTINEL && out != 0,
                        "begin returned OK without writing its out-pointer"
                    );
                    w.last_async.store(out, Release);
                    self.pool().asyncs.push(AsyncRef {
                        handle: out,
                        writer: w.clone(),
                        kind: if video { OpKind::Video } else { OpKind::Audio },
                        owner: sarg.value,
                        slot: slot.index,
                    });
                }
            }
        }
        if s != AVK_OK {
            ensure!(out == SENTINEL, "begin wrote its out-pointer on failure");
        }
    }

    pub(crate) fn sync_write(&mut self) {
        let video = self.rng.percent(50);
        let (sarg, target) = self.stream_arg(video);
        let (flags, bad_flags) = self.flags();
        let bad_len = self.rng.percent(10);
        let len = self.length(target.as_ref().map(|t| &t.1), video, bad_len);
        let null_data = len > 0 && self.rng.percent(4);
        let args_bad = bad_flags || bad_len || null_data;
        let slot = match &target {
            Some((w, st)) => {
                let Some(slot) = w.alloc_slot(OpKind::SyncWrite) else {
                    return;
                };
                slot.stream.store(st.index, Relaxed);
                if !args_bad {
                    w.maybe_started.store(true, SeqCst);
                }
                Some((w.clone(), slot))
            }
            None => None,
        };
        let local = match &slot {
            Some((w, slot)) => target.as_ref().unwrap().1.frame(w.no, slot.index, len),
            None => vec![0u8; len],
        };
        let data = if null_data { null() } else { local.as_ptr() };
        // SAFETY: `data` is NULL or readable for `len` bytes during the call.
        let s = unsafe {
            if video {
                avk_video_stream_write_frame(sarg.value as _, flags, data, len)
            } else {
                avk_audio_stream_write_block(sarg.value as _, flags, data, len)
            }
        };
        let owner = slot.as_ref().map(|(w, _)| &**w);
        let expect = call_expect(owner, sarg.dead, args_bad, true);
        check(Func::WriteSync, s, expect, false, "synchronous write");
        if let Some((_, slot)) = &slot {
            let ran = OP_STATUSES & bit(s) != 0;
            slot.begun
                .store(if ran { BEGUN_OK } else { BEGUN_FAILED }, Release);
            if ran {
                record_end(slot, s);
                self.stat(3);
            }
        }
    }

    pub(crate) fn flush(&mut self) {
        let (warg, w) = self.writer_arg();
        let bad = self.rng.percent(10);
        let flags = if bad {
            (self.rng.next_u64() as u32) | 2
        } else if self.rng.percent(5) {
            AVK_FLUSH_DURABLE
        } else {
            0
        };
        if let (Some(w), false) = (&w, bad) {
            w.maybe_started.store(true, SeqCst);
        }
        // SAFETY: a handle value.
        let s = unsafe { avk_writer_flush(warg.value as _, flags) };
        let expect = call_expect(w.as_deref(), warg.dead, bad, true);
        check(Func::Flush, s, expect, false, "avk_writer_flush");
    }

    pub(crate) fn begin_flush(&mut self) {
        let (warg, w) = self.writer_arg();
        let bad = self.rng.percent(8);
        let flags = if bad {
            (self.rng.next_u64() as u32) | 4
        } else {
            0
        };
        let with_callback = self.rng.percent(60);
        let with_out = self.rng.percent(60);
        let slot = match &w {
            Some(w) => {
                let Some(slot) = w.alloc_slot(OpKind::Flush) else {
                    return;
                };
                slot.has_callback.store(with_callback, Relaxed);
                slot.has_out.store(with_out, Relaxed);
                if self.rng.percent(20) {
                    slot.plan.store(CB_QUERY | CB_END_SELF, Relaxed);
                }
                if !bad {
                    w.maybe_started.store(true, SeqCst);
                }
                Some(slot)
            }
            None => None,
        };
        let mut out: usize = SENTINEL;
        let out_ptr: *mut *mut avk_async = if with_out {
            (&mut out as *mut usize).cast()
        } else {
            null_mut()
        };
        let user_state = slot.map_or(null_mut(), |s| s as *const OpSlot as *mut c_void);
        let cb: avk_async_callback = if with_callback && slot.is_some() {
            Some(on_complete)
        } else {
            None
        };
        // SAFETY: handle value; out-pointer NULL or writable.
        let s = unsafe { avk_writer_begin_flush(warg.value as _, flags, cb, user_state, out_ptr) };
        let expect = call_expect(w.as_deref(), warg.dead, bad, false);
        check(Func::BeginFlush, s, expect, false, "avk_writer_begin_flush");
        if let (Some(w), Some(slot)) = (&w, slot) {
            slot.begun
                .store(if s == AVK_OK { BEGUN_OK } else { BEGUN_FAILED }, Release);
            if s == AVK_OK && with_out {
                ensure!(
                    out != SENTINEL && out != 0,
                    "begin_flush OK without a handle"
                );
                self.pool().asyncs.push(AsyncRef {
                    handle: out,
                    writer: w.clone(),
                    kind: OpKind::Flush,
                    owner: w.handle,
                    slot: slot.index,
                });
            }
        }
        if s != AVK_OK {
            ensure!(
                out == SENTINEL,
                "begin_flush wrote its out-pointer on failure"
            );
        }
    }
}
