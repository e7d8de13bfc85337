//! Generated test content whose bytes a test can predict: patterned DIB pictures, PCM tones,
//! and a DIB turned into the top-down rows decoders output.

/// A deterministic bottom-up 32-bit DIB frame: every byte depends on frame, row and column.
pub fn dib_frame(width: usize, height: usize, bpp: usize, n: usize) -> Vec<u8> {
    let stride = (width * bpp).div_ceil(32) * 4;
    let mut frame = vec![0u8; stride * height];
    for row in 0..height {
        for x in 0..width * bpp / 8 {
            frame[row * stride + x] = (x * 7 + row * 13 + n * 29) as u8;
        }
    }
    frame
}

/// Interleaved 16-bit stereo PCM of `samples` sample frames, a different tone per call index.
pub fn pcm_block(samples: usize, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples * 4);
    for i in 0..samples {
        let t = (n * samples + i) as f64 / 44100.0;
        let v = ((t * 440.0 * std::f64::consts::TAU).sin() * 12000.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
        out.extend_from_slice(&(v / 2).to_le_bytes());
    }
    out
}

/// Flips a bottom-up DIB frame into top-down rows without padding, as ffmpeg outputs it.
pub fn dib_to_top_down(frame: &[u8], width: usize, height: usize, bpp: usize) -> Vec<u8> {
    let stride = (width * bpp).div_ceil(32) * 4;
    let row_bytes = width * bpp / 8;
    let mut out = Vec::with_capacity(row_bytes * height);
    for row in (0..height).rev() {
        out.extend_from_slice(&frame[row * stride..row * stride + row_bytes]);
    }
    out
}
