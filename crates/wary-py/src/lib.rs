//! wary-py: the Python binding of wary, built by maturin into `wary._wary` (see
//! `python/pyproject.toml`).
//!
//! Thin by design: the XML rules, the limits and the defusedxml switches are checked in Rust
//! (wary-xml, and [`batch`] for the switches); this crate only moves events across the
//! language boundary. The Python package `wary` (in `python/wary`) builds standard
//! `xml.etree.ElementTree` objects from them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod batch;
pub mod config;
pub mod push;
pub mod smtp;
pub mod stream;
pub mod tree;

use config::{Config, Entry};
use push::PushStream;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyDict;
use std::path::PathBuf;
use stream::{EventStream, Source};

/// Starts parsing a document; returns an `EventStream` to read events from.
///
/// `kind` says what `source` is: `"bytes"` (a bytes object), `"path"` (a file name, opened
/// by Rust) or `"file"` (an object with a binary `read(n)`). The keyword arguments (read by
/// [`Config::from_kwargs`]) are the limits of `wary_xml::Limits` by name
/// (`DEFAULT_LIMITS`), `external_entities` (`"off"` or `"local"`), `entity_root`,
/// defusedxml's three `forbid_*` switches (all off here), and `raw_names` (start tags with
/// names as written, for SAX and DOM builders).
#[pyfunction]
#[pyo3(signature = (source, kind, **options))]
fn open(
    source: Bound<'_, PyAny>,
    kind: &str,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<EventStream> {
    let entry = Entry {
        function: "open",
        raw_names: true,
    };
    let config = Config::from_kwargs(entry, options)?;
    let source = match kind {
        "bytes" => Source::Bytes(source.extract::<PyBackedBytes>()?),
        "path" => Source::Path(source.extract::<PathBuf>()?),
        "file" => Source::File(source.unbind()),
        other => {
            return Err(PyValueError::new_err(format!(
                "kind must be \"bytes\", \"path\" or \"file\", got {other:?}"
            )))
        }
    };
    EventStream::start(source, config)
}

/// Starts a document to be fed in pieces (`XMLPullParser`, `XMLParser.feed`); returns a
/// `PushStream`. The keyword arguments are those of `open` but `raw_names` (SAX and DOM
/// read whole sources).
#[pyfunction]
#[pyo3(signature = (**options))]
fn open_push(options: Option<&Bound<'_, PyDict>>) -> PyResult<PushStream> {
    let entry = Entry {
        function: "open_push",
        raw_names: false,
    };
    Ok(PushStream::new(Config::from_kwargs(entry, options)?))
}

/// The native part of the `wary` package.
#[pymodule]
fn _wary(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<EventStream>()?;
    m.add_class::<PushStream>()?;
    m.add_function(wrap_pyfunction!(open_push, m)?)?;
    m.add_function(wrap_pyfunction!(open, m)?)?;
    // The limit keyword arguments and their defaults, from wary-xml's constants: the Python
    // package's list of limits and its documentation take them from here.
    let defaults = PyDict::new(m.py());
    for (name, value) in config::default_limits() {
        defaults.set_item(name, value)?;
    }
    m.add("DEFAULT_LIMITS", defaults)?;
    m.add_function(wrap_pyfunction!(smtp::smtp_send, m)?)?;
    Ok(())
}
