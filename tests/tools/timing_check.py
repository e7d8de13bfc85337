#!/usr/bin/env python3
"""Judges when every reader shows each numbered frame of an AVI file with empty frames.

Usage: timing_check.py FILE --slots SLOTS.json
SLOTS.json: {"rate": [num, den], "total": T, "slots": {"N": k, ...}}: the first video stream has
T slots of den/num seconds; numbered frame N (frame_code.py) is in slot k, and every other slot
holds an empty frame (a zero-length chunk: a player shows the previous frame again).

Every reader must deliver exactly the numbered frames, in slot order, each at the time of its
slot (k * den / num seconds, within half a frame period), and say the stream lasts all T slots.
What each reader gives, and so what is checked:
  ffmpeg     a strict decode of every stream (-err_detect explode -xerror, as avi_check.py);
             its pictures (-fps_mode passthrough) at ffprobe's frame timestamps
             (best_effort_timestamp). Its default constant-rate output repeats frames for the
             gaps but places the last repeat of a gap one slot early (its rounding, FFmpeg's
             own files too), so that is not judged.
  ffprobe    header nb_frames = T, counted packets = the numbered frames (it skips empty
             chunks), stream duration = T periods, each packet's pts (its dts where FFmpeg's
             AVI demuxer leaves pts unset, as for H.264) at its slot.
  PyAV       each decoded frame's pts * time_base; the stream's frames = T and duration = T.
  OpenCV     (its FFmpeg backend) CAP_PROP_POS_MSEC after each read; CAP_PROP_FRAME_COUNT = T.
             Its own AVI reader (CAP_OPENCV_MJPEG) takes only files with a single MJPEG stream
             and reads only the first RIFF's idx1, so it is judged on such files of one RIFF:
             it shows the previous picture again for an empty frame, so its pictures, repeats
             included, must be exactly one per slot.
  mediainfo  no per-frame times: the video track's FrameCount = T and Duration = T periods.
  GStreamer  avidemux's PTS of each decoded picture; the video pad's duration = T periods.
  VLC        the dts of each demuxed video block (its stats output). VLC prints only dts
             differences, so the times are relative to the first block, which is taken to be at
             its slot; its AVI demuxer's index entries (-vv log) = T and its length in whole
             seconds = T periods rounded down.
  MPlayer    the pts its AVI demuxer gives every video packet (-msglevel demuxer=7): T packets,
             empty ones included, the others at their slots; ID_LENGTH (1/100 s) = T periods.
The frames a reader delivers are paired with its times in delivery order (no codec here
reorders frames). Allowances in the style of reader_checks.py (two are its own): only the
recognised case is excused, and the report lists it; tests/readers/timing_readers.rs shows each on a
file with gaps that FFmpeg wrote.
Prints a JSON report; exit status 1 when a check fails.
"""
import argparse
import json
import subprocess
import sys
from fractions import Fraction

import avi_check
import frame_code
import players
import reader_checks

ALLOWANCES = {
    "pyav:h264-pts-of-next-packet": (
        "pyav", "the pts of H.264 frames (their dts is judged instead)",
        "PyAV's FFmpeg (libavformat 62) gives each H.264 frame of an AVI the dts of the next "
        "packet as its pts (one slot after its own for the last): every frame one slot late, "
        "and the frame before a gap at the slot after it"),
    "vlc:mjpg-last-frame": reader_checks.ALLOWANCES["vlc:mjpg-last-frame"],
    "gstreamer:utvideo-unmapped": reader_checks.ALLOWANCES["gstreamer:utvideo-unmapped"],
    "vlc:utvideo-no-pictures": reader_checks.ALLOWANCES["vlc:utvideo-no-pictures"],
    "mplayer:dib-upside-down": reader_checks.ALLOWANCES["mplayer:dib-upside-down"],
}


class Judge:
    def __init__(self, plan, video):
        self.rate = Fraction(*plan["rate"])
        self.total = plan["total"]
        self.expected = sorted(((k, int(n)) for n, k in plan["slots"].items()))
        self.video = video
        self.failures, self.allowances = [], []

    def fail(self, reader, message):
        self.failures.append(f"FAIL [{reader}]: {message}")

    def allow(self, name):
        if name not in self.allowances:
            self.allowances.append(name)

    def seconds(self, slots):
        return float(slots / self.rate)

    def frames(self, reader, numbers, times, excused_last=False):
        """The numbered frames in slot order, each at its slot's time."""
        expected = self.expected[:-1] if excused_last else self.expected
        want = [n for _, n in expected]
        if numbers != want:
            self.fail(reader, f"frames {summary(numbers)}, expected {summary(want)}")
            return
        if times is None or len(times) != len(want):
            self.fail(reader, f"{len(times or [])} times for {len(want)} frames")
            return
        late = [(n, t, self.seconds(k)) for (k, n), t in zip(expected, times)
                if t is None or abs(t - self.seconds(k)) >= self.seconds(Fraction(1, 2))]
        if late:
            shown = ", ".join(f"{n} at {t}" for n, t, _ in late[:4])
            should = ", ".join(f"{s:.6f}" for _, _, s in late[:4])
            self.fail(reader, f"{len(late)} frames off their slot: {shown} (expected {should})")

    def duration(self, reader, what, seconds, slack=0.0):
        """A duration said by the reader: all T slots, within half a period (plus `slack`)."""
        want = self.seconds(self.total)
        if seconds is None or abs(seconds - want) > self.seconds(Fraction(1, 2)) + slack:
            self.fail(reader, f"{what} {seconds}, expected {want:.6f} ({self.total} slots)")

    def count(self, reader, what, got, want):
        if got != want:
            self.fail(reader, f"{what} {got}, expected {want}")


def summary(numbers):
    if not numbers:
        return "none"
    return f"{len(numbers)} ({numbers[:3]}...{numbers[-3:]})" if len(numbers) > 6 else str(numbers)


def probe(path, select, entries):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", select, "-show_entries",
                          entries, "-of", "json", path], capture_output=True, text=True,
                         timeout=players.TIMEOUT)
    if out.returncode != 0 or out.stderr:
        raise players.ReaderError(f"ffprobe: {out.stderr.strip()}")
    return json.loads(out.stdout)


def number_of(gray):
    return frame_code.read_number(gray.tobytes(), gray.shape[1], gray.shape[0], gray.shape[1])


def ffmpeg(judge, path, streams):
    avi_check.check_ffmpeg_decode(path, streams)
    v = judge.video
    w, h = v["width"], v["height"]
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", f"0:{v['index']}",
           "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    raw = subprocess.run(cmd, capture_output=True, timeout=players.TIMEOUT).stdout
    numbers = [frame_code.read_number(raw[i:i + w * h], w, h, w)
               for i in range(0, len(raw) - w * h + 1, w * h)]
    frames = probe(path, str(v["index"]), "frame=best_effort_timestamp_time")["frames"]
    judge.frames("ffmpeg", numbers, [float(f["best_effort_timestamp_time"]) for f in frames])
    return {"pictures": len(numbers)}


def ffprobe(judge, path):
    v = judge.video
    judge.count("ffprobe", "header nb_frames", v.get("nb_frames"), judge.total)
    judge.count("ffprobe", "counted packets", v["nb_read_packets"], len(judge.expected))
    info = probe(path, str(v["index"]), "stream=duration:packet=pts_time,dts_time")
    duration = info["streams"][0].get("duration")
    judge.duration("ffprobe", "stream duration", None if duration is None else float(duration))
    times = [float(p["pts_time"] if "pts_time" in p else p["dts_time"]) for p in info["packets"]]
    # Packets carry no picture: the slots in file order stand in for the numbers.
    judge.frames("ffprobe", [n for _, n in judge.expected][:len(times)], times)
    return {"packets": len(times)}


def pyav(judge, path):
    import av  # the venv's
    numbers, pts, dts = [], [], []
    with av.open(path) as container:
        stream = container.streams[judge.video["index"]]
        tb = stream.time_base
        for frame in container.decode(stream):
            numbers.append(number_of(frame.to_ndarray(format="gray")))
            pts.append(None if frame.pts is None else float(frame.pts * tb))
            dts.append(None if frame.dts is None else float(frame.dts * tb))
        judge.count("pyav", "stream frames", stream.frames, judge.total)
        judge.duration("pyav", "stream duration",
                       None if stream.duration is None else float(stream.duration * tb))
    period = judge.seconds(1)
    next_dts = dts[1:] + [dts[-1] + period if dts and dts[-1] is not None else None]
    shifted = all(p is not None and n is not None and abs(p - n) < period / 2
                  for p, n in zip(pts, next_dts))
    if judge.video.get("codec_name") == "h264" and pts and shifted:
        judge.allow("pyav:h264-pts-of-next-packet")
        pts = dts
    judge.frames("pyav", numbers, pts)
    return {"frames": len(numbers)}


def riff_count(path):
    """How many RIFF segments (RIFF 'AVI ' and 'AVIX') the file has."""
    count = 0
    with open(path, "rb") as f:
        while len(header := f.read(8)) == 8 and header[:4] == b"RIFF":
            count += 1
            f.seek(int.from_bytes(header[4:], "little"), 1)
    return count


def opencv(judge, path, streams):
    import cv2  # the venv's
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    numbers, times = [], []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        numbers.append(number_of(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)))
        times.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000)
    judge.count("opencv", "CAP_PROP_FRAME_COUNT", cap.get(cv2.CAP_PROP_FRAME_COUNT), judge.total)
    judge.frames("opencv", numbers, times)
    report = {"frames": len(numbers)}
    if not (len(streams) == 1 and judge.video.get("codec_name") == "mjpeg"
            and riff_count(path) == 1):
        return report
    own = cv2.VideoCapture(path, cv2.CAP_OPENCV_MJPEG)
    if not own.isOpened():
        judge.fail("opencv-mjpeg", "OpenCV's own AVI reader cannot open the file")
    else:
        shown = []
        while True:
            ok, frame = own.read()
            if not ok:
                break
            shown.append(number_of(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)))
        want = [None] * judge.total
        for k, n in judge.expected:
            want[k:] = [n] * (judge.total - k)
        if shown != want:
            judge.fail("opencv-mjpeg", f"pictures {summary(shown)}, expected one per slot "
                       f"(repeats included) {summary(want)}")
        report["own_reader_pictures"] = len(shown)
    return report


def mediainfo(judge, path):
    out = subprocess.run(["mediainfo", "--Output=JSON", path], capture_output=True,
                         timeout=players.TIMEOUT).stdout
    track = next((t for t in json.loads(out)["media"]["track"] if t.get("@type") == "Video"
                  and int(t.get("ID", -1)) == judge.video["index"]), {})
    judge.count("mediainfo", "FrameCount", int(track.get("FrameCount", -1)), judge.total)
    duration = track.get("Duration")
    judge.duration("mediainfo", "Duration", None if duration is None else float(duration))
    return {"FrameCount": track.get("FrameCount"), "Duration": duration}


def gstreamer(judge, path):
    result = players.gstreamer(path, [judge.video], True, timing=True)
    got = result["streams"].get(judge.video["index"])
    if (judge.video.get("codec_name") == "utvideo" and result["error"]
            and "missing a plug-in" in result["error"]):
        judge.allow("gstreamer:utvideo-unmapped")
        return {"error": result["error"]}
    if result["error"] or got is None:
        judge.fail("gstreamer", f"no video: {result['error']}")
        return {}
    judge.frames("gstreamer", got["numbers"], got["times"])
    judge.duration("gstreamer", "pad duration", got["duration"])
    return {"frames": got["frames"], "duration": got["duration"]}


def vlc(judge, path):
    result = players.vlc(path, [judge.video], True, timing=True)
    got = result["streams"][judge.video["index"]]
    last = (judge.video.get("codec_name") == "mjpeg"
            and got["numbers"] == [n for _, n in judge.expected[:-1]])
    if last:
        judge.allow("vlc:mjpg-last-frame")
    first = judge.seconds(judge.expected[0][0]) if judge.expected else 0.0
    if (judge.video.get("codec_name") == "utvideo" and not got["numbers"]
            and got["frames"] == len(judge.expected) - 1):
        judge.allow("vlc:utvideo-no-pictures")
    else:
        judge.frames("vlc", got["numbers"], [first + t for t in got["times"]],
                     excused_last=last)
    judge.count("vlc", "AVI demuxer index entries", got["index_entries"], judge.total)
    judge.count("vlc", "AVI demuxer length (s)", got["length_s"],
                int(judge.total / judge.rate))
    return {"frames": got["frames"], "index_entries": got["index_entries"],
            "length_s": got["length_s"]}


def mplayer(judge, path):
    v = judge.video
    flip = [v["index"]] if v.get("codec_name") == "rawvideo" and v.get(
        "pix_fmt") in reader_checks.RGB_DIB else []
    if flip:
        judge.allow("mplayer:dib-upside-down")
    result = players.mplayer(path, [v], True, flip=flip, timing=True)
    got = result["streams"][v["index"]]
    judge.frames("mplayer", got["numbers"], got["times"])
    judge.count("mplayer", "AVI demuxer video packets", got["packets"], judge.total)
    judge.duration("mplayer", "ID_LENGTH", got["length"], slack=0.005)
    return {"frames": got["frames"], "packets": got["packets"], "length": got["length"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--slots", required=True)
    args = ap.parse_args()
    with open(args.slots) as f:
        plan = json.load(f)
    report, failures = {"file": args.file}, []
    try:
        streams = avi_check.check_ffprobe(args.file)
    except avi_check.CheckFailed as e:
        print(json.dumps({"file": args.file, "ok": False, "failures": [str(e)]}, indent=2))
        print(e, file=sys.stderr)
        return 1
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        failures.append("FAIL: no video stream")
    else:
        judge = Judge(plan, video)
        judge.count("ffprobe", "frame rate", Fraction(video.get("r_frame_rate", "0/1")),
                    judge.rate)
        for name, fn, fargs in (("ffmpeg", ffmpeg, (streams,)), ("ffprobe", ffprobe, ()),
                                ("pyav", pyav, ()), ("opencv", opencv, (streams,)),
                                ("mediainfo", mediainfo, ()), ("gstreamer", gstreamer, ()),
                                ("vlc", vlc, ()), ("mplayer", mplayer, ())):
            try:
                report[name] = fn(judge, args.file, *fargs)
            except avi_check.CheckFailed as e:
                judge.failures.append(str(e))
            except players.ReaderError as e:
                judge.fail(name, str(e))
        failures = judge.failures
        report["allowances"] = {name: dict(zip(("reader", "excuses", "why"), ALLOWANCES[name]))
                                for name in judge.allowances}
    report["ok"] = not failures
    report["failures"] = failures
    print(json.dumps(report, indent=2))
    for f in failures:
        print(f, file=sys.stderr)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
