//! Files as every reader of the suite plays them (FFmpeg, PyAV, OpenCV, mediainfo, GStreamer,
//! VLC, MPlayer): every format, timed recordings, long recordings and an OpenDML file past
//! 4 GiB; what a reader cannot do is allowed by name and shown on FFmpeg's own files.

#[path = "../common/mod.rs"]
mod common;

mod long_recording;
mod long_timed_recording;
mod opendml_large;
mod readers;
mod timing_readers;
