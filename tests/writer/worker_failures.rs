//! How the worker and the encoder threads end (issue 14, items 5, 11 and 13): an unwind of the
//! worker outside its guarded work completes every operation and callback; the first error of a
//! failed header write reaches the first operation; a panicking callback is caught and close
//! returns the first; the process's encoder threads are shared by every writer, stop when the
//! last one closes and do not start for a stream that cannot be added.

use crate::common::child::run_alone;
use avikit::codec::encoder::DibConversion;
use avikit::pixel::{InputLayout, PixelFormat};
use avikit::sink::Sink;
use avikit::{AsyncResult, FourCc, Payload, Status, VideoFormat, Writer, WriterOptions};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A sink that keeps nothing and fails every write when `fail` is set.
struct NullSink {
    fail: bool,
}

impl Sink for NullSink {
    fn write_at(&mut self, _offset: u64, _bufs: &[&[u8]]) -> Result<(), avikit::sink::WriteError> {
        if self.fail {
            return Err(std::io::Error::other("the test sink refuses every write").into());
        }
        Ok(())
    }
    fn flush(&mut self, _durable: bool) -> std::io::Result<()> {
        Ok(())
    }
}

fn writer(fail: bool, options: WriterOptions) -> Writer {
    Writer::with_sink(Box::new(NullSink { fail }), options).unwrap()
}

fn raw() -> VideoFormat {
    VideoFormat::compressed(4, 4, FourCc::new(*b"XVID"))
}

/// A panic payload whose drop panics again: dropping it after the callback's panic was caught
/// unwinds the worker from outside every guarded section.
struct PanicsWhenDropped;

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        panic!("a panic payload that panics when dropped");
    }
}

#[test]
fn an_unwinding_worker_completes_every_operation_and_callback() {
    let w = writer(false, WriterOptions::default());
    let video = w.add_video_stream(raw(), None).unwrap();
    let callbacks = Arc::new(AtomicUsize::new(0));
    let panicked = Arc::new(AtomicBool::new(false));
    let p = Arc::clone(&panicked);
    let first = video
        .begin_write_frame(
            true,
            Payload::owned(vec![1; 16]),
            Some(Box::new(move |_| {
                p.store(true, Ordering::SeqCst);
                std::panic::panic_any(PanicsWhenDropped);
            })),
        )
        .unwrap();
    let counted = || {
        let c = Arc::clone(&callbacks);
        Some(Box::new(move |_: &AsyncResult| {
            c.fetch_add(1, Ordering::SeqCst);
        }) as avikit::Callback)
    };
    let mut results: Vec<AsyncResult> = (0..5)
        .map(|n| {
            video
                .begin_write_frame(true, Payload::owned(vec![n; 16]), counted())
                .unwrap()
        })
        .collect();
    while !panicked.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    // Begun after the worker unwound: still completed, with AVK_E_PANIC.
    let late = video
        .begin_write_frame(true, Payload::owned(vec![9; 16]), counted())
        .unwrap();
    results.push(late.clone());
    for r in results.iter().chain([&first]) {
        r.wait(Some(Duration::from_secs(10)))
            .expect("every operation completes");
    }
    let late_error = late.outcome().unwrap().unwrap_err();
    assert_eq!(late_error.status(), Status::Panic, "{late_error}");
    for r in &results {
        if let Err(e) = r.outcome().unwrap() {
            assert_eq!(e.status(), Status::Panic, "{e}");
        }
    }
    let close = w.close().unwrap_err();
    assert_eq!(close.status(), Status::Panic, "{close}");
    // Every callback ran once (the worker may run the last ones just before close returns).
    assert_eq!(callbacks.load(Ordering::SeqCst), 6);
}

#[test]
fn a_panicking_callback_is_caught_and_close_returns_the_first() {
    let w = writer(false, WriterOptions::default());
    let video = w.add_video_stream(raw(), None).unwrap();
    for n in 0..3u8 {
        video
            .begin_write_frame(
                true,
                Payload::owned(vec![n; 16]),
                Some(Box::new(move |_| panic!("callback {n} broke"))),
            )
            .unwrap();
    }
    // The writer goes on: later writes and their callbacks are unaffected.
    let ran = Arc::new(AtomicBool::new(false));
    let r = Arc::clone(&ran);
    let after = video
        .begin_write_frame(
            true,
            Payload::owned(vec![9; 16]),
            Some(Box::new(move |_| r.store(true, Ordering::SeqCst))),
        )
        .unwrap();
    video.end_write_frame(after).unwrap();
    video.write_frame(true, &[7; 16]).unwrap();
    let close = w.close().unwrap_err();
    assert_eq!(close.status(), Status::Panic, "{close}");
    assert!(
        close.message().contains("callback 0 broke"),
        "the first: {close}"
    );
    assert!(ran.load(Ordering::SeqCst));
}

#[test]
fn a_failed_header_write_is_the_first_operations_error() {
    let w = writer(true, WriterOptions::default());
    let video = w.add_video_stream(raw(), None).unwrap();
    let first = video
        .begin_write_frame(true, vec![1; 16].into(), None)
        .unwrap();
    let second = video
        .begin_write_frame(true, vec![2; 16].into(), None)
        .unwrap();
    let e = video.end_write_frame(first).unwrap_err();
    assert_eq!(e.status(), Status::Io, "{e}");
    assert!(e.message().contains("refuses every write"), "{e}");
    let e = video.end_write_frame(second).unwrap_err();
    assert_eq!(e.status(), Status::WriterFailed, "{e}");
    assert_eq!(w.close().unwrap_err().status(), Status::Io);

    // A flush as the first operation carries it the same way.
    let w = writer(true, WriterOptions::default());
    w.add_video_stream(raw(), None).unwrap();
    let e = w.flush(false).unwrap_err();
    assert_eq!(e.status(), Status::Io, "{e}");
    assert_eq!(w.close().unwrap_err().status(), Status::Io);
}

/// Encoder threads of this process (named `avikit-encoder-<n>`).
fn encoder_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("avikit-encoder"))
        .count()
}

/// [`encoder_threads`] once it is `expected`, or after 10 s.
fn encoder_threads_settling_at(expected: usize) -> usize {
    let start = std::time::Instant::now();
    loop {
        let n = encoder_threads();
        if n == expected || start.elapsed() > std::time::Duration::from_secs(10) {
            return n;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

fn dib_encoder() -> Arc<DibConversion> {
    let input = InputLayout::new(4, 4, PixelFormat::Bgra32);
    Arc::new(DibConversion::new(input, 32).unwrap())
}

// Alone in a process of its own: the other tests of this crate run encoding streams in
// parallel threads, and the thread count is the process's.
#[test]
fn encoder_threads_are_shared_stop_with_the_last_writer_and_never_start_for_a_refused_stream() {
    run_alone(
        module_path!(),
        "encoder_threads_are_shared_stop_with_the_last_writer_and_never_start_for_a_refused_stream",
        encoder_threads_are_shared,
    );
}

fn encoder_threads_are_shared() {
    let options = || WriterOptions::default().with_encoder_threads(2);
    let w = writer(false, options());
    let video = w.add_encoding_video_stream(dib_encoder(), None).unwrap();
    video.write_frame(true, &[0; 64]).unwrap();
    // The process's pool: one thread per CPU, whatever `encoder_threads` caps per writer. A
    // new thread names itself once it runs, a moment after it was started; a joined one leaves
    // /proc a moment after join returns.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(encoder_threads_settling_at(cpus), cpus);
    let clone = video.clone();
    w.close().unwrap();
    assert_eq!(
        encoder_threads_settling_at(0),
        0,
        "encoder threads outlived close"
    );
    let e = clone.write_frame(true, &[0; 64]).unwrap_err();
    assert_eq!(e.status(), Status::InvalidHandle, "{e}");
    drop((video, clone, w));

    // Eight writers share the same threads; they stop when the last of them closes.
    let writers: Vec<_> = (0..8).map(|_| writer(false, options())).collect();
    for w in &writers {
        let video = w.add_encoding_video_stream(dib_encoder(), None).unwrap();
        video.write_frame(true, &[0; 64]).unwrap();
    }
    assert_eq!(
        encoder_threads_settling_at(cpus),
        cpus,
        "one pool, not one per writer"
    );
    let (last, others) = writers.split_last().unwrap();
    others.iter().for_each(|w| w.close().unwrap());
    assert_eq!(encoder_threads(), cpus, "a writer still uses them");
    last.close().unwrap();
    assert_eq!(
        encoder_threads_settling_at(0),
        0,
        "the last writer stops them"
    );
    drop(writers);

    // After the first write no stream can be added, and none starts threads.
    let w = writer(false, options());
    let plain = w.add_video_stream(raw(), None).unwrap();
    plain.write_frame(true, &[0; 16]).unwrap();
    let e = w
        .add_encoding_video_stream(dib_encoder(), None)
        .unwrap_err();
    assert_eq!(e.status(), Status::InvalidState, "{e}");
    assert_eq!(
        encoder_threads(),
        0,
        "threads started for a stream that was refused"
    );
    w.close().unwrap();
}
