//! Media formats the library understands and produces: pixel conversion, device-independent
//! bitmaps, integer PCM.

pub mod convert;
pub mod dib;
pub mod encoder;
#[cfg(feature = "mjpeg")]
pub mod mjpeg;
pub mod pcm;
