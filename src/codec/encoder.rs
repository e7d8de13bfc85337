//! What an encoding stream does to each frame before it is written: the [`FrameEncoder`]
//! trait, and the encodings the library offers.

use super::convert::{to_dib, InputLayout};
use crate::avi::{AudioFormat, VideoFormat};
use crate::error::{Error, Result};

/// One encoded frame, ready to be written as a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    /// The chunk payload.
    pub data: Vec<u8>,
    /// Whether the encoder made a keyframe.
    pub keyframe: bool,
}

/// Turns caller frames into chunks. Implementations are shared by the encoder threads of a
/// writer, so they are `Send + Sync` and keep no per-frame state behind `&self` that would make
/// the output depend on which thread ran.
pub trait FrameEncoder: Send + Sync {
    /// The format of the chunks it produces (the stream's `strf`).
    fn output_format(&self) -> VideoFormat;

    /// Checks the length of one input frame, at begin.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] naming the expected length.
    fn check_input_len(&self, len: usize) -> Result<()>;

    /// Encodes one frame that passed [`FrameEncoder::check_input_len`].
    ///
    /// # Errors
    /// [`crate::Status::Encoder`] when the encoder fails.
    fn encode(&self, input: &[u8]) -> Result<EncodedFrame>;
}

/// `AVK_VIDEO_UNCOMPRESSED`: converts caller pixels into a bottom-up BI_RGB DIB.
#[derive(Debug, Clone, Copy)]
pub struct DibConversion {
    input: InputLayout,
    bits_per_pixel: u16,
}

impl DibConversion {
    /// A conversion from `input` into a 24- or 32-bit DIB.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] for another depth, a bad stride or an empty size.
    pub fn new(input: InputLayout, bits_per_pixel: u16) -> Result<DibConversion> {
        if !matches!(bits_per_pixel, 24 | 32) {
            return Err(Error::invalid_argument(format!(
                "AVK_VIDEO_UNCOMPRESSED writes 24 or 32 bits per pixel, not {bits_per_pixel}"
            )));
        }
        input.validate()?;
        let conversion = DibConversion {
            input,
            bits_per_pixel,
        };
        conversion.output_format().validate()?;
        Ok(conversion)
    }
}

impl FrameEncoder for DibConversion {
    fn output_format(&self) -> VideoFormat {
        VideoFormat {
            width: self.input.width,
            height: self.input.height,
            fourcc: None,
            bits_per_pixel: self.bits_per_pixel,
        }
    }

    fn check_input_len(&self, len: usize) -> Result<()> {
        self.input.check_frame_len(len)
    }

    fn encode(&self, input: &[u8]) -> Result<EncodedFrame> {
        let mut data = Vec::new();
        to_dib(&self.input, input, self.bits_per_pixel, &mut data);
        Ok(EncodedFrame {
            data,
            keyframe: true,
        })
    }
}

/// Turns caller audio blocks into chunks, in order, keeping state from block to block (an MP3
/// encoder's bit reservoir and partial frames). One block may give zero or more chunks. Runs on
/// the writer's worker thread, one block at a time.
pub trait BlockEncoder: Send {
    /// The format of the chunks it produces (the stream's `strf`).
    fn output_format(&self) -> AudioFormat;

    /// Bytes of one input sample frame: every block is a non-zero multiple of it (checked at
    /// begin, without touching the encoder).
    fn input_block_align(&self) -> usize;

    /// Encodes one block; returns the chunks completed so far.
    ///
    /// # Errors
    /// [`crate::Status::Encoder`] when the encoder fails.
    fn encode(&mut self, input: &[u8]) -> Result<Vec<Vec<u8>>>;

    /// Ends the stream: returns the chunks still held back.
    ///
    /// # Errors
    /// [`crate::Status::Encoder`] when the encoder fails.
    fn flush(&mut self) -> Result<Vec<Vec<u8>>>;
}
