"""Audio formats: PCM of every sample format (decoded back sample for sample), MP3, and audio
beside video."""

import numpy as np
import pytest

import avikit
from conftest import ffprobe, numbered, pyav_numbers, W, H

RATE = 48000


def decode_audio(path):
    import av

    with av.open(str(path)) as c:
        frames = [f.to_ndarray() for f in c.decode(audio=0)]
    return frames


def sine(n, channels, scale, dtype):
    t = np.arange(n)[:, None] / RATE
    x = np.sin(2 * np.pi * 440 * t * (1 + np.arange(channels)[None, :]))
    return (x * scale).astype(dtype)


@pytest.mark.parametrize("channels", [1, 2, 6])
@pytest.mark.parametrize(
    "sample_format,dtype,scale,codec_name",
    [
        ("s16", np.int16, 30000, "pcm_s16le"),
        ("s32", np.int32, 2_000_000_000, "pcm_s32le"),
        ("f32", np.float32, 0.9, "pcm_f32le"),
        ("s24", np.int32, 8_000_000, "pcm_s24le"),
    ],
)
def test_pcm_round_trip(avi, channels, sample_format, dtype, scale, codec_name):
    blocks = [sine(1000, channels, scale, dtype) * (i + 1) // 4 if dtype != np.float32 else sine(1000, channels, scale, dtype) / (i + 1) for i in range(4)]
    with avikit.Writer(avi) as w:
        a = w.add_audio(channels, RATE, sample_format=sample_format)
        for b in blocks:
            a.write(b)
        assert a.stats.samples == 4000
    (s,) = ffprobe(avi)
    assert s["codec_name"] == codec_name and s["channels"] == channels and int(s["sample_rate"]) == RATE
    decoded = np.concatenate([f.T if f.shape[0] != channels or channels == 1 else f.T for f in decode_audio(avi)])
    expected = np.concatenate(blocks)
    if sample_format == "s24":
        # FFmpeg decodes 24-bit PCM into the top of 32-bit samples.
        decoded = decoded >> 8
    assert decoded.reshape(expected.shape).tolist() == expected.tolist()


def test_u8_mono_and_bytes(avi):
    block = np.arange(256, dtype=np.uint8)
    with avikit.Writer(avi) as w:
        a = w.add_audio(1, 8000, sample_format="u8")
        a.write(block)
        a.write(bytes(block))
    (s,) = ffprobe(avi)
    assert s["codec_name"] == "pcm_u8"
    decoded = np.concatenate([f.reshape(-1) for f in decode_audio(avi)])
    assert decoded.tolist() == list(range(256)) * 2


def test_mp3(avi):
    pcm = sine(RATE, 2, 20000, np.int16)
    with avikit.Writer(avi) as w:
        try:
            a = w.add_audio(2, RATE, sample_format="s16", codec="mp3", bitrate_kbps=128)
        except avikit.UnsupportedError:
            pytest.skip("LAME is not installed")
        for i in range(0, RATE, 4800):
            a.write(pcm[i:i + 4800])
    (s,) = ffprobe(avi)
    assert s["codec_name"] == "mp3"
    total = sum(f.shape[-1] for f in decode_audio(avi))
    assert abs(total - RATE) < 1152 * 2


def test_mp3_wants_s16(avi):
    with avikit.Writer(avi) as w:
        w.add_audio(2, RATE)
        with pytest.raises(ValueError, match="s16"):
            w.add_audio(2, RATE, sample_format="f32", codec="mp3")


def test_video_with_sound(avi):
    with avikit.Writer(avi, fps=25) as w:
        v = w.add_video(W, H, codec="mjpeg")
        a = w.add_audio(2, RATE)
        for n in range(25):
            v.write(numbered(n, "bgr24"))
            a.write(sine(RATE // 25, 2, 1000, np.int16))
    streams = ffprobe(avi)
    assert [s["codec_type"] for s in streams] == ["video", "audio"]
    # Packed s16 decodes as (1, samples * channels) arrays.
    assert sum(f.shape[-1] for f in decode_audio(avi)) == RATE * 2
    assert pyav_numbers(avi) == list(range(25))
