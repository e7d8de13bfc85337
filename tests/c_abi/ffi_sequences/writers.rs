//! Writers: created with random options (bad ones too) on files or custom sinks that may fail,
//! a writer filled to the stream limit, and closes (of dead handles too, and concurrent ones);
//! the thread whose close succeeds checks the writer's callbacks and sink right away.

use super::callbacks::{io_close, io_flush, io_write};
use super::driver::Driver;
use super::faults::{ensure, fault, lock};
use super::model::*;
use super::serial_close;
use super::status::*;
use crate::common::scratch::Scratch;
use avikit::ffi::*;
use std::ffi::{c_void, CString};
use std::ptr::{null, null_mut};
use std::sync::atomic::Ordering::{Acquire, Relaxed, SeqCst};
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::sync::{Arc, Mutex};

impl Driver<'_> {
    pub(crate) fn create_writer(&mut self) {
        let open = self.pool().writers.len();
        let valid = open < 3 && self.rng.percent(85);
        let no = {
            let mut pool = self.pool();
            pool.next_writer += 1;
            pool.next_writer
        };
        // SAFETY: all-zero bytes are a valid avk_writer_options (integers and NULL pointers).
        let mut opts: avk_writer_options = unsafe { std::mem::zeroed() };
        // SAFETY: writable struct.
        unsafe { avk_writer_options_init(&mut opts) };
        let rates = [(30, 1), (25, 1), (30000, 1001), (1, 1), (60, 2)];
        let (num, den) = *self.rng.pick(&rates).unwrap();
        opts.frame_rate_num = num;
        opts.frame_rate_den = den;
        opts.checkpoint_interval_ms = self.rng.below(3) as u32 * 500;
        opts.encoder_threads = self.rng.below(3) as u32;
        if self.rng.percent(50) {
            opts.flags = 0;
        }
        if self.rng.percent(25) {
            opts.max_queued_bytes = self.rng.range(16, 4096);
        }
        if self.rng.percent(20) {
            // An older caller: the struct ends before max_queued_bytes.
            opts.struct_size = std::mem::offset_of!(avk_writer_options, max_queued_bytes) as u32;
            opts.max_queued_bytes = 0;
        }
        let mut expect = OK;
        let mut null_opts = valid && self.rng.percent(10);
        if null_opts {
            opts.flags = AVK_WRITER_EMIT_INDEX1;
            opts.max_queued_bytes = 0;
        }
        let mut null_out = false;
        let mut bad_path = 0;
        if !valid {
            null_opts = false;
            expect = ARG;
            match self.rng.below(7) {
                0 => opts.flags |= 1 << self.rng.range(1, 31),
                1 => opts.frame_rate_num = 0,
                2 => opts.frame_rate_den = 0,
                3 => opts.struct_size = *self.rng.pick(&[0, 3, 6, 1000, 26]).unwrap(),
                4 => null_out = true,
                5 => bad_path = 1,
                _ => {
                    bad_path = 2;
                    expect = IO;
                }
            }
        }
        let io_writer = self.rng.percent(35);
        let scratch = Scratch::new(&format!("ffi-{}-{no}.avi", self.seed.seed));
        let path = match bad_path {
            1 => None,
            2 => Some(CString::new("/nonexistent-avikit-dir/x/y.avi").unwrap()),
            _ => Some(CString::new(scratch.path().to_str().unwrap()).unwrap()),
        };
        let mut out: *mut avk_writer = SENTINEL as *mut avk_writer;
        let out_ptr: *mut *mut avk_writer = if null_out { null_mut() } else { &mut out };
        let opts_ptr: *const avk_writer_options = if null_opts { null() } else { &opts };
        let emit_idx1 = null_opts || opts.flags & AVK_WRITER_EMIT_INDEX1 != 0;
        let bounded = !null_opts && opts.max_queued_bytes > 0;
        let (s, io) = if io_writer && bad_path != 2 {
            let fail = self.rng.percent(40);
            let sink = Box::new(IoSink {
                bytes: Mutex::new(Vec::new()),
                calls: AtomicU64::new(0),
                fail_from: (fail && self.rng.percent(80)).then(|| self.rng.range(1, 12)),
                fail_flush: fail && self.rng.percent(30),
                closes: AtomicU32::new(0),
            });
            let mut io = avk_io {
                struct_size: std::mem::size_of::<avk_io>() as u32,
                user: &*sink as *const IoSink as *mut c_void,
                write_at: Some(io_write),
                flush: if self.rng.percent(80) {
                    Some(io_flush)
                } else {
                    None
                },
                close: Some(io_close),
                sync: None,
            };
            if bad_path == 1 {
                // The io variant of a bad argument: no write_at, or no io at all.
                io.write_at = None;
            }
            let io_ptr: *const avk_io = if bad_path == 1 && self.rng.percent(50) {
                null()
            } else {
                &io
            };
            // SAFETY: valid pointers or NULL.
            let s = unsafe { avk_writer_create_io(io_ptr, opts_ptr, out_ptr) };
            check(Func::CreateIo, s, expect, false, "avk_writer_create_io");
            if s != AVK_OK {
                ensure!(
                    sink.closes.load(Relaxed) == 0,
                    "avk_writer_create_io failed but closed the sink"
                );
            }
            (s, Some(sink))
        } else {
            let path_ptr = path.as_ref().map_or(null(), |p| p.as_ptr());
            // SAFETY: valid pointers or NULL.
            let s = unsafe { avk_writer_create(path_ptr, opts_ptr, out_ptr) };
            check(Func::Create, s, expect, false, "avk_writer_create");
            (s, None)
        };
        if s != AVK_OK {
            ensure!(
                out as usize == SENTINEL,
                "avk_writer_create wrote its out-pointer on failure"
            );
            return;
        }
        if null_out {
            return;
        }
        ensure!(
            !out.is_null() && out as usize != SENTINEL,
            "create returned OK without a handle"
        );
        let file = if io.is_some() { None } else { Some(scratch) };
        let rec = new_writer_rec(no, out as usize, file, io, emit_idx1, bounded);
        self.pool().writers.push(rec.clone());
        self.stat(0);
        // Usually a few streams at once, before other threads start writing.
        if self.rng.percent(85) {
            for _ in 0..self.rng.range(1, 3) {
                self.add_stream(Some(&rec));
            }
        }
    }

    /// A writer that takes 100 streams and refuses the 101st with AVK_E_LIMIT.
    pub(crate) fn stream_limit(&mut self) {
        let no = {
            let mut pool = self.pool();
            pool.next_writer += 1;
            pool.next_writer
        };
        let scratch = Scratch::new(&format!("ffi-{}-{no}-limit.avi", self.seed.seed));
        let path = CString::new(scratch.path().to_str().unwrap()).unwrap();
        let mut out: *mut avk_writer = null_mut();
        // SAFETY: valid pointers.
        let s = unsafe { avk_writer_create(path.as_ptr(), null(), &mut out) };
        if check(Func::Create, s, OK, false, "avk_writer_create") != AVK_OK {
            return;
        }
        let w = new_writer_rec(no, out as usize, Some(scratch), None, true, false);
        w.skip_readers.store(true, Relaxed);
        for i in 0..101 {
            let mut handle: usize = SENTINEL;
            // SAFETY: valid pointers; NULL options are the PCM defaults.
            let s = unsafe {
                avk_writer_add_audio_stream(out, null(), (&mut handle as *mut usize).cast())
            };
            let expect = if i < 100 { OK } else { LIMIT };
            check(
                Func::AddStream,
                s,
                expect,
                false,
                "add stream towards the limit",
            );
            if s == AVK_OK {
                lock(&w.streams).push(StreamRec {
                    video: false,
                    handle,
                    index: i,
                    frame_len: 0,
                    align: 4,
                    codec: Codec::Raw,
                    width: 0,
                    height: 0,
                    input_format: 0,
                });
            } else {
                ensure!(
                    handle == SENTINEL,
                    "add stream wrote its out-pointer on failure"
                );
            }
        }
        self.pool().writers.push(w);
    }

    pub(crate) fn close_random(&mut self) {
        if self.rng.percent(15) {
            let arg = self.dead(Kind::Writer);
            // SAFETY: a handle value.
            let s = unsafe { avk_writer_close(arg.value as _) };
            check(
                Func::Close,
                s,
                HANDLE,
                false,
                "avk_writer_close of a dead handle",
            );
            return;
        }
        let writers = self.live_writers();
        if let Some(w) = self.rng.pick(&writers).cloned() {
            self.close(&w);
        }
    }

    /// Closes `w` (maybe concurrently with another thread); the thread whose close succeeds
    /// checks the callbacks and retires the writer.
    pub(crate) fn close(&mut self, w: &Arc<WriterRec>) {
        self.close_with(w, false);
    }

    pub(crate) fn close_with(&mut self, w: &Arc<WriterRec>, force: bool) {
        if w.closing.swap(true, SeqCst) && !force && serial_close() {
            return;
        }
        // SAFETY: a handle value.
        let s = unsafe { avk_writer_close(w.handle as _) };
        let expect = OK | HANDLE | STATE | if w.can_fail() { IO } else { 0 };
        check(Func::Close, s, expect, false, "avk_writer_close");
        if s == AVK_E_INVALID_HANDLE {
            return;
        }
        if w.close_won.swap(true, SeqCst) {
            fault(format!("two closes of writer {} succeeded", w.no));
            return;
        }
        after_close(w, s);
        {
            let mut pool = self.pool();
            pool.writers.retain(|x| !Arc::ptr_eq(x, w));
            let rng = &mut self.rng;
            pool.push_stale(Kind::Writer, w.handle, rng);
            for st in w.streams() {
                let kind = if st.video { Kind::Video } else { Kind::Audio };
                pool.push_stale(kind, st.handle, rng);
            }
            let dead: Vec<usize> = pool
                .asyncs
                .iter()
                .filter(|a| Arc::ptr_eq(&a.writer, w))
                .map(|a| a.handle)
                .collect();
            pool.asyncs.retain(|a| !Arc::ptr_eq(&a.writer, w));
            for h in dead {
                pool.push_stale(Kind::Async, h, rng);
            }
            pool.retired.push(w.clone());
        }
        self.stat(5);
        if self.rng.percent(30) {
            // SAFETY: a handle value.
            let s = unsafe { avk_writer_close(w.handle as _) };
            check(Func::Close, s, HANDLE, false, "second avk_writer_close");
        }
    }
}

/// Checks made by the thread whose close of `w` succeeded, right after it returned.
fn after_close(w: &WriterRec, s: avk_status) {
    let streams = lock(&w.streams).len();
    // Without streams: INVALID_STATE, unless a failing sink broke the writer first.
    let io_first = s == AVK_E_IO && w.can_fail();
    ensure!(
        (s == AVK_E_INVALID_STATE) == (streams == 0) || io_first,
        "close of writer {} with {streams} streams returned {}",
        w.no,
        status_name(s)
    );
    w.close_status.store(s, SeqCst);
    w.closed.store(true, SeqCst);
    if let Some(io) = &w.io {
        ensure!(
            io.closes.load(SeqCst) == 1,
            "custom sink of writer {} closed {} times",
            w.no,
            io.closes.load(SeqCst)
        );
    }
    let used = w.next_slot.load(SeqCst).min(SLOTS);
    for slot in &w.slots[..used] {
        if slot.begun.load(Acquire) == BEGUN_OK && slot.has_callback.load(Relaxed) {
            let n = slot.callbacks.load(SeqCst);
            ensure!(
                n == 1,
                "writer {} slot {}: begin returned OK, close returned, callback ran {n} times",
                w.no,
                slot.index
            );
        }
    }
}
