"""write_async: concurrent.futures.Future semantics, order, exceptions, cancel, asyncio,
zero-copy lifetime and copy=True, threads, and no deadlock with the GIL held."""

import asyncio
import gc
import threading
import time
import weakref

import numpy as np
import pytest

import avikit
from conftest import H, W, numbered, pyav_numbers


def test_futures_complete_in_begin_order(avi):
    done = []
    lock = threading.Lock()
    with avikit.Writer(avi, encoder_threads=2) as w:
        v = w.add_video(W, H, codec="mjpeg")
        futs = []
        for n in range(60):
            f = v.write_async(numbered(n, "bgr24"))
            f.add_done_callback(lambda f, n=n: (lock.acquire(), done.append(n), lock.release()))
            futs.append(f)
        for f in futs:
            assert f.result(timeout=10) is None
        assert v.stats.written == 60
    assert done == list(range(60))
    assert pyav_numbers(avi) == list(range(60))


def test_future_is_a_concurrent_future(avi):
    import concurrent.futures

    with avikit.Writer(avi) as w:
        v = w.add_video(W, H, codec="uncompressed")
        f = v.write_async(numbered(0, "bgr24"))
        assert isinstance(f, concurrent.futures.Future)
        concurrent.futures.wait([f], timeout=10)
        assert f.done() and not f.cancelled() and f.exception() is None


def test_failed_write_reaches_the_future(tmp_path):
    # /dev/full takes the open and fails every write with ENOSPC.
    w = avikit.Writer("/dev/full", checkpoint_interval=None)
    v = w.add_video(W, H, codec="uncompressed")
    futs = [v.write_async(numbered(n, "bgr24")) for n in range(20)]
    errors = [f.exception(timeout=10) for f in futs]
    assert all(isinstance(e, avikit.Error) for e in errors)
    assert isinstance(errors[0], avikit.IOError) and errors[0].status == "AVK_E_IO"
    assert any(isinstance(e, avikit.WriterFailedError) for e in errors[1:]) or len(futs) == 1
    with pytest.raises(avikit.IOError):
        w.close()


def test_cancel_queued_writes(avi):
    with avikit.Writer(avi, encoder_threads=1) as w:
        v = w.add_video(1920, 1080, codec="mjpeg")
        frame = np.zeros((1080, 1920, 3), np.uint8)
        futs = [v.write_async(frame) for _ in range(40)]
        canceled = [f.cancel() for f in reversed(futs)][::-1]
        for f, c in zip(futs, canceled):
            assert f.cancelled() == c
            if c:
                with pytest.raises(Exception):
                    f.result(timeout=10)
            else:
                assert f.result(timeout=10) is None
        assert any(canceled), "the last of 40 queued 1080p frames is still queued"
        assert not f.cancel() or f.cancelled()
        written = canceled.count(False)
    assert avikit.inspect(avi).video_frames == written


def test_asyncio_wrap_future(avi):
    async def record(v):
        for n in range(10):
            await asyncio.wrap_future(v.write_async(numbered(n, "bgr24")))
        return v.stats.written

    with avikit.Writer(avi) as w:
        v = w.add_video(W, H, codec="h264")
        assert asyncio.run(record(v)) == 10
    assert pyav_numbers(avi) == list(range(10))


def test_borrowed_array_kept_alive_until_completion(avi):
    with avikit.Writer(avi) as w:
        v = w.add_video(W, H, codec="utvideo", pixel_format="gray8")
        frame = numbered(0, "gray8")
        ref = weakref.ref(frame)
        fut = v.write_async(frame)
        del frame
        gc.collect()
        fut.result(timeout=10)
        # The worker released its reference once the write completed.
        deadline = time.monotonic() + 5
        while ref() is not None and time.monotonic() < deadline:
            gc.collect()
            time.sleep(0.01)
        assert ref() is None
    assert pyav_numbers(avi) == [0]


def test_copy_true_lets_the_caller_reuse_the_buffer(avi):
    with avikit.Writer(avi, encoder_threads=1) as w:
        v = w.add_video(W, H, codec="uncompressed")
        buf = numbered(0, "bgr24")
        futs = []
        for n in range(20):
            buf[...] = numbered(n, "bgr24")
            futs.append(v.write_async(buf, copy=True))
        for f in futs:
            f.result(timeout=10)
    assert pyav_numbers(avi) == list(range(20))


def test_threaded_producers_with_timestamps(avi):
    """Two camera threads, one stream each, timestamps from one clock."""
    t0 = time.monotonic_ns()
    with avikit.Writer(avi, fps=100) as w:
        streams = [w.add_video(W, H, codec="mjpeg") for _ in range(2)]

        def camera(v):
            for n in range(20):
                v.write_async(numbered(n, "bgr24"), time_ns=t0 + n * 10_000_000).result(timeout=10)

        threads = [threading.Thread(target=camera, args=(v,)) for v in streams]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert pyav_numbers(avi, 0) == list(range(20)) and pyav_numbers(avi, 1) == list(range(20))


def test_waiting_from_a_done_callback_raises_would_deadlock(avi):
    seen = []
    with avikit.Writer(avi) as w:
        v = w.add_video(W, H, codec="mjpeg")
        first = v.write_async(numbered(0, "bgr24"))

        def on_done(_f):
            try:
                w.flush()
            except avikit.Error as e:
                seen.append(e)

        first.add_done_callback(on_done)
        first.result(timeout=10)
        v.write(numbered(1, "bgr24"))
    # Either the callback ran on the worker (refused) or at once on this thread (allowed).
    assert not seen or isinstance(seen[0], avikit.WouldDeadlockError)


def test_no_deadlock_while_the_caller_spins_with_the_gil(avi):
    """The main thread never releases the GIL on its own while the worker completes futures."""
    with avikit.Writer(avi, max_queued_bytes=4 * W * H * 3) as w:
        v = w.add_video(W, H, codec="uncompressed")
        futs = [v.write_async(numbered(n, "bgr24")) for n in range(100)]
        while not all(f.done() for f in futs):
            pass
    assert avikit.inspect(avi).video_frames == 100


def test_nowait_queue_full(avi):
    with avikit.Writer(avi, max_queued_bytes=1) as w:
        v = w.add_video(1920, 1080, codec="mjpeg")
        frame = np.zeros((1080, 1920, 3), np.uint8)
        futs = [v.write_async(frame)]
        with pytest.raises(avikit.QueueFullError):
            for _ in range(50):
                futs.append(v.write_async(frame, nowait=True))
        assert v.stats.dropped >= 1
        for f in futs:
            f.result(timeout=10)


def test_the_gil_is_released_while_the_library_works(avi):
    """A Python thread keeps running while a synchronous write encodes and a close drains."""
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    frame = np.random.default_rng(3).integers(0, 256, (2160, 3840, 3), dtype=np.uint8)
    with avikit.Writer(avi, encoder_threads=1) as w:
        v = w.add_video(3840, 2160, codec="utvideo")
        t = threading.Thread(target=ticker)
        t.start()
        time.sleep(0.02)
        start = time.perf_counter()
        for _ in range(3):
            v.write(frame)
        took = time.perf_counter() - start
        stop.set()
        t.join()
    during = [b - a for a, b in zip(ticks, ticks[1:]) if a >= start and b <= start + took]
    assert len(during) >= 5, f"the ticker ran {len(during)} times in {took * 1e3:.0f} ms of writes"
    assert max(during) < took / 2


def test_flush_makes_the_open_file_readable(avi):
    with avikit.Writer(avi, checkpoint_interval=None) as w:
        v = w.add_video(W, H, codec="mjpeg")
        for n in range(12):
            v.write_async(numbered(n, "bgr24"))
        w.flush()
        # Mid-recording, the file on disk is complete up to here.
        assert avikit.inspect(avi).video_frames == 12
        assert pyav_numbers(avi) == list(range(12))
        w.flush(durable=True)
        v.write(numbered(12, "bgr24"))
    assert pyav_numbers(avi) == list(range(13))
