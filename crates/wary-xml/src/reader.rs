//! The streaming pull reader: a state machine over the stack of input frames.
//!
//! `advance` does all the work and returns an [`Ev`], a description of the next event made of
//! offsets into the reader's buffers; `next_event` then lends out the [`Event`] built from
//! it. That split keeps the event borrowing the reader without copying anything.

use crate::budget::{Budget, ELEMENT_OVERHEAD};
use crate::cursor::{show_next, Cur, PResult, Stop};
use crate::dtd::Dtd;
use crate::encoding::Decoder;
use crate::event::{
    AttrRec, Doctype, EndElement, EntityDecl, Event, Notation, Pi, Span, StartElement,
    UnparsedEntity, XmlDecl,
};
use crate::input::{Frame, FrameKind};
use crate::namespaces::Namespaces;
use crate::skipped::SkippedEntities;
use crate::tags::{tag_text, TagScan};
use crate::{chars, Error, ErrorKind, Options, Position};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum State {
    Start,
    Prolog,
    /// Inside the document type declaration (internal or external subset).
    Dtd,
    Content,
    /// Inside a CDATA section that is being delivered in pieces.
    CData,
    Epilog,
    Done,
    Failed,
}

/// Where the text of an event is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Loc {
    Frame(usize, usize, usize),
    Scratch(usize, usize),
}

/// An event, described by offsets into the reader's buffers.
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

/// An open element.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Open {
    /// The qualified name, in `names`.
    pub name: Span,
    pub prefix_len: u32,
    /// The namespace URI, in the namespace buffer.
    pub ns: Option<Span>,
    /// Namespace bindings in force before this element's own.
    pub ns_mark: (usize, usize),
}

/// A streaming XML reader: call [`Reader::next_event`] until it returns `Ok(None)`.
pub struct Reader<'r> {
    pub(crate) input: Option<Box<dyn Read + 'r>>,
    pub(crate) options: Options,
    pub(crate) frames: Vec<Frame<'r>>,
    pub(crate) state: State,
    pub(crate) dtd: Dtd,
    /// Names of open elements, back to back.
    pub(crate) names: String,
    pub(crate) open: Vec<Open>,
    /// An end tag was reported: pop its element before anything else.
    pending_pop: bool,
    /// An empty-element tag was reported: report its end next (after `skipped_queue`).
    /// Also set while `skipped_queue` has names to report.
    pending_end: bool,
    /// `pending_end` is set only to report `skipped_queue`: no element end follows.
    skipped_only: bool,
    /// Undeclared entities referenced in the attribute values of the start tag (or the
    /// default of the attribute-list declaration) just read, in the VC: Entity Declared
    /// case: reported as [`Event::SkippedEntity`] right after it, so that an attribute value
    /// left incomplete is never silent. Distinct names, at most
    /// [`crate::tags::MAX_SKIPPED_PER_TAG`].
    pub(crate) skipped_queue: Vec<String>,
    pub(crate) ns: Namespaces,
    /// Normalized attribute values and defaults of the current start tag.
    pub(crate) attr_buf: String,
    pub(crate) attrs: Vec<AttrRec>,
    /// Where the current start tag's text is: frame, start and end in its window.
    pub(crate) tag_src: (usize, usize, usize),
    pub(crate) tag: TagScan,
    pub(crate) tag_prefix_len: u32,
    pub(crate) tag_ns: Option<Span>,
    /// Text made by the reader (references, declarations) for the current event.
    pub(crate) scratch: String,
    pub(crate) seen_root: bool,
    pub(crate) seen_doctype: bool,
    pub(crate) standalone: Option<bool>,
    /// The document's declared version (1.0 when not declared).
    pub(crate) version: String,
    /// Bytes produced by entity expansion (re-reads of external files included).
    pub(crate) expanded: u64,
    /// Input consumed by frames already popped (first reads of external entities and the
    /// external subset): the running total the amplification limit compares with, together
    /// with what the open frames have consumed.
    pub(crate) input_done: u64,
    /// The entity root's handle and the files read so far (local mode only).
    pub(crate) loader: crate::external::Loader,
    /// Every byte kept from one token to the next is charged here (issue 10).
    pub(crate) budget: Budget,
    /// The distinct skipped entities.
    pub(crate) skipped: SkippedEntities,
}

impl<'r> Reader<'r> {
    /// A reader over any byte source.
    pub fn new(input: impl Read + 'r, options: Options) -> Self {
        let budget = Budget::new(options.limits.max_retained_bytes);
        Reader {
            input: Some(Box::new(input)),
            options,
            frames: Vec::new(),
            state: State::Start,
            dtd: Dtd::default(),
            names: String::new(),
            open: Vec::new(),
            pending_pop: false,
            pending_end: false,
            skipped_only: false,
            skipped_queue: Vec::new(),
            ns: Namespaces::default(),
            attr_buf: String::new(),
            attrs: Vec::new(),
            tag_src: (0, 0, 0),
            tag: TagScan::default(),
            tag_prefix_len: 0,
            tag_ns: None,
            scratch: String::new(),
            seen_root: false,
            seen_doctype: false,
            standalone: None,
            version: "1.0".to_string(),
            expanded: 0,
            input_done: 0,
            loader: crate::external::Loader::default(),
            budget,
            skipped: SkippedEntities::default(),
        }
    }

    /// A reader over bytes in memory.
    pub fn from_bytes(input: &'r [u8], options: Options) -> Self {
        Reader::new(input, options)
    }

    /// A reader over a file; sets `options.document_path`.
    pub fn from_path(path: &Path, mut options: Options) -> Result<Reader<'static>, Error> {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::io(e, format!("cannot open {}", path.display())))?;
        options.document_path = Some(path.to_path_buf());
        Ok(Reader::new(file, options))
    }

    /// The next event, or `Ok(None)` at the end of a well-formed document.
    ///
    /// After an error the reader is finished: later calls return an error of kind
    /// [`ErrorKind::Caller`] rather than pretend the document ended.
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, Error> {
        // The three events that make up most documents, handled here so that the event
        // is built where its kind is known: going through `Ev` costs a second
        // hard-to-predict branch on the kind, about a tenth of the time on real documents.
        if self.state == State::Content && !self.pending_end {
            if self.pending_pop {
                self.pending_pop = false;
                self.pop_element();
            }
            let top = self.top();
            let fr = &mut self.frames[top];
            let bytes = fr.text.as_bytes();
            let start = fr.pos;
            match bytes.get(start) {
                Some(b'<') => match bytes.get(start + 1) {
                    Some(b'/') => {
                        if let Err(e) = self.end_tag() {
                            self.state = State::Failed;
                            return Err(e);
                        }
                        // (It only records that the element is to be popped.)
                        let _ = self.end_element_reported();
                        return Ok(Some(self.end_event()));
                    }
                    Some(&c) if chars::ASCII_NAME_START[c as usize] => {
                        return match self.start_tag() {
                            Ok(empty) => Ok(Some(self.start_event(empty))),
                            Err(e) => {
                                self.state = State::Failed;
                                Err(e)
                            }
                        };
                    }
                    _ => {}
                },
                Some(&c) if c != b'&' => {
                    if let Ok(end) = chars::find_text_stop(bytes, start) {
                        if bytes[end] != b']' {
                            fr.pos = end;
                            let text = self.frames[top].text.get(start..end).unwrap_or("");
                            return Ok(Some(Event::Text(text)));
                        }
                    }
                }
                _ => {}
            }
        }
        if self.state == State::Failed {
            return Err(Error::new(
                ErrorKind::Caller,
                "",
                "the reader already stopped at an error; it cannot continue",
            ));
        }
        match self.advance() {
            Ok(Some(ev)) => Ok(Some(self.materialize(ev))),
            Ok(None) => Ok(None),
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    /// The current position in the entity being read (for progress reports). The entity
    /// label is terminal-safe, as in errors (see [`crate::terminal_safe`]).
    pub fn position(&self) -> Position {
        let mut p = self
            .frames
            .last()
            .map(|f| f.position_at(f.pos))
            .unwrap_or_default();
        if let Some(label) = &p.entity {
            if let std::borrow::Cow::Owned(safe) = crate::terminal_safe(label) {
                p.entity = Some(Arc::from(safe));
            }
        }
        p
    }

    /// The encoding of the document, once the first event has been read.
    pub fn standalone(&self) -> Option<bool> {
        self.standalone
    }

    /// Whether the DTD read so far declares the general entity `name`.
    ///
    /// Tells the two kinds of [`Event::SkippedEntity`] apart: a declared entity was skipped
    /// because it is external and external entities are off; an undeclared one was
    /// referenced where XML 1.0 makes that a validity error only (VC: Entity Declared), so
    /// there was nothing to load.
    pub fn entity_declared(&self, name: &str) -> bool {
        self.dtd.general(name).is_some()
    }

    /// The external identifier of the general entity `name`, if the DTD read so far declares
    /// it as an external entity: `(public, system)` as written (XML 1.0 \[75\] ExternalID).
    ///
    /// For an [`Event::SkippedEntity`] that names a declared external entity, this is what
    /// was not loaded, so that a refusal can say which resource the document asked for.
    pub fn entity_external_id(&self, name: &str) -> Option<(Option<&str>, &str)> {
        self.dtd.external_id(name)
    }

    /// The event of the start tag just read.
    #[inline]
    fn start_event(&self, empty: bool) -> Event<'_> {
        Event::StartElement(StartElement {
            src: tag_text(&self.frames, self.tag_src),
            buf: &self.attr_buf,
            name: Span {
                start: 1,
                end: 1 + self.tag.name_len,
            },
            prefix_len: self.tag_prefix_len,
            ns: self.tag_ns.map(|s| s.of(&self.ns.buf)),
            attrs: &self.attrs,
            ns_buf: &self.ns.buf,
            empty,
        })
    }

    /// The end of the element on top of the stack (popped on the next call).
    #[inline]
    fn end_event(&self) -> Event<'_> {
        let (name, prefix_len, ns) = match self.open.last() {
            Some(o) => (
                o.name.of(&self.names),
                o.prefix_len,
                o.ns.map(|s| s.of(&self.ns.buf)),
            ),
            None => ("", 0, None),
        };
        Event::EndElement(EndElement {
            name,
            prefix_len,
            ns,
        })
    }

    fn materialize(&self, ev: Ev) -> Event<'_> {
        let sc = self.scratch.as_str();
        let loc = |l: Loc| -> &str {
            match l {
                Loc::Frame(f, a, b) => self
                    .frames
                    .get(f)
                    .and_then(|f| f.text.get(a..b))
                    .unwrap_or(""),
                Loc::Scratch(a, b) => sc.get(a..b).unwrap_or(""),
            }
        };
        match ev {
            Ev::XmlDecl {
                version,
                encoding,
                standalone,
            } => Event::XmlDecl(XmlDecl {
                version: version.of(sc),
                encoding: encoding.map(|s| s.of(sc)),
                standalone,
            }),
            Ev::DoctypeStart {
                name,
                public,
                system,
            } => Event::DoctypeStart(Doctype {
                name: name.of(sc),
                public_id: public.map(|s| s.of(sc)),
                system_id: system.map(|s| s.of(sc)),
            }),
            Ev::Notation {
                name,
                public,
                system,
            } => Event::Notation(Notation {
                name: name.of(sc),
                public_id: public.map(|s| s.of(sc)),
                system_id: system.map(|s| s.of(sc)),
            }),
            Ev::Unparsed {
                name,
                public,
                system,
                notation,
            } => Event::UnparsedEntity(UnparsedEntity {
                name: name.of(sc),
                public_id: public.map(|s| s.of(sc)),
                system_id: system.of(sc),
                notation: notation.of(sc),
            }),
            Ev::EntityDecl {
                name,
                parameter,
                value,
                public,
                system,
            } => Event::EntityDecl(EntityDecl {
                name: name.of(sc),
                parameter,
                value: value.map(|s| s.of(sc)),
                public_id: public.map(|s| s.of(sc)),
                system_id: system.map(|s| s.of(sc)),
            }),
            Ev::DoctypeEnd => Event::DoctypeEnd,
            Ev::Start { empty } => self.start_event(empty),
            Ev::End => self.end_event(),
            Ev::Text(l) => Event::Text(loc(l)),
            Ev::CData(l) => Event::CData(loc(l)),
            Ev::Comment(l) => Event::Comment(loc(l)),
            Ev::Pi {
                frame,
                target,
                data,
            } => {
                let t = self
                    .frames
                    .get(frame)
                    .map(|f| f.text.as_str())
                    .unwrap_or("");
                Event::Pi(Pi {
                    target: t.get(target.0..target.1).unwrap_or(""),
                    data: t.get(data.0..data.1).unwrap_or(""),
                })
            }
            Ev::Skipped(s) => Event::SkippedEntity(s.of(sc)),
        }
    }

    // Inlined into `next_event`, its only caller, so that the event description stays in
    // registers: returned through memory, it cost a store-forwarding stall per event.
    #[inline(always)]
    fn advance(&mut self) -> Result<Option<Ev>, Error> {
        if self.pending_end {
            if let Some(ev) = self.next_skipped()? {
                return Ok(Some(ev));
            }
            self.pending_end = false;
            if !std::mem::take(&mut self.skipped_only) {
                return self.end_element_reported();
            }
        }
        if self.pending_pop {
            self.pending_pop = false;
            self.pop_element();
        }
        loop {
            let step = match self.state {
                State::Start => self.start_document()?,
                State::Prolog | State::Epilog => self.misc_step()?,
                State::Dtd => self.dtd_step()?,
                State::Content => self.content_step()?,
                State::CData => self.cdata_piece()?,
                State::Done | State::Failed => return Ok(None),
            };
            if step.is_some() {
                return Ok(step);
            }
        }
    }

    // ----- helpers shared by the parsing modules -----

    /// The index of the top frame.
    #[inline]
    pub(crate) fn top(&self) -> usize {
        self.frames.len() - 1
    }

    /// An error at byte `at` of frame `f`'s window.
    pub(crate) fn err_at(&self, f: usize, at: usize, e: Error) -> Error {
        match self.frames.get(f) {
            Some(fr) => e.at(fr.position_at(at)),
            None => e,
        }
    }

    /// An error at the current position of the top frame.
    pub(crate) fn err_here(
        &self,
        kind: ErrorKind,
        rule: &'static str,
        msg: impl Into<String>,
    ) -> Error {
        let top = self.frames.len().saturating_sub(1);
        let at = self.frames.get(top).map_or(0, |f| f.pos);
        self.err_at(top, at, Error::new(kind, rule, msg))
    }

    /// Runs a token parser over the top frame until it has the whole token, growing the
    /// window as needed. On success the frame is advanced past the token; `f` gets the
    /// token's text and must return its length and result.
    pub(crate) fn token<T>(
        &mut self,
        what: &'static str,
        rule: &'static str,
        mut f: impl FnMut(&mut Cur<'_>, &mut TokenCtx<'_>) -> PResult<T>,
    ) -> Result<(T, usize, usize), Error> {
        let top = self.top();
        // A parse that stops for more text is run again from the token's start: what it
        // counted as expansion the first time must not be counted twice.
        let expanded_before = self.expanded;
        let max = self.options.limits.max_token_len;
        loop {
            let read = self.input_read();
            let fr = &self.frames[top];
            let start = fr.pos;
            let mut cur = Cur::new(fr.rest(), fr.eof, what, rule);
            let mut ctx = TokenCtx {
                dtd: &self.dtd,
                limits: &self.options.limits,
                attr_buf: &mut self.attr_buf,
                attrs: &mut self.attrs,
                scratch: &mut self.scratch,
                expanded: &mut self.expanded,
                read,
                tag: &mut self.tag,
                standalone: self.standalone == Some(true),
                skipped: &mut self.skipped_queue,
            };
            match f(&mut cur, &mut ctx) {
                Ok(v) => {
                    let len = cur.i;
                    // The window may hold a little more than the limit (reads come in
                    // chunks), so a token that fits in it can still be too long.
                    if len > max {
                        return Err(self.err_at(top, start, token_too_long(max)));
                    }
                    self.frames[top].pos += len;
                    return Ok((v, start, len));
                }
                Err(Stop::More) => {
                    self.expanded = expanded_before;
                    self.frames[top].grow(max)?;
                }
                Err(Stop::Fail(e, at)) => return Err(self.err_at(top, start + at, e)),
            }
        }
    }

    /// The markup at the top frame's position, for an error message. Reads a little ahead
    /// first so that the excerpt does not depend on how the input was split into reads; an
    /// error while doing so is dropped, since the caller is about to report its own.
    pub(crate) fn markup_here(&mut self) -> String {
        let _ = self.ensure(48);
        let top = self.top();
        show_markup(self.frames[top].rest())
    }

    /// Makes sure the top frame has `n` bytes available if it can; returns whether it does.
    pub(crate) fn ensure(&mut self, n: usize) -> Result<bool, Error> {
        let top = self.top();
        self.frames[top].ensure(n)
    }

    /// Checks the entity-expansion amplification limit (Expat-style) after `added` more
    /// bytes were produced by expansion.
    pub(crate) fn count_expansion(&mut self, added: usize) -> Result<(), Error> {
        self.expanded += added as u64;
        self.check_amplification()
    }

    /// Input consumed so far from the document and every external entity read for the first
    /// time: the measure entity expansion is compared with (`Limits::max_amplification`).
    /// Counted as parsed, never as read ahead, so that the verdict and its position do not
    /// depend on how the source splits its bytes into reads; a popped frame's share is kept
    /// in `input_done`, so nothing counted is lost when a frame or its decoder goes.
    pub(crate) fn input_read(&self) -> u64 {
        self.input_done + self.frames.iter().map(|f| f.consumed()).sum::<u64>()
    }

    pub(crate) fn check_amplification(&self) -> Result<(), Error> {
        let l = &self.options.limits;
        if self.expanded <= l.amplification_threshold {
            return Ok(());
        }
        let read = self.input_read();
        if self.expanded > read.max(1).saturating_mul(l.max_amplification) {
            return Err(self.err_here_e(amplification(self.expanded, read, l)));
        }
        Ok(())
    }

    // ----- the document entity, prolog and epilog -----

    fn start_document(&mut self) -> Result<Option<Ev>, Error> {
        let Some(raw) = self.input.take() else {
            self.state = State::Done;
            return Ok(None);
        };
        let start = Position {
            offset: 0,
            line: 1,
            column: 1,
            entity: None,
        };
        let max_decl = self.options.limits.max_token_len;
        let dec = Decoder::new(raw, max_decl, true).map_err(|e| e.at(start.clone()))?;
        let mut frame = Frame::streaming(dec, FrameKind::Document);
        frame.base_dir = self.document_dir();
        self.frames.push(frame);
        self.state = State::Prolog;
        self.ensure(6)?;
        let rest = self.frames[0].rest().as_bytes();
        if rest.starts_with(b"<?xml") && rest.len() > 5 && chars::is_space(rest[5]) {
            let (d, at, _) =
                self.token("the XML declaration", "XML 1.0 [23] XMLDecl", |c, _| {
                    crate::decl::parse(c, false).map(|d| d.owned())
                })?;
            // XML 1.0 §4.3.3: the declared encoding must be the one the bytes are read in.
            if let Err(e) = self.frames[0].confirm_encoding(d.encoding.as_deref()) {
                return Err(self.err_at(0, at + d.encoding_at, e));
            }
            self.standalone = d.standalone;
            self.version = d.version.clone().unwrap_or_else(|| "1.0".into());
            self.scratch.clear();
            let version = push_span(&mut self.scratch, d.version.as_deref().unwrap_or("1.0"));
            let encoding = d
                .encoding
                .as_deref()
                .map(|e| push_span(&mut self.scratch, e));
            return Ok(Some(Ev::XmlDecl {
                version,
                encoding,
                standalone: d.standalone,
            }));
        }
        self.frames[0]
            .confirm_encoding(None)
            .map_err(|e| e.at(start))?;
        Ok(None)
    }

    pub(crate) fn document_dir(&self) -> Option<std::path::PathBuf> {
        match &self.options.document_path {
            Some(p) => Some(
                p.parent()
                    .map(|d| {
                        if d.as_os_str().is_empty() {
                            Path::new(".")
                        } else {
                            d
                        }
                    })
                    .unwrap_or(Path::new("."))
                    .to_path_buf(),
            ),
            None => std::env::current_dir().ok(),
        }
    }

    /// One step before or after the root element: white space, comments, PIs, the doctype.
    fn misc_step(&mut self) -> Result<Option<Ev>, Error> {
        let fr = &mut self.frames[0];
        loop {
            let rest = fr.rest().as_bytes();
            let n = rest.iter().take_while(|&&b| chars::is_space(b)).count();
            fr.pos += n;
            if fr.pos < fr.text.len() {
                break;
            }
            if !fr.more()? {
                break;
            }
        }
        if self.frames[0].exhausted() {
            if self.state == State::Epilog {
                self.state = State::Done;
                return Ok(None);
            }
            return Err(self.err_here(
                ErrorKind::Syntax,
                "XML 1.0 [1] document",
                "the document has no root element",
            ));
        }
        self.ensure(9)?;
        let rest = self.frames[0].rest();
        let b = rest.as_bytes();
        if b[0] != b'<' {
            let msg = if self.state == State::Prolog {
                format!(
                    "expected the root element, found text starting with {}",
                    show_next(rest)
                )
            } else {
                format!(
                    "text after the end of the root element (starting with {}); a document has \
                     exactly one root element",
                    show_next(rest)
                )
            };
            return Err(self.err_here(ErrorKind::Syntax, "XML 1.0 [1] document", msg));
        }
        if rest.starts_with("<?") {
            return self.pi().map(Some);
        }
        if rest.starts_with("<!--") {
            return self.comment().map(Some);
        }
        if rest.starts_with("<!DOCTYPE") {
            if self.state == State::Epilog || self.seen_doctype {
                return Err(self.err_here(
                    ErrorKind::Syntax,
                    "XML 1.0 [22] prolog",
                    "a document type declaration is only allowed once, before the root element",
                ));
            }
            self.seen_doctype = true;
            return self.doctype().map(Some);
        }
        if b.len() > 1 && b[1] != b'!' && b[1] != b'/' && b[1] != b'?' {
            if self.state == State::Epilog {
                return Err(self.err_here(
                    ErrorKind::Syntax,
                    "XML 1.0 [1] document",
                    "a second root element: a document has exactly one root element",
                ));
            }
            self.seen_root = true;
            self.state = State::Content;
            return self.start_tag().map(|empty| Some(Ev::Start { empty }));
        }
        let msg = if rest.starts_with("</") {
            "an end tag outside the root element".to_string()
        } else {
            format!(
                "unexpected markup {} outside the root element",
                self.markup_here()
            )
        };
        Err(self.err_here(ErrorKind::Syntax, "XML 1.0 [27] Misc", msg))
    }

    // ----- content -----

    fn content_step(&mut self) -> Result<Option<Ev>, Error> {
        let top = self.top();
        let fr = &mut self.frames[top];
        if fr.pos >= fr.text.len() {
            if fr.more()? {
                return Ok(None);
            }
            return self.end_of_frame_in_content();
        }
        let b = fr.text.as_bytes()[fr.pos];
        match b {
            b'<' => {
                self.ensure(9)?;
                let rest = self.frames[top].rest();
                let next = rest.as_bytes().get(1).copied();
                match next {
                    Some(b'/') => {
                        self.end_tag()?;
                        self.end_element_reported()
                    }
                    Some(b'?') => self.pi().map(Some),
                    Some(b'!') => {
                        if rest.starts_with("<!--") {
                            self.comment().map(Some)
                        } else if rest.starts_with("<![CDATA[") {
                            self.frames[top].pos += 9;
                            self.state = State::CData;
                            Ok(None)
                        } else {
                            let markup = self.markup_here();
                            Err(self.err_here(
                                ErrorKind::Syntax,
                                "XML 1.0 [43] content",
                                format!(
                                    "unexpected markup {markup} in content: only elements, \
                                     comments, CDATA sections and PIs may start with '<'"
                                ),
                            ))
                        }
                    }
                    _ => self.start_tag().map(|empty| Some(Ev::Start { empty })),
                }
            }
            b'&' => self.reference(),
            _ => self.text(),
        }
    }

    /// The top frame ended while reading content.
    fn end_of_frame_in_content(&mut self) -> Result<Option<Ev>, Error> {
        let top = self.top();
        if top == 0 {
            let name = self
                .open
                .last()
                .map(|o| o.name.of(&self.names).to_string())
                .unwrap_or_default();
            return Err(self.err_here(
                ErrorKind::Syntax,
                "XML 1.0 [39] element",
                format!("the input ends inside element <{name}>, which was never closed"),
            ));
        }
        let fr = &self.frames[top];
        if fr.depth_at_start != self.open.len() {
            let name = fr.name.as_deref().unwrap_or("?").to_string();
            return Err(self.err_here(
                ErrorKind::EntityStructure,
                "XML 1.0 §4.3.2 (WF parsed entities)",
                format!(
                    "the replacement text of entity '{name}' opens an element it does not close"
                ),
            ));
        }
        self.pop_frame();
        Ok(None)
    }

    /// Removes the top frame, remembering how much input it consumed.
    pub(crate) fn pop_frame(&mut self) {
        if let Some(f) = self.frames.pop() {
            self.input_done += f.consumed();
            self.budget.refund(f.charged);
        }
    }

    /// Character data up to the next markup or reference.
    fn text(&mut self) -> Result<Option<Ev>, Error> {
        let top = self.top();
        let fr = &mut self.frames[top];
        let bytes = fr.text.as_bytes();
        let start = fr.pos;
        let len = bytes.len();
        // Most text between tags is short (indentation, a word or two): look at the first
        // 32 bytes eight at a time before paying for a memchr3 call.
        let mut i = match chars::find_text_stop(bytes, start) {
            Ok(j) if bytes[j] != b']' => {
                fr.pos = j;
                return Ok(Some(Ev::Text(Loc::Frame(top, start, j))));
            }
            Ok(j) | Err(j) => j,
        };
        let end = loop {
            match memchr::memchr3(b'<', b'&', b']', &bytes[i..]) {
                None => break len,
                Some(k) => {
                    let j = i + k;
                    if bytes[j] != b']' {
                        break j;
                    }
                    // XML 1.0 [14] CharData: "]]>" may not appear in text.
                    let undecided =
                        !fr.eof && (j + 1 == len || (j + 2 == len && bytes[j + 1] == b']'));
                    if undecided {
                        break j;
                    }
                    if bytes.get(j + 1) == Some(&b']') && bytes.get(j + 2) == Some(&b'>') {
                        // Deliver the text before it first, as when the input arrives in
                        // pieces that end just before the ']]>'; the next call reports it.
                        if j > start {
                            break j;
                        }
                        let e = Error::new(
                            ErrorKind::Syntax,
                            "XML 1.0 [14] CharData",
                            "']]>' is not allowed in text; escape the '>' as &gt;",
                        );
                        return Err(self.err_at(top, j, e));
                    }
                    i = j + 1;
                }
            }
        };
        if end == start {
            // Only an undecided ']' is here: read more and look again.
            fr.more()?;
            return Ok(None);
        }
        fr.pos = end;
        Ok(Some(Ev::Text(Loc::Frame(top, start, end))))
    }

    /// A piece of a CDATA section (\[18\]-\[21\]); the section's start was consumed already.
    fn cdata_piece(&mut self) -> Result<Option<Ev>, Error> {
        let top = self.top();
        let fr = &mut self.frames[top];
        let start = fr.pos;
        let bytes = fr.text.as_bytes();
        if let Some(k) = memchr::memmem::find(&bytes[start..], b"]]>") {
            fr.pos = start + k + 3;
            self.state = State::Content;
            if k == 0 {
                return Ok(None);
            }
            return Ok(Some(Ev::CData(Loc::Frame(top, start, start + k))));
        }
        if fr.eof {
            // Deliver what is here first, as when the end has not been seen yet, so that the
            // events and the error's position do not depend on how the input was read.
            if start < bytes.len() {
                fr.pos = bytes.len();
                return Ok(Some(Ev::CData(Loc::Frame(top, start, bytes.len()))));
            }
            let e = Error::new(
                ErrorKind::Syntax,
                "XML 1.0 [18] CDSect",
                "the input ends inside a CDATA section (missing ']]>')",
            );
            return Err(self.err_at(top, start, e));
        }
        // Deliver all but a possible partial "]]" at the end.
        let mut end = bytes.len();
        while end > start && end + 2 > bytes.len() && bytes[end - 1] == b']' {
            end -= 1;
        }
        if end == start {
            fr.more()?;
            return Ok(None);
        }
        fr.pos = end;
        Ok(Some(Ev::CData(Loc::Frame(top, start, end))))
    }

    /// A comment, XML 1.0 \[15\].
    pub(crate) fn comment(&mut self) -> Result<Ev, Error> {
        let top = self.top();
        let ((a, b), start, _) = self.token("a comment", "XML 1.0 [15] Comment", |c, _| {
            c.i = 4;
            let body = c.rest().as_bytes();
            match memchr::memmem::find(body, b"--") {
                Some(k) => {
                    if body.get(k + 2).is_none() {
                        c.i += k;
                        return Err(c.end());
                    }
                    if body[k + 2] != b'>' {
                        c.i += k;
                        return Err(c.syntax("'--' is not allowed inside a comment"));
                    }
                    let r = (4, 4 + k);
                    c.i += k + 3;
                    Ok(r)
                }
                None => {
                    c.i = c.s.len();
                    Err(c.end())
                }
            }
        })?;
        Ok(Ev::Comment(Loc::Frame(top, start + a, start + b)))
    }

    /// A processing instruction, XML 1.0 \[16\].
    pub(crate) fn pi(&mut self) -> Result<Ev, Error> {
        let top = self.top();
        let max_name = self.options.limits.max_name_len;
        let ((t, d), start, _) =
            self.token("a processing instruction", "XML 1.0 [16] PI", |c, _| {
                c.i = 2;
                let t0 = c.i;
                let target = c.name(max_name, "a PI target")?;
                if target.eq_ignore_ascii_case("xml") {
                    c.i = t0;
                    return Err(c.syntax(if target == "xml" {
                        "an XML declaration is only allowed at the very start of an entity"
                    } else {
                        "the PI target 'xml' (in any case) is reserved"
                    }));
                }
                if target.contains(':') {
                    c.i = t0;
                    return Err(c.fail(
                        ErrorKind::Namespace,
                        "Namespaces in XML 1.0 §7",
                        format!("PI target '{target}' contains a colon"),
                    ));
                }
                let t1 = c.i;
                if c.looking_at("?>")? {
                    c.i += 2;
                    return Ok(((t0, t1), (t1, t1)));
                }
                if !c.ws() {
                    c.peek()?;
                    return Err(c.syntax("expected white space or '?>' after the PI target"));
                }
                let d0 = c.i;
                match memchr::memmem::find(c.rest().as_bytes(), b"?>") {
                    Some(k) => {
                        c.i += k + 2;
                        Ok(((t0, t1), (d0, d0 + k)))
                    }
                    None => {
                        c.i = c.s.len();
                        Err(c.end())
                    }
                }
            })?;
        Ok(Ev::Pi {
            frame: top,
            target: (start + t.0, start + t.1),
            data: (start + d.0, start + d.1),
        })
    }

    // ----- elements -----

    /// Reports the end of the element on top of the stack; it is popped on the next call.
    #[inline]
    pub(crate) fn end_element_reported(&mut self) -> Result<Option<Ev>, Error> {
        self.pending_pop = true;
        if self.open.len() == 1 && self.frames.len() == 1 {
            self.state = State::Epilog;
        }
        Ok(Some(Ev::End))
    }

    pub(crate) fn set_pending_end(&mut self) {
        self.pending_end = true;
    }

    /// The first name of `skipped_queue` as an event; the rest are reported on the next
    /// calls (before the end of an empty element).
    pub(crate) fn next_skipped(&mut self) -> Result<Option<Ev>, Error> {
        if self.skipped_queue.is_empty() {
            return Ok(None);
        }
        let name = self.skipped_queue.remove(0);
        if !self.skipped_queue.is_empty() && !self.pending_end {
            self.pending_end = true;
            self.skipped_only = true;
        }
        self.scratch.clear();
        self.scratch.push_str(&name);
        // Kept in the one set of distinct skipped names, as a reference in content is, so
        // that `skipped_entities()` (and check, canon, the tree) name it too.
        let top = self.top();
        let at = self.frames.get(top).map_or(0, |f| f.pos);
        self.skipped_here(top, at)
    }

    /// After a start tag: its skipped names (if any) are reported before anything else.
    pub(crate) fn queue_skipped(&mut self) {
        if !self.skipped_queue.is_empty() && !self.pending_end {
            self.pending_end = true;
            self.skipped_only = true;
        }
    }

    fn pop_element(&mut self) {
        if let Some(o) = self.open.pop() {
            // What `start_tag` charged for this element.
            let kept = (o.name.end - o.name.start) as usize
                + ELEMENT_OVERHEAD
                + self.ns.retained_since(o.ns_mark);
            self.budget.refund(kept);
            self.names.truncate(o.name.start as usize);
            self.ns.unwind(o.ns_mark);
        }
    }
}

/// What a token parser may use besides the text.
pub(crate) struct TokenCtx<'a> {
    pub dtd: &'a Dtd,
    pub limits: &'a crate::Limits,
    pub attr_buf: &'a mut String,
    pub attrs: &'a mut Vec<AttrRec>,
    pub scratch: &'a mut String,
    pub expanded: &'a mut u64,
    /// Raw input bytes read so far (for the amplification limit).
    pub read: u64,
    pub tag: &'a mut TagScan,
    pub standalone: bool,
    /// Undeclared entities skipped in attribute values (see `Reader::skipped_queue`).
    pub skipped: &'a mut Vec<String>,
}

/// The error for a token longer than [`crate::Limits::max_token_len`].
pub(crate) fn token_too_long(max: usize) -> Error {
    Error::limit_exceeded(
        crate::Limit::MaxTokenLen,
        max as u64,
        "a single token is too long",
    )
}

/// The error for entity expansion past [`crate::Limits::max_amplification`]: `expanded`
/// bytes produced from `read` bytes of input.
pub(crate) fn amplification(expanded: u64, read: u64, l: &crate::Limits) -> Error {
    Error::limit_exceeded(
        crate::Limit::MaxAmplification,
        l.max_amplification,
        format_args!(
            "entity expansion produced {expanded} bytes from {read} bytes of input (an \
             entity-expansion attack such as billion laughs?); past \
             Limits::amplification_threshold, {} bytes, it may produce at most \
             Limits::max_amplification times the input",
            l.amplification_threshold
        ),
    )
}

/// Appends `s` to `buf` and returns where it is.
pub(crate) fn push_span(buf: &mut String, s: &str) -> Span {
    let start = buf.len() as u32;
    buf.push_str(s);
    Span {
        start,
        end: buf.len() as u32,
    }
}

/// The start of some markup, for error messages.
pub(crate) fn show_markup(rest: &str) -> String {
    let end = rest
        .char_indices()
        .take(12)
        .find(|&(i, c)| i > 0 && (c.is_whitespace() || c == '>' || c == '<'))
        .map(|(i, _)| i)
        .unwrap_or_else(|| {
            rest.char_indices()
                .nth(12)
                .map(|(i, _)| i)
                .unwrap_or(rest.len())
        });
    format!("'{}'", &rest[..end])
}

#[allow(dead_code)]
pub(crate) fn arc(s: &str) -> Arc<str> {
    Arc::from(s)
}
