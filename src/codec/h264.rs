//! `AVK_VIDEO_H264`: Cisco's OpenH264 (built from source by `openh264-sys2`), FourCC `H264`, an
//! Annex B stream with SPS and PPS repeated before every IDR picture so that any keyframe can
//! start playback.
//!
//! H.264 keeps reference pictures from frame to frame, so this is a [`SequentialEncoder`]: it
//! runs on the writer's worker, one frame at a time, in begin order. Every input gives exactly
//! one chunk (no B-frames, no look-ahead, frame skipping off), so chunk n is frame n and the
//! AVI timing stays exact. With several threads OpenH264 cuts each picture into that many
//! slices and encodes them in parallel on threads of its own.

use super::encoder::{EncodedFrame, InputRule, SequentialEncoder};
use super::openh264_session::{Session, SessionConfig, MAX_THREADS};
use crate::error::{Error, Result};
use crate::format::{FrameRate, StreamFormat, VideoFormat};
use crate::pixel::{
    Chroma, ColorMatrix, I420Picture, InputLayout, PixelFormat, PlanarPicture, Range,
    NEUTRAL_CHROMA,
};
use crate::riff::FourCc;

/// The largest picture OpenH264 encodes (level 5.2), either way round, and the smallest side
/// it takes (one macroblock).
const MAX_LONG_SIDE: u32 = 3840;
const MAX_SHORT_SIDE: u32 = 2160;
const MIN_SIDE: u32 = 16;
/// Seconds between keyframes when the caller leaves the interval at 0: short enough for
/// seeking, long enough not to spend the bitrate on intra pictures.
const DEFAULT_KEYFRAME_SECONDS: u64 = 2;
/// The quantizer at quality 100 and at quality 1. Quality 75 lands on 22, near x264's default
/// quality, which keeps typical content well above 35 dB PSNR.
const BEST_QP: u32 = 12;
const WORST_QP: u32 = 51;

/// Encodes caller pixels to H.264. Owned by one stream; runs on the writer's worker.
pub struct H264Encoder {
    input: InputLayout,
    session: Session,
    /// RGB input converted to I420.
    picture: I420Picture,
    /// NV12 and YUY2 input reorganized into I420.
    planes: PlanarPicture,
    /// Gray input: its rows top-down, and the neutral chroma planes that go with them.
    gray_rows: Vec<u8>,
    neutral_chroma: Vec<u8>,
    keyframe_interval: u32,
    qp: u8,
    threads: usize,
}

impl std::fmt::Debug for H264Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("H264Encoder")
            .field("input", &self.input)
            .field("keyframe_interval", &self.keyframe_interval)
            .field("qp", &self.qp)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// The constant quantizer for a quality of 1..=100 (higher quality, lower quantizer).
fn quantizer(quality: u32) -> u8 {
    let span = WORST_QP - BEST_QP;
    // Rounded linear map: 100 -> BEST_QP, 1 -> WORST_QP.
    (BEST_QP + ((100 - quality) * span + 49) / 99) as u8
}

/// The highest bitrate H.264 allows at all (level 5.2, 240 Mbit/s); OpenH264 refuses more.
const MAX_BITRATE: f64 = 240_000_000.0;

/// Bits per second of raw 24-bit RGB at this size and rate, capped at [`MAX_BITRATE`]: more
/// than the pictures spend, so rate control never raises the quantizer above the one asked for.
fn unreachable_bitrate(width: u32, height: u32, fps: f32) -> u32 {
    let bits = f64::from(width) * f64::from(height) * 24.0 * f64::from(fps.max(1.0));
    bits.min(MAX_BITRATE) as u32
}

/// Threads (and slices per picture) when the writer leaves `encoder_threads` at 0. Fixed rather
/// than one per CPU: the bytes depend on the slice count, and the same calls must give the same
/// file on every machine.
const DEFAULT_THREADS: usize = 2;

/// Encoder threads for `requested` (a writer's `encoder_threads`): 0 = [`DEFAULT_THREADS`], and
/// never more than OpenH264 runs.
fn encoder_threads(requested: usize) -> usize {
    let wanted = match requested {
        0 => DEFAULT_THREADS,
        n => n,
    };
    wanted.clamp(1, MAX_THREADS)
}

impl H264Encoder {
    /// An encoder for frames laid out as `input` at `quality` 1..=100 (a constant quantizer:
    /// 100 -> QP 12, 75 -> QP 22, 1 -> QP 51), with a keyframe (IDR) every `keyframe_interval`
    /// frames (0 = every two seconds at `frame_rate`), on `threads` threads (0 = 2, whatever
    /// the machine; at most 4, OpenH264's limit). The bytes depend on the thread count (one
    /// slice per thread) and are the same for the same count on every run and machine.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] for an odd width or height (4:2:0 chroma needs even
    /// sizes), a side under 16 or a picture larger than 3840x2160, a quality out of range, a
    /// bad stride or an empty size; [`crate::Status::Encoder`] when OpenH264 cannot start.
    pub fn new(
        input: InputLayout,
        quality: u32,
        keyframe_interval: u32,
        frame_rate: FrameRate,
        threads: usize,
    ) -> Result<H264Encoder> {
        if !(1..=100).contains(&quality) {
            return Err(Error::invalid_argument(format!(
                "H.264 quality must be 1..=100, not {quality}"
            )));
        }
        let (w, h) = (input.width, input.height);
        if w % 2 != 0 || h % 2 != 0 {
            return Err(Error::invalid_argument(format!(
                "H.264 needs an even width and height (4:2:0 chroma), not {w}x{h}"
            )));
        }
        if w.max(h) > MAX_LONG_SIDE || w.min(h) > MAX_SHORT_SIDE || w.min(h) < MIN_SIDE {
            return Err(Error::invalid_argument(format!(
                "OpenH264 encodes from 16x16 up to 3840x2160 (or 2160x3840), not {w}x{h}"
            )));
        }
        input.validate()?;
        let keyframe_interval = match keyframe_interval {
            0 => {
                // Rounded: 59.94 fps gives 120 frames per keyframe, not 119.
                let (num, den) = (u64::from(frame_rate.num), u64::from(frame_rate.den));
                let frames = (DEFAULT_KEYFRAME_SECONDS * num + den / 2) / den;
                u32::try_from(frames.max(1)).unwrap_or(u32::MAX)
            }
            n => n,
        };
        let qp = quantizer(quality);
        let fps = frame_rate.num as f32 / frame_rate.den as f32;
        let threads = encoder_threads(threads);
        let session = Session::new(&SessionConfig {
            width: w,
            height: h,
            fps,
            qp,
            bitrate: unreachable_bitrate(w, h, fps),
            keyframe_interval,
            threads,
            // RGB is converted with BT.601; only camera YUV comes with a matrix of its own.
            color_matrix: if input.format.is_yuv() {
                input.color_matrix
            } else {
                ColorMatrix::Bt601
            },
            full_range: input.format == PixelFormat::Gray8,
        })?;
        let encoder = H264Encoder {
            input,
            session,
            picture: I420Picture::default(),
            planes: PlanarPicture::default(),
            gray_rows: Vec::new(),
            neutral_chroma: vec![NEUTRAL_CHROMA; (w as usize / 2) * (h as usize / 2)],
            keyframe_interval,
            qp,
            threads,
        };
        if let StreamFormat::Video(v) = encoder.output_format() {
            v.validate()?;
        }
        Ok(encoder)
    }

    /// Frames from one keyframe to the next.
    pub fn keyframe_interval(&self) -> u32 {
        self.keyframe_interval
    }

    /// The quantizer every picture is coded with (0..=51, lower is better).
    pub fn quantizer(&self) -> u8 {
        self.qp
    }

    /// The threads OpenH264 encodes on (and slices per picture).
    pub fn threads(&self) -> usize {
        self.threads
    }
}

impl SequentialEncoder for H264Encoder {
    fn output_format(&self) -> StreamFormat {
        StreamFormat::Video(VideoFormat::compressed(
            self.input.width,
            self.input.height,
            FourCc::new(*b"H264"),
        ))
    }

    fn input_rule(&self) -> InputRule {
        InputRule::Exact(self.input.frame_len())
    }

    fn encode(&mut self, input: &[u8]) -> Result<Vec<EncodedFrame>> {
        let (w, h) = (self.input.width as usize, self.input.height as usize);
        let mut data = Vec::new();
        let keyframe = match self.input.format {
            PixelFormat::I420 => {
                // OpenH264 reads the caller's planes where they are.
                let pitch = self.input.row_pitch();
                let (y, chroma) = input.split_at(pitch * h);
                let (u, v) = chroma.split_at(pitch / 2 * (h / 2));
                self.session
                    .encode((w, h), (y, u, v), (pitch, pitch / 2), &mut data)?
            }
            PixelFormat::Nv12 | PixelFormat::Yuy2 => {
                self.planes
                    .fill(&self.input, input, Chroma::Sub420, Range::Limited);
                let planes = self.planes.planes();
                self.session.encode((w, h), planes, (w, w / 2), &mut data)?
            }
            PixelFormat::Gray8 => {
                let y = self.input.top_down(input, &mut self.gray_rows);
                let c = &self.neutral_chroma;
                let pitch = self.input.row_pitch();
                self.session
                    .encode((w, h), (y, c, c), (pitch, w / 2), &mut data)?
            }
            _ => {
                self.picture.fill_on(&self.input, input, self.threads);
                let planes = self.picture.planes();
                self.session.encode((w, h), planes, (w, w / 2), &mut data)?
            }
        };
        // With one reference picture and no B-frames an I picture is a clean entry point too.
        Ok(vec![EncodedFrame { data, keyframe }])
    }

    fn flush(&mut self) -> Result<Vec<EncodedFrame>> {
        // OpenH264 holds no frames back.
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    fn layout(width: u32, height: u32) -> InputLayout {
        InputLayout {
            width,
            height,
            format: PixelFormat::Bgra32,
            stride: 0,
            color_matrix: ColorMatrix::Bt601,
        }
    }

    const NTSC: FrameRate = FrameRate {
        num: 30000,
        den: 1001,
    };

    #[test]
    fn quality_maps_onto_the_quantizer_range() {
        assert_eq!(quantizer(100), 12);
        assert_eq!(quantizer(75), 22);
        assert_eq!(quantizer(1), 51);
        assert!((1..100).all(|q| quantizer(q) >= quantizer(q + 1)));
    }

    #[test]
    fn odd_sizes_oversized_pictures_and_bad_quality_are_refused() {
        for (w, h, q) in [
            (63, 64, 75),
            (64, 35, 75),
            (4096, 64, 75),
            (64, 64, 0),
            (64, 64, 101),
        ] {
            let e = H264Encoder::new(layout(w, h), q, 0, NTSC, 1).unwrap_err();
            assert_eq!(e.status(), Status::InvalidArgument, "{w}x{h} q{q}: {e}");
        }
        assert!(H264Encoder::new(layout(2160, 3840), 75, 0, NTSC, 1).is_ok());
        // The smallest picture, one that is not a whole number of macroblocks, and the largest
        // at a high rate (the rate-control budget saturates).
        let fast = FrameRate { num: 120, den: 1 };
        for (w, h) in [(16, 16), (18, 22), (3840, 2160)] {
            let mut e = H264Encoder::new(layout(w, h), 75, 0, fast, 1).unwrap();
            let frame = vec![90u8; (w * h * 4) as usize];
            assert!(e.encode(&frame).unwrap()[0].keyframe, "{w}x{h}");
        }
    }

    #[test]
    fn the_default_keyframe_interval_is_two_seconds() {
        let e = H264Encoder::new(layout(64, 64), 75, 0, NTSC, 1).unwrap();
        assert_eq!(e.keyframe_interval(), 60);
        let e = H264Encoder::new(layout(64, 64), 75, 7, NTSC, 1).unwrap();
        assert_eq!(e.keyframe_interval(), 7);
    }

    #[test]
    fn the_default_thread_count_does_not_depend_on_the_machine() {
        let e = H264Encoder::new(layout(64, 64), 75, 0, NTSC, 0).unwrap();
        assert_eq!(e.threads(), DEFAULT_THREADS);
        let e = H264Encoder::new(layout(64, 64), 75, 0, NTSC, 64).unwrap();
        assert_eq!(e.threads(), MAX_THREADS);
    }

    #[test]
    fn moving_content_gets_keyframes_at_the_default_interval_only() {
        // Content that changes every frame, which scene-change detection used to answer with
        // extra IDR pictures every 19-21 frames.
        let (w, h) = (320u32, 240u32);
        let mut e =
            H264Encoder::new(layout(w, h), 75, 0, FrameRate { num: 30, den: 1 }, 1).unwrap();
        let mut keyframes = Vec::new();
        for n in 0..200u32 {
            let frame: Vec<u8> = (0..w * h * 4)
                .map(|i| ((i / 4 % w + n * 3) ^ (i / (4 * w) + n)) as u8)
                .collect();
            if e.encode(&frame).unwrap()[0].keyframe {
                keyframes.push(n);
            }
        }
        assert_eq!(keyframes, [0, 60, 120, 180]);
    }

    #[test]
    fn keyframes_come_at_the_interval_and_start_with_parameter_sets() {
        let mut e = H264Encoder::new(layout(64, 48), 75, 5, NTSC, 1).unwrap();
        let mut keyframes = Vec::new();
        for n in 0..12u8 {
            let frame: Vec<u8> = (0..64 * 48 * 4)
                .map(|i| (i as u8).wrapping_mul(n))
                .collect();
            let chunks = e.encode(&frame).unwrap();
            assert_eq!(chunks.len(), 1, "one chunk per frame");
            let chunk = &chunks[0];
            assert!(chunk.data.starts_with(&[0, 0, 0, 1]), "Annex B start code");
            if chunk.keyframe {
                keyframes.push(n);
                // NAL type 7 (SPS) first, so a decoder can start at any keyframe.
                assert_eq!(chunk.data[4] & 0x1f, 7);
            }
        }
        assert_eq!(keyframes, [0, 5, 10]);
        assert!(e.flush().unwrap().is_empty());
    }
}
