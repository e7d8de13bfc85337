//! Shared helpers of the integration tests: scratch paths, test content (numbered frames among
//! it), and the external readers (ffmpeg, ffprobe, mediainfo, PyAV, GStreamer, VLC, MPlayer)
//! that judge the files.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod odml;

/// A file path under the target directory, removed when dropped unless the test is failing
/// (then it stays for inspection and its path is printed).
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("avikit-tests");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Scratch(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept for inspection: {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A deterministic bottom-up 32-bit DIB frame: every byte depends on frame, row and column.
pub fn dib_frame(width: usize, height: usize, bpp: usize, n: usize) -> Vec<u8> {
    let stride = (width * bpp).div_ceil(32) * 4;
    let mut frame = vec![0u8; stride * height];
    for row in 0..height {
        for x in 0..width * bpp / 8 {
            frame[row * stride + x] = (x * 7 + row * 13 + n * 29) as u8;
        }
    }
    frame
}

/// Frame numbers drawn into pictures, read back by every reader through
/// tests/tools/frame_code.py (`avi_check --frame-numbers N`): the picture is a grid of
/// `FRAME_CODE_COLUMNS` x `FRAME_CODE_ROWS` flat black or white cells spelling, left to right and
/// top to bottom, the bits (most significant first, white = 1) of the number followed by
/// `FRAME_CODE_CHECK_BITS` checksum bits. Lossless formats carry it at any size of at least one
/// pixel per cell; through MJPEG and H.264 at default quality, YUV 4:2:0 and gray conversion it
/// needs cells of at least 8x12 pixels: `NUMBERED_MIN_WIDTH` x `NUMBERED_MIN_HEIGHT`.
pub const FRAME_CODE_COLUMNS: usize = 8;
pub const FRAME_CODE_ROWS: usize = 4;
pub const FRAME_CODE_CHECK_BITS: u32 = 12;
pub const NUMBERED_MIN_WIDTH: usize = 64;
pub const NUMBERED_MIN_HEIGHT: usize = 48;

/// The 32-bit code word of frame `n`: the number, then its checksum (the same multiplicative
/// hash as frame_code.py's `check`).
fn frame_code_word(n: usize) -> u32 {
    let number = u32::try_from(n)
        .ok()
        .filter(|&v| v < 1 << (32 - FRAME_CODE_CHECK_BITS))
        .expect("frame number fits the code");
    let check =
        number.wrapping_mul(0x9E37_79B1).wrapping_add(0x7F4A_7C15) >> (32 - FRAME_CODE_CHECK_BITS);
    (number << FRAME_CODE_CHECK_BITS) | check
}

/// Whether pixel (`x`, `y`) (top-down) of numbered frame `n` is white.
fn numbered_white(width: usize, height: usize, n: usize, x: usize, y: usize) -> bool {
    assert!(
        width >= FRAME_CODE_COLUMNS && height >= FRAME_CODE_ROWS,
        "a numbered frame needs at least one pixel per cell"
    );
    let cell = (y * FRAME_CODE_ROWS / height) * FRAME_CODE_COLUMNS + x * FRAME_CODE_COLUMNS / width;
    frame_code_word(n) >> (31 - cell) & 1 == 1
}

/// Numbered frame `n` as tight top-down BGRA (for encoding streams): black or white pixels.
pub fn numbered_bgra(width: usize, height: usize, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(width * height * 4);
    for y in 0..height {
        for x in 0..width {
            let v = if numbered_white(width, height, n, x, y) {
                255
            } else {
                0
            };
            out.extend_from_slice(&[v, v, v, 255]);
        }
    }
    out
}

/// Numbered frame `n` as a bottom-up DIB of `bpp` bits (8: indexes into avikit's gray palette;
/// 16: RGB555), rows padded to 4 bytes.
pub fn numbered_dib(width: usize, height: usize, bpp: usize, n: usize) -> Vec<u8> {
    let stride = (width * bpp).div_ceil(32) * 4;
    let white: &[u8] = match bpp {
        8 => &[255],
        16 => &[0xFF, 0x7F],
        24 => &[255; 3],
        32 => &[255; 4],
        _ => panic!("no numbered DIB of {bpp} bits"),
    };
    let mut frame = vec![0u8; stride * height];
    for y in 0..height {
        let row = (height - 1 - y) * stride;
        for x in 0..width {
            if numbered_white(width, height, n, x, y) {
                frame[row + x * white.len()..][..white.len()].copy_from_slice(white);
            }
        }
    }
    frame
}

/// Interleaved 16-bit stereo PCM of `samples` sample frames, a different tone per call index.
pub fn pcm_block(samples: usize, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples * 4);
    for i in 0..samples {
        let t = (n * samples + i) as f64 / 44100.0;
        let v = ((t * 440.0 * std::f64::consts::TAU).sin() * 12000.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
        out.extend_from_slice(&(v / 2).to_le_bytes());
    }
    out
}

/// The Python that runs the tests' tools: $AVIKIT_PYTHON, else the project's .venv, else
/// python3 from PATH.
pub fn python() -> String {
    if let Ok(p) = std::env::var("AVIKIT_PYTHON") {
        return p;
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if venv.exists() {
        return venv.display().to_string();
    }
    "python3".to_string()
}

/// Runs tests/tools/avi_check.py (ffmpeg strict decode, ffprobe packet counts against header
/// counts, mediainfo, PyAV, and every frame through GStreamer, VLC and MPlayer; with
/// `--frame-numbers N` each reader's pictures must carry 0..N-1) with `args`; panics with its
/// report when any check fails. Returns its JSON report.
pub fn avi_check(path: &Path, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/avi_check.py");
    let out = Command::new(python())
        .arg(script)
        .arg(path)
        .args(args)
        .output()
        .expect("run avi_check.py (install test deps: scripts/install-test-deps.sh)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "avi_check failed for {}:\n{}\n{}",
        path.display(),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Starts this test binary again to run only the ignored test `name` (the recording child of
/// a crash test) with `var` set to `path`: stdout piped to the parent, stderr discarded.
pub fn spawn_child_test(name: &str, var: &str, path: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(var, path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the child test")
}

/// The --slots JSON of tests/tools/timing_check.py: a video stream of `total` slots at
/// `rate` (num, den) frames per second, numbered frame `n` in slot `k` for each `(n, k)`.
pub fn timing_slots_json(rate: (u32, u32), total: u64, slots: &[(usize, u64)]) -> String {
    let slots: Vec<String> = slots.iter().map(|(n, k)| format!("\"{n}\": {k}")).collect();
    format!(
        "{{\"rate\": [{}, {}], \"total\": {total}, \"slots\": {{{}}}}}",
        rate.0,
        rate.1,
        slots.join(", ")
    )
}

/// Runs tests/tools/timing_check.py on `path` with `slots` (its --slots JSON, kept in scratch
/// file `name`); panics with its report unless every reader passes. Returns the report.
pub fn timing_check(path: &Path, name: &str, slots: &str) -> serde_json::Value {
    let json = Scratch::new(name);
    std::fs::write(json.path(), slots).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/timing_check.py");
    let out = Command::new(python())
        .arg(script)
        .arg(path)
        .arg("--slots")
        .arg(json.path())
        .output()
        .expect("run timing_check.py (install test deps: scripts/install-test-deps.sh)");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "timing_check failed for {}:\n{report}\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&report).unwrap()
}

/// The names of the allowances a timing_check report applied, sorted.
pub fn allowances(report: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = report["allowances"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

/// Runs tests/tools/reader_census.py: one line per reader with the frames it delivered from the
/// first (numbered) video stream of `path` and their first and last frame numbers. Judges
/// nothing; panics only if the census cannot run.
pub fn reader_census(path: &Path) -> String {
    census_output(path, &[])
}

/// What `readers` (reader_census.py's names: "gstreamer", "vlc", ...) deliver from the first
/// video stream of `path`: per reader, frames, first and last frame number, unreadable ones.
pub fn reader_frames(path: &Path, readers: &[&str]) -> serde_json::Value {
    let joined = readers.join(",");
    let out = census_output(path, &["--json", "--readers", &joined]);
    serde_json::from_str(&out).expect("reader_census.py prints JSON")
}

fn census_output(path: &Path, args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/reader_census.py");
    let out = Command::new(python())
        .arg(script)
        .arg(path)
        .args(args)
        .output()
        .expect("run reader_census.py (install test deps: scripts/install-test-deps.sh)");
    assert!(
        out.status.success(),
        "reader_census failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Decodes stream `map` (e.g. "0:v:0") with ffmpeg's strict decoder into raw `format` bytes;
/// fails unless ffmpeg exits 0 and prints nothing.
pub fn ffmpeg_decode(path: &Path, map: &str, format: &str, extra: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-err_detect",
            "explode",
            "-xerror",
            "-i",
        ])
        .arg(path)
        .args(["-map", map])
        .args(extra)
        .args(["-f", format, "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffmpeg decode of {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Flips a bottom-up DIB frame into top-down rows without padding, as ffmpeg outputs it.
pub fn dib_to_top_down(frame: &[u8], width: usize, height: usize, bpp: usize) -> Vec<u8> {
    let stride = (width * bpp).div_ceil(32) * 4;
    let row_bytes = width * bpp / 8;
    let mut out = Vec::with_capacity(row_bytes * height);
    for row in (0..height).rev() {
        out.extend_from_slice(&frame[row * stride..row * stride + row_bytes]);
    }
    out
}

/// Reads a little-endian u32 at `at`.
pub fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// Finds the first occurrence of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Runs the venv's Python on `code` with `args`; returns stdout, panics on failure.
pub fn python_run(code: &str, args: &[&str]) -> String {
    let out = Command::new(python())
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Frames OpenCV's own AVI reader (CAP_OPENCV_MJPEG, strict about idx1) reads from `path`.
pub fn opencv_mjpeg_frames(path: &Path) -> usize {
    let code = "import sys, cv2\n\
        cap = cv2.VideoCapture(sys.argv[1], cv2.CAP_OPENCV_MJPEG)\n\
        assert cap.isOpened(), 'OpenCV could not open the file'\n\
        n = 0\n\
        while True:\n\
        \x20   ok, frame = cap.read()\n\
        \x20   if not ok: break\n\
        \x20   n += 1\n\
        print(n)\n";
    python_run(code, &[path.to_str().unwrap()])
        .trim()
        .parse()
        .unwrap()
}

/// A RIFF chunk found while walking a file: id, body offset, body size, list form.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub id: [u8; 4],
    pub form: Option<[u8; 4]>,
    pub offset: usize,
    pub size: usize,
    pub depth: usize,
}

/// Every chunk and list of `bytes`, depth-first, in file order. Panics on structural faults
/// (sizes running past their parent).
pub fn walk(bytes: &[u8]) -> Vec<Chunk> {
    fn go(bytes: &[u8], start: usize, end: usize, depth: usize, out: &mut Vec<Chunk>) {
        let mut at = start;
        while at + 8 <= end {
            let id: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
            let size = le32(bytes, at + 4) as usize;
            let body = at + 8;
            assert!(
                body + size <= end,
                "chunk {:?} at {at} runs past its parent",
                String::from_utf8_lossy(&id)
            );
            let is_list = &id == b"RIFF" || &id == b"LIST";
            let form = is_list.then(|| bytes[body..body + 4].try_into().unwrap());
            out.push(Chunk {
                id,
                form,
                offset: body,
                size,
                depth,
            });
            if is_list {
                go(bytes, body + 4, body + size, depth + 1, out);
            }
            at = body + size + (size & 1);
        }
        assert_eq!(at, end, "trailing bytes in a list");
    }
    let mut out = Vec::new();
    go(bytes, 0, bytes.len(), 0, &mut out);
    out
}

/// The first chunk with id `id`.
pub fn first<'a>(chunks: &'a [Chunk], id: &[u8; 4]) -> &'a Chunk {
    chunks
        .iter()
        .find(|c| &c.id == id)
        .unwrap_or_else(|| panic!("no {:?} chunk", String::from_utf8_lossy(id)))
}

/// `AVIKIT_RANDOM_SEEDS=1`: a seed from the clock, for randomized tests to run more than their
/// fixed seeds (printing what they run). Unset, they run their fixed seeds only, so two runs of
/// one commit do the same.
pub fn random_seed() -> Option<u64> {
    if !std::env::var("AVIKIT_RANDOM_SEEDS").is_ok_and(|v| v == "1") {
        return None;
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    Some(now.unwrap().as_nanos() as u64)
}

/// A small seeded pseudo-random generator (SplitMix64) for reproducible randomized tests.
#[derive(Debug, Clone)]
pub struct TestRng(u64);

impl TestRng {
    pub fn new(seed: u64) -> TestRng {
        TestRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A random element of `items`, `None` when empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.below(items.len() as u64) as usize])
        }
    }
}

/// A stream data chunk (`##db`, `##dc`, `##wb`) found in a `movi` list.
#[derive(Debug, Clone)]
pub struct DataChunk {
    /// Stream number from the chunk id.
    pub stream: usize,
    pub id: [u8; 4],
    /// Body offset and size.
    pub offset: usize,
    pub size: usize,
    /// Which `movi` list (0 = the first RIFF's) holds it.
    pub movi: usize,
    /// File position of the `movi` fourcc of that list (idx1 offsets are relative to it).
    pub movi_at: usize,
}

/// Every stream data chunk of every `movi` list of a walked file, in file order. Index chunks
/// (`ix##`) and `JUNK` are skipped.
pub fn data_chunks(chunks: &[Chunk]) -> Vec<DataChunk> {
    let movis: Vec<&Chunk> = chunks
        .iter()
        .filter(|c| &c.id == b"LIST" && c.form == Some(*b"movi"))
        .collect();
    let mut out = Vec::new();
    for (n, movi) in movis.iter().enumerate() {
        let (start, end) = (movi.offset + 4, movi.offset + movi.size);
        for c in chunks {
            // By the header: an empty chunk that ends the list has its body offset at `end`.
            if c.depth == movi.depth + 1
                && c.offset - 8 >= start
                && c.offset - 8 < end
                && c.id[0].is_ascii_digit()
                && c.id[1].is_ascii_digit()
            {
                out.push(DataChunk {
                    stream: usize::from(c.id[0] - b'0') * 10 + usize::from(c.id[1] - b'0'),
                    id: c.id,
                    offset: c.offset,
                    size: c.size,
                    movi: n,
                    movi_at: movi.offset,
                });
            }
        }
    }
    out
}

/// Checks that the `idx1` of `bytes` lists exactly the data chunks of the first `movi` list, in
/// order, with their ids, offsets (relative to the `movi` fourcc) and sizes. Returns the flags
/// of every entry; panics on a mismatch.
pub fn check_idx1(bytes: &[u8], chunks: &[Chunk], data: &[DataChunk]) -> Vec<u32> {
    let idx1 = first(chunks, b"idx1");
    assert_eq!(idx1.size % 16, 0, "idx1 size is not a multiple of 16");
    let first_movi: Vec<&DataChunk> = data.iter().filter(|d| d.movi == 0).collect();
    assert_eq!(
        idx1.size / 16,
        first_movi.len(),
        "idx1 entries vs data chunks of the first movi"
    );
    let mut flags = Vec::with_capacity(first_movi.len());
    for (i, d) in first_movi.iter().enumerate() {
        let at = idx1.offset + i * 16;
        let id: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
        assert_eq!(id, d.id, "idx1 entry {i}: id");
        assert_eq!(
            le32(bytes, at + 8) as usize,
            d.offset - 8 - d.movi_at,
            "idx1 entry {i}: offset"
        );
        assert_eq!(
            le32(bytes, at + 12) as usize,
            d.size,
            "idx1 entry {i}: size"
        );
        flags.push(le32(bytes, at + 4));
    }
    flags
}

/// Begins one write per input on `video`, each with a callback that records its index, then
/// ends them all. Returns the recorded order; read it after closing the writer, which is when
/// every callback has surely run.
pub fn write_recording_order(
    video: &avikit::VideoStream,
    inputs: impl IntoIterator<Item = Vec<u8>>,
) -> std::sync::Arc<parking_lot::Mutex<Vec<usize>>> {
    let order = std::sync::Arc::new(parking_lot::Mutex::new(Vec::new()));
    let results: Vec<avikit::AsyncResult> = inputs
        .into_iter()
        .enumerate()
        .map(|(n, input)| {
            let order = std::sync::Arc::clone(&order);
            let cb = Box::new(move |_: &avikit::AsyncResult| order.lock().push(n));
            video
                .begin_write_frame(false, avikit::Payload::owned(input), Some(cb))
                .unwrap()
        })
        .collect();
    results
        .into_iter()
        .for_each(|r| video.end_write_frame(r).unwrap());
    order
}

/// Realistic moving content from ffmpeg's testsrc2: `frames` tight top-down BGRA frames.
pub fn testsrc2(width: usize, height: usize, frames: usize) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={width}x{height}:rate=30"))
        .args(["-frames:v", &frames.to_string()])
        .args(["-f", "rawvideo", "-pix_fmt", "bgra", "-"])
        .output()
        .expect("run ffmpeg (install test deps: scripts/install-test-deps.sh)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frames: Vec<Vec<u8>> = out
        .stdout
        .chunks_exact(width * height * 4)
        .map(<[u8]>::to_vec)
        .collect();
    assert!(!frames.is_empty());
    frames
}

/// FFmpeg's own AVI of numbered pictures 0..`frames` (`width` x `height`, fed as BGRA at
/// 30 fps): the same frames avikit's files carry, for showing that a reader's limit holds on a
/// file FFmpeg wrote too. `output` (codec, filters) comes before the output path.
pub fn ffmpeg_numbered(path: &Path, width: usize, height: usize, frames: usize, output: &[&str]) {
    let mut child = Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgra",
        ])
        .args(["-s", &format!("{width}x{height}"), "-r", "30", "-i", "-"])
        .args(output)
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("run ffmpeg");
    let mut stdin = child.stdin.take().unwrap();
    for n in 0..frames {
        stdin.write_all(&numbered_bgra(width, height, n)).unwrap();
    }
    drop(stdin);
    assert!(
        child.wait().unwrap().success(),
        "ffmpeg could not write {}",
        path.display()
    );
}

/// Average PSNR (dB) of the first video stream of `path` against the BGRA `frames`, from
/// ffmpeg's psnr filter (both sides compared as BGRA).
pub fn psnr(path: &Path, frames: &[Vec<u8>], width: usize, height: usize) -> f64 {
    // One reference file per call: tests of one binary run in parallel in one process.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let reference = Scratch::new(&format!("psnr-reference-{call}.bgra"));
    std::fs::write(reference.path(), frames.concat()).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-i"])
        .arg(path)
        .args(["-f", "rawvideo", "-pix_fmt", "bgra", "-framerate", "30"])
        .args(["-s", &format!("{width}x{height}"), "-i"])
        .arg(reference.path())
        .args([
            "-lavfi",
            "[0:v]format=bgra[a];[a][1:v]psnr",
            "-f",
            "null",
            "-",
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let average = log
        .split("average:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no PSNR in ffmpeg output: {log}"));
    average.parse().unwrap()
}

/// The keyframe flag of every entry of stream 0, as `idx1` and as the `ix00` standard indexes
/// record it.
pub fn index_keyframes(bytes: &[u8]) -> (Vec<bool>, Vec<bool>) {
    let chunks = walk(bytes);
    let idx1 = first(&chunks, b"idx1");
    let from_idx1 = (0..idx1.size / 16)
        .filter(|e| &bytes[idx1.offset + e * 16..idx1.offset + e * 16 + 2] == b"00")
        .map(|e| le32(bytes, idx1.offset + e * 16 + 4) & 0x10 != 0)
        .collect();
    let mut from_ix = Vec::new();
    for ix in chunks.iter().filter(|c| &c.id == b"ix00") {
        let count = le32(bytes, ix.offset + 4) as usize;
        for e in 0..count {
            from_ix.push(le32(bytes, ix.offset + 24 + e * 8 + 4) & 0x8000_0000 == 0);
        }
    }
    (from_idx1, from_ix)
}

/// Where stream `select` ("v:0", "a:0") of `path` ends in ffprobe's reading, in seconds: the
/// last packet's time plus its duration. ffprobe must read the file without a word of warning.
pub fn ffprobe_duration(path: &Path, select: &str) -> f64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", select])
        .args([
            "-show_entries",
            "packet=pts_time,duration_time",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "ffprobe on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    let mut fields = last.split(',').map(|f| f.trim().parse::<f64>());
    match (fields.next(), fields.next()) {
        (Some(Ok(pts)), Some(Ok(duration))) => pts + duration,
        _ => panic!("ffprobe packets of {select}: {last:?}"),
    }
}

/// The sizes of stream `stream`'s data chunks in every `movi` of `bytes`, in file order.
pub fn stream_chunk_sizes(bytes: &[u8], stream: usize) -> Vec<usize> {
    data_chunks(&walk(bytes))
        .iter()
        .filter(|c| c.stream == stream)
        .map(|c| c.size)
        .collect()
}

/// The payload of every data chunk of stream `stream`, concatenated in file order.
pub fn stream_payload(bytes: &[u8], stream: usize) -> Vec<u8> {
    data_chunks(&walk(bytes))
        .iter()
        .filter(|c| c.stream == stream)
        .flat_map(|c| bytes[c.offset..c.offset + c.size].to_vec())
        .collect()
}
