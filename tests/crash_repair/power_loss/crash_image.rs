//! Crash images in the spirit of ALICE and CrashMonkey: what a disk may hold after a power cut
//! at a given moment of a write log. Everything before the last sync that completed before the
//! cut is on the disk; of the writes after it that had begun by the cut, each 4 KiB page may
//! have reached the disk or not, independently and in any order, and a page that did may be
//! torn: only some of its 512-byte sectors made it.

use super::write_log::{write_at, Change, WriteLog};
use crate::common::rng::TestRng;

/// The page the operating system writes back as a unit.
const PAGE: u64 = 4096;
/// The unit a disk writes atomically.
const SECTOR: u64 = 512;

/// The part of one write that falls in one page.
#[derive(Debug, Clone, Copy)]
struct Piece {
    /// File position.
    at: u64,
    /// Where its bytes are in the log.
    data: usize,
    len: usize,
}

/// A power cut at one moment of a write log.
#[derive(Debug)]
pub struct Cut {
    /// Calls before the last sync that completed by the cut (all of them on the disk).
    pub durable_ops: usize,
    /// Pages of writes that began after that sync and by the cut.
    pieces: Vec<Piece>,
    /// Truncations in that span (each reached the disk or not).
    truncations: Vec<u64>,
    /// The file's length at the cut as the running program saw it.
    logical_len: u64,
}

impl Cut {
    /// The cut at `at_ns`. Calls were serialized by the shim, so those that began before the
    /// cut are a prefix of the log, as are those before any sync.
    pub fn at(log: &WriteLog, at_ns: u64) -> Cut {
        let started = log.ops.iter().take_while(|op| op.start_ns < at_ns).count();
        let durable_ops = log.ops[..started]
            .iter()
            .rposition(|op| op.change == Change::Sync { ok: true } && op.end_ns <= at_ns)
            .unwrap_or(0);
        let mut pieces = Vec::new();
        let mut truncations = Vec::new();
        for op in &log.ops[durable_ops..started] {
            match op.change {
                Change::Write { offset, data, len } => {
                    let end = offset + len as u64;
                    let mut at = offset;
                    while at < end {
                        let piece_end = ((at / PAGE + 1) * PAGE).min(end);
                        pieces.push(Piece {
                            at,
                            data: data + (at - offset) as usize,
                            len: (piece_end - at) as usize,
                        });
                        at = piece_end;
                    }
                }
                Change::Truncate { len } => truncations.push(len),
                Change::Sync { .. } => {}
            }
        }
        let mut logical_len = 0u64;
        for op in &log.ops[..started] {
            logical_len = match op.change {
                Change::Write { offset, len, .. } => logical_len.max(offset + len as u64),
                Change::Truncate { len } => len,
                Change::Sync { .. } => logical_len,
            };
        }
        Cut {
            durable_ops,
            pieces,
            truncations,
            logical_len,
        }
    }

    /// One crash image: `durable` (the file after the cut's durable calls) with a random
    /// subset of the later pages laid over it in a random order, some torn. The file's length
    /// is where the bytes that landed end, or (when the length reached the disk before the
    /// data) the length at the cut, the unwritten parts reading as zeros.
    pub fn image(&self, log: &WriteLog, durable: &[u8], rng: &mut TestRng) -> Vec<u8> {
        let mut file = durable.to_vec();
        // A quarter of the images lose every later page, a quarter keep them all.
        let keep = match rng.below(4) {
            0 => 0.0,
            1 => 1.0,
            _ => rng.unit(),
        };
        let torn = rng.unit() / 2.0;
        for &len in &self.truncations {
            if rng.below(2) == 0 {
                file.resize(len as usize, 0);
            }
        }
        let mut kept: Vec<Piece> = self
            .pieces
            .iter()
            .copied()
            .filter(|_| rng.unit() < keep)
            .collect();
        rng.shuffle(&mut kept);
        for piece in kept {
            let bytes = log.data(piece.data, piece.len);
            if rng.unit() >= torn {
                write_at(&mut file, piece.at as usize, bytes);
                continue;
            }
            let end = piece.at + piece.len as u64;
            let mut at = piece.at;
            while at < end {
                let sector_end = ((at / SECTOR + 1) * SECTOR).min(end);
                if rng.below(2) == 0 {
                    let from = (at - piece.at) as usize;
                    let to = (sector_end - piece.at) as usize;
                    write_at(&mut file, at as usize, &bytes[from..to]);
                }
                at = sector_end;
            }
        }
        if rng.below(4) == 0 && (file.len() as u64) < self.logical_len {
            file.resize(self.logical_len as usize, 0);
        }
        file
    }
}

/// Appends to `log` a write of `len` bytes `fill` at `offset`, running from `start_ns` for 10 ns.
#[cfg(test)]
fn log_write(log: &mut WriteLog, offset: u64, len: usize, fill: u8, start_ns: u64) {
    let data = log.bytes.len();
    log.bytes.extend(std::iter::repeat_n(fill, len));
    log.ops.push(super::write_log::Op {
        change: Change::Write { offset, data, len },
        start_ns,
        end_ns: start_ns + 10,
    });
}

/// Every byte of every image is the durable state's (or a zero past its end) or one that a
/// write pending at the cut wrote there; and the extremes (nothing pending landed, all of it
/// did) both come up.
#[test]
fn crash_images_hold_durable_or_pending_bytes_only() {
    let mut log = WriteLog {
        ops: Vec::new(),
        bytes: Vec::new(),
    };
    log_write(&mut log, 0, 10_000, 1, 0);
    log_write(&mut log, 0, 3, 9, 100);
    log.ops.push(super::write_log::Op {
        change: Change::Sync { ok: true },
        start_ns: 200,
        end_ns: 260,
    });
    // Pending at a cut at 600: a rewrite of durable bytes, an extension, a write past a hole.
    log_write(&mut log, 5_000, 6_000, 2, 300);
    log_write(&mut log, 0, 700, 3, 400);
    log_write(&mut log, 20_000, 100, 4, 500);
    // A sync still running at the cut promises nothing.
    log.ops.push(super::write_log::Op {
        change: Change::Sync { ok: true },
        start_ns: 550,
        end_ns: 650,
    });
    // Begun after the cut: never in an image.
    log_write(&mut log, 30_000, 50, 5, 700);
    let pending = 3..6;

    let cut = Cut::at(&log, 600);
    assert_eq!(cut.durable_ops, 2);
    let mut durable = Vec::new();
    for op in &log.ops[..cut.durable_ops] {
        log.apply(op, &mut durable);
    }
    let mut at_cut = Vec::new();
    for op in &log.ops[..pending.end] {
        log.apply(op, &mut at_cut);
    }
    let (mut none_landed, mut all_landed) = (false, false);
    let mut rng = TestRng::new(21);
    for _ in 0..500 {
        let image = cut.image(&log, &durable, &mut rng);
        assert!(image.len() >= durable.len() && image.len() <= at_cut.len());
        for (i, &b) in image.iter().enumerate() {
            let before = durable.get(i).copied().unwrap_or(0);
            let written = log.ops[pending.clone()].iter().any(|op| match op.change {
                Change::Write { offset, data, len } => {
                    let offset = offset as usize;
                    (offset..offset + len).contains(&i) && log.bytes[data + i - offset] == b
                }
                _ => false,
            });
            assert!(b == before || written, "byte {i} is {b}");
        }
        none_landed |= image == durable;
        all_landed |= image == at_cut;
    }
    assert!(none_landed && all_landed);
}
