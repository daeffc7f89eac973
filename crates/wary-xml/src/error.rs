//! The one error type of wary-xml: what went wrong, who is at fault, where, and which rule.

use std::fmt;
use std::sync::Arc;

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

/// Where in the input an error was found.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
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
}

impl Error {
    /// A new error without a position (the reader adds one).
    #[cold]
    pub(crate) fn new(kind: ErrorKind, rule: &'static str, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            rule,
            position: None,
            source: None,
        }))
    }

    pub(crate) fn io(err: std::io::Error, what: impl Into<String>) -> Self {
        let mut e = Error::new(ErrorKind::Io, "", format!("{}: {err}", what.into()));
        e.0.source = Some(err);
        e
    }

    pub(crate) fn at(mut self, position: Position) -> Self {
        if self.0.position.is_none() {
            self.0.position = Some(position);
        }
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Who is at fault.
    pub fn fault(&self) -> Fault {
        self.0.kind.fault()
    }

    /// The human-readable description, without position.
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
        if !e.rule.is_empty() {
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
