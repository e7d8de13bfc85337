#!/usr/bin/env python3
"""Checks a recording of examples/c/capture_timing.c against the summary line it printed.

Usage: check_capture_timing.py FILE.avi SUMMARY.txt

With ffprobe and ffmpeg (nobody here wrote them): the header's video frame count is the
summary's frames plus empty frames, and ffprobe reads one packet per non-empty frame (empty
frames are zero-length chunks, which FFmpeg does not hand out as packets); the video lasts the
measured wall time to within one frame period, and the decoded audio (exactly the summary's
samples) lasts the video's time to within 20 ms; a strict decode prints nothing. Every picture
carries its slot number in its top half (tests/tools/frame_code.py's cells), which must equal
its packet's pts: each frame sits in the slot of its capture time. Removes both files when
every check passes; otherwise keeps them and exits 1 with one FAIL line per failed check.
"""
import json
import os
import re
import subprocess
import sys
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "tools"))
import frame_code  # noqa: E402

SUMMARY = re.compile(r"^capture_timing: wall_ms=([0-9.]+) frames=(\d+) empty_frames=(\d+) "
                     r"dropped_frames=(\d+) audio_samples=(\d+) ", re.M)


def run(cmd):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace").strip()


def main():
    path, summary_path = sys.argv[1], sys.argv[2]
    with open(summary_path, encoding="utf-8") as f:
        m = SUMMARY.search(f.read())
    if not m:
        print(f"FAIL [summary]: no summary line in {summary_path}", file=sys.stderr)
        return 1
    wall = Fraction(m.group(1)) / 1000
    frames, empty, samples = int(m.group(2)), int(m.group(3)), int(m.group(5))
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(f"FAIL [{what[0]}]: {what[1]}")

    rc, out, err = run(["ffprobe", "-v", "error", "-count_packets", "-show_streams", "-of", "json",
                        path])
    if rc != 0 or err:
        print(f"FAIL [ffprobe]: exit {rc}: {err}", file=sys.stderr)
        return 1
    streams = json.loads(out)["streams"]
    video = next(s for s in streams if s["codec_type"] == "video")
    audio = next(s for s in streams if s["codec_type"] == "audio")
    period = 1 / Fraction(video["r_frame_rate"])
    slots = int(video["nb_frames"])
    video_s = slots * period
    packets = int(video.get("nb_read_packets", 0))
    check(slots == frames + empty,
          ("video-frames", f"header has {slots} frames, the program wrote {frames} + {empty}"))
    check(packets == frames, ("video-packets", f"ffprobe read {packets} packets, {frames} frames"))
    check(abs(video_s - wall) <= period,
          ("video-duration", f"video {float(video_s):.4f} s, wall time {float(wall):.4f} s"))

    rc, pcm, err = run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0",
                        "-f", "s16le", "-"])
    decoded = len(pcm) // (2 * int(audio["channels"]))
    audio_s = Fraction(decoded, int(audio["sample_rate"]))
    check(rc == 0 and not err, ("audio-decode", f"exit {rc}: {err}"))
    check(decoded == samples, ("audio-samples", f"decoded {decoded} samples, wrote {samples}"))
    check(abs(audio_s - video_s) <= Fraction(20, 1000),
          ("audio-duration", f"audio {float(audio_s):.4f} s, video {float(video_s):.4f} s"))

    rc, _, err = run(["ffmpeg", "-nostdin", "-v", "error", "-err_detect", "explode", "-xerror",
                      "-i", path, "-f", "null", "-"])
    check(rc == 0 and not err, ("strict-decode", f"exit {rc}: {err or '(no message)'}"))

    rc, out, err = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "packet=pts,size", "-of", "csv=p=0", path])
    pts = [int(line.split(",")[0]) for line in out.decode().split()
           if int(line.split(",")[1]) > 0]
    w, h = int(video["width"]), int(video["height"])
    rc, gray, err = run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0",
                         "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
    pictures = [gray[i:i + w * h] for i in range(0, len(gray) - w * h + 1, w * h)]
    numbers = [frame_code.read_number(p, w, h // 2, w) for p in pictures]
    check(rc == 0 and not err, ("video-decode", f"exit {rc}: {err}"))
    misplaced = [(t, n) for t, n in zip(pts, numbers) if t != n]
    check(len(numbers) == len(pts) == frames and not misplaced,
          ("slots", f"{len(numbers)} pictures for {len(pts)} packets; (pts, number) that differ: "
                    f"{misplaced[:5]}"))

    print(f"{path}: {frames} frames + {empty} empty = {float(video_s):.3f} s of video, "
          f"{samples} samples = {float(audio_s):.3f} s of audio, wall {float(wall):.3f} s")
    for f in failures:
        print(f, file=sys.stderr)
    if failures:
        print(f"kept {path} and {summary_path}", file=sys.stderr)
        return 1
    os.remove(path)
    os.remove(summary_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
