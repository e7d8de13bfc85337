"""Judges what GStreamer, VLC and MPlayer delivered from an AVI file (players.py runs them).

Every reader must deliver every video frame of every video stream that has packets (ffprobe's
counted packets, which avi_check.py has already held against the headers); with frame numbers
drawn into the pictures (avi_check.py --frame-numbers N) each stream must decode to exactly
0..N-1 in order; with --seek-frame K as well, each reader seeks and must start at frame K
(VLC seeks to a keyframe: on streams with delta frames it may start earlier; MPlayer's
seek there is an allowance, below).
GStreamer must also deliver every byte of the first PCM stream (--audio-bytes), and GStreamer
and VLC some data of every audio stream that has packets.

A few formats are beyond a reader. ALLOWANCES names each, with the test that recognises it
(format and, where the reader says something, its own message); only that is then excused, and
the report's "allowances" lists it. tests/readers/readers.rs shows each one on a file FFmpeg wrote.
"""
import subprocess
from fractions import Fraction

import frame_code
import players

INTRA_ONLY = {"rawvideo", "mjpeg", "utvideo"}  # every frame a keyframe: a seek lands exactly
RGB_DIB = {"rgb555le", "rgb565le", "bgr24", "bgra", "bgr0"}
GST_MAX_STREAMS = 16  # avidemux's GST_AVI_DEMUX_MAX_STREAMS
TINY_PCM_SECONDS = 0.03  # VLC passes on a one-chunk PCM stream of 30 ms, not one of 20 ms

# name: (reader, what it excuses, why)
ALLOWANCES = {
    "gstreamer:dib16": ("gstreamer", "the whole file",
                        "GStreamer 1.22 has no decoder for 16-bit RGB DIB (avidemux's caps have "
                        "no 16-bit RGB format); it says it is missing a plug-in"),
    "gstreamer:utvideo-unmapped": ("gstreamer", "Ut Video streams",
                                   "GStreamer 1.22's avidemux maps no Ut Video FourCC (ULRG, ULY0, "
                                   "...) to caps, although avdec_utvideo exists: it gives "
                                   "video/x-avi-unknown and says it is missing a plug-in"),
    "vlc:utvideo-no-pictures": ("vlc", "the pictures of Ut Video streams (blocks still counted, "
                                "but for the last)",
                                "VLC 3.0.24's avcodec module starts FFmpeg's utvideo decoder, "
                                "whose every picture then fails ('get_buffer() failed'): its "
                                "transcode gets no picture, and its copy packetizer holds the "
                                "last block back"),
    "mplayer:utvideo-planar-rgb": ("mplayer", "Ut Video streams of planar RGB (ULRG, ULRA)",
                                   "MPlayer 1.5's ffutvideo decodes them to planar GBR(A), which "
                                   "its video output chain does not take: no picture, with "
                                   "'Unexpected decoder output format Planar GBR' for ULRG and "
                                   "without a word for ULRA"),
    "vlc:mjpg-last-frame": ("vlc", "the last frame of an MJPG stream",
                            "VLC's MJPEG packetizer (in its stream output) holds a picture "
                            "until the next one starts and drops the last one at the end"),
    "vlc:mjpg-seek-one-late": ("vlc", "a seek into an MJPG stream starting one frame late",
                               "after a seek VLC's MJPEG packetizer delivers from the frame "
                               "after the one sought"),
    "vlc:tiny-pcm-stream": ("vlc", "PCM streams of one chunk under 30 ms",
                            "VLC's stream output never passes on such a stream ('buffer "
                            "deadlock prevented')"),
    "mplayer:seek-to-next-keyframe": ("mplayer", "a seek into a stream with delta frames",
                                      "MPlayer's AVI demuxer seeks forward to the next "
                                      "keyframe; past the last one it starts on a delta frame "
                                      "it cannot decode ('Error while decoding frame!')"),
    "gstreamer:max-16-streams": ("gstreamer", "the streams after the 16th",
                                 "avidemux takes at most 16 streams ('maximum no of streams "
                                 "(16) exceeded, ignoring stream')"),
    "gstreamer:no-data": ("gstreamer", "a file without a single data chunk",
                          "avidemux refuses a file whose index is empty ('Could not "
                          "demultiplex stream')"),
    "mplayer:no-video-frames": ("mplayer", "a file whose video streams have no frame",
                                "MPlayer's AVI demuxer drops empty streams and then finds no "
                                "video ('AVI: Missing video stream!?')"),
    "mplayer:audio-only": ("mplayer", "the whole file",
                           "MPlayer's AVI demuxer needs a video stream ('AVI_NI: No video "
                           "stream found.', or 'AVI: Missing video stream!?' when no chunk "
                           "is indexed)"),
    "mplayer:dib-upside-down": ("mplayer", "the orientation of 16/24/32-bit DIB pictures "
                                "(read flipped, still every number)",
                                "MPlayer's AVI demuxer + raw RGB decoder hand bottom-up DIB "
                                "pictures to its video outputs upside down"),
}


class Judge:
    def __init__(self, streams, frame_numbers):
        self.video = [s for s in streams if s.get("codec_type") == "video"
                      and s["nb_read_packets"] > 0]
        self.audio = [s for s in streams if s.get("codec_type") == "audio"
                      and s["nb_read_packets"] > 0]
        self.streams, self.frame_numbers = streams, frame_numbers
        for kind in ("video", "audio"):
            for k, s in enumerate(s for s in streams if s.get("codec_type") == kind):
                s["kind_position"] = k
        self.failures, self.allowances = [], []

    def fail(self, reader, message, result=None):
        said = result and "; ".join(filter(None, (result["error"], result.get("said"))))
        tail = f" (reader says: {said})" if said else ""
        self.failures.append(f"FAIL [{reader}]: {message}{tail}")

    def allow(self, name):
        if name not in self.allowances:
            self.allowances.append(name)

    def video_streams(self, reader, result, excused_last=(), beyond=None):
        """Every frame of every video stream (before stream `beyond`); the numbers when drawn."""
        for s in self.video[:beyond]:
            got = result["streams"].get(s["index"])
            expected = s["nb_read_packets"]
            if s["index"] in excused_last:
                expected -= 1
            if got is None:
                self.fail(reader, f"stream {s['index']}: not delivered", result)
                continue
            if got["frames"] != expected:
                self.fail(reader, f"stream {s['index']}: {got['frames']} of {expected} frames",
                          result)
            if self.frame_numbers is not None:
                want = self.frame_numbers - (s["nb_read_packets"] - expected)
                problem = frame_code.describe(got["numbers"] or [], want)
                if problem:
                    self.fail(reader, f"stream {s['index']} frame numbers: {problem}",
                              result)

    def seek(self, reader, first, k):
        codec = self.video[0].get("codec_name")
        exact = reader == "gstreamer" or codec in INTRA_ONLY
        if first is None or (first != k if exact else first > k):
            want = f"frame {k}" if exact else f"a keyframe at or before frame {k}"
            self.fail(reader, f"seek to frame {k}: first picture {first}, expected {want}")


def fps_of(stream):
    fps = Fraction(stream.get("avg_frame_rate", "0/1"))
    return fps if fps > 0 else Fraction(stream.get("r_frame_rate", "0/1"))


def gstreamer(judge, path, audio_bytes, seek_frame):
    numbers = judge.frame_numbers is not None
    result = players.gstreamer(path, judge.video, numbers)
    report = {"result": summary(result)}
    dib16 = any(s.get("pix_fmt") in ("rgb555le", "rgb565le") for s in judge.video)
    if dib16 and result["error"] and "missing a plug-in" in result["error"]:
        judge.allow("gstreamer:dib16")
        return report
    utvideo = any(s.get("codec_name") == "utvideo" for s in judge.video)
    if utvideo and result["error"] and "missing a plug-in" in result["error"]:
        judge.allow("gstreamer:utvideo-unmapped")
        return report
    empty = not judge.video and not judge.audio
    if empty and result["error"] and "Could not demultiplex stream" in result["error"]:
        judge.allow("gstreamer:no-data")
        return report
    if result["error"]:
        judge.fail("gstreamer", "pipeline error", result)
    beyond = None
    if len(judge.streams) > GST_MAX_STREAMS and "maximum no of streams (16) exceeded" in (
            result["said"] or ""):
        judge.allow("gstreamer:max-16-streams")
        beyond = GST_MAX_STREAMS
    judge.video_streams("gstreamer", result,
                        beyond=sum(1 for s in judge.video if s["index"] < (beyond or 1 << 30)))
    pads = result["audio_pads"]
    for s in (s for s in judge.audio if beyond is None or s["index"] < beyond):
        pad = pads.get(f"audio_{s['kind_position']}")
        if pad is None or pad["bytes"] == 0:
            judge.fail("gstreamer", f"audio stream {s['index']}: no data", result)
    first_audio = judge.audio[0] if judge.audio else None
    if audio_bytes is not None and first_audio and first_audio["codec_name"].startswith("pcm_"):
        got = pads.get(f"audio_{first_audio['kind_position']}", {}).get("bytes")
        if got != audio_bytes:
            judge.fail("gstreamer", f"audio stream {first_audio['index']}: {got} bytes, "
                       f"expected {audio_bytes}")
    if seek_frame is not None and numbers and judge.video:
        ns = players.seek_time(seek_frame, fps_of(judge.video[0]), 10 ** 9)
        first = players.gstreamer(path, judge.video, True, ns)["seek_first"]
        report["seek_first"] = first
        judge.seek("gstreamer", first, seek_frame)
    return report


def vlc(judge, path, seek_frame):
    numbers = judge.frame_numbers is not None
    result = players.vlc(path, judge.video, numbers)
    report = {"result": summary(result)}
    last = [s["index"] for s in judge.video if s.get("codec_name") == "mjpeg"
            and result["streams"][s["index"]]["frames"] == s["nb_read_packets"] - 1]
    if last:
        judge.allow("vlc:mjpg-last-frame")
    pictureless = [s for s in judge.video if s.get("codec_name") == "utvideo" and numbers
                   and not result["streams"][s["index"]]["numbers"]
                   and result["streams"][s["index"]]["frames"] == s["nb_read_packets"] - 1]
    if pictureless:
        judge.allow("vlc:utvideo-no-pictures")
        report["seek_first"] = None
        return report
    judge.video_streams("vlc", result, excused_last=last)
    for s in judge.audio:
        if result["blocks"].get(s["index"]):
            continue
        tiny = (s["codec_name"].startswith("pcm_") and s["nb_read_packets"] == 1
                and pcm_seconds(path, s) < TINY_PCM_SECONDS)
        if tiny and "buffer deadlock prevented" in (result["error"] or ""):
            judge.allow("vlc:tiny-pcm-stream")
        else:
            judge.fail("vlc", f"audio stream {s['index']}: no data", result)
    if seek_frame is not None and numbers and judge.video:
        us = players.seek_time(seek_frame, fps_of(judge.video[0]), 10 ** 6)
        first = players.vlc(path, judge.video, True, us)["seek_first"]
        report["seek_first"] = first
        if judge.video[0].get("codec_name") == "mjpeg" and first == seek_frame + 1:
            judge.allow("vlc:mjpg-seek-one-late")
        else:
            judge.seek("vlc", first, seek_frame)
    return report


def mplayer(judge, path, seek_frame):
    numbers = judge.frame_numbers is not None
    if not judge.video:
        result = players.mplayer(path, [], False)
        has_video = any(s.get("codec_type") == "video" for s in judge.streams)
        # Without video, MPlayer's AVI demuxer says one of two things: its non-interleaved
        # reader ("AVI_NI") finds no video stream in a file with indexed audio, its plain reader
        # misses the video stream of a file with nothing indexed (an audio-only file without a
        # single chunk, which the C API sequences write now and then).
        name, says = (("mplayer:no-video-frames", ("AVI: Missing video stream!?",)) if has_video
                      else ("mplayer:audio-only",
                            ("No video stream found", "AVI: Missing video stream!?")))
        if result["error"] and any(message in result["error"] for message in says):
            judge.allow(name)
        else:
            judge.fail("mplayer", f"file without video frames: expected MPlayer's {says}",
                       result)
        return {"result": summary(result)}
    flip = [s["index"] for s in judge.video if s.get("codec_name") == "rawvideo"
            and s.get("pix_fmt") in RGB_DIB]
    if flip and numbers:
        judge.allow("mplayer:dib-upside-down")
    result = players.mplayer(path, judge.video, numbers, flip=flip)
    report = {"result": summary(result)}
    planar_rgb = [s for s in judge.video if s.get("codec_name") == "utvideo"
                  and s.get("pix_fmt", "").startswith("gbr")]
    # GBR comes with MPlayer's message; GBRA fails without a word.
    said = ("Unexpected decoder output format Planar GBR" in (result["error"] or "")
            or all(s["pix_fmt"] == "gbrap" for s in planar_rgb))
    if (planar_rgb == judge.video and said
            and all(result["streams"][s["index"]]["frames"] == 0 for s in planar_rgb)):
        judge.allow("mplayer:utvideo-planar-rgb")
        return report
    judge.video_streams("mplayer", result)
    if seek_frame is not None and numbers:
        ms = players.seek_time(seek_frame, fps_of(judge.video[0]), 10 ** 3)
        sought = players.mplayer(path, judge.video, True, ms, flip=flip)
        first = report["seek_first"] = sought["seek_first"]
        if judge.video[0].get("codec_name") in INTRA_ONLY:
            judge.seek("mplayer", first, seek_frame)
            return report
        following = [n for n in keyframes(path, judge.video[0]["index"]) if n >= seek_frame]
        if following[:1] != [seek_frame]:
            judge.allow("mplayer:seek-to-next-keyframe")
        if following and first != following[0]:
            judge.fail("mplayer", f"seek to frame {seek_frame}: first picture {first}, expected "
                       f"the next keyframe {following[0]}", sought)
        no_picture = sought["streams"][judge.video[0]["index"]]["frames"] == 0
        if not following and not (no_picture and "Error while decoding frame"
                                  in (sought["error"] or "")):
            judge.fail("mplayer", f"seek to frame {seek_frame} after the last keyframe: expected "
                       "MPlayer's 'Error while decoding frame!'", sought)
    return report


def pcm_seconds(path, stream):
    """The play time of the packets of PCM `stream`, from ffprobe's packet sizes."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", str(stream["index"]),
                          "-show_entries", "packet=size", "-of", "csv=p=0", path],
                         capture_output=True, text=True, timeout=players.TIMEOUT).stdout
    bytes_per_second = (stream.get("sample_rate", 0) * stream.get("channels", 0)
                        * int(stream.get("bits_per_sample", 0)) // 8)
    return sum(map(int, out.split())) / bytes_per_second if bytes_per_second else float("inf")


def keyframes(path, index):
    """The keyframe numbers of stream `index`, from ffprobe's packet flags."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", str(index),
                          "-show_entries", "packet=flags", "-of", "csv=p=0", path],
                         capture_output=True, text=True, timeout=players.TIMEOUT).stdout
    return [n for n, flags in enumerate(out.split()) if flags.startswith("K")]


def summary(result):
    """The reader's result with frame numbers cut to first/last/how many were unreadable."""
    out = {k: v for k, v in result.items() if k != "streams"}
    out["streams"] = {}
    for index, s in result["streams"].items():
        nums = s.get("numbers")
        brief = {"frames": s["frames"]}
        if nums is not None:
            readable = [n for n in nums if n is not None]
            brief.update(first=readable[0] if readable else None,
                         last=readable[-1] if readable else None,
                         unreadable=len(nums) - len(readable))
        out["streams"][index] = brief
    return out


def check_readers(path, streams, frame_numbers, audio_bytes, seek_frame):
    """Runs the three readers; returns (report, failures)."""
    judge = Judge(streams, frame_numbers)
    report = {}
    for name, fn, args in (("gstreamer", gstreamer, (audio_bytes, seek_frame)),
                           ("vlc", vlc, (seek_frame,)), ("mplayer", mplayer, (seek_frame,))):
        try:
            report[name] = fn(judge, path, *args)
        except players.ReaderError as e:
            judge.fail(name, str(e))
    report["allowances"] = {name: {"reader": ALLOWANCES[name][0], "excuses": ALLOWANCES[name][1],
                                   "why": ALLOWANCES[name][2]} for name in judge.allowances}
    return report, judge.failures
