//! The write log: the LD_PRELOAD shim (shim.c, built here with the system C compiler) that
//! records every write, sync and truncation a process makes on one file, and the parsed log.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The environment variable naming the log the shim appends to.
pub const LOG_VAR: &str = "AVIKIT_WRITELOG";
/// The environment variable naming the watched file (canonical path).
pub const TARGET_VAR: &str = "AVIKIT_WRITELOG_TARGET";

/// Bytes of a record's head (`struct record` of shim.c).
const HEAD_LEN: usize = 48;
const KIND_WRITE: u32 = 1;
const KIND_SYNC: u32 = 2;
const KIND_TRUNCATE: u32 = 3;

/// The shim's shared object, built once per test process into the target's temporary directory
/// (under a name of this process's, then renamed: concurrent runs never load a half-written one).
pub fn shim() -> &'static Path {
    static SHIM: OnceLock<PathBuf> = OnceLock::new();
    SHIM.get_or_init(|| {
        let source =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crash_repair/power_loss/shim.c");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("avikit-power-loss");
        std::fs::create_dir_all(&dir).unwrap();
        let building = dir.join(format!("writelog-shim.so.{}", std::process::id()));
        let out = dir.join("writelog-shim.so");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let built = Command::new(&cc)
            .args(["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-o"])
            .arg(&building)
            .arg(&source)
            .arg("-ldl")
            .output()
            .unwrap_or_else(|e| {
                panic!("run the C compiler {cc:?} to build the write-log shim: {e}")
            });
        assert!(
            built.status.success(),
            "building the write-log shim failed:\n{}",
            String::from_utf8_lossy(&built.stderr)
        );
        std::fs::rename(&building, &out).unwrap();
        out
    })
}

/// What one logged call did to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `len` bytes, kept in [`WriteLog::bytes`] from `data`, landed at `offset`.
    Write {
        offset: u64,
        data: usize,
        len: usize,
    },
    /// An fsync or fdatasync; only a successful one promises anything.
    Sync { ok: bool },
    /// The file was cut or extended to `len` bytes.
    Truncate { len: u64 },
}

/// One logged call, with when it ran (CLOCK_MONOTONIC nanoseconds).
#[derive(Debug, Clone, Copy)]
pub struct Op {
    pub change: Change,
    pub start_ns: u64,
    pub end_ns: u64,
}

/// Every call on the file, in the order they ran, and the bytes they wrote.
#[derive(Debug)]
pub struct WriteLog {
    pub ops: Vec<Op>,
    pub bytes: Vec<u8>,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

impl WriteLog {
    /// Parses a log the shim wrote. Panics on a malformed one (the shim aborts rather than
    /// leave a hole, so a short record is a harness fault).
    pub fn parse(log: &[u8]) -> WriteLog {
        let mut ops = Vec::new();
        let mut bytes = Vec::new();
        let mut at = 0;
        while at < log.len() {
            assert!(
                at + HEAD_LEN <= log.len(),
                "a write log ends inside a record"
            );
            let head = &log[at..at + HEAD_LEN];
            let ok = u32_at(head, 12) == 1;
            let offset = u64_at(head, 16);
            let len = usize::try_from(u64_at(head, 24)).unwrap();
            let (start_ns, end_ns) = (u64_at(head, 32), u64_at(head, 40));
            at += HEAD_LEN;
            let change = match u32_at(head, 0) {
                KIND_WRITE => {
                    assert!(at + len <= log.len(), "a write log ends inside a write");
                    let data = bytes.len();
                    bytes.extend_from_slice(&log[at..at + len]);
                    at += len;
                    Change::Write { offset, data, len }
                }
                KIND_SYNC => Change::Sync { ok },
                KIND_TRUNCATE if ok => Change::Truncate { len: offset },
                // A failed truncation changed nothing.
                KIND_TRUNCATE => continue,
                kind => panic!("unknown write log record kind {kind}"),
            };
            ops.push(Op {
                change,
                start_ns,
                end_ns,
            });
        }
        WriteLog { ops, bytes }
    }

    /// The bytes a write op wrote.
    pub fn data(&self, data: usize, len: usize) -> &[u8] {
        &self.bytes[data..data + len]
    }

    /// Applies `op` to `file` as the operating system would (a write past the end extends the
    /// file with zeros before it).
    pub fn apply(&self, op: &Op, file: &mut Vec<u8>) {
        match op.change {
            Change::Write { offset, data, len } => {
                write_at(file, offset as usize, self.data(data, len));
            }
            Change::Truncate { len } => file.resize(len as usize, 0),
            Change::Sync { .. } => {}
        }
    }

    /// The file after every logged call, in order.
    pub fn replay(&self) -> Vec<u8> {
        let mut file = Vec::new();
        for op in &self.ops {
            self.apply(op, &mut file);
        }
        file
    }

    /// The longest successful sync, in nanoseconds (0 when there is none).
    pub fn longest_sync_ns(&self) -> u64 {
        self.ops
            .iter()
            .filter(|op| op.change == Change::Sync { ok: true })
            .map(|op| op.end_ns - op.start_ns)
            .max()
            .unwrap_or(0)
    }

    /// Writes of exactly `bytes` (such as the `JUNK` that retires a moved standard index).
    pub fn writes_of(&self, bytes: &[u8]) -> usize {
        self.ops
            .iter()
            .filter(|op| {
                matches!(op.change, Change::Write { data, len, .. } if self.data(data, len) == bytes)
            })
            .count()
    }

    /// Successful syncs.
    pub fn syncs(&self) -> usize {
        self.ops
            .iter()
            .filter(|op| op.change == Change::Sync { ok: true })
            .count()
    }

    /// When the first successful sync that began at or after `written_ns` ended: the moment a
    /// write that finished at `written_ns` was surely on stable storage.
    pub fn durable_by_ns(&self, written_ns: u64) -> Option<u64> {
        self.ops
            .iter()
            .find(|op| op.change == Change::Sync { ok: true } && op.start_ns >= written_ns)
            .map(|op| op.end_ns)
    }

    /// When the first write of the byte at `at` finished: the moment it was handed to the
    /// operating system.
    pub fn written_by_ns(&self, at: u64) -> Option<u64> {
        self.ops.iter().find_map(|op| match op.change {
            Change::Write { offset, len, .. } if (offset..offset + len as u64).contains(&at) => {
                Some(op.end_ns)
            }
            _ => None,
        })
    }
}

/// Writes `bytes` at `at` into `file`, growing it with zeros as needed.
pub fn write_at(file: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    if file.len() < at + bytes.len() {
        file.resize(at + bytes.len(), 0);
    }
    file[at..at + bytes.len()].copy_from_slice(bytes);
}
