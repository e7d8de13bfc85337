//! What a stream writes, chosen by value: frames or blocks as given, or input the library
//! encodes. [`Writer::add_video`] and [`Writer::add_audio`] build the encoder each choice needs
//! (with the writer's frame rate and thread settings), so the C ABI and Rust callers pick codecs
//! the same way.

use super::stream::{AudioStream, VideoStream};
use super::writer::Writer;
use crate::codec::encoder::{DibConversion, PixelShaped};
use crate::codec::mp3::Mp3Encoder;
use crate::codec::utvideo::{Prediction, UtVideoFrameEncoder};
use crate::error::Result;
#[cfg(not(all(feature = "mjpeg", feature = "h264")))]
use crate::error::{Error, Status};
use crate::format::{AudioFormat, PcmFormat, PixelAspect, VideoFormat};
use crate::pixel::InputLayout;
use std::sync::Arc;

/// What a video stream writes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VideoCodec {
    /// Chunks exactly as given, under this format: an uncompressed DIB, or compressed frames of
    /// its FourCC (JPEG for `MJPG`, Annex B for `H264`, ...).
    Raw(VideoFormat),
    /// Pixels of `input` converted to a bottom-up DIB of `bits_per_pixel` (24 or 32).
    Uncompressed {
        /// The caller's pixels.
        input: InputLayout,
        /// Bits per pixel of the DIB written.
        bits_per_pixel: u16,
    },
    /// Pixels of `input` encoded as Motion JPEG (feature `mjpeg`).
    Mjpeg {
        /// The caller's pixels.
        input: InputLayout,
        /// JPEG quality 1..=100 ([`crate::codec::encoder::DEFAULT_QUALITY`] if unsure).
        quality: u32,
    },
    /// Pixels of `input` encoded as H.264 (feature `h264`).
    H264 {
        /// The caller's pixels.
        input: InputLayout,
        /// 1..=100, a constant quantizer.
        quality: u32,
        /// Frames from one keyframe to the next; 0 = every 2 seconds.
        keyframe_interval: u32,
    },
    /// Pixels of `input` encoded losslessly as Ut Video, the FourCC chosen by the input format
    /// and colour matrix ([`crate::codec::utvideo::UtVideoFrameEncoder`]); frames encode in
    /// parallel on the encoder threads (a frame's slices on the idle ones) and every chunk is a
    /// keyframe. [`VideoCodec::ut_video`] gives the defaults.
    UtVideo {
        /// The caller's pixels (odd sizes are refused where the layout is subsampled).
        input: InputLayout,
        /// How samples are predicted ([`Prediction::Median`] if unsure: the smallest files).
        prediction: Prediction,
        /// Independent slices per frame, 1..=256; 0 = the library default.
        slices: u32,
        /// BGRA32/RGBA32 input: write `ULRA` (alpha kept) instead of `ULRG`.
        keep_alpha: bool,
    },
}

impl VideoCodec {
    /// Ut Video from `input` with the library's defaults: median prediction, the default
    /// slices, alpha dropped.
    pub fn ut_video(input: InputLayout) -> VideoCodec {
        VideoCodec::UtVideo {
            input,
            prediction: Prediction::default(),
            slices: 0,
            keep_alpha: false,
        }
    }
}

/// What an audio stream writes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioCodec {
    /// Linear PCM (integer or float) blocks as given; takes timed writes.
    Pcm(PcmFormat),
    /// Blocks of any format exactly as given; no timed writes (the library cannot know what
    /// its samples are).
    Raw(AudioFormat),
    /// 16-bit PCM blocks encoded as MP3 by LAME (loaded at run time); takes timed writes.
    Mp3 {
        /// 1 or 2.
        channels: u32,
        /// Samples per second per channel.
        sample_rate: u32,
        /// Of the input; must be 16.
        bits_per_sample: u32,
        /// A Layer III bitrate ([`crate::codec::mp3::DEFAULT_BITRATE_KBPS`] if unsure).
        bitrate_kbps: u32,
    },
}

impl Writer {
    /// Adds a video stream that writes `codec`, its pictures shown with pixels of shape
    /// `pixel_aspect`. Same rules as [`Writer::add_video_stream`].
    ///
    /// # Errors
    /// As [`Writer::add_video_stream`]; [`crate::Status::InvalidArgument`] naming a bad field
    /// of the codec; [`crate::Status::Unsupported`] for a codec not built into this library.
    pub fn add_video(
        &self,
        codec: VideoCodec,
        pixel_aspect: PixelAspect,
        name: Option<&str>,
    ) -> Result<VideoStream> {
        match codec {
            VideoCodec::Raw(format) => {
                self.add_video_stream(format.with_pixel_aspect(pixel_aspect), name)
            }
            VideoCodec::Uncompressed {
                input,
                bits_per_pixel,
            } => {
                let encoder = DibConversion::new(input, bits_per_pixel)?;
                self.add_encoding_video_stream(
                    Arc::new(PixelShaped::new(encoder, pixel_aspect)),
                    name,
                )
            }
            #[cfg(feature = "mjpeg")]
            VideoCodec::Mjpeg { input, quality } => {
                let encoder = crate::codec::mjpeg::MjpegEncoder::new(input, quality)?;
                self.add_encoding_video_stream(
                    Arc::new(PixelShaped::new(encoder, pixel_aspect)),
                    name,
                )
            }
            #[cfg(not(feature = "mjpeg"))]
            VideoCodec::Mjpeg { .. } => Err(Error::new(
                Status::Unsupported,
                "MJPEG encoding is not built into this library (cargo feature `mjpeg`): pass \
                 JPEG frames as raw video with fourcc 'MJPG'",
            )),
            #[cfg(feature = "h264")]
            VideoCodec::H264 {
                input,
                quality,
                keyframe_interval,
            } => {
                let encoder = crate::codec::h264::H264Encoder::new(
                    input,
                    quality,
                    keyframe_interval,
                    self.frame_rate(),
                    self.encoder_threads(),
                )?;
                self.add_sequential_video_stream(
                    Box::new(PixelShaped::new(encoder, pixel_aspect)),
                    name,
                )
            }
            VideoCodec::UtVideo {
                input,
                prediction,
                slices,
                keep_alpha,
            } => {
                let encoder = UtVideoFrameEncoder::new(input, prediction, slices, keep_alpha)?;
                self.add_encoding_video_stream(
                    Arc::new(PixelShaped::new(encoder, pixel_aspect)),
                    name,
                )
            }
            #[cfg(not(feature = "h264"))]
            VideoCodec::H264 { .. } => Err(Error::new(
                Status::Unsupported,
                "H.264 encoding is not built into this library (cargo feature `h264`): pass \
                 Annex B frames as raw video with fourcc 'H264'",
            )),
        }
    }

    /// Adds an audio stream that writes `codec`. Same rules as [`Writer::add_video_stream`].
    ///
    /// # Errors
    /// As [`Writer::add_video_stream`]; [`crate::Status::InvalidArgument`] naming a bad field;
    /// [`crate::Status::Unsupported`] when LAME cannot be loaded.
    pub fn add_audio(&self, codec: AudioCodec, name: Option<&str>) -> Result<AudioStream> {
        match codec {
            AudioCodec::Pcm(format) => self.add_pcm_stream(format, name),
            AudioCodec::Raw(format) => self.add_audio_stream(format, name),
            AudioCodec::Mp3 {
                channels,
                sample_rate,
                bits_per_sample,
                bitrate_kbps,
            } => {
                let encoder =
                    Mp3Encoder::new(channels, sample_rate, bits_per_sample, bitrate_kbps)?;
                self.add_encoding_audio_stream(Box::new(encoder), name)
            }
        }
    }
}
