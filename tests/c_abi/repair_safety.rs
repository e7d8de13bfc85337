//! Inspection and repair never hang on what is not a regular file, never truncate their own
//! input, and never write anywhere but a fresh temporary file of their own (issue 14, items 3,
//! 6 and 7).

use avikit::repair::{inspect_file, repair_file};
use avikit::{FourCc, Status, VideoFormat, Writer, WriterOptions};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// A directory of its own per test, so that leftovers can be seen; removed unless failing.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("avikit-tests")
            .join(format!("{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    /// The names in the directory, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A recording of 192 frames cut inside its last frame, as a crash leaves it.
fn crashed_file(path: &Path) -> Vec<u8> {
    let options = WriterOptions::default().with_checkpoint_interval(None);
    let writer = Writer::create(path, options).unwrap();
    let video = writer
        .add_video_stream(VideoFormat::compressed(8, 8, FourCc::new(*b"XVID")), None)
        .unwrap();
    for n in 0..192u32 {
        video.write_frame(true, &vec![n as u8; 1000]).unwrap();
    }
    writer.close().unwrap();
    let bytes = std::fs::read(path).unwrap();
    // Cut 500 bytes into the last frame: idx1 and the frame's end are gone.
    let header = [b"00dc".as_slice(), &1000u32.to_le_bytes()].concat();
    let last = bytes
        .windows(8)
        .rposition(|w| w == header)
        .expect("a frame chunk");
    let cut = bytes[..last + 8 + 500].to_vec();
    std::fs::write(path, &cut).unwrap();
    cut
}

/// Runs `f` on another thread; fails the test if it has not returned within 10 s.
fn within_seconds<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what} did not return within 10 s"))
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn a_fifo_is_refused_at_once_by_inspect_and_repair() {
    let dir = Dir::new("fifo");
    let fifo = dir.join("pipe.avi");
    mkfifo(&fifo);
    let f = fifo.clone();
    let e = within_seconds("inspect_file on a FIFO", move || inspect_file(&f)).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");
    assert!(e.message().contains("pipe.avi"), "{e}");
    assert!(e.message().contains("not a regular file"), "{e}");
    let f = fifo.clone();
    let e = within_seconds("repair_file on a FIFO", move || repair_file(&f, None)).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArgument, "{e}");

    // The C function, too.
    let f = fifo.clone();
    let status = within_seconds("avk_inspect_file on a FIFO", move || {
        let c = std::ffi::CString::new(f.as_os_str().as_bytes()).unwrap();
        let mut report: avikit::ffi::avk_file_report = unsafe { std::mem::zeroed() };
        report.struct_size = std::mem::size_of_val(&report) as u32;
        // SAFETY: a NUL-terminated path and a report of the size it says.
        unsafe { avikit::ffi::avk_inspect_file(c.as_ptr(), &mut report) }
    });
    assert_eq!(status, avikit::ffi::AVK_E_INVALID_ARGUMENT);
}

#[test]
fn a_directory_is_an_io_error() {
    let dir = Dir::new("directory");
    let sub = dir.join("sub.avi");
    std::fs::create_dir(&sub).unwrap();
    let e = inspect_file(&sub).unwrap_err();
    assert_eq!(e.status(), Status::Io, "{e}");
    assert!(e.message().contains("directory"), "{e}");
    assert_eq!(repair_file(&sub, None).unwrap_err().status(), Status::Io);
}

#[test]
fn an_output_that_is_the_input_is_refused_and_the_input_kept() {
    let dir = Dir::new("same-file");
    let file = dir.join("rec.avi");
    let original = crashed_file(&file);
    let link = dir.join("link.avi");
    std::fs::hard_link(&file, &link).unwrap();
    let symlink = dir.join("symlink.avi");
    std::os::unix::fs::symlink(&file, &symlink).unwrap();
    let dotted = dir.0.join(".").join("rec.avi");
    for out in [&file, &dotted, &link, &symlink] {
        let e = repair_file(&file, Some(out)).unwrap_err();
        assert_eq!(
            e.status(),
            Status::InvalidArgument,
            "{}: {e}",
            out.display()
        );
        assert!(e.message().contains("is the input"), "{e}");
        assert_eq!(std::fs::read(&file).unwrap(), original, "{}", out.display());
    }
    // A real output still works and keeps the 191 complete frames.
    let report = repair_file(&file, Some(&dir.join("out.avi"))).unwrap();
    assert_eq!(report.video_frames, 191);
}

#[test]
fn in_place_repair_does_not_follow_a_planted_temporary_name() {
    let dir = Dir::new("symlink");
    let file = dir.join("rec.avi");
    crashed_file(&file);
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    // The name the repair once used for its temporary file, planted by someone else.
    std::os::unix::fs::symlink(&victim, dir.join("rec.avi.avikit-repair")).unwrap();
    let report = repair_file(&file, None).unwrap();
    assert_eq!(report.video_frames, 191);
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert_eq!(inspect_file(&file).unwrap().video_frames, 191);
    assert_eq!(
        dir.names(),
        ["rec.avi", "rec.avi.avikit-repair", "victim.txt"]
    );
}

#[test]
fn in_place_repair_keeps_the_permissions_of_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new("permissions");
    let file = dir.join("rec.avi");
    crashed_file(&file);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    repair_file(&file, None).unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[cfg(feature = "cli")]
#[test]
fn a_failed_in_place_repair_leaves_the_file_and_no_temporary_file() {
    use std::os::unix::process::CommandExt;
    let dir = Dir::new("full-disk");
    let file = dir.join("rec.avi");
    let original = crashed_file(&file);
    // A file size limit below the repaired size: the output's writes fail (EFBIG), as on a
    // full disk, once the temporary file has been created.
    let limit = original.len() as u64 / 2;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_avikit"));
    command.arg("repair").arg(&file);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let l = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &l) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.output().unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(std::fs::read(&file).unwrap(), original);
    assert_eq!(dir.names(), ["rec.avi"]);
}

#[cfg(feature = "cli")]
#[test]
fn the_tool_refuses_a_fifo_and_its_own_input() {
    let dir = Dir::new("cli");
    let fifo = dir.join("pipe.avi");
    mkfifo(&fifo);
    let f = fifo.clone();
    let out = within_seconds("avikit inspect on a FIFO", move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_avikit"))
            .arg("inspect")
            .arg(&f)
            .output()
            .unwrap()
    });
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
    let file = dir.join("rec.avi");
    let original = crashed_file(&file);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_avikit"))
        .current_dir(&dir.0)
        .args(["repair", "rec.avi", "-o", "./rec.avi"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(std::fs::read(&file).unwrap(), original);
}
