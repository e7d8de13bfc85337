//! [`inspect_file`](crate::repair::inspect_file) checks a file strictly;
//! [`repair_file`](crate::repair::repair_file) rebuilds the headers and indexes
//! of a file cut short (by a crash, a kill or a power cut) from the chunks it holds. Neither
//! trusts the file: every count and size is bounded by the chunk that holds it.

mod inspect;
pub(crate) mod reader;
mod rebuild;
mod virtual_file;

pub use inspect::inspect_file;
pub use rebuild::{repair_file, repair_file_with_progress};
#[doc(hidden)]
pub use virtual_file::{inspect_and_repair_virtual, VirtualOutcome};

use crate::format::StreamFormat;
use reader::{DataChunk, ParsedHeader};

/// One stream as inspection or repair found it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamReport {
    /// The format from its `strf`.
    pub format: StreamFormat,
    /// Its `strn` name, if any.
    pub name: Option<String>,
    /// Data chunks found (frames of a video stream).
    pub chunks: u64,
    /// Payload bytes of those chunks.
    pub bytes: u64,
}

/// What inspection or repair found in a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileReport {
    /// Streams in the header.
    pub stream_count: u32,
    /// Every stream, in stream-number order.
    pub streams: Vec<StreamReport>,
    /// Chunks of the first video stream.
    pub video_frames: u64,
    /// Chunks of all audio streams.
    pub audio_chunks: u64,
    /// Repair: payload bytes kept.
    pub bytes_recovered: u64,
    /// RIFF segments: 1 = AVI 1.0, more = OpenDML.
    pub riff_count: u32,
    /// Repair: whether anything had to be rebuilt.
    pub was_damaged: bool,
}

impl FileReport {
    fn summarize(
        header: &ParsedHeader,
        chunks: &[DataChunk],
        riff_count: usize,
        bytes_recovered: u64,
        was_damaged: bool,
    ) -> FileReport {
        let mut streams: Vec<StreamReport> = header
            .streams
            .iter()
            .map(|s| StreamReport {
                format: s.spec.format.clone(),
                name: s.spec.name.clone(),
                chunks: 0,
                bytes: 0,
            })
            .collect();
        for c in chunks {
            let stream = &mut streams[c.stream()];
            stream.chunks += 1;
            stream.bytes += u64::from(c.size);
        }
        let is_video = |s: &&StreamReport| matches!(s.format, StreamFormat::Video(_));
        FileReport {
            stream_count: streams.len() as u32,
            video_frames: streams.iter().find(is_video).map_or(0, |s| s.chunks),
            audio_chunks: streams
                .iter()
                .filter(|s| !is_video(s))
                .map(|s| s.chunks)
                .sum(),
            streams,
            bytes_recovered,
            riff_count: riff_count as u32,
            was_damaged,
        }
    }
}
