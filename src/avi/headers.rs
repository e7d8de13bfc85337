//! The file header: `RIFF AVI ` + `hdrl` (avih, one strl per stream with strh, strf, strn and the
//! reserved indx), `odml`/`dmlh`, `INFO`, and the opening of the first `movi` list. It is written
//! once with zero counts when the first chunk is about to land and rewritten in place, with the
//! same length, when the file is finalized.

use super::constants::*;
use super::index::SuperIndex;
use super::info::InfoList;
use super::stream::StreamSpec;
use crate::format::{AudioFormat, FrameRate, StreamFormat, VideoFormat};
use crate::riff::{FourCc, RiffTree};

/// Counts the header reports for one stream.
#[derive(Debug, Default, Clone)]
pub(super) struct StreamTotals {
    /// Data chunks in the whole file.
    pub chunks: u64,
    /// Data chunks in the first RIFF.
    pub chunks_in_first_riff: u64,
    /// Payload bytes in the whole file.
    pub bytes: u64,
    /// Largest payload (`dwSuggestedBufferSize`).
    pub max_chunk: u32,
}

/// Everything the header depends on.
pub(super) struct HeaderInputs<'a> {
    pub frame_rate: FrameRate,
    pub streams: &'a [StreamSpec],
    pub totals: &'a [StreamTotals],
    pub super_indexes: &'a [SuperIndex],
    pub info: &'a InfoList,
    pub has_idx1: bool,
    /// The first RIFF's size field (bytes after the 8-byte RIFF header).
    pub first_riff_size: u32,
    /// The first `movi` LIST's size field.
    pub first_movi_size: u32,
}

fn saturate(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Builds the header bytes, ending with `LIST <size> movi`. Its length depends only on the
/// stream specs and the super index capacity, never on counts.
pub(super) fn build(h: &HeaderInputs<'_>) -> Vec<u8> {
    let mut t = RiffTree::new();
    // The RIFF stays open past the header, so its size is patched by hand below.
    t.fourcc(RIFF).u32(0).fourcc(FORM_AVI);
    t.begin_list(LIST, LIST_HDRL);
    write_avih(&mut t, h);
    for (i, spec) in h.streams.iter().enumerate() {
        t.begin_list(LIST, LIST_STRL);
        write_strh(&mut t, h, i);
        t.begin_chunk(CK_STRF);
        match &spec.format {
            StreamFormat::Video(v) => write_bitmap_info(&mut t, v),
            StreamFormat::Audio(a) => write_wave_format(&mut t, a),
        }
        t.end();
        if let Some(name) = &spec.name {
            t.begin_chunk(CK_STRN)
                .bytes(name.as_bytes())
                .bytes(&[0])
                .end();
        }
        h.super_indexes[i].write_header_chunk(&mut t, spec.chunk_id(i));
        if let StreamFormat::Video(v) = &spec.format {
            if !v.pixel_aspect.is_square() {
                write_vprp(&mut t, v, h.frame_rate);
            }
        }
        t.end();
    }
    t.begin_list(LIST, LIST_ODML);
    t.begin_chunk(CK_DMLH)
        .u32(saturate(longest_video(h, |t| t.chunks)))
        .zeros(DMLH_LEN - size_of::<u32>())
        .end();
    t.end();
    t.end(); // hdrl
    h.info.write(&mut t);
    let mut bytes = t.into_bytes();
    bytes.extend_from_slice(&LIST.0);
    bytes.extend_from_slice(&h.first_movi_size.to_le_bytes());
    bytes.extend_from_slice(&LIST_MOVI.0);
    bytes[4..8].copy_from_slice(&h.first_riff_size.to_le_bytes());
    bytes
}

/// Frames of the longest video stream, counted by `count` (all RIFFs for `dmlh`, the first RIFF
/// for `avih`, as FFmpeg counts them); 0 without video, since readers multiply the count by
/// `dwMicroSecPerFrame`. Taking the longest rather than the first video stream keeps an idle
/// first camera from giving the file a duration of zero.
fn longest_video(h: &HeaderInputs<'_>, count: impl Fn(&StreamTotals) -> u64) -> u64 {
    h.streams
        .iter()
        .zip(h.totals)
        .filter(|(s, _)| s.is_video())
        .map(|(_, t)| count(t))
        .max()
        .unwrap_or(0)
}

fn write_avih(t: &mut RiffTree, h: &HeaderInputs<'_>) {
    let total_frames = longest_video(h, |t| t.chunks_in_first_riff);
    let (width, height) = h
        .streams
        .iter()
        .find_map(|s| match &s.format {
            StreamFormat::Video(v) => Some((v.width, v.height)),
            StreamFormat::Audio(_) => None,
        })
        .unwrap_or((0, 0));
    let mut max_bytes_per_sec: u64 = 0;
    for (spec, totals) in h.streams.iter().zip(h.totals) {
        max_bytes_per_sec += match &spec.format {
            StreamFormat::Video(_) => {
                u64::from(totals.max_chunk) * u64::from(h.frame_rate.num)
                    / u64::from(h.frame_rate.den)
            }
            StreamFormat::Audio(a) => u64::from(a.bytes_per_second),
        };
    }
    let suggested = h.totals.iter().map(|t| t.max_chunk).max().unwrap_or(0);
    let mut flags = AVIF_ISINTERLEAVED | AVIF_TRUSTCKTYPE;
    if h.has_idx1 {
        flags |= AVIF_HASINDEX;
    }
    t.begin_chunk(CK_AVIH)
        .u32(h.frame_rate.micros_per_frame())
        .u32(saturate(max_bytes_per_sec))
        .u32(0) // dwPaddingGranularity
        .u32(flags)
        .u32(saturate(total_frames))
        .u32(0) // dwInitialFrames
        .u32(h.streams.len() as u32)
        .u32(suggested)
        .u32(width)
        .u32(height)
        .zeros(16) // dwReserved[4]
        .end();
}

fn write_strh(t: &mut RiffTree, h: &HeaderInputs<'_>, index: usize) {
    let totals = &h.totals[index];
    t.begin_chunk(CK_STRH);
    match &h.streams[index].format {
        StreamFormat::Video(v) => {
            t.fourcc(STREAM_TYPE_VIDEO)
                .fourcc(v.fourcc.unwrap_or_default())
                .u32(0) // dwFlags
                .u16(0) // wPriority
                .u16(0) // wLanguage
                .u32(0) // dwInitialFrames
                .u32(h.frame_rate.den)
                .u32(h.frame_rate.num)
                .u32(0) // dwStart
                .u32(saturate(totals.chunks))
                .u32(totals.max_chunk)
                .u32(QUALITY_DEFAULT)
                .u32(0) // dwSampleSize: frames vary in size
                .i16(0)
                .i16(0)
                .i16(clamp_i16(v.width))
                .i16(clamp_i16(v.height));
        }
        StreamFormat::Audio(a) => {
            // Constant-rate audio counts blocks (dwSampleSize = nBlockAlign); MPEG audio counts
            // frames of `frame_samples` samples, one per chunk (dwSampleSize 0).
            let (scale, rate, length, sample_size) = match a.frame_samples() {
                Some(samples) => (samples, a.sample_rate, totals.chunks, 0),
                None => (
                    u32::from(a.block_align),
                    a.bytes_per_second,
                    totals.bytes / u64::from(a.block_align),
                    u32::from(a.block_align),
                ),
            };
            t.fourcc(STREAM_TYPE_AUDIO)
                .u32(0) // fccHandler
                .u32(0)
                .u16(0)
                .u16(0)
                .u32(0)
                .u32(scale)
                .u32(rate)
                .u32(0)
                .u32(saturate(length))
                .u32(totals.max_chunk)
                .u32(QUALITY_DEFAULT)
                .u32(sample_size)
                .zeros(8); // rcFrame
        }
    }
    t.end();
}

fn clamp_i16(v: u32) -> i16 {
    i16::try_from(v).unwrap_or(i16::MAX)
}

fn write_bitmap_info(t: &mut RiffTree, v: &VideoFormat) {
    let palette_entries: u32 = if v.fourcc.is_none() && v.bits_per_pixel == 8 {
        256
    } else {
        0
    };
    // biSize counts the codec's extra bytes, but not a palette.
    t.u32((BITMAPINFOHEADER_LEN + v.extra_data.len()) as u32) // biSize
        .i32(v.width as i32)
        .i32(v.height as i32) // positive: bottom-up DIB, and always for compressed formats
        .u16(1) // biPlanes
        .u16(v.bits_per_pixel)
        .u32(v.fourcc.map_or(BI_RGB, FourCc::to_u32))
        .u32(v.image_size().unwrap_or(0))
        .u32(0) // biXPelsPerMeter
        .u32(0) // biYPelsPerMeter
        .u32(palette_entries) // biClrUsed
        .u32(0) // biClrImportant
        .bytes(&v.extra_data);
    for level in 0..palette_entries {
        // 8-bit DIBs need a palette; a gray ramp makes them plain luminance images.
        let g = level as u8;
        t.bytes(&[g, g, g, 0]);
    }
}

/// The OpenDML video properties: one progressive field, the frame's size and the display aspect
/// ratio, which is what readers show non-square pixels with.
fn write_vprp(t: &mut RiffTree, v: &VideoFormat, frame_rate: FrameRate) {
    let (dar_num, dar_den) = ratio_within_u16(
        u64::from(v.width) * u64::from(v.pixel_aspect.num),
        u64::from(v.height) * u64::from(v.pixel_aspect.den),
    );
    let refresh = (frame_rate.num + frame_rate.den / 2) / frame_rate.den;
    t.begin_chunk(CK_VPRP)
        .u32(0) // VideoFormatToken: unknown
        .u32(0) // VideoStandard: unknown
        .u32(refresh) // dwVerticalRefreshRate
        .u32(v.width) // dwHTotalInT
        .u32(v.height) // dwVTotalInLines
        .u32(dar_num << u16::BITS | dar_den) // dwFrameAspectRatio
        .u32(v.width) // dwFrameWidthInPixels
        .u32(v.height) // dwFrameHeightInLines
        .u32(1); // nbFieldPerFrame
    t.u32(v.height) // CompressedBMHeight
        .u32(v.width) // CompressedBMWidth
        .u32(v.height) // ValidBMHeight
        .u32(v.width) // ValidBMWidth
        .zeros(16) // ValidBMXOffset, ValidBMYOffset, VideoXOffsetInT, VideoYValidStartLine
        .end();
}

/// `num / den` as the closest ratio whose terms both fit in 16 bits (continued fractions).
fn ratio_within_u16(num: u64, den: u64) -> (u32, u32) {
    const MAX: u64 = u16::MAX as u64;
    let (mut a, mut b) = (num, den);
    // Convergents h/k of num/den; (h0, k0) is the one before (h1, k1).
    let (mut h0, mut k0, mut h1, mut k1) = (0u64, 1u64, 1u64, 0u64);
    while b != 0 {
        let q = a / b;
        let (h2, k2) = (q * h1 + h0, q * k1 + k0);
        if h2 > MAX || k2 > MAX {
            break;
        }
        (h0, k0, h1, k1) = (h1, k1, h2, k2);
        (a, b) = (b, a % b);
    }
    (h1.max(1) as u32, k1.max(1) as u32)
}

fn write_wave_format(t: &mut RiffTree, a: &AudioFormat) {
    t.u16(a.format_tag)
        .u16(a.channels)
        .u32(a.sample_rate)
        .u32(a.bytes_per_second)
        .u16(a.block_align)
        .u16(a.bits_per_sample)
        .u16(a.extra.len() as u16)
        .bytes(&a.extra);
}
