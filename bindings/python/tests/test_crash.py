"""Crash safety from Python: a killed recording repaired, Ctrl-C in a write loop (with and
without a `with` block), and a writer closed by garbage collection."""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import avikit
from conftest import H, W, ffmpeg_decodes_clean, numbered, pyav_numbers

PRELUDE = f"""
import sys, time
sys.path.insert(0, {os.path.dirname(__file__)!r})
import avikit
from conftest import numbered
"""


def child(script, path):
    """Starts ``script`` in a fresh interpreter with ``PATH_`` set to ``path``; its stdout is
    read line by line."""
    code = PRELUDE + f"PATH_ = {str(path)!r}\n" + textwrap.dedent(script)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(proc, line):
    for got in proc.stdout:
        if got.strip() == line:
            return
    raise AssertionError(f"child ended before {line!r}: {proc.stderr.read()}")


def test_killed_recording_is_repaired(tmp_path):
    path = tmp_path / "killed.avi"
    proc = child(
        """
        w = avikit.Writer(PATH_, fps=25, checkpoint_interval=None)
        v = w.add_video(64, 48, codec="mjpeg")
        a = w.add_audio(1, 8000)
        import numpy as np
        for n in range(50):
            v.write(numbered(n, "bgr24"))
            a.write(np.zeros(320, np.int16))
        w.flush()
        for n in range(50, 70):
            v.write(numbered(n, "bgr24"))   # in the file, after the last checkpoint
        print("written", flush=True)
        time.sleep(60)
        """,
        path,
    )
    wait_for(proc, "written")
    proc.kill()
    proc.wait()
    out = tmp_path / "repaired.avi"
    progress = []
    report = avikit.repair(path, out, progress=lambda done, total: progress.append((done, total)))
    assert report.was_damaged and report.video_frames == 70 and report.audio_chunks == 50
    assert progress and progress[-1][0] == progress[-1][1]
    assert avikit.inspect(out).video_frames == 70
    assert pyav_numbers(out) == list(range(70))
    ok, err = ffmpeg_decodes_clean(out)
    assert ok, err


def test_repair_progress_callback_exception_is_raised(tmp_path):
    path = tmp_path / "a.avi"
    with avikit.Writer(path) as w:
        v = w.add_video(W, H, codec="mjpeg")
        for n in range(5):
            v.write(numbered(n, "bgr24"))

    def boom(done, total):
        raise RuntimeError("progress failed")

    with pytest.raises(RuntimeError, match="progress failed"):
        avikit.repair(path, tmp_path / "b.avi", progress=boom)


@pytest.mark.parametrize("with_block", [True, False])
def test_ctrl_c_leaves_a_file_that_plays(tmp_path, with_block):
    path = tmp_path / "interrupted.avi"
    loop = """
        n = 0
        while True:
            v.write_async(numbered(n % 1000, "bgr24"))
            n += 1
            if n == 30:
                print("recording", flush=True)
            time.sleep(0.002)
    """
    if with_block:
        script = """
        try:
            with avikit.Writer(PATH_, fps=30) as w:
                v = w.add_video(64, 48, codec="mjpeg")
        """ + textwrap.indent(textwrap.dedent(loop), " " * 16) + """
        except KeyboardInterrupt:
            print("frames", v.stats.written, flush=True)
        """
    else:
        # No with block, no close: the KeyboardInterrupt ends the interpreter, which closes
        # the writer on its way out.
        script = textwrap.dedent("""
        w = avikit.Writer(PATH_, fps=30)
        v = w.add_video(64, 48, codec="mjpeg")
        """) + textwrap.dedent(loop)
    proc = child(script, path)
    wait_for(proc, "recording")
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    if with_block:
        assert proc.returncode == 0, stderr
        written = int(stdout.split()[-1])
    else:
        assert "KeyboardInterrupt" in stderr
        written = None
    report = avikit.inspect(path)  # finalized: strict inspection passes
    assert report.video_frames >= 30
    if written is not None:
        assert report.video_frames == written
    assert pyav_numbers(path) == list(range(report.video_frames))
    ok, err = ffmpeg_decodes_clean(path)
    assert ok, err


def test_garbage_collected_writer_is_closed(avi):
    w = avikit.Writer(avi)
    v = w.add_video(W, H, codec="mjpeg")
    futs = [v.write_async(numbered(n, "bgr24")) for n in range(10)]
    del w, v
    gc.collect()
    assert all(f.done() and f.exception() is None for f in futs)
    assert avikit.inspect(avi).video_frames == 10
