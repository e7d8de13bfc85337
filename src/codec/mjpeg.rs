//! `AVK_VIDEO_MJPEG`: every frame a baseline JPEG from libjpeg-turbo, FourCC `MJPG`: 4:2:0
//! from RGB, I420 and NV12, 4:2:2 from YUY2, one component (grey) from GRAY8. Camera YUV goes in as planes (libjpeg-turbo skips
//! its colour conversion), stretched to the full range JPEG decoders assume, and re-expressed
//! in BT.601 when they were made with BT.709: JFIF defines JPEG's YCbCr as BT.601 and every
//! decoder converts with it, so passing BT.709 samples through would shift every colour.

use super::encoder::{EncodedFrame, FrameEncoder};
use crate::error::{Error, Result, Status};
use crate::format::VideoFormat;
use crate::pixel::{Chroma, InputLayout, PixelFormat, PlanarPicture, Range};
use crate::riff::FourCc;
use std::cell::RefCell;

/// The largest width or height libjpeg-turbo encodes (its JPEG_MAX_DIMENSION).
const MAX_JPEG_SIDE: u32 = 65_500;

/// Encodes caller pixels to Motion JPEG. Shared by the encoder threads; each thread keeps its
/// own libjpeg-turbo compressor.
#[derive(Debug, Clone, Copy)]
pub struct MjpegEncoder {
    input: InputLayout,
    quality: u8,
}

thread_local! {
    static COMPRESSOR: RefCell<Option<turbojpeg::Compressor>> = const { RefCell::new(None) };
    /// The planes of the camera frame being compressed, reused from frame to frame.
    static PLANES: RefCell<PlanarPicture> = RefCell::new(PlanarPicture::default());
}

fn encoder_error(e: turbojpeg::Error) -> Error {
    Error::new(Status::Encoder, format!("libjpeg-turbo: {e}"))
}

impl MjpegEncoder {
    /// An encoder for frames laid out as `input`, at `quality` 1..=100.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for a quality out of range, a side over 65,500 pixels, a bad
    /// stride or an empty size.
    pub fn new(input: InputLayout, quality: u32) -> Result<MjpegEncoder> {
        if !(1..=100).contains(&quality) {
            return Err(Error::invalid_argument(format!(
                "MJPEG quality must be 1..=100, not {quality}"
            )));
        }
        if input.width.max(input.height) > MAX_JPEG_SIDE {
            return Err(Error::invalid_argument(format!(
                "JPEG (libjpeg-turbo) encodes pictures up to {MAX_JPEG_SIDE} pixels on a side, \
                 not {}x{}",
                input.width, input.height
            )));
        }
        input.validate()?;
        let encoder = MjpegEncoder {
            input,
            quality: quality as u8,
        };
        encoder.output_format().validate()?;
        Ok(encoder)
    }
}

impl FrameEncoder for MjpegEncoder {
    fn output_format(&self) -> VideoFormat {
        VideoFormat::compressed(self.input.width, self.input.height, FourCc::new(*b"MJPG"))
    }

    fn check_input_len(&self, len: usize) -> Result<()> {
        self.input.check_frame_len(len)
    }

    fn encode(&self, input: &[u8]) -> Result<EncodedFrame> {
        COMPRESSOR.with(|cell| {
            let mut cell = cell.borrow_mut();
            let compressor = match cell.as_mut() {
                Some(c) => c,
                None => cell.insert(turbojpeg::Compressor::new().map_err(encoder_error)?),
            };
            compressor
                .set_quality(i32::from(self.quality))
                .map_err(encoder_error)?;
            let data = if self.input.format.is_yuv() {
                self.compress_camera(compressor, input)?
            } else {
                self.compress_packed(compressor, input)?
            };
            Ok(EncodedFrame {
                data,
                keyframe: true,
            })
        })
    }
}

impl MjpegEncoder {
    fn compress_packed(
        &self,
        compressor: &mut turbojpeg::Compressor,
        input: &[u8],
    ) -> Result<Vec<u8>> {
        let mut scratch = Vec::new();
        let pixels = self.input.top_down(input, &mut scratch);
        let format = match self.input.format {
            PixelFormat::Bgra32 => turbojpeg::PixelFormat::BGRX,
            PixelFormat::Rgba32 => turbojpeg::PixelFormat::RGBX,
            PixelFormat::Bgr24 => turbojpeg::PixelFormat::BGR,
            PixelFormat::Rgb24 => turbojpeg::PixelFormat::RGB,
            PixelFormat::Gray8 => turbojpeg::PixelFormat::GRAY,
            camera => unreachable!("{camera:?} goes through compress_camera"),
        };
        // Gray input makes a one-component JPEG, the rest 4:2:0.
        let subsamp = if self.input.format == PixelFormat::Gray8 {
            turbojpeg::Subsamp::Gray
        } else {
            turbojpeg::Subsamp::Sub2x2
        };
        let image = turbojpeg::Image {
            pixels,
            width: self.input.width as usize,
            pitch: self.input.row_pitch(),
            height: self.input.height as usize,
            format,
        };
        compressor.set_subsamp(subsamp).map_err(encoder_error)?;
        compressor.compress_to_vec(image).map_err(encoder_error)
    }

    fn compress_camera(
        &self,
        compressor: &mut turbojpeg::Compressor,
        input: &[u8],
    ) -> Result<Vec<u8>> {
        PLANES.with(|cell| {
            let mut picture = cell.borrow_mut();
            picture.fill(&self.input, input, Chroma::Native, Range::Full);
            picture.rematrix_to_bt601(self.input.color_matrix);
            let (y, u, v) = picture.planes();
            let (width, height) = picture.dimensions();
            let image = turbojpeg::YuvPlanesImage {
                y_plane: y,
                u_plane: u,
                v_plane: v,
                width,
                height,
                y_stride: width,
                u_stride: width / 2,
                v_stride: width / 2,
                subsamp: if picture.is_422() {
                    turbojpeg::Subsamp::Sub2x1
                } else {
                    turbojpeg::Subsamp::Sub2x2
                },
            };
            compressor
                .compress_yuv_planes_to_vec(&image)
                .map_err(encoder_error)
        })
    }
}
