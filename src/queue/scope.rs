//! Scoped zero-copy writes: operations that read the caller's buffers in place, borrowed for a
//! scope that waits for every one of them before it returns (as `std::thread::scope` does for
//! threads), so zero-copy needs no `unsafe`.

use super::async_result::{AsyncResult, Callback};
use super::begin_options::BeginOptions;
use super::payload::Payload;
use super::stream::{AudioStream, VideoStream};
use super::worker_thread::current_worker;
use crate::error::{Error, Result, Status};
use parking_lot::Mutex;
use std::marker::PhantomData;
use std::time::Duration;

/// Writes begun in a [`scope`] on data borrowed for `'env`. Thread-safe: share it with threads
/// of a `std::thread::scope` inside.
pub struct WriteScope<'scope, 'env: 'scope> {
    pending: Mutex<Vec<AsyncResult>>,
    // Invariant in both lifetimes, like std's scopes: a scope cannot be shrunk or widened.
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

impl<'scope, 'env> WriteScope<'scope, 'env> {
    /// Queues one frame of `stream` that reads `data` in place; see
    /// [`VideoStream::begin_write_frame_with`]. End the result, or let the scope wait for it.
    ///
    /// # Errors
    /// As [`VideoStream::begin_write_frame_with`]: nothing is queued then.
    pub fn begin_write_frame(
        &'scope self,
        stream: &VideoStream,
        options: BeginOptions,
        data: &'env [u8],
        callback: Option<Callback>,
    ) -> Result<AsyncResult> {
        // SAFETY: `scope` waits for every result pushed here before `'env` can end, so `data`
        // is valid and borrowed (unchanged) until the operation completes.
        let payload = unsafe { Payload::borrowed(data.as_ptr(), data.len()) };
        self.keep(stream.begin_write_frame_with(options, payload, callback))
    }

    /// Queues one audio block of `stream` that reads `data` in place; see
    /// [`AudioStream::begin_write_block_with`].
    ///
    /// # Errors
    /// As [`AudioStream::begin_write_block_with`]: nothing is queued then.
    pub fn begin_write_block(
        &'scope self,
        stream: &AudioStream,
        options: BeginOptions,
        data: &'env [u8],
        callback: Option<Callback>,
    ) -> Result<AsyncResult> {
        // SAFETY: as in `begin_write_frame`.
        let payload = unsafe { Payload::borrowed(data.as_ptr(), data.len()) };
        self.keep(stream.begin_write_block_with(options, payload, callback))
    }

    fn keep(&self, begun: Result<AsyncResult>) -> Result<AsyncResult> {
        let result = begun?;
        self.pending.lock().push(result.clone());
        Ok(result)
    }
}

/// Waits for every write of a scope, also when the scope's closure panics.
struct WaitForAll<'a>(&'a Mutex<Vec<AsyncResult>>);

impl Drop for WaitForAll<'_> {
    fn drop(&mut self) {
        for result in self.0.lock().drain(..) {
            match result.wait(None) {
                // In a forked child the operation is the parent's: nothing here reads the data.
                Ok(()) => {}
                Err(e) if e.status() == Status::InvalidState => {}
                // Not reachable outside callbacks; still, never let the data go while it may
                // be read.
                Err(_) => {
                    while !result.is_completed() {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
        }
    }
}

/// Runs `f` with a [`WriteScope`] in which writes read borrowed buffers in place, and returns
/// once every write begun in it has completed (its outcome is for its end or callback). Data
/// borrowed for the scope cannot be dropped or changed while a write may read it:
///
/// ```
/// # fn main() -> avikit::Result<()> {
/// use avikit::{BeginOptions, VideoFormat, Writer, WriterOptions};
/// let path = std::env::temp_dir().join(format!("avikit-scope-{}.avi", std::process::id()));
/// let writer = Writer::create(&path, WriterOptions::default())?;
/// let video = writer.add_video_stream(VideoFormat::dib(4, 4, 32), None)?;
/// let frames = vec![vec![7u8; 64]; 30];
/// avikit::scope(|s| -> avikit::Result<()> {
///     for frame in &frames {
///         s.begin_write_frame(&video, BeginOptions::keyframe(true), frame, None)?;
///     }
///     Ok(())
/// })??;
/// drop(frames); // every write has read its frame
/// writer.finalize()?;
/// # std::fs::remove_file(&path).unwrap();
/// # Ok(())
/// # }
/// ```
///
/// A buffer that does not outlive the scope is refused by the compiler:
///
/// ```compile_fail,E0597
/// # use avikit::{BeginOptions, VideoFormat, Writer, WriterOptions};
/// # let writer = Writer::create("x.avi", WriterOptions::default()).unwrap();
/// # let video = writer.add_video_stream(VideoFormat::dib(4, 4, 32), None).unwrap();
/// avikit::scope(|s| {
///     let frame = vec![0u8; 64];
///     s.begin_write_frame(&video, BeginOptions::keyframe(true), &frame, None).unwrap();
/// });
/// ```
///
/// # Errors
/// [`Status::WouldDeadlock`] inside a callback of any writer (the scope could not wait there):
/// `f` does not run.
pub fn scope<'env, F, T>(f: F) -> Result<T>
where
    F: for<'scope> FnOnce(&'scope WriteScope<'scope, 'env>) -> T,
{
    if current_worker() != 0 {
        return Err(Error::new(
            Status::WouldDeadlock,
            "a write scope inside a callback could not wait for its writes",
        ));
    }
    let scope = WriteScope {
        pending: Mutex::new(Vec::new()),
        scope: PhantomData,
        env: PhantomData,
    };
    let waits = WaitForAll(&scope.pending);
    let outcome = f(&scope);
    drop(waits);
    Ok(outcome)
}
