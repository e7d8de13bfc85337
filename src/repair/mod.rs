//! Reading existing files: strict inspection, and repair of files cut short by a crash.

mod inspect;
mod reader;
mod rebuild;

pub use inspect::inspect_file;
pub use rebuild::{repair_file, repair_file_with_progress};

use crate::avi::StreamFormat;
use reader::{DataChunk, ParsedHeader};

/// What inspection or repair found in a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    /// Streams in the header.
    pub stream_count: u32,
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
        let first_video = header.streams.iter().position(|s| s.spec.is_video());
        let audio =
            |c: &&DataChunk| matches!(header.streams[c.stream].spec.format, StreamFormat::Audio(_));
        FileReport {
            stream_count: header.streams.len() as u32,
            video_frames: chunks
                .iter()
                .filter(|c| Some(c.stream) == first_video)
                .count() as u64,
            audio_chunks: chunks.iter().filter(audio).count() as u64,
            bytes_recovered,
            riff_count: riff_count as u32,
            was_damaged,
        }
    }
}
