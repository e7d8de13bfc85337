//! Randomized sequences of C ABI calls from several threads sharing a pool of handles: live ones,
//! stale ones (closed writers, their streams, ended results), NULL, made-up values and handles of
//! the wrong type; random flags (unknown bits too), lengths (wrong DIB, pixel and audio lengths),
//! NULL data, NULL out-pointers, options with bad fields or sizes; file writers and custom sinks
//! that fail; RAW DIB, AVK_VIDEO_UNCOMPRESSED, AVK_VIDEO_MJPEG and AVK_VIDEO_H264 video (any input format and
//! stride), PCM and RAW audio; callbacks that query, end, cancel, wait, flush, close and begin
//! from inside.
//!
//! Invariants: nothing crashes, panics or hangs (a watchdog aborts naming the seed); every status
//! is one the header documents for that function, and the one the situation calls for (a known
//! dead handle is AVK_E_INVALID_HANDLE, a valid call on a live writer is AVK_OK, ...); never
//! AVK_E_PANIC; after every failure the calling thread's avk_last_error_message is non-empty;
//! out-pointers are untouched on failure; every begin that returned AVK_OK with a callback has run
//! it exactly once when its writer's close returns, and a failed begin never runs it; a cancel
//! that returned AVK_OK makes the operation AVK_E_CANCELED and nothing else does (file writers
//! cannot fail otherwise); at most one end or close of a handle succeeds; a custom sink is closed
//! exactly once. Files closed with AVK_OK are read back: every data chunk is the payload of an
//! operation that did not fail (converted pictures carry their operation in their color), each
//! at most once, every operation known to have succeeded is there, in callback order (encoded
//! frames are only counted); the idx1 matches; a sample goes through avi_check.
//!
//! Reproduce with `AVIKIT_SEED=<seed> cargo test --release --test ffi_sequences -- --nocapture`
//! (the seed is printed before each run and named by every failure). `AVIKIT_FFI_SECONDS`
//! (default 20) bounds the time spent on extra seeds after the fixed ones; `AVIKIT_FFI_STEPS`
//! sets the calls per thread and seed (default 4000); `AVIKIT_FFI_SERIAL_CLOSE=1` stops two
//! threads from closing the same writer at once; `AVIKIT_FFI_READ_ALL=1` gives every cleanly
//! closed file to all the external readers, not just a sample (slow: for hunting reader
//! quirks). Thread interleavings differ between runs, so a seed reproduces the call sequence of
//! each thread, not the timing.

mod common;

use avikit::ffi::*;
use common::*;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr::{null, null_mut};
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Written into out-pointers before a call: it must still be there when the call failed.
const SENTINEL: usize = 0xA5A5_5A5A_A5A5_5A5A_u64 as usize;
/// Operations per writer (slots for their counters).
const SLOTS: usize = 1200;
const THREADS: usize = 3;
const FIXED_SEEDS: [u64; 4] = [1, 2, 0xC0FFEE, 0x5EED_F00D];
/// Fake handle values; none is a live handle.
const FAKES: [usize; 5] = [0x1234_5678, 1, usize::MAX, 0x10, 0xDEAD_BEEF_0000];

// ---------------------------------------------------------------------------------------------
// Faults: recorded, never panicking mid-sequence (that would free buffers the library may still
// read, and a panic inside an extern "C" callback aborts).

static FAULTS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static FAULT_COUNT: AtomicUsize = AtomicUsize::new(0);
/// Bumped by every call; the watchdog aborts when it stops moving.
static PROGRESS: AtomicU64 = AtomicU64::new(0);
static CURRENT_SEED: AtomicU64 = AtomicU64::new(0);
/// How often each function returned each status (coverage report).
static HISTOGRAM: [[AtomicU64; 14]; 13] = [const { [const { AtomicU64::new(0) }; 14] }; 13];
/// Files read back and data chunks matched to their operations.
static FILES_VERIFIED: AtomicU64 = AtomicU64::new(0);
static CHUNKS_VERIFIED: AtomicU64 = AtomicU64::new(0);
static CONVERTED_VERIFIED: AtomicU64 = AtomicU64::new(0);
static ENCODED_COUNTED: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static WHERE: RefCell<String> = const { RefCell::new(String::new()) };
    /// Set on the test's own threads: a callback must never run on one of them.
    static TEST_THREAD: Cell<bool> = const { Cell::new(false) };
    /// This thread's last error message as last read, to check successes leave it alone.
    static LAST_MESSAGE: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn fault(msg: String) {
    FAULT_COUNT.fetch_add(1, Relaxed);
    let at = WHERE.with(|w| w.borrow().clone());
    let mut faults = lock(&FAULTS);
    if faults.len() < 40 {
        faults.push(format!("seed {} [{at}] {msg}", CURRENT_SEED.load(Relaxed)));
    }
}

macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            fault(format!($($arg)*));
        }
    };
}

fn set_where(text: String) {
    WHERE.with(|w| *w.borrow_mut() = text);
}

// ---------------------------------------------------------------------------------------------
// Status tables, from the header's "Errors" paragraphs.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Create,
    CreateIo,
    AddStream,
    WriteSync,
    Begin,
    End,
    Flush,
    BeginFlush,
    Close,
    Getter,
    ResultGetter,
    Wait,
    Cancel,
}

const fn bit(s: avk_status) -> u32 {
    1 << s
}

const OK: u32 = bit(AVK_OK);
const ARG: u32 = bit(AVK_E_INVALID_ARGUMENT);
const HANDLE: u32 = bit(AVK_E_INVALID_HANDLE);
const STATE: u32 = bit(AVK_E_INVALID_STATE);
const IO: u32 = bit(AVK_E_IO);
const CANCELED: u32 = bit(AVK_E_CANCELED);
const TIMEOUT: u32 = bit(AVK_E_TIMEOUT);
const UNSUPPORTED: u32 = bit(AVK_E_UNSUPPORTED);
const LIMIT: u32 = bit(AVK_E_LIMIT);
const FAILED: u32 = bit(AVK_E_WRITER_FAILED);
const DEADLOCK: u32 = bit(AVK_E_WOULD_DEADLOCK);
const ENCODER: u32 = bit(AVK_E_ENCODER);
/// The statuses an operation itself can end with.
const OP_STATUSES: u32 = OK | IO | FAILED | CANCELED | ENCODER;

/// Every status the header documents for `f` (WOULD_DEADLOCK only inside callbacks).
fn documented(f: Func, in_callback: bool) -> u32 {
    let (base, deadlock) = match f {
        Func::Create => (OK | ARG | IO | UNSUPPORTED, false),
        Func::CreateIo => (OK | ARG | UNSUPPORTED, false),
        Func::AddStream => (OK | HANDLE | ARG | UNSUPPORTED | STATE | LIMIT, false),
        Func::WriteSync => (OK | HANDLE | ARG | LIMIT | IO | FAILED | ENCODER, true),
        // WOULD_DEADLOCK: max_queued_bytes reached inside a callback.
        Func::Begin => (OK | HANDLE | ARG | LIMIT, true),
        Func::End => (HANDLE | ARG | OP_STATUSES, true),
        Func::Flush => (OK | HANDLE | ARG | IO | FAILED, true),
        Func::BeginFlush => (OK | HANDLE | ARG, false),
        Func::Close => (OK | HANDLE | STATE | IO, true),
        Func::Getter => (OK | HANDLE | ARG, false),
        Func::ResultGetter => (OK | HANDLE | ARG | STATE, false),
        Func::Wait => (OK | TIMEOUT | HANDLE, true),
        Func::Cancel => (OK | STATE | HANDLE, false),
    };
    base | if deadlock && in_callback { DEADLOCK } else { 0 }
}

/// The statuses a call on writer `w` may return: a stale handle (`w` None or `dead`) or bad
/// arguments fail fast; a writer being closed by another thread may turn the handle stale
/// mid-call; a call that `runs` a write or flush before returning also reports the writer's I/O
/// failures, one that only queues does not.
fn call_expect(w: Option<&WriterRec>, dead: bool, bad: bool, runs: bool) -> u32 {
    match w {
        Some(w) if !dead => {
            let closing = if w.closing.load(SeqCst) { HANDLE } else { 0 };
            let good = if runs && w.can_fail() {
                OK | IO | FAILED
            } else {
                OK
            };
            closing | if bad { ARG } else { good }
        }
        _ => HANDLE | if bad { ARG } else { 0 },
    }
}

fn status_name(s: avk_status) -> String {
    // SAFETY: avk_status_name returns a static NUL-terminated string.
    unsafe { CStr::from_ptr(avk_status_name(s)) }
        .to_string_lossy()
        .into_owned()
}

fn names(mask: u32) -> String {
    (0..32)
        .filter(|s| mask & (1 << s) != 0)
        .map(|s| status_name(s as avk_status))
        .collect::<Vec<_>>()
        .join("|")
}

/// Checks status `s` of `f` against the documentation and against `expect`, then the last error
/// message of this thread: non-empty after a failure, unchanged after a success.
fn check(f: Func, s: avk_status, expect: u32, in_callback: bool, what: &str) -> avk_status {
    PROGRESS.fetch_add(1, Relaxed);
    if (0..14).contains(&s) {
        HISTOGRAM[f as usize][s as usize].fetch_add(1, Relaxed);
    }
    let doc = documented(f, in_callback);
    if !(0..32).contains(&s) || doc & bit(s) == 0 {
        fault(format!(
            "{what}: {f:?} returned {s} ({}), not a documented status ({})",
            status_name(s),
            names(doc)
        ));
    } else if expect & bit(s) == 0 {
        fault(format!(
            "{what}: returned {}, expected {}",
            status_name(s),
            names(expect)
        ));
    }
    check_last_error(s, what);
    s
}

fn read_last_error() -> Vec<u8> {
    // SAFETY: a NULL buffer of length 0 asks for the length only.
    let full = unsafe { avk_last_error_message(null_mut(), 0) };
    let mut buf = vec![0x7Fu8; full.max(1)];
    // SAFETY: `buf` is writable for its length.
    let again = unsafe { avk_last_error_message(buf.as_mut_ptr().cast(), buf.len()) };
    ensure!(
        again == full,
        "last error length changed from {full} to {again}"
    );
    ensure!(
        full >= 1 && buf[full - 1] == 0 && !buf[..full - 1].contains(&0),
        "last error message is not one NUL-terminated string of length {full}"
    );
    buf.truncate(full.saturating_sub(1));
    buf
}

fn check_last_error(s: avk_status, what: &str) {
    let previous = LAST_MESSAGE.with(|m| m.borrow().clone());
    if s == AVK_OK {
        if let Some(previous) = previous {
            if PROGRESS.load(Relaxed) % 8 == 0 {
                let now = read_last_error();
                ensure!(
                    now == previous,
                    "{what}: a successful call changed the last error message"
                );
            }
        }
        return;
    }
    let message = read_last_error();
    ensure!(
        !message.is_empty(),
        "{what}: failed with {} but the last error message is empty",
        status_name(s)
    );
    ensure!(
        std::str::from_utf8(&message).is_ok(),
        "{what}: last error message is not UTF-8"
    );
    if message.len() > 4 && PROGRESS.load(Relaxed) % 5 == 0 {
        let mut small = [0x7Fu8; 4];
        // SAFETY: writable for 4 bytes.
        let full = unsafe { avk_last_error_message(small.as_mut_ptr().cast(), 4) };
        ensure!(
            full == message.len() + 1 && small[3] == 0 && small[..3] == message[..3],
            "{what}: truncated last error message is wrong"
        );
    }
    LAST_MESSAGE.with(|m| *m.borrow_mut() = Some(message));
}

// ---------------------------------------------------------------------------------------------
// Writers, streams, operations.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Writer,
    Video,
    Audio,
    Async,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpKind {
    Video,
    Audio,
    Flush,
    SyncWrite,
}

const BEGUN_OK: u32 = 1;
const BEGUN_FAILED: u32 = 2;
const NO_STATUS: i32 = -1;

/// Callback plan bits.
const CB_QUERY: u32 = 1;
const CB_FLUSH: u32 = 2;
const CB_CLOSE: u32 = 4;
const CB_BEGIN: u32 = 8;
const CB_END_SELF: u32 = 16;
const CB_WAIT_LAST: u32 = 32;
const CB_CANCEL_LAST: u32 = 64;
const CB_SYNC_WRITE: u32 = 128;
const CB_BEGIN_FLUSH: u32 = 256;

/// The counters of one operation; its address is the operation's user_state.
struct OpSlot {
    index: u32,
    writer: AtomicPtr<WriterRec>,
    kind: Mutex<Option<OpKind>>,
    /// Stream number in the file (writes).
    stream: AtomicU32,
    has_callback: AtomicBool,
    has_out: AtomicBool,
    plan: AtomicU32,
    depth: AtomicU32,
    begun: AtomicU32,
    callbacks: AtomicU32,
    callback_status: AtomicI32,
    /// Status of the end (or of the synchronous write) that released it.
    end_status: AtomicI32,
    cancel_ok: AtomicBool,
}

/// How a video stream turns written frames into chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Codec {
    /// AVK_VIDEO_RAW with fourcc 0: a DIB written as given (or audio).
    Raw,
    /// AVK_VIDEO_UNCOMPRESSED: pixels converted into a DIB of `out_bits`.
    Converted { out_bits: u32 },
    /// AVK_VIDEO_MJPEG.
    Mjpeg,
    /// AVK_VIDEO_H264.
    H264,
}

impl Codec {
    /// Encoded chunks cannot be traced to their operation: they are counted instead.
    fn compressed(self) -> bool {
        matches!(self, Codec::Mjpeg | Codec::H264)
    }
}

#[derive(Clone, Copy, Debug)]
struct StreamRec {
    video: bool,
    handle: usize,
    /// Stream number in the file.
    index: u32,
    /// Exact length of a written frame (a DIB, or input pixels of an encoding stream), or the
    /// block alignment (audio).
    frame_len: usize,
    align: usize,
    codec: Codec,
    width: u32,
    height: u32,
    /// Encoding streams: AVK_PIXEL_* of the input.
    input_format: i32,
}

impl StreamRec {
    /// The bytes of operation `slot` of writer `no`, `len` long: tagged bytes, or for encoding
    /// streams (at the right length) a picture of one color naming the slot.
    fn frame(&self, no: u16, slot: u32, len: usize) -> Vec<u8> {
        if self.codec == Codec::Raw || len != self.frame_len {
            return payload(no, slot, len);
        }
        let bgr = [slot as u8, (slot >> 8) as u8, no as u8];
        let pixel: Vec<u8> = match self.input_format {
            AVK_PIXEL_BGRA32 => vec![bgr[0], bgr[1], bgr[2], 0x80],
            AVK_PIXEL_RGBA32 => vec![bgr[2], bgr[1], bgr[0], 0x80],
            AVK_PIXEL_BGR24 => bgr.to_vec(),
            _ => vec![bgr[2], bgr[1], bgr[0]],
        };
        let pitch = len / self.height as usize;
        let mut frame = vec![0xEE; len];
        for row in frame.chunks_exact_mut(pitch) {
            for px in row[..self.width as usize * pixel.len()].chunks_exact_mut(pixel.len()) {
                px.copy_from_slice(&pixel);
            }
        }
        frame
    }
}

/// A custom sink in memory; can fail from its Nth write or on flush.
struct IoSink {
    bytes: Mutex<Vec<u8>>,
    calls: AtomicU64,
    fail_from: Option<u64>,
    fail_flush: bool,
    closes: AtomicU32,
}

struct WriterRec {
    no: u16,
    handle: usize,
    file: Mutex<Option<Scratch>>,
    io: Option<Box<IoSink>>,
    emit_idx1: bool,
    bounded: bool,
    streams: Mutex<Vec<StreamRec>>,
    /// A write or flush with valid arguments was attempted: adding streams may be refused.
    maybe_started: AtomicBool,
    closing: AtomicBool,
    close_won: AtomicBool,
    closed: AtomicBool,
    close_status: AtomicI32,
    slots: Box<[OpSlot]>,
    next_slot: AtomicUsize,
    /// Payloads passed without AVK_WRITE_COPY live here until the writer is dropped.
    arena: Mutex<Vec<Box<[u8]>>>,
    /// Slots in the order their callbacks ran.
    callback_log: Mutex<Vec<u32>>,
    /// The last result handed out by a begin with an out-pointer, for callbacks to poke at.
    last_async: AtomicUsize,
    /// Not checked by external readers (e.g. 100 empty streams).
    skip_readers: AtomicBool,
}

impl WriterRec {
    fn can_fail(&self) -> bool {
        self.io
            .as_ref()
            .is_some_and(|io| io.fail_from.is_some() || io.fail_flush)
    }

    fn alloc_slot(&self, kind: OpKind) -> Option<&OpSlot> {
        let i = self.next_slot.fetch_add(1, Relaxed);
        let slot = self.slots.get(i)?;
        *lock(&slot.kind) = Some(kind);
        Some(slot)
    }

    fn streams(&self) -> Vec<StreamRec> {
        lock(&self.streams).clone()
    }

    /// The statuses an operation of this writer can end with.
    fn op_statuses(&self) -> u32 {
        if self.can_fail() {
            OP_STATUSES
        } else {
            OK | CANCELED
        }
    }
}

fn new_writer_rec(
    no: u16,
    handle: usize,
    file: Option<Scratch>,
    io: Option<Box<IoSink>>,
    emit_idx1: bool,
    bounded: bool,
) -> Arc<WriterRec> {
    let rec = Arc::new(WriterRec {
        no,
        handle,
        file: Mutex::new(file),
        io,
        emit_idx1,
        bounded,
        streams: Mutex::new(Vec::new()),
        maybe_started: AtomicBool::new(false),
        closing: AtomicBool::new(false),
        close_won: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        close_status: AtomicI32::new(NO_STATUS),
        slots: (0..SLOTS as u32)
            .map(|index| OpSlot {
                index,
                writer: AtomicPtr::new(null_mut()),
                kind: Mutex::new(None),
                stream: AtomicU32::new(u32::MAX),
                has_callback: AtomicBool::new(false),
                has_out: AtomicBool::new(false),
                plan: AtomicU32::new(0),
                depth: AtomicU32::new(0),
                begun: AtomicU32::new(0),
                callbacks: AtomicU32::new(0),
                callback_status: AtomicI32::new(NO_STATUS),
                end_status: AtomicI32::new(NO_STATUS),
                cancel_ok: AtomicBool::new(false),
            })
            .collect(),
        next_slot: AtomicUsize::new(0),
        arena: Mutex::new(Vec::new()),
        callback_log: Mutex::new(Vec::new()),
        last_async: AtomicUsize::new(0),
        skip_readers: AtomicBool::new(false),
    });
    let ptr = Arc::as_ptr(&rec) as *mut WriterRec;
    for slot in rec.slots.iter() {
        slot.writer.store(ptr, Relaxed);
    }
    rec
}

/// The payload of operation `slot` of writer `no`: a tag, then bytes derived from it.
fn payload(no: u16, slot: u32, len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len];
    for (i, b) in p.iter_mut().enumerate() {
        *b = (slot as usize * 13 + i * 7 + no as usize * 3) as u8;
    }
    if len >= 12 {
        p[0] = b'A';
        p[1] = b'K';
        p[2..4].copy_from_slice(&no.to_le_bytes());
        p[4..8].copy_from_slice(&slot.to_le_bytes());
        p[8..12].copy_from_slice(&(len as u32).to_le_bytes());
    }
    p
}

// ---------------------------------------------------------------------------------------------
// The custom sink's C callbacks.

unsafe extern "C" fn io_write(user: *mut c_void, offset: u64, data: *const u8, len: usize) -> i32 {
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

unsafe extern "C" fn io_flush(user: *mut c_void) -> i32 {
    // SAFETY: as in io_write.
    let sink = unsafe { &*(user as *const IoSink) };
    if sink.fail_flush {
        -1
    } else {
        0
    }
}

unsafe extern "C" fn io_close(user: *mut c_void) {
    // SAFETY: as in io_write.
    let sink = unsafe { &*(user as *const IoSink) };
    sink.closes.fetch_add(1, Relaxed);
}

// ---------------------------------------------------------------------------------------------
// The completion callback.

/// Runs on the library's thread: counts, checks its own result, and does what the slot's plan
/// says. Never panics (that would abort): faults are recorded.
unsafe extern "C" fn on_complete(result: *mut avk_async, user_state: *mut c_void) {
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
fn cancel_and_record(handle: usize, in_callback: bool) -> avk_status {
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

fn record_end(slot: &OpSlot, s: avk_status) {
    let old = slot.end_status.swap(s, SeqCst);
    ensure!(
        old == NO_STATUS,
        "two ends of slot {} succeeded ({} then {})",
        slot.index,
        status_name(old),
        status_name(s)
    );
}

// ---------------------------------------------------------------------------------------------
// The shared pool of handles.

#[derive(Clone)]
struct AsyncRef {
    handle: usize,
    writer: Arc<WriterRec>,
    kind: OpKind,
    /// The stream (or, for flushes, writer) handle that ends it.
    owner: usize,
    slot: u32,
}

#[derive(Default)]
struct Pool {
    writers: Vec<Arc<WriterRec>>,
    retired: Vec<Arc<WriterRec>>,
    asyncs: Vec<AsyncRef>,
    /// Handles known to be dead: of closed writers, and ended results.
    stale: Vec<(Kind, usize)>,
    next_writer: u16,
}

impl Pool {
    fn push_stale(&mut self, kind: Kind, handle: usize, rng: &mut TestRng) {
        if self.stale.len() < 256 {
            self.stale.push((kind, handle));
        } else {
            let i = rng.below(256) as usize;
            self.stale[i] = (kind, handle);
        }
    }
}

struct Seed {
    seed: u64,
    pool: Mutex<Pool>,
    /// A valid buffer, never written, for calls whose handle is not expected to work.
    junk: Box<[u8]>,
    stats: Mutex<[u64; 16]>,
}

/// A handle argument and whether it is certainly dead.
#[derive(Clone, Copy, Debug)]
struct Arg {
    value: usize,
    dead: bool,
}

struct Driver<'a> {
    seed: &'a Seed,
    rng: TestRng,
    thread: usize,
}

impl<'a> Driver<'a> {
    fn pool(&self) -> MutexGuard<'a, Pool> {
        lock(&self.seed.pool)
    }

    fn stat(&self, i: usize) {
        lock(&self.seed.stats)[i] += 1;
    }

    /// A certainly dead handle for `kind`: stale, NULL, fake, or a live handle of another kind.
    fn dead(&mut self, kind: Kind) -> Arg {
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

    fn live_writers(&self) -> Vec<Arc<WriterRec>> {
        self.pool().writers.clone()
    }

    /// A live (or believed live) writer, or a dead handle.
    fn writer_arg(&mut self) -> (Arg, Option<Arc<WriterRec>>) {
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

    fn stream_arg(&mut self, video: bool) -> (Arg, Option<(Arc<WriterRec>, StreamRec)>) {
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

    fn async_arg(&mut self) -> (Arg, Option<AsyncRef>) {
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

    fn step(&mut self, n: usize) {
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

    fn create_writer(&mut self) {
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

    /// Adds a stream to `to`, or (None) tries random arguments on a random writer handle.
    fn add_stream(&mut self, to: Option<&Arc<WriterRec>>) {
        let (warg, w) = match to {
            Some(w) => (
                Arg {
                    value: w.handle,
                    dead: false,
                },
                Some(w.clone()),
            ),
            None => self.writer_arg(),
        };
        let random = to.is_none();
        let video = self.rng.percent(50);
        let null_out = random && self.rng.percent(4);
        let mut expect_bad = 0u32;
        let name_ok = CString::new(if video { "camera" } else { "mic" }).unwrap();
        let name_bad: &[u8] = b"bad\xff\xfename\0";
        let dims = [
            (4u32, 4u32, 8u32),
            (5, 3, 24),
            (8, 2, 16),
            (3, 3, 32),
            (7, 5, 24),
            (16, 16, 32),
        ];
        let (width, height, bpp) = *self.rng.pick(&dims).unwrap();
        // SAFETY: all-zero bytes are a valid avk_video_stream_options (integers and NULL pointers).
        let mut vopts: avk_video_stream_options = unsafe { std::mem::zeroed() };
        // SAFETY: writable struct.
        unsafe { avk_video_stream_options_init(&mut vopts) };
        vopts.width = width;
        vopts.height = height;
        vopts.bits_per_pixel = bpp;
        vopts.name = if self.rng.percent(50) {
            name_ok.as_ptr()
        } else {
            null()
        };
        // Encoding streams: converted pixels, MJPEG or H.264, any input format and stride.
        let mut codec = Codec::Raw;
        let encoding = self.rng.below(100);
        if encoding < 45 {
            vopts.input_format = self.rng.below(4) as i32;
            let pixel = if vopts.input_format <= AVK_PIXEL_RGBA32 {
                4
            } else {
                3
            };
            let row = (width * pixel) as i32;
            vopts.input_stride = match self.rng.below(3) {
                0 => 0,
                1 => row + self.rng.below(6) as i32,
                _ => -(row + self.rng.below(6) as i32),
            };
            // OpenH264 takes even sizes from 16x16.
            let h264_size = width % 2 == 0 && height % 2 == 0 && width.min(height) >= 16;
            if encoding < 25 || !cfg!(feature = "mjpeg") {
                vopts.codec = AVK_VIDEO_UNCOMPRESSED;
                vopts.bits_per_pixel = *self.rng.pick(&[24, 32]).unwrap();
                codec = Codec::Converted {
                    out_bits: vopts.bits_per_pixel,
                };
            } else if encoding < 40 && cfg!(feature = "h264") && h264_size {
                vopts.codec = AVK_VIDEO_H264;
                vopts.quality = self.rng.range(1, 100) as u32;
                vopts.keyframe_interval = self.rng.below(4) as u32;
                codec = Codec::H264;
            } else {
                vopts.codec = AVK_VIDEO_MJPEG;
                vopts.quality = self.rng.range(1, 100) as u32;
                codec = Codec::Mjpeg;
            }
        }
        // SAFETY: all-zero bytes are a valid avk_audio_stream_options (integers and NULL pointers).
        let mut aopts: avk_audio_stream_options = unsafe { std::mem::zeroed() };
        // SAFETY: writable struct.
        unsafe { avk_audio_stream_options_init(&mut aopts) };
        let formats = [(2u32, 16u32), (1, 16), (1, 8), (2, 8)];
        let (channels, bits) = *self.rng.pick(&formats).unwrap();
        aopts.channels = channels;
        aopts.bits_per_sample = bits;
        aopts.sample_rate = *self.rng.pick(&[8000u32, 22050, 44100, 48000]).unwrap();
        if self.rng.percent(20) {
            aopts.codec = AVK_AUDIO_RAW;
            aopts.format_tag = 1;
        }
        aopts.name = if self.rng.percent(50) {
            name_ok.as_ptr()
        } else {
            null()
        };
        let mut null_opts = false;
        if random && self.rng.percent(25) {
            let (bad, code) = match self.rng.below(9) {
                0 => (0, ARG), // width 0 / channels 0
                1 => (1, ARG), // bits
                // A codec that is not built in, or H.264 at an odd width when all are.
                2 => (
                    2,
                    if cfg!(all(feature = "mjpeg", feature = "h264")) {
                        ARG
                    } else {
                        UNSUPPORTED
                    },
                ),
                3 => (3, ARG), // unknown codec
                4 => (4, ARG), // struct_size
                5 => (5, ARG), // name not UTF-8
                6 => (6, ARG), // video: unknown input format; audio: rate 0
                7 => (7, ARG), // NULL video options
                _ => (8, ARG), // huge RAW fields / block_align
            };
            expect_bad = code;
            match (video, bad) {
                (true, 0) => vopts.width = 0,
                (true, 1) if codec.compressed() => {
                    vopts.quality = *self.rng.pick(&[0, 101]).unwrap()
                }
                (true, 1) if codec != Codec::Raw && self.rng.percent(50) => vopts.input_stride = 1,
                (true, 1) if codec == Codec::Raw => vopts.bits_per_pixel = 12,
                (true, 1) => vopts.bits_per_pixel = *self.rng.pick(&[12, 16]).unwrap(),
                (true, 2) if cfg!(all(feature = "mjpeg", feature = "h264")) => {
                    vopts.codec = AVK_VIDEO_H264;
                    vopts.width = 5;
                    vopts.input_stride = 0;
                }
                (true, 2) => {
                    vopts.codec = if cfg!(feature = "h264") {
                        AVK_VIDEO_MJPEG
                    } else {
                        AVK_VIDEO_H264
                    }
                }
                (true, 3) => vopts.codec = *self.rng.pick(&[4, -1, 1000]).unwrap(),
                (true, 4) => vopts.struct_size = *self.rng.pick(&[0, 2, 9, 4096]).unwrap(),
                (true, 5) => vopts.name = name_bad.as_ptr().cast(),
                (true, 6) => vopts.input_format = 9,
                (true, 7) => null_opts = true,
                (true, _) => vopts.bits_per_pixel = 70000,
                (false, 0) => aopts.channels = 0,
                (false, 1) => {
                    aopts.codec = AVK_AUDIO_PCM;
                    aopts.bits_per_sample = 12;
                }
                (false, 2) => {
                    // MP3 is built in (LAME is installed for the tests): an invalid bitrate.
                    aopts.codec = AVK_AUDIO_MP3;
                    aopts.bitrate_kbps = 100;
                    expect_bad = ARG;
                }
                (false, 3) => aopts.codec = *self.rng.pick(&[3, -2, 77]).unwrap(),
                (false, 4) => aopts.struct_size = *self.rng.pick(&[0, 1, 10, 9999]).unwrap(),
                (false, 5) => aopts.name = name_bad.as_ptr().cast(),
                (false, 6) => aopts.sample_rate = 0,
                (false, 7) => {
                    // NULL audio options are the defaults: valid.
                    null_opts = true;
                    expect_bad = 0;
                }
                (false, _) => {
                    aopts.codec = AVK_AUDIO_RAW;
                    aopts.block_align = 70000;
                }
            }
        }
        if null_out {
            expect_bad |= ARG;
        }
        let mut out: usize = SENTINEL;
        let out_ptr = if null_out {
            null_mut()
        } else {
            &mut out as *mut usize
        };
        // Adds are serialized per writer so that the order of successes is the stream order.
        let guard = w.as_ref().map(|w| lock(&w.streams));
        // SAFETY: valid structs or NULL; `out_ptr` writable or NULL.
        let s = unsafe {
            if video {
                avk_writer_add_video_stream(
                    warg.value as _,
                    if null_opts { null() } else { &vopts },
                    out_ptr.cast(),
                )
            } else {
                avk_writer_add_audio_stream(
                    warg.value as _,
                    if null_opts { null() } else { &aopts },
                    out_ptr.cast(),
                )
            }
        };
        let mut expect = if warg.dead {
            HANDLE | expect_bad
        } else if expect_bad != 0 {
            expect_bad
        } else {
            OK
        };
        if let Some(w) = &w {
            if w.closing.load(SeqCst) {
                expect |= HANDLE;
            }
            if w.maybe_started.load(SeqCst) {
                expect |= STATE;
            }
            if guard.as_ref().is_some_and(|g| g.len() >= 100) {
                expect |= LIMIT;
            }
        }
        check(Func::AddStream, s, expect, false, "avk_writer_add_*_stream");
        if s != AVK_OK {
            ensure!(
                out == SENTINEL,
                "add stream wrote its out-pointer on failure"
            );
            return;
        }
        let Some(mut streams) = guard.filter(|_| !null_out) else {
            return;
        };
        {
            let align = if video {
                0
            } else if null_opts {
                4
            } else {
                (aopts.channels * aopts.bits_per_sample / 8) as usize
            };
            let frame_len = match codec {
                _ if !video => 0,
                Codec::Raw => (width as usize * bpp as usize).div_ceil(32) * 4 * height as usize,
                _ => {
                    let pixel = if vopts.input_format <= AVK_PIXEL_RGBA32 {
                        4
                    } else {
                        3
                    };
                    let pitch = match vopts.input_stride {
                        0 => (width * pixel) as usize,
                        s => s.unsigned_abs() as usize,
                    };
                    pitch * height as usize
                }
            };
            let index = streams.len() as u32;
            streams.push(StreamRec {
                video,
                handle: out,
                index,
                frame_len,
                align,
                codec: if video { codec } else { Codec::Raw },
                width,
                height,
                input_format: vopts.input_format,
            });
            self.stat(1);
        }
    }

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

    fn begin_write(&mut self) {
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

    fn sync_write(&mut self) {
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

    fn end(&mut self) {
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

    fn getters(&mut self) {
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

    fn wait(&mut self) {
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

    fn cancel(&mut self) {
        let (aarg, _) = self.async_arg();
        let s = cancel_and_record(aarg.value, false);
        ensure!(
            !aarg.dead || s == AVK_E_INVALID_HANDLE,
            "cancel of a dead handle returned {}",
            status_name(s)
        );
    }

    fn flush(&mut self) {
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

    fn begin_flush(&mut self) {
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

    fn close_random(&mut self) {
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
    fn close(&mut self, w: &Arc<WriterRec>) {
        self.close_with(w, false);
    }

    fn close_with(&mut self, w: &Arc<WriterRec>, force: bool) {
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

    /// A writer that takes 100 streams and refuses the 101st with AVK_E_LIMIT.
    fn stream_limit(&mut self) {
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
}

fn op_slot(a: &AsyncRef) -> Option<&OpSlot> {
    a.writer.slots.get(a.slot as usize)
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

// ---------------------------------------------------------------------------------------------
// After a seed: every writer is closed; check every operation and read the files back.

fn known_status(slot: &OpSlot) -> i32 {
    let c = slot.callback_status.load(SeqCst);
    let e = slot.end_status.load(SeqCst);
    if c != NO_STATUS && e != NO_STATUS && c != e {
        fault(format!(
            "slot {}: callback saw {} but end returned {}",
            slot.index,
            status_name(c),
            status_name(e)
        ));
    }
    if c != NO_STATUS {
        c
    } else {
        e
    }
}

fn verify_operations(w: &WriterRec) {
    let used = w.next_slot.load(SeqCst).min(SLOTS);
    let mut failed_seen = false;
    for &i in lock(&w.callback_log).iter() {
        let slot = &w.slots[i as usize];
        let s = slot.callback_status.load(SeqCst);
        if s == AVK_E_IO || s == AVK_E_WRITER_FAILED || s == AVK_E_ENCODER {
            failed_seen = true;
        } else if s == AVK_OK && failed_seen {
            fault(format!(
                "writer {}: slot {i} succeeded after an earlier operation failed",
                w.no
            ));
        }
    }
    let close = w.close_status.load(SeqCst);
    if failed_seen {
        ensure!(
            close == AVK_E_IO,
            "writer {}: operations failed but close returned {}",
            w.no,
            status_name(close)
        );
    }
    for slot in &w.slots[..used] {
        let kind = *lock(&slot.kind);
        let begun = slot.begun.load(SeqCst);
        let calls = slot.callbacks.load(SeqCst);
        let has_cb = slot.has_callback.load(SeqCst);
        ensure!(
            calls <= 1,
            "writer {} slot {}: {calls} callbacks",
            w.no,
            slot.index
        );
        if begun != BEGUN_OK {
            ensure!(
                calls == 0,
                "writer {} slot {} ({kind:?}): begin failed but the callback ran",
                w.no,
                slot.index
            );
        } else if has_cb {
            ensure!(
                calls == 1,
                "writer {} slot {} ({kind:?}): begin returned OK, callback ran {calls} times",
                w.no,
                slot.index
            );
        }
        let status = known_status(slot);
        if status == NO_STATUS {
            continue;
        }
        let cancel_ok = slot.cancel_ok.load(SeqCst);
        ensure!(
            (status == AVK_E_CANCELED) == cancel_ok,
            "writer {} slot {} ({kind:?}): status {} but cancel accepted: {cancel_ok}",
            w.no,
            slot.index,
            status_name(status)
        );
        ensure!(
            w.op_statuses() & bit(status) != 0,
            "writer {} slot {}: status {} on a writer that cannot fail",
            w.no,
            slot.index,
            status_name(status)
        );
    }
}

/// Reads a file closed with AVK_OK back: every data chunk is the payload of one operation of
/// this writer that did not fail, at most once, in callback order; every operation known to
/// have succeeded is there; the idx1 agrees.
fn verify_content(w: &WriterRec, bytes: &[u8]) {
    let used = w.next_slot.load(SeqCst).min(SLOTS);
    let streams = w.streams();
    let chunks = walk(bytes);
    let data = data_chunks(&chunks);
    let mut seen = vec![false; used];
    let mut order = Vec::new();
    let mut encoded = vec![0usize; streams.len()];
    for (n, d) in data.iter().enumerate() {
        let Some(st) = streams.get(d.stream) else {
            fault(format!(
                "writer {}: chunk {n} of unknown stream {}",
                w.no, d.stream
            ));
            continue;
        };
        let suffix: &[u8] = match st.codec {
            _ if !st.video => b"wb",
            Codec::Mjpeg | Codec::H264 => b"dc",
            _ => b"db",
        };
        ensure!(&d.id[2..] == suffix, "writer {}: chunk id {:?}", w.no, d.id);
        let body = &bytes[d.offset..d.offset + d.size];
        let index = match st.codec {
            Codec::Raw => {
                if d.size < 12 || &body[..2] != b"AK" {
                    fault(format!(
                        "writer {}: chunk {n} is not a payload of the test",
                        w.no
                    ));
                    continue;
                }
                let no = u16::from_le_bytes([body[2], body[3]]);
                let index = le32(body, 4) as usize;
                if no != w.no || index >= used || body != &payload(no, index as u32, d.size)[..] {
                    fault(format!(
                        "writer {}: chunk {n} (writer {no}, slot {index}) has wrong bytes",
                        w.no
                    ));
                    continue;
                }
                index
            }
            Codec::Converted { out_bits } => {
                // A DIB of one color: blue and green name the slot, red the writer.
                let bpp = out_bits as usize / 8;
                let row = st.width as usize * bpp;
                let stride = row.div_ceil(4) * 4;
                let uniform = d.size == stride * st.height as usize
                    && body
                        .chunks_exact(stride)
                        .all(|r| r[..row].chunks_exact(bpp).all(|p| p[..3] == body[..3]));
                let index = usize::from(body.first().copied().unwrap_or(0))
                    | usize::from(body.get(1).copied().unwrap_or(0)) << 8;
                if !uniform || body[2] != w.no as u8 || index >= used {
                    fault(format!(
                        "writer {}: converted chunk {n} ({} bytes) is not a picture of one \
                         operation",
                        w.no, d.size
                    ));
                    continue;
                }
                CONVERTED_VERIFIED.fetch_add(1, Relaxed);
                index
            }
            Codec::Mjpeg | Codec::H264 => {
                ENCODED_COUNTED.fetch_add(1, Relaxed);
                let well_formed = if st.codec == Codec::Mjpeg {
                    body.starts_with(&[0xFF, 0xD8]) && body.ends_with(&[0xFF, 0xD9])
                } else {
                    body.starts_with(&[0, 0, 0, 1])
                };
                ensure!(
                    well_formed,
                    "writer {}: chunk {n} of a {:?} stream is not a picture of it",
                    w.no,
                    st.codec
                );
                encoded[d.stream] += 1;
                continue;
            }
        };
        let slot = &w.slots[index];
        ensure!(
            slot.stream.load(SeqCst) == d.stream as u32,
            "writer {}: slot {index} landed in stream {}",
            w.no,
            d.stream
        );
        ensure!(!seen[index], "writer {}: slot {index} written twice", w.no);
        seen[index] = true;
        ensure!(
            slot.begun.load(SeqCst) == BEGUN_OK,
            "writer {}: slot {index} is in the file but its begin failed",
            w.no
        );
        let status = known_status(slot);
        ensure!(
            status == NO_STATUS || status == AVK_OK,
            "writer {}: slot {index} is in the file but ended with {}",
            w.no,
            status_name(status)
        );
        order.push(index as u32);
        CHUNKS_VERIFIED.fetch_add(1, Relaxed);
    }
    FILES_VERIFIED.fetch_add(1, Relaxed);
    // Encoded chunks cannot be traced to their operation: count them.
    let mut known_ok = vec![0usize; streams.len()];
    let mut unknown = vec![0usize; streams.len()];
    let is_encoded = |slot: &OpSlot| {
        streams
            .get(slot.stream.load(SeqCst) as usize)
            .is_some_and(|st| st.codec.compressed())
    };
    for slot in &w.slots[..used] {
        let kind = *lock(&slot.kind);
        if kind == Some(OpKind::Flush) || slot.begun.load(SeqCst) != BEGUN_OK {
            continue;
        }
        let status = known_status(slot);
        if is_encoded(slot) {
            let stream = slot.stream.load(SeqCst) as usize;
            match status {
                AVK_OK => known_ok[stream] += 1,
                NO_STATUS => unknown[stream] += 1,
                _ => {}
            }
        } else if status == AVK_OK {
            ensure!(
                seen[slot.index as usize],
                "writer {}: slot {} ({kind:?}) succeeded but is not in the file",
                w.no,
                slot.index
            );
        }
    }
    for (i, st) in streams.iter().enumerate() {
        if st.codec.compressed() {
            ensure!(
                (known_ok[i]..=known_ok[i] + unknown[i]).contains(&encoded[i]),
                "writer {}: {:?} stream {i} holds {} frames; {} writes succeeded, {} unknown",
                w.no,
                st.codec,
                encoded[i],
                known_ok[i],
                unknown[i]
            );
        }
    }
    let with_callback = |i: &u32| {
        let slot = &w.slots[*i as usize];
        slot.callback_status.load(SeqCst) == AVK_OK
            && *lock(&slot.kind) != Some(OpKind::Flush)
            && !is_encoded(slot)
    };
    let file_order: Vec<u32> = order.iter().copied().filter(with_callback).collect();
    let callback_order: Vec<u32> = lock(&w.callback_log)
        .iter()
        .copied()
        .filter(with_callback)
        .collect();
    ensure!(
        file_order == callback_order,
        "writer {}: callbacks ran in another order than the chunks landed",
        w.no
    );
    if w.emit_idx1 {
        check_idx1(bytes, &chunks, &data);
    } else {
        ensure!(
            !chunks.iter().any(|c| &c.id == b"idx1"),
            "writer {}: idx1 written though disabled",
            w.no
        );
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic".into())
}

/// A file kept for avi_check.
struct Sample {
    seed: u64,
    file: Scratch,
}

fn run_seed(seed: u64, steps: usize, samples: &mut Vec<Sample>) -> [u64; 16] {
    CURRENT_SEED.store(seed, Relaxed);
    // One line for all seeds: a long list must not push a failure out of a truncated CI log.
    eprint!(" {seed}");
    let state = Seed {
        seed,
        pool: Mutex::new(Pool::default()),
        junk: vec![0x11u8; 4096].into_boxed_slice(),
        stats: Mutex::new([0; 16]),
    };
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let state = &state;
            scope.spawn(move || {
                TEST_THREAD.with(|c| c.set(true));
                let mut driver = Driver {
                    seed: state,
                    rng: TestRng::new(seed ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                    thread: t,
                };
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    for n in 0..steps {
                        driver.step(n);
                    }
                }));
                if let Err(p) = run {
                    fault(format!("thread {t} panicked: {}", panic_text(p.as_ref())));
                }
            });
        }
    });
    // Close what is left, then check every writer of the seed.
    TEST_THREAD.with(|c| c.set(true));
    set_where("cleanup".into());
    let mut driver = Driver {
        seed: &state,
        rng: TestRng::new(seed),
        thread: THREADS,
    };
    for w in driver.live_writers() {
        driver.close_with(&w, true);
    }
    TEST_THREAD.with(|c| c.set(false));
    let retired = lock(&state.pool).retired.clone();
    let mut kept = 0;
    for w in &retired {
        set_where(format!("verify writer {}", w.no));
        ensure!(
            w.closed.load(SeqCst),
            "writer {} was never closed successfully",
            w.no
        );
        verify_operations(w);
        if w.close_status.load(SeqCst) != AVK_OK {
            continue;
        }
        let bytes = match (&w.io, &*lock(&w.file)) {
            (Some(io), _) => lock(&io.bytes).clone(),
            (None, Some(file)) => std::fs::read(file.path()).unwrap_or_default(),
            _ => continue,
        };
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            verify_content(w, &bytes);
        }));
        if let Err(p) = checked {
            fault(format!(
                "writer {}: file check failed: {}",
                w.no,
                panic_text(p.as_ref())
            ));
        }
        let sample = read_all() || (kept < 3 && samples.len() < 16);
        if sample && !w.skip_readers.load(Relaxed) {
            let file = match w.io {
                Some(_) => {
                    let f = Scratch::new(&format!("ffi-{seed}-{}-io.avi", w.no));
                    std::fs::write(f.path(), &bytes).unwrap();
                    Some(f)
                }
                None => lock(&w.file).take(),
            };
            if let Some(file) = file {
                samples.push(Sample { seed, file });
                kept += 1;
            }
        }
    }
    let stats = *lock(&state.stats);
    stats
}

/// Aborts the process (naming the seed) when no call or file check completes for `limit`.
fn start_watchdog(limit: Duration, done: &'static AtomicBool) {
    std::thread::spawn(move || {
        let mut last = PROGRESS.load(Relaxed);
        let mut since = Instant::now();
        while !done.load(Relaxed) {
            std::thread::sleep(Duration::from_millis(250));
            let now = PROGRESS.load(Relaxed);
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() > limit {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "ffi_sequences: no call returned for {limit:?}: hang with seed {} \
                     (reproduce with AVIKIT_SEED={})",
                    CURRENT_SEED.load(Relaxed),
                    CURRENT_SEED.load(Relaxed)
                );
                std::process::abort();
            }
        }
    });
}

/// `AVIKIT_FFI_SERIAL_CLOSE=1`: a thread does not close a writer another thread is closing
/// (to look past a_concurrent_second_close_leaves_the_handles_to_the_first while it fails).
fn serial_close() -> bool {
    static SERIAL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *SERIAL.get_or_init(|| std::env::var("AVIKIT_FFI_SERIAL_CLOSE").is_ok_and(|v| v == "1"))
}

/// `AVIKIT_FFI_READ_ALL=1`: see the module documentation.
fn read_all() -> bool {
    static READ_ALL: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *READ_ALL.get_or_init(|| std::env::var("AVIKIT_FFI_READ_ALL").is_ok_and(|v| v == "1"))
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

fn fail_if_faults(seeds: &[u64]) {
    let count = FAULT_COUNT.load(SeqCst);
    if count > 0 {
        let faults = lock(&FAULTS).clone();
        panic!(
            "\n{count} faults with seeds {seeds:?} (reproduce with AVIKIT_SEED=<seed>):\n{}",
            faults.join("\n")
        );
    }
}

#[test]
fn random_c_api_sequences() {
    static DONE: AtomicBool = AtomicBool::new(false);
    start_watchdog(Duration::from_secs(60), &DONE);
    let steps = env_u64("AVIKIT_FFI_STEPS").unwrap_or(4000) as usize;
    let budget = Duration::from_secs(env_u64("AVIKIT_FFI_SECONDS").unwrap_or(20));
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut seeds = Vec::new();
    let mut totals = [0u64; 16];
    eprint!("ffi_sequences: {THREADS} threads x {steps} calls with seeds");
    let mut run = |seed: u64, seeds: &mut Vec<u64>, samples: &mut Vec<Sample>| {
        seeds.push(seed);
        let stats = run_seed(seed, steps, samples);
        for (t, s) in totals.iter_mut().zip(stats) {
            *t += s;
        }
        fail_if_faults(seeds);
    };
    if let Some(seed) = env_u64("AVIKIT_SEED") {
        run(seed, &mut seeds, &mut samples);
    } else {
        for seed in FIXED_SEEDS {
            run(seed, &mut seeds, &mut samples);
        }
        let mut extra = TestRng::new(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64,
        );
        while started.elapsed() < budget {
            run(extra.next_u64() >> 16, &mut seeds, &mut samples);
        }
    }
    let sequences = started.elapsed();
    eprintln!();
    eprintln!(
        "ffi_sequences: {} seeds in {sequences:.2?}: {} writers created, {} streams, {} begins \
         OK, {} sync writes run, {} ends, {} closes",
        seeds.len(),
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4],
        totals[5]
    );
    eprintln!(
        "ffi_sequences: {} files read back, {} chunks matched to their operations ({} of them \
         converted pixels), {} MJPEG and H.264 frames counted",
        FILES_VERIFIED.load(Relaxed),
        CHUNKS_VERIFIED.load(Relaxed),
        CONVERTED_VERIFIED.load(Relaxed),
        ENCODED_COUNTED.load(Relaxed)
    );
    for (f, row) in [
        Func::Create,
        Func::CreateIo,
        Func::AddStream,
        Func::WriteSync,
        Func::Begin,
        Func::End,
        Func::Flush,
        Func::BeginFlush,
        Func::Close,
        Func::Getter,
        Func::ResultGetter,
        Func::Wait,
        Func::Cancel,
    ]
    .iter()
    .zip(&HISTOGRAM)
    {
        let counts: Vec<String> = row
            .iter()
            .enumerate()
            .filter(|(_, n)| n.load(Relaxed) > 0)
            .map(|(s, n)| format!("{} {}", status_name(s as i32), n.load(Relaxed)))
            .collect();
        eprintln!("  {f:?}: {}", counts.join(", "));
    }
    // External readers on a sample: the first two in full, the rest without PyAV and mediainfo.
    let checked = Instant::now();
    std::thread::scope(|scope| {
        for half in [0, 1] {
            let samples = &samples;
            scope.spawn(move || {
                for (i, s) in samples.iter().enumerate().filter(|(i, _)| i % 2 == half) {
                    let args: &[&str] = if i < 2 || read_all() {
                        &[]
                    } else {
                        &["--no-pyav", "--no-mediainfo"]
                    };
                    let run = std::panic::catch_unwind(|| avi_check(s.file.path(), args));
                    // A checked file is progress too: the watchdog looks for a stuck reader.
                    PROGRESS.fetch_add(1, Relaxed);
                    if let Err(p) = run {
                        CURRENT_SEED.store(s.seed, Relaxed);
                        fault(format!("avi_check: {}", panic_text(p.as_ref())));
                    }
                }
            });
        }
    });
    DONE.store(true, Relaxed);
    eprintln!(
        "ffi_sequences: avi_check of {} files in {:.2?}",
        samples.len(),
        checked.elapsed()
    );
    fail_if_faults(&seeds);
}

// ---------------------------------------------------------------------------------------------
// A deterministic reproduction of what the random sequences found first.

static REPRO_WRITER: AtomicUsize = AtomicUsize::new(0);
static REPRO_IN_CALLBACK: AtomicBool = AtomicBool::new(false);
static REPRO_RELEASE: AtomicBool = AtomicBool::new(false);
static REPRO_OWN_RESULT: AtomicI32 = AtomicI32::new(NO_STATUS);
static REPRO_FLUSH: AtomicI32 = AtomicI32::new(NO_STATUS);

unsafe extern "C" fn repro_callback(result: *mut avk_async, _: *mut c_void) {
    REPRO_IN_CALLBACK.store(true, SeqCst);
    let until = Instant::now() + Duration::from_secs(10);
    while !REPRO_RELEASE.load(SeqCst) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut status = NO_STATUS;
    // SAFETY: the callback's own result; `status` is writable.
    REPRO_OWN_RESULT.store(unsafe { avk_async_result(result, &mut status) }, SeqCst);
    // SAFETY: a handle value.
    let flush = unsafe { avk_writer_flush(REPRO_WRITER.load(SeqCst) as *mut avk_writer, 0) };
    REPRO_FLUSH.store(flush, SeqCst);
}

/// While one thread's avk_writer_close drains the queue, a second close from another thread
/// must answer AVK_E_INVALID_HANDLE and leave everything else alone: the running callback can
/// still query its own result, and blocking calls inside it still answer WOULD_DEADLOCK.
#[test]
fn a_concurrent_second_close_leaves_the_handles_to_the_first() {
    let file = Scratch::new("ffi-double-close.avi");
    let path = CString::new(file.path().to_str().unwrap()).unwrap();
    let mut w: *mut avk_writer = null_mut();
    let mut a: *mut avk_audio_stream = null_mut();
    let block = [0u8; 16];
    // SAFETY: valid pointers throughout; `block` outlives the writer.
    unsafe {
        assert_eq!(avk_writer_create(path.as_ptr(), null(), &mut w), AVK_OK);
        assert_eq!(avk_writer_add_audio_stream(w, null(), &mut a), AVK_OK);
        REPRO_WRITER.store(w as usize, SeqCst);
        let s = avk_audio_stream_begin_write_block(
            a,
            AVK_WRITE_COPY,
            block.as_ptr(),
            16,
            Some(repro_callback),
            null_mut(),
            null_mut(),
        );
        assert_eq!(s, AVK_OK);
    }
    while !REPRO_IN_CALLBACK.load(SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let (w_addr, a_addr) = (w as usize, a as usize);
    // SAFETY: a handle value.
    let first = std::thread::spawn(move || unsafe { avk_writer_close(w_addr as *mut avk_writer) });
    // Once begin answers INVALID_HANDLE, the first close has shut the queue.
    loop {
        // SAFETY: copied at once.
        let s = unsafe {
            avk_audio_stream_begin_write_block(
                a_addr as *mut avk_audio_stream,
                AVK_WRITE_COPY,
                block.as_ptr(),
                16,
                None,
                null_mut(),
                null_mut(),
            )
        };
        if s == AVK_E_INVALID_HANDLE {
            break;
        }
        assert_eq!(s, AVK_OK);
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: a handle value.
    let second = unsafe { avk_writer_close(w) };
    REPRO_RELEASE.store(true, SeqCst);
    let first = first.join().unwrap();
    assert_eq!(second, AVK_E_INVALID_HANDLE, "second, concurrent close");
    assert_eq!(first, AVK_OK, "first close");
    assert_eq!(
        status_name(REPRO_OWN_RESULT.load(SeqCst)),
        "AVK_OK",
        "avk_async_result of the callback's own result, after the second close returned"
    );
    assert_eq!(
        status_name(REPRO_FLUSH.load(SeqCst)),
        "AVK_E_WOULD_DEADLOCK",
        "avk_writer_flush inside a callback, after the second close returned"
    );
}
