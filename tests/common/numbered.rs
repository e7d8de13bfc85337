//! Numbered frames: pictures that carry their frame number in black and white cells, so every
//! reader can tell which frame it shows (tests/tools/frame_code.py reads them back).

/// Frame numbers drawn into pictures, read back by every reader through
/// tests/tools/frame_code.py (`avi_check --frame-numbers N`): the picture is a grid of
/// `FRAME_CODE_COLUMNS` x `FRAME_CODE_ROWS` flat black or white cells spelling, left to right and
/// top to bottom, the bits (most significant first, white = 1) of the number followed by
/// `FRAME_CODE_CHECK_BITS` checksum bits. Lossless formats carry it at any size of at least one
/// pixel per cell; through MJPEG and H.264 at default quality, YUV 4:2:0 and gray conversion it
/// needs cells of at least 8x12 pixels: `NUMBERED_MIN_WIDTH` x `NUMBERED_MIN_HEIGHT`.
pub const FRAME_CODE_COLUMNS: usize = 8;
pub const FRAME_CODE_ROWS: usize = 4;
pub const FRAME_CODE_CHECK_BITS: u32 = 12;
pub const NUMBERED_MIN_WIDTH: usize = 64;
pub const NUMBERED_MIN_HEIGHT: usize = 48;

/// The 32-bit code word of frame `n`: the number, then its checksum (the same multiplicative
/// hash as frame_code.py's `check`).
fn frame_code_word(n: usize) -> u32 {
    let number = u32::try_from(n)
        .ok()
        .filter(|&v| v < 1 << (32 - FRAME_CODE_CHECK_BITS))
        .expect("frame number fits the code");
    let check =
        number.wrapping_mul(0x9E37_79B1).wrapping_add(0x7F4A_7C15) >> (32 - FRAME_CODE_CHECK_BITS);
    (number << FRAME_CODE_CHECK_BITS) | check
}

/// Whether pixel (`x`, `y`) (top-down) of numbered frame `n` is white.
fn numbered_white(width: usize, height: usize, n: usize, x: usize, y: usize) -> bool {
    assert!(
        width >= FRAME_CODE_COLUMNS && height >= FRAME_CODE_ROWS,
        "a numbered frame needs at least one pixel per cell"
    );
    let cell = (y * FRAME_CODE_ROWS / height) * FRAME_CODE_COLUMNS + x * FRAME_CODE_COLUMNS / width;
    frame_code_word(n) >> (31 - cell) & 1 == 1
}

/// Numbered frame `n` as tight top-down BGRA (for encoding streams): black or white pixels.
pub fn numbered_bgra(width: usize, height: usize, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(width * height * 4);
    for y in 0..height {
        for x in 0..width {
            let v = if numbered_white(width, height, n, x, y) {
                255
            } else {
                0
            };
            out.extend_from_slice(&[v, v, v, 255]);
        }
    }
    out
}

/// Numbered frame `n` as tight I420 (camera input): black and white as studio-range luma (16,
/// 235), chroma neutral.
pub fn numbered_i420(width: usize, height: usize, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(width * height * 3 / 2);
    for y in 0..height {
        for x in 0..width {
            out.push(if numbered_white(width, height, n, x, y) {
                235
            } else {
                16
            });
        }
    }
    out.resize(width * height * 3 / 2, 128);
    out
}

/// Numbered frame `n` as a bottom-up DIB of `bpp` bits (8: indexes into avikit's gray palette;
/// 16: RGB555), rows padded to 4 bytes.
pub fn numbered_dib(width: usize, height: usize, bpp: usize, n: usize) -> Vec<u8> {
    let stride = (width * bpp).div_ceil(32) * 4;
    let white: &[u8] = match bpp {
        8 => &[255],
        16 => &[0xFF, 0x7F],
        24 => &[255; 3],
        32 => &[255; 4],
        _ => panic!("no numbered DIB of {bpp} bits"),
    };
    let mut frame = vec![0u8; stride * height];
    for y in 0..height {
        let row = (height - 1 - y) * stride;
        for x in 0..width {
            if numbered_white(width, height, n, x, y) {
                frame[row + x * white.len()..][..white.len()].copy_from_slice(white);
            }
        }
    }
    frame
}
