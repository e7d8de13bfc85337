"""Records a generated clip with sound: a moving colour pattern (numpy) at 720p with a
440 Hz tone, MJPEG + 16-bit PCM, a tqdm bar fed from the stream's counters.

    python numpy_clip.py [out.avi] [--seconds N]
"""

import argparse

import numpy as np

import avikit

try:
    from tqdm import tqdm
except ImportError:  # the bar is optional
    tqdm = None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default="clip.avi")
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()

    fps, rate, width, height = 30, 48000, 1280, 720
    n_frames = int(args.seconds * fps)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    samples_per_frame = rate // fps
    bar = tqdm(total=n_frames, unit="frame") if tqdm else None

    with avikit.Writer(args.out, fps=fps, info={"INAM": "avikit numpy clip", "ICMT": "generated"}) as w:
        video = w.add_video(width, height, codec="mjpeg", pixel_format="bgr24", quality=85)
        audio = w.add_audio(channels=2, sample_rate=rate, sample_format="s16")
        for n in range(n_frames):
            t = n / fps
            frame = np.empty((height, width, 3), np.uint8)
            frame[:, :, 0] = (128 + 127 * np.sin(x / 80 + t * 3)).astype(np.uint8)
            frame[:, :, 1] = (128 + 127 * np.sin(y / 60 - t * 2)).astype(np.uint8)
            frame[:, :, 2] = ((x + y + n * 8) % 256).astype(np.uint8)
            # A fresh array per frame: the queued write borrows it, nobody changes it later.
            video.write_async(frame)

            s = np.arange(n * samples_per_frame, (n + 1) * samples_per_frame) / rate
            tone = (8000 * np.sin(2 * np.pi * 440 * s)).astype(np.int16)
            audio.write(np.column_stack([tone, tone]))
            if bar:
                bar.update(video.stats.written - bar.n)
    if bar:
        bar.update(n_frames - bar.n)
        bar.close()
    report = avikit.inspect(args.out)
    print(f"{args.out}: {report.video_frames} frames, {report.audio_chunks} audio blocks")


if __name__ == "__main__":
    main()
