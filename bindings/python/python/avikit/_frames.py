"""Checking numpy frames and sample blocks before anything is queued.

Each stream gets a checker built from its format at ``add_video``/``add_audio`` time: it knows
the one shape and dtype a frame must have, and turns anything else into a ``TypeError`` (wrong
type or dtype) or ``ValueError`` (wrong shape or memory layout) that names what was expected,
for example ``(1080, 1920, 3) uint8 for bgr24``.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

# Channels per pixel of the packed formats; None for the planar ones (shape given below).
_PACKED = {"bgr24": 3, "rgb24": 3, "bgra": 4, "rgba": 4, "yuy2": 2, "gray8": None}


def _describe(shape: Tuple[int, ...], dtype: Any) -> str:
    return f"{shape} {np.dtype(dtype).name}"


def _as_array(data: Any, what: str) -> np.ndarray:
    """``data`` as a numpy array without copying: arrays as they are, bytes-likes viewed."""
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return np.frombuffer(data, dtype=np.uint8)
    raise TypeError(f"{what} must be a numpy array (or bytes), not {type(data).__name__}")


def _contiguous(a: np.ndarray, copy: bool, expected: str) -> np.ndarray:
    """``a`` itself when it can be borrowed, a private copy when ``copy`` asks for one."""
    if copy:
        # A copy nobody else references: safe to borrow until the write completes.
        return np.array(a, order="C", copy=True)
    if not a.flags.c_contiguous:
        raise ValueError(
            f"the array is not C-contiguous (strides {a.strides}); expected {expected}: "
            "pass numpy.ascontiguousarray(frame), or copy=True"
        )
    return a


class FrameCheck:
    """The expected shape and dtype of one stream's frames."""

    def __init__(self, width: int, height: int, codec: str, pixel_format: str):
        self.codec = codec
        self.pixel_format = pixel_format
        if codec == "raw":
            self.shape: Optional[Tuple[int, ...]] = None
            self.expected = "a 1-D uint8 array (or bytes) of one frame's bytes for codec='raw'"
            return
        channels = _PACKED.get(pixel_format, None)
        if pixel_format in ("i420", "nv12"):
            # OpenCV's and most SDKs' layout: the Y plane, then the chroma rows below it.
            self.shape = (height * 3 // 2, width)
        elif channels is None:
            self.shape = (height, width)
        else:
            self.shape = (height, width, channels)
        self.expected = f"{_describe(self.shape, np.uint8)} for {pixel_format}"
        self.nbytes = int(np.prod(self.shape))

    def __call__(self, frame: Any, copy: bool) -> np.ndarray:
        a = _as_array(frame, "a frame")
        if a.dtype != np.uint8:
            raise TypeError(f"a frame must be uint8, not {a.dtype.name}: expected {self.expected}")
        if self.shape is None:
            if a.ndim != 1:
                raise ValueError(f"a raw frame must be 1-D, not of shape {a.shape}: expected {self.expected}")
            return _contiguous(a, copy, self.expected)
        if a.shape != self.shape:
            flat_ok = a.ndim == 1 and a.shape[0] == self.nbytes
            gray_ok = self.pixel_format == "gray8" and a.shape == self.shape + (1,)
            if not (flat_ok or gray_ok):
                raise ValueError(f"a frame of shape {a.shape}: expected {self.expected}")
        return _contiguous(a, copy, self.expected)


_SAMPLE_DTYPES = {"u8": np.uint8, "s16": np.int16, "s24": np.int32, "s32": np.int32, "f32": np.float32}


class BlockCheck:
    """The expected shape and dtype of one audio stream's blocks: ``(samples, channels)``."""

    def __init__(self, channels: int, sample_format: str):
        self.channels = channels
        self.sample_format = sample_format
        self.dtype = np.dtype(_SAMPLE_DTYPES[sample_format])
        self.expected = f"(n, {channels}) {self.dtype.name} for {sample_format}"
        if channels == 1:
            self.expected += " (or (n,))"

    def __call__(self, block: Any, copy: bool) -> np.ndarray:
        if isinstance(block, (bytes, bytearray, memoryview)):
            # Interleaved sample bytes exactly as the file stores them.
            return _contiguous(np.frombuffer(block, dtype=np.uint8), copy, self.expected)
        a = _as_array(block, "an audio block")
        if a.dtype != self.dtype:
            raise TypeError(f"an audio block must be {self.dtype.name}, not {a.dtype.name}: expected {self.expected}")
        if not (a.ndim == 2 and a.shape[1] == self.channels or a.ndim == 1 and self.channels == 1):
            raise ValueError(f"an audio block of shape {a.shape}: expected {self.expected}")
        if self.sample_format == "s24":
            # 24-bit samples are 3 bytes in the file: pack the low three bytes of each int32
            # (a copy, always).
            if a.size and (a.min() < -(1 << 23) or a.max() >= 1 << 23):
                raise ValueError("s24 samples must lie in -8388608..8388607")
            packed = np.ascontiguousarray(a, dtype="<i4").view(np.uint8).reshape(-1, 4)[:, :3]
            return np.ascontiguousarray(packed).reshape(-1)
        return _contiguous(a, copy, self.expected)
