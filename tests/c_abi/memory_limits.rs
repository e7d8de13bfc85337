//! Caller-sized buffers (issue 14, item 1): AVK_WRITE_COPY checks the length before it copies,
//! and a copy that cannot be allocated is AVK_E_NO_MEMORY, not an aborted process. The
//! allocation test runs in a child process under an address-space limit (`ulimit -v`).

use crate::common::child::run_alone;
use crate::common::scratch::Scratch;
use avikit::ffi::*;
use std::ffi::CString;
use std::ptr::{null, null_mut};

/// The buffer the child asks to have copied: more than its limit leaves room for.
const BIG: usize = 1536 << 20;
/// Address space the child may map beyond what it has mapped when it sets the limit.
const HEADROOM: u64 = 512 << 20;

/// A writer with one RAW 'XVID' video stream (any frame length up to the chunk limit).
fn raw_writer(scratch: &Scratch) -> (*mut avk_writer, *mut avk_video_stream) {
    let path = CString::new(scratch.path().to_str().unwrap()).unwrap();
    let mut w = null_mut();
    // SAFETY: valid path, NULL options (defaults), writable out-pointer.
    assert_eq!(
        unsafe { avk_writer_create(path.as_ptr(), null(), &mut w) },
        AVK_OK
    );
    let mut o = std::mem::MaybeUninit::<avk_video_stream_options>::uninit();
    // SAFETY: init writes the whole struct.
    let mut o = unsafe {
        avk_video_stream_options_init(o.as_mut_ptr());
        o.assume_init()
    };
    o.width = 16;
    o.height = 16;
    o.fourcc = u32::from_le_bytes(*b"XVID");
    let mut v = null_mut();
    // SAFETY: live writer, initialized options, writable out-pointer.
    assert_eq!(
        unsafe { avk_writer_add_video_stream(w, &o, &mut v) },
        AVK_OK
    );
    (w, v)
}

/// `len` readable zero bytes that occupy address space but no memory.
fn zero_pages(len: usize) -> *const u8 {
    // SAFETY: an anonymous private read-only mapping; no existing memory is touched.
    let p = unsafe {
        libc::mmap(
            null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED, "mmap of {len} bytes");
    p.cast()
}

fn begin_copy(v: *mut avk_video_stream, data: *const u8, len: usize) -> avk_status {
    let mut r = null_mut();
    // SAFETY: `data` is NULL or `len` readable bytes; writable out-pointer.
    let s = unsafe {
        avk_video_stream_begin_write_frame(v, AVK_WRITE_COPY, data, len, None, null_mut(), &mut r)
    };
    if s == AVK_OK {
        // SAFETY: the result begun above.
        assert_eq!(unsafe { avk_video_stream_end_write_frame(v, r) }, AVK_OK);
    }
    s
}

#[test]
fn copy_lengths_over_the_chunk_limit_are_refused_before_any_copy() {
    let scratch = Scratch::new("copy-limit.avi");
    let (w, v) = raw_writer(&scratch);
    // 3 GiB of address space without memory: a copy would take seconds and 3 GB.
    let three_gib = 3usize << 30;
    let data = zero_pages(three_gib);
    let started = std::time::Instant::now();
    for len in [1usize << 40, usize::MAX, three_gib] {
        // Only the first `three_gib` bytes exist: a length check after the copy would read
        // past them (or fail to allocate), so AVK_E_LIMIT proves nothing was copied.
        assert_eq!(begin_copy(v, data, len), AVK_E_LIMIT, "len {len}");
        // SAFETY: as above; the synchronous write must check before it reads, too.
        let s = unsafe { avk_video_stream_write_frame(v, AVK_WRITE_COPY, data, len) };
        assert_eq!(s, AVK_E_LIMIT, "synchronous write of len {len}");
    }
    assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
    assert_eq!(begin_copy(v, [7u8; 64].as_ptr(), 64), AVK_OK);
    // SAFETY: the live writer.
    assert_eq!(unsafe { avk_writer_close(w) }, AVK_OK);
}

/// The child's part: a 1.5 GiB copy under a limit that leaves 512 MiB.
fn copy_under_limit() {
    let scratch = Scratch::new("copy-no-memory.avi");
    let (w, v) = raw_writer(&scratch);
    let data = zero_pages(BIG);
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let vm_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|l| l.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    let limit = libc::rlimit {
        rlim_cur: vm_kib * 1024 + HEADROOM,
        rlim_max: vm_kib * 1024 + HEADROOM,
    };
    // SAFETY: a valid rlimit for this process only.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) }, 0);
    assert_eq!(begin_copy(v, data, BIG), AVK_E_NO_MEMORY);
    let mut msg = [0 as std::ffi::c_char; 256];
    // SAFETY: a writable buffer of its length.
    unsafe { avk_last_error_message(msg.as_mut_ptr(), msg.len()) };
    // SAFETY: NUL-terminated by avk_last_error_message.
    let msg = unsafe { std::ffi::CStr::from_ptr(msg.as_ptr()) };
    assert!(msg.to_str().unwrap().contains("AVK_E_NO_MEMORY"), "{msg:?}");
    // Nothing was queued and the writer is fine: the same bytes borrowed, then a copied frame.
    // SAFETY: `data` stays mapped until after close.
    assert_eq!(
        unsafe { avk_video_stream_write_frame(v, 0, data, 1 << 20) },
        AVK_OK
    );
    assert_eq!(begin_copy(v, [1u8; 64].as_ptr(), 64), AVK_OK);
    // SAFETY: the live writer.
    assert_eq!(unsafe { avk_writer_close(w) }, AVK_OK);
}

#[test]
fn a_copy_that_cannot_be_allocated_is_no_memory() {
    run_alone(
        module_path!(),
        "a_copy_that_cannot_be_allocated_is_no_memory",
        copy_under_limit,
    );
}
