//! The compact event buffer: what the parsing thread hands to the thread that holds the GIL.
//!
//! Events are copied out of the reader (whose events borrow its buffers) into one text arena
//! and a list of records, so that a whole batch is built without touching Python and then
//! turned into Python objects in one go. Names are already in ElementTree's form
//! (`{uri}local`), namespace declarations are split from the attributes (ElementTree never
//! shows `xmlns` attributes), and consecutive text and CDATA pieces are merged into one.
//!
//! The defusedxml checks (`forbid_dtd`, `forbid_entities`, `forbid_external`) happen here, on
//! the events, in Rust: no Python callback runs per event.

use wary_xml::{Error, ErrorKind, Event, Position};

/// The namespace of `xmlns` and `xmlns:p` attributes (Namespaces in XML 1.0 §3).
const XMLNS: &str = "http://www.w3.org/2000/xmlns/";

/// A batch is handed over when its text reaches this many bytes ...
const BATCH_TEXT: usize = 64 << 10;
/// ... or when it holds this many events, whichever comes first. Small enough that
/// `iterparse` memory stays flat, large enough that the hand-over cost is amortized.
const BATCH_EVENTS: usize = 2048;

/// A byte range in [`Batch::text`].
pub type Span = (usize, usize);

/// One event, as ElementTree sees it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rec {
    /// A start tag: its name, its attributes `(name, value)` and the namespace declarations
    /// `(prefix, uri)` it makes (the prefix is empty for the default namespace), both as
    /// ranges of [`Batch::pairs`].
    Start {
        /// `{uri}local`, or the name as written when it is in no namespace.
        tag: Span,
        /// The attributes, a range of [`Batch::pairs`].
        attrs: (usize, usize),
        /// The namespace declarations, a range of [`Batch::pairs`].
        decls: (usize, usize),
    },
    /// A start tag for SAX and DOM builders, which need names as written: the qualified
    /// name, the namespace URI, the local name, and every attribute (namespace declarations
    /// included) as a range of [`Batch::raw`].
    StartRaw {
        /// The qualified name as written.
        qname: Span,
        /// The namespace URI, if any.
        ns: Option<Span>,
        /// The local part.
        local: Span,
        /// The attributes, a range of [`Batch::raw`].
        attrs: (usize, usize),
    },
    /// An end tag (or the end of an empty-element tag).
    End,
    /// Character data (text and CDATA sections, merged).
    Data(Span),
    /// A comment.
    Comment(Span),
    /// A processing instruction: target and data.
    Pi(Span, Span),
    /// The document type declaration: name, public id, system id.
    Doctype(Span, Option<Span>, Option<Span>),
}

/// One attribute with its names as written: qualified name, value, namespace, local name.
pub type RawAttr = (Span, Span, Option<Span>, Span);

/// What the caller forbade, beyond wary's limits (defusedxml's switches).
#[derive(Clone, Copy, Debug, Default)]
pub struct Policy {
    /// A document type declaration is an error.
    pub forbid_dtd: bool,
    /// An entity declaration is an error (see [`crate::config`] for what can be seen).
    pub forbid_entities: bool,
    /// A reference to an external entity is an error.
    pub forbid_external: bool,
}

/// Why a document was refused by a [`Policy`] switch, with defusedxml's fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Forbidden {
    /// `forbid_dtd`: name, system id, public id.
    Dtd(String, Option<String>, Option<String>),
    /// `forbid_entities`: the declaration (or, for an entity whose declaration this parser
    /// did not read, the reference), with defusedxml's fields.
    Entity {
        /// The entity's name.
        name: String,
        /// An internal entity's value.
        value: Option<String>,
        /// An external entity's system identifier.
        sysid: Option<String>,
        /// An external entity's public identifier.
        pubid: Option<String>,
        /// An unparsed entity's notation.
        notation: Option<String>,
    },
    /// `forbid_external`: a reference to an external entity that was not loaded.
    External {
        /// The entity's name (defusedxml's `context`).
        context: String,
        /// Its system identifier, when its declaration was read.
        sysid: Option<String>,
        /// Its public identifier, when its declaration has one.
        pubid: Option<String>,
    },
}

impl Forbidden {
    /// Adds the identifiers of the external entity that a refused reference names, from the
    /// parser's entity table (the skipped-entity event carries only the name): `lookup` is
    /// `Reader::entity_external_id` or `Parser::entity_external_id`.
    pub fn with_ids<'a>(
        mut self,
        lookup: impl FnOnce(&str) -> Option<(Option<&'a str>, &'a str)>,
    ) -> Forbidden {
        match &mut self {
            Forbidden::Entity {
                name, sysid, pubid, ..
            }
            | Forbidden::External {
                context: name,
                sysid,
                pubid,
            } if sysid.is_none() => {
                if let Some((p, s)) = lookup(name) {
                    *sysid = Some(s.to_string());
                    *pubid = p.map(str::to_string);
                }
            }
            _ => {}
        }
        self
    }
}

/// Why parsing stopped, ready to become a Python exception.
#[derive(Debug, Clone)]
pub struct Failure {
    /// wary's error kind, spelled as in `wary_xml::ErrorKind` (`Syntax`, `Limit`, ...).
    pub kind: String,
    /// The description, without position.
    pub message: String,
    /// The rule broken (`XML 1.0 [40] STag`, `Limits::max_depth`), may be empty.
    pub rule: String,
    /// 1-based line and column (0 when unknown).
    pub line: u64,
    /// 1-based column in characters.
    pub column: u64,
    /// The limit that stopped parsing (`max_depth`, ..., `external_entities`), if one did.
    pub limit: Option<String>,
    /// The defusedxml switch that refused the document, if one did.
    pub forbidden: Option<Forbidden>,
}

impl Failure {
    /// From wary-xml's error.
    pub fn from_error(e: &Error) -> Failure {
        let pos = e.position().cloned().unwrap_or_default();
        // The keyword argument that raises the limit: the `Limits` field's own name.
        let limit = match (e.limit(), e.kind()) {
            (Some(limit), _) => Some(limit.field_name().to_string()),
            (None, ErrorKind::ExternalEntityRefused) => Some("external_entities".to_string()),
            _ => None,
        };
        Failure {
            kind: format!("{:?}", e.kind()),
            message: e.message().to_string(),
            rule: e.rule().to_string(),
            line: pos.line,
            column: pos.column,
            limit,
            forbidden: None,
        }
    }

    fn forbidden(f: Forbidden, what: &str, pos: &Position) -> Failure {
        Failure {
            kind: "Forbidden".to_string(),
            message: what.to_string(),
            rule: String::new(),
            line: pos.line,
            column: pos.column,
            limit: None,
            forbidden: Some(f),
        }
    }
}

/// A batch of events, and how the document ended if it did.
#[derive(Debug, Default)]
pub struct Batch {
    /// Every string of the batch, back to back.
    pub text: String,
    /// The events.
    pub recs: Vec<Rec>,
    /// Attribute and namespace-declaration pairs of the start tags.
    pub pairs: Vec<(Span, Span)>,
    /// Attributes of [`Rec::StartRaw`]: qualified name, value, namespace URI, local name.
    pub raw: Vec<RawAttr>,
    /// Start tags as [`Rec::StartRaw`] (names as written) rather than [`Rec::Start`].
    pub raw_names: bool,
    /// The document ended well-formed after these events.
    pub done: bool,
    /// Parsing stopped after these events.
    pub failure: Option<Failure>,
}

impl Batch {
    /// The string at `s`.
    pub fn str(&self, s: Span) -> &str {
        self.text.get(s.0..s.1).unwrap_or("")
    }

    /// Whether the batch should be handed over now.
    pub fn is_full(&self) -> bool {
        self.text.len() >= BATCH_TEXT || self.recs.len() >= BATCH_EVENTS
    }

    /// Whether anything is in it.
    pub fn is_empty(&self) -> bool {
        self.recs.is_empty() && !self.done && self.failure.is_none()
    }

    fn put(&mut self, s: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(s);
        (start, self.text.len())
    }

    fn put_name(&mut self, ns: Option<&str>, local: &str, qname: &str) -> Span {
        let start = self.text.len();
        match ns {
            // ElementTree's "{uri}local" form (xml.etree.ElementTree, "Parsing XML with
            // Namespaces").
            Some(uri) => {
                self.text.push('{');
                self.text.push_str(uri);
                self.text.push('}');
                self.text.push_str(local);
            }
            None => self.text.push_str(qname),
        }
        (start, self.text.len())
    }

    fn data(&mut self, s: &str) {
        // Text comes in pieces (long text, CDATA, references): one data call per run, as
        // ElementTree's TreeBuilder would merge them anyway.
        if let Some(Rec::Data(span)) = self.recs.last_mut() {
            if span.1 == self.text.len() {
                self.text.push_str(s);
                span.1 = self.text.len();
                return;
            }
        }
        let span = self.put(s);
        self.recs.push(Rec::Data(span));
    }

    /// Adds one event, or says why the policy refuses it (`pos` is where the reader is).
    pub fn push(&mut self, ev: Event<'_>, policy: Policy) -> Result<(), Forbidden> {
        match ev {
            Event::StartElement(s) if self.raw_names => {
                let qname = self.put(s.name());
                let ns = s.namespace().map(|n| self.put(n));
                let local = self.put(s.local_name());
                let a0 = self.raw.len();
                for a in s.attributes() {
                    let k = self.put(a.name);
                    let v = self.put(a.value);
                    let n = a.namespace.map(|n| self.put(n));
                    let l = self.put(a.local_name);
                    self.raw.push((k, v, n, l));
                }
                self.recs.push(Rec::StartRaw {
                    qname,
                    ns,
                    local,
                    attrs: (a0, self.raw.len()),
                });
            }
            Event::StartElement(s) => {
                let tag = self.put_name(s.namespace(), s.local_name(), s.name());
                let a0 = self.pairs.len();
                let mut decls = Vec::new();
                for a in s.attributes() {
                    if a.namespace == Some(XMLNS) {
                        // xmlns="u" declares the default namespace, xmlns:p="u" prefix p.
                        let prefix = if a.prefix.is_some() { a.local_name } else { "" };
                        decls.push((prefix, a.value));
                        continue;
                    }
                    let k = self.put_name(a.namespace, a.local_name, a.name);
                    let v = self.put(a.value);
                    self.pairs.push((k, v));
                }
                let a1 = self.pairs.len();
                for (p, u) in decls {
                    let p = self.put(p);
                    let u = self.put(u);
                    self.pairs.push((p, u));
                }
                self.recs.push(Rec::Start {
                    tag,
                    attrs: (a0, a1),
                    decls: (a1, self.pairs.len()),
                });
            }
            Event::EndElement(_) => self.recs.push(Rec::End),
            Event::Text(t) | Event::CData(t) => self.data(t),
            Event::Comment(c) => {
                let c = self.put(c);
                self.recs.push(Rec::Comment(c));
            }
            Event::Pi(p) => {
                let t = self.put(p.target);
                let d = self.put(p.data);
                self.recs.push(Rec::Pi(t, d));
            }
            Event::DoctypeStart(d) => {
                if policy.forbid_dtd {
                    return Err(Forbidden::Dtd(
                        d.name.to_string(),
                        d.system_id.map(str::to_string),
                        d.public_id.map(str::to_string),
                    ));
                }
                let n = self.put(d.name);
                let p = d.public_id.map(|p| self.put(p));
                let s = d.system_id.map(|s| self.put(s));
                self.recs.push(Rec::Doctype(n, p, s));
            }
            // defusedxml refuses an entity on its declaration (expat's EntityDeclHandler),
            // whether or not it is used: every declaration that binds is an event, and the
            // first entity event of any document is one (a reference needs a declaration
            // before it), so no entity is ever expanded while entities are forbidden.
            Event::EntityDecl(d) if policy.forbid_entities => {
                return Err(Forbidden::Entity {
                    name: d.name.to_string(),
                    value: d.value.map(str::to_string),
                    sysid: d.system_id.map(str::to_string),
                    pubid: d.public_id.map(str::to_string),
                    notation: None,
                });
            }
            Event::UnparsedEntity(u) if policy.forbid_entities => {
                return Err(Forbidden::Entity {
                    name: u.name.to_string(),
                    value: None,
                    sysid: Some(u.system_id.to_string()),
                    pubid: u.public_id.map(str::to_string),
                    notation: Some(u.notation.to_string()),
                });
            }
            // An undeclared entity in a document whose DTD was not read whole: its
            // declaration was not seen by this parser, but it was made somewhere. (A
            // declared one was refused on its declaration already.)
            Event::SkippedEntity(name) if policy.forbid_entities => {
                return Err(Forbidden::Entity {
                    name: name.to_string(),
                    value: None,
                    sysid: None,
                    pubid: None,
                    notation: None,
                });
            }
            // An external entity that was not loaded; its ids are added by the caller, which
            // holds the reader ([`Forbidden::with_ids`]).
            Event::SkippedEntity(name) if policy.forbid_external => {
                return Err(Forbidden::External {
                    context: name.to_string(),
                    sysid: None,
                    pubid: None,
                });
            }
            // XML declaration, notations, the end of the DTD, skipped entities that nothing
            // forbids: ElementTree reports none of them.
            _ => {}
        }
        Ok(())
    }

    /// Ends the batch with the policy's refusal, at `pos`.
    pub fn refuse(&mut self, f: Forbidden, pos: &Position) {
        let what = match &f {
            Forbidden::Dtd(..) => "a document type declaration is forbidden (forbid_dtd)",
            Forbidden::Entity { .. } => "entity declarations are forbidden (forbid_entities)",
            Forbidden::External { .. } => {
                "references to external entities are forbidden (forbid_external)"
            }
        };
        self.failure = Some(Failure::forbidden(f, what, pos));
    }
}
