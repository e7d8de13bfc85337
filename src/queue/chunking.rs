//! How a stream's input becomes chunks: written as given, encoded in parallel on the encoder
//! threads, or encoded in order on the worker by a sequential encoder. [`Chunking`] is the
//! stream's choice, made when it is added; [`ChunkInput`] is one write's input on that path,
//! queued by begin and turned into chunks by the worker.

use super::encoder_pool::EncodedSlot;
use super::payload::Payload;
use crate::avi::StreamSpec;
use crate::codec::encoder::{FrameEncoder, InputRule, SequentialEncoder};
use crate::error::Result;
use crate::format::SampleLayout;
use parking_lot::Mutex;
use std::sync::Arc;

/// A sequential encoder shared by a stream (which begins) and the worker (which encodes).
pub(crate) type SharedSequentialEncoder = Arc<Mutex<Box<dyn SequentialEncoder>>>;

/// How a stream's input becomes chunks.
#[derive(Clone)]
pub(crate) enum Chunking {
    /// Each input is one chunk, as given. `samples`: the layout of an audio stream that knows
    /// its samples (PCM, float), which timed writes need.
    AsGiven { samples: Option<SampleLayout> },
    /// Each video frame is encoded into one chunk on the writer's encoder threads, frames in
    /// parallel.
    ParallelEncoder(Arc<dyn FrameEncoder>),
    /// Inputs are encoded in begin order on the worker; one input gives none, one or several
    /// chunks. `rule`: what each input must look like; `samples`: as for `AsGiven` (MP3 input).
    SequentialEncoder {
        encoder: SharedSequentialEncoder,
        rule: InputRule,
        samples: Option<SampleLayout>,
    },
}

impl Chunking {
    /// The sequential path for `encoder`, with its input rule and samples.
    pub fn sequential(encoder: Box<dyn SequentialEncoder>) -> Chunking {
        Chunking::SequentialEncoder {
            rule: encoder.input_rule(),
            samples: encoder.input_samples(),
            encoder: Arc::new(Mutex::new(encoder)),
        }
    }

    /// The layout of the samples this stream takes, for streams that know them.
    pub fn samples(&self) -> Option<SampleLayout> {
        match self {
            Chunking::AsGiven { samples } | Chunking::SequentialEncoder { samples, .. } => *samples,
            Chunking::ParallelEncoder(_) => None,
        }
    }

    /// Whether a stream of `spec` on this path takes an input of `len` bytes.
    ///
    /// # Errors
    /// [`crate::Status::InvalidArgument`] naming the expected length; [`crate::Status::Limit`]
    /// for a chunk over 2 GiB written as given.
    pub fn check_input_len(&self, spec: &StreamSpec, len: usize) -> Result<()> {
        match self {
            Chunking::AsGiven { .. } => spec.check_chunk_len(len),
            Chunking::ParallelEncoder(encoder) => encoder.check_input_len(len),
            Chunking::SequentialEncoder { rule, .. } => rule.check(len),
        }
    }
}

/// One write's input on its way to become chunks, on the path of its stream's [`Chunking`].
pub(crate) enum ChunkInput {
    /// The caller's bytes, one chunk as they are.
    AsGiven(Payload),
    /// A frame being encoded on the encoder threads; `input_len` bytes of queue room.
    ParallelEncoder {
        slot: Arc<EncodedSlot>,
        input_len: usize,
    },
    /// An input for a sequential encoder, encoded on the worker in begin order.
    SequentialEncoder {
        encoder: SharedSequentialEncoder,
        input: Payload,
    },
}

impl ChunkInput {
    /// Queue room the write holds.
    pub fn queued_len(&self) -> usize {
        match self {
            ChunkInput::AsGiven(payload) => payload.len(),
            ChunkInput::ParallelEncoder { input_len, .. } => *input_len,
            ChunkInput::SequentialEncoder { input, .. } => input.len(),
        }
    }

    /// Cuts the first `len` bytes of the input (an audio block's samples that overlap what the
    /// stream already has).
    pub fn trim_front(&mut self, len: usize) {
        match self {
            ChunkInput::AsGiven(payload) | ChunkInput::SequentialEncoder { input: payload, .. } => {
                payload.trim_front(len);
            }
            // Audio never goes through the encoder threads.
            ChunkInput::ParallelEncoder { .. } => {}
        }
    }

    /// The slot of a frame on the encoder threads, which may still read the caller's buffer
    /// until it is taken.
    pub fn encoded_slot(&self) -> Option<&Arc<EncodedSlot>> {
        match self {
            ChunkInput::ParallelEncoder { slot, .. } => Some(slot),
            ChunkInput::AsGiven(_) | ChunkInput::SequentialEncoder { .. } => None,
        }
    }

    /// The stream's sequential encoder, for inputs on that path.
    pub fn sequential_encoder(&self) -> Option<&SharedSequentialEncoder> {
        match self {
            ChunkInput::SequentialEncoder { encoder, .. } => Some(encoder),
            ChunkInput::AsGiven(_) | ChunkInput::ParallelEncoder { .. } => None,
        }
    }
}
