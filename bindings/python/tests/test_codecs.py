"""Every codec with every pixel format, judged by PyAV (frame numbers) and ffprobe."""

import numpy as np
import pytest

import avikit
from conftest import FORMATS, H, W, ffmpeg_decodes_clean, ffprobe, numbered, pyav_numbers

CODECS = {"mjpeg": "mjpeg", "h264": "h264", "utvideo": "utvideo", "uncompressed": "rawvideo"}
N = 6


@pytest.mark.parametrize("codec", list(CODECS))
@pytest.mark.parametrize("pixel_format", FORMATS)
def test_codec_and_pixel_format(avi, codec, pixel_format):
    with avikit.Writer(avi, fps=25) as w:
        v = w.add_video(W, H, codec=codec, pixel_format=pixel_format)
        for n in range(N):
            v.write(numbered(n, pixel_format))
        assert v.stats.chunks == N and v.stats.written == N
    (s,) = ffprobe(avi)
    assert s["codec_name"] == CODECS[codec]
    assert (s["width"], s["height"]) == (W, H)
    assert int(s["nb_read_packets"]) == N
    assert pyav_numbers(avi) == list(range(N))
    ok, err = ffmpeg_decodes_clean(avi)
    assert ok, err
    report = avikit.inspect(avi)
    assert report.video_frames == N and report.riff_count == 1


@pytest.mark.parametrize("pixel_format", ["bgr24", "rgb24", "bgra", "rgba"])
def test_utvideo_is_lossless(avi, pixel_format):
    import av

    rng = np.random.default_rng(1)
    channels = 3 if pixel_format.endswith("24") else 4
    frames = [rng.integers(0, 256, (H, W, channels), dtype=np.uint8) for _ in range(3)]
    with avikit.Writer(avi) as w:
        v = w.add_video(W, H, codec="utvideo", pixel_format=pixel_format)
        for f in frames:
            v.write(f)
    with av.open(str(avi)) as c:
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    assert len(decoded) == len(frames)
    for f, d in zip(frames, decoded):
        rgb = f[:, :, :3] if pixel_format.startswith("rgb") else f[:, :, 2::-1]
        assert np.array_equal(rgb, d)


def test_uncompressed_keeps_pixels(avi):
    import av

    frame = np.random.default_rng(2).integers(0, 256, (H, W, 3), dtype=np.uint8)
    with avikit.Writer(avi) as w:
        w.add_video(W, H, codec="uncompressed", pixel_format="bgr24").write(frame)
    with av.open(str(avi)) as c:
        (d,) = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    assert np.array_equal(d, frame)


def test_raw_dib_and_raw_mjpeg(tmp_path):
    import cv2

    dib = tmp_path / "dib.avi"
    with avikit.Writer(dib) as w:
        v = w.add_video(W, H, codec="raw", bits_per_pixel=32)
        for n in range(3):
            # A bottom-up BGRA DIB: flip the rows.
            v.write(numbered(n, "bgra")[::-1].tobytes())
    assert pyav_numbers(dib) == [0, 1, 2]

    mjpg = tmp_path / "mjpg.avi"
    with avikit.Writer(mjpg) as w:
        v = w.add_video(W, H, codec="raw", fourcc="MJPG")
        for n in range(3):
            ok, jpeg = cv2.imencode(".jpg", numbered(n, "bgr24"))
            assert ok
            v.write(jpeg.reshape(-1))
    assert ffprobe(mjpg)[0]["codec_name"] == "mjpeg"
    assert pyav_numbers(mjpg) == [0, 1, 2]


def test_h264_at_1080p_odd_options(avi):
    with avikit.Writer(avi, fps=(30000, 1001)) as w:
        v = w.add_video(1920, 1080, codec="h264", pixel_format="nv12", quality=60, keyframe_interval=5,
                        color_matrix="bt709")
        for n in range(8):
            v.write(numbered(n, "nv12", 1920, 1080))
    (s,) = ffprobe(avi)
    assert s["r_frame_rate"] == "30000/1001" and int(s["nb_read_frames"]) == 8
    assert pyav_numbers(avi) == list(range(8))


def test_utvideo_options_and_pixel_aspect(avi):
    with avikit.Writer(avi) as w:
        v = w.add_video(W, H, codec="utvideo", pixel_format="bgra", prediction="left", slices=4, keep_alpha=True,
                        pixel_aspect=(4, 3), name="cam0")
        v.write(numbered(0, "bgra"))
    (s,) = ffprobe(avi)
    assert s["codec_tag_string"] == "ULRA"
    assert s["sample_aspect_ratio"] == "4:3"
    report = avikit.inspect(avi)
    assert report.streams[0].name == "cam0" and report.streams[0].fourcc == "ULRA"


def test_opendml_segments(avi):
    frame_bytes = W * H * 3
    with avikit.Writer(avi, riff_limit=40 * frame_bytes) as w:
        v = w.add_video(W, H, codec="uncompressed", pixel_format="bgr24")
        for n in range(200):
            v.write(numbered(n, "bgr24"))
    report = avikit.inspect(avi)
    assert report.riff_count > 2 and report.video_frames == 200
    assert pyav_numbers(avi) == list(range(200))


def test_info_metadata(avi):
    with avikit.Writer(avi, info={"INAM": "mouse 7", "ICMT": "trial 3"}) as w:
        w.set_info("IART", "lab")
        w.set_info("ICMT", "")
        assert w.info == {"INAM": "mouse 7", "IART": "lab"}
        w.add_video(W, H, codec="mjpeg").write(numbered(0, "bgr24"))
    import av

    with av.open(str(avi)) as c:
        tags = c.metadata
    assert tags.get("title") == "mouse 7" and tags.get("artist") == "lab"
    assert "comment" not in tags
    assert tags.get("software", "").startswith("avikit")


def test_fps_forms(tmp_path):
    from fractions import Fraction

    for i, (fps, expect) in enumerate([(30, "30/1"), (Fraction(30000, 1001), "30000/1001"), ((24000, 1001), "24000/1001"), (12.5, "25/2")]):
        p = tmp_path / f"{i}.avi"
        with avikit.Writer(p, fps=fps) as w:
            assert w.fps == Fraction(*map(int, expect.split("/")))
            w.add_video(W, H, codec="mjpeg").write(numbered(0, "bgr24"))
        assert ffprobe(p)[0]["r_frame_rate"] == expect
