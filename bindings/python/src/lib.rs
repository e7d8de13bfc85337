//! `avikit._avikit`: the native half of the `avikit` Python package, over avikit's safe Rust
//! API. The Python half (`python/avikit/__init__.py`) gives it its Pythonic surface: keyword
//! arguments with defaults, array shape checks with readable messages, futures, context
//! managers. Here: the writer and its streams (`writer`, `streams`), the bytes of numpy arrays
//! (`arrays`), completing futures from the worker (`futures`), errors (`errors`), and
//! `inspect`/`repair` (`inspect`).
//!
//! Threading: the library's worker thread completes futures under a short GIL hold, so every
//! call here that may wait on the worker releases the GIL first (`Python::detach`).

mod arrays;
mod errors;
mod futures;
mod inspect;
mod streams;
mod writer;

use pyo3::prelude::*;

/// The native module. Its classes start with `_`: `import avikit` is the public surface.
#[pymodule]
fn _avikit(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<writer::Writer>()?;
    m.add_class::<streams::VideoStream>()?;
    m.add_class::<streams::AudioStream>()?;
    m.add_class::<streams::Pending>()?;
    m.add_function(wrap_pyfunction!(inspect::inspect, m)?)?;
    m.add_function(wrap_pyfunction!(inspect::repair, m)?)?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
