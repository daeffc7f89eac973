//! The events a [`Reader`](crate::Reader) produces.
//!
//! Every event borrows from the reader, so that reading allocates nothing per event; copy
//! what you need to keep before asking for the next one.

/// A byte range in one of the reader's buffers.
///
/// Aligned as one 8-byte word, so that the compiler moves it whole: copied as two 4-byte
/// halves and read back as one word, a span cost a store-forwarding stall in the hot path
/// of every start tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(C, align(8))]
pub(crate) struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// Appends `s` to `buf` and returns where it is.
    #[inline]
    pub fn push(buf: &mut String, s: &str) -> Span {
        let start = buf.len() as u32;
        buf.push_str(s);
        Span {
            start,
            end: buf.len() as u32,
        }
    }

    #[inline]
    pub fn of<'a>(&self, s: &'a str) -> &'a str {
        // NOTE: spans are made by the reader from the same buffer, on char boundaries.
        s.get(self.start as usize..self.end as usize).unwrap_or("")
    }
}

// ----- the parser's borrow-free descriptions of events -----

/// What a step of the parser produced (the borrow-free form of [`crate::Pull`]).
pub(crate) enum Step {
    Event(Ev),
    NeedMore,
    End,
}

/// Where the text of an event is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Loc {
    Frame(usize, usize, usize),
    Scratch(usize, usize),
}

/// An event, described by offsets into the parser's buffers: what a step returns, so that
/// it borrows nothing; `Parser::materialize` makes the [`Event`] from it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ev {
    XmlDecl {
        version: Span,
        encoding: Option<Span>,
        standalone: Option<bool>,
    },
    DoctypeStart {
        name: Span,
        public: Option<Span>,
        system: Option<Span>,
    },
    Notation {
        name: Span,
        public: Option<Span>,
        system: Option<Span>,
    },
    Unparsed {
        name: Span,
        public: Option<Span>,
        system: Span,
        notation: Span,
    },
    EntityDecl {
        name: Span,
        parameter: bool,
        value: Option<Span>,
        public: Option<Span>,
        system: Option<Span>,
    },
    DoctypeEnd,
    Start {
        empty: bool,
    },
    End,
    Text(Loc),
    CData(Loc),
    Comment(Loc),
    Pi {
        frame: usize,
        target: (usize, usize),
        data: (usize, usize),
    },
    Skipped(Span),
}

/// One attribute as stored by the reader. Names and values that the document spells out
/// as they are stay in the tag's text (no copy); only normalized values and defaults from
/// the DTD are written to the reader's attribute buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AttrRec {
    /// In the tag's text when `specified`, else in the attribute buffer.
    pub name: Span,
    /// Length of the prefix (0 when unprefixed); the colon follows it.
    pub prefix_len: u32,
    /// In the attribute buffer when `value_owned`, else in the tag's text.
    pub value: Span,
    /// The namespace URI, in the namespace buffer.
    pub ns: Option<Span>,
    pub specified: bool,
    pub value_owned: bool,
    /// The name has a colon (found when it was scanned).
    pub colon: bool,
}

impl AttrRec {
    /// The qualified name, given the tag's text and the attribute buffer.
    #[inline]
    pub fn name<'a>(&self, src: &'a str, buf: &'a str) -> &'a str {
        self.name.of(if self.specified { src } else { buf })
    }

    /// Where the attribute's name is in the tag's text, for an error about it; 0 (the tag's
    /// '<') for an attribute defaulted from the DTD, which has no place in the tag.
    #[inline]
    pub fn offset(&self) -> usize {
        if self.specified {
            self.name.start as usize
        } else {
            0
        }
    }

    /// The normalized value, given the tag's text and the attribute buffer.
    #[inline]
    pub fn value<'a>(&self, src: &'a str, buf: &'a str) -> &'a str {
        self.value.of(if self.value_owned { buf } else { src })
    }
}

/// One event of the document.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The XML declaration `<?xml version=... ?>` (XML 1.0 \[23\]).
    XmlDecl(XmlDecl<'a>),
    /// The start of the document type declaration (XML 1.0 \[28\]).
    DoctypeStart(Doctype<'a>),
    /// A notation declaration (XML 1.0 \[82\]).
    Notation(Notation<'a>),
    /// An unparsed entity declaration, `<!ENTITY name SYSTEM "..." NDATA n>` (XML 1.0 \[76\]).
    UnparsedEntity(UnparsedEntity<'a>),
    /// A parsed entity declaration, general or parameter, internal or external
    /// (XML 1.0 \[70\] EntityDecl; unparsed entities are [`Event::UnparsedEntity`]). Reported
    /// for the declaration that binds the name: the first one (§4.2), and only one that is
    /// processed (§5.1), whether or not the entity is ever referenced.
    EntityDecl(EntityDecl<'a>),
    /// The end of the document type declaration.
    DoctypeEnd,
    /// A start tag, or an empty-element tag (then an [`Event::EndElement`] follows at once).
    StartElement(StartElement<'a>),
    /// An end tag, or the end of an empty-element tag.
    EndElement(EndElement<'a>),
    /// Character data, with references expanded and line ends and (in attribute values)
    /// white space normalized. Long text comes in several consecutive pieces.
    Text(&'a str),
    /// The content of a CDATA section; may come in several consecutive pieces.
    CData(&'a str),
    /// A comment's text.
    Comment(&'a str),
    /// A processing instruction.
    Pi(Pi<'a>),
    /// A reference to a general entity whose text was not read: an external entity while
    /// external entities are off (XML 1.0 §4.4.3 lets a non-validating processor skip it),
    /// or an undeclared entity in a document whose DTD was not read completely or refers to
    /// parameter entities, where XML 1.0 makes that a validity error only (VC: Entity
    /// Declared). A reference in content is reported where it stands; one in an attribute
    /// value (which then lacks its text) right after its [`Event::StartElement`], or after
    /// the attribute-list declaration whose default holds it, at most 32 distinct names per
    /// tag. [`Reader::entity_declared`](crate::Reader::entity_declared) tells the two kinds
    /// apart.
    SkippedEntity(&'a str),
}

/// The XML declaration.
#[derive(Debug, Clone, Copy)]
pub struct XmlDecl<'a> {
    /// The version, `1.0` or another `1.x`.
    pub version: &'a str,
    /// The declared encoding, as written.
    pub encoding: Option<&'a str>,
    /// The standalone declaration.
    pub standalone: Option<bool>,
}

/// The start of a document type declaration.
#[derive(Debug, Clone, Copy)]
pub struct Doctype<'a> {
    /// The declared root element name.
    pub name: &'a str,
    /// The public identifier of the external subset.
    pub public_id: Option<&'a str>,
    /// The system identifier of the external subset.
    pub system_id: Option<&'a str>,
}

/// A notation declaration.
#[derive(Debug, Clone, Copy)]
pub struct Notation<'a> {
    /// The notation's name.
    pub name: &'a str,
    /// Its public identifier.
    pub public_id: Option<&'a str>,
    /// Its system identifier.
    pub system_id: Option<&'a str>,
}

/// An unparsed entity declaration.
#[derive(Debug, Clone, Copy)]
pub struct UnparsedEntity<'a> {
    /// The entity's name.
    pub name: &'a str,
    /// Its public identifier.
    pub public_id: Option<&'a str>,
    /// Its system identifier.
    pub system_id: &'a str,
    /// The notation named by NDATA.
    pub notation: &'a str,
}

/// A parsed entity declaration.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct EntityDecl<'a> {
    /// The entity's name (without the `%` of a parameter entity).
    pub name: &'a str,
    /// A parameter entity, `<!ENTITY % name ...>` (XML 1.0 \[72\] PEDecl).
    pub parameter: bool,
    /// An internal entity's literal value, with parameter-entity and character references
    /// expanded and general entity references kept as written (XML 1.0 §4.5); `None` for an
    /// external entity.
    pub value: Option<&'a str>,
    /// An external entity's public identifier, normalized (XML 1.0 §4.2.2).
    pub public_id: Option<&'a str>,
    /// An external entity's system identifier, as written; `None` for an internal entity.
    pub system_id: Option<&'a str>,
}

/// A processing instruction.
#[derive(Debug, Clone, Copy)]
pub struct Pi<'a> {
    /// The target.
    pub target: &'a str,
    /// The data after the white space that follows the target (may be empty).
    pub data: &'a str,
}

/// A start tag with its attributes, namespace-resolved.
#[derive(Debug, Clone, Copy)]
pub struct StartElement<'a> {
    /// The tag's text, where the name and most attributes are.
    pub(crate) src: &'a str,
    /// Normalized attribute values and defaults.
    pub(crate) buf: &'a str,
    pub(crate) name: Span,
    pub(crate) prefix_len: u32,
    pub(crate) ns: Option<&'a str>,
    pub(crate) attrs: &'a [AttrRec],
    pub(crate) ns_buf: &'a str,
    pub(crate) empty: bool,
}

impl<'a> StartElement<'a> {
    /// The qualified name as written, for example `x:doc`.
    pub fn name(&self) -> &'a str {
        self.name.of(self.src)
    }
    /// The prefix, if any.
    pub fn prefix(&self) -> Option<&'a str> {
        split_prefix(self.name(), self.prefix_len).0
    }
    /// The local part of the name.
    pub fn local_name(&self) -> &'a str {
        split_prefix(self.name(), self.prefix_len).1
    }
    /// The namespace URI the name is in, if any.
    pub fn namespace(&self) -> Option<&'a str> {
        self.ns
    }
    /// Whether this was an empty-element tag `<x/>`.
    pub fn is_empty_tag(&self) -> bool {
        self.empty
    }
    /// The attributes in document order, specified ones first, then defaults from the DTD.
    /// Namespace declarations (`xmlns`, `xmlns:p`) are included.
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            src: self.src,
            buf: self.buf,
            ns_buf: self.ns_buf,
            iter: self.attrs.iter(),
        }
    }
    /// The value of the attribute with this qualified name.
    pub fn attribute(&self, name: &str) -> Option<&'a str> {
        self.attributes().find(|a| a.name == name).map(|a| a.value)
    }
}

/// An iterator over a start tag's attributes.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    src: &'a str,
    buf: &'a str,
    ns_buf: &'a str,
    iter: std::slice::Iter<'a, AttrRec>,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;
    fn next(&mut self) -> Option<Attribute<'a>> {
        let r = self.iter.next()?;
        let name = r.name(self.src, self.buf);
        let (prefix, local_name) = split_prefix(name, r.prefix_len);
        Some(Attribute {
            name,
            prefix,
            local_name,
            namespace: r.ns.map(|s| s.of(self.ns_buf)),
            value: r.value(self.src, self.buf),
            specified: r.specified,
        })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.iter.size_hint()
    }
}

impl ExactSizeIterator for Attributes<'_> {}

/// One attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    /// The qualified name as written.
    pub name: &'a str,
    /// The prefix, if any.
    pub prefix: Option<&'a str>,
    /// The local part of the name.
    pub local_name: &'a str,
    /// The namespace URI (unprefixed attributes are in no namespace; `xmlns` attributes are
    /// in `http://www.w3.org/2000/xmlns/`).
    pub namespace: Option<&'a str>,
    /// The normalized value (XML 1.0 §3.3.3), references expanded.
    pub value: &'a str,
    /// `false` when the value is a default from the DTD.
    pub specified: bool,
}

/// An end tag.
#[derive(Debug, Clone, Copy)]
pub struct EndElement<'a> {
    pub(crate) name: &'a str,
    pub(crate) prefix_len: u32,
    pub(crate) ns: Option<&'a str>,
}

impl<'a> EndElement<'a> {
    /// The qualified name.
    pub fn name(&self) -> &'a str {
        self.name
    }
    /// The prefix, if any.
    pub fn prefix(&self) -> Option<&'a str> {
        split_prefix(self.name, self.prefix_len).0
    }
    /// The local part.
    pub fn local_name(&self) -> &'a str {
        split_prefix(self.name, self.prefix_len).1
    }
    /// The namespace URI.
    pub fn namespace(&self) -> Option<&'a str> {
        self.ns
    }
}

fn split_prefix(name: &str, prefix_len: u32) -> (Option<&str>, &str) {
    if prefix_len == 0 {
        return (None, name);
    }
    let p = prefix_len as usize;
    match (name.get(..p), name.get(p + 1..)) {
        (Some(prefix), Some(local)) => (Some(prefix), local),
        _ => (None, name),
    }
}
