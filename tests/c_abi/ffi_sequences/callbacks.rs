//! The C callbacks: the custom sink's (write_at, flush, close) and the completion callback,
//! which checks its own result and calls back into the library as its slot's plan says; and the
//! bookkeeping of cancels and ends shared with the driver.

use super::faults::{ensure, fault, lock, TEST_THREAD, WHERE};
use super::model::*;
use super::status::*;
use avikit::ffi::*;
use std::cell::Cell;
use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};

pub(crate) unsafe extern "C" fn io_write(
    user: *mut c_void,
    offset: u64,
    data: *const u8,
    len: usize,
) -> i32 {
    // SAFETY: `user` is the IoSink registered with the writer; it outlives the writer.
    let sink = unsafe { &*(user as *const IoSink) };
    let call = sink.calls.fetch_add(1, Relaxed) + 1;
    if sink.fail_from.is_some_and(|n| call >= n) {
        return -5;
    }
    // SAFETY: the library passes `len` readable bytes.
    let data = unsafe { std::slice::from_raw_parts(data, len) };
    let mut bytes = lock(&sink.bytes);
    let end = offset as usize + len;
    if bytes.len() < end {
        bytes.resize(end, 0);
    }
    bytes[offset as usize..end].copy_from_slice(data);
    0
}

pub(crate) unsafe extern "C" fn io_flush(user: *mut c_void) -> i32 {
    // SAFETY: as in io_write.
    let sink = unsafe { &*(user as *const IoSink) };
    if sink.fail_flush {
        -1
    } else {
        0
    }
}

pub(crate) unsafe extern "C" fn io_close(user: *mut c_void) {
    // SAFETY: as in io_write.
    let sink = unsafe { &*(user as *const IoSink) };
    sink.closes.fetch_add(1, Relaxed);
}

/// Runs on the library's thread: counts, checks its own result, and does what the slot's plan
/// says. Never panics (that would abort): faults are recorded.
pub(crate) unsafe extern "C" fn on_complete(result: *mut avk_async, user_state: *mut c_void) {
    // SAFETY: every user_state given with this callback is the address of an OpSlot inside a
    // WriterRec that the test keeps alive until the end of the seed.
    let slot = unsafe { &*(user_state as *const OpSlot) };
    // SAFETY: as above; the slot's writer pointer is set at creation.
    let w = unsafe { &*slot.writer.load(Relaxed) };
    let saved = WHERE.with(|x| {
        x.replace(format!(
            "callback of writer {} slot {} (closing {}, closed {}, thread {:?}, handle {:#x}, depth {})",
            w.no,
            slot.index,
            w.closing.load(SeqCst),
            w.closed.load(SeqCst),
            std::thread::current().name(),
            result as usize,
            slot.depth.load(Relaxed)
        ))
    });
    let previous = slot.callbacks.fetch_add(1, SeqCst);
    ensure!(previous == 0, "callback ran {} times", previous + 1);
    ensure!(
        !TEST_THREAD.with(Cell::get),
        "callback ran on a test thread (inline in a call)"
    );
    lock(&w.callback_log).push(slot.index);
    let mut status: avk_status = -77;
    // SAFETY: `status` is writable.
    let s = unsafe { avk_async_result(result, &mut status) };
    check(
        Func::ResultGetter,
        s,
        OK,
        true,
        "avk_async_result of own result",
    );
    if s == AVK_OK {
        ensure!(
            w.op_statuses() & bit(status) != 0 || (status == AVK_OK),
            "own result status {}",
            status_name(status)
        );
        slot.callback_status.store(status, SeqCst);
    }
    let plan = slot.plan.load(Relaxed);
    if plan & CB_QUERY != 0 {
        let mut state: *mut c_void = SENTINEL as *mut c_void;
        // SAFETY: writable out-pointer.
        let s = unsafe { avk_async_user_state(result, &mut state) };
        check(
            Func::Getter,
            s,
            OK,
            true,
            "avk_async_user_state of own result",
        );
        ensure!(
            s != AVK_OK || state == user_state,
            "user_state {state:?} is not the one given ({user_state:?})"
        );
        let mut done = -1;
        // SAFETY: writable out-pointer.
        let s = unsafe { avk_async_is_completed(result, &mut done) };
        check(
            Func::Getter,
            s,
            OK,
            true,
            "avk_async_is_completed of own result",
        );
        ensure!(
            s != AVK_OK || done == 1,
            "own result not completed in its callback"
        );
        // SAFETY: own handle.
        let s = unsafe { avk_async_wait(result, 0) };
        check(
            Func::Wait,
            s,
            OK,
            true,
            "avk_async_wait of own completed result",
        );
    }
    if plan & CB_FLUSH != 0 {
        // SAFETY: a handle value.
        let s = unsafe { avk_writer_flush(w.handle as *mut avk_writer, 0) };
        check(
            Func::Flush,
            s,
            DEADLOCK,
            true,
            "avk_writer_flush inside a callback",
        );
    }
    if plan & CB_CLOSE != 0 {
        // SAFETY: a handle value.
        let s = unsafe { avk_writer_close(w.handle as *mut avk_writer) };
        check(
            Func::Close,
            s,
            DEADLOCK,
            true,
            "avk_writer_close inside a callback",
        );
    }
    if plan & CB_SYNC_WRITE != 0 {
        if let Some(st) = w.streams().first().copied() {
            let data = vec![0u8; st.frame_len.max(st.align)];
            // SAFETY: `data` is readable for its length during the call.
            let s = unsafe {
                if st.video {
                    avk_video_stream_write_frame(st.handle as _, 0, data.as_ptr(), data.len())
                } else {
                    avk_audio_stream_write_block(st.handle as _, 0, data.as_ptr(), data.len())
                }
            };
            check(
                Func::WriteSync,
                s,
                DEADLOCK,
                true,
                "synchronous write inside a callback",
            );
        }
    }
    if plan & CB_WAIT_LAST != 0 {
        let last = w.last_async.load(Acquire);
        if last != 0 {
            // SAFETY: a handle value (possibly stale).
            let s = unsafe { avk_async_wait(last as *mut avk_async, 2) };
            check(
                Func::Wait,
                s,
                OK | DEADLOCK | HANDLE,
                true,
                "avk_async_wait on another result of the same writer inside a callback",
            );
        }
    }
    if plan & CB_CANCEL_LAST != 0 {
        let last = w.last_async.load(Acquire);
        if last != 0 {
            cancel_and_record(last, true);
        }
    }
    if plan & CB_BEGIN != 0 && slot.depth.load(Relaxed) < 2 {
        nested_begin(w, slot);
    }
    if plan & CB_BEGIN_FLUSH != 0 && slot.depth.load(Relaxed) < 2 {
        if let Some(n) = w.alloc_slot(OpKind::Flush) {
            n.has_callback.store(true, Relaxed);
            n.depth.store(slot.depth.load(Relaxed) + 1, Relaxed);
            // SAFETY: a handle value; the slot outlives the writer.
            let s = unsafe {
                avk_writer_begin_flush(
                    w.handle as _,
                    0,
                    Some(on_complete),
                    n as *const OpSlot as *mut c_void,
                    null_mut(),
                )
            };
            let closing = w.closing.load(SeqCst);
            check(
                Func::BeginFlush,
                s,
                OK | if closing { HANDLE } else { 0 },
                true,
                "avk_writer_begin_flush inside a callback",
            );
            n.begun
                .store(if s == AVK_OK { BEGUN_OK } else { BEGUN_FAILED }, Release);
        }
    }
    if plan & CB_END_SELF != 0 {
        let kind = *lock(&slot.kind);
        let owner = match kind {
            Some(OpKind::Flush) => Some(w.handle),
            _ => w
                .streams()
                .iter()
                .find(|s| s.index == slot.stream.load(Relaxed))
                .map(|s| s.handle),
        };
        if let Some(owner) = owner {
            // SAFETY: handle values.
            let s = unsafe {
                match kind {
                    Some(OpKind::Flush) => avk_writer_end_flush(owner as _, result),
                    Some(OpKind::Video) => avk_video_stream_end_write_frame(owner as _, result),
                    _ => avk_audio_stream_end_write_block(owner as _, result),
                }
            };
            let expect = if slot.has_out.load(Relaxed) {
                w.op_statuses() | HANDLE
            } else {
                HANDLE
            };
            check(
                Func::End,
                s,
                expect,
                true,
                "end of own result inside its callback",
            );
            if s != AVK_E_INVALID_HANDLE {
                record_end(slot, s);
            }
        }
    }
    WHERE.with(|x| *x.borrow_mut() = saved);
}

/// A write begun inside a callback, on a stream of the same writer (fire-and-forget).
fn nested_begin(w: &WriterRec, parent: &OpSlot) {
    let streams = w.streams();
    let Some(st) = streams.first().copied() else {
        return;
    };
    let Some(n) = w.alloc_slot(if st.video {
        OpKind::Video
    } else {
        OpKind::Audio
    }) else {
        return;
    };
    n.has_callback.store(true, Relaxed);
    n.stream.store(st.index, Relaxed);
    n.depth.store(parent.depth.load(Relaxed) + 1, Relaxed);
    n.plan
        .store(parent.plan.load(Relaxed) & (CB_QUERY | CB_BEGIN), Relaxed);
    let len = if st.video {
        st.frame_len
    } else {
        st.align * 16
    };
    let copy = n.index % 2 == 0;
    let mut local = st.frame(w.no, n.index, len);
    let data = if copy {
        local.as_ptr()
    } else {
        let boxed: Box<[u8]> = local.clone().into();
        let ptr = boxed.as_ptr();
        lock(&w.arena).push(boxed);
        ptr
    };
    let flags = if copy { AVK_WRITE_COPY } else { 0 };
    // SAFETY: `data` is readable for `len` bytes: copied at once, or kept in the arena.
    let s = unsafe {
        if st.video {
            avk_video_stream_begin_write_frame(
                st.handle as _,
                flags,
                data,
                len,
                Some(on_complete),
                n as *const OpSlot as *mut c_void,
                null_mut(),
            )
        } else {
            avk_audio_stream_begin_write_block(
                st.handle as _,
                flags,
                data,
                len,
                Some(on_complete),
                n as *const OpSlot as *mut c_void,
                null_mut(),
            )
        }
    };
    local.fill(0xEE);
    let expect =
        OK | if w.closing.load(SeqCst) { HANDLE } else { 0 } | if w.bounded { DEADLOCK } else { 0 };
    check(Func::Begin, s, expect, true, "begin inside a callback");
    n.begun
        .store(if s == AVK_OK { BEGUN_OK } else { BEGUN_FAILED }, Release);
}

/// The slot whose address is the user_state of result `handle`, if it is live.
fn slot_of(handle: usize) -> Option<&'static OpSlot> {
    let mut state: *mut c_void = SENTINEL as *mut c_void;
    // SAFETY: writable out-pointer; the handle is only a value.
    let s = unsafe { avk_async_user_state(handle as *const avk_async, &mut state) };
    if s != AVK_OK {
        ensure!(state as usize == SENTINEL, "out_state written on failure");
        check_last_error(s, "avk_async_user_state");
        return None;
    }
    // SAFETY: every user_state we pass is an OpSlot kept alive until the end of the seed.
    Some(unsafe { &*(state as *const OpSlot) })
}

/// Cancels `handle` and marks its slot when the cancel was accepted.
pub(crate) fn cancel_and_record(handle: usize, in_callback: bool) -> avk_status {
    let slot = slot_of(handle);
    // SAFETY: a handle value.
    let s = unsafe { avk_async_cancel(handle as *mut avk_async) };
    check(
        Func::Cancel,
        s,
        OK | STATE | HANDLE,
        in_callback,
        "avk_async_cancel",
    );
    if s == AVK_OK {
        match slot {
            Some(slot) => slot.cancel_ok.store(true, SeqCst),
            None => fault("cancel accepted for a result whose user_state was not readable".into()),
        }
    }
    s
}

pub(crate) fn record_end(slot: &OpSlot, s: avk_status) {
    let old = slot.end_status.swap(s, SeqCst);
    ensure!(
        old == NO_STATUS,
        "two ends of slot {} succeeded ({} then {})",
        slot.index,
        status_name(old),
        status_name(s)
    );
}
