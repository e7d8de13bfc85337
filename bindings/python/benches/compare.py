"""avikit from Python against OpenCV's and PyAV's writers, and against avikit's own Rust API.

    python compare.py [--quick] [--rounds N] [--frames N] [--markdown FILE]

1080p bgr24 frames (FFmpeg's testsrc2 pattern, held as numpy arrays, cycled) are written by:

- MJPEG: avikit (2 encoder threads, ``write_async``) at the lowest quality whose PSNR is at
  least that of ``cv2.VideoWriter`` MJPG (its defaults, as ``cv2.VideoWriter(path,
  fourcc("MJPG"), ...)`` picks them); target >= 3x OpenCV's fps.
- Ut Video: avikit (2 encoder threads; and 1) against PyAV's ``utvideo`` encoder (gbrp, the
  same lossless RGB); target >= 2x PyAV's fps.
- Uncompressed: avikit (a 24-bit DIB) against ``cv2.VideoWriter`` with fourcc 0 (FFmpeg's
  rawvideo, which OpenCV writes as I420).
- Each avikit case also through a small Rust program (``rust_baseline``) doing the same writes
  through the Rust API on the same frames: the Python overhead per frame is the difference of
  the two times, target <= 5% of the Rust time.

Every contender runs once per round, in turn, round after round, so drift of the machine hits
all alike; ratios are the medians of the per-round ratios. Each Python case runs ``--pairs``
times a round beside its Rust API twin, in ABBA order; the overhead is the median over these
pairs of (Python - Rust) / Rust. A time covers the writer's creation
to the end of its close (the file complete, in the page cache; a sync before each run keeps
the write-back of the previous file out of it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import avikit

ROOT = Path(__file__).resolve().parents[3]
BASELINE_DIR = Path(__file__).resolve().parent / "rust_baseline"


def testsrc_frames(width, height, count):
    """``count`` frames of FFmpeg's testsrc2 as (height, width, 3) uint8 BGR arrays."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=30",
         "-frames:v", str(count), "-pix_fmt", "bgr24", "-f", "rawvideo", "-"],
        check=True, capture_output=True,
    ).stdout
    return list(np.frombuffer(raw, np.uint8).reshape(count, height, width, 3))


def build_baseline():
    env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target"))
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path", str(BASELINE_DIR / "Cargo.toml")],
                   check=True, env=env)
    return ROOT / "target" / "release" / "avikit-python-baseline"


def psnr(path, frames, count):
    """PSNR (dB) of the first ``count`` decoded frames of ``path`` against ``frames``."""
    import av

    mse = []
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i == count:
                break
            d = f.to_ndarray(format="bgr24").astype(np.float64)
            mse.append(np.mean((d - frames[i % len(frames)]) ** 2))
    m = float(np.mean(mse))
    return float("inf") if m == 0 else 10 * np.log10(255.0 ** 2 / m)


# --- contenders: each writes `n` frames to `out` and returns seconds ------------------------

def run_avikit(out, frames, n, codec, quality=75, threads=2):
    h, w = frames[0].shape[:2]
    start = time.perf_counter()
    with avikit.Writer(out, fps=30, encoder_threads=threads) as wr:
        v = wr.add_video(w, h, codec=codec, pixel_format="bgr24", quality=quality)
        for i in range(n):
            v.write_async(frames[i % len(frames)])
    return time.perf_counter() - start


def run_rust(baseline, frames_file, out, frames, n, codec, quality=75, threads=2):
    h, w = frames[0].shape[:2]
    r = subprocess.run([str(baseline), str(frames_file), str(out), str(w), str(h), "bgr24", codec,
                        str(quality), str(threads), str(n)], check=True, capture_output=True, text=True)
    return float(r.stdout.strip())


def run_cv2(out, frames, n, fourcc):
    import cv2

    h, w = frames[0].shape[:2]
    start = time.perf_counter()
    vw = cv2.VideoWriter(str(out), fourcc, 30, (w, h))
    if not vw.isOpened():
        raise RuntimeError("cv2.VideoWriter did not open")
    for i in range(n):
        vw.write(frames[i % len(frames)])
    vw.release()
    return time.perf_counter() - start


def run_pyav_utvideo(out, frames, n):
    import av

    h, w = frames[0].shape[:2]
    start = time.perf_counter()
    with av.open(str(out), "w") as c:
        s = c.add_stream("utvideo", rate=30)
        s.width, s.height, s.pix_fmt = w, h, "gbrp"
        for i in range(n):
            for p in s.encode(av.VideoFrame.from_ndarray(frames[i % len(frames)], format="bgr24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run: 640x360, few frames, one round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--frames", type=int, default=120, help="frames per run")
    ap.add_argument("--pairs", type=int, default=4,
                    help="per round, times each avikit case runs as a Python run then a Rust API run")
    ap.add_argument("--markdown", type=Path, help="also write the table here")
    ap.add_argument("--dir", type=Path, help="scratch directory (default: a temporary one)")
    args = ap.parse_args()
    import cv2

    width, height = (640, 360) if args.quick else (1920, 1080)
    n = 12 if args.quick else args.frames
    rounds = 1 if args.quick else args.rounds
    scratch = Path(tempfile.mkdtemp(prefix="avikit-pybench-", dir=args.dir))
    try:
        frames = testsrc_frames(width, height, 30)
        frames_file = scratch / "frames.bgr"
        frames_file.write_bytes(b"".join(f.tobytes() for f in frames))
        baseline = build_baseline()
        mjpg, raw = cv2.VideoWriter_fourcc(*"MJPG"), 0

        # Equal PSNR: OpenCV's MJPG quality first, then avikit's lowest quality reaching it.
        out = scratch / "q.avi"
        run_cv2(out, frames, len(frames), mjpg)
        cv2_db = psnr(out, frames, len(frames))
        def avikit_db(q):
            run_avikit(out, frames, len(frames), "mjpeg", q)
            return psnr(out, frames, len(frames))

        # Bisection for the lowest quality at or above OpenCV's PSNR (PSNR grows with quality).
        lo, hi = 50, 100
        chosen_db = avikit_db(hi)
        while lo < hi:
            mid = (lo + hi) // 2
            db = avikit_db(mid)
            if db >= cv2_db:
                hi, chosen_db = mid, db
            else:
                lo = mid + 1
        chosen = hi
        chosen_db = avikit_db(chosen)
        print(f"PSNR: cv2 MJPG {cv2_db:.2f} dB; avikit quality {chosen}: {chosen_db:.2f} dB", flush=True)

        cases = {
            "avikit MJPEG q%d, 2 threads (Python)" % chosen: lambda o: run_avikit(o, frames, n, "mjpeg", chosen),
            "avikit MJPEG q%d, 2 threads (Rust API)" % chosen: lambda o: run_rust(baseline, frames_file, o, frames, n, "mjpeg", chosen),
            "cv2.VideoWriter MJPG": lambda o: run_cv2(o, frames, n, mjpg),
            "avikit Ut Video, 2 threads (Python)": lambda o: run_avikit(o, frames, n, "utvideo"),
            "avikit Ut Video, 2 threads (Rust API)": lambda o: run_rust(baseline, frames_file, o, frames, n, "utvideo"),
            "avikit Ut Video, 1 thread (Python)": lambda o: run_avikit(o, frames, n, "utvideo", threads=1),
            "PyAV utvideo (gbrp)": lambda o: run_pyav_utvideo(o, frames, n),
            "avikit uncompressed (Python)": lambda o: run_avikit(o, frames, n, "uncompressed"),
            "avikit uncompressed (Rust API)": lambda o: run_rust(baseline, frames_file, o, frames, n, "uncompressed"),
            "cv2.VideoWriter raw (fourcc 0)": lambda o: run_cv2(o, frames, n, raw),
        }
        times = {name: [] for name in cases}  # seconds of every run, in order
        by_round = {name: [[] for _ in range(rounds)] for name in cases}
        sizes = {}
        names = list(cases)
        pairs = 1 if args.quick else args.pairs
        for r in range(rounds):
            # Start each round at a different contender, so none always follows the same one.
            # A Python case and its Rust API twin run back to back, `pairs` times: the overhead
            # is a difference of a few percent, and the machine's drift is not.
            for name in names[r % len(names):] + names[:r % len(names)]:
                if name.endswith("(Rust API)"):
                    continue
                twin = name.replace("(Python)", "(Rust API)")
                if twin != name and twin in cases:
                    # ABBA order: a drift during the group hits both sides alike.
                    group = [run for k in range(pairs) for run in ((name, twin) if k % 2 == 0 else (twin, name))]
                else:
                    group = [name]
                for run in group:
                    out = scratch / "run.avi"
                    # The previous run's write-back must not land in this one's time.
                    os.sync()
                    t = cases[run](out)
                    times[run].append(t)
                    by_round[run][r].append(n / t)
                    sizes[run] = out.stat().st_size
                    out.unlink()
            print(f"round {r + 1}/{rounds} done (load average {os.getloadavg()[0]:.1f})", flush=True)

        def fps(name):
            return [n / t for t in times[name]]

        def ratio(name, base):
            """The median over rounds of the round's fps ratio."""
            return statistics.median(statistics.median(a) / statistics.median(b)
                                     for a, b in zip(by_round[name], by_round[base]))

        rows = []
        targets = {
            "avikit MJPEG q%d, 2 threads (Python)" % chosen: ("cv2.VideoWriter MJPG", 3.0),
            "avikit Ut Video, 2 threads (Python)": ("PyAV utvideo (gbrp)", 2.0),
            "avikit Ut Video, 1 thread (Python)": ("PyAV utvideo (gbrp)", None),
            "avikit uncompressed (Python)": ("cv2.VideoWriter raw (fourcc 0)", None),
        }
        for name in names:
            f = fps(name)
            base, want = targets.get(name, (None, None))
            r = ratio(name, base) if base else None
            met = "" if want is None else ("yes" if r >= want else "no") + f" (>= {want:g}x {base})"
            rows.append((name, statistics.median(f), min(f), max(f), "" if r is None else f"{r:.2f}x", met,
                         f"{sizes[name] / 1e6 / n:.2f} MB/frame"))
        overhead = []
        for label in ("MJPEG q%d, 2 threads" % chosen, "Ut Video, 2 threads", "uncompressed"):
            py, rs = times[f"avikit {label} (Python)"], times[f"avikit {label} (Rust API)"]
            per_pair = [(p - q) / q for p, q in zip(py, rs)]
            o = statistics.median(per_pair)
            overhead.append((label, statistics.median(py) / n * 1e3, statistics.median(rs) / n * 1e3, o * 100,
                             "yes" if o <= 0.05 else "no"))

        lines = [f"{width}x{height} bgr24, {n} frames a run, {rounds} rounds ({pairs} Python/Rust API pairs a round); PSNR: cv2 MJPG {cv2_db:.2f} dB, "
                 f"avikit MJPEG q{chosen} {chosen_db:.2f} dB", "",
                 "| contender | median fps | min | max | ratio | target met | output |",
                 "|---|---:|---:|---:|---:|---|---|"]
        lines += [f"| {a} | {b:.1f} | {c:.1f} | {d:.1f} | {e} | {f} | {g} |" for a, b, c, d, e, f, g in rows]
        lines += ["", "| Python overhead | Python ms/frame | Rust API ms/frame | overhead | target met (<= 5%) |",
                  "|---|---:|---:|---:|---|"]
        lines += [f"| {a} | {b:.3f} | {c:.3f} | {d:+.1f}% | {e} |" for a, b, c, d, e in overhead]
        text = "\n".join(lines)
        print(text)
        if args.markdown:
            args.markdown.write_text(text + "\n")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
