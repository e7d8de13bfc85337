//! The handle registry. Handles given to C are never addresses: each encodes a slot index, the
//! slot's generation and a kind tag. A released, stale, foreign or wrong-kind handle therefore
//! fails lookup with `AVK_E_INVALID_HANDLE` instead of being dereferenced. Which object a handle
//! type stands for is fixed at compile time ([`Handle`]); the tag is the run-time defence
//! against a value that is not a live handle of that type.
//!
//! Async results have two independent holds: the caller's (released by end) and the callback's
//! (released when the callback returns). The slot lives while either is held, so a callback can
//! always query its own result, while the caller can no longer use it after end. A begin looks
//! up its stream or writer and reserves the result's slot in one critical section
//! ([`get_reserving`]); the result is set in the slot's [`AsyncCell`] without the lock.
//!
//! Not `slab` or `slotmap`: slab has no generations, so a stale handle would reach its slot's
//! next occupant; slotmap has versioned keys but hands out the most recently freed slot first,
//! while C callers that keep a stale pointer are best served by the opposite, the oldest freed
//! slot and only once many are free (see `free`), so a stale handle meets its slot in use again
//! as rarely as possible. What is left to share with those crates is a `Vec` and a `VecDeque`.

use super::handle::{self, avk_async, avk_writer, invalid, AsyncCell, Handle, Held};
use crate::error::{Error, Result, Status};
use crate::queue::process::{self, ForkSafeMutex};
use crate::queue::{AsyncResult, Writer, WriterState};
use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

const TAG_WRITER: usize = 1;
const TAG_VIDEO: usize = 2;
const TAG_AUDIO: usize = 3;
const TAG_ASYNC: usize = 4;

/// The kind tag a handle to `held` carries.
fn tag(held: &Held) -> usize {
    match held {
        Held::Writer(_) => TAG_WRITER,
        Held::Video(_) => TAG_VIDEO,
        Held::Audio(_) => TAG_AUDIO,
        Held::Async(_) => TAG_ASYNC,
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
    held: Held,
    /// Id of the writer whose close releases this handle.
    owner: u64,
    holds: u8,
    /// The process that made the handle; in a forked child the parent's handles are refused.
    pid: u32,
}

struct Slot {
    generation: usize,
    entry: Option<Entry>,
    /// The cell of the slot's last async handle, kept for its next one, so that a begin in
    /// steady state allocates nothing here. Reused only when nothing else refers to it, so a
    /// late fill never reaches a later handle.
    cell: Option<Arc<AsyncCell>>,
}

struct Registry {
    slots: Vec<Slot>,
    /// Freed slots, oldest first: a slot is reused only after every slot freed before it, and
    /// only once [`MIN_FREE_SLOTS`] are waiting, so a stale handle's slot comes back rarely.
    free: VecDeque<usize>,
    /// Registered writers by owner id. Their streams and results get handles only while the
    /// writer is [`WriterState::Open`]; a writer's entry goes when its close released it.
    writers: BTreeMap<u64, Arc<Writer>>,
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

static REGISTRY: ForkSafeMutex<Registry> = ForkSafeMutex::new(|| Registry {
    slots: Vec::new(),
    free: VecDeque::new(),
    writers: BTreeMap::new(),
});

/// The registry, locked. A forked child finds it unlocked, with its parent's handles, which
/// it refuses (see [`Entry::pid`]).
fn registry() -> parking_lot::MutexGuard<'static, Registry> {
    REGISTRY.lock()
}

thread_local! {
    /// The async handle whose callback runs on this thread right now (0 when none).
    static CURRENT_CALLBACK: Cell<usize> = const { Cell::new(0) };
}

fn encode(index: usize, generation: usize, tag: usize) -> usize {
    (generation << (TAG_BITS + INDEX_BITS)) | (index << TAG_BITS) | tag
}

fn decode(bits: usize) -> (usize, usize, usize) {
    let tag = bits & ((1 << TAG_BITS) - 1);
    let index = (bits >> TAG_BITS) & ((1 << INDEX_BITS) - 1);
    let generation = bits >> (TAG_BITS + INDEX_BITS);
    (index, generation, tag)
}

impl Registry {
    /// The entry of the live handle of type `C` with value `bits`.
    fn entry_mut<C: Handle>(&mut self, bits: usize) -> Option<&mut Entry> {
        let (index, generation, handle_tag) = decode(bits);
        let slot = self.slots.get_mut(index)?;
        if slot.generation != generation {
            return None;
        }
        slot.entry
            .as_mut()
            .filter(|e| tag(&e.held) == handle_tag && C::object(&e.held).is_some())
    }

    /// The object of the handle of type `C` with value `bits` and its owner, when the calling
    /// thread may use it: the caller holds it, or this is its callback running.
    fn get<C: Handle>(&mut self, bits: usize) -> Result<(C::Object, u64)> {
        let entry = self
            .entry_mut::<C>(bits)
            .filter(|e| {
                e.holds & HOLD_CALLER != 0
                    || (e.holds & HOLD_CALLBACK != 0 && CURRENT_CALLBACK.with(Cell::get) == bits)
            })
            .ok_or_else(invalid::<C>)?;
        // The parent's objects have no worker in a forked child: refused at once.
        process::check(entry.pid)?;
        let object = C::object(&entry.held).ok_or_else(invalid::<C>)?;
        Ok((object.clone(), entry.owner))
    }

    /// Frees slot `index` and returns what it held, for the caller to drop once the registry
    /// is unlocked where that matters (see [`release_writer`]).
    fn free_slot(&mut self, index: usize) -> Option<Entry> {
        let slot = &mut self.slots[index];
        let entry = match slot.entry.take() {
            Some(Entry {
                held: Held::Async(mut cell),
                ..
            }) => {
                // The result goes now if it can: the cell waits for the slot's reuse.
                if let Some(unshared) = Arc::get_mut(&mut cell) {
                    unshared.reset(0);
                }
                slot.cell = Some(cell);
                None
            }
            entry => entry,
        };
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
            cell: None,
        });
        Ok(self.slots.len() - 1)
    }

    /// A slot for a new handle of writer `owner` (or for the writer itself).
    fn admit(&mut self, writer: bool, owner: u64) -> Result<usize> {
        let open = |w: &Arc<Writer>| w.state() == WriterState::Open;
        if !writer && !self.writers.get(&owner).is_some_and(open) {
            // Also when the close is over: a stream added just before it must not outlive it.
            return Err(Error::new(
                Status::InvalidHandle,
                "the writer is closed or being closed by another call",
            ));
        }
        self.take_slot()
    }

    /// Puts `held` of writer `owner` with `holds` into slot `index` of [`Registry::admit`] and
    /// returns its handle's value.
    fn place(&mut self, index: usize, held: Held, owner: u64, holds: u8) -> usize {
        if let Held::Writer(w) = &held {
            self.writers.insert(owner, Arc::clone(w));
        }
        let tag = tag(&held);
        let slot = &mut self.slots[index];
        slot.entry = Some(Entry {
            held,
            owner,
            holds,
            pid: process::current(),
        });
        encode(index, slot.generation, tag)
    }

    /// Reserves an async handle of writer `owner` with `holds`, its cell new or the slot's
    /// own made new.
    fn reserve(&mut self, owner: u64, holds: u8, user_state: usize) -> Result<Reservation> {
        let index = self.admit(false, owner)?;
        let kept = self.slots[index].cell.take().and_then(|mut cell| {
            Arc::get_mut(&mut cell)?.reset(user_state);
            Some(cell)
        });
        let cell = kept.unwrap_or_else(|| Arc::new(AsyncCell::new(user_state)));
        let bits = self.place(index, avk_async::hold(Arc::clone(&cell)), owner, holds);
        Ok(Reservation { bits, holds, cell })
    }

    /// Drops `hold` of the async handle with value `bits`; frees its slot once no hold remains.
    fn release_async(&mut self, bits: usize, hold: u8) -> Result<()> {
        let entry = self
            .entry_mut::<avk_async>(bits)
            .filter(|e| e.holds & hold != 0)
            .ok_or_else(invalid::<avk_async>)?;
        entry.holds &= !hold;
        if entry.holds == 0 {
            self.free_slot(decode(bits).0);
        }
        Ok(())
    }
}

/// Registers `object` of writer `owner`, held by the caller, and returns its handle.
///
/// # Errors
/// [`Status::Limit`] when every slot is taken; [`Status::InvalidHandle`] for a stream of a
/// writer that is being closed or was closed (no close would release the handle).
pub(crate) fn insert<C: Handle>(object: C::Object, owner: u64) -> Result<*mut C> {
    // Declared before the lock, so that on failure it is dropped unlocked: should it be the
    // last reference to a writer, its drop closes it.
    let held = C::hold(object);
    let mut reg = registry();
    let index = reg.admit(matches!(held, Held::Writer(_)), owner)?;
    Ok(handle::handle(reg.place(index, held, owner, HOLD_CALLER)))
}

/// The object behind `handle`, usable by its holder (for an async result: by the caller until
/// end, and by its callback).
///
/// # Errors
/// [`Status::InvalidHandle`] when `handle` is not a live handle of type `C` for this caller.
pub(crate) fn get<C: Handle>(handle: *const C) -> Result<C::Object> {
    let found = registry().get::<C>(handle::bits(handle));
    found.map(|(object, _)| object)
}

/// An async handle reserved for an operation about to begin: nothing is queued yet.
pub(crate) struct Reservation {
    bits: usize,
    holds: u8,
    cell: Arc<AsyncCell>,
}

/// The callback's part of a [`Reservation`]: what the operation's callback needs to set the
/// result and run as the handle's callback.
pub(crate) struct CallbackHold {
    bits: usize,
    cell: Arc<AsyncCell>,
}

impl Reservation {
    /// The part of the reservation the operation's callback takes along.
    pub(crate) fn callback_hold(&self) -> CallbackHold {
        CallbackHold {
            bits: self.bits,
            cell: Arc::clone(&self.cell),
        }
    }

    /// The operation was begun: sets its result (unless its callback already did) and returns
    /// the handle. Takes no lock.
    pub(crate) fn begun(self, result: &AsyncResult) -> *mut avk_async {
        self.cell.fill(result);
        handle::handle(self.bits)
    }

    /// The operation was not begun, so no callback will release its hold: frees the handle.
    pub(crate) fn cancel(self) {
        let _ = registry().release_async(self.bits, self.holds);
    }
}

impl CallbackHold {
    /// Sets the result (unless begin's return did) and runs `f` with the handle and the
    /// caller's user state as the handle's callback: lookups of the handle succeed inside it
    /// even after the caller ended the result. Afterwards the callback's hold is released.
    pub(crate) fn run(self, result: &AsyncResult, f: impl FnOnce(*mut avk_async, usize)) {
        let CallbackHold { bits, cell } = self;
        cell.fill(result);
        let user_state = cell.user_state();
        // Let go before the release, which may free the slot: its cell is then unshared.
        drop(cell);
        let previous = CURRENT_CALLBACK.with(|c| c.replace(bits));
        f(handle::handle(bits), user_state);
        CURRENT_CALLBACK.with(|c| c.set(previous));
        let _ = registry().release_async(bits, HOLD_CALLBACK);
    }
}

/// The object behind `handle` and, in the same critical section, an async handle reserved
/// with `holds` (not 0) for an operation on it, in its owner's name; `user_state` is the
/// caller's. The reservation's failure comes second, so that a begin can still report its
/// argument errors first.
///
/// # Errors
/// As [`get`]; the reservation's as [`insert`].
pub(crate) fn get_reserving<C: Handle>(
    handle: *const C,
    holds: u8,
    user_state: usize,
) -> Result<(C::Object, Result<Reservation>)> {
    let mut reg = registry();
    let (object, owner) = reg.get::<C>(handle::bits(handle))?;
    let reservation = reg.reserve(owner, holds, user_state);
    Ok((object, reservation))
}

/// Claims the caller's hold of an async result for an end that is about to wait.
///
/// # Errors
/// [`Status::InvalidHandle`] when the handle is not live, its caller hold is gone, or another
/// end holds it.
pub(crate) fn claim_end(handle: *const avk_async) -> Result<()> {
    let mut reg = registry();
    let entry = reg
        .entry_mut::<avk_async>(handle::bits(handle))
        .filter(|e| e.holds & (HOLD_CALLER | ENDING) == HOLD_CALLER)
        .ok_or_else(invalid::<avk_async>)?;
    entry.holds |= ENDING;
    Ok(())
}

/// Ends a claim of [`claim_end`]: `done` releases the caller's hold (the end is over), else the
/// result stays alive for a later end. Nothing to do when a close released it meanwhile.
pub(crate) fn finish_end(handle: *const avk_async, done: bool) {
    let bits = handle::bits(handle);
    let mut reg = registry();
    let Some(entry) = reg.entry_mut::<avk_async>(bits) else {
        return;
    };
    entry.holds &= !ENDING;
    if done {
        entry.holds &= !HOLD_CALLER;
        if entry.holds == 0 {
            reg.free_slot(decode(bits).0);
        }
    }
}

/// Frees every handle owned by writer `owner` (its streams and un-ended results) and the
/// writer handle itself.
pub(crate) fn release_writer(writer_handle: *const avk_writer, owner: u64) {
    let mut reg = registry();
    let writer = reg.writers.remove(&owner);
    let owned: Vec<usize> = reg
        .slots
        .iter()
        .enumerate()
        .filter(|(_, s)| s.entry.as_ref().is_some_and(|e| e.owner == owner))
        .map(|(i, _)| i)
        .collect();
    let released: Vec<Entry> = owned.into_iter().filter_map(|i| reg.free_slot(i)).collect();
    debug_assert!(reg
        .entry_mut::<avk_writer>(handle::bits(writer_handle))
        .is_none());
    drop(reg);
    // Dropped unlocked: should one of them be the last reference to a writer, its drop closes
    // it, and the worker's callbacks take the registry lock.
    drop((writer, released));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::VideoStream;
    use handle::avk_video_stream;

    #[test]
    fn handle_fields_round_trip() {
        let h = encode(12345, 77, 3);
        assert_eq!(decode(h), (12345, 77, 3));
        assert_ne!(encode(0, 1, 1), 0);
    }

    /// A registered writer with one video stream, writing to a scratch file named after `name`.
    struct Registered {
        path: std::path::PathBuf,
        writer: Arc<Writer>,
        handle: *mut avk_writer,
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
        let writer = Arc::new(writer);
        let handle = insert::<avk_writer>(Arc::clone(&writer), owner).unwrap();
        Registered {
            path,
            writer,
            handle,
            owner,
            stream,
        }
    }

    impl Registered {
        /// Closes the writer (unless closed), releases its handles and removes the file.
        fn finish(self) {
            if self.writer.state() == WriterState::Open {
                self.writer.close().unwrap();
            }
            release_writer(self.handle, self.owner);
            std::fs::remove_file(&self.path).unwrap();
        }

        /// Reserves an async handle for an operation on the writer, as a begin does.
        fn reserve(&self) -> Result<Reservation> {
            let (writer, reservation) = get_reserving(self.handle, HOLD_CALLER, 0)?;
            assert!(Arc::ptr_eq(&writer, &self.writer));
            reservation
        }
    }

    /// Whether `handle` looks up as a result that was begun.
    fn begun(handle: *mut avk_async) -> bool {
        get(handle).is_ok_and(|cell| cell.result().is_some())
    }

    /// Releases the caller's hold, as an end does.
    fn end(handle: *mut avk_async) {
        claim_end(handle).unwrap();
        finish_end(handle, true);
    }

    #[test]
    fn a_freed_slot_is_reused_only_after_many_others() {
        let r = registered("reuse");
        let result = r.writer.begin_flush(false, None).unwrap();
        let register = || r.reserve().unwrap().begun(&result);
        let stale_reservation = r.reserve().unwrap();
        let late = stale_reservation.callback_hold();
        let stale = stale_reservation.begun(&result);
        assert!(begun(stale));
        end(stale);
        // A late fill (the callback running after begin returned and the caller ended the
        // result) changes nothing, and releases no hold the handle no longer has.
        late.run(&result, |_, _| {});
        assert!(get(stale).is_err());
        // Begin/end cycles: each takes a slot and frees it again.
        for cycle in 0..1000 {
            let handle = register();
            assert_ne!(
                decode(handle::bits(handle)).0,
                decode(handle::bits(stale)).0,
                "slot reused at cycle {cycle}"
            );
            end(handle);
        }
        assert!(get(stale).is_err());
        r.finish();
    }

    #[test]
    fn a_reserved_result_is_no_result_until_begun() {
        let r = registered("reserved");
        let result = r.writer.begin_flush(false, None).unwrap();
        let reservation = r.reserve().unwrap();
        let handle = handle::handle::<avk_async>(reservation.bits);
        assert!(!begun(handle));
        reservation.cancel();
        assert!(get(handle).is_err());
        let begun_handle = r.reserve().unwrap().begun(&result);
        assert!(begun(begun_handle));
        r.finish();
        assert!(
            get(begun_handle).is_err(),
            "close releases un-ended results"
        );
    }

    #[test]
    fn a_slot_reuses_its_cell_only_when_nothing_else_holds_it() {
        let r = registered("cells");
        let result = r.writer.begin_flush(false, None).unwrap();
        let index = |h: *mut avk_async| decode(handle::bits(h)).0;
        // One result whose callback part outlives it (a late fill), one that ends cleanly.
        let late_reservation = r.reserve().unwrap();
        let late = late_reservation.callback_hold();
        let late_handle = late_reservation.begun(&result);
        let clean_handle = r.reserve().unwrap().begun(&result);
        end(late_handle);
        end(clean_handle);
        {
            // Freed last, a slot waits behind every other free one: nothing reuses it yet.
            let reg = registry();
            let kept = |h| reg.slots[index(h)].cell.as_ref().unwrap();
            let clean_cell = kept(clean_handle);
            assert_eq!(Arc::strong_count(clean_cell), 1);
            assert!(
                clean_cell.result().is_none(),
                "the result went with the handle"
            );
            assert!(Arc::ptr_eq(kept(late_handle), &late.cell));
            assert!(late.cell.result().is_some(), "still shared: kept as it is");
        }
        let (mut late_reused, mut clean_reused) = (false, false);
        for _ in 0..3000 {
            let reservation = r.reserve().unwrap();
            let at = index(handle::handle(reservation.bits));
            if at == index(late_handle) {
                assert!(!Arc::ptr_eq(&reservation.cell, &late.cell));
                assert!(reservation.cell.result().is_none());
                late_reused = true;
            }
            if at == index(clean_handle) {
                assert!(
                    reservation.cell.result().is_none(),
                    "a reused cell starts empty"
                );
                clean_reused = true;
            }
            end(reservation.begun(&result));
            if late_reused && clean_reused {
                break;
            }
        }
        assert!(late_reused && clean_reused, "the slots were never reused");
        // The late fill reaches the old cell only.
        late.run(&result, |_, _| {});
        r.finish();
    }

    #[test]
    fn a_handle_of_one_type_is_no_handle_of_another() {
        let r = registered("kinds");
        let stream = insert::<avk_video_stream>(r.stream.clone(), r.owner).unwrap();
        assert!(get(stream).is_ok());
        // The same value, as every other handle type: refused by its kind tag.
        let bits = handle::bits(stream);
        assert!(get(handle::handle::<avk_writer>(bits)).is_err());
        assert!(get(handle::handle::<handle::avk_audio_stream>(bits)).is_err());
        assert!(get(handle::handle::<avk_async>(bits)).is_err());
        assert!(get(handle::handle::<avk_writer>(0)).is_err());
        r.finish();
        assert!(get(stream).is_err(), "close releases the streams");
    }

    /// Streams and results of the writer are refused.
    fn assert_refused(r: &Registered) {
        let stream = insert::<avk_video_stream>(r.stream.clone(), r.owner);
        assert_eq!(stream.unwrap_err().status(), Status::InvalidHandle);
        // The writer handle itself is still live: only the reservation is refused.
        let (_, result) = get_reserving(r.handle, HOLD_CALLER, 0).unwrap();
        assert_eq!(
            result.map(drop).unwrap_err().status(),
            Status::InvalidHandle
        );
    }

    #[test]
    fn a_closed_writer_gets_no_new_handles() {
        let r = registered("closed");
        assert!(insert::<avk_video_stream>(r.stream.clone(), r.owner).is_ok());
        r.writer.close().unwrap();
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
            let writer = Arc::clone(&r.writer);
            std::thread::spawn(move || writer.close())
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while r.writer.state() != WriterState::Closing {
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
