//! What the suite reads from the process and the machine: CPU time, resident memory, external
//! tools, and the scratch directory on the file system under test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// User + system CPU time of this process so far.
pub fn cpu_time() -> Duration {
    rusage_time(libc::RUSAGE_SELF)
}

/// User + system CPU time of this process's children that have ended and been waited for.
pub fn children_cpu_time() -> Duration {
    rusage_time(libc::RUSAGE_CHILDREN)
}

fn rusage_time(who: libc::c_int) -> Duration {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The size of a page of memory, for [`make_resident`].
const PAGE: usize = 4096;

/// Reads a byte of every page of `buffers`, so a timed run finds them in the guest's memory.
/// This VM's host takes back memory a guest has left idle for a few seconds, and gives it back
/// page by page on the next touch: 0.7-0.9 s for the 933 MB of a 300-frame 1080p I420 clip
/// idle for 30 s, against 0.03 s when just used. Rounds leave each contender's input idle
/// while the others run, so without this the first run after the idle paid for it.
pub fn make_resident<B: AsRef<[u8]>>(buffers: &[B]) {
    let mut sum = 0u8;
    for buffer in buffers {
        for page in buffer.as_ref().chunks(PAGE) {
            sum = sum.wrapping_add(page[0]);
        }
    }
    std::hint::black_box(sum);
}

/// As [`make_resident`], for the page cache of the file `path` (which ffmpeg then reads).
pub fn make_file_resident(path: &Path) {
    let mut file = std::fs::File::open(path).unwrap();
    std::io::copy(&mut file, &mut std::io::sink()).unwrap();
}

/// A `/proc/self/status` field in KiB (VmRSS: resident now, VmHWM: peak).
pub fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `path`, with the file an earlier round left there removed and every dirty page of the
/// system written back, so each timed run creates a new file (as a recording to a new name does)
/// and none pays for the write-back of another. Truncating a file whose pages are still being
/// written back makes ext4 wait for that write-back at open and write the new data back at close
/// (its replace-by-truncate heuristic): 50-170 ms a run here. And a run that starts with the
/// gigabytes of the runs before still dirty is throttled to the disk's pace as soon as it adds
/// its own (the kernel's dirty limit): the noisy clip's 1 GB files made two-thread runs vary
/// from 190 to 415 fps. Both measured the file system and the previous contender, not the
/// encoder under test.
pub fn fresh_output(path: PathBuf) -> PathBuf {
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("remove {path:?}: {e}"),
        _ => {
            settle();
            path
        }
    }
}

/// Writes every dirty page of the system back and waits, so the next run starts equal.
pub fn settle() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// Runs a tool, panicking with its stderr when it fails; returns stdout + stderr.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (run scripts/bench.sh)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The venv interpreter with OpenCV (scripts/install-test-deps.sh), or `AVIKIT_PYTHON`.
pub fn python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    std::env::var_os("AVIKIT_PYTHON").map_or(venv, PathBuf::from)
}

/// `frames` frames of ffmpeg's testsrc2 at `width` x `height`, tight BGRA, one buffer.
pub fn testsrc2(width: usize, height: usize, frames: usize, into: &Path) -> Vec<u8> {
    testsrc2_filtered(width, height, frames, "null", into)
}

/// As [`testsrc2`], through the ffmpeg video filter `filter` (e.g. a `noise` filter).
pub fn testsrc2_filtered(
    width: usize,
    height: usize,
    frames: usize,
    filter: &str,
    into: &Path,
) -> Vec<u8> {
    run(Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={width}x{height}:rate=30,{filter}"))
        .args(["-frames:v", &frames.to_string()])
        .args(["-f", "rawvideo", "-pix_fmt", "bgra"])
        .arg(into));
    std::fs::read(into).expect("read the testsrc2 frames")
}

/// The BGRA frames in `raw` converted by ffmpeg into the camera format `pix_fmt` (e.g.
/// `yuv420p`, `nv12`; BT.601 limited range), written to `into` and returned as one buffer.
pub fn camera_frames(
    raw: &Path,
    (width, height): (usize, usize),
    pix_fmt: &str,
    into: &Path,
) -> Vec<u8> {
    run(Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgra",
        ])
        .args(["-s", &format!("{width}x{height}"), "-i"])
        .arg(raw)
        .args(["-f", "rawvideo", "-pix_fmt", pix_fmt])
        .arg(into));
    std::fs::read(into).expect("read the converted frames")
}

/// Average PSNR (dB) of the first video stream of `file` against the tight BGRA frames in
/// `raw`, from ffmpeg's psnr filter. Both sides are renumbered frame by frame, so streams
/// whose timestamps are not one per frame (B-frames in AVI) pair up in display order.
pub fn psnr(file: &Path, raw: &Path, (width, height): (usize, usize)) -> f64 {
    let log = run(Command::new("ffmpeg")
        .args(["-nostdin", "-i"])
        .arg(file)
        .args(["-f", "rawvideo", "-pix_fmt", "bgra", "-framerate", "30"])
        .args(["-s", &format!("{width}x{height}"), "-i"])
        .arg(raw)
        .args([
            "-lavfi",
            "[0:v]setpts=N/(30*TB),format=bgra[a];[1:v]setpts=N/(30*TB)[b];[a][b]psnr",
            "-f",
            "null",
            "-",
        ]));
    log.split("average:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("a PSNR in ffmpeg's output")
}

/// A short description of the machine for the table's heading.
pub fn describe() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024 / 1024);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cpu}, {cpus} CPUs, {mem} GiB RAM, Linux {}", kernel.trim())
}

/// The file system the suite writes to (from `df`).
pub fn describe_fs(dir: &Path) -> String {
    let out = Command::new("df")
        .args(["-hT"])
        .arg(dir)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.lines()
        .nth(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Counts every allocation and reallocation of the process (all threads), so a workload can
/// report allocations per operation.
struct CountingAllocator;

static ALLOCATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// Heap bytes allocated and not yet freed.
static LIVE_BYTES: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

fn add_live(bytes: usize, sign: i64) {
    LIVE_BYTES.fetch_add(sign * bytes as i64, std::sync::atomic::Ordering::Relaxed);
}

// SAFETY: forwards every call unchanged to the system allocator; the counter is a relaxed atomic.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        add_live(layout.size(), 1);
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        add_live(layout.size(), -1);
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        add_live(size, 1);
        add_live(layout.size(), -1);
        // SAFETY: the caller's contract, forwarded.
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations and reallocations so far, by every thread of the process.
pub fn allocations() -> u64 {
    ALLOCATIONS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Heap bytes allocated and not yet freed, by every thread of the process.
pub fn live_heap_bytes() -> i64 {
    LIVE_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}
