//! `EventStream`: a document parsed on its own thread, handed to Python in batches.
//!
//! wary-xml's [`Reader`] pulls from a blocking [`std::io::Read`] and is not `Send`, so it
//! lives on a thread of its own that never holds the GIL while parsing: it fills a
//! [`Batch`], sends it through a channel of one slot (so at most about three batches exist at
//! once: bounded memory for any document size), and goes on. Python's side waits for a batch
//! with the GIL released, turns it into tuples, and builds `Element`s with the stdlib's
//! `TreeBuilder` while the next batch is parsed on the other core.
//!
//! A Python file object is read from the parsing thread, which takes the GIL only for the
//! `read()` call itself. When issue 11's push API lands, `feed()` will hand bytes to a
//! sans-IO reader instead, and produce the same batches: the Python side does not change.

use crate::batch::{Batch, Failure, Forbidden, Policy, Rec};
use crate::config::Config;
use crate::tree;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use wary_xml::Reader;

/// Bytes asked of a Python file object per `read()`.
const READ_SIZE: usize = 64 << 10;

/// Where a document comes from.
pub enum Source {
    /// Bytes owned by Python (kept alive, not copied).
    Bytes(PyBackedBytes),
    /// A file, opened and read by the parsing thread without the GIL.
    Path(PathBuf),
    /// A Python object with a `read(n)` method returning bytes.
    File(Py<PyAny>),
}

/// The exception a Python `read()` raised, kept to be raised again on Python's side.
type ReadError = Arc<Mutex<Option<PyErr>>>;

/// A document being parsed on its own thread.
#[pyclass(module = "wary._wary", frozen)]
pub struct EventStream {
    /// `None` once the document ended or the stream was closed.
    rx: Mutex<Option<Receiver<Batch>>>,
    read_error: ReadError,
    /// The string caches and open elements, kept across batches.
    state: Mutex<tree::State>,
}

impl EventStream {
    /// Starts parsing `source` on a new thread.
    pub fn start(source: Source, config: Config) -> PyResult<EventStream> {
        let (tx, rx) = sync_channel(1);
        let read_error: ReadError = Arc::default();
        let slot = read_error.clone();
        std::thread::Builder::new()
            .name("wary-parse".to_string())
            .spawn(move || parse(source, config, tx, slot))
            .map_err(|e| {
                PyRuntimeError::new_err(format!("cannot start the parsing thread: {e}"))
            })?;
        Ok(EventStream {
            rx: Mutex::new(Some(rx)),
            read_error,
            state: Mutex::default(),
        })
    }
}

#[pymethods]
impl EventStream {
    /// The next batch: `(events, failure, done)`. `events` is a list of tuples (see
    /// `wary/_events.py`); `failure` is `None` or a tuple describing why parsing stopped after
    /// those events; `done` is true when the document ended (well-formed or not).
    fn next_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let Some(batch) = self.recv(py)? else {
            return (PyList::empty(py), py.None(), true).into_pyobject(py);
        };
        let end = batch.done || batch.failure.is_some();
        let events = self.events(py, &batch)?;
        let failure = self.failure_of(py, &batch)?;
        (events, failure, end).into_pyobject(py)
    }

    /// Feeds the next batch to `builder`, an `xml.etree.ElementTree.TreeBuilder` (its
    /// `start`, `end` and `data` are called from here, and `comment` and `pi` when `wanted`
    /// asks for those events), and returns `(pairs, failure, done)`: `pairs` are the
    /// `(event, object)` pairs of `iterparse` that `wanted` asks for (bit flags: 1 start,
    /// 2 end, 4 start-ns, 8 end-ns, 16 comment, 32 pi), `failure` and `done` as for
    /// `next_batch`.
    fn build<'py>(
        &self,
        py: Python<'py>,
        builder: Bound<'py, PyAny>,
        wanted: u32,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let Some(batch) = self.recv(py)? else {
            return (PyList::empty(py), py.None(), true).into_pyobject(py);
        };
        let end = batch.done || batch.failure.is_some();
        let pairs = {
            let mut state = self.state.try_lock().map_err(|_| {
                PyRuntimeError::new_err("this parse is being read by another thread")
            })?;
            tree::build(py, &mut state, &batch, &builder, wanted)?
        };
        let failure = self.failure_of(py, &batch)?;
        (pairs, failure, end).into_pyobject(py)
    }

    /// Stops parsing: the thread ends at its next batch.
    fn close(&self) {
        if let Ok(mut g) = self.rx.try_lock() {
            g.take();
        }
    }
}

impl EventStream {
    /// The next batch, waited for without the GIL; `None` once the document ended.
    fn recv(&self, py: Python<'_>) -> PyResult<Option<Batch>> {
        let mut guard = self
            .rx
            .try_lock()
            .map_err(|_| PyRuntimeError::new_err("this parse is being read by another thread"))?;
        let Some(rx) = guard.take() else {
            return Ok(None);
        };
        // Wait without the GIL: the parsing thread may need it to read a file object.
        let (rx, got) = py.detach(move || {
            let got = rx.recv();
            (rx, got)
        });
        let batch =
            got.map_err(|_| PyRuntimeError::new_err("the parsing thread ended without a result"))?;
        if !(batch.done || batch.failure.is_some()) {
            *guard = Some(rx);
        }
        Ok(Some(batch))
    }

    fn failure_of<'py>(&self, py: Python<'py>, b: &Batch) -> PyResult<Bound<'py, PyAny>> {
        match &b.failure {
            None => Ok(py.None().into_bound(py)),
            Some(f) => self.failure(py, f),
        }
    }

    fn events<'py>(&self, py: Python<'py>, b: &Batch) -> PyResult<Bound<'py, PyList>> {
        let mut state = self
            .state
            .try_lock()
            .map_err(|_| PyRuntimeError::new_err("this parse is being read by another thread"))?;
        events(py, &mut state, b)
    }

    fn failure<'py>(&self, py: Python<'py>, f: &Failure) -> PyResult<Bound<'py, PyAny>> {
        // The exception a file object's read() raised, to be raised as it was.
        let source = self.read_error.lock().ok().and_then(|mut g| g.take());
        self::failure(py, f, source)
    }
}

/// A batch as the event tuples of `wary/_core.py`.
pub fn events<'py>(
    py: Python<'py>,
    state: &mut tree::State,
    b: &Batch,
) -> PyResult<Bound<'py, PyList>> {
    {
        let out = PyList::empty(py);
        let end = PyTuple::new(py, [1])?;
        let opt = |s: Option<(usize, usize)>| s.map(|s| b.str(s));
        for r in &b.recs {
            let item = match *r {
                Rec::Start { tag, attrs, decls } => {
                    let attrib = PyDict::new(py);
                    for &(k, v) in b.pairs.get(attrs.0..attrs.1).unwrap_or(&[]) {
                        attrib.set_item(state.name(py, b.str(k)), b.str(v))?;
                    }
                    let decls = if decls.0 == decls.1 {
                        py.None().into_bound(py)
                    } else {
                        let l = PyList::empty(py);
                        for &(p, u) in b.pairs.get(decls.0..decls.1).unwrap_or(&[]) {
                            l.append((b.str(p), b.str(u)))?;
                        }
                        l.into_any()
                    };
                    (0, state.name(py, b.str(tag)), attrib, decls)
                        .into_pyobject(py)?
                        .into_any()
                }
                Rec::StartRaw {
                    qname,
                    ns,
                    local,
                    attrs,
                } => {
                    let l = PyList::empty(py);
                    for &(k, v, n, lo) in b.raw.get(attrs.0..attrs.1).unwrap_or(&[]) {
                        l.append((b.str(k), b.str(v), opt(n), b.str(lo)))?;
                    }
                    (6, b.str(qname), opt(ns), b.str(local), l)
                        .into_pyobject(py)?
                        .into_any()
                }
                Rec::End => end.clone().into_any(),
                Rec::Data(t) => (2, b.str(t)).into_pyobject(py)?.into_any(),
                Rec::Comment(t) => (3, b.str(t)).into_pyobject(py)?.into_any(),
                Rec::Pi(t, d) => (4, b.str(t), b.str(d)).into_pyobject(py)?.into_any(),
                Rec::Doctype(n, p, s) => {
                    (5, b.str(n), opt(p), opt(s)).into_pyobject(py)?.into_any()
                }
            };
            out.append(item)?;
        }
        Ok(out)
    }
}

/// A failure as the tuple `wary/_core.py`'s `error()` turns into an exception; `source` is
/// the exception a file object's `read()` raised, if one did.
pub fn failure<'py>(
    py: Python<'py>,
    f: &Failure,
    source: Option<PyErr>,
) -> PyResult<Bound<'py, PyAny>> {
    let forbidden = match &f.forbidden {
        None => py.None().into_bound(py),
        Some(Forbidden::Dtd(n, s, p)) => ("dtd", n, s, p).into_pyobject(py)?.into_any(),
        Some(Forbidden::Entity {
            name,
            value,
            sysid,
            pubid,
            notation,
        }) => ("entity", name, value, sysid, pubid, notation)
            .into_pyobject(py)?
            .into_any(),
        Some(Forbidden::External {
            context,
            sysid,
            pubid,
        }) => ("external", context, sysid, pubid)
            .into_pyobject(py)?
            .into_any(),
    };
    let source = source.map(|e| e.into_value(py).into_any());
    Ok((
        &f.kind, &f.message, &f.rule, f.line, f.column, &f.limit, forbidden, source,
    )
        .into_pyobject(py)?
        .into_any())
}

/// The parsing thread: reads the whole document, sending a batch whenever one is full.
fn parse(source: Source, config: Config, tx: SyncSender<Batch>, read_error: ReadError) {
    let Config {
        options,
        policy,
        raw_names,
    } = config;
    let reader = match source {
        Source::Bytes(b) => Ok(Reader::new(io::Cursor::new(b), options)),
        Source::Path(p) => Reader::from_path(&p, options),
        Source::File(f) => Ok(Reader::new(
            PyRead {
                file: f,
                pending: Vec::new(),
                error: read_error,
            },
            options,
        )),
    };
    let mut reader = match reader {
        Ok(r) => r,
        Err(e) => {
            let batch = Batch {
                failure: Some(Failure::from_error(&e)),
                ..Batch::default()
            };
            let _ = tx.send(batch);
            return;
        }
    };
    run(&mut reader, policy, raw_names, &tx);
}

fn run(reader: &mut Reader<'_>, policy: Policy, raw: bool, tx: &SyncSender<Batch>) {
    let fresh = || Batch {
        raw_names: raw,
        ..Batch::default()
    };
    let mut batch = fresh();
    loop {
        match reader.next_event() {
            Ok(Some(ev)) => {
                if let Err(f) = batch.push(ev, policy) {
                    batch.refuse(
                        f.with_ids(|n| reader.entity_external_id(n)),
                        &reader.position(),
                    );
                    let _ = tx.send(batch);
                    return;
                }
                if batch.is_full() && tx.send(std::mem::replace(&mut batch, fresh())).is_err() {
                    // Python closed the stream: stop parsing.
                    return;
                }
            }
            Ok(None) => {
                batch.done = true;
                let _ = tx.send(batch);
                return;
            }
            Err(e) => {
                batch.failure = Some(Failure::from_error(&e));
                let _ = tx.send(batch);
                return;
            }
        }
    }
}

/// `std::io::Read` over a Python binary file object, called from the parsing thread.
struct PyRead {
    file: Py<PyAny>,
    /// Bytes a `read(n)` returned beyond `n` (a file object may return more than asked).
    pending: Vec<u8>,
    error: ReadError,
}

impl Read for PyRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            let want = buf.len().clamp(1, READ_SIZE);
            let got = Python::attach(|py| -> PyResult<Vec<u8>> {
                let data = self.file.bind(py).call_method1("read", (want,))?;
                match data.cast::<PyBytes>() {
                    Ok(b) => Ok(b.as_bytes().to_vec()),
                    Err(_) => Err(PyTypeError::new_err(format!(
                        "read() returned {}, not bytes: open the file in binary mode ('rb')",
                        data.get_type().name()?
                    ))),
                }
            });
            match got {
                Ok(v) => self.pending = v,
                Err(e) => {
                    let msg = Python::attach(|py| e.value(py).to_string());
                    if let Ok(mut slot) = self.error.lock() {
                        *slot = Some(e);
                    }
                    return Err(io::Error::other(msg));
                }
            }
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}
