//! Ut Video, 8-bit, the lossless codec of capture tools: planes predicted per slice (none,
//! left, gradient or median), then coded with one canonical Huffman code per plane.
//!
//! A frame is, for each plane: 256 code lengths, the end offset of each slice's bit data
//! (u32 LE, relative to the plane's data), the slices' bit data; then a u32 of frame
//! information with the prediction in bits 8-9. The stream's 16-byte extra data (after the
//! BITMAPINFOHEADER) gives the slice count. See [`UtVideoEncoder`] for the steps a pool can
//! run per slice, and [`UtVideoFrameEncoder`] for the encoding stream of caller pixels.

mod bits;
mod frame;
mod huffman;
mod predict;
mod stream;

pub use frame::{EncodeScratch, FrameCodes, SlicePlanes, SliceResiduals};
pub use predict::Isa;
pub use stream::UtVideoFrameEncoder;

use crate::error::{Error, Result};
use crate::pixel::PlaneRef;
use crate::riff::FourCc;
use std::ops::Range;

/// Length of the extra data after the BITMAPINFOHEADER.
pub const EXTRA_DATA_LEN: usize = 16;

/// The most slices a frame can have (the slice count is stored minus one in a byte).
pub const MAX_SLICES: u32 = 256;

/// Rows of the subsampled plane height per slice when the caller leaves the count to the
/// library (FFmpeg's encoder's rule too): 1080p gets 4 slices in 4:2:0 and 9 in RGB, parts for
/// the idle encoder threads and for decoders' threads. Measured on 1080p testsrc2 and a noisy
/// clip (BENCHMARKS.md): against one slice it costs under 0.1% of size and no encoding speed;
/// 64 slices cost 0.3-0.6%.
const DEFAULT_ROWS_PER_SLICE: usize = 120;

/// Encoder version 1.0.0 with the implementation byte FFmpeg's encoder writes: decoders only
/// show it. Byte 0 is the implementation, byte 3 the major version.
const ENCODER_VERSION: [u8; 4] = [0xF0, 0, 0, 1];

/// Bytes of frame information after the planes.
const FRAME_INFO_LEN: u32 = 4;

/// Extra-data flag: the planes are Huffman-coded.
const FLAG_HUFFMAN: u32 = 1;

/// The layouts written, each a FourCC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UtVideoFormat {
    /// 4:2:0 YCbCr, BT.601: planes Y, U, V; even width and height.
    Uly0,
    /// 4:2:0 YCbCr, BT.709; as `Uly0`.
    Ulh0,
    /// 4:2:2 YCbCr, BT.601: planes Y, U, V; even width.
    Uly2,
    /// 4:2:2 YCbCr, BT.709; as `Uly2`.
    Ulh2,
    /// RGB: planes G, B-G+0x80, R-G+0x80 (modulo 256).
    Ulrg,
    /// RGB and alpha: the `Ulrg` planes, then A.
    Ulra,
}

impl UtVideoFormat {
    /// The stream's FourCC (`biCompression` and `fccHandler`).
    pub fn fourcc(self) -> FourCc {
        FourCc::new(match self {
            UtVideoFormat::Uly0 => *b"ULY0",
            UtVideoFormat::Ulh0 => *b"ULH0",
            UtVideoFormat::Uly2 => *b"ULY2",
            UtVideoFormat::Ulh2 => *b"ULH2",
            UtVideoFormat::Ulrg => *b"ULRG",
            UtVideoFormat::Ulra => *b"ULRA",
        })
    }

    /// `biBitCount` as the reference encoder reports it: bits of the uncompressed layout.
    pub fn bits_per_pixel(self) -> u16 {
        match self {
            UtVideoFormat::Uly0 | UtVideoFormat::Ulh0 => 12,
            UtVideoFormat::Uly2 | UtVideoFormat::Ulh2 => 16,
            UtVideoFormat::Ulrg => 24,
            UtVideoFormat::Ulra => 32,
        }
    }

    /// Planes a frame has.
    pub fn planes(self) -> usize {
        match self {
            UtVideoFormat::Ulra => 4,
            _ => 3,
        }
    }

    /// Width and height of `plane` in a `width` x `height` frame.
    pub fn plane_size(self, plane: usize, width: usize, height: usize) -> (usize, usize) {
        match (self, plane) {
            (_, 0) | (UtVideoFormat::Ulrg | UtVideoFormat::Ulra, _) => (width, height),
            (UtVideoFormat::Uly0 | UtVideoFormat::Ulh0, _) => (width / 2, height / 2),
            (UtVideoFormat::Uly2 | UtVideoFormat::Ulh2, _) => (width / 2, height),
        }
    }

    fn is_420(self) -> bool {
        matches!(self, UtVideoFormat::Uly0 | UtVideoFormat::Ulh0)
    }

    fn is_422(self) -> bool {
        matches!(self, UtVideoFormat::Uly2 | UtVideoFormat::Ulh2)
    }

    /// The "original format" field of the extra data (informative only).
    fn original_format(self) -> [u8; 4] {
        match self {
            UtVideoFormat::Uly0 | UtVideoFormat::Ulh0 => *b"YV12",
            UtVideoFormat::Uly2 | UtVideoFormat::Ulh2 => *b"YUY2",
            UtVideoFormat::Ulrg => [0, 0, 1, 0x18],
            UtVideoFormat::Ulra => [0, 0, 2, 0x18],
        }
    }
}

/// How each sample is predicted before coding (the residual is coded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Prediction {
    /// No prediction: samples are coded as they are.
    None,
    /// The previous sample in raster order within the slice.
    Left,
    /// Left + above - above-left.
    Gradient,
    /// The median of left, above and the gradient: usually the smallest files.
    #[default]
    Median,
}

impl Prediction {
    /// Every prediction, the default first.
    pub const ALL: [Prediction; 4] = [
        Prediction::Median,
        Prediction::Left,
        Prediction::Gradient,
        Prediction::None,
    ];

    /// The code in bits 8-9 of the frame information.
    fn frame_info_code(self) -> u32 {
        match self {
            Prediction::None => 0,
            Prediction::Left => 1,
            Prediction::Gradient => 2,
            Prediction::Median => 3,
        }
    }
}

/// Encodes frames of one stream. Immutable once built and `Sync`: any thread may encode any
/// frame or slice with it.
///
/// [`UtVideoEncoder::encode`] does it all on the calling thread. A pool splits it: run
/// [`UtVideoEncoder::analyze_slice`] for every slice (independently), then
/// [`UtVideoEncoder::frame_codes`] once, then [`UtVideoEncoder::write_frame`], which packs the
/// slices (independently, on the threads a [`crate::codec::encoder::FrameParts`] offers)
/// straight into the frame.
#[derive(Debug, Clone)]
pub struct UtVideoEncoder {
    format: UtVideoFormat,
    width: usize,
    height: usize,
    prediction: Prediction,
    slices: usize,
    isa: Isa,
}

impl UtVideoEncoder {
    /// An encoder of `width` x `height` frames. `slices` 0 takes the library default; a count
    /// above the rows a slice can be cut into (the height, or half of it for 4:2:0) is
    /// lowered to that, so no slice is empty.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] for a zero or too large size, an odd width for
    /// 4:2:x, an odd height for 4:2:0, or more than [`MAX_SLICES`] slices.
    pub fn new(
        format: UtVideoFormat,
        width: u32,
        height: u32,
        prediction: Prediction,
        slices: u32,
    ) -> Result<UtVideoEncoder> {
        if width == 0 || height == 0 || width > i32::MAX as u32 || height > i32::MAX as u32 {
            return Err(Error::invalid_argument(format!(
                "Ut Video frame size {width}x{height}: width and height must be 1..2^31"
            )));
        }
        if (format.is_420() || format.is_422()) && !width.is_multiple_of(2) {
            return Err(Error::invalid_argument(format!(
                "{:?} needs an even width, not {width}",
                format.fourcc()
            )));
        }
        if format.is_420() && !height.is_multiple_of(2) {
            return Err(Error::invalid_argument(format!(
                "{:?} needs an even height, not {height}",
                format.fourcc()
            )));
        }
        if slices > MAX_SLICES {
            return Err(Error::invalid_argument(format!(
                "Ut Video slices: 0 (default) or 1..={MAX_SLICES}, not {slices}"
            )));
        }
        let (width, height) = (width as usize, height as usize);
        let cuttable_rows = if format.is_420() { height / 2 } else { height };
        let wanted = match slices {
            0 => cuttable_rows / DEFAULT_ROWS_PER_SLICE,
            n => n as usize,
        };
        Ok(UtVideoEncoder {
            format,
            width,
            height,
            prediction,
            slices: wanted.clamp(1, cuttable_rows.min(MAX_SLICES as usize)),
            isa: Isa::best(),
        })
    }

    /// The same encoder with the row kernels of `isa`; for comparing kernels.
    ///
    /// # Panics
    /// If this CPU does not run `isa` (see [`Isa::available`]).
    pub fn with_isa(self, isa: Isa) -> UtVideoEncoder {
        assert!(
            Isa::available().contains(&isa),
            "this CPU does not run {isa:?}"
        );
        UtVideoEncoder { isa, ..self }
    }

    /// The layout written.
    pub fn format(&self) -> UtVideoFormat {
        self.format
    }

    /// The slices of every frame (after lowering, see [`UtVideoEncoder::new`]).
    pub fn slices(&self) -> usize {
        self.slices
    }

    /// The 16 bytes that follow the BITMAPINFOHEADER in the stream format: encoder version,
    /// original format, frame information size and the flags (slice count - 1 in the top byte,
    /// Huffman coding in bit 0, progressive).
    pub fn extra_data(&self) -> [u8; EXTRA_DATA_LEN] {
        let flags = ((self.slices as u32 - 1) << 24) | FLAG_HUFFMAN;
        let mut extra = [0u8; EXTRA_DATA_LEN];
        extra[0..4].copy_from_slice(&ENCODER_VERSION);
        extra[4..8].copy_from_slice(&self.format.original_format());
        extra[8..12].copy_from_slice(&FRAME_INFO_LEN.to_le_bytes());
        extra[12..16].copy_from_slice(&flags.to_le_bytes());
        extra
    }

    /// Width and height of `plane`.
    pub fn plane_size(&self, plane: usize) -> (usize, usize) {
        self.format.plane_size(plane, self.width, self.height)
    }

    /// The rows of `plane` that `slice` covers. Slice boundaries are `rows * (slice + 1) /
    /// slices`, rounded down to even for the luma of 4:2:0 (as decoders cut them).
    pub fn slice_rows(&self, plane: usize, slice: usize) -> Range<usize> {
        let rows = self.plane_size(plane).1;
        let even = if self.format.is_420() && plane == 0 {
            !1
        } else {
            !0
        };
        let end = |s: usize| (rows * s / self.slices) & even;
        end(slice)..end(slice + 1)
    }

    /// Checks that `planes` holds every plane of a frame, each large enough.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] naming the plane.
    pub fn check_planes(&self, planes: &[PlaneRef<'_>]) -> Result<()> {
        if planes.len() != self.format.planes() {
            return Err(Error::invalid_argument(format!(
                "{:?} takes {} planes, not {}",
                self.format.fourcc(),
                self.format.planes(),
                planes.len()
            )));
        }
        for (i, p) in planes.iter().enumerate() {
            let (w, h) = self.plane_size(i);
            if p.stride < w || p.samples.len() < (h - 1) * p.stride + w {
                return Err(Error::invalid_argument(format!(
                    "plane {i}: {} bytes at stride {} do not hold {w}x{h} samples",
                    p.samples.len(),
                    p.stride
                )));
            }
        }
        Ok(())
    }

    /// Encodes one frame on the calling thread.
    ///
    /// # Errors
    /// As [`UtVideoEncoder::check_planes`].
    pub fn encode(&self, planes: &[PlaneRef<'_>]) -> Result<Vec<u8>> {
        self.encode_with(planes, &mut EncodeScratch::default())
    }
}
