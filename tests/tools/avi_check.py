#!/usr/bin/env python3
"""Strict check of one AVI file using tools nobody on this project wrote.

Runs ffmpeg (strict full decode), ffprobe (header counts vs counted packets),
mediainfo (truncation flags, frame count), PyAV (demux + decode every packet),
GStreamer, VLC and MPlayer (every frame of every video stream, reader_checks.py)
and optionally an index seek. With --frame-numbers N the video streams carry frame
numbers (tests/common/numbered.rs `numbered_*`, read by frame_code.py): ffmpeg, PyAV and
each reader must decode exactly 0..N-1, and every reader's seek must land on K.
Prints a JSON report on stdout; exits 0 if every check passes, 1 otherwise with one
"FAIL [check]: why" line per failure on stderr.

Usage: avi_check.py FILE [--video-frames N] [--audio-bytes N] [--no-pyav]
                         [--no-mediainfo] [--seek-frame K] [--frame-numbers N]
"""
import argparse
import json
import subprocess
import sys
from fractions import Fraction

import frame_code
import reader_checks

TIMEOUT = 600  # seconds per external command; multi-GB files are decoded fully


class CheckFailed(Exception):
    def __init__(self, check, message):
        super().__init__(f"FAIL [{check}]: {message}")


def run(cmd, check):
    """Run cmd, return (stdout bytes, stderr text); fail the check if it cannot start."""
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise CheckFailed(check, f"could not run {cmd[0]}: {e}")
    return p.returncode, p.stdout, p.stderr.decode(errors="replace").strip()


def check_ffmpeg_decode(path, streams):
    """a. Strict decode of every stream with packets must exit 0 and print nothing.

    A stream without a single chunk is valid AVI, but ffmpeg cannot pick a pixel format for a
    compressed one it never saw a frame of and fails the whole run, so those are left out (the
    header checks still cover them). Without ffprobe's list every stream is decoded."""
    maps = ["-map", "0"]
    if streams:
        maps = [a for s in streams if s["nb_read_packets"] > 0 for a in ("-map", f"0:{s['index']}")]
        if not maps:
            return {"skipped": "no stream has packets"}
    rc, _, err = run(["ffmpeg", "-nostdin", "-v", "error", "-err_detect", "explode", "-xerror",
                      "-i", path, *maps, "-f", "null", "-"], "ffmpeg-decode")
    if rc != 0 or err:
        raise CheckFailed("ffmpeg-decode", f"exit {rc}, stderr: {err or '(empty)'}")
    return {"exit": rc, "streams_decoded": len(maps) // 2 if streams else "all"}


def check_ffmpeg_numbers(path, streams, expected):
    """Every video stream with packets, decoded to gray by ffmpeg, is frames 0..expected-1."""
    found = {}
    for s in streams:
        if s.get("codec_type") != "video" or s["nb_read_packets"] == 0:
            continue
        w, h = s["width"], s["height"]
        cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", f"0:{s['index']}",
               "-f", "rawvideo", "-pix_fmt", "gray", "-"]
        numbers = []
        with subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as p:
            while len(picture := p.stdout.read(w * h)) == w * h:
                numbers.append(frame_code.read_number(picture, w, h, w))
            err = p.stderr.read().decode(errors="replace").strip()
        if p.returncode != 0 or err:
            raise CheckFailed("ffmpeg-numbers", f"exit {p.returncode}, stderr: {err}")
        problem = frame_code.describe(numbers, expected)
        if problem:
            raise CheckFailed("ffmpeg-numbers", f"stream {s['index']}: {problem}")
        found[s["index"]] = len(numbers)
    return found


def check_ffprobe(path):
    """b. ffprobe must read the file; returns per-stream facts incl. counted packets."""
    rc, out, err = run(["ffprobe", "-v", "error", "-count_packets", "-show_streams",
                        "-of", "json", path], "ffprobe")
    if rc != 0 or err:
        raise CheckFailed("ffprobe", f"exit {rc}, stderr: {err or '(empty)'}")
    keys = ("index", "codec_type", "codec_name", "sample_fmt", "pix_fmt", "width", "height",
            "nb_frames", "nb_read_packets", "sample_rate", "channels",
            "r_frame_rate", "avg_frame_rate", "bits_per_sample")
    try:
        probed = json.loads(out).get("streams", [])
    except ValueError as e:
        raise CheckFailed("ffprobe", f"unparseable JSON output: {e}")
    streams = []
    for s in probed:
        info = {k: s[k] for k in keys if k in s}
        # -count_packets leaves the field out when a stream has no packets at all.
        info.setdefault("nb_read_packets", 0)
        for k in ("nb_frames", "nb_read_packets", "sample_rate"):
            if k in info:
                info[k] = int(info[k])
        streams.append(info)
    if not streams:
        raise CheckFailed("ffprobe", "no streams found")
    return streams


def check_header_counts(streams):
    """b. Header frame count (nb_frames) must equal counted packets for video streams."""
    for s in streams:
        if s.get("codec_type") == "video" and "nb_frames" in s:
            if s["nb_frames"] != s.get("nb_read_packets"):
                raise CheckFailed("ffprobe-counts", f"stream {s['index']}: header nb_frames="
                                  f"{s['nb_frames']} but {s.get('nb_read_packets')} packets")
    return "ok"


def first(streams, kind):
    return next((s for s in streams if s.get("codec_type") == kind), None)


def check_video_frames(streams, expected):
    """c. First video stream's packet count must be N."""
    v = first(streams, "video")
    if v is None or v.get("nb_read_packets") != expected:
        got = None if v is None else v.get("nb_read_packets")
        raise CheckFailed("video-frames", f"expected {expected} video packets, found {got}")
    return {"expected": expected, "found": v["nb_read_packets"]}


RAW_FORMATS = {"u8": "u8", "s16": "s16le", "s32": "s32le", "flt": "f32le", "dbl": "f64le"}


def check_audio_bytes(path, streams, expected):
    """d. Decoded PCM size of the first audio stream (in its own sample format) must be N."""
    a = first(streams, "audio")
    if a is None:
        raise CheckFailed("audio-bytes", "no audio stream")
    codec = a.get("codec_name", "")
    if codec.startswith("pcm_") and codec not in ("pcm_alaw", "pcm_mulaw"):
        fmt = codec[4:]
    else:
        fmt = RAW_FORMATS.get(a.get("sample_fmt", "").rstrip("p"), "s16le")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0", "-f", fmt, "-"]
    total = 0
    with subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as p:
        while chunk := p.stdout.read(1 << 20):
            total += len(chunk)
        err = p.stderr.read().decode(errors="replace").strip()
    if p.returncode != 0 or err:
        raise CheckFailed("audio-bytes", f"ffmpeg exit {p.returncode}, stderr: {err}")
    if total != expected:
        raise CheckFailed("audio-bytes", f"expected {expected} bytes of {fmt}, decoded {total}")
    return {"format": fmt, "expected": expected, "found": total}


SKIP_KEYS = {"@ref", "CompleteName", "FolderName", "FileName", "FileNameExtension"}


def mentions_truncation(obj):
    if isinstance(obj, dict):
        return any(k not in SKIP_KEYS and ("truncated" in k.lower() or mentions_truncation(v))
                   for k, v in obj.items())
    if isinstance(obj, list):
        return any(mentions_truncation(v) for v in obj)
    return "truncated" in str(obj).lower()


def check_mediainfo(path, streams):
    """e. mediainfo must parse the file, see no truncation, and agree on video frame counts."""
    rc, out, err = run(["mediainfo", "--Output=JSON", path], "mediainfo")
    if rc != 0:
        raise CheckFailed("mediainfo", f"exit {rc}, stderr: {err}")
    try:
        tracks = json.loads(out)["media"]["track"]
    except (ValueError, KeyError, TypeError) as e:
        raise CheckFailed("mediainfo", f"unparseable JSON output: {e}")
    general = next((t for t in tracks if t.get("@type") == "General"), None)
    if general is None:
        raise CheckFailed("mediainfo", "no General track")
    if mentions_truncation(general):
        raise CheckFailed("mediainfo", f"reports truncation: {general.get('extra', general)}")
    report = {"Format": general.get("Format"), "FileSize": general.get("FileSize"),
              "VideoFrameCounts": []}
    probe_by_index = {s.get("index"): s for s in streams}
    # With a dmlh header, mediainfo gives every video track the file's total (dmlh
    # dwTotalFrames, the longest video stream, as FFmpeg writes it), not the track's own count;
    # a file with one video stream, or equal ones, is still checked exactly.
    longest = max((s["nb_read_packets"] for s in streams if s.get("codec_type") == "video"),
                  default=0)
    for mi in (t for t in tracks if t.get("@type") == "Video"):
        if "FrameCount" not in mi:
            continue
        # mediainfo's ID of an AVI track is the stream number, which ffprobe calls index.
        probe = probe_by_index.get(int(mi.get("ID", -1)))
        if probe is None:
            raise CheckFailed("mediainfo", f"video track ID {mi.get('ID')} has no ffprobe stream")
        count = int(mi["FrameCount"])
        packets = probe["nb_read_packets"]
        report["VideoFrameCounts"].append(count)
        if count not in (packets, longest):
            raise CheckFailed("mediainfo", f"video stream {probe['index']}: FrameCount={count} "
                              f"but ffprobe counted {packets} packets (the longest video "
                              f"stream has {longest})")
    return report


def check_pyav(path, streams, frame_numbers):
    """f. PyAV must demux and decode every packet; decoded video frames == non-empty packets
    (and, with frame numbers, are 0..N-1 in every video stream)."""
    try:
        import av  # lazily: only the venv python has it
    except ImportError:
        raise CheckFailed("pyav", "PyAV not installed: run scripts/install-test-deps.sh")
    packets, frames, numbers = {}, {}, {}
    try:
        with av.open(path) as container:
            for packet in container.demux():
                idx = packet.stream.index
                if packet.size:
                    packets[idx] = packets.get(idx, 0) + 1
                for frame in packet.decode():  # an empty/flush packet drains the decoder
                    frames[idx] = frames.get(idx, 0) + 1
                    if frame_numbers is not None and packet.stream.type == "video":
                        gray = frame.to_ndarray(format="gray")
                        numbers.setdefault(idx, []).append(frame_code.read_number(
                            gray.tobytes(), gray.shape[1], gray.shape[0], gray.shape[1]))
    except (av.FFmpegError, ValueError, OSError) as e:
        raise CheckFailed("pyav", f"demux/decode error: {e}")
    for s in streams:
        if s.get("codec_type") == "video":
            idx = s["index"]
            if frames.get(idx, 0) != packets.get(idx, 0):
                raise CheckFailed("pyav", f"stream {idx}: decoded {frames.get(idx, 0)} frames "
                                  f"from {packets.get(idx, 0)} non-empty packets")
            problem = frame_code.describe(numbers.get(idx, []), frame_numbers) if (
                frame_numbers is not None and packets.get(idx)) else None
            if problem:
                raise CheckFailed("pyav", f"stream {idx} frame numbers: {problem}")
    return {"packets": packets, "frames": frames}


def frame_md5(cmd, check):
    rc, out, err = run(cmd, check)
    lines = [ln for ln in out.decode().splitlines() if ln and not ln.startswith("#")]
    if rc != 0 or err or len(lines) != 1:
        raise CheckFailed(check, f"exit {rc}, {len(lines)} frame lines, stderr: {err or '(empty)'}")
    return lines[0].split(",")[-1].strip()


def first_picture(inputs, pix_fmt, check):
    """The first picture ffmpeg decodes from `inputs`, as raw `pix_fmt` bytes."""
    rc, out, err = run(["ffmpeg", "-nostdin", "-v", "error", *inputs, "-frames:v", "1",
                        "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"], check)
    if rc != 0 or err:
        raise CheckFailed(check, f"exit {rc}, stderr: {err or '(empty)'}")
    return out


def check_seek(path, streams, k, frame_numbers):
    """g. Seeking (via the index) to frame K must yield exactly that frame (with frame numbers:
    the picture that carries K)."""
    v = first(streams, "video")
    if v is None:
        raise CheckFailed("seek", "no video stream")
    fps = Fraction(v.get("avg_frame_rate", "0/1"))
    fps = fps if fps > 0 else Fraction(v.get("r_frame_rate", "0/1"))
    if fps <= 0:
        raise CheckFailed("seek", "video stream has no frame rate")
    us = (Fraction(k) / fps * 1_000_000).__floor__()  # floor so rounding never skips frame K
    t = f"{us // 1_000_000}.{us % 1_000_000:06d}"
    report = {"frame": k, "time": t}
    if v.get("pix_fmt") == "pal8":
        # FFmpeg hands the strf palette to its decoder with the first packet only: after a seek
        # the palette is all black (its own pal8 AVIs too), so the palette indexes are compared.
        report["allowance"] = "ffmpeg:pal8-seek-palette"
        w, h = v["width"], v["height"]
        seeked = first_picture(["-ss", t, "-i", path, "-map", "0:v:0"], "pal8", "seek")[:w * h]
        linear = first_picture(["-i", path, "-map", "0:v:0", "-vf", f"select=gte(t\\,{t})"],
                               "pal8", "seek-reference")[:w * h]
        if seeked != linear:
            raise CheckFailed("seek", f"seek to {t}s gave other palette indexes than a linear "
                              "decode")
        return report
    seeked = frame_md5(["ffmpeg", "-nostdin", "-v", "error", "-ss", t, "-i", path, "-map",
                        "0:v:0", "-frames:v", "1", "-f", "framemd5", "-"], "seek")
    linear = frame_md5(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0",
                        "-vf", f"select=gte(t\\,{t})", "-frames:v", "1", "-f", "framemd5", "-"],
                       "seek-reference")
    if seeked != linear:
        raise CheckFailed("seek", f"seek to {t}s gave md5 {seeked}, linear decode gives {linear}")
    report["md5"] = seeked
    if frame_numbers is not None:
        w, h = v["width"], v["height"]
        out = first_picture(["-ss", t, "-i", path, "-map", "0:v:0"], "gray", "seek")
        number = frame_code.read_number(out, w, h, w) if len(out) == w * h else None
        if number != k:
            raise CheckFailed("seek", f"seek to {t}s gave the picture of frame {number}")
        report["number"] = number
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--video-frames", type=int)
    ap.add_argument("--audio-bytes", type=int)
    ap.add_argument("--no-pyav", action="store_true")
    ap.add_argument("--no-mediainfo", action="store_true")
    ap.add_argument("--seek-frame", type=int)
    ap.add_argument("--frame-numbers", type=int)
    args = ap.parse_args()

    report, failures = {"file": args.file}, []

    def attempt(name, fn, *fargs):
        try:
            report[name] = fn(*fargs)
        except CheckFailed as e:
            failures.append(str(e))
            report[name] = {"error": str(e)}

    attempt("streams", check_ffprobe, args.file)
    streams = report["streams"] if isinstance(report["streams"], list) else []
    attempt("ffmpeg_decode", check_ffmpeg_decode, args.file, streams)
    if not streams:
        report["skipped"] = "all checks that need ffprobe's stream list"
    else:
        attempt("header_counts", check_header_counts, streams)
        if args.video_frames is not None:
            attempt("video_frames", check_video_frames, streams, args.video_frames)
        if args.audio_bytes is not None:
            attempt("audio_bytes", check_audio_bytes, args.file, streams, args.audio_bytes)
        if not args.no_mediainfo:
            attempt("mediainfo", check_mediainfo, args.file, streams)
        if args.frame_numbers is not None:
            attempt("ffmpeg_numbers", check_ffmpeg_numbers, args.file, streams,
                    args.frame_numbers)
        if not args.no_pyav:
            attempt("pyav", check_pyav, args.file, streams, args.frame_numbers)
        if args.seek_frame is not None:
            attempt("seek", check_seek, args.file, streams, args.seek_frame, args.frame_numbers)
        report["readers"], reader_failures = reader_checks.check_readers(
            args.file, streams, args.frame_numbers, args.audio_bytes, args.seek_frame)
        failures += reader_failures

    report["ok"] = not failures
    report["failures"] = failures
    print(json.dumps(report, indent=2))
    for f in dict.fromkeys(failures):
        print(f, file=sys.stderr)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
