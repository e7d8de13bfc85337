//! The APM semantics of the write queue (docs/c-api.md §8, semantics 1-11), through the Rust API.

use crate::common::riff::{first, le32, walk};
use crate::common::scratch::Scratch;
use avikit::{
    sink::Sink, AsyncResult, AudioFormat, Payload, PcmFormat, Status, VideoFormat, Writer,
    WriterOptions,
};
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn raw_video() -> VideoFormat {
    VideoFormat::compressed(4, 4, avikit::FourCc::new(*b"XVID"))
}

/// An in-memory sink that can be paused (writes block until resumed), can fail from its Nth
/// `write_at` call on, can panic, and counts its drops.
#[derive(Clone, Default)]
struct TestSink {
    state: Arc<(Mutex<SinkState>, Condvar)>,
}

#[derive(Default)]
struct SinkState {
    bytes: Vec<u8>,
    calls: usize,
    fail_from: Option<usize>,
    /// Fails once, in the call that would hand over the byte at this position of all data
    /// written so far: what fits before it is written, and the error says how much.
    fail_once_at_byte: Option<usize>,
    /// Data bytes handed over so far, across calls.
    handed: usize,
    panic_at: Option<usize>,
    paused: bool,
    /// Calls blocked in a paused sink right now.
    waiting: usize,
    drops: usize,
}

impl TestSink {
    fn failing_from(n: usize) -> TestSink {
        let sink = TestSink::default();
        sink.state.0.lock().fail_from = Some(n);
        sink
    }
    fn set_paused(&self, paused: bool) {
        self.state.0.lock().paused = paused;
        self.state.1.notify_all();
    }
    /// Waits until the worker is blocked inside the paused sink.
    fn wait_until_blocked(&self) {
        while self.state.0.lock().waiting == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    fn calls(&self) -> usize {
        self.state.0.lock().calls
    }
    fn drops(&self) -> usize {
        self.state.0.lock().drops
    }
    fn bytes(&self) -> Vec<u8> {
        self.state.0.lock().bytes.clone()
    }
}

struct SinkHandle(TestSink);

impl Sink for SinkHandle {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> Result<(), avikit::sink::WriteError> {
        let (lock, cond) = &*self.0.state;
        let mut s = lock.lock();
        s.waiting += 1;
        while s.paused {
            cond.wait(&mut s);
        }
        s.waiting -= 1;
        s.calls += 1;
        if s.panic_at == Some(s.calls) {
            panic!("test sink panics at call {}", s.calls);
        }
        if s.fail_from.is_some_and(|n| s.calls >= n) {
            return Err(
                std::io::Error::other(format!("injected failure at call {}", s.calls)).into(),
            );
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let mut budget = match s.fail_once_at_byte {
            Some(limit) if s.handed + total > limit => {
                s.fail_once_at_byte = None;
                limit - s.handed
            }
            _ => total,
        };
        let failing = budget < total;
        let mut at = offset as usize;
        for b in bufs {
            let b = &b[..b.len().min(budget)];
            budget -= b.len();
            if s.bytes.len() < at + b.len() {
                s.bytes.resize(at + b.len(), 0);
            }
            s.bytes[at..at + b.len()].copy_from_slice(b);
            at += b.len();
        }
        let written = at - offset as usize;
        s.handed += written;
        if failing {
            return Err(avikit::sink::WriteError {
                written: written as u64,
                error: std::io::Error::other("injected failure part-way"),
            });
        }
        Ok(())
    }
    fn flush(&mut self, _durable: bool) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for SinkHandle {
    fn drop(&mut self) {
        self.0.state.0.lock().drops += 1;
    }
}

fn writer_on(sink: &TestSink, options: WriterOptions) -> Writer {
    Writer::with_sink(Box::new(SinkHandle(sink.clone())), options).unwrap()
}

#[test]
fn callbacks_run_once_in_begin_order_on_the_worker_never_inline() {
    let sink = TestSink::default();
    let writer = writer_on(&sink, WriterOptions::default());
    let video = writer.add_video_stream(raw_video(), None).unwrap();
    let audio = writer
        .add_audio_stream(
            AudioFormat::pcm(PcmFormat::derive(1, 8000, 16).unwrap()),
            None,
        )
        .unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let caller = std::thread::current().id();
    let in_begin = Arc::new(AtomicUsize::new(0));
    let mut results = Vec::new();
    for n in 0..200usize {
        let log = Arc::clone(&log);
        let in_begin_seen = Arc::clone(&in_begin);
        let callback = Box::new(move |r: &AsyncResult| {
            assert!(r.is_completed(), "completed before the callback");
            assert_eq!(r.outcome(), Some(Ok(())));
            let inline =
                std::thread::current().id() == caller && in_begin_seen.load(Ordering::SeqCst) == 1;
            log.lock().push((n, std::thread::current().id(), inline));
        });
        in_begin.store(1, Ordering::SeqCst);
        let r = if n % 3 == 0 {
            audio
                .begin_write_block(true, Payload::owned(vec![n as u8; 32]), Some(callback))
                .unwrap()
        } else {
            video
                .begin_write_frame(
                    n % 10 == 1,
                    Payload::owned(vec![n as u8; n % 50]),
                    Some(callback),
                )
                .unwrap()
        };
        in_begin.store(0, Ordering::SeqCst);
        results.push((n % 3 == 0, r));
    }
    for (is_audio, r) in results {
        if is_audio {
            audio.end_write_block(r).unwrap()
        } else {
            video.end_write_frame(r).unwrap()
        }
    }
    writer.close().unwrap();
    let log = log.lock();
    assert_eq!(
        log.iter().map(|e| e.0).collect::<Vec<_>>(),
        (0..200).collect::<Vec<_>>()
    );
    assert!(log.iter().all(|e| e.1 != caller && e.1 == log[0].1 && !e.2));
}

#[test]
fn sync_write_equals_begin_plus_end() {
    let a = TestSink::default();
    let b = TestSink::default();
    for (sink, asynchronous) in [(&a, false), (&b, true)] {
        let options = WriterOptions::default().with_checkpoint_interval(None);
        let writer = writer_on(sink, options);
        let video = writer.add_video_stream(raw_video(), None).unwrap();
        for n in 0..50u8 {
            let frame = vec![n; usize::from(n) * 3];
            if asynchronous {
                let r = video
                    .begin_write_frame(n % 5 == 0, Payload::owned(frame), None)
                    .unwrap();
                video.end_write_frame(r).unwrap();
            } else {
                video.write_frame(n % 5 == 0, &frame).unwrap();
            }
        }
        writer.close().unwrap();
    }
    assert!(a.bytes() == b.bytes());
}

#[test]
fn cancel_skips_queued_operations_and_leaves_a_valid_file() {
    let sink = TestSink::default();
    let writer = writer_on(&sink, WriterOptions::default());
    let video = writer
        .add_video_stream(VideoFormat::dib(4, 2, 32), None)
        .unwrap();
    let fired = Arc::new(AtomicUsize::new(0));
    // The first write (and the header) block in the paused sink, so the rest stay queued.
    writer.flush(false).unwrap();
    sink.set_paused(true);
    let mut results = Vec::new();
    for n in 0..10u8 {
        let fired = Arc::clone(&fired);
        let cb = Box::new(move |_: &AsyncResult| {
            fired.fetch_add(1, Ordering::SeqCst);
        });
        results.push(
            video
                .begin_write_frame(true, Payload::owned(vec![n; 32]), Some(cb))
                .unwrap(),
        );
        if n == 0 {
            // The worker has taken the first write and is blocked inside the sink: it is
            // running, and the others queue behind it.
            sink.wait_until_blocked();
        }
    }
    assert_eq!(
        results[0].cancel().unwrap_err().status(),
        Status::InvalidState
    );
    let canceled: Vec<usize> = vec![2, 3, 7];
    for &i in &canceled {
        results[i].cancel().unwrap();
    }
    sink.set_paused(false);
    for (i, r) in results.into_iter().enumerate() {
        let outcome = video.end_write_frame(r);
        if canceled.contains(&i) {
            assert_eq!(outcome.unwrap_err().status(), Status::Canceled);
        } else {
            outcome.unwrap();
        }
    }
    // Callbacks run after completion, so only close (which drains the worker) makes them
    // certain to have run.
    writer.close().unwrap();
    assert_eq!(
        fired.load(Ordering::SeqCst),
        10,
        "canceled operations still call back"
    );
    let bytes = sink.bytes();
    let frames: Vec<u8> = (0..10u8)
        .filter(|n| !canceled.contains(&usize::from(*n)))
        .collect();
    let idx1 = first(&walk(&bytes), b"idx1").clone();
    assert_eq!(idx1.size / 16, frames.len());
    let movi = walk(&bytes)
        .into_iter()
        .find(|c| c.form == Some(*b"movi"))
        .unwrap();
    for (e, n) in frames.iter().enumerate() {
        let at = movi.offset + le32(&bytes, idx1.offset + e * 16 + 8) as usize;
        assert_eq!(bytes[at + 8], *n, "entry {e} is frame {n}");
    }
}

#[test]
fn a_running_or_completed_operation_cannot_be_canceled() {
    let sink = TestSink::default();
    let writer = writer_on(&sink, WriterOptions::default());
    let video = writer.add_video_stream(raw_video(), None).unwrap();
    let r = video
        .begin_write_frame(true, Payload::owned(vec![1; 8]), None)
        .unwrap();
    r.wait(None).unwrap();
    assert_eq!(r.cancel().unwrap_err().status(), Status::InvalidState);
    video.end_write_frame(r).unwrap();
    writer.close().unwrap();
}

#[test]
fn back_pressure_blocks_begin_and_refuses_inside_callbacks() {
    let sink = TestSink::default();
    let writer = Arc::new(writer_on(
        &sink,
        WriterOptions::default().with_max_queued_bytes(100),
    ));
    let video = writer.add_video_stream(raw_video(), None).unwrap();
    writer.flush(false).unwrap();
    sink.set_paused(true);
    let first = video
        .begin_write_frame(true, Payload::owned(vec![0; 60]), None)
        .unwrap();
    let second = video
        .begin_write_frame(true, Payload::owned(vec![0; 40]), None)
        .unwrap();
    let begun = Arc::new(AtomicUsize::new(0));
    let blocked = {
        let video = video.clone();
        let begun = Arc::clone(&begun);
        std::thread::spawn(move || {
            let r = video
                .begin_write_frame(true, Payload::owned(vec![0; 10]), None)
                .unwrap();
            begun.store(1, Ordering::SeqCst);
            video.end_write_frame(r).unwrap();
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        begun.load(Ordering::SeqCst),
        0,
        "begin must wait while 100 bytes are queued"
    );
    sink.set_paused(false);
    blocked.join().unwrap();
    video.end_write_frame(first).unwrap();
    video.end_write_frame(second).unwrap();

    // Inside a callback, begin that would have to wait answers WouldDeadlock instead.
    sink.set_paused(true);
    let inner = Arc::new(Mutex::new(None));
    let cb = {
        let video = video.clone();
        let inner = Arc::clone(&inner);
        Box::new(move |_: &AsyncResult| {
            let big = video.begin_write_frame(true, Payload::owned(vec![0; 100]), None);
            *inner.lock() = Some(big.map(|_| ()).map_err(|e| e.status()));
        })
    };
    let a = video
        .begin_write_frame(true, Payload::owned(vec![0; 50]), Some(cb))
        .unwrap();
    sink.wait_until_blocked();
    // Still queued when `a`'s callback runs.
    let b = video
        .begin_write_frame(true, Payload::owned(vec![0; 50]), None)
        .unwrap();
    sink.set_paused(false);
    video.end_write_frame(a).unwrap();
    video.end_write_frame(b).unwrap();
    assert_eq!(*inner.lock(), Some(Err(Status::WouldDeadlock)));
    writer.close().unwrap();
}

#[test]
fn inside_a_callback_blocking_calls_answer_would_deadlock() {
    let sink = TestSink::default();
    let writer = Arc::new(writer_on(&sink, WriterOptions::default()));
    let video = writer.add_video_stream(raw_video(), None).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let pending: Arc<Mutex<Option<AsyncResult>>> = Arc::new(Mutex::new(None));
    let cb = {
        let (writer, video, seen, pending) = (
            Arc::clone(&writer),
            video.clone(),
            Arc::clone(&seen),
            Arc::clone(&pending),
        );
        Box::new(move |own: &AsyncResult| {
            let later = pending.lock().take().unwrap();
            let mut s = seen.lock();
            s.push((
                "wait",
                later
                    .wait(Some(Duration::from_millis(1)))
                    .unwrap_err()
                    .status(),
            ));
            s.push((
                "end",
                video.end_write_frame(later.clone()).unwrap_err().status(),
            ));
            s.push(("flush", writer.flush(false).unwrap_err().status()));
            s.push(("close", writer.close().unwrap_err().status()));
            s.push((
                "sync write",
                video.write_frame(true, &[1]).unwrap_err().status(),
            ));
            s.push((
                "own wait",
                own.wait(None).map_or_else(|e| e.status(), |()| Status::Ok),
            ));
            let queued = video.begin_write_frame(true, Payload::owned(vec![9]), None);
            s.push(("begin", queued.map_or_else(|e| e.status(), |_| Status::Ok)));
        })
    };
    writer.flush(false).unwrap();
    sink.set_paused(true);
    let first = video
        .begin_write_frame(true, Payload::owned(vec![1]), Some(cb))
        .unwrap();
    // The first is running alone; the next two queue behind it and are pending in its callback.
    sink.wait_until_blocked();
    *pending.lock() = Some(
        video
            .begin_write_frame(true, Payload::owned(vec![2]), None)
            .unwrap(),
    );
    let gate_second = video
        .begin_write_frame(true, Payload::owned(vec![3]), None)
        .unwrap();
    sink.set_paused(false);
    video.end_write_frame(first).unwrap();
    video.end_write_frame(gate_second).unwrap();
    writer.close().unwrap();
    let seen = seen.lock().clone();
    assert_eq!(
        seen,
        vec![
            ("wait", Status::WouldDeadlock),
            ("end", Status::WouldDeadlock),
            ("flush", Status::WouldDeadlock),
            ("close", Status::WouldDeadlock),
            ("sync write", Status::WouldDeadlock),
            ("own wait", Status::Ok),
            ("begin", Status::Ok),
        ]
    );
}

/// Records `ops` operations through a sink that fails from call `fail_from` on; returns the
/// statuses of the operations in begin order, the close status, and the callbacks fired.
fn record_with_failure(fail_from: usize, ops: usize) -> (Vec<Status>, Status, usize, TestSink) {
    let sink = TestSink::failing_from(fail_from);
    let writer = writer_on(&sink, WriterOptions::default().with_riff_limit(64 * 1024));
    let video = writer.add_video_stream(raw_video(), None).unwrap();
    let fired = Arc::new(AtomicUsize::new(0));
    let mut results = Vec::new();
    for n in 0..ops {
        let fired = Arc::clone(&fired);
        let cb = Box::new(move |_: &AsyncResult| {
            fired.fetch_add(1, Ordering::SeqCst);
        });
        results.push(
            video
                .begin_write_frame(true, Payload::owned(vec![n as u8; 4000 + n]), Some(cb))
                .unwrap(),
        );
        if n % 7 == 0 {
            // Sync writes and flushes share the queue and its failure.
            let _ = video.write_frame(true, &[1, 2, 3]);
            let _ = writer.flush(false);
        }
    }
    let statuses = results
        .into_iter()
        .map(|r| {
            video
                .end_write_frame(r)
                .map_or_else(|e| e.status(), |()| Status::Ok)
        })
        .collect();
    let close = writer.close().map_or_else(|e| e.status(), |()| Status::Ok);
    (statuses, close, fired.load(Ordering::SeqCst), sink)
}

#[test]
fn an_io_error_at_any_call_fails_that_operation_and_every_later_one() {
    let (_, close, _, healthy) = record_with_failure(usize::MAX, 60);
    assert_eq!(close, Status::Ok);
    let total_calls = healthy.calls();
    assert!(total_calls > 20);
    for n in 1..=total_calls {
        let (statuses, close, fired, sink) = record_with_failure(n, 60);
        assert_eq!(fired, 60, "call {n}: every callback fires once");
        if sink.calls() < n {
            // Batching varies with timing: this run made fewer calls and never failed.
            assert_eq!(close, Status::Ok);
            assert!(statuses.iter().all(|&s| s == Status::Ok));
            continue;
        }
        assert_eq!(close, Status::Io, "call {n}: close reports the first error");
        assert_eq!(
            sink.drops(),
            1,
            "call {n}: the sink is released exactly once"
        );
        let first_bad = statuses.iter().position(|&s| s != Status::Ok);
        if let Some(i) = first_bad {
            assert!(
                matches!(statuses[i], Status::Io | Status::WriterFailed),
                "call {n}: {statuses:?}"
            );
            assert!(
                statuses[i + 1..].iter().all(|&s| s == Status::WriterFailed),
                "call {n}: {statuses:?}"
            );
        }
    }
}

#[test]
fn a_write_failing_part_way_through_a_batch_fails_the_operation_it_cut() {
    // Ten operations gathered into one write; the sink fails once at byte `cut` of it. Those
    // wholly handed over before complete Ok, the one cut reports the I/O error, later ones
    // writer-failed, and the finished file holds exactly the ones that completed.
    let sizes: Vec<usize> = (0..10).map(|n| 100 + 37 * n).collect();
    let mut starts = vec![0];
    for size in &sizes {
        starts.push(starts.last().unwrap() + 8 + size + size % 2);
    }
    let cuts = starts[..sizes.len()]
        .iter()
        .flat_map(|&s| [s, s + 1, s + 8 + 50])
        .chain([starts[sizes.len()] - 1]);
    for cut in cuts {
        let sink = TestSink::default();
        let writer = writer_on(&sink, WriterOptions::default());
        let video = writer.add_video_stream(raw_video(), None).unwrap();
        writer.flush(false).unwrap(); // the header is out: the next write is the batch
        let header = sink.state.0.lock().handed;
        sink.state.0.lock().fail_once_at_byte = Some(header + cut);
        sink.set_paused(true);
        let pending: Vec<_> = sizes
            .iter()
            .enumerate()
            .map(|(n, &size)| {
                video
                    .begin_write_frame(true, Payload::owned(vec![n as u8; size]), None)
                    .unwrap()
            })
            .collect();
        sink.set_paused(false);
        let statuses: Vec<Status> = pending
            .into_iter()
            .map(|r| {
                video
                    .end_write_frame(r)
                    .map_or_else(|e| e.status(), |()| Status::Ok)
            })
            .collect();
        let whole = starts[1..].iter().filter(|&&end| end <= cut).count();
        let mut expected = vec![Status::Ok; whole];
        expected.push(Status::Io);
        expected.resize(sizes.len(), Status::WriterFailed);
        assert_eq!(statuses, expected, "cut at byte {cut} of the batch");
        assert_eq!(writer.close().unwrap_err().status(), Status::Io);
        let file = Scratch::new("cut-batch.avi");
        std::fs::write(file.path(), sink.bytes()).unwrap();
        let report = avikit::repair::inspect_file(file.path())
            .unwrap_or_else(|e| panic!("cut at byte {cut}: {e}"));
        assert_eq!(report.video_frames as usize, whole, "cut at byte {cut}");
    }
}

#[test]
fn a_panic_inside_the_library_fails_the_job_with_panic_and_breaks_the_writer() {
    let sink = TestSink::default();
    sink.state.0.lock().panic_at = Some(3);
    let writer = writer_on(&sink, WriterOptions::default());
    let video = writer.add_video_stream(raw_video(), None).unwrap();
    let mut statuses = Vec::new();
    for n in 0..5u8 {
        statuses.push(
            video
                .write_frame(true, &[n; 10])
                .map_or_else(|e| e.status(), |()| Status::Ok),
        );
    }
    assert_eq!(
        statuses,
        vec![
            Status::Ok,
            Status::Panic,
            Status::WriterFailed,
            Status::WriterFailed,
            Status::WriterFailed
        ]
    );
    assert_eq!(writer.close().unwrap_err().status(), Status::Panic);
}

#[test]
fn end_checks_the_stream_and_wait_times_out_while_pending() {
    let sink = TestSink::default();
    let writer = writer_on(&sink, WriterOptions::default());
    let a = writer.add_video_stream(raw_video(), None).unwrap();
    let b = writer.add_video_stream(raw_video(), None).unwrap();
    writer.flush(false).unwrap();
    sink.set_paused(true);
    let r = a
        .begin_write_frame(true, Payload::owned(vec![1; 8]), None)
        .unwrap();
    assert_eq!(
        r.wait(Some(Duration::from_millis(20)))
            .unwrap_err()
            .status(),
        Status::Timeout
    );
    assert_eq!(r.outcome(), None);
    assert_eq!(
        b.end_write_frame(r.clone()).unwrap_err().status(),
        Status::InvalidArgument
    );
    assert_eq!(
        writer.end_flush(r.clone()).unwrap_err().status(),
        Status::InvalidArgument
    );
    sink.set_paused(false);
    a.end_write_frame(r).unwrap();
    writer.close().unwrap();
}

#[test]
fn close_drains_every_queued_operation() {
    let sink = TestSink::default();
    let writer = writer_on(&sink, WriterOptions::default());
    let video = writer.add_video_stream(raw_video(), None).unwrap();
    let fired = Arc::new(AtomicUsize::new(0));
    for n in 0..1000usize {
        let fired = Arc::clone(&fired);
        let cb = Box::new(move |_: &AsyncResult| {
            fired.fetch_add(1, Ordering::SeqCst);
        });
        video
            .begin_write_frame(true, Payload::owned(vec![n as u8; 16]), Some(cb))
            .unwrap();
    }
    writer.close().unwrap();
    assert_eq!(fired.load(Ordering::SeqCst), 1000);
    assert_eq!(sink.drops(), 1);
    assert_eq!(first(&walk(&sink.bytes()), b"idx1").size / 16, 1000);
    let late = video
        .begin_write_frame(true, Payload::owned(vec![1]), None)
        .unwrap_err();
    assert_eq!(late.status(), Status::InvalidHandle);
    assert_eq!(writer.close().unwrap_err().status(), Status::InvalidHandle);
}
