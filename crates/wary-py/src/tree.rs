//! Driving an ElementTree `TreeBuilder` from Rust: a whole batch of events becomes builder
//! calls without a Python-level loop or a tuple per event.
//!
//! Building the tree is where a Python parse spends its time (the parse itself runs at
//! hundreds of MB/s on its own thread). Going through event tuples and a Python `for` loop
//! cost two allocations and a dozen bytecodes per event; here each event is one call into the
//! stdlib's C `TreeBuilder` (`start`, `end`, `data`, and `comment`/`pi` when asked for), which
//! does ElementTree's own text/tail bookkeeping. For `iterparse`, the `(event, element)` pairs
//! are made here too, in ElementTree's order (`start-ns` before `start`, `end` before
//! `end-ns`; xml.etree.ElementTree.XMLPullParser).
//!
//! Tag and attribute names are interned strings from a small cache (the same name in the
//! document is one Python object), and indentation (white-space text between elements) comes
//! from a second cache, so a tree of a million elements does not hold a million copies of
//! `"\n    "`.

use crate::batch::{Batch, Rec};
use foldhash::HashMap;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

/// `iterparse` wants `("start", element)` pairs.
pub const START: u32 = 1;
/// ... `("end", element)` pairs.
pub const END: u32 = 2;
/// ... `("start-ns", (prefix, uri))` pairs.
pub const START_NS: u32 = 4;
/// ... `("end-ns", None)` pairs.
pub const END_NS: u32 = 8;
/// ... `("comment", comment)` pairs (the builder's `comment` is called only then).
pub const COMMENT: u32 = 16;
/// ... `("pi", pi)` pairs (the builder's `pi` is called only then).
pub const PI: u32 = 32;

/// Names kept at most: a document with a million distinct names must not grow the cache
/// without bound (it is cleared when full).
const NAME_CACHE: usize = 4096;
/// Indentation strings kept at most, and the longest one kept (bytes).
const TEXT_CACHE: usize = 256;
const TEXT_CACHE_LEN: usize = 64;

/// What one parse keeps between batches: the string caches and the open elements.
#[derive(Default)]
pub struct State {
    names: HashMap<Box<str>, Py<PyString>>,
    texts: HashMap<Box<str>, Py<PyString>>,
    /// The tags of the open elements (`TreeBuilder.end` takes the tag).
    tags: Vec<Py<PyString>>,
    /// How many namespace declarations each open element made (for `end-ns`).
    decls: Vec<usize>,
}

impl State {
    /// The Python string for a name, interned and cached.
    pub fn name<'py>(&mut self, py: Python<'py>, s: &str) -> Bound<'py, PyString> {
        if let Some(n) = self.names.get(s) {
            return n.bind(py).clone();
        }
        if self.names.len() >= NAME_CACHE {
            self.names.clear();
        }
        let n = PyString::intern(py, s);
        self.names.insert(s.into(), n.clone().unbind());
        n
    }

    /// The Python string for a piece of text: shared when it is indentation (white space
    /// only, short), which repeats between every two elements of a pretty-printed document.
    /// Other text is rarely repeated, and a cache of it would mostly miss and churn.
    fn text<'py>(&mut self, py: Python<'py>, s: &str) -> Bound<'py, PyString> {
        // XML 1.0 [3] S: the white space characters.
        let indentation = s.len() <= TEXT_CACHE_LEN
            && s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        if !indentation {
            return PyString::new(py, s);
        }
        if let Some(t) = self.texts.get(s) {
            return t.bind(py).clone();
        }
        if self.texts.len() >= TEXT_CACHE {
            self.texts.clear();
        }
        let t = PyString::new(py, s);
        self.texts.insert(s.into(), t.clone().unbind());
        t
    }
}

/// A `TreeBuilder`'s bound methods, looked up once per batch.
struct Methods<'py> {
    start: Bound<'py, PyAny>,
    end: Bound<'py, PyAny>,
    data: Bound<'py, PyAny>,
    comment: Option<Bound<'py, PyAny>>,
    pi: Option<Bound<'py, PyAny>>,
}

/// Feeds a batch to `builder` (an `xml.etree.ElementTree.TreeBuilder`); returns the
/// `iterparse` pairs that `wanted` (the flags above) asks for, empty when it asks for none.
pub fn build<'py>(
    py: Python<'py>,
    state: &mut State,
    b: &Batch,
    builder: &Bound<'py, PyAny>,
    wanted: u32,
) -> PyResult<Bound<'py, PyList>> {
    let m = Methods {
        start: builder.getattr("start")?,
        end: builder.getattr("end")?,
        data: builder.getattr("data")?,
        comment: (wanted & COMMENT != 0)
            .then(|| builder.getattr("comment"))
            .transpose()?,
        pi: (wanted & PI != 0)
            .then(|| builder.getattr("pi"))
            .transpose()?,
    };
    let out = PyList::empty(py);
    let ns_wanted = wanted & (START_NS | END_NS) != 0;
    for r in &b.recs {
        match *r {
            Rec::Start { tag, attrs, decls } => {
                let pairs = b.pairs.get(decls.0..decls.1).unwrap_or(&[]);
                if ns_wanted {
                    state.decls.push(pairs.len());
                }
                if wanted & START_NS != 0 {
                    for &(p, u) in pairs {
                        let decl = (state.name(py, b.str(p)), b.str(u));
                        out.append(("start-ns", decl))?;
                    }
                }
                let attrib = PyDict::new(py);
                for &(k, v) in b.pairs.get(attrs.0..attrs.1).unwrap_or(&[]) {
                    attrib.set_item(state.name(py, b.str(k)), b.str(v))?;
                }
                let tag = state.name(py, b.str(tag));
                state.tags.push(tag.clone().unbind());
                let elem = m.start.call1((tag, attrib))?;
                if wanted & START != 0 {
                    out.append(("start", elem))?;
                }
            }
            Rec::End => {
                // NOTE: the reader pairs every end with a start (XML 1.0 [39] element), so
                // the stack is never empty here; an empty one would be a bug, and `end`
                // with `None` makes the builder raise rather than Rust panic.
                let tag = state.tags.pop();
                let elem = m.end.call1((tag,))?;
                if wanted & END != 0 {
                    out.append(("end", elem))?;
                }
                if ns_wanted {
                    let n = state.decls.pop().unwrap_or(0);
                    if wanted & END_NS != 0 {
                        for _ in 0..n {
                            out.append(("end-ns", py.None()))?;
                        }
                    }
                }
            }
            Rec::Data(t) => {
                m.data.call1((state.text(py, b.str(t)),))?;
            }
            Rec::Comment(t) => {
                if let Some(comment) = &m.comment {
                    out.append(("comment", comment.call1((b.str(t),))?))?;
                }
            }
            Rec::Pi(t, d) => {
                if let Some(pi) = &m.pi {
                    out.append(("pi", pi.call1((b.str(t), b.str(d)))?))?;
                }
            }
            // Start tags with names as written are for SAX and DOM (another path); the
            // document type declaration is not part of an ElementTree.
            Rec::StartRaw { .. } | Rec::Doctype(..) => {}
        }
    }
    Ok(out)
}
