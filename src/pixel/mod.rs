//! A leaf of the crate like [`crate::format`]: the layouts frames come in
//! ([`PixelFormat`](crate::pixel::PixelFormat), [`InputLayout`](crate::pixel::InputLayout)) and
//! their conversion into what the encoders of [`crate::codec`] write or take: bottom-up DIB
//! rows, Y/Cb/Cr planes from camera YUV (I420, NV12, YUY2), I420 from RGB, and the separate
//! planes a lossless codec codes. Uses `format` and `error` only.
//!
//! Inside, each module builds on the ones before it and none on a later one: `layout` (formats,
//! strides, rows) <- `camera` (where camera samples lie) <- `camera_planes` and `camera_dib`;
//! `layout` <- `rgb_planes` and `coded_planes`; `camera_dib` <- `dib` (any frame into a DIB).

mod camera;
mod camera_dib;
#[cfg(any(feature = "mjpeg", feature = "h264"))]
mod camera_planes;
mod coded_planes;
mod dib;
mod layout;
#[cfg(feature = "h264")]
mod rgb_planes;

pub use coded_planes::{PackedRgb, PlaneBuffer, PlaneRef};
pub use layout::{ColorMatrix, InputLayout, PixelFormat};

// The conversions the encoders use; none is needed by a build without MJPEG and H.264.
#[cfg(any(feature = "mjpeg", feature = "h264"))]
pub(crate) use camera_planes::{Chroma, PlanarPicture, Range};
#[cfg(feature = "h264")]
pub(crate) use coded_planes::NEUTRAL_CHROMA;
pub(crate) use dib::append_dib;
#[cfg(feature = "h264")]
pub(crate) use rgb_planes::I420Picture;
