"""The examples run and write files that readers take."""

import subprocess
import sys
from pathlib import Path

import avikit
from conftest import ffprobe

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_numpy_clip(tmp_path):
    out = tmp_path / "clip.avi"
    subprocess.run([sys.executable, str(EXAMPLES / "numpy_clip.py"), str(out), "--seconds", "1"], check=True,
                   capture_output=True)
    streams = ffprobe(out)
    assert [s["codec_name"] for s in streams] == ["mjpeg", "pcm_s16le"]
    assert int(streams[0]["nb_read_frames"]) == 30
    assert avikit.inspect(out).audio_chunks == 30


def test_threaded_camera(tmp_path):
    out = tmp_path / "camera.avi"
    r = subprocess.run([sys.executable, str(EXAMPLES / "threaded_camera.py"), str(out), "--seconds", "1"],
                       check=True, capture_output=True, text=True)
    assert "frames written" in r.stdout
    report = avikit.inspect(out)
    # About a second of slots at 30 fps, whatever the camera's jitter.
    assert 20 <= report.video_frames <= 45
    assert ffprobe(out)[0]["codec_name"] == "utvideo"
