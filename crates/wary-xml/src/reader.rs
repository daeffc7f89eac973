//! The parser's core: a state machine over the stack of input frames.
//!
//! `step` does all the work and returns an [`Ev`], a description of the next event made of
//! offsets into the parser's buffers (or "need more input"); `materialize` then lends out
//! the [`Event`] built from it. That split keeps the event borrowing the parser without
//! copying anything, and lets an adapter loop on "need more" without holding a borrow.

use crate::budget::{Budget, ELEMENT_OVERHEAD};
use crate::cursor::{Cur, PResult, Stop};
use crate::dtd::{Dtd, DtdParser};
use crate::encoding::Decoder;
use crate::event::{
    AttrRec, Doctype, EndElement, EntityDecl, Event, Notation, Pi, Span, StartElement,
    UnparsedEntity, XmlDecl,
};
pub(crate) use crate::event::{Ev, Loc, Step};
use crate::guard::ExpansionGuard;
use crate::input::{Frame, FrameKind};
use crate::loader::Loader;
use crate::namespaces::Namespaces;
use crate::skipped::SkippedEntities;
use crate::stack::EntityStack;
use crate::tag_parser::{tag_text, TagScan, TokenCtx};
use crate::{chars, Error, ErrorKind, Options, Position};
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
    /// A step stopped for more input: nothing runs until the document frame has what the
    /// step wanted (`Frame::ready_to_resume`), then the state in `Parser::resume` goes on.
    Starved,
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

/// The sans-IO XML parser: the caller feeds bytes, in any split, says when they have ended,
/// and pulls events. It does no I/O on the document: [`crate::Reader`] (a
/// [`std::io::Read`]) and `AsyncReader` (feature `tokio`) are thin loops over it.
///
/// ```
/// use wary_xml::{Event, Options, Parser, Pull};
/// let mut p = Parser::new(Options::default());
/// let mut names = Vec::new();
/// for piece in [&b"<greeting la"[..], b"ng='en'>hi</gree", b"ting>"] {
///     p.feed(piece);
///     // Pull until the parser has parsed everything fed so far.
///     while let Pull::Event(ev) = p.next_event()? {
///         if let Event::StartElement(s) = ev {
///             names.push(s.name().to_owned());
///         }
///     }
/// }
/// p.finish();
/// assert!(matches!(p.next_event()?, Pull::End));
/// assert_eq!(names, ["greeting"]);
/// # Ok::<(), wary_xml::Error>(())
/// ```
///
/// - **Need more input is a state**: [`Pull::NeedMore`](crate::Pull::NeedMore) means every
///   byte fed has been parsed; after the next [`Parser::feed`] (or [`Parser::finish`]) the
///   same call goes on exactly where it stopped. Events and errors (kind, message,
///   position) are the same whatever the split of the bytes into feeds, except that a run
///   of text or CDATA may come in more pieces.
/// - **Memory**: bytes fed and not yet parsed are held by the parser. Feed bounded chunks
///   and pull until `NeedMore` before feeding more (as the adapters do): then memory stays
///   bounded by [`crate::Limits`], whatever the document's size.
/// - **Cost**: a token cut by a feed is parsed again from its start only once the text fed
///   since has doubled it (or, for a token of at most 4 KiB, once a byte that may end it
///   arrives), so feeding a long token in small pieces stays linear (Expat's
///   CVE-2023-52425).
/// - **External entities**: in [`crate::ExternalEntities::Local`] mode the parser reads
///   them itself, with blocking reads of files beneath the entity root. That does not make
///   the document stream blocking; with external entities off (the default) the parser
///   touches no file at all.
/// - A markup declaration of the internal subset is parsed only once it is all fed (its
///   parser consumes as it reads), so one longer than `Limits::max_token_len` is an error.
pub struct Parser {
    /// Every byte fed before the document's charset is decided (the sniff needs the byte
    /// order mark and the whole XML declaration); moved into the document's decoder then.
    pub(crate) head: Vec<u8>,
    /// [`Parser::finish`] was called: the input has ended.
    pub(crate) ended: bool,
    /// Bytes were fed after `finish`: a caller error, reported by the next `next_event`.
    pub(crate) fed_after_finish: bool,
    /// While the charset is not decided: how long `head` must be before sniffing again
    /// (it doubles, so that sniffing stays linear however small the feeds).
    pub(crate) head_wanted: usize,
    /// The state to go on in once a starved step has its input (see [`State::Starved`]).
    pub(crate) resume: State,
    pub(crate) options: Options,
    pub(crate) frames: Vec<Frame>,
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
    /// [`crate::attrs::MAX_SKIPPED_PER_TAG`].
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
    /// Entity expansion: the running total, and the recursion, depth and amplification
    /// checks every expansion path goes through.
    pub(crate) guard: ExpansionGuard,
    /// Input consumed by frames already popped (first reads of external entities and the
    /// external subset): the running total the amplification limit compares with, together
    /// with what the open frames have consumed.
    pub(crate) input_done: u64,
    /// The entity root's handle and the files read so far (local mode only).
    pub(crate) loader: Loader,
    /// Every byte kept from one token to the next is charged here (issue 10).
    pub(crate) budget: Budget,
    /// The distinct skipped entities.
    pub(crate) skipped: SkippedEntities,
}

impl Parser {
    /// A parser that has been fed nothing yet. `options.document_path`, if set, is where
    /// relative system identifiers of the document resolve from (local mode).
    pub fn new(options: Options) -> Parser {
        let budget = Budget::new(options.limits.max_retained_bytes);
        let guard = ExpansionGuard::new(&options.limits);
        Parser {
            head: Vec::new(),
            ended: false,
            fed_after_finish: false,
            head_wanted: 0,
            resume: State::Start,
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
            guard,
            input_done: 0,
            loader: Loader::default(),
            budget,
            skipped: SkippedEntities::default(),
        }
    }

    /// The next event as a description ([`Step::Event`]), or that the parser needs more
    /// input, or the end. Never borrows: an adapter can feed and call again in a loop, and
    /// then take the event with [`Parser::materialize`].
    ///
    /// After an error the parser is finished: later calls return an error of kind
    /// [`ErrorKind::Caller`] rather than pretend the document ended.
    #[inline(always)]
    pub(crate) fn step(&mut self) -> Result<Step, Error> {
        // The three events that make up most documents, handled here so that the event
        // is built where its kind is known: going through `advance` costs a second
        // hard-to-predict branch on the kind, about a tenth of the time on real documents.
        // "Need more input" never comes from here but from the token parsers, on the error
        // path (`fail`): this path does no extra work for feeding.
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
                            return self.fail(e);
                        }
                        // (It only records that the element is to be popped.)
                        let _ = self.end_element_reported();
                        return Ok(Step::Event(Ev::End));
                    }
                    Some(&c) if chars::ASCII_NAME_START[c as usize] => {
                        return match self.start_tag() {
                            Ok(empty) => Ok(Step::Event(Ev::Start { empty })),
                            Err(e) => self.fail(e),
                        };
                    }
                    _ => {}
                },
                Some(&c) if c != b'&' => {
                    if let Some(end) = chars::quick_text_end(bytes, start) {
                        fr.pos = end;
                        return Ok(Step::Event(Ev::Text(Loc::Frame(top, start, end))));
                    }
                }
                _ => {}
            }
        }
        if self.state == State::Failed {
            return Err(Error::new(
                ErrorKind::Caller,
                "",
                "the parser already stopped at an error; it cannot continue",
            ));
        }
        if self.fed_after_finish {
            self.state = State::Failed;
            return Err(Error::new(
                ErrorKind::Caller,
                "",
                "bytes were fed after finish(): the input had already ended",
            ));
        }
        match self.advance() {
            Ok(Some(ev)) => Ok(Step::Event(ev)),
            Ok(None) => Ok(Step::End),
            Err(e) => self.fail(e),
        }
    }

    /// An error from a step: "need more input" leaves the parser as it is, so that the
    /// same step runs again after the next feed; any other error ends the parse.
    #[cold]
    #[inline(never)]
    fn fail(&mut self, e: Error) -> Result<Step, Error> {
        if e.is_need_more() {
            if self.state != State::Starved {
                self.resume = self.state;
                self.state = State::Starved;
            }
            return Ok(Step::NeedMore);
        }
        self.state = State::Failed;
        Err(e)
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
            ns: self.tag_ns.map(|s| s.of(self.ns.uris())),
            attrs: &self.attrs,
            ns_buf: self.ns.uris(),
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
                o.ns.map(|s| s.of(self.ns.uris())),
            ),
            None => ("", 0, None),
        };
        Event::EndElement(EndElement {
            name,
            prefix_len,
            ns,
        })
    }

    /// The event `ev` describes (from [`Parser::step`]).
    #[inline(always)]
    pub(crate) fn materialize(&self, ev: Ev) -> Event<'_> {
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
                State::Starved => {
                    if let Some(f) = self.frames.first_mut() {
                        f.ready_to_resume()?;
                    }
                    self.state = self.resume;
                    None
                }
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

    /// The top frame and its index, for the fuzz target that checks the inline text path
    /// against the text step (`fuzzing::text`).
    #[cfg(feature = "fuzzing")]
    pub(crate) fn top_frame(&self) -> Option<(usize, &Frame)> {
        let top = self.frames.len().checked_sub(1)?;
        self.frames.get(top).map(|f| (top, f))
    }

    /// An error at byte `at` of frame `f`'s window.
    pub(crate) fn err_at(&self, f: usize, at: usize, e: Error) -> Error {
        crate::stack::err_at(&self.frames, f, at, e)
    }

    /// An error at the current position of the top frame.
    pub(crate) fn err_here(
        &self,
        kind: ErrorKind,
        rule: &'static str,
        msg: impl Into<String>,
    ) -> Error {
        self.at_here(Error::new(kind, rule, msg))
    }

    /// `e`, placed at the current position of the top frame.
    pub(crate) fn at_here(&self, e: Error) -> Error {
        crate::stack::at_here(&self.frames, e)
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
        let expanded_before = self.guard.mark();
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
                guard: &mut self.guard,
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
                        return Err(self.err_at(top, start, Error::token_too_long(max)));
                    }
                    self.frames[top].pos += len;
                    return Ok((v, start, len));
                }
                Err(Stop::More) => {
                    self.guard.rewind(expanded_before);
                    self.frames[top].grow(max)?;
                }
                Err(Stop::Fail(e, at)) => return Err(self.err_at(top, start + at, e)),
            }
        }
    }

    /// The markup at the top frame's position, for an error message. Reads a little ahead
    /// first so that the excerpt does not depend on how the input was split into reads; an
    /// error while doing so is dropped, since the caller is about to report its own. Only
    /// "need more input" comes back: the excerpt must wait for the bytes, as the error does.
    pub(crate) fn markup_here(&mut self) -> Result<String, Error> {
        if let Err(e) = self.ensure(48) {
            if e.is_need_more() {
                return Err(e);
            }
        }
        let top = self.top();
        Ok(crate::cursor::show_markup(self.frames[top].rest()))
    }

    /// Makes sure the top frame has `n` bytes available if it can; returns whether it does.
    pub(crate) fn ensure(&mut self, n: usize) -> Result<bool, Error> {
        let top = self.top();
        self.frames[top].ensure(n)
    }

    /// Counts `added` bytes produced by entity expansion, and checks the amplification
    /// limit (Expat-style) through the expansion guard; the error is at the current position.
    pub(crate) fn count_expansion(&mut self, added: usize) -> Result<(), Error> {
        self.entity_stack().count_expansion(added)
    }

    /// Input consumed so far from the document and every external entity read for the first
    /// time: the measure entity expansion is compared with (`Limits::max_amplification`).
    /// Counted as parsed, never as read ahead, so that the verdict and its position do not
    /// depend on how the source splits its bytes into reads; a popped frame's share is kept
    /// in `input_done`, so nothing counted is lost when a frame or its decoder goes.
    pub(crate) fn input_read(&self) -> u64 {
        self.input_done + self.frames.iter().map(|f| f.consumed()).sum::<u64>()
    }

    // ----- the document entity, prolog and epilog -----

    /// The start of the document entity: the charset (once enough bytes were fed to decide
    /// it), then the XML declaration, if any. Restartable: after "need more input" it runs
    /// again from the top, and only the decoder it made stays (in frame 0).
    fn start_document(&mut self) -> Result<Option<Ev>, Error> {
        let start = Position {
            offset: 0,
            line: 1,
            column: 1,
            entity: None,
        };
        if self.frames.is_empty() {
            // Sniff again only once the head has doubled (as `sniff_read` reads).
            if self.head.len() < self.head_wanted && !self.ended {
                return Err(Error::need_more());
            }
            let max_decl = self.options.limits.max_token_len;
            let dec = Decoder::fed(&self.head, self.ended, max_decl, true)
                .map_err(|e| e.at(start.clone()))?;
            let Some(dec) = dec else {
                self.head_wanted = (self.head.len() * 2).max(self.head.len() + 512);
                return Err(Error::need_more());
            };
            self.head = Vec::new();
            let mut frame = Frame::streaming(dec, FrameKind::Document);
            frame.base_dir = crate::external::document_dir(&self.options);
            self.frames.push(frame);
        }
        self.ensure(6)?;
        let rest = self.frames[0].rest().as_bytes();
        if rest.starts_with(b"<?xml") && rest.len() > 5 && chars::is_space(rest[5]) {
            let (d, at, _) =
                self.token("the XML declaration", "XML 1.0 [23] XMLDecl", |c, _| {
                    crate::decl::parse(c, false).map(|d| d.owned())
                })?;
            self.state = State::Prolog;
            // XML 1.0 §4.3.3: the declared encoding must be the one the bytes are read in.
            if let Err(e) = self.frames[0].confirm_encoding(d.encoding.as_deref()) {
                return Err(self.err_at(0, at + d.encoding_at, e));
            }
            self.standalone = d.standalone;
            self.version = d.version.clone().unwrap_or_else(|| "1.0".into());
            self.scratch.clear();
            let version = Span::push(&mut self.scratch, d.version.as_deref().unwrap_or("1.0"));
            let encoding = d
                .encoding
                .as_deref()
                .map(|e| Span::push(&mut self.scratch, e));
            return Ok(Some(Ev::XmlDecl {
                version,
                encoding,
                standalone: d.standalone,
            }));
        }
        self.state = State::Prolog;
        self.frames[0]
            .confirm_encoding(None)
            .map_err(|e| e.at(start))?;
        Ok(None)
    }

    // ----- frames and elements -----

    /// Removes the top frame, remembering how much input it consumed.
    pub(crate) fn pop_frame(&mut self) {
        self.entity_stack().pop();
    }

    // ----- the views lent to the parts -----

    /// The stack of entities being read, as the view lent to the parts that push and pop
    /// entities (the DTD parser, the opening of external entities).
    pub(crate) fn entity_stack(&mut self) -> EntityStack<'_> {
        EntityStack::new(
            &mut self.frames,
            &mut self.input_done,
            &mut self.budget,
            &mut self.guard,
            &mut self.loader,
            &self.options,
            &self.version,
        )
    }

    /// The DTD parser, over exactly the parts it reads and fills (built per step: DTDs are
    /// cold, the content path never builds one).
    pub(crate) fn dtd_parser(&mut self) -> DtdParser<'_> {
        let input = EntityStack::new(
            &mut self.frames,
            &mut self.input_done,
            &mut self.budget,
            &mut self.guard,
            &mut self.loader,
            &self.options,
            &self.version,
        );
        DtdParser::new(
            input,
            &mut self.dtd,
            &mut self.scratch,
            &mut self.skipped_queue,
            self.standalone,
        )
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
