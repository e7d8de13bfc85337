//! The judges of one crash image: inspection and repair must not panic; repair must restore
//! every chunk the durable state indexed, byte for byte; and every chunk written longer ago
//! than the loss bound must come back too.

use super::avi_index::{self, Indexed, IndexedChunk};
use super::write_log::WriteLog;
use std::panic::catch_unwind;
use std::path::Path;
use std::time::Duration;

/// The recording as it ended, with when each chunk's write finished.
pub struct Recording {
    pub file: Vec<u8>,
    pub index: Indexed,
    /// Per stream, per chunk: when its last byte was handed to the operating system.
    pub written_ns: Vec<Vec<u64>>,
}

impl Recording {
    /// The finished `file` whose writes `log` holds.
    pub fn new(file: Vec<u8>, log: &WriteLog) -> Recording {
        let index = avi_index::read(&file).expect("the finished recording's indexes read");
        let written_ns = index
            .streams
            .iter()
            .map(|chunks| {
                chunks
                    .iter()
                    .map(|c| {
                        // The chunk's last byte (its header's, for an empty frame).
                        let last = (c.at + c.size - 1) as u64;
                        log.written_by_ns(last).expect("every chunk was written")
                    })
                    .collect()
            })
            .collect();
        Recording {
            file,
            index,
            written_ns,
        }
    }

    /// The longest time from a chunk's write to the end of a sync that began after it, and
    /// how many chunks no sync followed.
    pub fn sync_latency(&self, log: &WriteLog) -> (Option<Duration>, usize) {
        let latencies: Vec<Option<u64>> = self
            .written_ns
            .iter()
            .flatten()
            .map(|&w| log.durable_by_ns(w).map(|d| d - w))
            .collect();
        let never = latencies.iter().filter(|l| l.is_none()).count();
        let slowest = latencies
            .iter()
            .flatten()
            .max()
            .map(|&ns| Duration::from_nanos(ns));
        (slowest, never)
    }
}

/// The state a cut must not lose: the file after every call before the last sync completed
/// by the cut. Moved forward cut by cut, in time order.
#[derive(Default)]
pub struct Durable {
    pub file: Vec<u8>,
    /// Calls of the log applied to `file`.
    applied: usize,
    /// What its indexes list (`None` until it has a header).
    index: Option<Indexed>,
}

impl Durable {
    /// Applies the log's calls up to (not including) call `ops`.
    pub fn advance(&mut self, log: &WriteLog, ops: usize) {
        assert!(ops >= self.applied, "cuts are judged in time order");
        if ops == self.applied {
            return;
        }
        for op in &log.ops[self.applied..ops] {
            log.apply(op, &mut self.file);
        }
        self.applied = ops;
        // A state the file had while the writer ran: its indexes read once its header is
        // there.
        self.index = (!self.file.is_empty()).then(|| {
            avi_index::read(&self.file)
                .unwrap_or_else(|e| panic!("a durable state does not read: {e}"))
        });
    }

    /// The chunks of `stream` the durable state indexes.
    pub fn chunks(&self, stream: usize) -> &[IndexedChunk] {
        self.index.as_ref().map_or(&[], |i| i.chunks(stream))
    }

    /// Whether `image` holds the durable header unchanged (every byte up to and including the
    /// first `movi` fourcc, the first RIFF's sizes, counts and super indexes included): then
    /// the unrepaired image must play as far as the durable state.
    pub fn header_survived(&self, image: &[u8]) -> bool {
        self.index
            .as_ref()
            .is_some_and(|i| image.get(..i.header_len) == Some(&self.file[..i.header_len]))
    }
}

/// What one image showed.
#[derive(Debug, Default)]
pub struct Verdict {
    /// A panic in inspection or repair.
    pub panicked: Option<String>,
    pub inspect_failed: bool,
    pub repair_failed: bool,
    /// Every durable chunk of every stream came back, byte for byte, in order.
    pub durable_restored: bool,
    /// Per stream: chunks due (written longer ago than the bound) that did not come back.
    pub lost_due: Vec<usize>,
    /// Whether the durable header survived ([`Durable::header_survived`]).
    pub header_survived: bool,
    /// Where it did: whether the unrepaired image's own indexes list every durable chunk,
    /// byte for byte (what a player reads).
    pub unrepaired_indexes_durable: bool,
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// Per stream, the payloads `index` lists in `file`.
fn payloads<'a>(file: &'a [u8], index: &Indexed) -> Vec<Vec<&'a [u8]>> {
    index
        .streams
        .iter()
        .map(|chunks| chunks.iter().map(|c| c.payload(file)).collect())
        .collect()
}

/// Whether `got` (payloads per stream) begins, in every stream, with the durable chunks.
fn holds_durable(durable: &Durable, got: &[Vec<&[u8]>]) -> bool {
    let streams = durable.index.as_ref().map_or(0, |i| i.streams.len());
    (0..streams).all(|stream| {
        let want = durable.chunks(stream);
        let got = got.get(stream).map_or(&[][..], Vec::as_slice);
        want.len() <= got.len()
            && want
                .iter()
                .zip(got)
                .all(|(w, g)| w.payload(&durable.file) == *g)
    })
}

/// Judges `image`, already written at `image_path`; repairs it into `repaired_path`.
/// `cut_ns` is the moment of the cut, `bound_ns` how much recording before it may be lost.
pub fn judge(
    image: &[u8],
    image_path: &Path,
    repaired_path: &Path,
    durable: &Durable,
    recording: &Recording,
    (cut_ns, bound_ns): (u64, u64),
) -> Verdict {
    let mut verdict = Verdict::default();
    match catch_unwind(|| avikit::repair::inspect_file(image_path)) {
        Ok(report) => verdict.inspect_failed = report.is_err(),
        Err(p) => verdict.panicked = Some(format!("inspect_file: {}", panic_message(&*p))),
    }
    let _ = std::fs::remove_file(repaired_path);
    let repaired =
        match catch_unwind(|| avikit::repair::repair_file(image_path, Some(repaired_path))) {
            Ok(Ok(_)) => std::fs::read(repaired_path).unwrap(),
            Ok(Err(_)) => {
                verdict.repair_failed = true;
                Vec::new()
            }
            Err(p) => {
                verdict.panicked = Some(format!("repair_file: {}", panic_message(&*p)));
                Vec::new()
            }
        };
    let got = if repaired.is_empty() {
        Vec::new()
    } else {
        let index = avi_index::read(&repaired)
            .unwrap_or_else(|e| panic!("a repaired file's indexes do not read: {e}"));
        payloads(&repaired, &index)
    };
    verdict.durable_restored = holds_durable(durable, &got);
    verdict.header_survived = durable.header_survived(image);
    verdict.unrepaired_indexes_durable = verdict.header_survived
        && avi_index::read(image)
            .is_ok_and(|index| holds_durable(durable, &payloads(image, &index)));
    let written = payloads(&recording.file, &recording.index);
    for (stream, written) in written.iter().enumerate() {
        // The recording's chunks that came back, from the first on.
        let got = got.get(stream).map_or(&[][..], Vec::as_slice);
        let back = written.iter().zip(got).take_while(|(w, g)| w == g).count();
        let due = recording.written_ns[stream]
            .iter()
            .take_while(|&&at| at + bound_ns < cut_ns)
            .count();
        verdict.lost_due.push(due.saturating_sub(back));
    }
    verdict
}

/// Counts over every image of one mode.
#[derive(Debug, Default)]
pub struct Tally {
    pub images: usize,
    /// Images whose durable state indexed at least one chunk.
    pub with_durable_chunks: usize,
    pub durable_restored: usize,
    /// Images that kept the promise: every durable chunk restored, nothing due lost.
    pub recovered_in_full: usize,
    pub panics: Vec<String>,
    pub inspect_failed: usize,
    pub repair_failed: usize,
    /// Per stream: chunks lost beyond the bound, and images that lost any.
    pub lost_due: Vec<usize>,
    pub images_losing_due: usize,
    pub header_survived: usize,
    /// Of those, images whose own indexes listed every durable chunk.
    pub unrepaired_indexes_durable: usize,
}

impl Tally {
    /// Counts one image: its verdict, and whether its durable state indexed any chunk.
    pub fn add(&mut self, verdict: &Verdict, had_durable_chunks: bool) {
        self.images += 1;
        self.with_durable_chunks += usize::from(had_durable_chunks);
        self.durable_restored += usize::from(verdict.durable_restored);
        if let Some(p) = &verdict.panicked {
            self.panics.push(p.clone());
        }
        self.inspect_failed += usize::from(verdict.inspect_failed);
        self.repair_failed += usize::from(verdict.repair_failed);
        self.lost_due
            .resize(verdict.lost_due.len().max(self.lost_due.len()), 0);
        for (sum, lost) in self.lost_due.iter_mut().zip(&verdict.lost_due) {
            *sum += lost;
        }
        let lost_due = verdict.lost_due.iter().any(|&l| l > 0);
        self.images_losing_due += usize::from(lost_due);
        self.recovered_in_full += usize::from(verdict.durable_restored && !lost_due);
        self.header_survived += usize::from(verdict.header_survived);
        self.unrepaired_indexes_durable += usize::from(verdict.unrepaired_indexes_durable);
    }

    /// Whether every image kept the promise: repaired, it holds everything durable and
    /// everything due.
    pub fn promise_kept(&self) -> bool {
        self.recovered_in_full == self.images
    }

    /// Whether every image whose header survived listed everything durable in its own indexes.
    pub fn unrepaired_indexes_kept(&self) -> bool {
        self.unrepaired_indexes_durable == self.header_survived
    }
}
