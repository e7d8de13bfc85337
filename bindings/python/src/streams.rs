//! Video and audio streams: synchronous writes (GIL released while the library waits) and
//! asynchronous ones that complete a Python future from the worker thread.

use crate::arrays::Borrowed;
use crate::errors::{self, check};
use crate::futures::completion;
use pyo3::prelude::*;

/// The stream counters as the tuple `avikit.StreamStats` is built from: chunks, empty frames,
/// dropped, payload bytes, samples, silence samples, trimmed samples.
type StatsTuple = (u64, u64, u64, u64, u64, u64, u64);

/// What both stream classes do, over either kind of avikit stream.
struct Ops<'a, K: avikit::StreamKind>(&'a avikit::Stream<K>);

impl<K: avikit::StreamKind> Ops<'_, K> {
    fn options(time_ns: Option<i64>, keyframe: bool, nowait: bool) -> avikit::BeginOptions {
        let mut options = avikit::BeginOptions::keyframe(keyframe);
        if let Some(t) = time_ns {
            options = options.at(t);
        }
        if nowait {
            options = options.nowait();
        }
        options
    }

    /// Writes the array's bytes and waits until they are in the file, without the GIL.
    fn write(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        time_ns: Option<i64>,
        keyframe: bool,
        nowait: bool,
    ) -> PyResult<()> {
        let bytes = Borrowed::of(data)?;
        let stream = self.0;
        let options = Self::options(time_ns, keyframe, nowait);
        // SAFETY: `data` (a reference the caller holds for this call) keeps the array alive
        // until `write_with` has returned, and the library is done with the bytes by then.
        let result = py.detach(|| stream.write_with(options, unsafe { bytes.slice() }));
        check(py, result)
    }

    /// Queues the array's bytes; `future` is completed from the worker. The array is borrowed
    /// until then (the callback holds a reference to it).
    fn begin(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        time_ns: Option<i64>,
        keyframe: bool,
        nowait: bool,
        future: Py<PyAny>,
    ) -> PyResult<Pending> {
        let bytes = Borrowed::of(data)?;
        let callback = completion(future, Some(data.clone().unbind()));
        // SAFETY: the callback owns a reference to the array and drops it only after the
        // operation has completed; when begin fails, nothing was queued and the callback (with
        // its reference) is dropped without running.
        let payload = unsafe { bytes.payload() };
        let stream = self.0;
        let options = Self::options(time_ns, keyframe, nowait);
        // Begin may wait for queue room (max_queued_bytes): never with the GIL held, since the
        // worker needs it to complete earlier futures.
        let result = py.detach(|| stream.begin_write_with(options, payload, Some(callback)));
        Ok(Pending {
            result: check(py, result)?,
        })
    }

    fn stats(&self, py: Python<'_>) -> StatsTuple {
        let s = py.detach(|| self.0.stats());
        (
            s.chunks,
            s.empty_frames,
            s.dropped,
            s.payload_bytes,
            s.samples,
            s.silence_samples,
            s.trimmed_samples,
        )
    }
}

/// A queued write: lets the Python future cancel it while it is still queued.
#[pyclass(module = "avikit._avikit", name = "_Pending", frozen)]
pub struct Pending {
    result: avikit::AsyncResult,
}

#[pymethods]
impl Pending {
    /// Cancels the write if it is still queued: True when it will complete as canceled,
    /// False when it already started or finished (then it is written whole).
    fn cancel(&self, py: Python<'_>) -> PyResult<bool> {
        match py.detach(|| self.result.cancel()) {
            Ok(()) => Ok(true),
            Err(e) if e.status() == avikit::Status::InvalidState => Ok(false),
            Err(e) => Err(errors::exception(py, &e)),
        }
    }
}

/// A video stream of a `_Writer` (wrapped by `avikit.VideoStream`).
#[pyclass(module = "avikit._avikit", name = "_VideoStream", frozen)]
pub struct VideoStream {
    pub(crate) inner: avikit::VideoStream,
}

#[pymethods]
impl VideoStream {
    /// Writes one frame (a C-contiguous array of exactly one frame's bytes) and waits.
    #[pyo3(signature = (data, time_ns=None, keyframe=true, nowait=false))]
    fn write(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        time_ns: Option<i64>,
        keyframe: bool,
        nowait: bool,
    ) -> PyResult<()> {
        Ops(&self.inner).write(py, data, time_ns, keyframe, nowait)
    }

    /// Queues one frame; `future._avikit_complete(error_or_None)` runs on completion.
    #[pyo3(signature = (data, future, time_ns=None, keyframe=true, nowait=false))]
    fn begin(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        future: Py<PyAny>,
        time_ns: Option<i64>,
        keyframe: bool,
        nowait: bool,
    ) -> PyResult<Pending> {
        Ops(&self.inner).begin(py, data, time_ns, keyframe, nowait, future)
    }

    /// Queues `count` empty frames (players show the previous frame again).
    fn skip_frames(&self, py: Python<'_>, count: u32) -> PyResult<()> {
        let stream = &self.inner;
        let result = py.detach(|| stream.skip_frames(count));
        check(py, result)
    }

    /// The counters, as a tuple (see `avikit.StreamStats`).
    fn stats(&self, py: Python<'_>) -> StatsTuple {
        Ops(&self.inner).stats(py)
    }

    /// The stream number in the file.
    #[getter]
    fn index(&self) -> usize {
        self.inner.index()
    }
}

/// An audio stream of a `_Writer` (wrapped by `avikit.AudioStream`).
#[pyclass(module = "avikit._avikit", name = "_AudioStream", frozen)]
pub struct AudioStream {
    pub(crate) inner: avikit::AudioStream,
}

#[pymethods]
impl AudioStream {
    /// Writes one block of whole samples and waits.
    #[pyo3(signature = (data, time_ns=None, nowait=false))]
    fn write(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        time_ns: Option<i64>,
        nowait: bool,
    ) -> PyResult<()> {
        Ops(&self.inner).write(py, data, time_ns, true, nowait)
    }

    /// Queues one block; `future._avikit_complete(error_or_None)` runs on completion.
    #[pyo3(signature = (data, future, time_ns=None, nowait=false))]
    fn begin(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        future: Py<PyAny>,
        time_ns: Option<i64>,
        nowait: bool,
    ) -> PyResult<Pending> {
        Ops(&self.inner).begin(py, data, time_ns, true, nowait, future)
    }

    /// The counters, as a tuple (see `avikit.StreamStats`).
    fn stats(&self, py: Python<'_>) -> StatsTuple {
        Ops(&self.inner).stats(py)
    }

    /// The stream number in the file.
    #[getter]
    fn index(&self) -> usize {
        self.inner.index()
    }
}
