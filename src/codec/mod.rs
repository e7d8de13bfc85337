//! Media formats the library understands: device-independent bitmaps and integer PCM.

pub mod dib;
pub mod pcm;
