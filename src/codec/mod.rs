//! The encoders: what an encoding stream does to each frame or block before it becomes a chunk.
//! [`encoder`] holds the traits the queue drives and the DIB conversion; [`mjpeg`]
//! (libjpeg-turbo), [`h264`] (OpenH264 through a private session) and [`mp3`] (LAME, loaded at
//! run time) are the codecs. Caller pixels reach them through [`crate::pixel`].

pub mod encoder;
#[cfg(feature = "h264")]
pub mod h264;
mod lame;
#[cfg(feature = "mjpeg")]
pub mod mjpeg;
pub mod mp3;
#[cfg(feature = "h264")]
mod openh264_session;
pub mod utvideo;

pub use lame::{probe_lame, set_lame_path};
