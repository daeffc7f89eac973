//! A small in-memory document tree built from the [`Reader`], for callers who want the whole
//! document at hand rather than a stream of events.
//!
//! Nodes live in one arena (a `Vec`) in document order, and a [`NodeId`] is an index into it.
//! Each node records where its subtree ends, so a node's descendants are the contiguous range
//! after it: walking children, collecting text and serializing are loops, never recursion on
//! the document's depth, and dropping a tree frees a few flat vectors. (The reader's
//! [`Limits::max_depth`](crate::Limits::max_depth) still bounds the depth it accepts.) All
//! names, values and text share one string buffer, so a node costs no allocation of its own.
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

mod build;

use crate::{Error, Options, Reader};
use build::Builder;
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

/// What a node is, borrowed from its [`Document`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeKind<'d> {
    /// The document itself, parent of the root element and of top-level comments and PIs.
    Document,
    /// An element.
    Element(Element<'d>),
    /// Character data (text and CDATA sections, merged).
    Text(&'d str),
    /// A comment.
    Comment(&'d str),
    /// A processing instruction.
    Pi {
        /// The target.
        target: &'d str,
        /// The data (may be empty).
        data: &'d str,
    },
}

/// An element's name and attributes.
#[derive(Clone, Copy)]
pub struct Element<'d> {
    doc: &'d Document,
    name: Str,
    ns: usize,
    attrs: usize,
    attr_count: u32,
}

impl<'d> Element<'d> {
    /// The qualified name as written, for example `x:doc`.
    pub fn name(&self) -> &'d str {
        self.doc.str(self.name)
    }
    /// The prefix, if any. (The reader accepts only QNames: at most one colon, not first.)
    pub fn prefix(&self) -> Option<&'d str> {
        self.name().split_once(':').map(|(p, _)| p)
    }
    /// The local part of the name.
    pub fn local_name(&self) -> &'d str {
        local(self.name())
    }
    /// The namespace URI, if any.
    pub fn namespace(&self) -> Option<&'d str> {
        self.doc.namespace(self.ns)
    }
    /// The attributes, specified ones in document order, then DTD defaults.
    pub fn attributes(&self) -> Attrs<'d> {
        let start = self.attrs;
        let end = start + self.attr_count as usize;
        Attrs {
            doc: self.doc,
            iter: self.doc.attrs.get(start..end).unwrap_or(&[]).iter(),
        }
    }
    /// The value of the attribute with this qualified name.
    pub fn attribute(&self, name: &str) -> Option<&'d str> {
        self.attributes().find(|a| a.name == name).map(|a| a.value)
    }
    /// The value of the attribute with this namespace and local name (`None` namespace for
    /// unprefixed attributes).
    pub fn attribute_ns(&self, namespace: Option<&str>, local_name: &str) -> Option<&'d str> {
        self.attributes()
            .find(|a| a.namespace == namespace && a.local_name() == local_name)
            .map(|a| a.value)
    }
}

impl PartialEq for Element<'_> {
    /// Same name, namespace and attributes (in order, `specified` included).
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
            && self.namespace() == other.namespace()
            && self.attributes().eq(other.attributes())
    }
}

impl Eq for Element<'_> {}

impl fmt::Debug for Element<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Element")
            .field("name", &self.name())
            .field("namespace", &self.namespace())
            .field("attributes", &self.attributes().collect::<Vec<_>>())
            .finish()
    }
}

/// An attribute of an [`Element`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'d> {
    /// The qualified name as written.
    pub name: &'d str,
    /// The namespace URI (`xmlns` attributes are in `http://www.w3.org/2000/xmlns/`).
    pub namespace: Option<&'d str>,
    /// The normalized value.
    pub value: &'d str,
    /// `false` when the value is a default from the DTD.
    pub specified: bool,
}

impl<'d> Attr<'d> {
    /// The prefix, if any.
    pub fn prefix(&self) -> Option<&'d str> {
        self.name.split_once(':').map(|(p, _)| p)
    }
    /// The local part of the name.
    pub fn local_name(&self) -> &'d str {
        local(self.name)
    }
}

/// The attributes of an element (see [`Element::attributes`]).
#[derive(Clone)]
pub struct Attrs<'d> {
    doc: &'d Document,
    iter: std::slice::Iter<'d, AttrData>,
}

impl<'d> Iterator for Attrs<'d> {
    type Item = Attr<'d>;
    fn next(&mut self) -> Option<Attr<'d>> {
        let a = self.iter.next()?;
        Some(Attr {
            name: self.doc.str(a.name),
            namespace: self.doc.namespace(a.ns),
            value: self.doc.str(a.value),
            specified: a.specified,
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.iter.size_hint()
    }
}

impl ExactSizeIterator for Attrs<'_> {}

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

/// A whole document in memory. See the module documentation.
pub struct Document {
    nodes: Vec<NodeData>,
    attrs: Vec<AttrData>,
    /// Every name, value and text of the document, back to back.
    text: String,
    /// Namespace URIs, each once; an element or attribute refers to one by index + 1.
    namespaces: Vec<Str>,
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
        // The reader keeps the distinct names (a set, counted by its memory budget).
        let skipped = reader.skipped_entities().map(str::to_owned).collect();
        Ok(b.finish(skipped))
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
    /// off), and undeclared entities that XML 1.0 lets pass (VC: Entity Declared): their
    /// text is missing from the tree (see [`crate::Event::SkippedEntity`]).
    pub fn skipped_entities(&self) -> &[String] {
        &self.skipped_entities
    }

    /// Writes the tree as XML (UTF-8, no XML declaration, no DTD: entities are expanded and
    /// defaults are written as attributes). Reading the output again gives the same tree.
    pub fn write_to<W: Write>(&self, out: W) -> io::Result<()> {
        let mut out = io::BufWriter::new(out);
        // Open elements, innermost last: closed once the walk passes the end of their subtree.
        let mut open: Vec<Element<'_>> = Vec::new();
        let mut open_end: Vec<usize> = Vec::new();
        for node in self.nodes().skip(1) {
            let id = node.id;
            while open_end.last().is_some_and(|&end| end <= id) {
                open_end.pop();
                if let Some(e) = open.pop() {
                    write_end(&mut out, e)?;
                }
            }
            let end = self.nodes[id].end;
            match node.kind() {
                NodeKind::Element(e) => {
                    out.write_all(b"<")?;
                    out.write_all(e.name().as_bytes())?;
                    for a in e.attributes() {
                        out.write_all(b" ")?;
                        out.write_all(a.name.as_bytes())?;
                        out.write_all(b"=\"")?;
                        write_escaped(&mut out, a.value, true)?;
                        out.write_all(b"\"")?;
                    }
                    if end == id + 1 {
                        out.write_all(b"/>")?;
                    } else {
                        out.write_all(b">")?;
                        open.push(e);
                        open_end.push(end);
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
            if self.nodes[id].parent == 0 && !node.is_element() {
                out.write_all(b"\n")?;
            }
        }
        while let Some(e) = open.pop() {
            write_end(&mut out, e)?;
        }
        out.flush()
    }

    /// The tree written as XML (see [`Document::write_to`]).
    pub fn to_xml(&self) -> String {
        let mut v = Vec::new();
        // NOTE: writing to a Vec cannot fail, and only UTF-8 from the text buffer is written.
        let _ = self.write_to(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    fn str(&self, s: Str) -> &str {
        // NOTE: spans are made by the builder from this buffer, on char boundaries.
        self.text.get(s.start..s.start + s.len).unwrap_or("")
    }

    fn namespace(&self, ns: usize) -> Option<&str> {
        let i = ns.checked_sub(1)?;
        self.namespaces.get(i).map(|&s| self.str(s))
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
    pub fn kind(&self) -> NodeKind<'d> {
        let doc = self.doc;
        match self.data().kind {
            Kind::Document => NodeKind::Document,
            Kind::Element {
                name,
                ns,
                attrs,
                attr_count,
            } => NodeKind::Element(Element {
                doc,
                name,
                ns,
                attrs,
                attr_count,
            }),
            Kind::Text(s) => NodeKind::Text(doc.str(s)),
            Kind::Comment(s) => NodeKind::Comment(doc.str(s)),
            Kind::Pi { target, data } => NodeKind::Pi {
                target: doc.str(target),
                data: doc.str(data),
            },
        }
    }

    /// The element, if this node is one.
    pub fn element(&self) -> Option<Element<'d>> {
        match self.kind() {
            NodeKind::Element(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this node is an element.
    pub fn is_element(&self) -> bool {
        matches!(self.data().kind, Kind::Element { .. })
    }

    /// The qualified name of an element (`None` for other nodes).
    pub fn name(&self) -> Option<&'d str> {
        self.element().map(|e| e.name())
    }

    /// The value of an element's attribute with this qualified name.
    pub fn attribute(&self, name: &str) -> Option<&'d str> {
        self.element()?.attribute(name)
    }

    /// The text of a text node (`None` for other nodes).
    pub fn text(&self) -> Option<&'d str> {
        match self.data().kind {
            Kind::Text(s) => Some(self.doc.str(s)),
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
            .field("kind", &self.kind())
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

/// A span of the document's text buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Str {
    start: usize,
    len: usize,
}

/// What a node is, in the arena (with `parent` and `end`, at most 64 bytes per node).
#[derive(Clone, Copy, Debug)]
enum Kind {
    Document,
    Element {
        name: Str,
        /// Index + 1 into `Document::namespaces`, 0 for none.
        ns: usize,
        /// The first of the element's attributes in `Document::attrs`.
        attrs: usize,
        attr_count: u32,
    },
    Text(Str),
    Comment(Str),
    Pi {
        target: Str,
        data: Str,
    },
}

/// One node in the arena.
struct NodeData {
    kind: Kind,
    parent: usize,
    /// One past the last descendant: the subtree is `self..end`.
    end: usize,
}

/// One attribute in the arena.
struct AttrData {
    name: Str,
    value: Str,
    ns: usize,
    specified: bool,
}

fn local(name: &str) -> &str {
    name.split_once(':').map_or(name, |(_, l)| l)
}

fn write_end<W: Write>(out: &mut W, e: Element<'_>) -> io::Result<()> {
    out.write_all(b"</")?;
    out.write_all(e.name().as_bytes())?;
    out.write_all(b">")
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
    use crate::Event;

    const NS: &str = "urn:x";

    /// `<a x="1\t&quot;&lt;" p:y="2"><b>hi</b><c/>there &amp; \r<?p d?></a>`, built through
    /// the builder so these tests do not depend on the reader.
    fn sample() -> Document {
        let mut b = Builder::new();
        b.start(
            "a",
            None,
            [("x", None, "1\t\"<", true), ("p:y", Some(NS), "2", false)].into_iter(),
        );
        b.start("b", Some(NS), std::iter::empty());
        b.text("h");
        b.text("i");
        b.end();
        b.start("c", None, std::iter::empty());
        b.end();
        b.text("there & \r");
        b.event(Event::Pi(crate::Pi {
            target: "p",
            data: "d",
        }));
        b.end();
        b.finish(Vec::new())
    }

    #[test]
    fn arena_node_stays_small() {
        // The point of the arena: no allocation and at most 64 bytes per node on 64-bit
        // targets (56 with today's layout).
        if cfg!(target_pointer_width = "64") {
            assert!(std::mem::size_of::<NodeData>() <= 64);
        }
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
        assert_eq!(b.element().unwrap().namespace(), Some(NS));
        assert_eq!(b.next_sibling().and_then(|n| n.name()), Some("c"));
        assert_eq!(a.next_sibling().map(|n| n.id()), None);
        let last = a.children().last().unwrap();
        assert!(last.next_sibling().is_none());
        assert!(matches!(
            last.kind(),
            NodeKind::Pi {
                target: "p",
                data: "d"
            }
        ));
        let e = a.element().unwrap();
        assert_eq!(a.attribute("x"), Some("1\t\"<"));
        assert_eq!(e.attribute_ns(None, "x"), Some("1\t\"<"));
        assert_eq!(e.attribute_ns(Some(NS), "y"), Some("2"));
        let y = e.attributes().nth(1).unwrap();
        assert_eq!(
            (y.prefix(), y.local_name(), y.specified),
            (Some("p"), "y", false)
        );
        assert_eq!(e.attributes().len(), 2);
        assert_eq!(doc.node(NodeId(99)).map(|n| n.id()), None);
        // One namespace, stored once.
        assert_eq!(doc.namespaces.len(), 1);
    }

    #[test]
    fn serializes_without_recursion() {
        let doc = sample();
        assert_eq!(
            doc.to_xml(),
            "<a x=\"1&#9;&quot;&lt;\" p:y=\"2\"><b>hi</b><c/>there &amp; &#13;<?p d?></a>"
        );
    }

    #[test]
    fn deep_tree_builds_serializes_and_drops() {
        // Far deeper than any recursion could survive on a test thread's stack.
        let depth = 1_000_000;
        let mut b = Builder::new();
        for _ in 0..depth {
            b.start("d", None, std::iter::empty());
        }
        let doc = b.finish(Vec::new());
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
