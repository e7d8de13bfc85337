"""Bad arrays are refused before anything is queued, with messages that name the expected
shape; every public call misused (bad arguments, after close, at the wrong time) raises."""

import numpy as np
import pytest

import avikit
from conftest import H, W, numbered


@pytest.fixture
def video(avi):
    w = avikit.Writer(avi)
    v = w.add_video(W, H, codec="mjpeg", pixel_format="bgr24")
    yield w, v
    w.close()


@pytest.mark.parametrize(
    "frame,error,message",
    [
        (np.zeros((H, W + 1, 3), np.uint8), ValueError, r"\(48, 64, 3\) uint8 for bgr24"),
        (np.zeros((H, W, 4), np.uint8), ValueError, r"expected \(48, 64, 3\) uint8 for bgr24"),
        (np.zeros((H, W), np.uint8), ValueError, "shape"),
        (np.zeros((H, W, 3), np.float32), TypeError, "uint8, not float32"),
        (np.zeros((H, W, 3), np.uint16), TypeError, r"\(48, 64, 3\) uint8 for bgr24"),
        ([[0] * 3] * 10, TypeError, "numpy array"),
        ("frame", TypeError, "numpy array"),
        (b"\0" * 10, ValueError, "shape"),
        (np.zeros((H, W * 2, 3), np.uint8)[:, ::2], ValueError, "not C-contiguous"),
        (np.zeros((W, H, 3), np.uint8).transpose(1, 0, 2), ValueError, "not C-contiguous"),
    ],
)
def test_bad_frames_are_refused_before_queueing(video, frame, error, message):
    _, v = video
    with pytest.raises(error, match=message):
        v.write(frame)
    with pytest.raises(error, match=message):
        v.write_async(frame)
    assert v.stats.chunks == 0


def test_copy_true_accepts_strided_frames(avi):
    big = np.zeros((H, W * 2, 3), np.uint8)
    big[:, ::2] = numbered(3, "bgr24")
    with avikit.Writer(avi) as w:
        v = w.add_video(W, H, codec="uncompressed")
        v.write_async(big[:, ::2], copy=True).result(timeout=10)
        v.write(np.ascontiguousarray(big[:, ::2]))
        # A flat buffer of the right size is taken too.
        v.write(numbered(3, "bgr24").reshape(-1))
    from conftest import pyav_numbers

    assert pyav_numbers(avi) == [3, 3, 3]


@pytest.mark.parametrize("fmt,shape", [("i420", (72, 64)), ("nv12", (72, 64)), ("yuy2", (48, 64, 2)), ("gray8", (48, 64)), ("bgra", (48, 64, 4))])
def test_shape_message_per_format(avi, fmt, shape):
    with avikit.Writer(avi) as w:
        v = w.add_video(W, H, codec="utvideo", pixel_format=fmt)
        with pytest.raises(ValueError, match=str(shape).replace("(", r"\(").replace(")", r"\)") + f" uint8 for {fmt}"):
            v.write(np.zeros((1, 1), np.uint8))
        v.write(np.zeros(shape, np.uint8))


def test_bad_audio_blocks(avi):
    with avikit.Writer(avi) as w:
        a = w.add_audio(2, 48000, sample_format="s16")
        with pytest.raises(TypeError, match=r"\(n, 2\) int16 for s16"):
            a.write(np.zeros((10, 2), np.float32))
        with pytest.raises(ValueError, match=r"\(n, 2\) int16"):
            a.write(np.zeros((10, 3), np.int16))
        with pytest.raises(ValueError, match="C-contiguous"):
            a.write(np.zeros((2, 10), np.int16).T)
        with pytest.raises(avikit.InvalidArgumentError) as e:
            a.write(b"\0\0\0")  # not whole sample frames
        assert e.value.status == "AVK_E_INVALID_ARGUMENT" and "3" in e.value.message


def test_s24_range(avi):
    with avikit.Writer(avi) as w:
        a = w.add_audio(1, 48000, sample_format="s24")
        with pytest.raises(ValueError, match="s24"):
            a.write(np.array([1 << 23], np.int32))
        a.write(np.array([(1 << 23) - 1, -(1 << 23)], np.int32))


def test_bad_writer_arguments(tmp_path):
    p = tmp_path / "x.avi"
    for fps, err in [(0, ValueError), ((1, 0), ValueError), ("30", TypeError), ((30,), TypeError), (True, TypeError), (-1.0, ValueError)]:
        with pytest.raises(err):
            avikit.Writer(p, fps=fps)
    with pytest.raises(ValueError, match="checkpoint_interval"):
        avikit.Writer(p, checkpoint_interval=-1)
    with pytest.raises(avikit.IOError) as e:
        avikit.Writer(tmp_path / "missing" / "x.avi")
    assert e.value.status == "AVK_E_IO"
    with pytest.raises(avikit.InvalidArgumentError):
        avikit.Writer(p, info={"name": "x"})


def test_bad_stream_arguments(avi):
    with avikit.Writer(avi) as w:
        with pytest.raises(ValueError, match='unknown codec "vp9"'):
            w.add_video(W, H, codec="vp9")
        with pytest.raises(ValueError, match='unknown pixel_format "bgr32": expected one of bgr24'):
            w.add_video(W, H, pixel_format="bgr32")
        with pytest.raises(ValueError, match="prediction"):
            w.add_video(W, H, codec="utvideo", prediction="best")
        with pytest.raises(ValueError, match="color_matrix"):
            w.add_video(W, H, color_matrix="bt2020")
        with pytest.raises(ValueError, match="fourcc"):
            w.add_video(W, H, codec="raw", fourcc="MJPEG")
        with pytest.raises(avikit.InvalidArgumentError):
            w.add_video(W, H, codec="mjpeg", quality=0)
        with pytest.raises(avikit.InvalidArgumentError):
            w.add_video(W + 1, H, codec="mjpeg", pixel_format="i420")
        with pytest.raises(avikit.InvalidArgumentError):
            w.add_video(W, H, pixel_aspect=(0, 1))
        with pytest.raises(ValueError, match="sample_format"):
            w.add_audio(2, 48000, sample_format="s8")
        with pytest.raises(ValueError, match="audio codec"):
            w.add_audio(2, 48000, codec="aac")
        with pytest.raises(avikit.InvalidArgumentError):
            w.add_audio(0, 48000)
        with pytest.raises(avikit.InvalidArgumentError):
            w.add_audio(2, 48000, channel_mask=0b111)
        v = w.add_video(W, H)
        with pytest.raises(TypeError):
            v.skip_frames(1.5)
        with pytest.raises(ValueError):
            v.skip_frames(-1)
        with pytest.raises(avikit.LimitError):
            v.skip_frames(2_000_000)


def test_streams_and_info_only_before_the_first_write(avi):
    with avikit.Writer(avi) as w:
        v = w.add_video(W, H)
        v.write(numbered(0, "bgr24"))
        with pytest.raises(avikit.InvalidStateError) as e:
            w.add_video(W, H)
        assert e.value.status == "AVK_E_INVALID_STATE"
        with pytest.raises(avikit.InvalidStateError):
            w.add_audio(2, 44100)
        with pytest.raises(avikit.InvalidStateError):
            w.set_info("INAM", "late")
        with pytest.raises(TypeError):
            w.set_info("INAM", 3)


def test_every_call_after_close(avi):
    w = avikit.Writer(avi)
    v = w.add_video(W, H)
    a = w.add_audio(1, 8000)
    v.write(numbered(0, "bgr24"))
    w.close()
    assert w.closed
    w.close()  # closing again does nothing
    frame = numbered(1, "bgr24")
    for call in [
        lambda: v.write(frame),
        lambda: v.write_async(frame),
        lambda: v.write(frame, time=1.0),
        lambda: v.skip_frames(1),
        lambda: a.write(np.zeros(8, np.int16)),
        lambda: a.write_async(np.zeros(8, np.int16)),
        lambda: w.flush(),
        lambda: w.flush(durable=True),
        lambda: w.add_video(W, H),
        lambda: w.add_audio(1, 8000),
        lambda: w.set_info("INAM", "x"),
    ]:
        with pytest.raises(avikit.Error):
            call()
    with pytest.raises(avikit.InvalidHandleError):
        v.write(frame)
    assert v.stats.chunks == 1 and v.stats.written == 1
    assert avikit.inspect(avi).video_frames == 1


def test_exit_does_not_hide_the_block_exception(avi):
    with pytest.raises(KeyError):
        with avikit.Writer(avi):
            raise KeyError("x")  # and the writer without streams fails to close
    with pytest.raises(avikit.InvalidStateError, match="no stream"):
        with avikit.Writer(avi):
            pass


def test_inspect_and_repair_misuse(tmp_path):
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"RIFF\x04\x00\x00\x00AVI ")
    with pytest.raises(avikit.Error):
        avikit.inspect(junk)
    with pytest.raises(avikit.IOError):
        avikit.inspect(tmp_path / "missing.avi")
    with pytest.raises(avikit.IOError):
        avikit.repair(tmp_path / "missing.avi", tmp_path / "out.avi")
    with pytest.raises(avikit.Error):
        avikit.repair(junk, tmp_path / "out.avi")
    with pytest.raises(TypeError):
        avikit.inspect(3.5)


def test_error_hierarchy():
    for name in ["InvalidArgumentError", "InvalidHandleError", "InvalidStateError", "IOError", "CanceledError",
                 "TimeoutError", "UnsupportedError", "EncoderError", "LimitError", "WriterFailedError",
                 "WouldDeadlockError", "NoMemoryError", "PanicError", "DroppedError", "QueueFullError"]:
        cls = getattr(avikit, name)
        assert issubclass(cls, avikit.Error) and cls is not avikit.Error
    assert issubclass(avikit.Error, Exception)
