//! The fuzz harness of the header and index readers on stable Rust (issue 21): every file of
//! the checked-in corpus (fuzz/corpus/inspect_repair: files avikit wrote, cut short, or with
//! one count, size or format field made hostile) and a fixed number of deterministic mutations
//! of each (bit flips, counts and sizes inflated, truncations, copied ranges) go through
//! `inspect_and_repair_virtual`, as a file of their own length and as the start of a sparse
//! file claiming 36 GB. None may panic, allocate past a bound that does not depend on what the
//! file claims, or be repaired into a file that fails inspection. `cargo +nightly fuzz run
//! inspect_repair` (fuzz/) runs the same harness under libFuzzer; scripts/test.sh runs it for
//! a fixed budget where nightly and cargo-fuzz are installed.
//!
//! The corpus: `valid-video.avi` (six XVID-tagged frames) and `valid-video-pcm.avi` (five
//! frames and 16-bit stereo PCM, named streams), written by avikit with a super index of 4
//! entries to stay small; `truncated-*` cut inside a chunk and inside the header; `hostile-*`
//! with one field set: `ix00` and `indx` nEntriesInUse and the RIFF size to 0xFFFFFFFF or
//! 0xFFFFFFF0, the `strf` size to 0xFFFFFFF0, the first `00dc` size to 0x7FFFFFF0, the PCM
//! nBlockAlign to 0.

use crate::counting_alloc;

use avikit::limits::READ_PIECE_LEN;
use avikit::repair::inspect_and_repair_virtual;
use std::path::Path;

/// A length far past anything the bytes hold, as a sparse file makes free.
const CLAIMED_LEN: u64 = 36_000_000_000;

/// Mutations of each corpus file; `AVIKIT_FUZZ_ITERATIONS` overrides.
const ITERATIONS: usize = 1000;

/// Memory inspection and repair of a virtual file may hold at once, besides a multiple of the
/// input's length (chunk and index bookkeeping): a few read pieces, a header of at most 100
/// streams with their longest formats and names, and the repaired file kept in memory.
const FIXED_BOUND: usize = 4 * READ_PIECE_LEN + 16 * (1 << 20) + 16 * (1 << 20);

/// Bookkeeping bytes allowed per input byte.
const PER_INPUT_BYTE: usize = 64;

/// A seeded xorshift64* generator: the same mutations on every run.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// One to three of: a bit flipped, a 32- or 16-bit field set to a value that counts and
    /// sizes go wrong with, the file cut, a range copied over another (chunk headers repeated).
    fn mutate(&mut self, file: &[u8]) -> Vec<u8> {
        const HOSTILE: [u32; 8] = [
            0,
            1,
            0x7FFF_FFFF,
            0x8000_0000,
            0xFFFF_FFFF,
            0xFFFF_FFF0,
            0x1000_0000,
            0x0010_0000,
        ];
        let mut b = file.to_vec();
        for _ in 0..=self.below(3) {
            if b.len() < 8 {
                break;
            }
            match self.below(5) {
                0 => {
                    let at = self.below(b.len());
                    b[at] ^= 1 << self.below(8);
                }
                1 => {
                    let at = self.below(b.len() - 3);
                    let value = HOSTILE[self.below(HOSTILE.len())];
                    b[at..at + 4].copy_from_slice(&value.to_le_bytes());
                }
                2 => {
                    let at = self.below(b.len() - 1);
                    let value = [0u16, 1, 0xFFFF][self.below(3)];
                    b[at..at + 2].copy_from_slice(&value.to_le_bytes());
                }
                3 => b.truncate(self.below(b.len())),
                _ => {
                    let (from, to) = (self.below(b.len()), self.below(b.len()));
                    let len = self.below(64).min(b.len() - from).min(b.len() - to);
                    b.copy_within(from..from + len, to);
                }
            }
        }
        b
    }
}

/// Runs the harness on `bytes` at both lengths; panics (naming `what`) on a broken promise.
fn check(what: &str, bytes: &[u8]) {
    for claimed in [bytes.len() as u64, CLAIMED_LEN] {
        let input = bytes.to_vec();
        let start = counting_alloc::start_peak();
        let outcome = std::panic::catch_unwind(|| inspect_and_repair_virtual(input, claimed))
            .unwrap_or_else(|_| {
                let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-panic.avi");
                std::fs::write(&kept, bytes).unwrap();
                panic!(
                    "{what} (claimed {claimed} bytes) panicked; kept as {}",
                    kept.display()
                )
            });
        let used = counting_alloc::peak_since(start);
        let bound = FIXED_BOUND + PER_INPUT_BYTE * bytes.len();
        assert!(
            used <= bound,
            "{what} (claimed {claimed} bytes) held {used} bytes at once, over {bound}"
        );
        if let Some(Err(e)) = outcome.repaired_inspection {
            panic!(
                "{what} (claimed {claimed} bytes) was repaired into a file failing inspection: {e}"
            );
        }
    }
}

#[test]
fn the_corpus_and_its_mutations_neither_crash_nor_exhaust_memory() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/inspect_repair");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus is in {}", dir.display());
    let iterations = std::env::var("AVIKIT_FUZZ_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(ITERATIONS);
    for (f, path) in files.iter().enumerate() {
        let file = std::fs::read(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        check(&name, &file);
        let mut mutator = Mutator(0x9E37_79B9_7F4A_7C15 ^ (f as u64 + 1));
        for i in 0..iterations {
            check(&format!("{name} mutation {i}"), &mutator.mutate(&file));
        }
    }
}
