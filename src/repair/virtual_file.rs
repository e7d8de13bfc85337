//! Inspection and repair of a virtual file: bytes in memory standing at the start of a file of
//! a claimed length that reads as zeros after them, as a sparse file does, with the repaired
//! file kept in memory. The fuzz harness of the header and index readers runs through here, so
//! that any length can be claimed without disk or memory to match.

use super::inspect::inspect_source;
use super::reader::Source;
use super::rebuild::rebuild;
use super::FileReport;
use crate::error::Result;
use crate::riff::{Sink, WriteError};
use std::io;
use std::sync::{Arc, Mutex};

/// How much of a repaired virtual file is kept to be inspected again: writes of non-zero bytes
/// past it leave the repaired file unchecked.
const KEPT_OUTPUT_LEN: u64 = 16 << 20;

/// What inspection and repair made of a virtual file.
#[derive(Debug)]
#[non_exhaustive]
pub struct VirtualOutcome {
    /// What [`super::inspect_file`] answers for it.
    pub inspection: Result<FileReport>,
    /// What [`super::repair_file`] answers for it.
    pub repair: Result<FileReport>,
    /// Inspection of the repaired file, when repair succeeded and every non-zero byte it wrote
    /// lies in the first 16 MiB (zero bytes past them are holes, as in a sparse file).
    pub repaired_inspection: Option<Result<FileReport>>,
}

/// Inspects and repairs a file of `claimed_len` bytes (at least `bytes.len()`) that starts with
/// `bytes` and is zero after them. Thread-safe; touches no file.
pub fn inspect_and_repair_virtual(bytes: Vec<u8>, claimed_len: u64) -> VirtualOutcome {
    let src = Source::virtual_file(bytes, claimed_len);
    let inspection = inspect_source(&src);
    let output = Arc::new(Mutex::new(SparseOutput::default()));
    let sink = SparseSink(Arc::clone(&output));
    let repair = rebuild(
        &src,
        inspection.is_err(),
        || Ok((Box::new(sink) as Box<dyn Sink>, ())),
        &mut |_, _| {},
    )
    .map(|(report, ())| report);
    let repaired_inspection = repair.is_ok().then(|| {
        let output = std::mem::take(&mut *output.lock().unwrap_or_else(|e| e.into_inner()));
        output
            .complete
            .then(|| inspect_source(&Source::virtual_file(output.bytes, output.len)))
    });
    VirtualOutcome {
        inspection,
        repair,
        repaired_inspection: repaired_inspection.flatten(),
    }
}

/// A repaired virtual file: its first bytes, its length, and whether every non-zero byte
/// written lies in `bytes`.
struct SparseOutput {
    bytes: Vec<u8>,
    len: u64,
    complete: bool,
}

impl Default for SparseOutput {
    fn default() -> SparseOutput {
        SparseOutput {
            bytes: Vec::new(),
            len: 0,
            complete: true,
        }
    }
}

/// The sink of a repair into memory, shared with [`inspect_and_repair_virtual`], which reads
/// the output once the muxer (which owns the sink) is done.
struct SparseSink(Arc<Mutex<SparseOutput>>);

impl Sink for SparseSink {
    fn write_at(&mut self, offset: u64, bufs: &[&[u8]]) -> std::result::Result<(), WriteError> {
        let mut out = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut at = offset;
        for buf in bufs {
            let end = at + buf.len() as u64;
            out.len = out.len.max(end);
            let zero = buf.iter().all(|&b| b == 0);
            if !zero && end > KEPT_OUTPUT_LEN {
                out.complete = false;
            } else {
                // Zeros past the bytes held are holes.
                let keep_end = if zero {
                    end.min(out.bytes.len() as u64)
                } else {
                    end
                };
                if keep_end > at {
                    let (from, to) = (at as usize, keep_end as usize);
                    if out.bytes.len() < to {
                        out.bytes.resize(to, 0);
                    }
                    out.bytes[from..to].copy_from_slice(&buf[..to - from]);
                }
            }
            at = end;
        }
        Ok(())
    }

    fn flush(&mut self, _durable: bool) -> io::Result<()> {
        Ok(())
    }
}
