//! The handle registry. Handles given to C are never addresses: each encodes a slot index, the
//! slot's generation and a kind tag. A released, stale, foreign or wrong-kind handle therefore
//! fails lookup with `AVK_E_INVALID_HANDLE` instead of being dereferenced.
//!
//! Async results have two independent holds: the caller's (released by end) and the callback's
//! (released when the callback returns). The slot lives while either is held, so a callback can
//! always query its own result, while the caller can no longer use it after end.

use crate::error::{Error, Result, Status};
use crate::queue::{AsyncResult, AudioStream, VideoStream, Writer};
use parking_lot::Mutex;
use std::cell::Cell;
use std::sync::Arc;

/// A live writer handle.
pub(crate) struct WriterObject {
    pub writer: Writer,
}

/// A live async result handle. Cloning it clones the result (a reference count), nothing more.
#[derive(Clone)]
pub(crate) struct AsyncObject {
    pub result: AsyncResult,
    /// The caller's `void *user_state`, stored as an address.
    pub user_state: usize,
}

#[derive(Clone)]
pub(crate) enum Object {
    Writer(Arc<WriterObject>),
    Video(VideoStream),
    Audio(AudioStream),
    Async(AsyncObject),
}

const TAG_WRITER: usize = 1;
const TAG_VIDEO: usize = 2;
const TAG_AUDIO: usize = 3;
const TAG_ASYNC: usize = 4;

impl Object {
    fn tag(&self) -> usize {
        match self {
            Object::Writer(_) => TAG_WRITER,
            Object::Video(_) => TAG_VIDEO,
            Object::Audio(_) => TAG_AUDIO,
            Object::Async(_) => TAG_ASYNC,
        }
    }
}

/// Hold of the caller (released by end or close).
pub(crate) const HOLD_CALLER: u8 = 1;
/// Hold of a pending callback (released when it returns).
pub(crate) const HOLD_CALLBACK: u8 = 2;

struct Entry {
    object: Object,
    /// Id of the writer whose close releases this handle.
    owner: u64,
    holds: u8,
}

struct Slot {
    generation: usize,
    entry: Option<Entry>,
}

struct Registry {
    slots: Vec<Slot>,
    free: Vec<usize>,
}

const TAG_BITS: u32 = 4;
#[cfg(target_pointer_width = "64")]
const INDEX_BITS: u32 = 28;
#[cfg(not(target_pointer_width = "64"))]
const INDEX_BITS: u32 = 16;
const GENERATION_BITS: u32 = usize::BITS - TAG_BITS - INDEX_BITS;

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    slots: Vec::new(),
    free: Vec::new(),
});

thread_local! {
    /// The async handle whose callback runs on this thread right now (0 when none).
    static CURRENT_CALLBACK: Cell<usize> = const { Cell::new(0) };
}

fn encode(index: usize, generation: usize, tag: usize) -> usize {
    (generation << (TAG_BITS + INDEX_BITS)) | (index << TAG_BITS) | tag
}

fn decode(handle: usize) -> (usize, usize, usize) {
    let tag = handle & ((1 << TAG_BITS) - 1);
    let index = (handle >> TAG_BITS) & ((1 << INDEX_BITS) - 1);
    let generation = handle >> (TAG_BITS + INDEX_BITS);
    (index, generation, tag)
}

fn invalid(what: &str) -> Error {
    Error::new(
        Status::InvalidHandle,
        format!("{what} is NULL, released, stale or not a {what} handle"),
    )
}

impl Registry {
    fn entry_mut(&mut self, handle: usize, tag: usize) -> Option<&mut Entry> {
        let (index, generation, handle_tag) = decode(handle);
        let slot = self.slots.get_mut(index)?;
        if handle_tag != tag || slot.generation != generation {
            return None;
        }
        slot.entry.as_mut().filter(|e| e.object.tag() == tag)
    }

    fn free_slot(&mut self, index: usize) {
        let slot = &mut self.slots[index];
        slot.entry = None;
        // Generation 0 is never used, so a zeroed handle never matches.
        slot.generation = (slot.generation + 1) & ((1 << GENERATION_BITS) - 1);
        if slot.generation == 0 {
            slot.generation = 1;
        }
        self.free.push(index);
    }
}

/// Registers `object` with `holds` and returns its handle.
///
/// # Errors
/// [`Status::Limit`] when every slot is taken.
pub(crate) fn insert(object: Object, owner: u64, holds: u8) -> Result<usize> {
    let mut reg = REGISTRY.lock();
    let index = match reg.free.pop() {
        Some(i) => i,
        None => {
            if reg.slots.len() >= (1 << INDEX_BITS) - 1 {
                return Err(Error::new(Status::Limit, "too many live avikit handles"));
            }
            reg.slots.push(Slot {
                generation: 1,
                entry: None,
            });
            reg.slots.len() - 1
        }
    };
    let tag = object.tag();
    let slot = &mut reg.slots[index];
    slot.entry = Some(Entry {
        object,
        owner,
        holds,
    });
    Ok(encode(index, slot.generation, tag))
}

fn lookup(handle: usize, tag: usize, what: &str) -> Result<Object> {
    let mut reg = REGISTRY.lock();
    let entry = reg.entry_mut(handle, tag).ok_or_else(|| invalid(what))?;
    let usable = entry.holds & HOLD_CALLER != 0
        || (entry.holds & HOLD_CALLBACK != 0 && CURRENT_CALLBACK.with(Cell::get) == handle);
    if !usable {
        return Err(invalid(what));
    }
    Ok(entry.object.clone())
}

/// The writer behind `handle`.
pub(crate) fn writer(handle: usize) -> Result<Arc<WriterObject>> {
    match lookup(handle, TAG_WRITER, "writer")? {
        Object::Writer(w) => Ok(w),
        _ => Err(invalid("writer")),
    }
}

/// The video stream behind `handle`.
pub(crate) fn video(handle: usize) -> Result<VideoStream> {
    match lookup(handle, TAG_VIDEO, "video stream")? {
        Object::Video(s) => Ok(s),
        _ => Err(invalid("video stream")),
    }
}

/// The audio stream behind `handle`.
pub(crate) fn audio(handle: usize) -> Result<AudioStream> {
    match lookup(handle, TAG_AUDIO, "audio stream")? {
        Object::Audio(s) => Ok(s),
        _ => Err(invalid("audio stream")),
    }
}

/// The async result behind `handle`, usable by the caller until end, and by its callback.
pub(crate) fn async_result(handle: usize) -> Result<AsyncObject> {
    match lookup(handle, TAG_ASYNC, "async result")? {
        Object::Async(a) => Ok(a),
        _ => Err(invalid("async result")),
    }
}

/// Drops `hold` of an async result handle; the slot is freed once no hold remains.
///
/// # Errors
/// [`Status::InvalidHandle`] when the handle is not live or `hold` was already released (a
/// second end).
pub(crate) fn release_async(handle: usize, hold: u8) -> Result<()> {
    let mut reg = REGISTRY.lock();
    let entry = reg
        .entry_mut(handle, TAG_ASYNC)
        .filter(|e| e.holds & hold != 0)
        .ok_or_else(|| invalid("async result"))?;
    entry.holds &= !hold;
    if entry.holds == 0 {
        reg.free_slot(decode(handle).0);
    }
    Ok(())
}

/// Frees every handle owned by writer `owner` (its streams and un-ended results) and the
/// writer handle itself.
pub(crate) fn release_writer(writer_handle: usize, owner: u64) {
    let mut reg = REGISTRY.lock();
    let owned: Vec<usize> = reg
        .slots
        .iter()
        .enumerate()
        .filter(|(_, s)| s.entry.as_ref().is_some_and(|e| e.owner == owner))
        .map(|(i, _)| i)
        .collect();
    for index in owned {
        reg.free_slot(index);
    }
    debug_assert!(reg.entry_mut(writer_handle, TAG_WRITER).is_none());
}

/// Runs `f` as the callback of async handle `handle`: lookups of that handle succeed inside it
/// even after the caller ended the result; afterwards the callback's hold is released.
pub(crate) fn run_as_callback(handle: usize, f: impl FnOnce()) {
    let previous = CURRENT_CALLBACK.with(|c| c.replace(handle));
    f();
    CURRENT_CALLBACK.with(|c| c.set(previous));
    let _ = release_async(handle, HOLD_CALLBACK);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_fields_round_trip() {
        let h = encode(12345, 77, 3);
        assert_eq!(decode(h), (12345, 77, 3));
        assert_ne!(encode(0, 1, 1), 0);
    }
}
