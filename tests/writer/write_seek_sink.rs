//! Any `Write + Seek` as the destination (`WriteSeekSink`): the same bytes as a file the writer
//! creates itself, and a failing destination reported as the failing write's I/O error.

use crate::common::content::pcm_block;
use crate::common::numbered::numbered_dib;
use crate::common::scratch::Scratch;
use avikit::sink::WriteSeekSink;
use avikit::{PcmFormat, Status, VideoFormat, Writer, WriterOptions};
use std::io::{self, Seek, SeekFrom, Write};

fn options() -> WriterOptions {
    WriterOptions::default()
        .with_checkpoint_interval(None)
        .with_riff_limit(256 << 10)
}

fn record(writer: Writer) {
    let video = writer
        .add_video_stream(VideoFormat::dib(64, 48, 32), None)
        .unwrap();
    let audio = writer
        .add_pcm_stream(PcmFormat::derive(2, 44_100, 16).unwrap(), None)
        .unwrap();
    for n in 0..60 {
        video
            .write_frame(true, &numbered_dib(64, 48, 32, n))
            .unwrap();
        audio.write_block(true, &pcm_block(1470, n)).unwrap();
    }
    writer.finalize().unwrap();
}

#[test]
fn a_write_seek_destination_gets_the_bytes_of_a_created_file() {
    let created = Scratch::new("seek-sink-created.avi");
    let adapted = Scratch::new("seek-sink-adapted.avi");
    record(Writer::create(created.path(), options()).unwrap());
    let file = std::fs::File::create(adapted.path()).unwrap();
    record(Writer::with_sink(Box::new(WriteSeekSink::new(file)), options()).unwrap());
    let (a, b) = (
        std::fs::read(created.path()).unwrap(),
        std::fs::read(adapted.path()).unwrap(),
    );
    assert!(a.len() > 3 * (256 << 10), "several RIFF segments");
    assert!(a == b, "byte-identical");
}

/// Accepts `limit` bytes, then fails every write.
struct Full {
    at: u64,
    limit: u64,
}

impl Write for Full {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.at + buf.len() as u64 > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "the disk is full",
            ));
        }
        self.at += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Full {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        if let SeekFrom::Start(at) = to {
            self.at = at;
        }
        Ok(self.at)
    }
}

#[test]
fn a_failing_destination_fails_the_write_with_its_error() {
    let sink = WriteSeekSink::new(Full {
        at: 0,
        limit: 200_000,
    });
    let writer = Writer::with_sink(Box::new(sink), options()).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::dib(64, 48, 32), None)
        .unwrap();
    let outcome = (0..40)
        .map(|n| video.write_frame(true, &numbered_dib(64, 48, 32, n)))
        .find_map(Result::err)
        .expect("the destination fills up");
    assert_eq!(outcome.status(), Status::Io, "{outcome}");
    assert!(outcome.message().contains("the disk is full"), "{outcome}");
    assert_eq!(writer.finalize().unwrap_err().status(), Status::Io);
}
