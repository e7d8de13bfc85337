#!/usr/bin/python3
"""Plays one AVI file through GStreamer's avidemux and reports what each stream delivered.

Run by the system python3 (Debian python3-gst-1.0), not the test venv. Every pad avidemux adds
goes to its own appsink: video pads with --numbers are decoded to GRAY8 and each picture's frame
number is read (tests/tools/frame_code.py); other pads count buffers and bytes as demuxed.
--seek-ns T also seeks (flushing, accurate) to T before playing and reports the first number.
--times adds to every pad the PTS (ns, null when unset) of each buffer its sink got ("pts") and
the duration avidemux gives the pad once the stream has ended ("duration_ns").
Prints one JSON object: {"pads": {name: {...}}, "error": message or null, "warnings": [...],
"seek_first": n}.

Usage: gst_read.py FILE [--numbers] [--seek-ns T] [--times]
"""
import argparse
import json
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstVideo  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import frame_code  # noqa: E402

TIMEOUT_S = 600  # a stalled pipeline fails the check instead of hanging the test


class Reader:
    def __init__(self, path, numbers, seek_ns, times):
        self.numbers, self.seek_ns, self.times = numbers, seek_ns, times
        self.pads, self.warnings, self.error, self.seek_first = {}, [], None, None
        self.demux_pads = []
        self.pipeline = Gst.Pipeline.new("read")
        src = Gst.ElementFactory.make("filesrc")
        src.set_property("location", path)
        self.demux = Gst.ElementFactory.make("avidemux")
        for e in (src, self.demux):
            self.pipeline.add(e)
        src.link(self.demux)
        self.demux.connect("pad-added", self.on_pad)
        self.loop = GLib.MainLoop()
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    def add_chain(self, names):
        elements = [Gst.ElementFactory.make(n) for n in names]
        for e in elements:
            self.pipeline.add(e)
        for a, b in zip(elements, elements[1:]):
            a.link(b)
        for e in elements:
            e.sync_state_with_parent()
        return elements

    def sink(self, name, decoded):
        sink = Gst.ElementFactory.make("appsink")
        sink.set_property("sync", False)
        sink.set_property("emit-signals", True)
        sink.set_property("max-buffers", 8)
        sink.connect("new-sample", self.on_sample, name, decoded)
        self.pipeline.add(sink)
        return sink

    def on_pad(self, _demux, pad):
        name = pad.get_name()
        self.pads[name] = {"caps": pad.get_current_caps().to_string().split(",")[0],
                           "buffers": 0, "bytes": 0}
        if self.times:
            self.pads[name]["pts"] = []
            self.demux_pads.append(pad)
        decode = self.numbers and name.startswith("video")
        if decode:
            self.pads[name]["numbers"] = []
            queue, dec = self.add_chain(["queue", "decodebin"])
            convert, caps = self.add_chain(["videoconvert", "capsfilter"])
            caps.set_property("caps", Gst.Caps.from_string("video/x-raw,format=GRAY8"))
            sink = self.sink(name, True)
            caps.link(sink)
            sink.sync_state_with_parent()
            dec.connect("pad-added", lambda _d, p: p.link(convert.get_static_pad("sink")))
        else:
            (queue,) = self.add_chain(["queue"])
            sink = self.sink(name, False)
            queue.link(sink)
            sink.sync_state_with_parent()
        pad.link(queue.get_static_pad("sink"))

    def on_sample(self, sink, name, decoded):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        info = self.pads[name]
        info["buffers"] += 1
        info["bytes"] += buf.get_size()
        if self.times:
            info["pts"].append(None if buf.pts == Gst.CLOCK_TIME_NONE else buf.pts)
        if decoded:
            video = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
            ok, mapped = buf.map(Gst.MapFlags.READ)
            if ok:
                try:
                    number = frame_code.read_number(bytes(mapped.data), video.width,
                                                    video.height, video.stride[0])
                finally:
                    buf.unmap(mapped)
                info["numbers"].append(number)
                if self.seek_first is None and self.seek_ns is not None:
                    self.seek_first = number
        return Gst.FlowReturn.OK

    def on_message(self, _bus, msg):
        if msg.type == Gst.MessageType.EOS:
            self.loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            self.error = f"{err.message} ({debug.splitlines()[0] if debug else ''})"
            self.loop.quit()
        elif msg.type == Gst.MessageType.WARNING and self.error is None:
            warn, debug = msg.parse_warning()
            self.warnings.append(warn.message)

    def timeout(self):
        self.error = f"no end of stream after {TIMEOUT_S} s"
        self.loop.quit()
        return False

    def run(self):
        if self.seek_ns is not None:
            # The sinks exist only once avidemux has added its pads: wait for that, then for
            # them to preroll, before the seek.
            self.demux.connect("no-more-pads", lambda _d: GLib.idle_add(self.loop.quit))
            self.pipeline.set_state(Gst.State.PAUSED)
            GLib.timeout_add_seconds(TIMEOUT_S, self.timeout)
            self.loop.run()
            change, _, _ = self.pipeline.get_state(Gst.CLOCK_TIME_NONE)
            if self.error:
                return
            if change == Gst.StateChangeReturn.FAILURE:
                self.error = self.error or "could not pause for the seek"
                return
            for info in self.pads.values():
                info.update(buffers=0, bytes=0)
                for key in ("numbers", "pts"):
                    if key in info:
                        info[key] = []
            self.seek_first = None
            flags = Gst.SeekFlags.FLUSH | Gst.SeekFlags.ACCURATE
            if not self.pipeline.seek_simple(Gst.Format.TIME, flags, self.seek_ns):
                self.error = "seek refused"
                return
        GLib.timeout_add_seconds(TIMEOUT_S, self.timeout)
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.error = self.error or "could not start playing"
        else:
            self.loop.run()
        for pad in self.demux_pads:
            known, duration = pad.query_duration(Gst.Format.TIME)
            self.pads[pad.get_name()]["duration_ns"] = duration if known else None
        self.pipeline.set_state(Gst.State.NULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--numbers", action="store_true")
    ap.add_argument("--seek-ns", type=int)
    ap.add_argument("--times", action="store_true")
    args = ap.parse_args()
    Gst.init(None)
    reader = Reader(args.file, args.numbers, args.seek_ns, args.times)
    reader.run()
    print(json.dumps({"pads": reader.pads, "error": reader.error, "warnings": reader.warnings,
                      "seek_first": reader.seek_first}))


if __name__ == "__main__":
    main()
