//! A small in-memory document tree built from the [`Reader`], for callers who want the whole
//! document at hand rather than a stream of events.
//!
//! Nodes live in one arena (a `Vec`) in document order, and a [`NodeId`] is an index into it.
//! Each node records where its subtree ends, so a node's descendants are the contiguous range
//! after it: walking children, collecting text and serializing are loops, never recursion on
//! the document's depth, and dropping a tree frees a flat vector. (The reader's
//! [`Limits::max_depth`](crate::Limits::max_depth) still bounds the depth it accepts.)
//!
//! ```
//! use wary_xml::{tree::Document, Options};
//! let doc = Document::from_bytes(b"<order id='7'><item>tea</item><item>milk</item></order>",
//!                                Options::default())?;
//! let order = doc.root_element();
//! assert_eq!(order.attribute("id"), Some("7"));
//! let items: Vec<String> = order.element_children().map(|n| n.text_content()).collect();
//! assert_eq!(items, ["tea", "milk"]);
//! # Ok::<(), wary_xml::Error>(())
//! ```
//!
//! Text and CDATA sections are merged into text nodes; entity references are expanded; DTD
//! attribute defaults are present, marked `specified: false`. Processing instructions and
//! comments of the DTD become children of the document node, in document order.

use crate::{Error, Event, Options, Reader};
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// A node's index in its [`Document`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(usize);

impl NodeId {
    /// The index in document order; the document node is 0.
    pub fn index(self) -> usize {
        self.0
    }
}

/// What a node is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeKind {
    /// The document itself, parent of the root element and of top-level comments and PIs.
    Document,
    /// An element.
    Element(Element),
    /// Character data (text and CDATA sections, merged).
    Text(String),
    /// A comment.
    Comment(String),
    /// A processing instruction.
    Pi {
        /// The target.
        target: String,
        /// The data (may be empty).
        data: String,
    },
}

/// An element's name and attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    name: String,
    prefix_len: usize,
    namespace: Option<String>,
    attributes: Vec<Attr>,
}

impl Element {
    /// The qualified name as written, for example `x:doc`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The prefix, if any.
    pub fn prefix(&self) -> Option<&str> {
        (self.prefix_len > 0).then(|| &self.name[..self.prefix_len])
    }
    /// The local part of the name.
    pub fn local_name(&self) -> &str {
        match self.prefix_len {
            0 => &self.name,
            n => &self.name[n + 1..],
        }
    }
    /// The namespace URI, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
    /// The attributes, specified ones in document order, then DTD defaults.
    pub fn attributes(&self) -> &[Attr] {
        &self.attributes
    }
    /// The value of the attribute with this qualified name.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
    /// The value of the attribute with this namespace and local name (`None` namespace for
    /// unprefixed attributes).
    pub fn attribute_ns(&self, namespace: Option<&str>, local_name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.as_deref() == namespace && a.local_name() == local_name)
            .map(|a| a.value.as_str())
    }
}

/// An attribute of an [`Element`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    name: String,
    prefix_len: usize,
    namespace: Option<String>,
    value: String,
    specified: bool,
}

impl Attr {
    /// The qualified name as written.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The local part of the name.
    pub fn local_name(&self) -> &str {
        match self.prefix_len {
            0 => &self.name,
            n => &self.name[n + 1..],
        }
    }
    /// The namespace URI (`xmlns` attributes are in `http://www.w3.org/2000/xmlns/`).
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
    /// The normalized value.
    pub fn value(&self) -> &str {
        &self.value
    }
    /// `false` when the value is a default from the DTD.
    pub fn specified(&self) -> bool {
        self.specified
    }
}

/// The document type declaration's name and external identifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoctypeInfo {
    /// The declared root element name.
    pub name: String,
    /// The public identifier of the external subset.
    pub public_id: Option<String>,
    /// The system identifier of the external subset.
    pub system_id: Option<String>,
}

struct NodeData {
    kind: NodeKind,
    parent: usize,
    /// One past the last descendant: the subtree is `self..end`.
    end: usize,
}

/// A whole document in memory. See the module documentation.
pub struct Document {
    nodes: Vec<NodeData>,
    doctype: Option<DoctypeInfo>,
    skipped_entities: Vec<String>,
}

impl Document {
    /// Reads the whole document from `reader`.
    pub fn parse(reader: &mut Reader<'_>) -> Result<Document, Error> {
        let mut b = Builder::new();
        while let Some(event) = reader.next_event()? {
            b.event(event);
        }
        Ok(b.finish())
    }

    /// Parses a document in memory.
    pub fn from_bytes(input: &[u8], options: Options) -> Result<Document, Error> {
        Document::parse(&mut Reader::from_bytes(input, options))
    }

    /// Parses a file.
    pub fn from_path(path: &Path, options: Options) -> Result<Document, Error> {
        Document::parse(&mut Reader::from_path(path, options)?)
    }

    /// The document node.
    pub fn root(&self) -> Node<'_> {
        Node { doc: self, id: 0 }
    }

    /// The root element. Every document the reader accepts has one.
    pub fn root_element(&self) -> Node<'_> {
        self.root()
            .children()
            .find(|n| n.is_element())
            // A reader that returned end of document without a root element broke XML 1.0
            // [1]; give the document node rather than panic.
            .unwrap_or(self.root())
    }

    /// The node with this id, if it belongs to this document.
    pub fn node(&self, id: NodeId) -> Option<Node<'_>> {
        (id.0 < self.nodes.len()).then_some(Node {
            doc: self,
            id: id.0,
        })
    }

    /// All nodes in document order, the document node first.
    pub fn nodes(&self) -> impl Iterator<Item = Node<'_>> + '_ {
        (0..self.nodes.len()).map(move |id| Node { doc: self, id })
    }

    /// The number of nodes, the document node included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree holds only the document node (never for a parsed document).
    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// The document type declaration, if there was one.
    pub fn doctype(&self) -> Option<&DoctypeInfo> {
        self.doctype.as_ref()
    }

    /// External general entities that were referenced but not loaded (external entities
    /// off): their content is missing from the tree.
    pub fn skipped_entities(&self) -> &[String] {
        &self.skipped_entities
    }

    /// Writes the tree as XML (UTF-8, no XML declaration, no DTD: entities are expanded and
    /// defaults are written as attributes). Reading the output again gives the same tree.
    pub fn write_to<W: Write>(&self, out: W) -> io::Result<()> {
        let mut out = io::BufWriter::new(out);
        // Open elements, innermost last: closed once the walk passes the end of their subtree.
        let mut open: Vec<usize> = Vec::new();
        for id in 1..self.nodes.len() {
            while let Some(&top) = open.last() {
                if self.nodes[top].end > id {
                    break;
                }
                open.pop();
                self.write_end(&mut out, top)?;
            }
            let node = &self.nodes[id];
            match &node.kind {
                NodeKind::Element(e) => {
                    out.write_all(b"<")?;
                    out.write_all(e.name.as_bytes())?;
                    for a in &e.attributes {
                        out.write_all(b" ")?;
                        out.write_all(a.name.as_bytes())?;
                        out.write_all(b"=\"")?;
                        write_escaped(&mut out, &a.value, true)?;
                        out.write_all(b"\"")?;
                    }
                    if node.end == id + 1 {
                        out.write_all(b"/>")?;
                    } else {
                        out.write_all(b">")?;
                        open.push(id);
                    }
                }
                NodeKind::Text(t) => write_escaped(&mut out, t, false)?,
                NodeKind::Comment(c) => {
                    out.write_all(b"<!--")?;
                    out.write_all(c.as_bytes())?;
                    out.write_all(b"-->")?;
                }
                NodeKind::Pi { target, data } => {
                    out.write_all(b"<?")?;
                    out.write_all(target.as_bytes())?;
                    if !data.is_empty() {
                        out.write_all(b" ")?;
                        out.write_all(data.as_bytes())?;
                    }
                    out.write_all(b"?>")?;
                }
                NodeKind::Document => {}
            }
            // Top-level comments and PIs each on their own line, as a reader would expect.
            if node.parent == 0 && !matches!(node.kind, NodeKind::Element(_)) {
                out.write_all(b"\n")?;
            }
        }
        while let Some(top) = open.pop() {
            self.write_end(&mut out, top)?;
        }
        out.flush()
    }

    fn write_end<W: Write>(&self, out: &mut W, id: usize) -> io::Result<()> {
        if let NodeKind::Element(e) = &self.nodes[id].kind {
            out.write_all(b"</")?;
            out.write_all(e.name.as_bytes())?;
            out.write_all(b">")?;
        }
        Ok(())
    }

    /// The tree written as XML (see [`Document::write_to`]).
    pub fn to_xml(&self) -> String {
        let mut v = Vec::new();
        // NOTE: writing to a Vec cannot fail, and only UTF-8 from `String`s is written.
        let _ = self.write_to(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("nodes", &self.nodes.len())
            .field("doctype", &self.doctype)
            .finish()
    }
}

/// A node of a [`Document`]: a cheap handle (document reference and index).
#[derive(Clone, Copy)]
pub struct Node<'d> {
    doc: &'d Document,
    id: usize,
}

impl<'d> Node<'d> {
    fn data(&self) -> &'d NodeData {
        &self.doc.nodes[self.id]
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        NodeId(self.id)
    }

    /// What this node is.
    pub fn kind(&self) -> &'d NodeKind {
        &self.data().kind
    }

    /// The element, if this node is one.
    pub fn element(&self) -> Option<&'d Element> {
        match self.kind() {
            NodeKind::Element(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this node is an element.
    pub fn is_element(&self) -> bool {
        self.element().is_some()
    }

    /// The qualified name of an element (`None` for other nodes).
    pub fn name(&self) -> Option<&'d str> {
        self.element().map(Element::name)
    }

    /// The value of an element's attribute with this qualified name.
    pub fn attribute(&self, name: &str) -> Option<&'d str> {
        self.element()?.attribute(name)
    }

    /// The text of a text node (`None` for other nodes).
    pub fn text(&self) -> Option<&'d str> {
        match self.kind() {
            NodeKind::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The parent (`None` for the document node).
    pub fn parent(&self) -> Option<Node<'d>> {
        (self.id != 0).then(|| Node {
            doc: self.doc,
            id: self.data().parent,
        })
    }

    /// The children, in document order.
    pub fn children(&self) -> Children<'d> {
        Children {
            doc: self.doc,
            next: self.id + 1,
            end: self.data().end,
        }
    }

    /// The element children, in document order.
    pub fn element_children(&self) -> impl Iterator<Item = Node<'d>> {
        self.children().filter(|n| n.is_element())
    }

    /// The next sibling.
    pub fn next_sibling(&self) -> Option<Node<'d>> {
        let parent = self.parent()?;
        let next = self.data().end;
        (next < parent.data().end).then_some(Node {
            doc: self.doc,
            id: next,
        })
    }

    /// Every node below this one, in document order.
    pub fn descendants(&self) -> impl Iterator<Item = Node<'d>> {
        let doc = self.doc;
        (self.id + 1..self.data().end).map(move |id| Node { doc, id })
    }

    /// The text of all text nodes below this one (or of this text node), concatenated.
    pub fn text_content(&self) -> String {
        if let Some(t) = self.text() {
            return t.to_owned();
        }
        let mut s = String::new();
        for n in self.descendants() {
            if let Some(t) = n.text() {
                s.push_str(t);
            }
        }
        s
    }
}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("id", &self.id)
            .field("kind", self.kind())
            .finish()
    }
}

/// The children of a node (see [`Node::children`]).
pub struct Children<'d> {
    doc: &'d Document,
    next: usize,
    end: usize,
}

impl<'d> Iterator for Children<'d> {
    type Item = Node<'d>;
    fn next(&mut self) -> Option<Node<'d>> {
        if self.next >= self.end {
            return None;
        }
        let id = self.next;
        // The next sibling starts where this child's subtree ends.
        self.next = self.doc.nodes[id].end;
        Some(Node { doc: self.doc, id })
    }
}

/// Turns the event stream into the arena.
struct Builder {
    nodes: Vec<NodeData>,
    /// Open elements, innermost last.
    open: Vec<usize>,
    doctype: Option<DoctypeInfo>,
    skipped: Vec<String>,
}

impl Builder {
    fn new() -> Self {
        Builder {
            nodes: vec![NodeData {
                kind: NodeKind::Document,
                parent: 0,
                end: 1,
            }],
            open: Vec::new(),
            doctype: None,
            skipped: Vec::new(),
        }
    }

    fn parent(&self) -> usize {
        self.open.last().copied().unwrap_or(0)
    }

    fn push_leaf(&mut self, kind: NodeKind) {
        let id = self.nodes.len();
        let parent = self.parent();
        self.nodes.push(NodeData {
            kind,
            parent,
            end: id + 1,
        });
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::DoctypeStart(d) => {
                self.doctype = Some(DoctypeInfo {
                    name: d.name.to_owned(),
                    public_id: d.public_id.map(str::to_owned),
                    system_id: d.system_id.map(str::to_owned),
                })
            }
            Event::StartElement(s) => {
                let id = self.nodes.len();
                let attributes = s
                    .attributes()
                    .map(|a| Attr {
                        name: a.name.to_owned(),
                        prefix_len: a.prefix.map_or(0, str::len),
                        namespace: a.namespace.map(str::to_owned),
                        value: a.value.to_owned(),
                        specified: a.specified,
                    })
                    .collect();
                let element = Element {
                    name: s.name().to_owned(),
                    prefix_len: s.prefix().map_or(0, str::len),
                    namespace: s.namespace().map(str::to_owned),
                    attributes,
                };
                let parent = self.parent();
                self.nodes.push(NodeData {
                    kind: NodeKind::Element(element),
                    parent,
                    end: id + 1,
                });
                self.open.push(id);
            }
            Event::EndElement(_) => {
                if let Some(id) = self.open.pop() {
                    self.nodes[id].end = self.nodes.len();
                }
            }
            Event::Text(t) | Event::CData(t) => {
                let parent = self.parent();
                // The data model has no text at document level; the reader reports none
                // there but white space, which is dropped.
                if parent == 0 {
                    return;
                }
                // Consecutive pieces (long text, CDATA next to text) make one node.
                if let Some(last) = self.nodes.last_mut() {
                    if last.parent == parent {
                        if let NodeKind::Text(s) = &mut last.kind {
                            s.push_str(t);
                            return;
                        }
                    }
                }
                self.push_leaf(NodeKind::Text(t.to_owned()));
            }
            Event::Comment(c) => self.push_leaf(NodeKind::Comment(c.to_owned())),
            Event::Pi(pi) => self.push_leaf(NodeKind::Pi {
                target: pi.target.to_owned(),
                data: pi.data.to_owned(),
            }),
            Event::SkippedEntity(name) if !self.skipped.iter().any(|s| s == name) => {
                self.skipped.push(name.to_owned());
            }
            _ => {}
        }
    }

    fn finish(mut self) -> Document {
        // A well-formed document closes every element; after an early end, close the rest.
        while let Some(id) = self.open.pop() {
            self.nodes[id].end = self.nodes.len();
        }
        self.nodes[0].end = self.nodes.len();
        Document {
            nodes: self.nodes,
            doctype: self.doctype,
            skipped_entities: self.skipped,
        }
    }
}

/// Escapes for the serializer: enough that reading the output gives back the same text and
/// values (`\r` and, in attributes, white space as references, which normalization keeps).
fn write_escaped<W: Write>(out: &mut W, s: &str, in_attribute: bool) -> io::Result<()> {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            // `]]>` may not appear in text (XML 1.0 [14]).
            b'>' => b"&gt;",
            b'\r' => b"&#13;",
            b'"' if in_attribute => b"&quot;",
            b'\t' if in_attribute => b"&#9;",
            b'\n' if in_attribute => b"&#10;",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(rep)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree built by hand through the builder, so these tests do not depend on the reader.
    fn sample() -> Document {
        let mut b = Builder::new();
        let leaf = |b: &mut Builder, kind| b.push_leaf(kind);
        // <a x="1"><b>hi</b><c/>there<?p d?></a>
        let start = |b: &mut Builder, name: &str, attrs: Vec<Attr>| {
            let id = b.nodes.len();
            let parent = b.parent();
            b.nodes.push(NodeData {
                kind: NodeKind::Element(Element {
                    name: name.into(),
                    prefix_len: 0,
                    namespace: None,
                    attributes: attrs,
                }),
                parent,
                end: id + 1,
            });
            b.open.push(id);
        };
        let end = |b: &mut Builder| {
            let id = b.open.pop().unwrap();
            b.nodes[id].end = b.nodes.len();
        };
        start(
            &mut b,
            "a",
            vec![Attr {
                name: "x".into(),
                prefix_len: 0,
                namespace: None,
                value: "1\t\"<".into(),
                specified: true,
            }],
        );
        start(&mut b, "b", vec![]);
        leaf(&mut b, NodeKind::Text("hi".into()));
        end(&mut b);
        start(&mut b, "c", vec![]);
        end(&mut b);
        leaf(&mut b, NodeKind::Text("there & \r".into()));
        leaf(
            &mut b,
            NodeKind::Pi {
                target: "p".into(),
                data: "d".into(),
            },
        );
        end(&mut b);
        b.finish()
    }

    #[test]
    fn navigation() {
        let doc = sample();
        assert_eq!(doc.len(), 7);
        let a = doc.root_element();
        assert_eq!(a.name(), Some("a"));
        assert_eq!(a.parent().map(|p| p.id()), Some(doc.root().id()));
        let kids: Vec<_> = a.children().map(|n| n.id().index()).collect();
        assert_eq!(kids, [2, 4, 5, 6]);
        let names: Vec<_> = a.element_children().filter_map(|n| n.name()).collect();
        assert_eq!(names, ["b", "c"]);
        assert_eq!(a.text_content(), "hithere & \r");
        let b = a.children().next().unwrap();
        assert_eq!(b.next_sibling().and_then(|n| n.name()), Some("c"));
        assert_eq!(a.next_sibling().map(|n| n.id()), None);
        let last = a.children().last().unwrap();
        assert!(last.next_sibling().is_none());
        assert_eq!(a.attribute("x"), Some("1\t\"<"));
        assert_eq!(a.element().unwrap().attribute_ns(None, "x"), Some("1\t\"<"));
        assert_eq!(doc.node(NodeId(99)).map(|n| n.id()), None);
    }

    #[test]
    fn serializes_without_recursion() {
        let doc = sample();
        assert_eq!(
            doc.to_xml(),
            "<a x=\"1&#9;&quot;&lt;\"><b>hi</b><c/>there &amp; &#13;<?p d?></a>"
        );
    }

    #[test]
    fn deep_tree_builds_serializes_and_drops() {
        // Far deeper than any recursion could survive on a test thread's stack.
        let depth = 1_000_000;
        let mut b = Builder::new();
        for _ in 0..depth {
            let id = b.nodes.len();
            let parent = b.parent();
            b.nodes.push(NodeData {
                kind: NodeKind::Element(Element {
                    name: "d".into(),
                    prefix_len: 0,
                    namespace: None,
                    attributes: Vec::new(),
                }),
                parent,
                end: id + 1,
            });
            b.open.push(id);
        }
        let doc = b.finish();
        let xml = doc.to_xml();
        assert_eq!(xml.len(), depth * "<d></d>".len() - 3);
        assert!(
            xml.starts_with("<d><d>")
                && xml.matches("<d/>").count() == 1
                && xml.ends_with("</d></d>"),
            "{}...{}",
            &xml[..20],
            &xml[xml.len() - 20..]
        );
        assert_eq!(doc.root_element().descendants().count(), depth - 1);
        drop(doc);
    }
}
