//! What an encoding stream does to each frame before it is written: the [`FrameEncoder`]
//! trait, and the encodings the library offers.

use crate::error::{Error, Result};
use crate::format::{PixelAspect, SampleLayout, StreamFormat, VideoFormat};
use crate::pixel::{append_dib, InputLayout, PixelFormat};

/// The quality (1..=100) of an MJPEG or H.264 stream that names none: libjpeg's own default,
/// and for H.264 a quantizer near x264's default.
pub const DEFAULT_QUALITY: u32 = 75;

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

    /// As [`FrameEncoder::encode`], with the independent parts of the frame (Ut Video's
    /// slices) run through `parts`, which may spread them over idle encoder threads. The
    /// bytes must not depend on which thread ran which part. By default the whole frame
    /// encodes on the calling thread.
    ///
    /// # Errors
    /// As [`FrameEncoder::encode`].
    fn encode_in_parts(&self, input: &[u8], parts: &dyn FrameParts) -> Result<EncodedFrame> {
        let _ = parts;
        self.encode(input)
    }
}

/// What the encoding of one frame may use besides its own thread: other threads for its
/// independent parts, and the buffer of a chunk already written to hold its own. Implemented
/// by the encoder pool (the calling encoder thread and any encoder threads of the writer that
/// are idle; the buffers the writer's worker gave back) and by [`OnThisThread`].
pub trait FrameParts {
    /// Calls `part(i)` once for every `i` in `0..count`, in any order and on any of the
    /// threads taking part, and returns once every call has returned. A panic in a part is
    /// raised again on the calling thread once no thread runs a part any more.
    fn run(&self, count: usize, part: &(dyn Fn(usize) + Sync));

    /// An empty vector to write the frame's chunk into, keeping the allocation of a chunk
    /// already written (so that steady recording touches no fresh memory); the caller owns
    /// it. By default a new vector.
    fn spare_chunk(&self) -> Vec<u8> {
        Vec::new()
    }
}

/// Runs every part on the calling thread, in order.
#[derive(Debug, Clone, Copy, Default)]
pub struct OnThisThread;

impl FrameParts for OnThisThread {
    fn run(&self, count: usize, part: &(dyn Fn(usize) + Sync)) {
        (0..count).for_each(part);
    }
}

/// `AVK_VIDEO_UNCOMPRESSED`: converts caller pixels into a bottom-up BI_RGB DIB (8-bit with a
/// grey palette from gray input).
#[derive(Debug, Clone, Copy)]
pub struct DibConversion {
    input: InputLayout,
    bits_per_pixel: u16,
}

impl DibConversion {
    /// A conversion from `input` into a 24- or 32-bit DIB; gray input always gives an 8-bit
    /// DIB with a grey palette (any of 8, 24 and 32 is taken, so the default depth works).
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] for another depth, a bad stride or an empty size.
    pub fn new(input: InputLayout, bits_per_pixel: u16) -> Result<DibConversion> {
        let gray = input.format == PixelFormat::Gray8;
        if !(matches!(bits_per_pixel, 24 | 32) || gray && bits_per_pixel == 8) {
            return Err(Error::invalid_argument(format!(
                "AVK_VIDEO_UNCOMPRESSED writes 24 or 32 bits per pixel (8 from GRAY8), not \
                 {bits_per_pixel}"
            )));
        }
        let bits_per_pixel = if gray { 8 } else { bits_per_pixel };
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
        VideoFormat::dib(self.input.width, self.input.height, self.bits_per_pixel)
    }

    fn check_input_len(&self, len: usize) -> Result<()> {
        self.input.check_frame_len(len)
    }

    fn encode(&self, input: &[u8]) -> Result<EncodedFrame> {
        self.encode_in_parts(input, &OnThisThread)
    }

    /// Converts into the spare chunk `parts` offers: a converted frame is as large as the
    /// input, so a fresh buffer each frame would cost a page fault per 4 KiB.
    fn encode_in_parts(&self, input: &[u8], parts: &dyn FrameParts) -> Result<EncodedFrame> {
        let mut data = parts.spare_chunk();
        data.clear();
        append_dib(&self.input, input, self.bits_per_pixel, &mut data);
        Ok(EncodedFrame {
            data,
            keyframe: true,
        })
    }
}

/// What a stream's input must look like, checked at begin without touching the encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputRule {
    /// A non-zero multiple of this many bytes (one sample of every channel).
    Multiple(usize),
    /// Exactly this many bytes (one frame).
    Exact(usize),
}

impl InputRule {
    /// Checks the length of one input.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] naming the expected length.
    pub fn check(self, len: usize) -> Result<()> {
        match self {
            InputRule::Multiple(align) if len == 0 || !len.is_multiple_of(align) => {
                Err(Error::invalid_argument(format!(
                    "an input block of {len} bytes is not a non-zero multiple of {align} bytes \
                 (one sample of every channel)"
                )))
            }
            InputRule::Exact(exact) if len != exact => Err(Error::invalid_argument(format!(
                "an input frame of {len} bytes; this stream takes exactly {exact}"
            ))),
            _ => Ok(()),
        }
    }
}

/// Turns caller frames or blocks into chunks in order, keeping state from one to the next (an
/// MP3 encoder's bit reservoir, an H.264 encoder's reference frames). One input may give zero
/// or more chunks. Runs on the writer's worker thread, one input at a time.
pub trait SequentialEncoder: Send {
    /// The format of the chunks it produces (the stream's `strf`).
    fn output_format(&self) -> StreamFormat;

    /// What each input must look like.
    fn input_rule(&self) -> InputRule;

    /// For audio encoders whose inputs are PCM samples: their layout, which timed writes need
    /// to place blocks and make silence. `None` (the default): the stream takes no timed writes.
    fn input_samples(&self) -> Option<SampleLayout> {
        None
    }

    /// Encodes one input; returns the chunks completed so far.
    ///
    /// # Errors
    /// [`crate::Status::Encoder`] when the encoder fails.
    fn encode(&mut self, input: &[u8]) -> Result<Vec<EncodedFrame>>;

    /// Ends the stream: returns the chunks still held back.
    ///
    /// # Errors
    /// [`crate::Status::Encoder`] when the encoder fails.
    fn flush(&mut self) -> Result<Vec<EncodedFrame>>;
}

/// Any video encoder, with the pixel shape of its pictures declared in the stream header: the
/// pictures are what they are, but players stretch them to the display aspect ratio.
#[derive(Debug, Clone)]
pub struct PixelShaped<E> {
    inner: E,
    aspect: PixelAspect,
}

impl<E> PixelShaped<E> {
    /// `inner` with pixels of shape `aspect`.
    pub fn new(inner: E, aspect: PixelAspect) -> PixelShaped<E> {
        PixelShaped { inner, aspect }
    }
}

impl<E: FrameEncoder> FrameEncoder for PixelShaped<E> {
    fn output_format(&self) -> VideoFormat {
        self.inner.output_format().with_pixel_aspect(self.aspect)
    }

    fn check_input_len(&self, len: usize) -> Result<()> {
        self.inner.check_input_len(len)
    }

    fn encode(&self, input: &[u8]) -> Result<EncodedFrame> {
        self.inner.encode(input)
    }

    fn encode_in_parts(&self, input: &[u8], parts: &dyn FrameParts) -> Result<EncodedFrame> {
        self.inner.encode_in_parts(input, parts)
    }
}

impl<E: SequentialEncoder> SequentialEncoder for PixelShaped<E> {
    fn output_format(&self) -> StreamFormat {
        match self.inner.output_format() {
            StreamFormat::Video(v) => StreamFormat::Video(v.with_pixel_aspect(self.aspect)),
            audio => audio,
        }
    }

    fn input_rule(&self) -> InputRule {
        self.inner.input_rule()
    }

    fn encode(&mut self, input: &[u8]) -> Result<Vec<EncodedFrame>> {
        self.inner.encode(input)
    }

    fn flush(&mut self) -> Result<Vec<EncodedFrame>> {
        self.inner.flush()
    }
}
