//! What an encoding stream does to each frame or block before it becomes a chunk.
//! [`encoder`](crate::codec::encoder) holds the traits the queue drives and the DIB conversion;
//! the codecs are [`mjpeg`](crate::codec::mjpeg) (libjpeg-turbo), [`h264`](crate::codec::h264)
//! (OpenH264 through a private session), [`utvideo`](crate::codec::utvideo) (lossless, written
//! here) and [`mp3`](crate::codec::mp3) (LAME, loaded at run time). Caller pixels reach them
//! through [`crate::pixel`].

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
