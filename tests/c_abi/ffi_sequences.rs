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
//! Seeds: a run (CI's too) takes the fixed seeds only (`FIXED_SEEDS`), so two runs of one
//! commit run the same seeds. `AVIKIT_RANDOM_SEEDS=1` adds seeds from a generator seeded by the
//! clock after them, for `AVIKIT_FFI_SECONDS` (default 20); which of the two runs is printed
//! first. Reproduce with
//! `AVIKIT_SEED=<seed> cargo test --release --test c_abi -- ffi_sequences:: --nocapture`
//! (the seed is printed before each run and named by every failure). `AVIKIT_FFI_STEPS` sets
//! the calls per thread and seed (default 4000); `AVIKIT_FFI_SERIAL_CLOSE=1` stops two threads
//! from closing the same writer at once; `AVIKIT_FFI_READ_ALL=1` gives every cleanly closed
//! file to all the external readers, not just a sample (slow: for hunting reader quirks). Thread
//! interleavings differ between runs, so a seed reproduces the call sequence of each thread, not
//! the timing.
//!
//! The model is in ffi_sequences/: model.rs (what the test knows of writers, streams and
//! operations), driver.rs (picking arguments and the next call) and the calls it makes
//! (writers.rs, streams.rs, writes.rs, results.rs), callbacks.rs (the C callbacks), status.rs
//! (the documented statuses and the check of every call), faults.rs, run.rs (one seed) and
//! verify.rs (the outcomes and files after a seed).

mod callbacks;
mod driver;
mod faults;
mod model;
mod results;
mod run;
mod status;
mod streams;
mod verify;
mod writers;
mod writes;

use crate::common::rng::{random_seed, TestRng};
use crate::common::scratch::Scratch;
use avikit::ffi::*;
use model::NO_STATUS;
use run::{fail_if_faults, print_summary, run_seed, start_watchdog, THREADS};
use status::status_name;
use std::ffi::{c_void, CString};
use std::ptr::{null, null_mut};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize};
use std::time::{Duration, Instant};
use verify::{check_samples, Sample};

const FIXED_SEEDS: [u64; 4] = [1, 2, 0xC0FFEE, 0x5EED_F00D];

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
    let only = env_u64("AVIKIT_SEED");
    let random = random_seed();
    match (only, random) {
        (Some(_), _) => {}
        (None, Some(_)) => {
            eprintln!("ffi_sequences: the fixed seeds, then time-seeded ones for {budget:?}")
        }
        (None, None) => eprintln!(
            "ffi_sequences: the fixed seeds only (AVIKIT_RANDOM_SEEDS=1 adds time-seeded ones)"
        ),
    }
    eprint!("ffi_sequences: {THREADS} threads x {steps} calls with seeds");
    let mut run = |seed: u64, seeds: &mut Vec<u64>, samples: &mut Vec<Sample>| {
        seeds.push(seed);
        let stats = run_seed(seed, steps, samples);
        for (t, s) in totals.iter_mut().zip(stats) {
            *t += s;
        }
        fail_if_faults(seeds);
    };
    if let Some(seed) = only {
        run(seed, &mut seeds, &mut samples);
    } else {
        for seed in FIXED_SEEDS {
            run(seed, &mut seeds, &mut samples);
        }
        if let Some(random) = random {
            let mut extra = TestRng::new(random);
            while started.elapsed() < budget {
                run(extra.next_u64() >> 16, &mut seeds, &mut samples);
            }
        }
    }
    let sequences = started.elapsed();
    eprintln!();
    print_summary(seeds.len(), sequences, &totals);
    check_samples(&samples);
    DONE.store(true, Relaxed);
    fail_if_faults(&seeds);
}

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
