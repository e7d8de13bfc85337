"""Capture timing: frames placed by their capture time, gaps as empty frames, late frames
dropped, audio gaps as silence; skip_frames."""

import time

import numpy as np
import pytest

import avikit
from conftest import H, W, ffprobe, numbered


def packet_times(path):
    """Presentation times (in frame periods) of the packets FFmpeg demuxes; it leaves out the
    empty frames, whose slots show the previous picture."""
    import av

    with av.open(str(path)) as c:
        return [p.pts for p in c.demux(video=0) if p.size]


def test_time_seconds_and_gaps(avi):
    t0 = time.monotonic()
    with avikit.Writer(avi, fps=10) as w:
        v = w.add_video(W, H, codec="mjpeg")
        # Slots 0, 1, 4 (two empty frames), 5; 5.04 rounds into slot 5: dropped.
        for n, dt in enumerate([0.0, 0.1, 0.4, 0.5]):
            v.write(numbered(n, "bgr24"), time=t0 + dt)
        with pytest.raises(avikit.DroppedError) as e:
            v.write(numbered(9, "bgr24"), time=t0 + 0.54)
        assert e.value.status == "AVK_E_DROPPED"
        s = v.stats
        assert (s.chunks, s.empty_frames, s.dropped, s.written) == (6, 2, 1, 4)
    assert avikit.inspect(avi).video_frames == 6
    assert packet_times(avi) == [0, 1, 4, 5]


def test_time_ns_and_async(avi):
    t0 = time.monotonic_ns()
    with avikit.Writer(avi, fps=(30000, 1001)) as w:
        v = w.add_video(W, H, codec="utvideo", pixel_format="gray8")
        futs = [v.write_async(numbered(n, "gray8"), time_ns=t0 + round(k * 1e9 * 1001 / 30000))
                for n, k in enumerate([0, 1, 2, 10, 11])]
        for f in futs:
            assert f.result(timeout=10) is None
        assert v.stats.empty_frames == 7
    assert avikit.inspect(avi).video_frames == 12


def test_skip_frames(avi):
    with avikit.Writer(avi) as w:
        v = w.add_video(W, H, codec="h264")
        v.write(numbered(0, "bgr24"))
        v.skip_frames(0)
        v.skip_frames(3)
        v.write(numbered(1, "bgr24"))
        assert v.stats.empty_frames == 3
    (s,) = ffprobe(avi)
    assert int(s["nb_frames"]) == 5
    assert avikit.inspect(avi).video_frames == 5


def test_audio_gap_becomes_silence(avi):
    rate = 8000
    with avikit.Writer(avi) as w:
        a = w.add_audio(1, rate)
        v = w.add_video(W, H, codec="mjpeg")
        block = np.full(800, 1000, np.int16)  # 0.1 s
        a.write(block, time=100.0)
        a.write(block, time=100.5)  # 0.4 s of silence first
        v.write(numbered(0, "bgr24"), time=100.0)
        s = a.stats
        assert s.silence_samples == 3200 and s.samples == 4800
    import av

    with av.open(str(avi)) as c:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in c.decode(audio=0)])
    assert len(pcm) == 4800
    assert (pcm[800:4000] == 0).all() and (pcm[:800] == 1000).all() and (pcm[4000:] == 1000).all()


def test_time_arguments_checked(avi):
    with avikit.Writer(avi) as w:
        v = w.add_video(W, H, codec="mjpeg")
        f = numbered(0, "bgr24")
        with pytest.raises(TypeError, match="not both"):
            v.write(f, time=1.0, time_ns=1)
        with pytest.raises(TypeError, match="time_ns must be an int"):
            v.write(f, time_ns=1.5)
        with pytest.raises(avikit.LimitError):
            v.write(f, time=0.0)
            v.write(f, time=1e6)
