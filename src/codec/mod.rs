//! Media formats the library understands and produces: pixel conversion, device-independent
//! bitmaps, integer PCM.

pub mod convert;
pub mod dib;
pub mod encoder;
pub mod lame;
#[cfg(feature = "mjpeg")]
pub mod mjpeg;
pub mod mp3;
pub mod pcm;
