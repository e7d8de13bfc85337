//! `AVK_VIDEO_UTVIDEO`: caller frames of any [`InputLayout`] into Ut Video chunks, one frame per
//! encoder-pool task, its slices spread over the writer's idle encoder threads. The FourCC
//! follows the input so nothing is converted lossily: RGB gives `ULRG` (or `ULRA` with alpha
//! kept), 4:2:0 camera input and gray give `ULY0`/`ULH0`, YUY2 gives `ULY2`/`ULH2`, by the
//! input's colour matrix.

use super::{EncodeScratch, Prediction, SlicePlanes, UtVideoEncoder, UtVideoFormat};
use crate::codec::encoder::{EncodedFrame, FrameEncoder, FrameParts, OnThisThread};
use crate::error::{Error, Result};
use crate::format::VideoFormat;
use crate::pixel::{ColorMatrix, InputLayout, PackedRgb, PixelFormat, PlaneBuffer, PlaneRef};
use std::cell::RefCell;
use std::ops::Range;

thread_local! {
    /// The planes and coding buffers of the frame an encoder thread is encoding, reused from
    /// frame to frame (every Ut Video stream of the process shares them; one frame at a time).
    static BUFFERS: RefCell<(PlaneBuffer, EncodeScratch)> = RefCell::default();
}

/// Encodes caller pixels to Ut Video. Shared by the encoder threads: frames encode in parallel,
/// and the slices of a frame on the encoder threads of its writer that are idle.
#[derive(Debug, Clone)]
pub struct UtVideoFrameEncoder {
    input: InputLayout,
    keep_alpha: bool,
    encoder: UtVideoEncoder,
}

impl UtVideoFrameEncoder {
    /// An encoder for frames laid out as `input`, with `prediction` and `slices` (0 = the
    /// library default). `keep_alpha` writes `ULRA` from 4-byte RGB input.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] for a bad stride or an empty size, `keep_alpha` with
    /// input that has no alpha, an odd width for 4:2:x output or an odd height for 4:2:0
    /// output, or more than [`super::MAX_SLICES`] slices.
    pub fn new(
        input: InputLayout,
        prediction: Prediction,
        slices: u32,
        keep_alpha: bool,
    ) -> Result<UtVideoFrameEncoder> {
        input.validate()?;
        let format = output_format_of(&input, keep_alpha)?;
        let encoder = UtVideoEncoder::new(format, input.width, input.height, prediction, slices)?;
        let stream = UtVideoFrameEncoder {
            input,
            keep_alpha,
            encoder,
        };
        stream.output_format().validate()?;
        Ok(stream)
    }

    /// The layout written.
    pub fn format(&self) -> UtVideoFormat {
        self.encoder.format()
    }
}

/// The layout `input` is written as.
fn output_format_of(input: &InputLayout, keep_alpha: bool) -> Result<UtVideoFormat> {
    let bt709 = input.color_matrix == ColorMatrix::Bt709;
    Ok(match input.format {
        PixelFormat::Bgra32 | PixelFormat::Rgba32 if keep_alpha => UtVideoFormat::Ulra,
        _ if keep_alpha => {
            return Err(Error::invalid_argument(format!(
                "AVK_VIDEO_KEEP_ALPHA needs BGRA32 or RGBA32 input, not {:?}",
                input.format
            )))
        }
        PixelFormat::Bgra32 | PixelFormat::Rgba32 | PixelFormat::Bgr24 | PixelFormat::Rgb24 => {
            UtVideoFormat::Ulrg
        }
        PixelFormat::I420 | PixelFormat::Nv12 | PixelFormat::Gray8 if bt709 => UtVideoFormat::Ulh0,
        PixelFormat::I420 | PixelFormat::Nv12 | PixelFormat::Gray8 => UtVideoFormat::Uly0,
        PixelFormat::Yuy2 if bt709 => UtVideoFormat::Ulh2,
        PixelFormat::Yuy2 => UtVideoFormat::Uly2,
    })
}

impl FrameEncoder for UtVideoFrameEncoder {
    fn output_format(&self) -> VideoFormat {
        let format = self.encoder.format();
        VideoFormat::compressed(self.input.width, self.input.height, format.fourcc())
            .with_bits_per_pixel(format.bits_per_pixel())
            .with_extra_data(self.encoder.extra_data().to_vec())
    }

    fn check_input_len(&self, len: usize) -> Result<()> {
        self.input.check_frame_len(len)
    }

    fn encode(&self, input: &[u8]) -> Result<EncodedFrame> {
        self.encode_in_parts(input, &OnThisThread)
    }

    fn encode_in_parts(&self, input: &[u8], parts: &dyn FrameParts) -> Result<EncodedFrame> {
        BUFFERS.with(|cell| {
            let (planes, scratch) = &mut *cell.borrow_mut();
            let data = if PackedRgb::of(self.input.format).is_some() {
                let bands = RgbBands {
                    input: &self.input,
                    frame: input,
                    keep_alpha: self.keep_alpha,
                };
                self.encoder.encode_slices(&bands, scratch, parts)
            } else {
                let planes = planes.fill_input(&self.input, input, self.keep_alpha);
                self.encoder.encode_in_parts(&planes, scratch, parts)?
            };
            // Every Ut Video frame is intra-coded.
            Ok(EncodedFrame {
                data,
                keyframe: true,
            })
        })
    }
}

/// A packed RGB frame decorrelated a slice at a time, on the slice's thread into its own
/// buffer: the planes are predicted while they are in cache, instead of the whole frame's
/// planes going out to memory and being read back.
struct RgbBands<'a> {
    input: &'a InputLayout,
    frame: &'a [u8],
    keep_alpha: bool,
}

impl SlicePlanes for RgbBands<'_> {
    fn slice_planes<'a>(
        &'a self,
        rows: &[Range<usize>],
        band: &'a mut PlaneBuffer,
    ) -> Vec<PlaneRef<'a>> {
        // Every RGB plane has the frame's rows.
        band.fill_rgb_band(self.input, self.frame, self.keep_alpha, rows[0].clone())
    }
}
