//! The opaque handle types of the C ABI and what each stands for, in the manner of rustls-ffi's
//! `Castable`: every handle type names the object the registry keeps for it, so the compiler
//! pairs `*const avk_video_stream` with [`VideoStream`] and no export can look one up as
//! another kind. A handle's value is never an address (see [`registry`](super::registry)):
//! [`bits`] and [`handle`] are the one place that converts between the two.

use crate::error::{Error, Status};
use crate::queue::{AsyncResult, AudioStream, VideoStream, Writer};
use parking_lot::Mutex;
use std::sync::Arc;

/// An AVI file being written. Opaque; created by `avk_writer_create` or `avk_writer_create_io`,
/// released by `avk_writer_close`.
pub struct avk_writer {
    _private: [u8; 0],
}

/// A video stream of a writer. Opaque; released by `avk_writer_close`.
pub struct avk_video_stream {
    _private: [u8; 0],
}

/// An audio stream of a writer. Opaque; released by `avk_writer_close`.
pub struct avk_audio_stream {
    _private: [u8; 0],
}

/// An asynchronous operation (.NET's IAsyncResult). Opaque; valid from a successful begin until
/// end returns (or, without an out-pointer, until its callback returns), or until its writer is
/// closed. Inside its own callback it stays usable even if another thread already ended it.
pub struct avk_async {
    _private: [u8; 0],
}

/// What a registry slot holds: one variant per handle type.
pub(crate) enum Held {
    Writer(Arc<Writer>),
    Video(VideoStream),
    Audio(AudioStream),
    Async(Arc<AsyncCell>),
}

/// What an async handle stands for. Reserved before its operation is begun, so its result is
/// set later, once, by whichever comes first: begin's return or the operation's callback.
/// Setting it takes no lock, and setting it again (or after the handle was released) changes
/// nothing. The registry reuses a cell for a later handle only once nothing else refers to it.
pub(crate) struct AsyncCell {
    // A mutex, not a OnceLock: ThreadSanitizer cannot see the synchronization inside std's
    // precompiled Once, and an uncontended lock costs about the same.
    result: Mutex<Option<AsyncResult>>,
    /// The caller's `void *user_state`, kept as its bits.
    user_state: usize,
}

impl AsyncCell {
    /// A cell without a result yet.
    pub(crate) fn new(user_state: usize) -> AsyncCell {
        AsyncCell {
            result: Mutex::new(None),
            user_state,
        }
    }

    /// Makes a cell nothing else refers to new again, for the caller's `user_state`.
    pub(crate) fn reset(&mut self, user_state: usize) {
        *self.result.get_mut() = None;
        self.user_state = user_state;
    }

    /// Sets the result unless it is set.
    pub(crate) fn fill(&self, result: &AsyncResult) {
        self.result.lock().get_or_insert_with(|| result.clone());
    }

    /// The result; `None` until the operation was begun.
    pub(crate) fn result(&self) -> Option<AsyncResult> {
        self.result.lock().clone()
    }

    /// The caller's `user_state`.
    pub(crate) fn user_state(&self) -> usize {
        self.user_state
    }
}

/// An opaque C handle type and the object its handles stand for.
pub(crate) trait Handle {
    /// The object a lookup gives: a cheap clone of what the slot holds.
    type Object: Clone;
    /// How error messages name the handle type.
    const NAME: &'static str;
    /// What a slot holds for `object`.
    fn hold(object: Self::Object) -> Held;
    /// The object `held` stands for, when it is of this handle type.
    fn object(held: &Held) -> Option<&Self::Object>;
}

impl Handle for avk_writer {
    type Object = Arc<Writer>;
    const NAME: &'static str = "writer";
    fn hold(object: Arc<Writer>) -> Held {
        Held::Writer(object)
    }
    fn object(held: &Held) -> Option<&Arc<Writer>> {
        match held {
            Held::Writer(w) => Some(w),
            _ => None,
        }
    }
}

impl Handle for avk_video_stream {
    type Object = VideoStream;
    const NAME: &'static str = "video stream";
    fn hold(object: VideoStream) -> Held {
        Held::Video(object)
    }
    fn object(held: &Held) -> Option<&VideoStream> {
        match held {
            Held::Video(s) => Some(s),
            _ => None,
        }
    }
}

impl Handle for avk_audio_stream {
    type Object = AudioStream;
    const NAME: &'static str = "audio stream";
    fn hold(object: AudioStream) -> Held {
        Held::Audio(object)
    }
    fn object(held: &Held) -> Option<&AudioStream> {
        match held {
            Held::Audio(s) => Some(s),
            _ => None,
        }
    }
}

impl Handle for avk_async {
    type Object = Arc<AsyncCell>;
    const NAME: &'static str = "async result";
    fn hold(object: Arc<AsyncCell>) -> Held {
        Held::Async(object)
    }
    fn object(held: &Held) -> Option<&Arc<AsyncCell>> {
        match held {
            Held::Async(a) => Some(a),
            _ => None,
        }
    }
}

/// The value of a handle, as the registry decodes it.
pub(crate) fn bits<C: Handle>(handle: *const C) -> usize {
    handle.addr()
}

/// The handle with value `bits`, as C receives it. It carries no provenance: it is never
/// dereferenced.
pub(crate) fn handle<C: Handle>(bits: usize) -> *mut C {
    std::ptr::without_provenance_mut(bits)
}

/// The error for a value that is not a live handle of type `C`.
pub(crate) fn invalid<C: Handle>() -> Error {
    Error::new(
        Status::InvalidHandle,
        format!("{0} is NULL, released, stale or not a {0} handle", C::NAME),
    )
}
