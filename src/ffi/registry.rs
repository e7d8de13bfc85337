//! The handle registry. Handles given to C are never addresses: each encodes a slot index, the
//! slot's generation and a kind tag. A released, stale, foreign or wrong-kind handle therefore
//! fails lookup with `AVK_E_INVALID_HANDLE` instead of being dereferenced.
//!
//! Async results have two independent holds: the caller's (released by end) and the callback's
//! (released when the callback returns). The slot lives while either is held, so a callback can
//! always query its own result, while the caller can no longer use it after end.
//!
//! Not `slab` or `slotmap`: slab has no generations, so a stale handle would reach its slot's
//! next occupant; slotmap has versioned keys but hands out the most recently freed slot first,
//! while C callers that keep a stale pointer are best served by the opposite, the oldest freed
//! slot and only once many are free (see `free`), so a stale handle meets its slot in use again
//! as rarely as possible. What is left to share with those crates is a `Vec` and a `VecDeque`.

use crate::error::{Error, Result, Status};
use crate::queue::{AsyncResult, AudioStream, VideoStream, Writer, WriterState};
use parking_lot::Mutex;
use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
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
    /// An async handle reserved before its operation was begun, until [`fill_async`].
    PendingAsync,
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
            Object::Async(_) | Object::PendingAsync => TAG_ASYNC,
        }
    }
}

/// Hold of the caller (released by end or close).
pub(crate) const HOLD_CALLER: u8 = 1;
/// Hold of a pending callback (released when it returns).
pub(crate) const HOLD_CALLBACK: u8 = 2;
/// Set while an end waits: a second end is refused at once, and the end that holds it reports
/// the operation's outcome even if a close releases the handle meanwhile.
const ENDING: u8 = 4;

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
    /// Freed slots, oldest first: a slot is reused only after every slot freed before it, and
    /// only once [`MIN_FREE_SLOTS`] are waiting, so a stale handle's slot comes back rarely.
    free: VecDeque<usize>,
    /// Registered writers by owner id. Their streams and results get handles only while the
    /// writer is [`WriterState::Open`]; a writer's entry goes when its close released it.
    writers: BTreeMap<u64, Arc<WriterObject>>,
}

/// Freed slots kept waiting before one is reused. With the generation bits, a stale handle
/// could match again only after `MIN_FREE_SLOTS << GENERATION_BITS` handles were freed.
const MIN_FREE_SLOTS: usize = 1024;

const TAG_BITS: u32 = 4;
#[cfg(target_pointer_width = "64")]
const INDEX_BITS: u32 = 28;
// 16,384 live handles, leaving 14 generation bits: with MIN_FREE_SLOTS, a stale handle could
// match again only after 16 million handles were freed.
#[cfg(not(target_pointer_width = "64"))]
const INDEX_BITS: u32 = 14;
const GENERATION_BITS: u32 = usize::BITS - TAG_BITS - INDEX_BITS;
const _: () = assert!(GENERATION_BITS >= 14 && MIN_FREE_SLOTS < 1 << INDEX_BITS);

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    slots: Vec::new(),
    free: VecDeque::new(),
    writers: BTreeMap::new(),
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

    /// Frees slot `index` and returns what it held, for the caller to drop once the registry
    /// is unlocked where that matters (see [`release_writer`]).
    fn free_slot(&mut self, index: usize) -> Option<Entry> {
        let slot = &mut self.slots[index];
        let entry = slot.entry.take();
        // Generation 0 is never used, so a zeroed handle never matches.
        slot.generation = (slot.generation + 1) & ((1 << GENERATION_BITS) - 1);
        if slot.generation == 0 {
            slot.generation = 1;
        }
        self.free.push_back(index);
        entry
    }

    /// A slot for a new handle: the oldest freed one once enough wait, else a new one.
    fn take_slot(&mut self) -> Result<usize> {
        if self.free.len() >= MIN_FREE_SLOTS || self.slots.len() >= (1 << INDEX_BITS) - 1 {
            if let Some(index) = self.free.pop_front() {
                return Ok(index);
            }
            return Err(Error::new(Status::Limit, "too many live avikit handles"));
        }
        self.slots.push(Slot {
            generation: 1,
            entry: None,
        });
        Ok(self.slots.len() - 1)
    }
}

/// Registers `object` with `holds` and returns its handle.
///
/// # Errors
/// [`Status::Limit`] when every slot is taken; [`Status::InvalidHandle`] for a stream or result
/// of a writer that is being closed or was closed (no close would release the handle).
pub(crate) fn insert(object: Object, owner: u64, holds: u8) -> Result<usize> {
    let mut reg = REGISTRY.lock();
    let open = |w: &Arc<WriterObject>| w.writer.state() == WriterState::Open;
    if !matches!(object, Object::Writer(_)) && !reg.writers.get(&owner).is_some_and(open) {
        // Also when the close is over: a stream added just before it must not outlive it.
        return Err(Error::new(
            Status::InvalidHandle,
            "the writer is closed or being closed by another call",
        ));
    }
    let index = reg.take_slot()?;
    if let Object::Writer(w) = &object {
        reg.writers.insert(owner, Arc::clone(w));
    }
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

/// Reserves an async handle with `holds` for an operation of writer `owner` about to begin.
///
/// # Errors
/// As [`insert`].
pub(crate) fn reserve_async(owner: u64, holds: u8) -> Result<usize> {
    insert(Object::PendingAsync, owner, holds)
}

/// Gives a reserved async handle its result. Idempotent: only the first call fills it, and a
/// handle released meanwhile (its callback returned, or its writer closed) stays released.
pub(crate) fn fill_async(handle: usize, result: &AsyncResult, user_state: usize) {
    let mut reg = REGISTRY.lock();
    if let Some(entry) = reg.entry_mut(handle, TAG_ASYNC) {
        if matches!(entry.object, Object::PendingAsync) {
            entry.object = Object::Async(AsyncObject {
                result: result.clone(),
                user_state,
            });
        }
    }
}

/// Claims the caller's hold of an async result for an end that is about to wait.
///
/// # Errors
/// [`Status::InvalidHandle`] when the handle is not live, its caller hold is gone, or another
/// end holds it.
pub(crate) fn claim_end(handle: usize) -> Result<()> {
    let mut reg = REGISTRY.lock();
    let entry = reg
        .entry_mut(handle, TAG_ASYNC)
        .filter(|e| e.holds & (HOLD_CALLER | ENDING) == HOLD_CALLER)
        .ok_or_else(|| invalid("async result"))?;
    entry.holds |= ENDING;
    Ok(())
}

/// Ends a claim of [`claim_end`]: `done` releases the caller's hold (the end is over), else the
/// result stays alive for a later end. Nothing to do when a close released it meanwhile.
pub(crate) fn finish_end(handle: usize, done: bool) {
    let mut reg = REGISTRY.lock();
    let Some(entry) = reg.entry_mut(handle, TAG_ASYNC) else {
        return;
    };
    entry.holds &= !ENDING;
    if done {
        entry.holds &= !HOLD_CALLER;
        if entry.holds == 0 {
            reg.free_slot(decode(handle).0);
        }
    }
}

/// Frees every handle owned by writer `owner` (its streams and un-ended results) and the
/// writer handle itself.
pub(crate) fn release_writer(writer_handle: usize, owner: u64) {
    let mut reg = REGISTRY.lock();
    let writer = reg.writers.remove(&owner);
    let owned: Vec<usize> = reg
        .slots
        .iter()
        .enumerate()
        .filter(|(_, s)| s.entry.as_ref().is_some_and(|e| e.owner == owner))
        .map(|(i, _)| i)
        .collect();
    let released: Vec<Entry> = owned.into_iter().filter_map(|i| reg.free_slot(i)).collect();
    debug_assert!(reg.entry_mut(writer_handle, TAG_WRITER).is_none());
    drop(reg);
    // Dropped unlocked: should one of them be the last reference to a writer, its drop closes
    // it, and the worker's callbacks take the registry lock.
    drop((writer, released));
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

    /// A registered writer with one video stream, writing to a scratch file named after `name`.
    struct Registered {
        path: std::path::PathBuf,
        object: Arc<WriterObject>,
        handle: usize,
        owner: u64,
        stream: VideoStream,
    }

    fn registered(name: &str) -> Registered {
        let path =
            std::env::temp_dir().join(format!("avikit-registry-{name}-{}.avi", std::process::id()));
        let writer = Writer::create(&path, crate::WriterOptions::default()).unwrap();
        let stream = writer
            .add_video_stream(crate::VideoFormat::dib(2, 2, 24), None)
            .unwrap();
        let owner = writer.id();
        let object = Arc::new(WriterObject { writer });
        let handle = insert(Object::Writer(Arc::clone(&object)), owner, HOLD_CALLER).unwrap();
        Registered {
            path,
            object,
            handle,
            owner,
            stream,
        }
    }

    impl Registered {
        /// Closes the writer (unless closed), releases its handles and removes the file.
        fn finish(self) {
            if self.object.writer.state() == WriterState::Open {
                self.object.writer.close().unwrap();
            }
            release_writer(self.handle, self.owner);
            std::fs::remove_file(&self.path).unwrap();
        }
    }

    #[test]
    fn a_freed_slot_is_reused_only_after_many_others() {
        let r = registered("reuse");
        let result = r.object.writer.begin_flush(false, None).unwrap();
        let register = || {
            let handle = reserve_async(r.owner, HOLD_CALLER).unwrap();
            fill_async(handle, &result, 0);
            handle
        };
        let stale = register();
        assert!(async_result(stale).is_ok());
        release_async(stale, HOLD_CALLER).unwrap();
        // A late fill (begin returning after the callback released the handle) changes nothing.
        fill_async(stale, &result, 0);
        assert!(async_result(stale).is_err());
        // Begin/end cycles: each takes a slot and frees it again.
        for cycle in 0..1000 {
            let handle = register();
            assert_ne!(
                decode(handle).0,
                decode(stale).0,
                "slot reused at cycle {cycle}"
            );
            release_async(handle, HOLD_CALLER).unwrap();
        }
        assert!(async_result(stale).is_err());
        r.finish();
    }

    /// Streams and results of the writer are refused.
    fn assert_refused(r: &Registered) {
        let stream = insert(Object::Video(r.stream.clone()), r.owner, HOLD_CALLER);
        assert_eq!(stream.unwrap_err().status(), Status::InvalidHandle);
        let result = reserve_async(r.owner, HOLD_CALLER);
        assert_eq!(result.unwrap_err().status(), Status::InvalidHandle);
    }

    #[test]
    fn a_closed_writer_gets_no_new_handles() {
        let r = registered("closed");
        assert!(insert(Object::Video(r.stream.clone()), r.owner, HOLD_CALLER).is_ok());
        r.object.writer.close().unwrap();
        assert_refused(&r);
        r.finish();
    }

    #[test]
    fn a_draining_writer_gets_no_new_handles() {
        let r = registered("drain");
        // A callback that holds the drain until the handles were asked for.
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let held = Box::new(move |_: &AsyncResult| release_rx.recv().unwrap());
        r.stream
            .begin_write_frame(true, crate::Payload::owned(vec![0; 16]), Some(held))
            .unwrap();
        let closer = {
            let object = Arc::clone(&r.object);
            std::thread::spawn(move || object.writer.close())
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while r.object.writer.state() != WriterState::Closing {
            assert!(
                std::time::Instant::now() < deadline,
                "the close never began"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_refused(&r);
        release_tx.send(()).unwrap();
        closer.join().unwrap().unwrap();
        r.finish();
    }
}
