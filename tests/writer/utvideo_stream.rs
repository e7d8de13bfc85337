//! Ut Video streams through the real writer (`VideoCodec::UtVideo`): every input format, odd and
//! bottom-up strides, every predictor, one and many slices, and noise, gradient, flat and
//! camera-like frames, decoded by FFmpeg back to exactly the samples written; a multi-RIFF
//! recording with timed gaps and audio; GRAY8 through every other encoding codec; and the
//! options refused before anything is written.

use crate::common::content::pcm_block;
use crate::common::ffmpeg::ffmpeg_decode;
use crate::common::index::index_keyframes;
use crate::common::riff::{find, walk};
use crate::common::rng::TestRng;
use crate::common::scratch::Scratch;
use crate::common::tools::python_run;
use avikit::codec::utvideo::Prediction;
use avikit::pixel::{ColorMatrix, InputLayout, PixelFormat};
use avikit::{FrameRate, PcmFormat, PixelAspect, Status, VideoCodec, Writer, WriterOptions};
use sha2::{Digest, Sha256};

/// Content kinds of the frames of every file: noise, a gradient with a little noise, flat,
/// and camera-like (smooth shading with sensor grain).
const KINDS: usize = 4;

/// One input frame of `input` (padding included) whose bytes follow `kind`.
fn input_frame(input: &InputLayout, kind: usize, seed: u64) -> Vec<u8> {
    let len = input.frame_len();
    let pitch = input.row_pitch();
    let mut rng = TestRng::new(seed);
    (0..len)
        .map(|i| {
            let (y, x) = (i / pitch, i % pitch);
            let grain = rng.next_u64() as u8;
            match kind {
                0 => grain,
                1 => ((x * 3 + y * 2) as u8).wrapping_add(grain % 3),
                2 => 77 + seed as u8,
                _ => {
                    let shade = 128.0 + 60.0 * ((x as f64) / 9.0).sin() * ((y as f64) / 7.0).cos();
                    (shade as u8).wrapping_add(grain % 5)
                }
            }
        })
        .collect()
}

/// Row `y` (top = 0) of plane-like data `rows` bytes apart, `len` bytes, `bottom_up` when
/// memory holds the bottom row first.
fn row_at(data: &[u8], pitch: usize, height: usize, y: usize, bottom_up: bool) -> &[u8] {
    let memory_row = if bottom_up { height - 1 - y } else { y };
    &data[memory_row * pitch..]
}

/// What FFmpeg decodes a frame of `input` to (the `pix_fmt` of [`decoded_as`]): the planes
/// of the input's own samples, computed here without the library.
fn expected_planes(input: &InputLayout, frame: &[u8], keep_alpha: bool) -> Vec<u8> {
    let (w, h) = (input.width as usize, input.height as usize);
    let pitch = input.row_pitch();
    let bottom_up = input.stride < 0;
    let mut out = Vec::new();
    match input.format {
        PixelFormat::Bgra32 | PixelFormat::Rgba32 | PixelFormat::Bgr24 | PixelFormat::Rgb24 => {
            let bpp = input.format.bytes_per_pixel();
            let (r_at, b_at) = match input.format {
                PixelFormat::Bgra32 | PixelFormat::Bgr24 => (2, 0),
                _ => (0, 2),
            };
            let mut channels = vec![1, b_at, r_at];
            if keep_alpha {
                channels.push(3);
            }
            for c in channels {
                for y in 0..h {
                    let row = row_at(frame, pitch, h, y, bottom_up);
                    out.extend((0..w).map(|x| row[x * bpp + c]));
                }
            }
        }
        PixelFormat::I420 => {
            for y in 0..h {
                out.extend_from_slice(&frame[y * pitch..y * pitch + w]);
            }
            let cp = pitch / 2;
            for plane in 0..2 {
                let base = pitch * h + plane * cp * (h / 2);
                for y in 0..h / 2 {
                    out.extend_from_slice(&frame[base + y * cp..base + y * cp + w / 2]);
                }
            }
        }
        PixelFormat::Nv12 => {
            for y in 0..h {
                out.extend_from_slice(&frame[y * pitch..y * pitch + w]);
            }
            for c in 0..2 {
                for y in 0..h / 2 {
                    let row = &frame[pitch * h + y * pitch..];
                    out.extend((0..w / 2).map(|x| row[2 * x + c]));
                }
            }
        }
        PixelFormat::Yuy2 => {
            for y in 0..h {
                out.extend((0..w).map(|x| frame[y * pitch + 2 * x]));
            }
            for c in [1, 3] {
                for y in 0..h {
                    out.extend((0..w / 2).map(|x| frame[y * pitch + 4 * x + c]));
                }
            }
        }
        PixelFormat::Gray8 => {
            for y in 0..h {
                out.extend_from_slice(&row_at(frame, pitch, h, y, bottom_up)[..w]);
            }
            out.resize(w * h * 3 / 2, 128);
        }
    }
    out
}

/// The FFmpeg pixel format a Ut Video stream of `format` input decodes to without conversion.
fn decoded_as(format: PixelFormat, keep_alpha: bool) -> &'static str {
    match format {
        PixelFormat::I420 | PixelFormat::Nv12 | PixelFormat::Gray8 => "yuv420p",
        PixelFormat::Yuy2 => "yuv422p",
        _ if keep_alpha => "gbrap",
        _ => "gbrp",
    }
}

fn utvideo(
    input: InputLayout,
    prediction: Prediction,
    slices: u32,
    keep_alpha: bool,
) -> VideoCodec {
    VideoCodec::UtVideo {
        input,
        prediction,
        slices,
        keep_alpha,
    }
}

/// Writes one frame of every content kind through the writer, decodes them with FFmpeg and
/// compares; checks the FourCC in the file.
fn check_lossless(
    name: &str,
    input: InputLayout,
    prediction: Prediction,
    slices: u32,
    keep_alpha: bool,
    fourcc: &[u8; 4],
) {
    let file = Scratch::new(&format!("{name}.avi"));
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let stream = writer
        .add_video(
            utvideo(input, prediction, slices, keep_alpha),
            PixelAspect::SQUARE,
            None,
        )
        .unwrap();
    let frames: Vec<Vec<u8>> = (0..KINDS)
        .map(|kind| input_frame(&input, kind, kind as u64 * 31 + 5))
        .collect();
    for frame in &frames {
        stream.write_frame(false, frame).unwrap();
    }
    writer.close().unwrap();
    let bytes = std::fs::read(file.path()).unwrap();
    assert!(
        find(&bytes, fourcc).is_some(),
        "{name}: no {fourcc:?} in the file"
    );
    let (idx1, ix) = index_keyframes(&bytes);
    assert_eq!(
        (idx1.len(), ix.len()),
        (KINDS, KINDS),
        "{name}: index entries"
    );
    assert!(
        idx1.iter().chain(&ix).all(|&k| k),
        "{name}: every chunk is a keyframe"
    );
    let decoded = ffmpeg_decode(
        file.path(),
        "0:v:0",
        "rawvideo",
        &["-pix_fmt", decoded_as(input.format, keep_alpha)],
    );
    let want: Vec<u8> = frames
        .iter()
        .flat_map(|f| expected_planes(&input, f, keep_alpha))
        .collect();
    assert_eq!(decoded.len(), want.len(), "{name}: decoded length");
    if let Some(at) = decoded.iter().zip(&want).position(|(a, b)| a != b) {
        panic!("{name}: first difference at byte {at} of {}", want.len());
    }
}

/// Every predictor with one slice, many slices and the library default.
fn check_every_predictor(name: &str, input: InputLayout, keep_alpha: bool, fourcc: &[u8; 4]) {
    for prediction in Prediction::ALL {
        for slices in [1, 5, 0] {
            let name = format!("{name}-{prediction:?}-{slices}");
            check_lossless(&name, input, prediction, slices, keep_alpha, fourcc);
        }
    }
}

#[test]
fn packed_rgb_with_odd_and_bottom_up_strides_decodes_to_the_same_pixels() {
    let (w, h) = (67, 37);
    for format in [
        PixelFormat::Bgra32,
        PixelFormat::Rgba32,
        PixelFormat::Bgr24,
        PixelFormat::Rgb24,
    ] {
        let row = w as i32 * format.bytes_per_pixel() as i32;
        for stride in [0, row + 3, -(row + 5)] {
            let input = InputLayout::new(w, h, format).with_stride(stride);
            let name = format!("utv-{format:?}-{stride}");
            check_every_predictor(&name, input, false, b"ULRG");
        }
    }
}

#[test]
fn alpha_is_kept_as_ulra() {
    for format in [PixelFormat::Bgra32, PixelFormat::Rgba32] {
        for stride in [0, 67 * 4 + 4, -(67 * 4)] {
            let input = InputLayout::new(67, 37, format).with_stride(stride);
            let name = format!("utv-alpha-{format:?}-{stride}");
            check_every_predictor(&name, input, true, b"ULRA");
        }
    }
}

#[test]
fn camera_yuv_decodes_to_its_samples_with_either_matrix() {
    let (w, h) = (66, 38);
    for (format, pad, fourccs) in [
        (PixelFormat::I420, 6, [b"ULY0", b"ULH0"]),
        (PixelFormat::Nv12, 3, [b"ULY0", b"ULH0"]),
        (PixelFormat::Yuy2, 7, [b"ULY2", b"ULH2"]),
    ] {
        for (matrix, fourcc) in [ColorMatrix::Bt601, ColorMatrix::Bt709]
            .into_iter()
            .zip(fourccs)
        {
            let row = w as i32 * format.bytes_per_pixel() as i32;
            for stride in [0, row + pad] {
                let input = InputLayout::new(w, h, format)
                    .with_stride(stride)
                    .with_color_matrix(matrix);
                let name = format!("utv-{format:?}-{matrix:?}-{stride}");
                check_every_predictor(&name, input, false, fourcc);
            }
        }
    }
}

#[test]
fn gray8_decodes_to_its_luma_with_neutral_chroma() {
    for stride in [0, 66 + 5, -66, -(66 + 3)] {
        let input = InputLayout::new(66, 38, PixelFormat::Gray8).with_stride(stride);
        check_every_predictor(&format!("utv-gray-{stride}"), input, false, b"ULY0");
    }
    let input = InputLayout::new(66, 38, PixelFormat::Gray8).with_color_matrix(ColorMatrix::Bt709);
    check_lossless("utv-gray-709", input, Prediction::Median, 2, false, b"ULH0");
}

#[test]
fn a_multi_riff_recording_with_timed_gaps_and_audio_decodes_every_frame_in_every_ffmpeg_reader() {
    const FRAMES: usize = 240;
    const RATE: u64 = 30;
    let (w, h) = (96usize, 64usize);
    let file = Scratch::new("utv-multi-riff.avi");
    let options = WriterOptions::default()
        .with_frame_rate(FrameRate::new(RATE as u32, 1).unwrap())
        .with_riff_limit(1 << 20)
        .with_encoder_threads(2);
    let writer = Writer::create(file.path(), options).unwrap();
    let input = InputLayout::new(w as u32, h as u32, PixelFormat::Bgra32);
    let video = writer
        .add_video(
            utvideo(input, Prediction::Median, 0, false),
            PixelAspect::SQUARE,
            Some("capture"),
        )
        .unwrap();
    let audio = writer
        .add_pcm_stream(PcmFormat::derive(2, 48_000, 16).unwrap(), None)
        .unwrap();
    let period_ns = 1_000_000_000 / RATE as i64;
    let samples_per_tick = 48_000 / RATE as usize;
    let mut slot = 0i64;
    let mut written = Vec::new();
    for n in 0..FRAMES {
        // A lost stretch every 50 frames: the slots between stay empty.
        if n > 0 && n % 50 == 0 {
            slot += 3;
        }
        let frame = input_frame(&input, if n % 7 == 0 { 3 } else { 0 }, n as u64);
        let at = slot * period_ns;
        video.write_frame_at(true, at, &frame).unwrap();
        audio
            .write_block_at(true, at, &pcm_block(samples_per_tick, n))
            .unwrap();
        written.push(frame);
        slot += 1;
    }
    writer.close().unwrap();
    let stats = video.stats();
    assert_eq!(stats.chunks, slot as u64, "a chunk per slot, gaps empty");
    let bytes = std::fs::read(file.path()).unwrap();
    let riffs = walk(&bytes).iter().filter(|c| &c.id == b"RIFF").count();
    assert!(riffs >= 3, "{riffs} RIFFs");
    // Decoded frame by frame (empty chunks repeat nothing): the pixels written, in order.
    let decoded = ffmpeg_decode(
        file.path(),
        "0:v:0",
        "rawvideo",
        &["-pix_fmt", "bgra", "-fps_mode", "passthrough"],
    );
    let want: Vec<u8> = written
        .iter()
        .flat_map(|f| {
            f.chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2], 0xFF])
                .collect::<Vec<u8>>()
        })
        .collect();
    assert_eq!(decoded.len(), want.len(), "decoded frames");
    assert!(
        decoded == want,
        "the decoded pixels differ from the written ones"
    );
    // PyAV (planar GBR to BGRA) and OpenCV (to BGR) only reorder the samples of an RGB
    // stream: both must give back the very pixels too, frame for frame.
    let digest = |bytes: &[u8]| format!("{} {:x}", written.len(), Sha256::digest(bytes));
    let bgr: Vec<u8> = want
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let readers = python_run(
        "import sys, hashlib, av, cv2\n\
         h, n = hashlib.sha256(), 0\n\
         for f in av.open(sys.argv[1]).decode(video=0):\n\
         \x20   h.update(f.to_ndarray(format='bgra').tobytes()); n += 1\n\
         print(n, h.hexdigest())\n\
         h, n, cap = hashlib.sha256(), 0, cv2.VideoCapture(sys.argv[1], cv2.CAP_FFMPEG)\n\
         while True:\n\
         \x20   ok, img = cap.read()\n\
         \x20   if not ok: break\n\
         \x20   h.update(img.tobytes()); n += 1\n\
         print(n, h.hexdigest())",
        &[file.path().to_str().unwrap()],
    );
    let lines: Vec<&str> = readers.lines().collect();
    assert_eq!(lines, [digest(&want), digest(&bgr)], "PyAV, then OpenCV");
}

#[cfg(all(feature = "mjpeg", feature = "h264"))]
/// Peak signal-to-noise ratio of `decoded` against `original` (8-bit samples).
fn psnr_of(decoded: &[u8], original: &[u8]) -> f64 {
    assert_eq!(decoded.len(), original.len());
    let sse: f64 = decoded
        .iter()
        .zip(original)
        .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
        .sum();
    let mse = sse / original.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
}

#[cfg(all(feature = "mjpeg", feature = "h264"))]
#[test]
fn gray8_feeds_uncompressed_mjpeg_and_h264() {
    let (w, h) = (96usize, 64usize);
    let frames: Vec<Vec<u8>> = (0..6)
        .map(|n| {
            (0..w * h)
                .map(|i| {
                    let (y, x) = (i / w, i % w);
                    (x * 2 + y + n * 7) as u8
                })
                .collect()
        })
        .collect();
    let luma_of = |decoded: &[u8], frame_len: usize| -> Vec<u8> {
        decoded
            .chunks_exact(frame_len)
            .flat_map(|f| f[..w * h].to_vec())
            .collect()
    };
    let input = InputLayout::new(w as u32, h as u32, PixelFormat::Gray8);
    let original = frames.concat();
    for (name, codec) in [
        (
            "uncompressed",
            VideoCodec::Uncompressed {
                input,
                bits_per_pixel: 32,
            },
        ),
        ("mjpeg", VideoCodec::Mjpeg { input, quality: 90 }),
        (
            "h264",
            VideoCodec::H264 {
                input,
                quality: 90,
                keyframe_interval: 0,
            },
        ),
    ] {
        let file = Scratch::new(&format!("gray-{name}.avi"));
        let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
        let stream = writer.add_video(codec, PixelAspect::SQUARE, None).unwrap();
        for frame in &frames {
            stream.write_frame(true, frame).unwrap();
        }
        writer.close().unwrap();
        match name {
            "uncompressed" => {
                // An 8-bit DIB with a grey ramp palette: the same values, and grey in RGB.
                let decoded =
                    ffmpeg_decode(file.path(), "0:v:0", "rawvideo", &["-pix_fmt", "rgb24"]);
                let grey: Vec<u8> = original.iter().flat_map(|&v| [v, v, v]).collect();
                assert!(decoded == grey, "the 8-bit DIB decodes to the grey values");
            }
            "mjpeg" => {
                let decoded = ffmpeg_decode(file.path(), "0:v:0", "rawvideo", &[]);
                assert_eq!(decoded.len(), original.len(), "a one-component (gray) JPEG");
                let psnr = psnr_of(&decoded, &original);
                assert!(psnr > 38.0, "MJPEG gray PSNR {psnr:.1} dB");
            }
            _ => {
                let decoded = ffmpeg_decode(file.path(), "0:v:0", "rawvideo", &[]);
                let frame_len = w * h * 3 / 2;
                assert_eq!(decoded.len(), frame_len * frames.len());
                let chroma_ok = decoded
                    .chunks_exact(frame_len)
                    .all(|f| f[w * h..].iter().all(|&c| c.abs_diff(128) <= 1));
                assert!(chroma_ok, "H.264 chroma is neutral");
                let psnr = psnr_of(&luma_of(&decoded, frame_len), &original);
                assert!(psnr > 38.0, "H.264 gray PSNR {psnr:.1} dB");
            }
        }
    }
}

#[test]
fn bad_options_are_refused_at_add_time_before_anything_is_written() {
    let file = Scratch::new("utv-misuse.avi");
    let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
    let refused = |codec: VideoCodec, what: &str| {
        let err = writer
            .add_video(codec, PixelAspect::SQUARE, None)
            .expect_err(what);
        assert_eq!(err.status(), Status::InvalidArgument, "{what}: {err}");
        assert!(!err.to_string().is_empty());
    };
    let bgra = InputLayout::new(64, 48, PixelFormat::Bgra32);
    let gray = |w, h| InputLayout::new(w, h, PixelFormat::Gray8);
    refused(utvideo(bgra, Prediction::Median, 257, false), "257 slices");
    refused(
        utvideo(gray(65, 48), Prediction::Median, 0, false),
        "odd ULY0 width",
    );
    refused(
        utvideo(gray(64, 47), Prediction::Median, 0, false),
        "odd ULY0 height",
    );
    let yuy2 = InputLayout::new(63, 48, PixelFormat::Yuy2);
    refused(
        utvideo(yuy2, Prediction::Median, 0, false),
        "odd ULY2 width",
    );
    let bgr = InputLayout::new(64, 48, PixelFormat::Bgr24);
    refused(
        utvideo(bgr, Prediction::Median, 0, true),
        "KEEP_ALPHA from BGR24",
    );
    refused(
        utvideo(gray(64, 48).with_stride(63), Prediction::Median, 0, false),
        "a GRAY8 stride under the width",
    );
    refused(
        VideoCodec::Uncompressed {
            input: gray(64, 48).with_stride(10),
            bits_per_pixel: 32,
        },
        "a GRAY8 stride under the width (UNCOMPRESSED)",
    );
    // The writer is untouched: a good stream still goes in and the file holds only it.
    let odd_rgb = InputLayout::new(65, 47, PixelFormat::Bgr24);
    let stream = writer
        .add_video(
            utvideo(odd_rgb, Prediction::Left, 3, false),
            PixelAspect::SQUARE,
            None,
        )
        .unwrap();
    stream.write_frame(true, &vec![9u8; 65 * 47 * 3]).unwrap();
    writer.close().unwrap();
    let decoded = ffmpeg_decode(file.path(), "0:v:0", "rawvideo", &["-pix_fmt", "bgr24"]);
    assert_eq!(decoded, vec![9u8; 65 * 47 * 3]);
    let bytes = std::fs::read(file.path()).unwrap();
    let headers = walk(&bytes).iter().filter(|c| &c.id == b"strh").count();
    assert_eq!(headers, 1, "only the good stream is in the file");
}

#[cfg(all(feature = "mjpeg", feature = "h264"))]
/// A flat I420 frame of `rgb` (0..=1) in limited-range codes of `matrix`.
fn flat_i420(w: usize, h: usize, matrix: ColorMatrix, [r, g, b]: [f64; 3]) -> Vec<u8> {
    let (kr, kb) = match matrix {
        ColorMatrix::Bt601 => (0.299, 0.114),
        _ => (0.2126, 0.0722),
    };
    let y = kr * r + (1.0 - kr - kb) * g + kb * b;
    let code = |base: f64, scale: f64, v: f64| (base + scale * v).round() as u8;
    let mut frame = vec![code(16.0, 219.0, y); w * h];
    frame.extend(vec![
        code(128.0, 224.0, (b - y) / (2.0 * (1.0 - kb)));
        w * h / 4
    ]);
    frame.extend(vec![
        code(128.0, 224.0, (r - y) / (2.0 * (1.0 - kr)));
        w * h / 4
    ]);
    frame
}

#[cfg(all(feature = "mjpeg", feature = "h264"))]
#[test]
fn bt709_camera_input_keeps_its_colours_in_mjpeg_and_is_signalled_in_h264() {
    let (w, h) = (64usize, 48usize);
    let colour = [0.85, 0.15, 0.2];
    let input = InputLayout::new(w as u32, h as u32, PixelFormat::I420)
        .with_color_matrix(ColorMatrix::Bt709);
    let frame = flat_i420(w, h, ColorMatrix::Bt709, colour);
    for (name, codec) in [
        ("mjpeg", VideoCodec::Mjpeg { input, quality: 95 }),
        (
            "h264",
            VideoCodec::H264 {
                input,
                quality: 95,
                keyframe_interval: 0,
            },
        ),
    ] {
        let file = Scratch::new(&format!("bt709-{name}.avi"));
        let writer = Writer::create(file.path(), WriterOptions::default()).unwrap();
        let stream = writer.add_video(codec, PixelAspect::SQUARE, None).unwrap();
        stream.write_frame(true, &frame).unwrap();
        writer.close().unwrap();
        if name == "mjpeg" {
            // JPEG decoders read BT.601: the encoder converted, so the colour comes back.
            let rgb = ffmpeg_decode(file.path(), "0:v:0", "rawvideo", &["-pix_fmt", "rgb24"]);
            let centre = &rgb[(h / 2 * w + w / 2) * 3..][..3];
            for (got, want) in centre.iter().zip(colour) {
                let want = want * 255.0;
                assert!(
                    (f64::from(*got) - want).abs() <= 6.0,
                    "MJPEG from BT.709: {centre:?} for {colour:?}"
                );
            }
        } else {
            let out = std::process::Command::new("ffprobe")
                .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
                .args([
                    "stream=color_space,color_primaries,color_transfer",
                    "-of",
                    "csv=p=0",
                ])
                .arg(file.path())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert_eq!(text.trim(), "bt709,bt709,bt709", "H.264 VUI");
        }
    }
}
