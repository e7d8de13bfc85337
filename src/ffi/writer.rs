//! Writer lifetime, streams and flushes.

use super::async_result::{avk_async_callback, begin_registered, end_registered};
use super::boundary::{avk_status, boundary, buffer, optional_str, require, write_out};
use super::handle::{avk_async, avk_audio_stream, avk_video_stream, avk_writer};
use super::io::{avk_io, CallbackSink};
use super::options::*;
use super::registry;
use crate::codec::utvideo::Prediction;
use crate::error::{Error, Result};
use crate::format::{AudioFormat, FrameRate, PcmFormat, PixelAspect, VideoFormat};
use crate::pixel::{ColorMatrix, InputLayout, PixelFormat};
use crate::queue::{AudioCodec, VideoCodec, Writer, WriterOptions, WriterState};
use crate::riff::FourCc;
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

fn writer_options(opts: &avk_writer_options) -> Result<WriterOptions> {
    if opts.flags & !AVK_WRITER_EMIT_INDEX1 != 0 {
        return Err(Error::invalid_argument(format!(
            "unknown avk_writer_options.flags 0x{:x}",
            opts.flags
        )));
    }
    Ok(WriterOptions {
        encoder_threads: opts.encoder_threads as usize,
        frame_rate: FrameRate::new(opts.frame_rate_num, opts.frame_rate_den)?,
        emit_index1: opts.flags & AVK_WRITER_EMIT_INDEX1 != 0,
        max_queued_bytes: opts.max_queued_bytes,
        super_index_capacity: opts.super_index_capacity as usize,
        checkpoint_interval: (opts.checkpoint_interval_ms != 0)
            .then(|| Duration::from_millis(u64::from(opts.checkpoint_interval_ms))),
        durability: opts.durability()?,
        ..WriterOptions::default()
    })
}

/// Registers a new writer and writes its handle.
fn register_writer(writer: Writer, out_writer: *mut *mut avk_writer) -> Result<()> {
    let id = writer.id();
    let handle = registry::insert::<avk_writer>(Arc::new(writer), id)?;
    // SAFETY: checked non-NULL by the caller of this function; writable by the API contract.
    unsafe { write_out(out_writer, handle) };
    Ok(())
}

/// Creates (or truncates) the file at `path` (UTF-8) and starts the writer's worker thread.
/// `opts` may be NULL for defaults. On success `*out_writer` receives the handle, owned by the
/// caller until `avk_writer_close`. Until then the file is held against other writers (an
/// advisory lock on Unix; on Windows it is shared with readers only); other programs can read it.
/// Thread-safe.
///
/// Errors: AVK_E_INVALID_ARGUMENT for NULL `path`/`out_writer` or bad options; AVK_E_IO with the
/// operating system's message when the file cannot be created, and saying the file is being
/// written when another writer holds it (nothing is truncated then); AVK_E_UNSUPPORTED for
/// options this version cannot honour.
///
/// # Safety
/// `path` NULL or NUL-terminated; `opts` NULL or a valid struct; `out_writer` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_writer_create(
    path: *const c_char,
    opts: *const avk_writer_options,
    out_writer: *mut *mut avk_writer,
) -> avk_status {
    boundary(|| {
        require(path, "path")?;
        require(out_writer, "out_writer")?;
        // SAFETY: forwarded caller contract.
        let path = unsafe { optional_str(path, "path") }?.unwrap_or_default();
        // SAFETY: forwarded caller contract.
        let options = writer_options(&unsafe { avk_writer_options::read(opts) }?)?;
        register_writer(Writer::create(&path, options)?, out_writer)
    })
}

/// Creates a writer that writes through the custom sink `io` (copied during the call). On
/// success the writer owns the sink and calls `io->close` exactly once when done. If this fails
/// with AVK_E_INVALID_ARGUMENT or AVK_E_UNSUPPORTED, `io->close` is not called and the caller
/// keeps `io->user`. Thread-safe.
///
/// Errors: AVK_E_INVALID_ARGUMENT for NULL `io`, `io->write_at` or `out_writer`, or bad options.
///
/// # Safety
/// `io` NULL or a valid struct whose callbacks honour the `avk_io` contract; `opts` NULL or a
/// valid struct; `out_writer` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_writer_create_io(
    io: *const avk_io,
    opts: *const avk_writer_options,
    out_writer: *mut *mut avk_writer,
) -> avk_status {
    boundary(|| {
        // SAFETY: forwarded caller contract.
        let io = unsafe { avk_io::read(io) }?;
        if io.write_at.is_none() {
            return Err(Error::invalid_argument("avk_io.write_at must not be NULL"));
        }
        require(out_writer, "out_writer")?;
        // SAFETY: forwarded caller contract.
        let options = writer_options(&unsafe { avk_writer_options::read(opts) }?)?;
        let writer = Writer::with_sink(Box::new(CallbackSink::new(io)), options)?;
        register_writer(writer, out_writer)
    })
}

fn pixel_format(value: i32) -> Result<PixelFormat> {
    match value {
        AVK_PIXEL_BGRA32 => Ok(PixelFormat::Bgra32),
        AVK_PIXEL_RGBA32 => Ok(PixelFormat::Rgba32),
        AVK_PIXEL_BGR24 => Ok(PixelFormat::Bgr24),
        AVK_PIXEL_RGB24 => Ok(PixelFormat::Rgb24),
        AVK_PIXEL_I420 => Ok(PixelFormat::I420),
        AVK_PIXEL_NV12 => Ok(PixelFormat::Nv12),
        AVK_PIXEL_YUY2 => Ok(PixelFormat::Yuy2),
        AVK_PIXEL_GRAY8 => Ok(PixelFormat::Gray8),
        other => Err(Error::invalid_argument(format!(
            "unknown input_format {other}: use an AVK_PIXEL_* value"
        ))),
    }
}

fn color_matrix(value: i32) -> Result<ColorMatrix> {
    match value {
        AVK_COLOR_BT601 => Ok(ColorMatrix::Bt601),
        AVK_COLOR_BT709 => Ok(ColorMatrix::Bt709),
        other => Err(Error::invalid_argument(format!(
            "unknown color_matrix {other}: use AVK_COLOR_BT601 or AVK_COLOR_BT709"
        ))),
    }
}

fn prediction(value: i32) -> Result<Prediction> {
    match value {
        AVK_PREDICT_MEDIAN => Ok(Prediction::Median),
        AVK_PREDICT_LEFT => Ok(Prediction::Left),
        AVK_PREDICT_GRADIENT => Ok(Prediction::Gradient),
        AVK_PREDICT_NONE => Ok(Prediction::None),
        other => Err(Error::invalid_argument(format!(
            "unknown prediction {other}: use an AVK_PREDICT_* value"
        ))),
    }
}

/// The codec the options name, in the Rust API's terms.
fn video_codec(o: &avk_video_stream_options) -> Result<VideoCodec> {
    let input = InputLayout::new(o.width, o.height, pixel_format(o.input_format)?)
        .with_stride(o.input_stride)
        .with_color_matrix(color_matrix(o.color_matrix)?);
    if o.video_flags & !AVK_VIDEO_KEEP_ALPHA != 0 {
        return Err(Error::invalid_argument(format!(
            "unknown video_flags bits {:#x}: use AVK_VIDEO_* flags",
            o.video_flags & !AVK_VIDEO_KEEP_ALPHA
        )));
    }
    let keep_alpha = o.video_flags & AVK_VIDEO_KEEP_ALPHA != 0;
    let prediction = prediction(o.prediction)?;
    if keep_alpha && o.codec != AVK_VIDEO_UTVIDEO {
        return Err(Error::invalid_argument(
            "AVK_VIDEO_KEEP_ALPHA is a flag of AVK_VIDEO_UTVIDEO streams",
        ));
    }
    let bits_per_pixel = u16::try_from(o.bits_per_pixel)
        .map_err(|_| Error::invalid_argument("bits_per_pixel is out of range"))?;
    match o.codec {
        AVK_VIDEO_RAW => Ok(VideoCodec::Raw(VideoFormat {
            width: o.width,
            height: o.height,
            fourcc: (o.fourcc != 0).then(|| FourCc::from_u32(o.fourcc)),
            bits_per_pixel,
            pixel_aspect: PixelAspect::SQUARE,
            extra_data: Vec::new(),
        })),
        AVK_VIDEO_UNCOMPRESSED => Ok(VideoCodec::Uncompressed {
            input,
            bits_per_pixel,
        }),
        AVK_VIDEO_MJPEG => Ok(VideoCodec::Mjpeg {
            input,
            quality: o.quality,
        }),
        AVK_VIDEO_H264 => Ok(VideoCodec::H264 {
            input,
            quality: o.quality,
            keyframe_interval: o.keyframe_interval,
        }),
        AVK_VIDEO_UTVIDEO => Ok(VideoCodec::UtVideo {
            input,
            prediction,
            slices: o.slices,
            keep_alpha,
        }),
        other => Err(Error::invalid_argument(format!(
            "unknown video codec {other}"
        ))),
    }
}

fn field_u16(value: u32, what: &str) -> Result<u16> {
    u16::try_from(value)
        .map_err(|_| Error::invalid_argument(format!("{what} {value} exceeds 65535")))
}

/// The codec the options name, in the Rust API's terms.
///
/// # Safety
/// `o.format_extra` NULL or `o.format_extra_len` readable bytes.
unsafe fn audio_codec(o: &avk_audio_stream_options) -> Result<AudioCodec> {
    match o.codec {
        AVK_AUDIO_PCM => Ok(AudioCodec::Pcm(
            PcmFormat::derive(o.channels, o.sample_rate, o.bits_per_sample)?
                .with_channel_mask(o.channel_mask)?,
        )),
        AVK_AUDIO_FLOAT if o.bits_per_sample != 32 => Err(Error::invalid_argument(format!(
            "AVK_AUDIO_FLOAT takes 32-bit samples, not bits_per_sample {}",
            o.bits_per_sample
        ))),
        AVK_AUDIO_FLOAT => Ok(AudioCodec::Pcm(
            PcmFormat::float(o.channels, o.sample_rate)?.with_channel_mask(o.channel_mask)?,
        )),
        _ if o.channel_mask != 0 => Err(Error::invalid_argument(
            "channel_mask applies to AVK_AUDIO_PCM and AVK_AUDIO_FLOAT only (RAW streams give \
             their WAVEFORMATEXTENSIBLE in format_extra)",
        )),
        AVK_AUDIO_RAW => {
            // WAVEFORMATEX counts its extra bytes in 16 bits: refuse more before copying.
            if o.format_extra_len > usize::from(u16::MAX) {
                return Err(Error::invalid_argument(format!(
                    "format_extra_len {} exceeds 65535 (WAVEFORMATEX cbSize)",
                    o.format_extra_len
                )));
            }
            // SAFETY: forwarded caller contract.
            let extra = unsafe { buffer(o.format_extra, o.format_extra_len) }?.to_vec();
            Ok(AudioCodec::Raw(AudioFormat::declared(
                field_u16(o.format_tag, "format_tag")?,
                field_u16(o.channels, "channels")?,
                o.sample_rate,
                field_u16(o.bits_per_sample, "bits_per_sample")?,
                field_u16(o.block_align, "block_align")?,
                o.bytes_per_second,
                extra,
            )?))
        }
        AVK_AUDIO_MP3 => Ok(AudioCodec::Mp3 {
            channels: o.channels,
            sample_rate: o.sample_rate,
            bits_per_sample: o.bits_per_sample,
            bitrate_kbps: o.bitrate_kbps,
        }),
        other => Err(Error::invalid_argument(format!(
            "unknown audio codec {other}"
        ))),
    }
}

/// Adds a video stream; allowed until the first write or flush on the writer. `opts` may be
/// NULL for defaults (which lack a size, so that fails). The stream handle belongs to the writer
/// and is released by `avk_writer_close`. Thread-safe.
///
/// Errors: AVK_E_INVALID_HANDLE; AVK_E_INVALID_ARGUMENT for a bad field (the message names it);
/// AVK_E_UNSUPPORTED for codecs not built in; AVK_E_INVALID_STATE after the first write;
/// AVK_E_LIMIT past 100 streams or for frames over 2 GiB.
///
/// # Safety
/// `opts` NULL or a valid struct (with `name` NULL or NUL-terminated); `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_writer_add_video_stream(
    w: *mut avk_writer,
    opts: *const avk_video_stream_options,
    out: *mut *mut avk_video_stream,
) -> avk_status {
    boundary(|| {
        let writer = registry::get(w)?;
        require(out, "out")?;
        // SAFETY: forwarded caller contract.
        let opts = unsafe { avk_video_stream_options::read(opts) }?;
        // SAFETY: forwarded caller contract.
        let name = unsafe { optional_str(opts.name, "name") }?;
        let pixel_aspect = PixelAspect::new(opts.pixel_aspect_num, opts.pixel_aspect_den)?;
        let stream = writer.add_video(video_codec(&opts)?, pixel_aspect, name.as_deref())?;
        let handle = registry::insert::<avk_video_stream>(stream, writer.id())?;
        // SAFETY: checked non-NULL; writable by the caller's contract.
        unsafe { write_out(out, handle) };
        Ok(())
    })
}

/// Adds an audio stream; same rules as `avk_writer_add_video_stream`. `opts` may be NULL for
/// 16-bit stereo 44.1 kHz PCM. Thread-safe.
///
/// Errors: as `avk_writer_add_video_stream`.
///
/// # Safety
/// `opts` NULL or a valid struct (`name` NULL or NUL-terminated, `format_extra` NULL or
/// `format_extra_len` readable bytes); `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_writer_add_audio_stream(
    w: *mut avk_writer,
    opts: *const avk_audio_stream_options,
    out: *mut *mut avk_audio_stream,
) -> avk_status {
    boundary(|| {
        let writer = registry::get(w)?;
        require(out, "out")?;
        // SAFETY: forwarded caller contract.
        let opts = unsafe { avk_audio_stream_options::read(opts) }?;
        // SAFETY: forwarded caller contract.
        let name = unsafe { optional_str(opts.name, "name") }?;
        // SAFETY: forwarded caller contract.
        let codec = unsafe { audio_codec(&opts) }?;
        let stream = writer.add_audio(codec, name.as_deref())?;
        let handle = registry::insert::<avk_audio_stream>(stream, writer.id())?;
        // SAFETY: checked non-NULL; writable by the caller's contract.
        unsafe { write_out(out, handle) };
        Ok(())
    })
}

fn durable(flags: u32) -> Result<bool> {
    if flags & !AVK_FLUSH_DURABLE != 0 {
        return Err(Error::invalid_argument(format!(
            "unknown flush flags 0x{flags:x}"
        )));
    }
    Ok(flags & AVK_FLUSH_DURABLE != 0)
}

/// Sets the RIFF INFO metadata entry `id` to `value`, written as `LIST 'INFO'` in the header.
/// `id` is `I` and three uppercase letters or digits: INAM title, IART artist, ICMT comment,
/// ICRD date, ISFT software, ICOP copyright, IGNR genre, IKEY keywords, ISBJ subject, ISRC
/// source, ITCH technician, IPRD product, ILNG language. `value` is UTF-8, at most 65,000 bytes;
/// setting an id again replaces its value and an empty value removes it. ISFT is
/// `avikit X.Y.Z` (this version) unless set (an empty value removes it). Both strings are copied during the
/// call. Allowed until the first write or flush, like adding streams. Thread-safe.
///
/// Errors: AVK_E_INVALID_HANDLE; AVK_E_INVALID_ARGUMENT for a NULL or bad id, a NULL value, a
/// value over 65,000 bytes or not UTF-8; AVK_E_INVALID_STATE after the first write.
///
/// # Safety
/// `id` and `value` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn avk_writer_set_info(
    w: *mut avk_writer,
    id: *const c_char,
    value: *const c_char,
) -> avk_status {
    boundary(|| {
        let writer = registry::get(w)?;
        // SAFETY: forwarded caller contract.
        let id = unsafe { optional_str(id, "id") }?
            .ok_or_else(|| Error::invalid_argument("id must not be NULL"))?;
        // SAFETY: forwarded caller contract.
        let value = unsafe { optional_str(value, "value") }?
            .ok_or_else(|| Error::invalid_argument("value must not be NULL"))?;
        writer.set_info(&id, &value)
    })
}

/// Waits for every operation begun before, checkpoints (indexes everything written and
/// refreshes the header, so the file plays as it stands) and pushes the data to the operating
/// system (with AVK_FLUSH_DURABLE also to stable storage). Exactly begin_flush + end_flush.
/// Thread-safe.
///
/// Errors: AVK_E_INVALID_HANDLE; AVK_E_INVALID_ARGUMENT for unknown flags; AVK_E_WOULD_DEADLOCK
/// inside a callback of this writer; AVK_E_IO or AVK_E_WRITER_FAILED.
///
/// # Safety
/// None beyond passing a handle value.
#[no_mangle]
pub unsafe extern "C" fn avk_writer_flush(w: *mut avk_writer, flags: u32) -> avk_status {
    boundary(|| {
        let writer = registry::get(w)?;
        writer.flush(durable(flags)?)
    })
}

/// Queues a flush behind every operation begun so far (APM BeginFlush); same rules for
/// `callback`, `user_state` and `out_result` as the begin write functions. Thread-safe.
///
/// Errors: AVK_E_INVALID_HANDLE; AVK_E_INVALID_ARGUMENT for unknown flags.
///
/// # Safety
/// `out_result` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn avk_writer_begin_flush(
    w: *mut avk_writer,
    flags: u32,
    callback: avk_async_callback,
    user_state: *mut c_void,
    out_result: *mut *mut avk_async,
) -> avk_status {
    boundary(|| {
        begin_registered(
            w,
            callback,
            user_state,
            out_result,
            |_| durable(flags),
            |writer, durable, cb| writer.begin_flush(durable, cb),
        )
    })
}

/// Waits for a flush begun on this writer, releases the result and returns its status.
///
/// Errors: as the end write functions.
///
/// # Safety
/// None beyond passing handle values.
#[no_mangle]
pub unsafe extern "C" fn avk_writer_end_flush(
    w: *mut avk_writer,
    result: *mut avk_async,
) -> avk_status {
    boundary(|| {
        let writer = registry::get(w)?;
        end_registered(result, |r| writer.check_flush_result(r))
    })
}

/// Drains the queue (every callback fires), finalizes the file, joins the worker and releases the
/// writer, its streams and its un-ended results: every one of those handles is invalid
/// afterwards, whatever the status. Returns the first error the writer met, or AVK_OK. May be
/// called inside a callback of another writer: it then finalizes this file before it returns,
/// unless that would deadlock.
///
/// Errors: AVK_E_INVALID_HANDLE (also for a second close; a close that races with one still
/// draining returns it at once, and the handles go when the file is finalized); AVK_E_WOULD_DEADLOCK inside a
/// callback of this writer, or inside a callback of another writer whose worker this writer's
/// worker is waiting on (nothing is released then: close it later from elsewhere);
/// AVK_E_INVALID_STATE when no stream was added (the file is still finalized), or in another
/// process than the one that created the writer (after fork(); nothing is released); the first
/// AVK_E_IO / AVK_E_PANIC the writer met.
///
/// # Safety
/// None beyond passing a handle value.
#[no_mangle]
pub unsafe extern "C" fn avk_writer_close(w: *mut avk_writer) -> avk_status {
    boundary(|| {
        let writer = registry::get(w)?;
        let outcome = writer.close();
        // Handles go once the file is finalized, never while a close drains the queue (its
        // callbacks may still use them) or after a refused close. Whichever call sees the writer
        // closed releases them; a second release finds nothing.
        if writer.state() == WriterState::Closed {
            registry::release_writer(w, writer.id());
        }
        outcome
    })
}

/// Loads LAME for AVK_AUDIO_MP3 from `path` instead of `libmp3lame.so.0` (Windows:
/// `libmp3lame.dll`, then `libmp3lame-0.dll`) or the `AVIKIT_LAME_PATH` environment variable. Takes effect for MP3 streams added afterwards, as
/// long as LAME has not been loaded yet in this process. `path` is copied. Thread-safe.
///
/// Errors: AVK_E_INVALID_ARGUMENT for a NULL or non-UTF-8 path.
///
/// # Safety
/// `path` NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn avk_set_lame_path(path: *const c_char) -> avk_status {
    boundary(|| {
        require(path, "path")?;
        // SAFETY: forwarded caller contract.
        let path = unsafe { optional_str(path, "path") }?.unwrap_or_default();
        crate::codec::set_lame_path(&path);
        Ok(())
    })
}
