//! The expected-state model: what the test knows of each writer, stream and operation (the
//! counters of every operation live in a slot whose address is its user_state), the payloads
//! that name their operation, and the pool of handles the threads share.

use super::faults::lock;
use super::status::{CANCELED, OK, OP_STATUSES};
use crate::common::rng::TestRng;
use crate::common::scratch::Scratch;
use avikit::ffi::*;
use std::ptr::null_mut;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex};

/// Written into out-pointers before a call: it must still be there when the call failed.
pub(crate) const SENTINEL: usize = 0xA5A5_5A5A_A5A5_5A5A_u64 as usize;
/// Operations per writer (slots for their counters).
pub(crate) const SLOTS: usize = 1200;
/// Fake handle values; none is a live handle.
pub(crate) const FAKES: [usize; 5] = [0x1234_5678, 1, usize::MAX, 0x10, 0xDEAD_BEEF_0000];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Writer,
    Video,
    Audio,
    Async,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpKind {
    Video,
    Audio,
    Flush,
    SyncWrite,
}

pub(crate) const BEGUN_OK: u32 = 1;
pub(crate) const BEGUN_FAILED: u32 = 2;
pub(crate) const NO_STATUS: i32 = -1;

/// Callback plan bits.
pub(crate) const CB_QUERY: u32 = 1;
pub(crate) const CB_FLUSH: u32 = 2;
pub(crate) const CB_CLOSE: u32 = 4;
pub(crate) const CB_BEGIN: u32 = 8;
pub(crate) const CB_END_SELF: u32 = 16;
pub(crate) const CB_WAIT_LAST: u32 = 32;
pub(crate) const CB_CANCEL_LAST: u32 = 64;
pub(crate) const CB_SYNC_WRITE: u32 = 128;
pub(crate) const CB_BEGIN_FLUSH: u32 = 256;

/// The counters of one operation; its address is the operation's user_state.
pub(crate) struct OpSlot {
    pub(crate) index: u32,
    pub(crate) writer: AtomicPtr<WriterRec>,
    pub(crate) kind: Mutex<Option<OpKind>>,
    /// Stream number in the file (writes).
    pub(crate) stream: AtomicU32,
    pub(crate) has_callback: AtomicBool,
    pub(crate) has_out: AtomicBool,
    pub(crate) plan: AtomicU32,
    pub(crate) depth: AtomicU32,
    pub(crate) begun: AtomicU32,
    pub(crate) callbacks: AtomicU32,
    pub(crate) callback_status: AtomicI32,
    /// Status of the end (or of the synchronous write) that released it.
    pub(crate) end_status: AtomicI32,
    pub(crate) cancel_ok: AtomicBool,
}

/// How a video stream turns written frames into chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Codec {
    /// AVK_VIDEO_RAW with fourcc 0: a DIB written as given (or audio).
    Raw,
    /// AVK_VIDEO_UNCOMPRESSED: pixels converted into a DIB of `out_bits`.
    Converted { out_bits: u32 },
    /// AVK_VIDEO_MJPEG.
    Mjpeg,
    /// AVK_VIDEO_H264.
    H264,
}

impl Codec {
    /// Encoded chunks cannot be traced to their operation: they are counted instead.
    pub(crate) fn compressed(self) -> bool {
        matches!(self, Codec::Mjpeg | Codec::H264)
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct StreamRec {
    pub(crate) video: bool,
    pub(crate) handle: usize,
    /// Stream number in the file.
    pub(crate) index: u32,
    /// Exact length of a written frame (a DIB, or input pixels of an encoding stream), or the
    /// block alignment (audio).
    pub(crate) frame_len: usize,
    pub(crate) align: usize,
    pub(crate) codec: Codec,
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Encoding streams: AVK_PIXEL_* of the input.
    pub(crate) input_format: i32,
}

impl StreamRec {
    /// The bytes of operation `slot` of writer `no`, `len` long: tagged bytes, or for encoding
    /// streams (at the right length) a picture of one color naming the slot.
    pub(crate) fn frame(&self, no: u16, slot: u32, len: usize) -> Vec<u8> {
        if self.codec == Codec::Raw || len != self.frame_len {
            return payload(no, slot, len);
        }
        let bgr = [slot as u8, (slot >> 8) as u8, no as u8];
        let pixel: Vec<u8> = match self.input_format {
            AVK_PIXEL_BGRA32 => vec![bgr[0], bgr[1], bgr[2], 0x80],
            AVK_PIXEL_RGBA32 => vec![bgr[2], bgr[1], bgr[0], 0x80],
            AVK_PIXEL_BGR24 => bgr.to_vec(),
            _ => vec![bgr[2], bgr[1], bgr[0]],
        };
        let pitch = len / self.height as usize;
        let mut frame = vec![0xEE; len];
        for row in frame.chunks_exact_mut(pitch) {
            for px in row[..self.width as usize * pixel.len()].chunks_exact_mut(pixel.len()) {
                px.copy_from_slice(&pixel);
            }
        }
        frame
    }
}

/// A custom sink in memory; can fail from its Nth write or on flush.
pub(crate) struct IoSink {
    pub(crate) bytes: Mutex<Vec<u8>>,
    pub(crate) calls: AtomicU64,
    pub(crate) fail_from: Option<u64>,
    pub(crate) fail_flush: bool,
    pub(crate) closes: AtomicU32,
}

pub(crate) struct WriterRec {
    pub(crate) no: u16,
    pub(crate) handle: usize,
    pub(crate) file: Mutex<Option<Scratch>>,
    pub(crate) io: Option<Box<IoSink>>,
    pub(crate) emit_idx1: bool,
    pub(crate) bounded: bool,
    pub(crate) streams: Mutex<Vec<StreamRec>>,
    /// A write or flush with valid arguments was attempted: adding streams may be refused.
    pub(crate) maybe_started: AtomicBool,
    pub(crate) closing: AtomicBool,
    pub(crate) close_won: AtomicBool,
    pub(crate) closed: AtomicBool,
    pub(crate) close_status: AtomicI32,
    pub(crate) slots: Box<[OpSlot]>,
    pub(crate) next_slot: AtomicUsize,
    /// Payloads passed without AVK_WRITE_COPY live here until the writer is dropped.
    pub(crate) arena: Mutex<Vec<Box<[u8]>>>,
    /// Slots in the order their callbacks ran.
    pub(crate) callback_log: Mutex<Vec<u32>>,
    /// The last result handed out by a begin with an out-pointer, for callbacks to poke at.
    pub(crate) last_async: AtomicUsize,
    /// Not checked by external readers (e.g. 100 empty streams).
    pub(crate) skip_readers: AtomicBool,
}

impl WriterRec {
    pub(crate) fn can_fail(&self) -> bool {
        self.io
            .as_ref()
            .is_some_and(|io| io.fail_from.is_some() || io.fail_flush)
    }

    pub(crate) fn alloc_slot(&self, kind: OpKind) -> Option<&OpSlot> {
        let i = self.next_slot.fetch_add(1, Relaxed);
        let slot = self.slots.get(i)?;
        *lock(&slot.kind) = Some(kind);
        Some(slot)
    }

    pub(crate) fn streams(&self) -> Vec<StreamRec> {
        lock(&self.streams).clone()
    }

    /// The statuses an operation of this writer can end with.
    pub(crate) fn op_statuses(&self) -> u32 {
        if self.can_fail() {
            OP_STATUSES
        } else {
            OK | CANCELED
        }
    }
}

pub(crate) fn new_writer_rec(
    no: u16,
    handle: usize,
    file: Option<Scratch>,
    io: Option<Box<IoSink>>,
    emit_idx1: bool,
    bounded: bool,
) -> Arc<WriterRec> {
    let rec = Arc::new(WriterRec {
        no,
        handle,
        file: Mutex::new(file),
        io,
        emit_idx1,
        bounded,
        streams: Mutex::new(Vec::new()),
        maybe_started: AtomicBool::new(false),
        closing: AtomicBool::new(false),
        close_won: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        close_status: AtomicI32::new(NO_STATUS),
        slots: (0..SLOTS as u32)
            .map(|index| OpSlot {
                index,
                writer: AtomicPtr::new(null_mut()),
                kind: Mutex::new(None),
                stream: AtomicU32::new(u32::MAX),
                has_callback: AtomicBool::new(false),
                has_out: AtomicBool::new(false),
                plan: AtomicU32::new(0),
                depth: AtomicU32::new(0),
                begun: AtomicU32::new(0),
                callbacks: AtomicU32::new(0),
                callback_status: AtomicI32::new(NO_STATUS),
                end_status: AtomicI32::new(NO_STATUS),
                cancel_ok: AtomicBool::new(false),
            })
            .collect(),
        next_slot: AtomicUsize::new(0),
        arena: Mutex::new(Vec::new()),
        callback_log: Mutex::new(Vec::new()),
        last_async: AtomicUsize::new(0),
        skip_readers: AtomicBool::new(false),
    });
    let ptr = Arc::as_ptr(&rec) as *mut WriterRec;
    for slot in rec.slots.iter() {
        slot.writer.store(ptr, Relaxed);
    }
    rec
}

/// The payload of operation `slot` of writer `no`: a tag, then bytes derived from it.
pub(crate) fn payload(no: u16, slot: u32, len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len];
    for (i, b) in p.iter_mut().enumerate() {
        *b = (slot as usize * 13 + i * 7 + no as usize * 3) as u8;
    }
    if len >= 12 {
        p[0] = b'A';
        p[1] = b'K';
        p[2..4].copy_from_slice(&no.to_le_bytes());
        p[4..8].copy_from_slice(&slot.to_le_bytes());
        p[8..12].copy_from_slice(&(len as u32).to_le_bytes());
    }
    p
}

// The shared pool of handles.

#[derive(Clone)]
pub(crate) struct AsyncRef {
    pub(crate) handle: usize,
    pub(crate) writer: Arc<WriterRec>,
    pub(crate) kind: OpKind,
    /// The stream (or, for flushes, writer) handle that ends it.
    pub(crate) owner: usize,
    pub(crate) slot: u32,
}

#[derive(Default)]
pub(crate) struct Pool {
    pub(crate) writers: Vec<Arc<WriterRec>>,
    pub(crate) retired: Vec<Arc<WriterRec>>,
    pub(crate) asyncs: Vec<AsyncRef>,
    /// Handles known to be dead: of closed writers, and ended results.
    pub(crate) stale: Vec<(Kind, usize)>,
    pub(crate) next_writer: u16,
}

impl Pool {
    pub(crate) fn push_stale(&mut self, kind: Kind, handle: usize, rng: &mut TestRng) {
        if self.stale.len() < 256 {
            self.stale.push((kind, handle));
        } else {
            let i = rng.below(256) as usize;
            self.stale[i] = (kind, handle);
        }
    }
}

pub(crate) struct Seed {
    pub(crate) seed: u64,
    pub(crate) pool: Mutex<Pool>,
    /// A valid buffer, never written, for calls whose handle is not expected to work.
    pub(crate) junk: Box<[u8]>,
    pub(crate) stats: Mutex<[u64; 16]>,
}

/// A handle argument and whether it is certainly dead.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arg {
    pub(crate) value: usize,
    pub(crate) dead: bool,
}
