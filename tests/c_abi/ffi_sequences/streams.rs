//! Adding streams: valid video (RAW DIB, converted pixels, MJPEG, H.264, any input format and
//! stride) and audio (PCM, RAW) streams, and options that must be refused, on live and dead
//! writer handles; a stream that was added joins the model in stream order.

use super::driver::Driver;
use super::faults::{ensure, lock};
use super::model::*;
use super::status::*;
use avikit::ffi::*;
use std::ffi::CString;
use std::ptr::{null, null_mut};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;

impl Driver<'_> {
    /// Adds a stream to `to`, or (None) tries random arguments on a random writer handle.
    pub(crate) fn add_stream(&mut self, to: Option<&Arc<WriterRec>>) {
        let (warg, w) = match to {
            Some(w) => (
                Arg {
                    value: w.handle,
                    dead: false,
                },
                Some(w.clone()),
            ),
            None => self.writer_arg(),
        };
        let random = to.is_none();
        let video = self.rng.percent(50);
        let null_out = random && self.rng.percent(4);
        let mut expect_bad = 0u32;
        let name_ok = CString::new(if video { "camera" } else { "mic" }).unwrap();
        let name_bad: &[u8] = b"bad\xff\xfename\0";
        let dims = [
            (4u32, 4u32, 8u32),
            (5, 3, 24),
            (8, 2, 16),
            (3, 3, 32),
            (7, 5, 24),
            (16, 16, 32),
        ];
        let (width, height, bpp) = *self.rng.pick(&dims).unwrap();
        // SAFETY: all-zero bytes are a valid avk_video_stream_options (integers and NULL pointers).
        let mut vopts: avk_video_stream_options = unsafe { std::mem::zeroed() };
        // SAFETY: writable struct.
        unsafe { avk_video_stream_options_init(&mut vopts) };
        vopts.width = width;
        vopts.height = height;
        vopts.bits_per_pixel = bpp;
        vopts.name = if self.rng.percent(50) {
            name_ok.as_ptr()
        } else {
            null()
        };
        // Encoding streams: converted pixels, MJPEG or H.264, any input format and stride.
        let mut codec = Codec::Raw;
        let encoding = self.rng.below(100);
        if encoding < 45 {
            vopts.input_format = self.rng.below(4) as i32;
            let pixel = if vopts.input_format <= AVK_PIXEL_RGBA32 {
                4
            } else {
                3
            };
            let row = (width * pixel) as i32;
            vopts.input_stride = match self.rng.below(3) {
                0 => 0,
                1 => row + self.rng.below(6) as i32,
                _ => -(row + self.rng.below(6) as i32),
            };
            // OpenH264 takes even sizes from 16x16.
            let h264_size = width % 2 == 0 && height % 2 == 0 && width.min(height) >= 16;
            if encoding < 25 || !cfg!(feature = "mjpeg") {
                vopts.codec = AVK_VIDEO_UNCOMPRESSED;
                vopts.bits_per_pixel = *self.rng.pick(&[24, 32]).unwrap();
                codec = Codec::Converted {
                    out_bits: vopts.bits_per_pixel,
                };
            } else if encoding < 40 && cfg!(feature = "h264") && h264_size {
                vopts.codec = AVK_VIDEO_H264;
                vopts.quality = self.rng.range(1, 100) as u32;
                vopts.keyframe_interval = self.rng.below(4) as u32;
                codec = Codec::H264;
            } else {
                vopts.codec = AVK_VIDEO_MJPEG;
                vopts.quality = self.rng.range(1, 100) as u32;
                codec = Codec::Mjpeg;
            }
        }
        // SAFETY: all-zero bytes are a valid avk_audio_stream_options (integers and NULL pointers).
        let mut aopts: avk_audio_stream_options = unsafe { std::mem::zeroed() };
        // SAFETY: writable struct.
        unsafe { avk_audio_stream_options_init(&mut aopts) };
        let formats = [(2u32, 16u32), (1, 16), (1, 8), (2, 8)];
        let (channels, bits) = *self.rng.pick(&formats).unwrap();
        aopts.channels = channels;
        aopts.bits_per_sample = bits;
        aopts.sample_rate = *self.rng.pick(&[8000u32, 22050, 44100, 48000]).unwrap();
        if self.rng.percent(20) {
            aopts.codec = AVK_AUDIO_RAW;
            aopts.format_tag = 1;
        }
        aopts.name = if self.rng.percent(50) {
            name_ok.as_ptr()
        } else {
            null()
        };
        let mut null_opts = false;
        if random && self.rng.percent(25) {
            let (bad, code) = match self.rng.below(9) {
                0 => (0, ARG), // width 0 / channels 0
                1 => (1, ARG), // bits
                // A codec that is not built in, or H.264 at an odd width when all are.
                2 => (
                    2,
                    if cfg!(all(feature = "mjpeg", feature = "h264")) {
                        ARG
                    } else {
                        UNSUPPORTED
                    },
                ),
                3 => (3, ARG), // unknown codec
                4 => (4, ARG), // struct_size
                5 => (5, ARG), // name not UTF-8
                6 => (6, ARG), // video: unknown input format; audio: rate 0
                7 => (7, ARG), // NULL video options
                _ => (8, ARG), // huge RAW fields / block_align
            };
            expect_bad = code;
            match (video, bad) {
                (true, 0) => vopts.width = 0,
                (true, 1) if codec.compressed() => {
                    vopts.quality = *self.rng.pick(&[0, 101]).unwrap()
                }
                (true, 1) if codec != Codec::Raw && self.rng.percent(50) => vopts.input_stride = 1,
                (true, 1) if codec == Codec::Raw => vopts.bits_per_pixel = 12,
                (true, 1) => vopts.bits_per_pixel = *self.rng.pick(&[12, 16]).unwrap(),
                (true, 2) if cfg!(all(feature = "mjpeg", feature = "h264")) => {
                    vopts.codec = AVK_VIDEO_H264;
                    vopts.width = 5;
                    vopts.input_stride = 0;
                }
                (true, 2) => {
                    vopts.codec = if cfg!(feature = "h264") {
                        AVK_VIDEO_MJPEG
                    } else {
                        AVK_VIDEO_H264
                    }
                }
                // 4 is AVK_VIDEO_UTVIDEO since 0.3: the first unknown value is 5.
                (true, 3) => vopts.codec = *self.rng.pick(&[5, -1, 1000]).unwrap(),
                (true, 4) => vopts.struct_size = *self.rng.pick(&[0, 2, 9, 4096]).unwrap(),
                (true, 5) => vopts.name = name_bad.as_ptr().cast(),
                (true, 6) => vopts.input_format = 9,
                (true, 7) => null_opts = true,
                (true, _) => vopts.bits_per_pixel = 70000,
                (false, 0) => aopts.channels = 0,
                (false, 1) => {
                    aopts.codec = AVK_AUDIO_PCM;
                    aopts.bits_per_sample = 12;
                }
                (false, 2) => {
                    // MP3 is built in (LAME is installed for the tests): an invalid bitrate.
                    aopts.codec = AVK_AUDIO_MP3;
                    aopts.bitrate_kbps = 100;
                    expect_bad = ARG;
                }
                (false, 3) => aopts.codec = *self.rng.pick(&[3, -2, 77]).unwrap(),
                (false, 4) => aopts.struct_size = *self.rng.pick(&[0, 1, 10, 9999]).unwrap(),
                (false, 5) => aopts.name = name_bad.as_ptr().cast(),
                (false, 6) => aopts.sample_rate = 0,
                (false, 7) => {
                    // NULL audio options are the defaults: valid.
                    null_opts = true;
                    expect_bad = 0;
                }
                (false, _) => {
                    aopts.codec = AVK_AUDIO_RAW;
                    aopts.block_align = 70000;
                }
            }
        }
        if null_out {
            expect_bad |= ARG;
        }
        let mut out: usize = SENTINEL;
        let out_ptr = if null_out {
            null_mut()
        } else {
            &mut out as *mut usize
        };
        // Adds are serialized per writer so that the order of successes is the stream order.
        let guard = w.as_ref().map(|w| lock(&w.streams));
        // SAFETY: valid structs or NULL; `out_ptr` writable or NULL.
        let s = unsafe {
            if video {
                avk_writer_add_video_stream(
                    warg.value as _,
                    if null_opts { null() } else { &vopts },
                    out_ptr.cast(),
                )
            } else {
                avk_writer_add_audio_stream(
                    warg.value as _,
                    if null_opts { null() } else { &aopts },
                    out_ptr.cast(),
                )
            }
        };
        let mut expect = if warg.dead {
            HANDLE | expect_bad
        } else if expect_bad != 0 {
            expect_bad
        } else {
            OK
        };
        if let Some(w) = &w {
            if w.closing.load(SeqCst) {
                expect |= HANDLE;
            }
            if w.maybe_started.load(SeqCst) {
                expect |= STATE;
            }
            if guard.as_ref().is_some_and(|g| g.len() >= 100) {
                expect |= LIMIT;
            }
        }
        check(Func::AddStream, s, expect, false, "avk_writer_add_*_stream");
        if s != AVK_OK {
            ensure!(
                out == SENTINEL,
                "add stream wrote its out-pointer on failure"
            );
            return;
        }
        let Some(mut streams) = guard.filter(|_| !null_out) else {
            return;
        };
        {
            let align = if video {
                0
            } else if null_opts {
                4
            } else {
                (aopts.channels * aopts.bits_per_sample / 8) as usize
            };
            let frame_len = match codec {
                _ if !video => 0,
                Codec::Raw => (width as usize * bpp as usize).div_ceil(32) * 4 * height as usize,
                _ => {
                    let pixel = if vopts.input_format <= AVK_PIXEL_RGBA32 {
                        4
                    } else {
                        3
                    };
                    let pitch = match vopts.input_stride {
                        0 => (width * pixel) as usize,
                        s => s.unsigned_abs() as usize,
                    };
                    pitch * height as usize
                }
            };
            let index = streams.len() as u32;
            streams.push(StreamRec {
                video,
                handle: out,
                index,
                frame_len,
                align,
                codec: if video { codec } else { Codec::Raw },
                width,
                height,
                input_format: vopts.input_format,
            });
            self.stat(1);
        }
    }
}
