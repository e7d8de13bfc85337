//! Media formats the library understands and produces: pixel conversion, camera YUV,
//! device-independent bitmaps, integer PCM, planar YCbCr, and the encoders built on them.

pub mod camera;
mod camera_rgb;
pub mod convert;
pub mod encoder;
#[cfg(feature = "h264")]
pub mod h264;
mod lame;
#[cfg(feature = "mjpeg")]
pub mod mjpeg;
pub mod mp3;
#[cfg(feature = "h264")]
mod openh264_session;
pub mod yuv;

pub use lame::{probe_lame, set_lame_path};
