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

use batch::Policy;
use config::{Config, Kwargs};
use push::PushStream;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use std::path::PathBuf;
use stream::{EventStream, Source};

/// Starts parsing a document; returns an `EventStream` to read events from.
///
/// `kind` says what `source` is: `"bytes"` (a bytes object), `"path"` (a file name, opened
/// by Rust) or `"file"` (an object with a binary `read(n)`). The keyword arguments are the
/// limits of `wary_xml::Limits` by name, `external_entities` (`"off"` or `"local"`),
/// `entity_root`, defusedxml's three `forbid_*` switches (all off here), and `raw_names`
/// (start tags with names as written, for SAX and DOM builders).
#[pyfunction]
#[pyo3(signature = (
    source, kind, *, max_depth=None, max_entity_depth=None, amplification_threshold=None,
    max_amplification=None, max_attributes=None, max_name_len=None, max_token_len=None,
    max_retained_bytes=None, external_entities=None, entity_root=None, forbid_dtd=false, forbid_entities=false,
    forbid_external=false, raw_names=false
))]
#[allow(clippy::too_many_arguments)]
fn open(
    source: Bound<'_, PyAny>,
    kind: &str,
    max_depth: Option<i64>,
    max_entity_depth: Option<i64>,
    amplification_threshold: Option<i64>,
    max_amplification: Option<i64>,
    max_attributes: Option<i64>,
    max_name_len: Option<i64>,
    max_token_len: Option<i64>,
    max_retained_bytes: Option<i64>,
    external_entities: Option<String>,
    entity_root: Option<PathBuf>,
    forbid_dtd: bool,
    forbid_entities: bool,
    forbid_external: bool,
    raw_names: bool,
) -> PyResult<EventStream> {
    let config = Config::new(Kwargs {
        limits: vec![
            ("max_depth", max_depth),
            ("max_entity_depth", max_entity_depth),
            ("amplification_threshold", amplification_threshold),
            ("max_amplification", max_amplification),
            ("max_attributes", max_attributes),
            ("max_name_len", max_name_len),
            ("max_token_len", max_token_len),
            ("max_retained_bytes", max_retained_bytes),
        ],
        external_entities,
        entity_root,
        policy: Policy {
            forbid_dtd,
            forbid_entities,
            forbid_external,
        },
        raw_names,
    })?;
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
/// `PushStream`. The keyword arguments are those of `open` (names as written are not
/// offered: SAX and DOM read whole sources).
#[pyfunction]
#[pyo3(signature = (
    *, max_depth=None, max_entity_depth=None, amplification_threshold=None,
    max_amplification=None, max_attributes=None, max_name_len=None, max_token_len=None,
    max_retained_bytes=None, external_entities=None, entity_root=None, forbid_dtd=false,
    forbid_entities=false, forbid_external=false
))]
#[allow(clippy::too_many_arguments)]
fn open_push(
    max_depth: Option<i64>,
    max_entity_depth: Option<i64>,
    amplification_threshold: Option<i64>,
    max_amplification: Option<i64>,
    max_attributes: Option<i64>,
    max_name_len: Option<i64>,
    max_token_len: Option<i64>,
    max_retained_bytes: Option<i64>,
    external_entities: Option<String>,
    entity_root: Option<PathBuf>,
    forbid_dtd: bool,
    forbid_entities: bool,
    forbid_external: bool,
) -> PyResult<PushStream> {
    let config = Config::new(Kwargs {
        limits: vec![
            ("max_depth", max_depth),
            ("max_entity_depth", max_entity_depth),
            ("amplification_threshold", amplification_threshold),
            ("max_amplification", max_amplification),
            ("max_attributes", max_attributes),
            ("max_name_len", max_name_len),
            ("max_token_len", max_token_len),
            ("max_retained_bytes", max_retained_bytes),
        ],
        external_entities,
        entity_root,
        policy: Policy {
            forbid_dtd,
            forbid_entities,
            forbid_external,
        },
        raw_names: false,
    })?;
    Ok(PushStream::new(config))
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
    let defaults = pyo3::types::PyDict::new(m.py());
    for (name, value) in config::default_limits() {
        defaults.set_item(name, value)?;
    }
    m.add("DEFAULT_LIMITS", defaults)?;
    m.add_function(wrap_pyfunction!(smtp::smtp_send, m)?)?;
    Ok(())
}
