//! Namespace bindings in scope (Namespaces in XML 1.0 §5), as a stack per prefix so that a
//! lookup costs the same however many declarations are in force.

use crate::event::Span;
use std::collections::HashMap;

/// `http://www.w3.org/XML/1998/namespace`, bound to `xml` by definition.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// `http://www.w3.org/2000/xmlns/`, the namespace of `xmlns` attributes.
pub(crate) const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

pub(crate) struct Namespaces {
    /// URIs (and the prefixes of the undo log), back to back.
    pub buf: String,
    /// For each prefix ("" for the default namespace), the URIs bound to it, innermost last.
    /// An empty span is an undeclared default namespace.
    map: HashMap<Box<str>, Vec<Span>>,
    /// Prefixes bound, in order, so that an element's bindings can be undone.
    undo: Vec<Span>,
}

impl Default for Namespaces {
    fn default() -> Self {
        let mut ns = Namespaces {
            buf: String::new(),
            map: HashMap::new(),
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

    /// The current mark, to unwind to when the element ends.
    pub fn mark(&self) -> (usize, usize) {
        (self.undo.len(), self.buf.len())
    }

    /// Binds `prefix` to `uri` until the current element ends.
    pub fn bind(&mut self, prefix: &str, uri: &str) {
        let p = crate::reader::push_span(&mut self.buf, prefix);
        let u = crate::reader::push_span(&mut self.buf, uri);
        match self.map.get_mut(prefix) {
            Some(v) => v.push(u),
            None => {
                self.map.insert(prefix.into(), vec![u]);
            }
        }
        self.undo.push(p);
    }

    /// The URI bound to `prefix` (`None` if unbound, or the default namespace undeclared).
    pub fn resolve(&self, prefix: &str) -> Option<Span> {
        match self.map.get(prefix).and_then(|v| v.last()) {
            Some(s) if s.start == s.end => None,
            Some(s) => Some(*s),
            None => None,
        }
    }

    /// Undoes the bindings made since `mark`.
    pub fn unwind(&mut self, mark: (usize, usize)) {
        while self.undo.len() > mark.0 {
            let Some(p) = self.undo.pop() else { break };
            let prefix = p.of(&self.buf);
            if let Some(v) = self.map.get_mut(prefix) {
                v.pop();
                // Forget prefixes no longer bound, so that a long document declaring a new
                // prefix on each element does not grow the map without end.
                if v.is_empty() {
                    self.map.remove(prefix);
                }
            }
        }
        self.buf.truncate(mark.1);
    }
}
