//! The option structs of the C ABI and their `_init` functions.

use super::boundary::{boundary_value, require};
use super::versioned::{field_spans, read_versioned};
use crate::avi::Durability;
use crate::codec::encoder::DEFAULT_QUALITY;
use crate::codec::mp3::DEFAULT_BITRATE_KBPS;
use crate::error::{Error, Result};
use crate::format::WAVE_FORMAT_PCM;
use crate::queue::WriterOptions;
use std::ffi::c_char;
use std::mem::size_of;

/// `avk_writer_options.flags`: write the legacy `idx1` index (set by default).
pub const AVK_WRITER_EMIT_INDEX1: u32 = 0x1;
/// `avk_writer_flush` flag: make the checkpoint durable whatever `durability` says (synced in
/// the order of AVK_DURABILITY_CHECKPOINTS), so the data reaches stable storage.
pub const AVK_FLUSH_DURABLE: u32 = 0x1;
/// `avk_writer_options.durability` (the default): every checkpoint and the close sync the file
/// in an order a power cut cannot tear (data and indexes, then the counts, sizes and header
/// that point at them), so the file repairs to at least its last completed checkpoint.
pub const AVK_DURABILITY_CHECKPOINTS: u32 = 0;
/// `avk_writer_options.durability`: never sync on its own; writes are left to the operating
/// system (avikit 0.2). `avk_writer_flush` with AVK_FLUSH_DURABLE still syncs.
pub const AVK_DURABILITY_NONE: u32 = 1;
/// Write flag: the frame is a keyframe (ignored by encoding codecs and audio).
pub const AVK_FRAME_KEYFRAME: u32 = 0x1;
/// Write flag: copy the data at begin, so the caller may reuse its buffer at once.
pub const AVK_WRITE_COPY: u32 = 0x2;
/// Write flag: where begin would wait for queue room (`max_queued_bytes`), return
/// AVK_E_QUEUE_FULL at once instead, also inside a callback (instead of AVK_E_WOULD_DEADLOCK).
/// Without a bound it changes nothing.
pub const AVK_WRITE_NOWAIT: u32 = 0x4;
/// `avk_async_wait` timeout that never expires.
pub const AVK_WAIT_INFINITE: u32 = 0xFFFF_FFFF;

/// Video codec: frames written as given, with `fourcc` and `bits_per_pixel`.
pub const AVK_VIDEO_RAW: i32 = 0;
/// Video codec: the library turns `input_format` pixels into a bottom-up BI_RGB DIB.
pub const AVK_VIDEO_UNCOMPRESSED: i32 = 1;
/// Video codec: the library encodes `input_format` pixels to JPEG ('MJPG').
pub const AVK_VIDEO_MJPEG: i32 = 2;
/// Video codec: the library encodes `input_format` pixels to H.264 ('H264', Annex B, SPS and
/// PPS before every keyframe) with OpenH264, where built in (cargo feature `h264`, on by
/// default); else `AVK_E_UNSUPPORTED`. Width and height even, 16 to 3840x2160. Encoded on the
/// writer's worker in begin order, each picture cut into one slice per encoder thread
/// (`encoder_threads`, at most 4; 2 when it is 0) encoded in parallel: the bytes depend on the thread count and
/// are the same for the same count. Keyframe flags come from the encoder.
pub const AVK_VIDEO_H264: i32 = 3;
/// Video codec: the library encodes `input_format` pixels losslessly as Ut Video (8-bit), the
/// FourCC chosen by the input: RGB -> 'ULRG' ('ULRA' with `AVK_VIDEO_KEEP_ALPHA`), I420, NV12
/// and GRAY8 -> 'ULY0' ('ULH0' with `AVK_COLOR_BT709`), YUY2 -> 'ULY2' ('ULH2'). Frames
/// encode in parallel on the encoder threads; every frame is a keyframe.
pub const AVK_VIDEO_UTVIDEO: i32 = 4;

/// Pixel format: blue, green, red, alpha bytes.
pub const AVK_PIXEL_BGRA32: i32 = 0;
/// Pixel format: red, green, blue, alpha bytes.
pub const AVK_PIXEL_RGBA32: i32 = 1;
/// Pixel format: blue, green, red bytes.
pub const AVK_PIXEL_BGR24: i32 = 2;
/// Pixel format: red, green, blue bytes.
pub const AVK_PIXEL_RGB24: i32 = 3;
/// Pixel format: camera 4:2:0, a Y plane, then U, then V (each `stride/2` per row and
/// `height/2` rows), BT.601 limited range. Width and height even; stride never negative.
pub const AVK_PIXEL_I420: i32 = 4;
/// Pixel format: camera 4:2:0, a Y plane, then one plane of interleaved U and V (`stride` per
/// row, `height/2` rows), BT.601 limited range. Width and height even; stride never negative.
pub const AVK_PIXEL_NV12: i32 = 5;
/// Pixel format: camera 4:2:2 packed, Y0 U Y1 V for every two pixels, BT.601 limited range.
/// Width and height even; stride never negative.
pub const AVK_PIXEL_YUY2: i32 = 6;
/// Pixel format: 8-bit luma only (mono cameras), 0 black to 255 white; `width` bytes a row,
/// stride >= width (negative = rows stored bottom-up). UNCOMPRESSED writes an 8-bit DIB with
/// a grey palette, MJPEG a one-component JPEG, H264 and UTVIDEO luma with neutral chroma
/// (UTVIDEO: width and height even).
pub const AVK_PIXEL_GRAY8: i32 = 7;

/// Colour matrix: YUV input made with ITU-R BT.601 (the default).
pub const AVK_COLOR_BT601: i32 = 0;
/// Colour matrix: YUV input made with ITU-R BT.709.
pub const AVK_COLOR_BT709: i32 = 1;

/// Ut Video prediction: the median of left, above and gradient (the default; smallest files).
pub const AVK_PREDICT_MEDIAN: i32 = 0;
/// Ut Video prediction: the previous sample.
pub const AVK_PREDICT_LEFT: i32 = 1;
/// Ut Video prediction: left + above - above-left.
pub const AVK_PREDICT_GRADIENT: i32 = 2;
/// Ut Video prediction: none (samples coded as they are).
pub const AVK_PREDICT_NONE: i32 = 3;

/// Video stream flag (UTVIDEO): write 'ULRA' (alpha kept) from BGRA32/RGBA32 input instead
/// of 'ULRG'.
pub const AVK_VIDEO_KEEP_ALPHA: u32 = 0x1;

/// Audio codec: blocks written as given, format described by the option fields.
pub const AVK_AUDIO_RAW: i32 = 0;
/// Audio codec: integer PCM; derived fields filled in, block alignment checked.
pub const AVK_AUDIO_PCM: i32 = 1;
/// Audio codec: 16-bit PCM input (1 or 2 channels) encoded with LAME at `bitrate_kbps` CBR, one
/// MP3 frame per chunk. LAME (libmp3lame.so.0; Windows: libmp3lame.dll or libmp3lame-0.dll) is
/// loaded at run time: without it adding the
/// stream fails with AVK_E_UNSUPPORTED saying what to install.
pub const AVK_AUDIO_MP3: i32 = 2;
/// Audio codec: 32-bit IEEE float samples (`bits_per_sample` 32), written as
/// WAVE_FORMAT_EXTENSIBLE with the channel mask.
pub const AVK_AUDIO_FLOAT: i32 = 3;

/// Settings of a writer. Initialize with `avk_writer_options_init`, then change fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct avk_writer_options {
    /// `sizeof(avk_writer_options)` as the caller was compiled; set by the init function.
    pub struct_size: u32,
    /// Frames per `frame_rate_den` seconds; default 30.
    pub frame_rate_num: u32,
    /// Default 1. 30000/1001 is kept exact.
    pub frame_rate_den: u32,
    /// `AVK_WRITER_EMIT_INDEX1` (default set).
    pub flags: u32,
    /// Crash safety: at most this many milliseconds after a chunk is written, the worker writes
    /// its `ix##` index and refreshes the header sizes, counts and super indexes in place, so a
    /// file cut by a crash plays up to there. 0 = only at flush and close (then the output
    /// depends only on the calls made); default 1000.
    pub checkpoint_interval_ms: u32,
    /// Back-pressure: begin blocks the caller while this many payload bytes are queued (an
    /// operation larger than the bound waits for an empty queue); inside a callback it returns
    /// AVK_E_WOULD_DEADLOCK instead. 0 = unbounded (the default): nothing limits the queue, which
    /// grows without limit (and with AVK_WRITE_COPY, the memory it holds) while the sink is
    /// slower than the caller. Set a bound for capture, e.g. a second of frames.
    pub max_queued_bytes: u64,
    /// Encoder threads this writer uses at once to convert or encode (MJPEG, UTVIDEO,
    /// UNCOMPRESSED): frames in parallel, and a UTVIDEO frame's slices on the threads no frame
    /// needs. They are the encoder threads the whole process shares: one per CPU, started with the first encoding
    /// stream of any writer and stopped when the last writer using them closes; 0 = as many as
    /// there are CPUs. H.264 streams encode on this many threads of their own (at most 4), one
    /// slice each; with 0 they use 2, so that the same calls give the same bytes on every
    /// machine.
    pub encoder_threads: u32,
    /// Never read: these bytes were the struct's tail padding in avikit 0.1, so a caller built
    /// against 0.1 (struct_size 40) may leave anything in them.
    pub reserved0: u32,
    /// OpenDML super index entries reserved in the header for each stream: one per RIFF
    /// segment (about 1 GiB) the stream spans, 16 bytes each. Default 4608: more than 4 TiB
    /// (100 hours of anything up to 100 Mbit/s) for 72 KiB of header per stream. A write that
    /// would need one more fails with AVK_E_LIMIT, and the file plays up to it. 1..=65536.
    pub super_index_capacity: u32,
    /// Never read: these bytes were the struct's tail padding in avikit 0.2, so a caller built
    /// against 0.2 (struct_size 48) may leave anything in them.
    pub reserved1: u32,
    /// Power-cut safety: `AVK_DURABILITY_CHECKPOINTS` (default) or `AVK_DURABILITY_NONE`;
    /// another value is AVK_E_INVALID_ARGUMENT. Syncs run on the writer's worker, never in a
    /// begin; with a custom sink they call `avk_io.sync`. Added in 0.3.
    pub durability: u32,
}

/// Settings of a video stream. Initialize with `avk_video_stream_options_init`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct avk_video_stream_options {
    /// `sizeof(avk_video_stream_options)` as the caller was compiled.
    pub struct_size: u32,
    /// Pixels per row; required.
    pub width: u32,
    /// Rows; required.
    pub height: u32,
    /// An `AVK_VIDEO_*` codec; default `AVK_VIDEO_RAW`.
    pub codec: i32,
    /// RAW: the stream's FourCC (`'M' | 'J' << 8 | 'P' << 16 | 'G' << 24`); 0 = uncompressed
    /// bottom-up BI_RGB DIB, whose frames must be exactly stride * height bytes with rows padded
    /// to 4 bytes.
    pub fourcc: u32,
    /// RAW: bits per pixel, 8/16/24/32 for DIBs; UNCOMPRESSED: 24 or 32, the depth of the DIB
    /// written (GRAY8 input always writes 8, and also takes 8); default 32.
    pub bits_per_pixel: u32,
    /// Encoding codecs: the `AVK_PIXEL_*` format of written frames; default BGRA32.
    pub input_format: i32,
    /// Encoding codecs: bytes per input row (of the Y plane for I420 and NV12); 0 = tight;
    /// negative = rows stored bottom-up (the buffer starts with the bottom row; RGB formats
    /// only). An RGB or YUY2 frame is exactly |stride| * height bytes; I420 and NV12 add their
    /// chroma planes after the Y plane.
    pub input_stride: i32,
    /// MJPEG and H264: 1..100; default 75. MJPEG: the JPEG quality. H264: a constant quantizer,
    /// 100 -> QP 12, 75 -> QP 22, 1 -> QP 51.
    pub quality: u32,
    /// H264: frames between keyframes; 0 = library default (two seconds at the writer's frame
    /// rate).
    pub keyframe_interval: u32,
    /// Stream name written as 'strn' (UTF-8, copied during the call); may be NULL.
    pub name: *const c_char,
    /// The sample (pixel) aspect ratio, width over height of one pixel: 0/0 (default) or equal
    /// values mean square pixels; one of them 0 is AVK_E_INVALID_ARGUMENT. Non-square pixels put
    /// a 'vprp' (OpenDML video properties) chunk with the display aspect ratio into the stream
    /// header.
    pub pixel_aspect_num: u32,
    /// See `pixel_aspect_num`.
    pub pixel_aspect_den: u32,
    /// How YUV input is read, for every codec: `AVK_COLOR_BT601` (default) or
    /// `AVK_COLOR_BT709`. UTVIDEO writes ULY* or ULH* from it; H264 signals it in the stream;
    /// MJPEG converts BT.709 input to the BT.601 that JPEG decoders assume. (Added in 0.3.)
    pub color_matrix: i32,
    /// UTVIDEO: an `AVK_PREDICT_*` value; default `AVK_PREDICT_MEDIAN`. (Added in 0.3.)
    pub prediction: i32,
    /// UTVIDEO: independent slices a frame, 1..=256; 0 (default) = library default. (Added in
    /// 0.3.)
    pub slices: u32,
    /// `AVK_VIDEO_*` flags (`AVK_VIDEO_KEEP_ALPHA`); default 0. (Added in 0.3.)
    pub video_flags: u32,
}

/// Settings of an audio stream. Initialize with `avk_audio_stream_options_init`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct avk_audio_stream_options {
    /// `sizeof(avk_audio_stream_options)` as the caller was compiled.
    pub struct_size: u32,
    /// An `AVK_AUDIO_*` codec; default `AVK_AUDIO_PCM`.
    pub codec: i32,
    /// Interleaved channels; default 2.
    pub channels: u32,
    /// Samples per second; default 44100.
    pub sample_rate: u32,
    /// Default 16. PCM: 8 (unsigned), 16, 24 or 32 (signed); FLOAT: 32.
    pub bits_per_sample: u32,
    /// RAW: WAVE format tag (1 PCM, 3 IEEE float, 0x55 MP3, ...).
    pub format_tag: u32,
    /// RAW: bytes per block; 0 = channels * bits_per_sample / 8. Every block written must be a
    /// non-zero multiple of it.
    pub block_align: u32,
    /// RAW: 0 = sample_rate * block_align.
    pub bytes_per_second: u32,
    /// RAW: WAVEFORMATEX extra bytes after cbSize (copied during the call); may be NULL when
    /// `format_extra_len` is 0.
    pub format_extra: *const u8,
    /// Bytes at `format_extra`.
    pub format_extra_len: usize,
    /// MP3: kbit/s; default 160.
    pub bitrate_kbps: u32,
    /// Stream name written as 'strn' (UTF-8, copied during the call); may be NULL.
    pub name: *const c_char,
    /// PCM and FLOAT: speaker positions (WAVEFORMATEXTENSIBLE dwChannelMask), one bit per
    /// channel; 0 (default) = the usual layout for the count: 1 FC, 2 FL FR, 3 FL FR FC, 4 FL FR
    /// BL BR, 5 FL FR FC BL BR, 6 = 5.1 (FL FR FC LFE BL BR), 8 = 7.1 (5.1 + SL SR), other counts
    /// none. More than 2 channels, more than 16 bits, float or a non-default mask are written as
    /// WAVE_FORMAT_EXTENSIBLE. Other codecs: must be 0.
    pub channel_mask: u32,
}

impl avk_writer_options {
    /// The Rust API's defaults, in the C struct's terms.
    pub(crate) fn defaults() -> Self {
        let d = WriterOptions::default();
        avk_writer_options {
            struct_size: size_of::<Self>() as u32,
            frame_rate_num: d.frame_rate.num,
            frame_rate_den: d.frame_rate.den,
            flags: if d.emit_index1 {
                AVK_WRITER_EMIT_INDEX1
            } else {
                0
            },
            checkpoint_interval_ms: d
                .checkpoint_interval
                .map_or(0, |i| u32::try_from(i.as_millis()).unwrap_or(u32::MAX)),
            max_queued_bytes: d.max_queued_bytes,
            encoder_threads: d.encoder_threads as u32,
            reserved0: 0,
            super_index_capacity: d.super_index_capacity as u32,
            reserved1: 0,
            durability: match d.durability {
                Durability::Checkpoints => AVK_DURABILITY_CHECKPOINTS,
                Durability::None => AVK_DURABILITY_NONE,
            },
        }
    }

    /// The `durability` field, checked.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] for a value that is no `AVK_DURABILITY_*`.
    pub(crate) fn durability(&self) -> Result<Durability> {
        match self.durability {
            AVK_DURABILITY_CHECKPOINTS => Ok(Durability::Checkpoints),
            AVK_DURABILITY_NONE => Ok(Durability::None),
            other => Err(Error::invalid_argument(format!(
                "unknown avk_writer_options.durability {other}: use AVK_DURABILITY_CHECKPOINTS \
                 or AVK_DURABILITY_NONE"
            ))),
        }
    }

    /// # Safety
    /// `ptr` must be NULL or a valid options struct of `struct_size` bytes.
    pub(crate) unsafe fn read(ptr: *const Self) -> Result<Self> {
        let spans = field_spans!(avk_writer_options; struct_size, frame_rate_num, frame_rate_den,
            flags, checkpoint_interval_ms, max_queued_bytes, encoder_threads, reserved0,
            super_index_capacity, reserved1, durability);
        // SAFETY: forwarded caller contract.
        unsafe { read_versioned(ptr, Self::defaults(), &spans, "avk_writer_options") }
    }
}

impl avk_video_stream_options {
    pub(crate) fn defaults() -> Self {
        avk_video_stream_options {
            struct_size: size_of::<Self>() as u32,
            width: 0,
            height: 0,
            codec: AVK_VIDEO_RAW,
            fourcc: 0,
            bits_per_pixel: 32,
            input_format: AVK_PIXEL_BGRA32,
            input_stride: 0,
            quality: DEFAULT_QUALITY,
            keyframe_interval: 0,
            name: std::ptr::null(),
            pixel_aspect_num: 0,
            pixel_aspect_den: 0,
            color_matrix: AVK_COLOR_BT601,
            prediction: AVK_PREDICT_MEDIAN,
            slices: 0,
            video_flags: 0,
        }
    }

    /// # Safety
    /// `ptr` must be NULL or a valid options struct of `struct_size` bytes.
    pub(crate) unsafe fn read(ptr: *const Self) -> Result<Self> {
        let spans = field_spans!(avk_video_stream_options; struct_size, width, height, codec,
            fourcc, bits_per_pixel, input_format, input_stride, quality, keyframe_interval, name,
            pixel_aspect_num, pixel_aspect_den, color_matrix, prediction, slices, video_flags);
        // SAFETY: forwarded caller contract.
        unsafe { read_versioned(ptr, Self::defaults(), &spans, "avk_video_stream_options") }
    }
}

impl avk_audio_stream_options {
    pub(crate) fn defaults() -> Self {
        avk_audio_stream_options {
            struct_size: size_of::<Self>() as u32,
            codec: AVK_AUDIO_PCM,
            channels: 2,
            sample_rate: 44100,
            bits_per_sample: 16,
            format_tag: u32::from(WAVE_FORMAT_PCM),
            block_align: 0,
            bytes_per_second: 0,
            format_extra: std::ptr::null(),
            format_extra_len: 0,
            bitrate_kbps: DEFAULT_BITRATE_KBPS,
            name: std::ptr::null(),
            channel_mask: 0,
        }
    }

    /// # Safety
    /// `ptr` must be NULL or a valid options struct of `struct_size` bytes.
    pub(crate) unsafe fn read(ptr: *const Self) -> Result<Self> {
        let spans = field_spans!(avk_audio_stream_options; struct_size, codec, channels,
            sample_rate, bits_per_sample, format_tag, block_align, bytes_per_second, format_extra,
            format_extra_len, bitrate_kbps, name, channel_mask);
        // SAFETY: forwarded caller contract.
        unsafe { read_versioned(ptr, Self::defaults(), &spans, "avk_audio_stream_options") }
    }
}

/// Writes the defaults and `struct_size` into `opts`. Does nothing when `opts` is NULL.
/// Thread-safe; cannot fail.
///
/// # Safety
/// `opts` must be NULL or writable for `sizeof(avk_writer_options)` bytes.
#[no_mangle]
pub unsafe extern "C" fn avk_writer_options_init(opts: *mut avk_writer_options) {
    boundary_value((), || {
        if require(opts, "opts").is_ok() {
            // SAFETY: non-NULL and writable by the caller's contract.
            unsafe { opts.write(avk_writer_options::defaults()) }
        }
    })
}

/// Writes the defaults and `struct_size` into `opts`: RAW codec, 32 bits per pixel, BGRA32
/// input, quality 75, no name; width and height 0 (they must be set). Does nothing when `opts`
/// is NULL. Thread-safe; cannot fail.
///
/// # Safety
/// `opts` must be NULL or writable for `sizeof(avk_video_stream_options)` bytes.
#[no_mangle]
pub unsafe extern "C" fn avk_video_stream_options_init(opts: *mut avk_video_stream_options) {
    boundary_value((), || {
        if require(opts, "opts").is_ok() {
            // SAFETY: non-NULL and writable by the caller's contract.
            unsafe { opts.write(avk_video_stream_options::defaults()) }
        }
    })
}

/// Writes the defaults and `struct_size` into `opts`: PCM, 2 channels, 44100 Hz, 16 bits,
/// 160 kbit/s for MP3, no name. Does nothing when `opts` is NULL. Thread-safe; cannot fail.
///
/// # Safety
/// `opts` must be NULL or writable for `sizeof(avk_audio_stream_options)` bytes.
#[no_mangle]
pub unsafe extern "C" fn avk_audio_stream_options_init(opts: *mut avk_audio_stream_options) {
    boundary_value((), || {
        if require(opts, "opts").is_ok() {
            // SAFETY: non-NULL and writable by the caller's contract.
            unsafe { opts.write(avk_audio_stream_options::defaults()) }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_smaller_structs_keep_defaults_for_missing_fields() {
        let mut opts = avk_writer_options::defaults();
        opts.frame_rate_num = 25;
        opts.max_queued_bytes = 99;
        opts.struct_size = std::mem::offset_of!(avk_writer_options, max_queued_bytes) as u32;
        // SAFETY: a valid struct.
        let read = unsafe { avk_writer_options::read(&opts) }.unwrap();
        assert_eq!(read.frame_rate_num, 25);
        assert_eq!(
            read.max_queued_bytes, 0,
            "field beyond struct_size takes the default"
        );
    }

    #[test]
    fn struct_size_inside_a_field_or_too_big_is_rejected() {
        let mut opts = avk_writer_options::defaults();
        for bad in [0, 2, 6, 1000] {
            opts.struct_size = bad;
            // SAFETY: a valid struct (struct_size only claims fewer or more bytes).
            let read = unsafe { avk_writer_options::read(&opts) };
            assert!(read.is_err(), "struct_size {bad}");
        }
        // Tail padding after the last field is a valid boundary.
        opts.struct_size = size_of::<avk_writer_options>() as u32;
        // SAFETY: a valid struct.
        assert!(unsafe { avk_writer_options::read(&opts) }.is_ok());
    }

    #[test]
    fn a_0_2_struct_gets_durable_checkpoints_whatever_its_tail_padding_holds() {
        let mut opts = avk_writer_options::defaults();
        opts.reserved1 = 0xDEAD_BEEF;
        opts.durability = AVK_DURABILITY_NONE;
        // The size of avikit 0.2's struct, tail padding included (48 bytes on x86_64).
        opts.struct_size = std::mem::offset_of!(avk_writer_options, durability) as u32;
        // SAFETY: a valid struct.
        let read = unsafe { avk_writer_options::read(&opts) }.unwrap();
        assert_eq!(read.durability().unwrap(), Durability::Checkpoints);
        opts.struct_size = size_of::<avk_writer_options>() as u32;
        // SAFETY: a valid struct.
        let read = unsafe { avk_writer_options::read(&opts) }.unwrap();
        assert_eq!(read.durability().unwrap(), Durability::None);
        opts.durability = 2;
        let message = opts.durability().unwrap_err().message().to_owned();
        assert!(message.contains("durability 2"), "{message}");
    }
}
