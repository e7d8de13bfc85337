//! `AVK_AUDIO_MP3`: 16-bit PCM encoded by LAME at a constant bitrate, one MP3 frame per chunk.
//! LAME's encoder delay is taken off the input, so decoded audio lines up with video.

use super::encoder::{EncodedFrame, InputRule, SequentialEncoder};
use super::lame::{LameHandle, LameLibrary};
use crate::error::{Error, Result, Status};
use crate::format::{mp3_format, AudioFormat, SampleLayout, StreamFormat};
use std::sync::Arc;

/// The bitrate of an MP3 stream that names none: transparent for speech and most game audio.
pub const DEFAULT_BITRATE_KBPS: u32 = 160;
/// Bitrates (kbit/s) an MPEG-1 Layer III stream can have.
const MPEG1_BITRATES: [u32; 14] = [
    32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
/// Bitrates of MPEG-2/2.5 Layer III (sample rates up to 24 kHz).
const MPEG2_BITRATES: [u32; 14] = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/// Encodes interleaved 16-bit PCM blocks into MP3 frames.
pub struct Mp3Encoder {
    lame: Arc<LameLibrary>,
    handle: LameHandle,
    format: AudioFormat,
    /// Input samples (per channel) still to drop to cancel LAME's encoder delay.
    skip: usize,
    /// Encoded bytes not yet cut into whole frames.
    pending: Vec<u8>,
}

impl std::fmt::Debug for Mp3Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mp3Encoder")
            .field("format", &self.format)
            .finish()
    }
}

// SAFETY: the LAME handle is owned by this encoder and only used through `&mut self`.
unsafe impl Send for Mp3Encoder {}

fn lame_error(what: &str, code: i32) -> Error {
    Error::new(
        Status::Encoder,
        format!("LAME {what} failed with code {code}"),
    )
}

impl Mp3Encoder {
    /// A CBR encoder for 16-bit PCM with `channels` (1 or 2) at `sample_rate`.
    ///
    /// # Errors
    /// [`Status::InvalidArgument`] for values MP3 cannot carry; [`Status::Unsupported`] when
    /// LAME is not installed (the message says what to install).
    pub fn new(
        channels: u32,
        sample_rate: u32,
        bits_per_sample: u32,
        kbps: u32,
    ) -> Result<Mp3Encoder> {
        if bits_per_sample != 16 {
            return Err(Error::invalid_argument(format!(
                "MP3 takes 16-bit PCM input, not {bits_per_sample}-bit"
            )));
        }
        if !(1..=2).contains(&channels) {
            return Err(Error::invalid_argument(format!(
                "MP3 carries 1 or 2 channels, not {channels}"
            )));
        }
        if ![8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000].contains(&sample_rate) {
            return Err(Error::invalid_argument(format!(
                "MP3 cannot carry a sample rate of {sample_rate} Hz"
            )));
        }
        let rates = if sample_rate >= 32_000 {
            &MPEG1_BITRATES
        } else {
            &MPEG2_BITRATES
        };
        if !rates.contains(&kbps) {
            return Err(Error::invalid_argument(format!(
                "{kbps} kbit/s is not an MP3 bitrate at {sample_rate} Hz; use one of {rates:?}"
            )));
        }
        let lame = LameLibrary::get()?;
        // SAFETY: LAME's documented setup sequence on a handle it just made.
        let (handle, delay) = unsafe {
            let h = (lame.init)();
            if h.is_null() {
                return Err(Error::new(Status::NoMemory, "lame_init failed"));
            }
            (lame.set_num_channels)(h, channels as i32);
            (lame.set_in_samplerate)(h, sample_rate as i32);
            (lame.set_out_samplerate)(h, sample_rate as i32);
            (lame.set_vbr)(h, 0);
            (lame.set_brate)(h, kbps as i32);
            (lame.set_mode)(h, if channels == 1 { 3 } else { 1 }); // MONO, JOINT_STEREO
            (lame.set_write_vbr_tag)(h, 0);
            let rc = (lame.init_params)(h);
            if rc < 0 {
                (lame.close)(h);
                return Err(lame_error("lame_init_params", rc));
            }
            (h, (lame.get_encoder_delay)(h).max(0) as usize)
        };
        Ok(Mp3Encoder {
            lame,
            handle,
            format: mp3_format(channels as u16, sample_rate, kbps),
            // The decoder's own delay (529 samples) comes on top of LAME's.
            skip: delay + 529,
            pending: Vec::new(),
        })
    }

    fn channels(&self) -> usize {
        usize::from(self.format.channels)
    }

    /// Cuts whole MP3 frames off the front of the encoded bytes.
    fn take_frames(&mut self) -> Vec<EncodedFrame> {
        let mut frames = Vec::new();
        while let Some(len) = frame_len(&self.pending) {
            if self.pending.len() < len {
                break;
            }
            let data = self.pending.drain(..len).collect();
            frames.push(EncodedFrame {
                data,
                keyframe: true,
            });
        }
        frames
    }
}

/// Length of the MP3 frame whose header starts `bytes`, if it is one.
fn frame_len(bytes: &[u8]) -> Option<usize> {
    let h = bytes.get(..4)?;
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    let bitrate_index = usize::from(h[2] >> 4);
    let rate_index = usize::from((h[2] >> 2) & 3);
    let padding = usize::from((h[2] >> 1) & 1);
    if version == 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    let (kbps, rate, coefficient) = if version == 3 {
        (
            MPEG1_BITRATES[bitrate_index - 1],
            [44100, 48000, 32000][rate_index],
            144,
        )
    } else {
        let base = [22050, 24000, 16000][rate_index];
        (
            MPEG2_BITRATES[bitrate_index - 1],
            if version == 2 { base } else { base / 2 },
            72,
        )
    };
    Some(coefficient * kbps as usize * 1000 / rate as usize + padding)
}

impl SequentialEncoder for Mp3Encoder {
    fn output_format(&self) -> StreamFormat {
        StreamFormat::Audio(self.format.clone())
    }

    fn input_rule(&self) -> InputRule {
        InputRule::Multiple(2 * self.channels())
    }

    fn input_samples(&self) -> Option<SampleLayout> {
        Some(SampleLayout {
            sample_rate: self.format.sample_rate,
            block_align: 2 * self.channels(),
            silence: 0,
        })
    }

    fn encode(&mut self, input: &[u8]) -> Result<Vec<EncodedFrame>> {
        let channels = self.channels();
        let mut samples: Vec<i16> = input
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect();
        let skipped = self.skip.min(samples.len() / channels);
        samples.drain(..skipped * channels);
        self.skip -= skipped;
        let frames_in = samples.len() / channels;
        if frames_in == 0 {
            return Ok(Vec::new());
        }
        // lame.h's worst case for the output buffer.
        let mut out = vec![0u8; frames_in * 5 / 4 + 7200];
        // SAFETY: LAME reads `frames_in` samples per channel from `samples` and writes at most
        // `out.len()` bytes into `out`.
        let written = unsafe {
            if channels == 2 {
                (self.lame.encode_interleaved)(
                    self.handle,
                    samples.as_mut_ptr(),
                    frames_in as i32,
                    out.as_mut_ptr(),
                    out.len() as i32,
                )
            } else {
                (self.lame.encode_buffer)(
                    self.handle,
                    samples.as_ptr(),
                    samples.as_ptr(),
                    frames_in as i32,
                    out.as_mut_ptr(),
                    out.len() as i32,
                )
            }
        };
        if written < 0 {
            return Err(lame_error("encoding", written));
        }
        self.pending.extend_from_slice(&out[..written as usize]);
        Ok(self.take_frames())
    }

    fn flush(&mut self) -> Result<Vec<EncodedFrame>> {
        let mut out = vec![0u8; 7200];
        // SAFETY: LAME writes at most `out.len()` bytes of its final frames.
        let written =
            unsafe { (self.lame.encode_flush)(self.handle, out.as_mut_ptr(), out.len() as i32) };
        if written < 0 {
            return Err(lame_error("flushing", written));
        }
        self.pending.extend_from_slice(&out[..written as usize]);
        Ok(self.take_frames())
    }
}

impl Drop for Mp3Encoder {
    fn drop(&mut self) {
        // SAFETY: the handle came from lame_init and is closed once.
        unsafe { (self.lame.close)(self.handle) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lengths_follow_the_header() {
        // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding: 417 bytes; with padding 418.
        assert_eq!(frame_len(&[0xFF, 0xFB, 0x90, 0x00]), Some(417));
        assert_eq!(frame_len(&[0xFF, 0xFB, 0x92, 0x00]), Some(418));
        // MPEG-2 Layer III, 64 kbit/s, 22.05 kHz: 208 bytes.
        assert_eq!(frame_len(&[0xFF, 0xF3, 0x80, 0x00]), Some(208));
        assert_eq!(frame_len(&[0x00, 0xFB, 0x90, 0x00]), None);
        assert_eq!(mp3_format(2, 44100, 128).extra.len(), 12);
    }
}
