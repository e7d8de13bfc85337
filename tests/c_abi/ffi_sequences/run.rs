//! One seed: the threads' drivers run their steps on a shared pool, whatever is left open is
//! closed, and every writer is checked; the watchdog, the summary and the failure report.

use super::driver::Driver;
use super::faults::*;
use super::model::*;
use super::read_all;
use super::status::{status_name, Func};
use super::verify::{verify_content, verify_operations, Sample};
use crate::common::rng::TestRng;
use crate::common::scratch::Scratch;
use avikit::ffi::AVK_OK;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) const THREADS: usize = 3;

pub(crate) fn run_seed(seed: u64, steps: usize, samples: &mut Vec<Sample>) -> [u64; 16] {
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
pub(crate) fn start_watchdog(limit: Duration, done: &'static AtomicBool) {
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

pub(crate) fn fail_if_faults(seeds: &[u64]) {
    let count = FAULT_COUNT.load(SeqCst);
    if count > 0 {
        let faults = lock(&FAULTS).clone();
        panic!(
            "\n{count} faults with seeds {seeds:?} (reproduce with AVIKIT_SEED=<seed>):\n{}",
            faults.join("\n")
        );
    }
}

/// What the seeds did: calls per kind, files and chunks checked, and each function's statuses.
pub(crate) fn print_summary(seeds: usize, sequences: Duration, totals: &[u64; 16]) {
    eprintln!(
        "ffi_sequences: {} seeds in {sequences:.2?}: {} writers created, {} streams, {} begins \
         OK, {} sync writes run, {} ends, {} closes",
        seeds, totals[0], totals[1], totals[2], totals[3], totals[4], totals[5]
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
}
