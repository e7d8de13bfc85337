#!/usr/bin/env python3
"""What every reader delivers from the first video stream of an AVI file with numbered frames.

Judges nothing (avi_check.py does): prints one line per reader with the frames it delivered and
the first and last frame number it showed, for before/after comparisons of long recordings.
Readers: ffmpeg (decode), ffprobe (header count and counted packets), mediainfo (frame count,
duration), PyAV, OpenCV (its FFmpeg backend; its own reader takes MJPEG only), GStreamer, VLC,
MPlayer, and gst-discoverer-1.0's duration.

Usage: reader_census.py FILE [--readers NAME,NAME...] [--json]
  --readers  only these readers (as named in the table: gstreamer, vlc, mplayer, ...)
  --json     one JSON object {reader: facts} instead of the table (for tests)
"""
import argparse
import json
import subprocess
import sys

import frame_code
import players


def span(numbers):
    readable = [n for n in numbers if n is not None]
    return {"frames": len(numbers), "first": readable[0] if readable else None,
            "last": readable[-1] if readable else None,
            "unreadable": len(numbers) - len(readable)}


def ffprobe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0",
                          "-show_streams", "-of", "json", path], capture_output=True).stdout
    return json.loads(out)["streams"][0]


def ffmpeg(path, w, h):
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-f", "rawvideo",
           "-pix_fmt", "gray", "-"]
    numbers = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE) as p:
        while len(picture := p.stdout.read(w * h)) == w * h:
            numbers.append(frame_code.read_number(picture, w, h, w))
    return span(numbers)


def mediainfo(path):
    out = subprocess.run(["mediainfo", "--Output=JSON", path], capture_output=True).stdout
    video = next(t for t in json.loads(out)["media"]["track"] if t["@type"] == "Video")
    return {"frames": video.get("FrameCount"), "duration_s": video.get("Duration")}


def pyav(path):
    import av
    numbers = []
    with av.open(path) as container:
        for frame in container.decode(video=0):
            gray = frame.to_ndarray(format="gray")
            numbers.append(frame_code.read_number(gray.tobytes(), gray.shape[1], gray.shape[0],
                                                  gray.shape[1]))
    return span(numbers)


def opencv(path):
    import cv2
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    numbers = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        numbers.append(frame_code.read_number(gray.tobytes(), gray.shape[1], gray.shape[0],
                                              gray.shape[1]))
    return span(numbers)


def discoverer(path):
    out = subprocess.run(["gst-discoverer-1.0", path], capture_output=True, text=True).stdout
    return {"duration": next((ln.split(": ", 1)[1] for ln in out.splitlines()
                              if ln.strip().startswith("Duration")), None)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--readers")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    path = args.file
    wanted = set(args.readers.split(",")) if args.readers else None
    v = ffprobe(path)
    video = [{"index": v["index"], "width": v["width"], "height": v["height"]}]
    flip = [v["index"]] if v.get("codec_name") == "rawvideo" and v.get("pix_fmt") != "pal8" \
        else []
    facts = {
        "ffprobe": lambda: {"header_frames": v.get("nb_frames"),
                            "packets": v.get("nb_read_packets")},
        "ffmpeg": lambda: ffmpeg(path, v["width"], v["height"]),
        "mediainfo": lambda: mediainfo(path),
        "pyav": lambda: pyav(path),
        "opencv": lambda: opencv(path),
        "gst-discoverer": lambda: discoverer(path),
    }
    for name, fn, extra in (("gstreamer", players.gstreamer, {}), ("vlc", players.vlc, {}),
                            ("mplayer", players.mplayer, {"flip": flip})):
        def play(fn=fn, extra=extra):
            result = fn(path, video, True, **extra)
            got = result["streams"].get(v["index"])
            return dict(span(got["numbers"]) if got else {"frames": 0},
                        demuxed=got["frames"] if got else 0,
                        said="; ".join(filter(None, (result["error"], result.get("said")))))
        facts[name] = play
    census = {name: fn() for name, fn in facts.items() if wanted is None or name in wanted}
    if args.json:
        print(json.dumps(census))
        return
    for name, found in census.items():
        print(f"{name:15} " + ", ".join(f"{k} {val}" for k, val in found.items()))


if __name__ == "__main__":
    main()
