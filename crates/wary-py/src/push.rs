//! The push side of the binding: `XMLPullParser` and `XMLParser.feed`, over wary-xml's
//! sans-IO [`Parser`] (issue 11).
//!
//! Each `feed` hands the bytes to the parser and pulls events until [`Pull::NeedMore`], into
//! the same [`Batch`] as a streamed parse (defusedxml's switches checked on the way), so the
//! Python side turns them into ElementTree objects exactly as for `iterparse`
//! ([`crate::tree`]) or into target calls. No thread: the caller's feed is the unit of work,
//! and the bytes it holds are what it fed.

use crate::batch::{Batch, Failure, Policy};
use crate::config::Config;
use crate::{stream, tree};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use std::sync::{Mutex, MutexGuard};
use wary_xml::{Parser, Pull};

/// A document fed in pieces.
#[pyclass(module = "wary._wary", frozen)]
pub struct PushStream {
    inner: Mutex<Inner>,
}

struct Inner {
    parser: Parser,
    policy: Policy,
    /// The events pulled since the caller last took them.
    batch: Batch,
    state: tree::State,
    /// The document ended (well-formed or not): nothing more is pulled.
    over: bool,
}

impl PushStream {
    /// A parser that has been fed nothing yet.
    pub fn new(config: Config) -> PushStream {
        PushStream {
            inner: Mutex::new(Inner {
                parser: Parser::new(config.options),
                policy: config.policy,
                batch: Batch::default(),
                state: tree::State::default(),
                over: false,
            }),
        }
    }

    fn lock(&self) -> PyResult<MutexGuard<'_, Inner>> {
        self.inner
            .try_lock()
            .map_err(|_| PyRuntimeError::new_err("this parser is being fed by another thread"))
    }
}

#[pymethods]
impl PushStream {
    /// Parses `data` (more bytes of the document, in any split) as far as it goes.
    fn feed(&self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        let mut guard = self.lock()?;
        let inner: &mut Inner = &mut guard;
        // The parse needs no Python object: let other threads run meanwhile.
        py.detach(|| {
            if !inner.over {
                inner.parser.feed(data);
                inner.pull();
            }
        });
        Ok(())
    }

    /// The document has ended: parses what is left, and reports an unfinished document.
    fn finish(&self, py: Python<'_>) -> PyResult<()> {
        let mut guard = self.lock()?;
        let inner: &mut Inner = &mut guard;
        py.detach(|| {
            if !inner.over {
                inner.parser.finish();
                inner.pull();
            }
        });
        Ok(())
    }

    /// Feeds the events pulled so far to `builder` (see `EventStream.build`); returns
    /// `(pairs, failure, done)`.
    fn build<'py>(
        &self,
        py: Python<'py>,
        builder: Bound<'py, PyAny>,
        wanted: u32,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let mut inner = self.lock()?;
        let batch = std::mem::take(&mut inner.batch);
        let pairs = tree::build(py, &mut inner.state, &batch, &builder, wanted)?;
        finish_tuple(py, pairs, &batch)
    }

    /// The events pulled so far as event tuples (see `EventStream.next_batch`), for targets
    /// other than the stdlib's `TreeBuilder`; returns `(events, failure, done)`.
    fn next_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let mut inner = self.lock()?;
        let batch = std::mem::take(&mut inner.batch);
        let events = stream::events(py, &mut inner.state, &batch)?;
        finish_tuple(py, events, &batch)
    }
}

fn finish_tuple<'py>(
    py: Python<'py>,
    items: Bound<'py, PyList>,
    b: &Batch,
) -> PyResult<Bound<'py, PyTuple>> {
    let failure = match &b.failure {
        None => py.None().into_bound(py),
        Some(f) => stream::failure(py, f, None)?,
    };
    (items, failure, b.done || b.failure.is_some()).into_pyobject(py)
}

impl Inner {
    /// Pulls events until the parser needs more input or the document ended.
    fn pull(&mut self) {
        loop {
            let refused = match self.parser.next_event() {
                Ok(Pull::Event(ev)) => match self.batch.push(ev, self.policy) {
                    Ok(()) => continue,
                    Err(f) => f,
                },
                Ok(Pull::End) => {
                    self.batch.done = true;
                    self.over = true;
                    return;
                }
                Err(e) => {
                    self.batch.failure = Some(Failure::from_error(&e));
                    self.over = true;
                    return;
                }
                // NeedMore, and any kind of pull a later wary-xml adds (nothing to build).
                Ok(_) => return,
            };
            let parser = &self.parser;
            let refused = refused.with_ids(|n| parser.entity_external_id(n));
            self.batch.refuse(refused, &self.parser.position());
            self.over = true;
            return;
        }
    }
}
