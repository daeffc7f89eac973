//! Building the tree: the event stream of a [`Reader`](crate::Reader) turned into the arena
//! of [`Document`], with no recursion (open elements are a stack of arena indices).

use super::{AttrData, DoctypeInfo, Document, Kind, NodeData, Str};
use crate::Event;
use std::collections::HashMap;

/// Turns the event stream into the arena.
pub(super) struct Builder {
    doc: Document,
    /// Open elements, innermost last.
    open: Vec<usize>,
    ns_index: HashMap<Box<str>, usize>,
}

impl Builder {
    pub(super) fn new() -> Self {
        Builder {
            doc: Document {
                nodes: vec![NodeData {
                    kind: Kind::Document,
                    parent: 0,
                    end: 1,
                }],
                attrs: Vec::new(),
                text: String::new(),
                namespaces: Vec::new(),
                doctype: None,
                skipped_entities: Vec::new(),
            },
            open: Vec::new(),
            ns_index: HashMap::new(),
        }
    }

    pub(super) fn parent(&self) -> usize {
        self.open.last().copied().unwrap_or(0)
    }

    pub(super) fn push_str(&mut self, s: &str) -> Str {
        let start = self.doc.text.len();
        self.doc.text.push_str(s);
        Str {
            start,
            len: s.len(),
        }
    }

    pub(super) fn intern_ns(&mut self, ns: Option<&str>) -> usize {
        let Some(ns) = ns else { return 0 };
        if let Some(&i) = self.ns_index.get(ns) {
            return i;
        }
        let span = self.push_str(ns);
        self.doc.namespaces.push(span);
        let i = self.doc.namespaces.len();
        self.ns_index.insert(ns.into(), i);
        i
    }

    pub(super) fn push_node(&mut self, kind: Kind) -> usize {
        let id = self.doc.nodes.len();
        let parent = self.parent();
        self.doc.nodes.push(NodeData {
            kind,
            parent,
            end: id + 1,
        });
        id
    }

    /// A start tag; attributes as (qualified name, namespace, value, specified).
    pub(super) fn start<'a>(
        &mut self,
        name: &str,
        ns: Option<&str>,
        attributes: impl Iterator<Item = (&'a str, Option<&'a str>, &'a str, bool)>,
    ) {
        let name = self.push_str(name);
        let ns = self.intern_ns(ns);
        let attrs = self.doc.attrs.len();
        for (a_name, a_ns, value, specified) in attributes {
            let name = self.push_str(a_name);
            let ns = self.intern_ns(a_ns);
            let value = self.push_str(value);
            self.doc.attrs.push(AttrData {
                name,
                value,
                ns,
                specified,
            });
        }
        // The reader's Limits::max_attributes keeps a tag's attributes far below u32::MAX.
        let attr_count = u32::try_from(self.doc.attrs.len() - attrs).unwrap_or(u32::MAX);
        let id = self.push_node(Kind::Element {
            name,
            ns,
            attrs,
            attr_count,
        });
        self.open.push(id);
    }

    pub(super) fn end(&mut self) {
        if let Some(id) = self.open.pop() {
            self.doc.nodes[id].end = self.doc.nodes.len();
        }
    }

    pub(super) fn text(&mut self, t: &str) {
        let parent = self.parent();
        // The data model has no text at document level; the reader reports none there but
        // white space, which is dropped.
        if parent == 0 {
            return;
        }
        // Consecutive pieces (long text, CDATA next to text) make one node: the last node's
        // text is then the end of the buffer, so it grows in place.
        let buffer_end = self.doc.text.len();
        if let Some(last) = self.doc.nodes.last_mut() {
            if let Kind::Text(s) = &mut last.kind {
                if last.parent == parent && s.start + s.len == buffer_end {
                    self.doc.text.push_str(t);
                    s.len += t.len();
                    return;
                }
            }
        }
        let s = self.push_str(t);
        self.push_node(Kind::Text(s));
    }

    pub(super) fn event(&mut self, event: Event<'_>) {
        match event {
            Event::DoctypeStart(d) => {
                self.doc.doctype = Some(DoctypeInfo {
                    name: d.name.to_owned(),
                    public_id: d.public_id.map(str::to_owned),
                    system_id: d.system_id.map(str::to_owned),
                })
            }
            Event::StartElement(s) => self.start(
                s.name(),
                s.namespace(),
                s.attributes()
                    .map(|a| (a.name, a.namespace, a.value, a.specified)),
            ),
            Event::EndElement(_) => self.end(),
            Event::Text(t) | Event::CData(t) => self.text(t),
            Event::Comment(c) => {
                let s = self.push_str(c);
                self.push_node(Kind::Comment(s));
            }
            Event::Pi(pi) => {
                let target = self.push_str(pi.target);
                let data = self.push_str(pi.data);
                self.push_node(Kind::Pi { target, data });
            }
            _ => {}
        }
    }

    /// The tree, with the distinct skipped entities the reader names.
    pub(super) fn finish(mut self, skipped_entities: Vec<String>) -> Document {
        self.doc.skipped_entities = skipped_entities;
        // A well-formed document closes every element; after an early end, close the rest.
        while !self.open.is_empty() {
            self.end();
        }
        let doc = &mut self.doc;
        doc.nodes[0].end = doc.nodes.len();
        // Growth left up to half of each buffer unused; a tree is read many times after.
        doc.nodes.shrink_to_fit();
        doc.attrs.shrink_to_fit();
        doc.text.shrink_to_fit();
        self.doc
    }
}
