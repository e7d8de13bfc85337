//! `inspect` and `repair` of existing files, as dicts the Python layer turns into
//! `avikit.FileReport`. Both read whole files, so they run without the GIL; repair's progress
//! callback takes it for each call.

use crate::errors::check;
use avikit::repair::FileReport;
use avikit::StreamFormat;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::PathBuf;

/// `report` as a dict with a list of per-stream dicts.
fn report_dict<'py>(py: Python<'py>, report: &FileReport) -> PyResult<Bound<'py, PyDict>> {
    let streams = PyList::empty(py);
    for s in &report.streams {
        let d = PyDict::new(py);
        match &s.format {
            StreamFormat::Video(v) => {
                d.set_item("kind", "video")?;
                d.set_item(
                    "fourcc",
                    v.fourcc.map(|f| String::from_utf8_lossy(&f.0).into_owned()),
                )?;
                d.set_item("width", v.width)?;
                d.set_item("height", v.height)?;
                d.set_item("bits_per_pixel", v.bits_per_pixel)?;
            }
            StreamFormat::Audio(a) => {
                d.set_item("kind", "audio")?;
                d.set_item("format_tag", a.format_tag)?;
                d.set_item("channels", a.channels)?;
                d.set_item("sample_rate", a.sample_rate)?;
                d.set_item("bits_per_sample", a.bits_per_sample)?;
            }
        }
        d.set_item("name", s.name.as_deref())?;
        d.set_item("chunks", s.chunks)?;
        d.set_item("bytes", s.bytes)?;
        streams.append(d)?;
    }
    let d = PyDict::new(py);
    d.set_item("stream_count", report.stream_count)?;
    d.set_item("streams", streams)?;
    d.set_item("video_frames", report.video_frames)?;
    d.set_item("audio_chunks", report.audio_chunks)?;
    d.set_item("bytes_recovered", report.bytes_recovered)?;
    d.set_item("riff_count", report.riff_count)?;
    d.set_item("was_damaged", report.was_damaged)?;
    Ok(d)
}

/// Checks the file at `path` strictly; the report as a dict.
#[pyfunction]
pub fn inspect(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let result = py.detach(|| avikit::repair::inspect_file(&path));
    report_dict(py, &check(py, result)?)
}

/// Rebuilds the headers and indexes of a file cut short into `out` (`None`: in place), calling
/// `progress(bytes_done, bytes_total)` as it copies. A progress callback that raises stops
/// nothing (the copy is cheap to finish); its first exception is raised at the end.
#[pyfunction]
#[pyo3(signature = (path, out=None, progress=None))]
pub fn repair(
    py: Python<'_>,
    path: PathBuf,
    out: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'_, PyDict>> {
    let mut raised: Option<PyErr> = None;
    let result = py.detach(|| {
        let mut report = |done: u64, total: u64| {
            if let (Some(callback), None) = (&progress, &raised) {
                raised = Python::attach(|py| callback.call1(py, (done, total)).err());
            }
        };
        avikit::repair::repair_file_with_progress(&path, out.as_deref(), &mut report)
    });
    let report = check(py, result)?;
    match raised {
        Some(err) => Err(err),
        None => report_dict(py, &report),
    }
}
