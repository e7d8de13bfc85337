//! The Ut Video encoder against FFmpeg's decoder: every FourCC, predictor and slice count,
//! odd strides, noise, gradients, flat colour and camera-like content, and the edge sizes, all
//! decoded back bit for bit from AVI files that carry the encoder's frames as they are.

use crate::common::ffmpeg::{ffmpeg_decode, testsrc2, STRICT};
use crate::common::riff::{find, le32};
use crate::common::rng::TestRng;
use crate::common::scratch::Scratch;
use avikit::codec::encoder::{FrameParts, OnThisThread};
use avikit::codec::utvideo::{Isa, Prediction, UtVideoEncoder, UtVideoFormat};
use avikit::pixel::{PackedRgb, PlaneBuffer, PlaneRef};
use avikit::repair::repair_file;
use avikit::{StreamFormat, VideoFormat, Writer, WriterOptions};
use std::path::Path;
use std::process::Command;

const YUV_FORMATS: [UtVideoFormat; 4] = [
    UtVideoFormat::Uly0,
    UtVideoFormat::Ulh0,
    UtVideoFormat::Uly2,
    UtVideoFormat::Ulh2,
];

/// Deterministic noise.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = TestRng::new(seed);
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

/// A plane of `width` x `height` samples at `stride` (padding filled with noise), in one of
/// three kinds of content: 0 noise, 1 a diagonal gradient with a little noise, 2 flat.
fn plane(width: usize, height: usize, stride: usize, kind: usize, seed: u64) -> Vec<u8> {
    let mut out = noise(stride * height, seed ^ 0x5eed);
    let jitter = noise(width * height, seed);
    for y in 0..height {
        for x in 0..width {
            out[y * stride + x] = match kind {
                0 => jitter[y * width + x],
                1 => ((x * 3 + y * 2) as u8).wrapping_add(jitter[y * width + x] % 3),
                _ => 77 + seed as u8,
            };
        }
    }
    out
}

/// The tight rows of a plane, as ffmpeg outputs them.
fn tight(samples: &[u8], width: usize, height: usize, stride: usize) -> Vec<u8> {
    (0..height)
        .flat_map(|y| samples[y * stride..y * stride + width].iter().copied())
        .collect()
}

/// An encoder, its frame size and frames it encoded.
type EncodedStream<'a> = (&'a UtVideoEncoder, (u32, u32), &'a [Vec<u8>]);

/// Writes each encoded stream as a pass-through Ut Video stream of its own, in one file.
fn write_avi(path: &Path, streams: &[EncodedStream<'_>]) {
    let writer = Writer::create(path, WriterOptions::default()).unwrap();
    let added: Vec<_> = streams
        .iter()
        .map(|(encoder, (width, height), _)| {
            let format = encoder.format();
            let video = VideoFormat::compressed(*width, *height, format.fourcc())
                .with_bits_per_pixel(format.bits_per_pixel())
                .with_extra_data(encoder.extra_data().to_vec());
            writer.add_video_stream(video, None).unwrap()
        })
        .collect();
    for ((_, _, frames), stream) in streams.iter().zip(&added) {
        for frame in *frames {
            stream.write_frame(true, frame).unwrap();
        }
    }
    writer.close().unwrap();
}

fn pix_fmt(format: UtVideoFormat) -> &'static str {
    match format {
        UtVideoFormat::Uly0 | UtVideoFormat::Ulh0 => "yuv420p",
        UtVideoFormat::Uly2 | UtVideoFormat::Ulh2 => "yuv422p",
        UtVideoFormat::Ulrg => "gbrp",
        UtVideoFormat::Ulra => "gbrap",
    }
}

/// One encoder's frames to check: each a list of (plane, stride), and per frame the tight
/// planes ffmpeg must output.
struct Case {
    name: String,
    encoder: UtVideoEncoder,
    size: (u32, u32),
    frames: Vec<Vec<(Vec<u8>, usize)>>,
    expected: Vec<Vec<u8>>,
}

/// A case's frames, encoded.
struct Encoded<'a> {
    case: &'a Case,
    frames: Vec<Vec<u8>>,
}

/// Encodes every case's frames (checking the vector kernels against the scalar ones), writes
/// them into one file as a stream per case, decodes every stream with one ffmpeg run and
/// compares each with its expected planes.
fn round_trip(name: &str, cases: &[Case]) {
    let encoded: Vec<Encoded<'_>> = cases
        .iter()
        .map(|case| Encoded {
            case,
            frames: case
                .frames
                .iter()
                .map(|planes| {
                    let refs: Vec<PlaneRef<'_>> = planes
                        .iter()
                        .map(|(samples, stride)| PlaneRef {
                            samples,
                            stride: *stride,
                        })
                        .collect();
                    let bytes = case.encoder.encode(&refs).unwrap();
                    let scalar = case.encoder.clone().with_isa(Isa::Scalar);
                    let name = &case.name;
                    assert_eq!(
                        bytes,
                        scalar.encode(&refs).unwrap(),
                        "{name}: vector and scalar kernels differ"
                    );
                    bytes
                })
                .collect(),
        })
        .collect();
    let file = Scratch::new(&format!("{name}.avi"));
    let streams: Vec<_> = encoded
        .iter()
        .map(|e| (&e.case.encoder, e.case.size, &e.frames[..]))
        .collect();
    write_avi(file.path(), &streams);
    let outputs: Vec<Scratch> = (0..cases.len())
        .map(|i| Scratch::new(&format!("{name}-{i}.raw")))
        .collect();
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg.args(STRICT);
    ffmpeg.arg("-i").arg(file.path());
    for (i, (case, out)) in cases.iter().zip(&outputs).enumerate() {
        ffmpeg.args(["-map", &format!("0:v:{i}"), "-f", "rawvideo"]);
        ffmpeg.args(["-pix_fmt", pix_fmt(case.encoder.format())]);
        ffmpeg.arg(out.path());
    }
    let run = ffmpeg.output().expect("run ffmpeg");
    assert!(
        run.status.success() && run.stderr.is_empty(),
        "{name}: ffmpeg: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    for (case, out) in cases.iter().zip(&outputs) {
        let decoded = std::fs::read(out.path()).unwrap();
        let want: Vec<u8> = case.expected.concat();
        let name = &case.name;
        assert_eq!(decoded.len(), want.len(), "{name}: decoded length");
        if decoded != want {
            let at = decoded.iter().zip(&want).position(|(a, b)| a != b).unwrap();
            panic!("{name}: first difference at byte {at} of {}", want.len());
        }
    }
}

/// YUV frames of three kinds at `stride` padding, to encode with `format`, `prediction` and
/// `slices` and decode exactly.
fn yuv_case(
    format: UtVideoFormat,
    prediction: Prediction,
    slices: u32,
    size: (u32, u32),
    pad: usize,
) -> Case {
    let (w, h) = (size.0 as usize, size.1 as usize);
    let encoder = UtVideoEncoder::new(format, size.0, size.1, prediction, slices).unwrap();
    let mut frames = Vec::new();
    let mut expected = Vec::new();
    for kind in 0..3 {
        let mut planes = Vec::new();
        let mut tight_planes = Vec::new();
        for p in 0..3 {
            let (pw, ph) = format.plane_size(p, w, h);
            let stride = pw + pad;
            let samples = plane(pw, ph, stride, kind, (kind * 10 + p) as u64);
            tight_planes.push(tight(&samples, pw, ph, stride));
            planes.push((samples, stride));
        }
        frames.push(planes);
        expected.push(tight_planes.concat());
    }
    Case {
        name: format!("{:?}-{prediction:?}-{slices}-{w}x{h}", format.fourcc()),
        encoder,
        size,
        frames,
        expected,
    }
}

/// Packed RGB frames of three kinds converted to `format`'s planes, to decode to planar G,
/// B, R (and A) exactly.
fn rgb_case(
    format: UtVideoFormat,
    layout: PackedRgb,
    prediction: Prediction,
    slices: u32,
    size: (u32, u32),
) -> Case {
    let (w, h) = (size.0 as usize, size.1 as usize);
    let bpp = layout.bytes_per_pixel();
    let stride = w * bpp + 5;
    let encoder = UtVideoEncoder::new(format, size.0, size.1, prediction, slices).unwrap();
    let mut frames = Vec::new();
    let mut expected = Vec::new();
    for kind in 0..3 {
        let packed = plane(w * bpp, h, stride, kind, kind as u64 + 40);
        let mut buffer = PlaneBuffer::default();
        buffer.fill_rgb(layout, format == UtVideoFormat::Ulra, &packed, stride, w, h);
        let planes: Vec<(Vec<u8>, usize)> = buffer
            .planes()
            .iter()
            .map(|p| (p.samples.to_vec(), p.stride))
            .collect();
        let (r_at, b_at) = match layout {
            PackedRgb::Bgra | PackedRgb::Bgr => (2, 0),
            PackedRgb::Rgba | PackedRgb::Rgb => (0, 2),
        };
        let mut channels = vec![1, b_at, r_at];
        if format == UtVideoFormat::Ulra {
            channels.push(3);
        }
        let mut want = Vec::new();
        for c in channels {
            for y in 0..h {
                for x in 0..w {
                    want.push(packed[y * stride + x * bpp + c]);
                }
            }
        }
        frames.push(planes);
        expected.push(want);
    }
    Case {
        name: format!(
            "{:?}-{layout:?}-{prediction:?}-{slices}-{w}x{h}",
            format.fourcc()
        ),
        encoder,
        size,
        frames,
        expected,
    }
}

#[test]
fn yuv_formats_decode_exactly_with_every_predictor_and_slice_count() {
    for format in YUV_FORMATS {
        let cases: Vec<Case> = Prediction::ALL
            .into_iter()
            .flat_map(|prediction| {
                [1, 3, 7, 256].map(|slices| yuv_case(format, prediction, slices, (64, 36), 7))
            })
            .collect();
        round_trip(&format!("yuv-{:?}", format.fourcc()), &cases);
    }
}

#[test]
fn rgb_layouts_decode_exactly_with_every_predictor_and_slice_count() {
    let cases = [
        (UtVideoFormat::Ulrg, PackedRgb::Bgra),
        (UtVideoFormat::Ulra, PackedRgb::Bgra),
        (UtVideoFormat::Ulra, PackedRgb::Rgba),
        (UtVideoFormat::Ulrg, PackedRgb::Bgr),
        (UtVideoFormat::Ulrg, PackedRgb::Rgb),
    ];
    for (format, layout) in cases {
        let cases: Vec<Case> = Prediction::ALL
            .into_iter()
            .flat_map(|prediction| {
                [1, 4, 256].map(|slices| rgb_case(format, layout, prediction, slices, (33, 17)))
            })
            .collect();
        round_trip(&format!("rgb-{:?}-{layout:?}", format.fourcc()), &cases);
    }
}

#[test]
fn edge_sizes_decode_exactly() {
    for prediction in Prediction::ALL {
        for slices in [1, 2, 8] {
            let mut cases = Vec::new();
            for size in [(2, 2), (2, 4), (4, 2), (6, 6), (34, 2)] {
                cases.push(yuv_case(UtVideoFormat::Uly0, prediction, slices, size, 1));
            }
            for size in [(2, 1), (2, 3), (4, 1), (2, 9)] {
                cases.push(yuv_case(UtVideoFormat::Uly2, prediction, slices, size, 3));
            }
            for size in [(1, 1), (1, 2), (3, 1), (1, 7), (31, 3), (17, 2)] {
                let (ulrg, ulra) = (UtVideoFormat::Ulrg, UtVideoFormat::Ulra);
                cases.push(rgb_case(ulrg, PackedRgb::Bgr, prediction, slices, size));
                cases.push(rgb_case(ulra, PackedRgb::Rgba, prediction, slices, size));
            }
            round_trip(&format!("edge-{prediction:?}-{slices}"), &cases);
        }
    }
}

#[test]
fn camera_like_content_decodes_exactly() {
    let (w, h) = (320usize, 240usize);
    let frames = testsrc2(w, h, 3);
    for (format, layout) in [
        (UtVideoFormat::Ulrg, PackedRgb::Bgra),
        (UtVideoFormat::Ulra, PackedRgb::Bgra),
    ] {
        let encoder =
            UtVideoEncoder::new(format, w as u32, h as u32, Prediction::Median, 0).unwrap();
        let mut planes_of = Vec::new();
        let mut expected = Vec::new();
        for (n, frame) in frames.iter().enumerate() {
            // Sensor-like noise on top of the pattern.
            let grain = noise(frame.len(), n as u64);
            let noisy: Vec<u8> = frame
                .iter()
                .zip(&grain)
                .map(|(&v, &g)| v.saturating_add(g % 5))
                .collect();
            let mut buffer = PlaneBuffer::default();
            buffer.fill_rgb(layout, format == UtVideoFormat::Ulra, &noisy, w * 4, w, h);
            planes_of.push(
                buffer
                    .planes()
                    .iter()
                    .map(|p| (p.samples.to_vec(), p.stride))
                    .collect(),
            );
            let mut want = Vec::new();
            for c in [1, 0, 2, 3].iter().take(format.planes()) {
                want.extend(noisy.chunks_exact(4).map(|px| px[*c]));
            }
            expected.push(want);
        }
        let case = Case {
            name: format!("camera-{format:?}"),
            encoder,
            size: (w as u32, h as u32),
            frames: planes_of,
            expected,
        };
        round_trip(&case.name.clone(), &[case]);
    }
}

#[test]
fn nv12_yuy2_and_gray_inputs_decode_to_their_samples() {
    let (w, h) = (38usize, 22usize);
    let size = (w as u32, h as u32);
    let stride = w + 3;
    // NV12: Y rows then interleaved U, V rows.
    let nv12 = noise(stride * h * 3 / 2, 9);
    let chroma_at = stride * h;
    let mut buffer = PlaneBuffer::default();
    let mut cases = Vec::new();
    buffer.fill_nv12(&nv12, stride, chroma_at, w, h);
    let mut want = tight(&nv12, w, h, stride);
    for c in 0..2 {
        for y in 0..h / 2 {
            for x in 0..w / 2 {
                want.push(nv12[chroma_at + y * stride + 2 * x + c]);
            }
        }
    }
    let encoder = UtVideoEncoder::new(
        UtVideoFormat::Uly0,
        w as u32,
        h as u32,
        Prediction::Median,
        2,
    )
    .unwrap();
    cases.push(filled_case("nv12", encoder, size, &buffer, want));

    // YUY2: Y0 U Y1 V.
    let yuy2 = noise(stride * 2 * h, 10);
    buffer.fill_yuy2(&yuy2, stride * 2, w, h);
    let row = |y: usize| &yuy2[y * stride * 2..y * stride * 2 + w * 2];
    let mut want: Vec<u8> = (0..h)
        .flat_map(|y| row(y).chunks_exact(2).map(|p| p[0]).collect::<Vec<_>>())
        .collect();
    for c in [1, 3] {
        want.extend((0..h).flat_map(|y| {
            row(y)
                .chunks_exact(4)
                .map(move |q| q[c])
                .collect::<Vec<_>>()
        }));
    }
    let encoder = UtVideoEncoder::new(
        UtVideoFormat::Ulh2,
        w as u32,
        h as u32,
        Prediction::Gradient,
        3,
    )
    .unwrap();
    cases.push(filled_case("yuy2", encoder, size, &buffer, want));

    // GRAY8: luma as given, chroma neutral (single-symbol planes).
    let gray = noise(stride * h, 11);
    buffer.fill_gray(&gray, stride, w, h);
    let mut want = tight(&gray, w, h, stride);
    want.resize(w * h * 3 / 2, 128);
    let encoder =
        UtVideoEncoder::new(UtVideoFormat::Uly0, w as u32, h as u32, Prediction::Left, 1).unwrap();
    cases.push(filled_case("gray", encoder, size, &buffer, want));
    round_trip("nv12-yuy2-gray", &cases);
}

/// One frame of `size`: the planes `buffer` was filled with, to decode as `want`.
fn filled_case(
    name: &str,
    encoder: UtVideoEncoder,
    size: (u32, u32),
    buffer: &PlaneBuffer,
    want: Vec<u8>,
) -> Case {
    let planes = buffer
        .planes()
        .iter()
        .map(|p| (p.samples.to_vec(), p.stride))
        .collect();
    Case {
        name: name.into(),
        encoder,
        size,
        frames: vec![planes],
        expected: vec![want],
    }
}

#[test]
fn slices_encode_independently_in_any_order() {
    let (w, h) = (48usize, 40usize);
    let encoder = UtVideoEncoder::new(
        UtVideoFormat::Ulrg,
        w as u32,
        h as u32,
        Prediction::Median,
        5,
    )
    .unwrap();
    let data: Vec<Vec<u8>> = (0..3).map(|p| plane(w, h, w, 1, p)).collect();
    let refs: Vec<PlaneRef<'_>> = data
        .iter()
        .map(|samples| PlaneRef { samples, stride: w })
        .collect();
    let whole = encoder.encode(&refs).unwrap();
    let mut residuals: Vec<_> = (0..encoder.slices())
        .rev()
        .map(|s| encoder.analyze_slice(&refs, s))
        .collect();
    let codes = encoder.frame_codes(&residuals);
    residuals.rotate_left(2);
    assert_eq!(
        encoder.write_frame(&codes, &residuals, &OnThisThread),
        whole
    );
}

#[test]
fn a_frame_is_not_written_from_misfitting_residuals_or_parts() {
    let (w, h) = (32usize, 16usize);
    let encoder =
        UtVideoEncoder::new(UtVideoFormat::Uly0, w as u32, h as u32, Prediction::Left, 2).unwrap();
    let frame = |seed: u64| -> Vec<Vec<u8>> {
        let mut rng = TestRng::new(seed);
        [(w, h), (w / 2, h / 2), (w / 2, h / 2)]
            .iter()
            .map(|&(pw, ph)| (0..pw * ph).map(|_| rng.next_u64() as u8).collect())
            .collect()
    };
    let analyze = |data: &[Vec<u8>]| {
        let refs: Vec<PlaneRef<'_>> = data
            .iter()
            .zip([w, w / 2, w / 2])
            .map(|(samples, stride)| PlaneRef { samples, stride })
            .collect();
        (0..encoder.slices())
            .map(|s| encoder.analyze_slice(&refs, s))
            .collect::<Vec<_>>()
    };
    let noise = analyze(&frame(1));
    let mut flat = frame(2);
    flat.iter_mut().for_each(|p| p.fill(9));
    let flat = analyze(&flat);
    let codes = encoder.frame_codes(&noise);
    let refused = |what: &str, misuse: &dyn Fn()| {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(misuse));
        assert!(result.is_err(), "{what} was taken");
    };
    refused("another frame's residuals", &|| {
        drop(encoder.write_frame(&codes, &flat, &OnThisThread))
    });
    refused("a slice missing", &|| {
        drop(encoder.write_frame(&codes, &noise[1..], &OnThisThread))
    });
    refused("a slice twice", &|| {
        drop(encoder.frame_codes(&[noise[0].clone(), noise[0].clone()]))
    });
    // A FrameParts that breaks its contract (skips a part) gets a panic, not unwritten bytes.
    struct SkipsTheFirstPart;
    impl FrameParts for SkipsTheFirstPart {
        fn run(&self, count: usize, part: &(dyn Fn(usize) + Sync)) {
            (1..count).for_each(part);
        }
    }
    refused("a FrameParts that skips a part", &|| {
        drop(encoder.write_frame(&codes, &noise, &SkipsTheFirstPart))
    });
}

#[test]
fn slice_counts_are_lowered_to_the_rows_and_sizes_checked() {
    let slices = |format, w, h, n| {
        UtVideoEncoder::new(format, w, h, Prediction::Median, n)
            .unwrap()
            .slices()
    };
    assert_eq!(slices(UtVideoFormat::Uly0, 8, 6, 200), 3);
    assert_eq!(slices(UtVideoFormat::Uly2, 8, 6, 200), 6);
    assert_eq!(slices(UtVideoFormat::Ulra, 8, 1000, 0), 8);
    assert_eq!(slices(UtVideoFormat::Ulrg, 8, 5000, 300 - 44), 256);
    assert_eq!(slices(UtVideoFormat::Uly0, 1920, 1080, 0), 4);
    for (format, w, h, n) in [
        (UtVideoFormat::Uly0, 3, 2, 1),
        (UtVideoFormat::Uly0, 2, 3, 1),
        (UtVideoFormat::Ulh2, 5, 3, 1),
        (UtVideoFormat::Ulrg, 0, 3, 1),
        (UtVideoFormat::Ulrg, 4, 4, 257),
    ] {
        let err = UtVideoEncoder::new(format, w, h, Prediction::Median, n).unwrap_err();
        assert_eq!(
            err.status(),
            avikit::Status::InvalidArgument,
            "{format:?} {w}x{h} {n}"
        );
    }
}

#[test]
fn extra_data_follows_the_bitmap_header_and_survives_repair() {
    let (w, h) = (64u32, 48u32);
    let encoder = UtVideoEncoder::new(UtVideoFormat::Uly0, w, h, Prediction::Median, 3).unwrap();
    let extra = encoder.extra_data();
    assert_eq!(&extra[4..8], b"YV12");
    assert_eq!(le32(&extra, 8), 4, "frame information size");
    assert_eq!(
        le32(&extra, 12),
        (2 << 24) | 1,
        "slices - 1 and Huffman coding"
    );
    let planes: Vec<Vec<u8>> = (0..3)
        .map(|p| {
            let (pw, ph) = UtVideoFormat::Uly0.plane_size(p, w as usize, h as usize);
            plane(pw, ph, pw, 1, p as u64)
        })
        .collect();
    let refs: Vec<PlaneRef<'_>> = planes
        .iter()
        .enumerate()
        .map(|(p, samples)| PlaneRef {
            samples,
            stride: UtVideoFormat::Uly0.plane_size(p, w as usize, h as usize).0,
        })
        .collect();
    let frame = encoder.encode(&refs).unwrap();
    let file = Scratch::new("utv-extra.avi");
    write_avi(file.path(), &[(&encoder, (w, h), &vec![frame; 10])]);
    let bytes = std::fs::read(file.path()).unwrap();
    let strf = find(&bytes, b"strf").unwrap();
    assert_eq!(le32(&bytes, strf + 4), 56, "strf: header and extra data");
    assert_eq!(
        le32(&bytes, strf + 8),
        56,
        "biSize counts the extra data, as FFmpeg writes it"
    );
    assert_eq!(&bytes[strf + 8 + 40..strf + 8 + 56], &extra);

    // Cut the file inside its last frame: repair keeps the format, extra data included.
    let cut = Scratch::new("utv-cut.avi");
    std::fs::write(cut.path(), &bytes[..bytes.len() - 2000]).unwrap();
    let fixed = Scratch::new("utv-fixed.avi");
    let report = repair_file(cut.path(), Some(fixed.path())).unwrap();
    match &report.streams[0].format {
        StreamFormat::Video(v) => assert_eq!(v.extra_data, extra),
        other => panic!("not video: {other:?}"),
    }
    let decoded = ffmpeg_decode(fixed.path(), "0:v:0", "rawvideo", &["-pix_fmt", "yuv420p"]);
    let one: Vec<u8> = planes.concat();
    assert!(!decoded.is_empty());
    assert!(decoded.chunks(one.len()).all(|f| f == one.as_slice()));
}

#[test]
fn flat_planes_are_single_symbol_planes() {
    let (w, h) = (40usize, 20usize);
    let flat = vec![0x80u8; w * h];
    let refs = vec![
        PlaneRef {
            samples: &flat,
            stride: w
        };
        4
    ];
    for prediction in Prediction::ALL {
        let encoder =
            UtVideoEncoder::new(UtVideoFormat::Ulra, w as u32, h as u32, prediction, 4).unwrap();
        let frame = encoder.encode(&refs).unwrap();
        assert_eq!(
            frame.len(),
            4 * (256 + 4 * 4) + 4,
            "{prediction:?}: headers only"
        );
    }
}
