//! Caller pixels, a leaf of the crate like [`crate::format`]: the layouts frames come in
//! ([`PixelFormat`], [`InputLayout`]) and their conversion into what the encoders of
//! [`crate::codec`] write or take: bottom-up DIB rows, Y/Cb/Cr planes from camera YUV (I420,
//! NV12, YUY2) and I420 from RGB. Uses `format` and `error` only.
//!
//! Inside, each module builds on the ones before it and none on a later one: `layout` (formats,
//! strides, rows) <- `camera` (where camera samples lie) <- `camera_planes` and `camera_dib`;
//! `layout` <- `rgb_planes`; `camera_dib` <- `dib` (any frame into a DIB).

mod camera;
mod camera_dib;
mod camera_planes;
mod dib;
mod layout;
mod rgb_planes;

pub use camera_planes::{Chroma, PlanarPicture, Range};
pub use dib::append_dib;
pub use layout::{InputLayout, PixelFormat};
pub use rgb_planes::I420Picture;
