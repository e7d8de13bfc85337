//! Calls on results: end (with the right owner, another stream or writer, or the wrong end
//! function), the getters (NULL out-pointers too), wait and cancel, on live and dead handles.

use super::callbacks::{cancel_and_record, record_end};
use super::driver::Driver;
use super::faults::ensure;
use super::model::*;
use super::status::*;
use avikit::ffi::*;
use std::ffi::{c_char, c_void};
use std::ptr::null_mut;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::Arc;

impl Driver<'_> {
    pub(crate) fn end(&mut self) {
        let (aarg, aref) = self.async_arg();
        // Which end function, and with which owner handle.
        let variant = self.rng.below(100);
        let (func_kind, owner, owner_dead, mismatch) = match &aref {
            Some(a) if variant < 75 => (a.kind, a.owner, a.writer.closed.load(SeqCst), false),
            Some(a) if variant < 85 => {
                // Another live owner of the same kind: a result of another stream.
                let other = if a.kind == OpKind::Flush {
                    self.writer_arg().0
                } else {
                    self.stream_arg(a.kind == OpKind::Video).0
                };
                (a.kind, other.value, other.dead, other.value != a.owner)
            }
            Some(a) if variant < 92 => {
                // The wrong end function: its handle kind differs, or it is a flush end.
                let k = *self
                    .rng
                    .pick(&[OpKind::Video, OpKind::Audio, OpKind::Flush])
                    .unwrap();
                let other = match k {
                    OpKind::Flush => self.writer_arg().0,
                    _ => self.stream_arg(k == OpKind::Video).0,
                };
                (
                    k,
                    other.value,
                    other.dead,
                    k != a.kind || other.value != a.owner,
                )
            }
            _ => {
                let k = *self
                    .rng
                    .pick(&[OpKind::Video, OpKind::Audio, OpKind::Flush])
                    .unwrap();
                let other = match k {
                    OpKind::Flush => self.writer_arg().0,
                    _ => self.stream_arg(k == OpKind::Video).0,
                };
                (
                    k,
                    other.value,
                    other.dead,
                    aref.as_ref()
                        .is_none_or(|a| k != a.kind || other.value != a.owner),
                )
            }
        };
        // SAFETY: handle values.
        let s = unsafe {
            match func_kind {
                OpKind::Video => avk_video_stream_end_write_frame(owner as _, aarg.value as _),
                OpKind::Audio => avk_audio_stream_end_write_block(owner as _, aarg.value as _),
                _ => avk_writer_end_flush(owner as _, aarg.value as _),
            }
        };
        let expect = if owner_dead || aarg.dead {
            HANDLE
        } else if mismatch {
            // A live owner that did not begin it (or a handle of another kind).
            ARG | HANDLE
        } else {
            HANDLE
                | aref
                    .as_ref()
                    .map_or(OP_STATUSES, |a| a.writer.op_statuses())
        };
        check(Func::End, s, expect, false, "end");
        if OP_STATUSES & bit(s) != 0 {
            if let Some(a) = &aref {
                if let Some(slot) = op_slot(a) {
                    record_end(slot, s);
                }
                let mut pool = self.pool();
                pool.asyncs.retain(|x| x.handle != a.handle);
                let rng = &mut self.rng;
                pool.push_stale(Kind::Async, a.handle, rng);
                self.stat(4);
            }
        }
    }

    pub(crate) fn getters(&mut self) {
        let (aarg, aref) = self.async_arg();
        let h = aarg.value as *mut avk_async;
        let null_out = self.rng.percent(6);
        let live = !aarg.dead;
        // What a getter may answer: a dead handle is INVALID_HANDLE; a live one may die meanwhile.
        let dead = if live { HANDLE | OK } else { HANDLE };
        let with_null = |m: u32| if null_out { (m & !OK) | ARG } else { m };
        let pending = if live { STATE } else { 0 };
        let what = self.rng.below(5);
        let mut out32: i32 = 0x5A5A_5A5A;
        let p32: *mut i32 = if null_out { null_mut() } else { &mut out32 };
        match what {
            0 => {
                // SAFETY: handle value; writable or NULL out-pointer.
                let s = unsafe { avk_async_is_completed(h, p32) };
                check(
                    Func::Getter,
                    s,
                    with_null(dead),
                    false,
                    "avk_async_is_completed",
                );
                ensure!(
                    if s == AVK_OK {
                        out32 == 0 || out32 == 1
                    } else {
                        out32 == 0x5A5A_5A5A
                    },
                    "is_completed wrote {out32:#x} with status {}",
                    status_name(s)
                );
            }
            1 => {
                // SAFETY: as above.
                let s = unsafe { avk_async_completed_synchronously(h, p32) };
                check(
                    Func::Getter,
                    s,
                    with_null(dead),
                    false,
                    "avk_async_completed_synchronously",
                );
                ensure!(
                    if s == AVK_OK {
                        out32 == 0
                    } else {
                        out32 == 0x5A5A_5A5A
                    },
                    "completed_synchronously wrote {out32:#x} with status {}",
                    status_name(s)
                );
            }
            2 => {
                let mut state: *mut c_void = SENTINEL as *mut c_void;
                let p: *mut *mut c_void = if null_out { null_mut() } else { &mut state };
                // SAFETY: as above.
                let s = unsafe { avk_async_user_state(h, p) };
                check(
                    Func::Getter,
                    s,
                    with_null(dead),
                    false,
                    "avk_async_user_state",
                );
                if s == AVK_OK {
                    // SAFETY: our user_states are slots (see on_complete).
                    let slot = unsafe { &*(state as *const OpSlot) };
                    if let Some(a) = &aref {
                        ensure!(
                            std::ptr::eq(slot.writer.load(Relaxed), Arc::as_ptr(&a.writer)),
                            "user_state of a result points at another writer's slot"
                        );
                    }
                } else {
                    ensure!(state as usize == SENTINEL, "user_state written on failure");
                }
            }
            3 => {
                let mut done = 0;
                // SAFETY: as above.
                let s1 = unsafe { avk_async_is_completed(h, &mut done) };
                check(Func::Getter, s1, dead, false, "avk_async_is_completed");
                let mut status: i32 = 0x5A5A_5A5A;
                let p: *mut i32 = if null_out { null_mut() } else { &mut status };
                // SAFETY: as above.
                let s = unsafe { avk_async_result(h, p) };
                let expect = if s1 == AVK_OK && done == 1 {
                    with_null(dead)
                } else {
                    with_null(dead | pending)
                };
                check(Func::ResultGetter, s, expect, false, "avk_async_result");
                if s == AVK_OK {
                    let allowed = aref
                        .as_ref()
                        .map_or(OP_STATUSES, |a| a.writer.op_statuses());
                    ensure!(
                        (0..32).contains(&status) && allowed & bit(status) != 0,
                        "avk_async_result gave {}",
                        status_name(status)
                    );
                } else {
                    ensure!(status == 0x5A5A_5A5A, "avk_async_result wrote on failure");
                }
            }
            _ => {
                let sizes = [0usize, 1, 5, 300];
                let size = *self.rng.pick(&sizes).unwrap();
                let mut buf = vec![0x7Fu8; size];
                let null_buf = size > 0 && self.rng.percent(10);
                let bptr: *mut c_char = if size == 0 || null_buf {
                    null_mut()
                } else {
                    buf.as_mut_ptr().cast()
                };
                let mut len: usize = SENTINEL;
                let lp: *mut usize = if null_out { null_mut() } else { &mut len };
                // SAFETY: `bptr` NULL or writable for `size` bytes; `lp` NULL or writable.
                let s = unsafe { avk_async_error_message(h, bptr, size, lp) };
                let expect = if null_out || null_buf {
                    (dead & !OK) | ARG
                } else {
                    dead | pending
                };
                check(
                    Func::ResultGetter,
                    s,
                    expect,
                    false,
                    "avk_async_error_message",
                );
                if s == AVK_OK {
                    ensure!(len >= 1 && len != SENTINEL, "error message length {len}");
                    if size > 0 {
                        let n = (len - 1).min(size - 1);
                        ensure!(buf[n] == 0, "error message not NUL-terminated at {n}");
                    }
                } else {
                    ensure!(len == SENTINEL, "error message length written on failure");
                }
            }
        }
    }

    pub(crate) fn wait(&mut self) {
        let (aarg, _) = self.async_arg();
        let timeout = *self.rng.pick(&[0u32, 1, 5, AVK_WAIT_INFINITE]).unwrap();
        // SAFETY: a handle value.
        let s = unsafe { avk_async_wait(aarg.value as _, timeout) };
        let expect = if aarg.dead {
            HANDLE
        } else if timeout == AVK_WAIT_INFINITE {
            OK | HANDLE
        } else {
            OK | HANDLE | TIMEOUT
        };
        check(Func::Wait, s, expect, false, "avk_async_wait");
        if s == AVK_OK {
            let mut done = 0;
            // SAFETY: writable out-pointer.
            let s = unsafe { avk_async_is_completed(aarg.value as _, &mut done) };
            check(
                Func::Getter,
                s,
                OK | HANDLE,
                false,
                "is_completed after wait",
            );
            ensure!(
                s != AVK_OK || done == 1,
                "wait returned OK but not completed"
            );
        }
    }

    pub(crate) fn cancel(&mut self) {
        let (aarg, _) = self.async_arg();
        let s = cancel_and_record(aarg.value, false);
        ensure!(
            !aarg.dead || s == AVK_E_INVALID_HANDLE,
            "cancel of a dead handle returned {}",
            status_name(s)
        );
    }
}

fn op_slot(a: &AsyncRef) -> Option<&OpSlot> {
    a.writer.slots.get(a.slot as usize)
}
