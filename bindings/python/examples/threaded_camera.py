"""Frames from a producer thread (standing in for a camera SDK's callback) written with their
capture timestamps: the file keeps real time even when the camera stutters or drops frames.

    python threaded_camera.py [out.avi] [--seconds N]

The producer stamps each frame with time.monotonic_ns() and hands it to the writer with
write_async; the writer places it in the slot of its time at 30 fps, fills missed slots with
empty frames (players hold the previous picture) and refuses a frame whose slot is taken
(avikit.DroppedError: the camera ran fast). A second thread records from the main one's
futures, which complete in order.
"""

import argparse
import queue
import random
import threading
import time

import numpy as np

import avikit


def camera(frames: "queue.Queue", stop: threading.Event, width: int, height: int):
    """Pushes (capture time in ns, frame) at about 30 fps, with jitter and the odd stall."""
    n = 0
    while not stop.is_set():
        frame = np.full((height, width), n % 256, np.uint8)  # gray8, one new array per frame
        frames.put((time.monotonic_ns(), frame))
        n += 1
        time.sleep(1 / 30 * random.uniform(0.8, 1.2) + (0.2 if random.random() < 0.02 else 0))
    frames.put(None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default="camera.avi")
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()

    width, height = 640, 480
    frames: "queue.Queue" = queue.Queue(maxsize=64)
    stop = threading.Event()
    producer = threading.Thread(target=camera, args=(frames, stop, width, height), daemon=True)

    with avikit.Writer(args.out, fps=30) as w:
        v = w.add_video(width, height, codec="utvideo", pixel_format="gray8")
        producer.start()
        threading.Timer(args.seconds, stop.set).start()
        futures, dropped = [], 0
        while (item := frames.get()) is not None:
            t_ns, frame = item
            try:
                futures.append(v.write_async(frame, time_ns=t_ns))
            except avikit.DroppedError:
                dropped += 1
        for f in futures:
            f.result()
        s = v.stats
    print(f"{args.out}: {s.written} frames written, {s.empty_frames} empty (camera gaps), "
          f"{dropped} dropped, {s.chunks} slots = {s.chunks / 30:.2f} s")


if __name__ == "__main__":
    main()
