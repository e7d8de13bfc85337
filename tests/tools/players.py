"""Runs the non-FFmpeg readers on an AVI file and says what each delivered, per stream.

GStreamer (avidemux, through gst_read.py under the system python3), VLC (its own AVI demuxer,
headless) and MPlayer (its own AVI demuxer). Each function returns
    {"streams": {stream index: {"frames": n, "numbers": [...] or None}},
     "error": the reader's own message or None, "seek_first": number or None, ...}
for the video streams in `video` (ffprobe's video streams that have packets: dicts with index,
width, height). Nothing here judges; avi_check.py compares against the file's facts.

With `timing`, each stream also says when the reader shows its frames and how long it says the
stream lasts (timing_check.py judges them): "times" (seconds, one per delivered frame, in
delivery order) and per reader: GStreamer "duration" (the pad's, seconds); VLC "index_entries"
and "length_s" (its AVI demuxer's log: index entries, length in whole seconds), its times
relative to the first block (its stats output prints only dts differences); MPlayer
"packets" (every packet its AVI demuxer read, empty ones included) and "length" (ID_LENGTH).

Decoded pictures are never stored: VLC and MPlayer write them into a named pipe that a thread
reads picture by picture (only the frame number is kept), so a multi-GB file costs no disk.

VLC refuses to run as root. Then it runs as VLC_USER (made by scripts/install-test-deps.sh),
reads the file through an inherited descriptor (fd://N, so the tests' possibly 0700 directories
need not be open to it) and writes into a temporary directory handed over to that user.
"""
import json
import math
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
from fractions import Fraction

import frame_code

TIMEOUT = 600  # seconds per reader run
SYSTEM_PYTHON = "/usr/bin/python3"  # where Debian's python3-gst-1.0 bindings live
GST_READ = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gst_read.py")
VLC_USER = "avikit-vlc"


class ReaderError(Exception):
    """The reader could not be run at all (missing, timed out): never an allowance."""


def i420_size(width, height):
    return width * height + 2 * ((width + 1) // 2) * ((height + 1) // 2)


def seek_time(k, fps, unit):
    """The middle of frame `k` in whole `unit`s per second: readers differ in how they round a
    seek to a frame's start (VLC's MJPEG lands one frame later), none does in its middle."""
    return math.ceil((k + Fraction(1, 2)) * unit / fps)


def fixed(value, unit_digits):
    return f"{value // 10 ** unit_digits}.{value % 10 ** unit_digits:0{unit_digits}d}"


class PictureReader:
    """A named pipe in `directory` and a thread that reads 8-bit 4:2:0 pictures from it: raw
    I420 frames, or YUV4MPEG2 when `y4m`. Counts them and, with `numbers`, reads each frame
    number (from the flipped luma plane when `flip`)."""

    def __init__(self, directory, name, width, height, y4m, numbers, flip=False, owner=None):
        self.path = os.path.join(directory, name)
        os.mkfifo(self.path, 0o600)
        if owner is not None:
            os.chown(self.path, owner.pw_uid, owner.pw_gid)
        self.width, self.height, self.y4m = width, height, y4m
        self.plane_width, self.plane_height = width, height
        self.numbers, self.flip = numbers, flip
        self.count, self.found = 0, []
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def luma_number(self, picture):
        """The number of the `width` x `height` picture at the top left of the luma plane (a
        y4m plane may be padded to even dimensions)."""
        w, h, stride = self.width, self.height, self.plane_width
        rows = [picture[y * stride:y * stride + w] for y in range(h)]
        if self.flip:
            rows.reverse()
        return frame_code.read_number(b"".join(rows), w, h, w)

    def read(self):
        with open(self.path, "rb") as f:
            self.opened.set()
            if self.y4m:
                header = f.readline().split()
                dims = {t[:1]: t[1:] for t in header[1:]}
                if not header or b"W" not in dims:
                    return
                self.plane_width, self.plane_height = int(dims[b"W"]), int(dims[b"H"])
            size = i420_size(self.plane_width, self.plane_height)
            while True:
                if self.y4m and not f.readline().startswith(b"FRAME"):
                    return
                picture = f.read(size)
                if len(picture) < size:  # a partial picture is no picture
                    return
                self.count += 1
                if self.numbers:
                    self.found.append(self.luma_number(picture))

    def finish(self):
        """After the writer exited: lets a reader that never saw a writer end, then waits."""
        if not self.opened.is_set():
            try:
                os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        self.thread.join(TIMEOUT)
        return {"frames": self.count, "numbers": self.found if self.numbers else None}


def run(cmd, **kw):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT,
                           **kw)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ReaderError(f"could not run {cmd[0]}: {e}")
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def gstreamer(path, video, numbers, seek_ns=None, timing=False):
    """avidemux: pad video_K / audio_K is the K-th video / audio stream of the file, counting
    the empty ones it drops (each stream's "kind_position"; 0 when absent). With `timing`, the
    buffer PTS of each (decoded, with `numbers`) picture and the pad's duration."""
    cmd = [SYSTEM_PYTHON, GST_READ, path] + (["--numbers"] if numbers else [])
    if seek_ns is not None:
        cmd += ["--seek-ns", str(seek_ns)]
    if timing:
        cmd.append("--times")
    # avidemux says why it skips an index only in its debug log: keep its warnings.
    env = dict(os.environ, GST_DEBUG="avidemux:2", GST_DEBUG_NO_COLOR="1")
    rc, out, err = run(cmd, env=env)
    try:
        report = json.loads(out)
    except ValueError:
        raise ReaderError(f"gst_read.py exit {rc}: {err.strip()[-500:]}")
    said = list(dict.fromkeys(ln.split("> ", 1)[-1].strip() for ln in err.splitlines()
                              if " WARN " in ln and "avidemux" in ln))
    streams = {}
    for v in video:
        pad = report["pads"].get(f"video_{v.get('kind_position', 0)}")
        if pad is not None:
            streams[v["index"]] = {"frames": pad["buffers"], "numbers": pad.get("numbers")}
            if timing:
                streams[v["index"]].update(
                    times=[None if t is None else t / 1e9 for t in pad["pts"]],
                    duration=None if pad["duration_ns"] is None else pad["duration_ns"] / 1e9)
    audio = {name: pad for name, pad in report["pads"].items() if name.startswith("audio_")}
    return {"streams": streams, "audio_pads": audio, "error": report["error"],
            "said": "avidemux: " + "; ".join(said[:3]) if said else None,
            "warnings": sorted(set(report["warnings"])), "seek_first": report["seek_first"]}


def vlc_errors(err):
    """VLC's own error lines, without the ones a headless machine always prints."""
    noise = ("dbus", "globalhotkeys", "interface", "PulseAudio", "Unknown option")
    lines = [ln.split("] ", 1)[-1] for ln in err.splitlines() if " error: " in ln]
    return list(dict.fromkeys(ln for ln in lines if not any(n in ln for n in noise)))


VLC_INDEX = re.compile(r"avi demux debug: stream\[(\d+)\] created (\d+) index entries")
VLC_LENGTH = re.compile(r"avi demux debug: stream\[(\d+)\] length:(\d+) \(based on index\)")


def vlc(path, video, numbers, seek_us=None, timing=False):
    """VLC's avi demuxer into its stream output: `stats` counts the blocks of every ES (VLC's ES
    id is the AVI stream number); with `numbers`, video ESs are also decoded to raw I420. With
    `timing`, each block's dts from the stats (relative to the ES's first block) and, from the
    debug log (-vv), the demuxer's index entries and length of each stream."""
    owner = pwd.getpwnam(VLC_USER) if os.geteuid() == 0 else None
    prefix = ["runuser", "-u", VLC_USER, "--", "cvlc"] if owner else ["cvlc"]
    workdir = tempfile.mkdtemp(prefix="avikit-vlc-")
    readers = {}
    try:
        if owner:
            os.chown(workdir, owner.pw_uid, owner.pw_gid)
        stats = os.path.join(workdir, "stats.txt")
        dsts = [f"dst=stats{{output={stats}}}"]
        for v in (video[:1] if seek_us is not None else video) if numbers else []:
            # VLC's transcode scales odd dimensions up to even ones: the picture is all of it.
            w, h = v["width"] + v["width"] % 2, v["height"] + v["height"] % 2
            r = PictureReader(workdir, f"v{v['index']}.yuv", w, h, False, True, owner=owner)
            readers[v["index"]] = r
            dsts.append(f"dst='transcode{{vcodec=I420}}:std{{access=file,mux=raw,dst={r.path}}}'"
                        f",select=\"es={v['index']}\"")
        fd = os.open(path, os.O_RDONLY)
        try:
            cmd = prefix + ["--intf", "dummy", "--demux", "avi", "--play-and-exit", "--no-loop",
                            "--sout", "#duplicate{" + ",".join(dsts) + "}", f"fd://{fd}"]
            if seek_us is not None:
                cmd.insert(-1, f"--start-time={fixed(seek_us, 6)}")
            if timing:
                cmd.insert(-1, "-vv")
            rc, _, err = run(cmd, pass_fds=(fd,))
        finally:
            os.close(fd)
        decoded = {index: r.finish() for index, r in readers.items()}
        blocks, dts = {}, {}
        if os.path.exists(stats):
            with open(stats) as f:
                # stats <ES> <type> <block number> <dts - previous dts, us> <length> <md5>
                for fields in (line.split("\t") for line in f):
                    if fields[0] == "stats" and len(fields) > 4:
                        es = int(fields[1])
                        blocks[es] = blocks.get(es, 0) + 1
                        previous = dts.setdefault(es, [])
                        previous.append((previous[-1] if previous else 0) + int(fields[4]))
        streams = {v["index"]: {"frames": blocks.get(v["index"], 0),
                                "numbers": decoded.get(v["index"], {}).get("numbers")}
                   for v in video}
        if timing:
            entries = {int(m[1]): int(m[2]) for m in VLC_INDEX.finditer(err)}
            lengths = {int(m[1]): int(m[2]) for m in VLC_LENGTH.finditer(err)}
            for index, s in streams.items():
                s.update(times=[us / 1e6 for us in dts.get(index, [])],
                         index_entries=entries.get(index), length_s=lengths.get(index))
        first = streams[video[0]["index"]]["numbers"] if seek_us is not None and video else None
        return {"streams": streams, "blocks": blocks, "exit": rc,
                "error": "; ".join(vlc_errors(err)[:5]) or None,
                "seek_first": first[0] if first else None}
    finally:
        for r in readers.values():
            r.finish()
        shutil.rmtree(workdir, ignore_errors=True)


MPLAYER_NOISE = re.compile(r"joystick|LIRC|socket|connect:|^MPlayer |^Playing |^$|"
                           r"file format detected|^\[|^Exiting|BENCHMARK|VIDEO:|"
                           r"^VO:|^Opening|^Selected|^Clip info|^ [A-Z][a-z]+: |^AUDIO:|"
                           r"^Starting playback|^Movie-Aspect|^Load subtitles|^==========|"
                           r"^Forced video codec|^Could not find matching colorspace|"
                           r"^Try appending|^e\.g\. -vf|^V: *[0-9]|^Audio: no sound|^Video: no")


def mplayer_messages(text):
    return [ln.strip() for ln in text.splitlines() if not MPLAYER_NOISE.search(ln.strip())]


MPLAYER_PACKET = re.compile(r"^DEMUX: Append packet to d_video, len=(\d+) +pts=(-?[0-9.]+)",
                            re.MULTILINE)
MPLAYER_LENGTH = re.compile(r"^ID_LENGTH=([0-9.]+)", re.MULTILINE)


def mplayer(path, video, numbers, seek_ms=None, flip=(), timing=False):
    """MPlayer with -demuxer avi decodes each video stream (-vid = the AVI stream number) to
    YUV4MPEG2: pictures are counted, with `numbers` each one's number is read (luma flipped for
    the streams in `flip`). YUV4MPEG2 needs even dimensions: odd ones are padded at the right
    and bottom (-vf expand). A file without video is opened once, for MPlayer's message. With
    `timing`, the pts its AVI demuxer gives each video packet (its debug log, -msglevel
    demuxer=7): "times" of the non-empty ones, "packets" counting all, and ID_LENGTH."""
    streams, messages = {}, []
    targets = video[:1] if seek_ms is not None else video
    base = ["mplayer", "-noconfig", "all", "-quiet", "-demuxer", "avi", "-benchmark",
            "-nosound", "-noautosub"]
    if seek_ms is not None:
        base += ["-ss", fixed(seek_ms, 3)]
    if timing:
        base += ["-identify", "-msglevel", "demuxer=7"]
    if not targets:
        rc, out, err = run(base + ["-vo", "null", path])
        return {"streams": {}, "exit": rc, "error": "; ".join(
            mplayer_messages(out.decode(errors="replace") + "\n" + err)) or None,
            "seek_first": None}
    for v in targets:
        with tempfile.TemporaryDirectory(prefix="avikit-mplayer-") as workdir:
            r = PictureReader(workdir, "v.y4m", v["width"], v["height"], True,
                              numbers or seek_ms is not None, flip=v["index"] in flip)
            try:
                even = f"{v['width'] + v['width'] % 2}:{v['height'] + v['height'] % 2}"
                rc, out, err = run(base + ["-vid", str(v["index"]), "-vf", f"expand={even}:0:0",
                                           "-vo", f"yuv4mpeg:file={r.path}", path])
            finally:
                streams[v["index"]] = r.finish()
        if timing:
            text = out.decode(errors="replace") + "\n" + err
            packets = [(int(m[1]), float(m[2])) for m in MPLAYER_PACKET.finditer(text)]
            length = MPLAYER_LENGTH.search(text)
            streams[v["index"]].update(times=[pts for size, pts in packets if size],
                                       packets=len(packets),
                                       length=float(length[1]) if length else None)
            # Only MPlayer's own messages go on to the error text, not the debug log.
            text = "\n".join(ln for ln in text.splitlines() if not ln.startswith(("DEMUX", "ID_")))
            out, err = text.encode(), ""
        if rc != 0 or not streams[v["index"]]["frames"]:
            messages += mplayer_messages(out.decode(errors="replace") + "\n" + err)
    first = streams[video[0]["index"]]["numbers"] if seek_ms is not None and video else None
    return {"streams": streams, "error": "; ".join(dict.fromkeys(messages)) or None,
            "seek_first": first[0] if first else None}
