//! The one error type of wary-xml: what went wrong, who is at fault, where, and which rule.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::limit::Limit;

/// Echoed text longer than this many bytes is shortened by [`terminal_safe`]: its start and
/// end are kept and the middle is replaced by a note of how many bytes were left out.
///
/// Messages quote parts of the document (a version, a name, a path), and a document can make
/// those parts as long as `Limits::max_token_len` allows: a message must stay one readable
/// line whatever the document holds. Every message template of this crate is shorter.
pub const MAX_SHOWN_BYTES: usize = 480;
/// How much of an over-long text's start [`terminal_safe`] keeps.
/// The rule of the internal "need more input" error ([`Error::need_more`]).
const NEED_MORE: &str = "(wary-xml internal: need more input)";

const SHOWN_HEAD: usize = 240;
/// How much of an over-long text's end [`terminal_safe`] keeps (the end of a message
/// usually says what to do).
const SHOWN_TAIL: usize = 160;

/// Makes text from a document, a path or a peer safe to print on a terminal, as one line of
/// bounded length.
///
/// - Control characters are written as visible escapes: C0 controls (U+0000–U+001F, tab and
///   line ends included, so that a value cannot start a forged second line), DEL (U+007F)
///   and C1 controls (U+0080–U+009F, which XML 1.0 \[2\] Char allows in documents) as
///   `\u{1b}`, or `\t`, `\n`, `\r`.
/// - So are the bidirectional controls, which reorder what a terminal shows (the "Trojan
///   Source" characters, CVE-2021-42574): embeddings and overrides U+202A–U+202E, isolates
///   U+2066–U+2069, and the marks U+200E, U+200F and U+061C; and the line and paragraph
///   separators U+2028 and U+2029, which some terminals and editors break lines at.
/// - Text longer than [`MAX_SHOWN_BYTES`] keeps its first 240 and last 160 bytes around a
///   note of how many bytes were left out.
///
/// Every [`Error`] message and entity label passes through here when the error is made, so
/// [`Error::message`] and `Display` are safe to print; the `wary` command line uses it for
/// what it echoes itself (paths, entity names).
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_SHOWN_BYTES && !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(MAX_SHOWN_BYTES) + 32);
    if text.len() <= MAX_SHOWN_BYTES {
        push_escaped(&mut out, text);
        return Cow::Owned(out);
    }
    let head_end = floor_char_boundary(text, SHOWN_HEAD);
    let tail_start = ceil_char_boundary(text, text.len() - SHOWN_TAIL);
    push_escaped(&mut out, &text[..head_end]);
    out.push_str(&format!("…[{} bytes not shown]…", tail_start - head_end));
    push_escaped(&mut out, &text[tail_start..]);
    Cow::Owned(out)
}

/// Whether [`terminal_safe`] writes `c` as an escape.
fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{61c}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Who is at fault for an [`Error`]: decides how a caller (and the CLI's exit code) reacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The document is not well-formed, or its encoding is wrong: fix the input.
    Input,
    /// A security limit stopped parsing: the input may be an attack, or the limit too low.
    Limit,
    /// Reading the input (or a permitted external entity) failed.
    Io,
    /// The caller asked for something impossible (for example a bad option).
    Caller,
}

/// What kind of problem an [`Error`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A production of the XML 1.0 grammar was not matched.
    Syntax,
    /// A character that XML 1.0 \[2\] Char does not allow, or a bad character reference.
    InvalidChar,
    /// The byte stream is not valid in its encoding, or the encoding is unknown,
    /// unsupported or contradicts the byte-order mark.
    Encoding,
    /// An end tag did not match its start tag (WFC: Element Type Match).
    TagMismatch,
    /// An attribute appeared twice in one tag (WFC: Unique Att Spec, NS: Attributes Unique).
    DuplicateAttribute,
    /// A reference to an entity that is not declared (WFC: Entity Declared), or that may not
    /// be referenced where it is (unparsed, external in an attribute value, ...).
    BadEntityReference,
    /// An entity refers to itself, directly or indirectly (WFC: No Recursion).
    RecursiveEntity,
    /// An entity's replacement text is not well balanced or is otherwise ill-formed where
    /// it is used (XML 1.0 §4.3.2, \[43\] content).
    EntityStructure,
    /// A Namespaces in XML 1.0 constraint was broken.
    Namespace,
    /// A security limit of [`crate::Limits`] was crossed.
    Limit,
    /// An external entity was not loaded because the options forbid it.
    ExternalEntityRefused,
    /// Reading failed.
    Io,
    /// The caller used the API incorrectly.
    Caller,
}

impl ErrorKind {
    /// Who is at fault for this kind of error.
    pub fn fault(self) -> Fault {
        match self {
            ErrorKind::Limit | ErrorKind::ExternalEntityRefused => Fault::Limit,
            ErrorKind::Io => Fault::Io,
            ErrorKind::Caller => Fault::Caller,
            _ => Fault::Input,
        }
    }
}

/// Where in the input an error was found. Made by the reader (more may be added, so not
/// built outside this crate).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Position {
    /// Byte offset in the entity (after decoding to UTF-8 for non-UTF-8 inputs).
    pub offset: u64,
    /// 1-based line number.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
    /// The entity the error is in: `None` for the document itself, else the entity's name
    /// (`%name` for parameter entities, `[dtd]` for the external subset) and, for external
    /// ones, its file.
    pub entity: Option<Arc<str>>,
}

/// An error from wary-xml: carries its kind, a message, the rule broken and a position.
///
/// The body is boxed so that `Result<_, Error>` stays one word wide on the reader's hot path.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: String,
    rule: &'static str,
    position: Option<Position>,
    source: Option<std::io::Error>,
    /// Set exactly when `kind` is [`ErrorKind::Limit`] (see [`Error::limit_exceeded`]).
    limit: Option<Limit>,
}

impl Error {
    /// A new error without a position (the reader adds one).
    #[cold]
    pub(crate) fn new(kind: ErrorKind, rule: &'static str, message: impl Into<String>) -> Self {
        // A limit error must say which limit: it is made by `limit_exceeded`, the only
        // constructor that sets one.
        debug_assert_ne!(kind, ErrorKind::Limit, "use Error::limit_exceeded: {rule}");
        Error::build(kind, rule, message.into(), None)
    }

    pub(crate) fn io(err: std::io::Error, what: impl Into<String>) -> Self {
        let mut e = Error::new(ErrorKind::Io, "", format!("{}: {err}", what.into()));
        e.0.source = Some(err);
        e
    }

    pub(crate) fn at(mut self, mut position: Position) -> Self {
        if self.0.position.is_none() {
            // An entity's label holds its name and, for an external one, its path.
            if let Some(label) = &position.entity {
                if let Cow::Owned(safe) = terminal_safe(label) {
                    position.entity = Some(Arc::from(safe));
                }
            }
            self.0.position = Some(position);
        }
        self
    }

    /// A token longer than [`crate::Limits::max_token_len`] (a tag, comment, PI, entity
    /// value or declaration the reader must hold whole).
    #[cold]
    pub(crate) fn token_too_long(max: usize) -> Self {
        Error::limit_exceeded(Limit::MaxTokenLen, max as u64, "a single token is too long")
    }

    /// A reference to an entity no declaration names, where XML 1.0 requires one (WFC:
    /// Entity Declared).
    #[cold]
    pub(crate) fn undeclared_entity(name: &str) -> Self {
        Error::new(
            ErrorKind::BadEntityReference,
            "WFC: Entity Declared",
            format!("reference to the undeclared entity '{name}'"),
        )
    }

    /// More attributes in one tag than [`crate::Limits::max_attributes`].
    #[cold]
    pub(crate) fn too_many_attributes(max: usize) -> Self {
        Error::limit_exceeded(
            Limit::MaxAttributes,
            max as u64,
            "a tag has too many attributes",
        )
    }

    /// The internal error that stops a step of the parser for more input (see `push`): it
    /// only marks the error, which never leaves the crate.
    #[cold]
    pub(crate) fn need_more() -> Self {
        Error::new(ErrorKind::Caller, NEED_MORE, "")
    }

    /// Whether this is [`Error::need_more`].
    #[inline]
    pub(crate) fn is_need_more(&self) -> bool {
        self.0.kind == ErrorKind::Caller && self.0.rule == NEED_MORE
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Who is at fault.
    pub fn fault(&self) -> Fault {
        self.0.kind.fault()
    }

    /// The human-readable description, without position: one line, safe to print on a
    /// terminal, quoted document text shortened (see [`terminal_safe`]).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The rule broken, for example `XML 1.0 \[40\] STag` or `WFC: Unique Att Spec`
    /// (empty for I/O and caller errors).
    pub fn rule(&self) -> &'static str {
        self.0.rule
    }

    /// Where the error was found, when it is about the input.
    pub fn position(&self) -> Option<&Position> {
        self.0.position.as_ref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        if let Some(p) = &e.position {
            write!(f, "{}:{}: ", p.line, p.column)?;
        }
        f.write_str(&e.message)?;
        // A limit error's message already names its rule, the `Limits` field.
        if !e.rule.is_empty() && e.limit.is_none() {
            write!(f, " ({})", e.rule)?;
        }
        if let Some(Position {
            entity: Some(name), ..
        }) = &e.position
        {
            write!(f, " [in entity {name}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl Error {
    /// The error for a document that crossed `limit`, set to `value`: the one constructor of
    /// [`ErrorKind::Limit`] errors, so that every one carries its [`Limit`] (see
    /// [`Error::limit`]), cites it as its rule and names the field in its message:
    /// `"{detail}; Limits::max_depth is 1024"`. `detail` says what was too big, without the
    /// limit's value; a front end adds how to raise it in its own terms (a flag, an argument).
    #[cold]
    pub(crate) fn limit_exceeded(limit: Limit, value: u64, detail: impl fmt::Display) -> Self {
        let message = format!("{detail}; {limit} is {value}");
        Error::build(ErrorKind::Limit, limit.rule(), message, Some(limit))
    }

    #[cold]
    fn build(
        kind: ErrorKind,
        rule: &'static str,
        mut message: String,
        limit: Option<Limit>,
    ) -> Self {
        // Messages quote the document (and paths): made safe here, once, so that no message
        // site can forget (see `terminal_safe`).
        if let Cow::Owned(safe) = terminal_safe(&message) {
            message = safe;
        }
        Error(Box::new(Inner {
            kind,
            message,
            rule,
            position: None,
            source: None,
            limit,
        }))
    }

    /// Which limit stopped parsing: `Some` exactly for errors of kind [`ErrorKind::Limit`].
    ///
    /// ```
    /// use wary_xml::{Limit, Limits, Options, Reader};
    /// let options = Options::new().with_limits(Limits::default().with_max_attributes(1));
    /// let err = Reader::from_bytes(b"<a x='1' y='2'/>", options).next_event().unwrap_err();
    /// assert_eq!(err.limit(), Some(Limit::MaxAttributes));
    /// assert_eq!(err.rule(), "Limits::max_attributes");
    /// ```
    pub fn limit(&self) -> Option<Limit> {
        self.0.limit
    }
}
