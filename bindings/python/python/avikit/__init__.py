"""avikit: write AVI files from numpy arrays, on a background thread.

Quick start::

    import numpy as np, avikit

    with avikit.Writer("clip.avi", fps=30) as w:
        v = w.add_video(640, 480, codec="mjpeg", pixel_format="bgr24", quality=90)
        for n in range(90):
            frame = np.full((480, 640, 3), n, dtype=np.uint8)   # (height, width, 3) uint8
            v.write(frame)

Writers and streams
    ``Writer(path, fps=30, ...)`` creates the file and starts one worker thread that owns it.
    ``fps`` is an int, a ``fractions.Fraction`` or a ``(num, den)`` pair such as ``(30000, 1001)``.
    Add streams before the first write: ``w.add_video(width, height, codec=..., pixel_format=...)``
    and ``w.add_audio(channels, sample_rate, sample_format=..., codec=...)``. Use the writer as a
    context manager (or call ``close()``): closing drains the queue and finalizes the file. A
    writer that is garbage-collected, or still open at interpreter exit, is closed then, so a
    ``KeyboardInterrupt`` in a recording loop still leaves a file that plays.

Codecs and frame shapes (``add_video``)
    ``codec``: ``"mjpeg"`` (libjpeg-turbo, ``quality`` 1-100), ``"h264"`` (OpenH264),
    ``"utvideo"`` (lossless), ``"uncompressed"`` (a DIB), ``"raw"`` (bytes written as given, with
    ``fourcc=`` or as a DIB of ``bits_per_pixel``).
    ``pixel_format`` and the array each ``write`` takes (all uint8, C-contiguous):
    ``bgr24``/``rgb24`` (h, w, 3), ``bgra``/``rgba`` (h, w, 4), ``gray8`` (h, w),
    ``yuy2`` (h, w, 2), ``i420``/``nv12`` (h * 3 // 2, w) (the Y plane, then the chroma rows).
    A wrong shape, dtype or layout raises ``ValueError``/``TypeError`` before anything is queued.

Writing
    ``v.write(frame)`` queues the frame and waits until it is in the file (the GIL is released
    meanwhile, so other Python threads run). ``v.write_async(frame)`` returns a
    ``concurrent.futures.Future`` at once; it completes (from the writer's thread) when the
    frame is in the file. Futures complete in the order they were begun. In asyncio::

        await asyncio.wrap_future(v.write_async(frame))

    Zero-copy: ``write_async`` borrows the array until its future completes; do not modify it
    before then, or pass ``copy=True`` (the library then writes a private copy).
    ``fut.cancel()`` cancels a write that is still queued.

Capture timing
    ``v.write(frame, time=time.monotonic())`` or ``time_ns=time.monotonic_ns()`` places the frame
    in the slot of its capture time at the writer's frame rate (time zero is the first timed
    write of the writer): missed slots become empty frames (players show the previous frame), a
    frame whose slot is taken raises ``avikit.DroppedError`` (nothing written, the writer is
    fine). Audio blocks written with times get silence for gaps. ``v.skip_frames(n)`` inserts
    ``n`` empty frames.

Progress, metadata, crash safety
    ``v.stats`` counts frames begun and written (``stats.written`` suits a ``tqdm`` bar);
    ``Writer(..., info={"INAM": "title"})`` or ``w.set_info`` writes RIFF INFO metadata.
    Every second (``checkpoint_interval``) the worker refreshes headers and indexes, so a killed
    process leaves a file that plays up to there; ``avikit.repair(path, out)`` recovers every
    complete frame after it, and ``avikit.inspect(path)`` checks a file strictly.
    ``w.flush(durable=True)`` makes a checkpoint that survives a power cut.

Errors
    Library errors are subclasses of ``avikit.Error`` with ``status`` (``"AVK_E_IO"``) and
    ``message`` attributes, e.g. ``avikit.InvalidStateError`` for a stream added after the
    first write, ``avikit.InvalidHandleError`` for a write after close.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import fractions
import os
import threading
import weakref
from typing import Any, Callable, Dict, List, Literal, NamedTuple, Optional, Tuple, Union

from . import _avikit
from ._avikit import (  # noqa: F401  (re-exported)
    CanceledError,
    DroppedError,
    EncoderError,
    Error,
    InvalidArgumentError,
    InvalidHandleError,
    InvalidStateError,
    IOError,
    LimitError,
    NoMemoryError,
    PanicError,
    QueueFullError,
    TimeoutError,
    UnsupportedError,
    WouldDeadlockError,
    WriterFailedError,
)
from ._frames import BlockCheck, FrameCheck

__version__ = _avikit.__version__

# avikit.IOError and avikit.TimeoutError stay out of __all__: a star import would shadow the
# builtins of those names.
__all__ = [
    "Writer",
    "VideoStream",
    "AudioStream",
    "WriteFuture",
    "StreamStats",
    "FileReport",
    "StreamReport",
    "inspect",
    "repair",
    "Error",
    "CanceledError",
    "DroppedError",
    "EncoderError",
    "InvalidArgumentError",
    "InvalidHandleError",
    "InvalidStateError",
    "LimitError",
    "NoMemoryError",
    "PanicError",
    "QueueFullError",
    "UnsupportedError",
    "WouldDeadlockError",
    "WriterFailedError",
]

FrameRate = Union[int, float, fractions.Fraction, Tuple[int, int]]
VideoCodec = Literal["mjpeg", "h264", "utvideo", "uncompressed", "raw"]
PixelFormat = Literal["bgr24", "rgb24", "bgra", "rgba", "gray8", "i420", "nv12", "yuy2"]
SampleFormat = Literal["s16", "s24", "s32", "f32", "u8"]
AudioCodec = Literal["pcm", "mp3"]


def _frame_rate(fps: Any) -> Tuple[int, int]:
    """``fps`` as ``(num, den)``: ints, Fractions, ``(num, den)`` pairs and floats (a float
    is taken as the nearest fraction with a denominator up to 1001: 29.97 is 2997/100; pass
    ``(30000, 1001)`` for NTSC)."""
    if isinstance(fps, tuple):
        if len(fps) != 2 or not all(isinstance(x, int) for x in fps):
            raise TypeError(f"fps as a tuple must be (num, den) ints, not {fps!r}")
        num, den = fps
    elif isinstance(fps, bool):
        raise TypeError("fps must be a number, not a bool")
    elif isinstance(fps, int):
        num, den = fps, 1
    elif isinstance(fps, fractions.Fraction):
        num, den = fps.numerator, fps.denominator
    elif isinstance(fps, float):
        f = fractions.Fraction(fps).limit_denominator(1001)
        num, den = f.numerator, f.denominator
    else:
        raise TypeError(f"fps must be an int, Fraction, float or (num, den), not {type(fps).__name__}")
    if num <= 0 or den <= 0 or num >= 1 << 32 or den >= 1 << 32:
        raise ValueError(f"fps must be positive with 32-bit terms, not {num}/{den}")
    return num, den


def _time_ns(time: Optional[float], time_ns: Optional[int]) -> Optional[int]:
    if time is not None and time_ns is not None:
        raise TypeError("pass time= (float seconds) or time_ns= (int), not both")
    if time_ns is not None:
        if not isinstance(time_ns, int) or isinstance(time_ns, bool):
            raise TypeError(f"time_ns must be an int (as from time.monotonic_ns()), not {type(time_ns).__name__}")
        return time_ns
    if time is not None:
        return round(float(time) * 1_000_000_000)
    return None


class StreamStats(NamedTuple):
    """Counters of one stream. ``chunks`` and the others count writes begun (queued or
    written), as in the C API; ``written`` counts writes completed (in the file), so
    ``chunks - empty_frames - written`` are still queued."""

    chunks: int
    empty_frames: int
    dropped: int
    payload_bytes: int
    samples: int
    silence_samples: int
    trimmed_samples: int
    written: int


class WriteFuture(concurrent.futures.Future):
    """The future of one ``write_async``: its result is ``None`` once the write is in the file,
    its exception an ``avikit.Error`` if it failed. ``cancel()`` succeeds while the write is
    still queued. Completed from the writer's thread: done-callbacks run there, and must not
    wait on the writer (that raises ``avikit.WouldDeadlockError``)."""

    _pending: Any = None
    _counter: Optional["_Counter"] = None

    def cancel(self) -> bool:
        """Cancels the write if it is still queued (it then never reaches the file) and
        returns True; False once it has started or finished (it is then written whole)."""
        if self.done():
            return self.cancelled()
        pending = self._pending
        if pending is not None and pending.cancel():
            return super().cancel()
        return False

    def _avikit_complete(self, error: Optional[BaseException]) -> None:
        """Called once by the worker thread when the write completed."""
        self._pending = None
        if isinstance(error, CanceledError):
            super().cancel()
            return
        if error is None:
            if self._counter is not None:
                self._counter.add()
            self.set_result(None)
        else:
            self.set_exception(error)


class _Counter:
    """Writes completed on one stream, counted from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1


class _Stream:
    """What video and audio streams share."""

    def __init__(self, writer: "Writer", native: Any, check: Callable[[Any, bool], Any]):
        # A stream in use keeps its writer from being collected (and so closed) under it.
        self._writer = writer
        self._native = native
        self._check = check
        self._written = _Counter()

    @property
    def index(self) -> int:
        """The stream number in the file (00 in ``00dc``)."""
        return self._native.index

    @property
    def stats(self) -> StreamStats:
        """The stream's counters (see ``StreamStats``)."""
        return StreamStats(*self._native.stats(), written=self._written.value)

    def _future(self) -> WriteFuture:
        fut = WriteFuture()
        fut._counter = self._written
        # Left pending (not "running"): WriteFuture.cancel asks the library first, so a
        # write the worker already took is never marked canceled.
        return fut


class VideoStream(_Stream):
    """A video stream, from ``Writer.add_video``. Thread-safe: frames from several threads are
    written in the order their writes began."""

    def write(
        self,
        frame: Any,
        *,
        time: Optional[float] = None,
        time_ns: Optional[int] = None,
        keyframe: bool = True,
        nowait: bool = False,
    ) -> None:
        """Writes one frame and returns once it is in the file (the GIL is released while
        the library encodes and writes). ``time``/``time_ns``: the capture time (see the
        module doc). ``keyframe`` matters for ``codec="raw"`` only. ``nowait``: raise
        ``QueueFullError`` instead of waiting for room under ``max_queued_bytes``.

        Raises ``ValueError``/``TypeError`` for a frame of the wrong shape, dtype or layout,
        ``avikit.Error`` subclasses for library errors."""
        a = self._check(frame, False)
        self._native.write(a, _time_ns(time, time_ns), keyframe, nowait)
        self._written.add()

    def write_async(
        self,
        frame: Any,
        *,
        time: Optional[float] = None,
        time_ns: Optional[int] = None,
        keyframe: bool = True,
        copy: bool = False,
        nowait: bool = False,
    ) -> WriteFuture:
        """Queues one frame and returns a ``concurrent.futures.Future`` at once. The frame is
        borrowed, not copied, until the future completes: do not modify it before then, or
        pass ``copy=True``. Argument errors (shape, a dropped timed frame, ...) raise here and
        queue nothing; failures of the write itself reach the future."""
        a = self._check(frame, copy)
        fut = self._future()
        fut._pending = self._native.begin(a, fut, _time_ns(time, time_ns), keyframe, nowait)
        return fut

    def skip_frames(self, n: int) -> None:
        """Queues ``n`` empty frames (players show the previous frame again for ``n`` frame
        periods). ``n == 0`` does nothing; over 1,000,000 raises ``LimitError``."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, not {type(n).__name__}")
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        self._native.skip_frames(n)


class AudioStream(_Stream):
    """An audio stream, from ``Writer.add_audio``. Blocks are ``(samples, channels)`` arrays of
    the sample format's dtype (``s16`` int16, ``s24``/``s32`` int32, ``f32`` float32, ``u8``
    uint8), or bytes of interleaved samples."""

    def write(self, block: Any, *, time: Optional[float] = None, time_ns: Optional[int] = None, nowait: bool = False) -> None:
        """Writes one block of samples and returns once it is in the file. With a capture
        time, gaps get silence and overlaps are trimmed (see the module doc)."""
        a = self._check(block, False)
        self._native.write(a, _time_ns(time, time_ns), nowait)
        self._written.add()

    def write_async(
        self,
        block: Any,
        *,
        time: Optional[float] = None,
        time_ns: Optional[int] = None,
        copy: bool = False,
        nowait: bool = False,
    ) -> WriteFuture:
        """Queues one block and returns a future, as ``VideoStream.write_async``."""
        a = self._check(block, copy)
        fut = self._future()
        fut._pending = self._native.begin(a, fut, _time_ns(time, time_ns), nowait)
        return fut


# Writers still open: closed at interpreter exit, before Python stops running threads (the
# worker needs the interpreter to complete futures).
_open_writers: "weakref.WeakSet[Writer]" = weakref.WeakSet()


@atexit.register
def _close_open_writers() -> None:
    for w in list(_open_writers):
        try:
            w.close()
        except Error:
            pass


class Writer:
    """An AVI file being written. See the module documentation (``help(avikit)``).

    Arguments: ``path``; ``fps`` (int, Fraction, float or ``(num, den)``; default 30);
    ``info`` (RIFF INFO metadata, e.g. ``{"INAM": "title", "ICMT": "comment"}``);
    ``max_queued_bytes`` (back-pressure: writes wait while this many bytes are queued; 0 =
    unbounded); ``encoder_threads`` (frames encoding at once; 0 = one per CPU);
    ``checkpoint_interval`` (seconds between crash-safety checkpoints; None = only at flush and
    close); ``durable`` (sync checkpoints to stable storage; default True); ``riff_limit``
    (bytes per RIFF segment, default about 1 GiB; lower it to test OpenDML)."""

    def __init__(
        self,
        path: Union[str, "os.PathLike[str]"],
        fps: FrameRate = 30,
        *,
        info: Optional[Dict[str, str]] = None,
        max_queued_bytes: int = 0,
        encoder_threads: int = 0,
        checkpoint_interval: Optional[float] = 1.0,
        durable: bool = True,
        emit_index1: bool = True,
        riff_limit: Optional[int] = None,
    ):
        num, den = _frame_rate(fps)
        self._native = _avikit._Writer(
            os.fspath(path),
            num,
            den,
            max_queued_bytes=max_queued_bytes,
            encoder_threads=encoder_threads,
            checkpoint_interval=checkpoint_interval,
            durable=durable,
            emit_index1=emit_index1,
            riff_limit=riff_limit,
        )
        self.path = os.fspath(path)
        _open_writers.add(self)
        self._info: Dict[str, str] = {}
        if info:
            for key, value in info.items():
                self.set_info(key, value)

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self.close()
        except Error:
            # Do not hide the exception that ended the block (KeyboardInterrupt, say).
            if exc_type is None:
                raise

    def __del__(self) -> None:
        native = getattr(self, "_native", None)
        if native is not None and native.state == "open":
            try:
                native.close()
            except Error:
                pass

    @property
    def fps(self) -> fractions.Fraction:
        """The frame rate, in lowest terms."""
        num, den = self._native.frame_rate
        return fractions.Fraction(num, den)

    @property
    def closed(self) -> bool:
        """Whether ``close`` has run."""
        return self._native.state == "closed"

    @property
    def info(self) -> Dict[str, str]:
        """The INFO metadata set so far (a copy); ``ISFT`` is "avikit <version>" unless set."""
        return dict(self._info)

    def set_info(self, key: str, value: str) -> None:
        """Sets one RIFF INFO entry: ``key`` is ``I`` plus three uppercase letters or digits
        (``INAM`` title, ``IART`` artist, ``ICMT`` comment, ``ICRD`` date, ...), an empty value
        removes it. Before the first write only (``InvalidStateError`` after)."""
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("INFO keys and values must be str")
        self._native.set_info(key, value)
        if value:
            self._info[key] = value
        else:
            self._info.pop(key, None)

    def add_video(
        self,
        width: int,
        height: int,
        codec: VideoCodec = "mjpeg",
        pixel_format: PixelFormat = "bgr24",
        *,
        quality: int = 75,
        keyframe_interval: int = 0,
        color_matrix: str = "bt601",
        prediction: str = "median",
        slices: int = 0,
        keep_alpha: bool = False,
        bits_per_pixel: Optional[int] = None,
        fourcc: Optional[str] = None,
        pixel_aspect: Tuple[int, int] = (1, 1),
        name: Optional[str] = None,
    ) -> VideoStream:
        """Adds a video stream of ``width`` x ``height`` pixels (before the first write).

        ``codec``: ``"mjpeg"``, ``"h264"``, ``"utvideo"``, ``"uncompressed"`` or ``"raw"``.
        ``pixel_format``: ``"bgr24"`` (OpenCV's order), ``"rgb24"``, ``"bgra"``, ``"rgba"``,
        ``"gray8"``, ``"i420"``, ``"nv12"``, ``"yuy2"`` (the array shape each takes is in the
        module doc). ``quality`` 1-100 (MJPEG, H.264); ``keyframe_interval`` (H.264; 0 = every
        2 seconds); ``color_matrix`` ``"bt601"``/``"bt709"`` (how YUV input is read);
        ``prediction``, ``slices``, ``keep_alpha`` (Ut Video); ``bits_per_pixel`` (uncompressed
        24/32, or the raw DIB's); ``fourcc`` (raw: the compressed frames' code, e.g. ``"MJPG"``);
        ``pixel_aspect`` (non-square pixels); ``name`` (the stream's ``strn``)."""
        native = self._native.add_video(
            width,
            height,
            codec,
            pixel_format,
            quality=quality,
            keyframe_interval=keyframe_interval,
            color_matrix=color_matrix,
            prediction=prediction,
            slices=slices,
            keep_alpha=keep_alpha,
            bits_per_pixel=bits_per_pixel,
            fourcc=fourcc,
            pixel_aspect=tuple(pixel_aspect),
            name=name,
        )
        return VideoStream(self, native, FrameCheck(width, height, codec, pixel_format))

    def add_audio(
        self,
        channels: int = 2,
        sample_rate: int = 44100,
        sample_format: SampleFormat = "s16",
        codec: AudioCodec = "pcm",
        *,
        bitrate_kbps: int = 160,
        channel_mask: int = 0,
        name: Optional[str] = None,
    ) -> AudioStream:
        """Adds an audio stream (before the first write). ``sample_format``: ``"s16"``,
        ``"s24"``, ``"s32"``, ``"f32"``, ``"u8"``. ``codec``: ``"pcm"`` or ``"mp3"`` (LAME,
        loaded at run time; ``s16`` input, 1-2 channels, ``bitrate_kbps``). ``channel_mask``:
        speaker positions (0 = the default for the channel count)."""
        native = self._native.add_audio(
            channels,
            sample_rate,
            sample_format,
            codec,
            bitrate_kbps=bitrate_kbps,
            channel_mask=channel_mask,
            name=name,
        )
        return AudioStream(self, native, BlockCheck(channels, sample_format))

    def flush(self, durable: bool = False) -> None:
        """Waits until everything queued is in the file and the headers and indexes are
        current (a file that plays as it is); ``durable=True`` also syncs to stable storage."""
        self._native.flush(bool(durable))

    def close(self) -> None:
        """Drains the queue (every future completes), finalizes the file and stops the worker.
        Raises the first error the writer met. Closing again does nothing."""
        _open_writers.discard(self)
        self._native.close()


class StreamReport(NamedTuple):
    """One stream of an inspected or repaired file. Video streams have ``fourcc`` (None for an
    uncompressed DIB), ``width``, ``height``, ``bits_per_pixel``; audio streams ``format_tag``,
    ``channels``, ``sample_rate``, ``bits_per_sample``; the others are None."""

    kind: str
    name: Optional[str]
    chunks: int
    bytes: int
    fourcc: Optional[str] = None
    width: Optional[int] = None
    height: Optional[int] = None
    bits_per_pixel: Optional[int] = None
    format_tag: Optional[int] = None
    channels: Optional[int] = None
    sample_rate: Optional[int] = None
    bits_per_sample: Optional[int] = None


class FileReport(NamedTuple):
    """What ``inspect`` or ``repair`` found: streams, frames of the first video stream, audio
    chunks, RIFF segments (1 = AVI 1.0, more = OpenDML); for repair, the payload bytes kept and
    whether anything had to be rebuilt."""

    stream_count: int
    streams: List[StreamReport]
    video_frames: int
    audio_chunks: int
    bytes_recovered: int
    riff_count: int
    was_damaged: bool


def _report(d: Dict[str, Any]) -> FileReport:
    d["streams"] = [StreamReport(**s) for s in d["streams"]]
    return FileReport(**d)


def inspect(path: Union[str, "os.PathLike[str]"]) -> FileReport:
    """Checks the AVI file at ``path`` strictly (headers, indexes, every chunk) and returns what
    it holds. Raises ``InvalidArgumentError`` naming the first fault, ``IOError`` if unreadable."""
    return _report(_avikit.inspect(os.fspath(path)))


def repair(
    path: Union[str, "os.PathLike[str]"],
    out: Optional[Union[str, "os.PathLike[str]"]] = None,
    *,
    progress: Optional[Callable[[int, int], Any]] = None,
) -> FileReport:
    """Rebuilds the headers and indexes of a file cut short (a crash, a kill, a power cut) from
    the chunks it holds, into ``out`` (None: in place, atomically). ``progress(done, total)`` is
    called with bytes copied as it goes (for a progress bar). Returns what was recovered."""
    return _report(_avikit.repair(os.fspath(path), None if out is None else os.fspath(out), progress))
