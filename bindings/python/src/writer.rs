//! The writer: options, streams and codecs chosen by name, INFO metadata, flush and close. Every
//! call into the library runs without the GIL: the worker takes the GIL to complete futures,
//! so a caller that waited on it with the GIL held would deadlock.

use crate::errors::check;
use crate::streams::{AudioStream, VideoStream};
use avikit::codec::utvideo::Prediction;
use avikit::pixel::{ColorMatrix, InputLayout, PixelFormat};
use avikit::{AudioCodec, Durability, FourCc, FrameRate, PcmFormat, PixelAspect, VideoCodec};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

/// `name` looked up in `table`, or a `ValueError` listing the choices for `what`.
fn choose<T: Copy>(what: &str, name: &str, table: &[(&str, T)]) -> PyResult<T> {
    table
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            PyValueError::new_err(format!(
                "unknown {what} {name:?}: expected one of {}",
                names.join(", ")
            ))
        })
}

const PIXEL_FORMATS: &[(&str, PixelFormat)] = &[
    ("bgr24", PixelFormat::Bgr24),
    ("rgb24", PixelFormat::Rgb24),
    ("bgra", PixelFormat::Bgra32),
    ("rgba", PixelFormat::Rgba32),
    ("gray8", PixelFormat::Gray8),
    ("i420", PixelFormat::I420),
    ("nv12", PixelFormat::Nv12),
    ("yuy2", PixelFormat::Yuy2),
];

const PREDICTIONS: &[(&str, Prediction)] = &[
    ("median", Prediction::Median),
    ("left", Prediction::Left),
    ("gradient", Prediction::Gradient),
    ("none", Prediction::None),
];

const COLOR_MATRICES: &[(&str, ColorMatrix)] =
    &[("bt601", ColorMatrix::Bt601), ("bt709", ColorMatrix::Bt709)];

/// The codec settings of `add_video` as the library takes them.
struct VideoSettings<'a> {
    width: u32,
    height: u32,
    codec: &'a str,
    pixel_format: &'a str,
    quality: u32,
    keyframe_interval: u32,
    color_matrix: &'a str,
    prediction: &'a str,
    slices: u32,
    keep_alpha: bool,
    bits_per_pixel: Option<u16>,
    fourcc: Option<&'a str>,
}

impl VideoSettings<'_> {
    fn codec(&self) -> PyResult<VideoCodec> {
        if self.codec == "raw" {
            let format = match self.fourcc {
                None => avikit::VideoFormat::dib(
                    self.width,
                    self.height,
                    self.bits_per_pixel.unwrap_or(32),
                ),
                Some(code) => {
                    let bytes: [u8; 4] = code.as_bytes().try_into().map_err(|_| {
                        PyValueError::new_err(format!(
                            "fourcc must be four ASCII characters, not {code:?}"
                        ))
                    })?;
                    let format =
                        avikit::VideoFormat::compressed(self.width, self.height, FourCc(bytes));
                    match self.bits_per_pixel {
                        Some(bits) => format.with_bits_per_pixel(bits),
                        None => format,
                    }
                }
            };
            return Ok(VideoCodec::Raw(format));
        }
        let format = choose("pixel_format", self.pixel_format, PIXEL_FORMATS)?;
        let input = InputLayout::new(self.width, self.height, format).with_color_matrix(choose(
            "color_matrix",
            self.color_matrix,
            COLOR_MATRICES,
        )?);
        Ok(match self.codec {
            "uncompressed" => VideoCodec::Uncompressed {
                input,
                bits_per_pixel: self.bits_per_pixel.unwrap_or(match format {
                    PixelFormat::Bgra32 | PixelFormat::Rgba32 => 32,
                    PixelFormat::Gray8 => 8,
                    _ => 24,
                }),
            },
            "mjpeg" => VideoCodec::Mjpeg {
                input,
                quality: self.quality,
            },
            "h264" => VideoCodec::H264 {
                input,
                quality: self.quality,
                keyframe_interval: self.keyframe_interval,
            },
            "utvideo" => VideoCodec::UtVideo {
                input,
                prediction: choose("prediction", self.prediction, PREDICTIONS)?,
                slices: self.slices,
                keep_alpha: self.keep_alpha,
            },
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown codec {other:?}: expected one of mjpeg, h264, utvideo, \
                     uncompressed, raw"
                )))
            }
        })
    }
}

/// The library writer behind `avikit.Writer`. Thread-safe; closed by `close()` or when
/// collected.
#[pyclass(module = "avikit._avikit", name = "_Writer", frozen)]
pub struct Writer {
    inner: avikit::Writer,
}

#[pymethods]
impl Writer {
    /// Creates (truncates) the file at `path` and starts the worker thread.
    #[new]
    #[pyo3(signature = (path, fps_num, fps_den, *, max_queued_bytes=0, encoder_threads=0,
        checkpoint_interval=Some(1.0), durable=true, emit_index1=true, riff_limit=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, one per option
    fn new(
        py: Python<'_>,
        path: PathBuf,
        fps_num: u32,
        fps_den: u32,
        max_queued_bytes: u64,
        encoder_threads: usize,
        checkpoint_interval: Option<f64>,
        durable: bool,
        emit_index1: bool,
        riff_limit: Option<u64>,
    ) -> PyResult<Writer> {
        let interval = match checkpoint_interval {
            None => None,
            Some(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
            Some(s) => {
                return Err(PyValueError::new_err(format!(
                    "checkpoint_interval must be a number of seconds >= 0 or None, not {s}"
                )))
            }
        };
        let mut options = avikit::WriterOptions::default()
            .with_frame_rate(FrameRate {
                num: fps_num,
                den: fps_den,
            })
            .with_max_queued_bytes(max_queued_bytes)
            .with_encoder_threads(encoder_threads)
            .with_checkpoint_interval(interval)
            .with_emit_index1(emit_index1)
            .with_durability(if durable {
                Durability::Checkpoints
            } else {
                Durability::None
            });
        if let Some(limit) = riff_limit {
            options = options.with_riff_limit(limit);
        }
        let result = py.detach(|| avikit::Writer::create(&path, options));
        Ok(Writer {
            inner: check(py, result)?,
        })
    }

    /// Sets a RIFF INFO entry (`INAM`, `IART`, ...); an empty value removes it.
    fn set_info(&self, py: Python<'_>, id: &str, value: &str) -> PyResult<()> {
        let result = py.detach(|| self.inner.set_info(id, value));
        check(py, result)
    }

    /// Adds a video stream; see `avikit.Writer.add_video`.
    #[pyo3(signature = (width, height, codec, pixel_format, *, quality=75, keyframe_interval=0,
        color_matrix="bt601", prediction="median", slices=0, keep_alpha=false,
        bits_per_pixel=None, fourcc=None, pixel_aspect=(1, 1), name=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, one per option
    fn add_video(
        &self,
        py: Python<'_>,
        width: u32,
        height: u32,
        codec: &str,
        pixel_format: &str,
        quality: u32,
        keyframe_interval: u32,
        color_matrix: &str,
        prediction: &str,
        slices: u32,
        keep_alpha: bool,
        bits_per_pixel: Option<u16>,
        fourcc: Option<&str>,
        pixel_aspect: (u32, u32),
        name: Option<&str>,
    ) -> PyResult<VideoStream> {
        let codec = VideoSettings {
            width,
            height,
            codec,
            pixel_format,
            quality,
            keyframe_interval,
            color_matrix,
            prediction,
            slices,
            keep_alpha,
            bits_per_pixel,
            fourcc,
        }
        .codec()?;
        let aspect = check(py, PixelAspect::new(pixel_aspect.0, pixel_aspect.1))?;
        let result = py.detach(|| self.inner.add_video(codec, aspect, name));
        Ok(VideoStream {
            inner: check(py, result)?,
        })
    }

    /// Adds an audio stream; see `avikit.Writer.add_audio`.
    #[pyo3(signature = (channels, sample_rate, sample_format, codec, *, bitrate_kbps=160,
        channel_mask=0, name=None))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, one per option
    fn add_audio(
        &self,
        py: Python<'_>,
        channels: u32,
        sample_rate: u32,
        sample_format: &str,
        codec: &str,
        bitrate_kbps: u32,
        channel_mask: u32,
        name: Option<&str>,
    ) -> PyResult<AudioStream> {
        let bits = choose(
            "sample_format",
            sample_format,
            &[
                ("u8", 8),
                ("s16", 16),
                ("s24", 24),
                ("s32", 32),
                ("f32", 32),
            ],
        )?;
        let codec = match codec {
            "pcm" => {
                let format = if sample_format == "f32" {
                    PcmFormat::float(channels, sample_rate)
                } else {
                    PcmFormat::derive(channels, sample_rate, bits)
                };
                let format = check(py, format)?;
                let format = if channel_mask == 0 {
                    format
                } else {
                    check(py, format.with_channel_mask(channel_mask))?
                };
                AudioCodec::Pcm(format)
            }
            "mp3" => {
                if sample_format != "s16" {
                    return Err(PyValueError::new_err(format!(
                        "mp3 takes sample_format=\"s16\" input, not {sample_format:?}"
                    )));
                }
                AudioCodec::Mp3 {
                    channels,
                    sample_rate,
                    bits_per_sample: 16,
                    bitrate_kbps,
                }
            }
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown audio codec {other:?}: expected pcm or mp3"
                )))
            }
        };
        let result = py.detach(|| self.inner.add_audio(codec, name));
        Ok(AudioStream {
            inner: check(py, result)?,
        })
    }

    /// Writes everything queued so far and refreshes the headers and indexes; with `durable`,
    /// also syncs to stable storage. Waits, without the GIL.
    fn flush(&self, py: Python<'_>, durable: bool) -> PyResult<()> {
        let result = py.detach(|| self.inner.flush(durable));
        check(py, result)
    }

    /// Drains the queue (every future completes), finalizes the file and stops the worker.
    /// Returns the first error the writer met. A second close does nothing.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if self.inner.state() == avikit::WriterState::Closed {
            return Ok(());
        }
        let result = py.detach(|| self.inner.close());
        check(py, result)
    }

    /// "open", "closing" or "closed".
    #[getter]
    fn state(&self) -> &'static str {
        match self.inner.state() {
            avikit::WriterState::Open => "open",
            avikit::WriterState::Closing => "closing",
            // Closed, or a later state of a closed writer.
            _ => "closed",
        }
    }

    /// The frame rate in lowest terms, as `(num, den)`.
    #[getter]
    fn frame_rate(&self) -> (u32, u32) {
        let rate = self.inner.frame_rate();
        (rate.num, rate.den)
    }
}

impl Drop for Writer {
    /// Collected while still open (an exception skipped `close`): close now, so the file plays.
    /// A pyclass is dropped with the GIL held; the close waits for the worker, which may need
    /// the GIL to complete futures, so it runs detached.
    fn drop(&mut self) {
        if self.inner.state() == avikit::WriterState::Open {
            let inner = &self.inner;
            // Nobody is left to raise the close's error to; failed writes already reported
            // theirs through their futures, and the file is repairable.
            let _ = Python::attach(|py| py.detach(|| inner.close()));
        }
    }
}
