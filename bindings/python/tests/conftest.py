"""Shared helpers: numbered frames in every pixel format, and readers (PyAV, ffprobe) that
tell which frame they decoded.

A numbered frame carries its number as black and white cells (tests/tools/frame_code.py, the
same code the Rust tests draw), large enough to survive MJPEG, H.264 and chroma subsampling,
so a reader's pixels say which frame it shows.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "tools"))
import frame_code  # noqa: E402

W, H = 64, 48
FORMATS = ["bgr24", "rgb24", "bgra", "rgba", "gray8", "i420", "nv12", "yuy2"]


def code_plane(n, w=W, h=H, black=0, white=255):
    """Frame ``n``'s cells as an (h, w) uint8 plane."""
    word = (n << frame_code.CHECK_BITS) | frame_code.check(n)
    bits = np.array([(word >> (31 - i)) & 1 for i in range(32)], dtype=bool)
    grid = bits.reshape(frame_code.ROWS, frame_code.COLUMNS)
    rows = np.arange(h) * frame_code.ROWS // h
    cols = np.arange(w) * frame_code.COLUMNS // w
    return np.ascontiguousarray(np.where(grid[rows][:, cols], white, black), dtype=np.uint8)


def numbered(n, pixel_format, w=W, h=H):
    """Frame ``n`` as the array ``write`` takes for ``pixel_format``."""
    if pixel_format in ("i420", "nv12", "yuy2"):
        y = code_plane(n, w, h, 16, 235)  # limited range, as cameras deliver
        if pixel_format == "yuy2":
            out = np.full((h, w, 2), 128, np.uint8)
            out[:, :, 0] = y
            return out
        return np.vstack([y, np.full((h // 2, w), 128, np.uint8)])
    g = code_plane(n, w, h)
    if pixel_format == "gray8":
        return g
    channels = 4 if pixel_format in ("bgra", "rgba") else 3
    out = np.repeat(g[:, :, None], channels, axis=2)
    if channels == 4:
        out[:, :, 3] = 255
    return np.ascontiguousarray(out)


def read_number(gray):
    h, w = gray.shape
    return frame_code.read_number(gray.tobytes(), w, h, w)


def pyav_numbers(path, stream=0):
    """The frame numbers PyAV decodes from the video stream, in order (None: unreadable)."""
    import av

    with av.open(str(path)) as c:
        v = c.streams.video[stream]
        return [read_number(f.to_ndarray(format="gray")) for f in c.decode(v)]


def ffprobe(path):
    """ffprobe's streams with counted packets and frames, strict about errors."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-count_frames", "-show_streams", "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)["streams"]


def ffmpeg_decodes_clean(path):
    """Whether ffmpeg decodes every stream with no error at all."""
    r = subprocess.run(
        ["ffmpeg", "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True,
    )
    return r.returncode == 0 and not r.stderr.strip(), r.stderr


@pytest.fixture
def avi(tmp_path):
    return tmp_path / "out.avi"


def lame_available():
    return any(os.path.exists(p) for p in ("/usr/lib/x86_64-linux-gnu/libmp3lame.so.0", "/usr/lib/libmp3lame.so.0")) or shutil.which("lame")
