//! Namespace bindings in scope (Namespaces in XML 1.0 §5). The default namespace has its own
//! stack (most elements are unprefixed, so their lookup is one read); prefixes map to a stack
//! each, so a lookup costs the same however many declarations are in force. The map's hasher
//! is keyed per process (foldhash's `RandomState`), so a document cannot choose prefixes that
//! collide.

use crate::event::Span;
use std::collections::HashMap;

/// `http://www.w3.org/XML/1998/namespace`, bound to `xml` by definition.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// `http://www.w3.org/2000/xmlns/`, the namespace of `xmlns` attributes.
pub(crate) const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

pub(crate) struct Namespaces {
    /// URIs (and the prefixes of the undo log), back to back.
    pub buf: String,
    /// URIs bound to the default namespace, innermost last; an empty span undeclares it.
    default: Vec<Span>,
    /// For each prefix, the URIs bound to it, innermost last.
    map: HashMap<Box<str>, Vec<Span>, foldhash::fast::RandomState>,
    /// Prefixes bound, in order (an empty span for the default namespace), so that an
    /// element's bindings can be undone.
    undo: Vec<Span>,
}

impl Default for Namespaces {
    fn default() -> Self {
        let mut ns = Namespaces {
            buf: String::new(),
            default: Vec::new(),
            map: HashMap::default(),
            undo: Vec::new(),
        };
        crate::reader::push_span(&mut ns.buf, XMLNS_NS);
        ns.bind("xml", XML_NS);
        // The built-in binding is never unwound: forget its undo entry.
        ns.undo.clear();
        ns
    }
}

impl Namespaces {
    /// Where `http://www.w3.org/2000/xmlns/` is in `buf`.
    pub fn xmlns_span(&self) -> Span {
        Span {
            start: 0,
            end: XMLNS_NS.len() as u32,
        }
    }

    /// Where `http://www.w3.org/XML/1998/namespace` is in `buf` (bound to `xml` first).
    pub fn xml_span(&self) -> Span {
        let start = XMLNS_NS.len() as u32 + 3;
        Span {
            start,
            end: start + XML_NS.len() as u32,
        }
    }

    /// The current mark, to unwind to when the element ends.
    pub fn mark(&self) -> (usize, usize) {
        (self.undo.len(), self.buf.len())
    }

    /// Binds `prefix` ("" for the default namespace) to `uri` until the current element ends.
    pub fn bind(&mut self, prefix: &str, uri: &str) {
        let p = crate::reader::push_span(&mut self.buf, prefix);
        let u = crate::reader::push_span(&mut self.buf, uri);
        if prefix.is_empty() {
            self.default.push(u);
        } else if let Some(v) = self.map.get_mut(prefix) {
            v.push(u);
        } else {
            self.map.insert(prefix.into(), vec![u]);
        }
        self.undo.push(p);
    }

    /// The default namespace in scope.
    #[inline]
    pub fn default_ns(&self) -> Option<Span> {
        match self.default.last() {
            Some(s) if s.start != s.end => Some(*s),
            _ => None,
        }
    }

    /// The URI bound to `prefix` (`None` if unbound, or the default namespace undeclared).
    pub fn resolve(&self, prefix: &str) -> Option<Span> {
        if prefix.is_empty() {
            return self.default_ns();
        }
        self.map.get(prefix).and_then(|v| v.last()).copied()
    }

    /// The bytes kept for the bindings made since `mark` (their text, and bookkeeping per
    /// binding), as the memory budget counts them.
    #[inline]
    pub fn retained_since(&self, mark: (usize, usize)) -> usize {
        self.buf.len().saturating_sub(mark.1)
            + self.undo.len().saturating_sub(mark.0) * crate::budget::BINDING_OVERHEAD
    }

    /// Undoes the bindings made since `mark`.
    #[inline]
    pub fn unwind(&mut self, mark: (usize, usize)) {
        // Most elements bind nothing: nothing to undo.
        if self.undo.len() == mark.0 && self.buf.len() == mark.1 {
            return;
        }
        self.unwind_bindings(mark);
    }

    fn unwind_bindings(&mut self, mark: (usize, usize)) {
        while self.undo.len() > mark.0 {
            let Some(p) = self.undo.pop() else { break };
            if p.start == p.end {
                self.default.pop();
            } else {
                let prefix = p.of(&self.buf);
                if let Some(v) = self.map.get_mut(prefix) {
                    v.pop();
                    // Forget prefixes no longer bound, so that a long document declaring a
                    // new prefix on each element does not grow the map without end.
                    if v.is_empty() {
                        self.map.remove(prefix);
                    }
                }
            }
        }
        self.buf.truncate(mark.1);
    }
}
