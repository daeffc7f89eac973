//! The DTD parser's type ([`DtdParser`]: the view of the parser's parts it is lent) and its
//! declaration cursor: reads a markup declaration across the frame stack, so that in the
//! external subset a declaration may continue through parameter-entity references, whose
//! replacement text is padded with a space on each side (XML 1.0 §4.4.8). In the internal
//! subset a reference inside a declaration is an error (WFC: PEs in Internal Subset).

use super::Dtd;
use crate::chars;
use crate::input::FrameKind;
use crate::stack::EntityStack;
use crate::{Error, ErrorKind};

/// The DTD parser: a narrow view of the parser's parts, lent for one step through the
/// document type declaration (quinn-proto's `Streams<'a>` over `&mut StreamsState`). Its
/// methods are the declaration parsers (`subset`, `decls`, `entities`) and the cursor
/// below; it never sees the parser itself, only what a declaration reads and fills.
pub(crate) struct DtdParser<'a> {
    /// The frames being read (the document, the external subset, parameter entities), with
    /// the expansion guard, the memory budget and the loader of external entities.
    pub(super) input: EntityStack<'a>,
    /// The store of declarations this parser fills.
    pub(super) dtd: &'a mut Dtd,
    /// Where the text of the event a step returns is put (names, identifiers, values).
    pub(super) scratch: &'a mut String,
    /// Undeclared entities referenced in an attribute-list default (VC: Entity Declared),
    /// to be reported as skipped (see `Parser::skipped_queue`).
    pub(super) skipped: &'a mut Vec<String>,
    /// The document's standalone declaration.
    pub(super) standalone: Option<bool>,
}

impl<'a> DtdParser<'a> {
    /// The view over the parser's parts (built by `Parser::dtd_parser`).
    pub(crate) fn new(
        input: EntityStack<'a>,
        dtd: &'a mut Dtd,
        scratch: &'a mut String,
        skipped: &'a mut Vec<String>,
        standalone: Option<bool>,
    ) -> Self {
        DtdParser {
            input,
            dtd,
            scratch,
            skipped,
            standalone,
        }
    }
}

impl DtdParser<'_> {
    /// The next byte of the declaration, crossing the end of parameter entities that were
    /// referenced inside it. `None` at the end of an entity the declaration cannot leave.
    pub(super) fn peek(&mut self) -> Result<Option<u8>, Error> {
        loop {
            let top = self.input.top();
            let f = self.input.frame_mut(top);
            if f.pos < f.text.len() {
                return Ok(Some(f.text.as_bytes()[f.pos]));
            }
            if f.more()? {
                continue;
            }
            if f.kind == FrameKind::ParamInDecl {
                if f.pad_end {
                    f.pad_end = false;
                    f.text.push(' ');
                    continue;
                }
                self.input.pop();
                continue;
            }
            return Ok(None);
        }
    }

    /// The text from the current position in the top frame, with at least `n` bytes if the
    /// frame has them.
    pub(super) fn rest(&mut self, n: usize) -> Result<&str, Error> {
        self.peek()?;
        self.input.ensure(n)?;
        let top = self.input.top();
        Ok(self.input.frame(top).rest())
    }

    pub(super) fn bump(&mut self, n: usize) {
        let top = self.input.top();
        self.input.frame_mut(top).pos += n;
    }

    pub(super) fn err(&self, kind: ErrorKind, rule: &'static str, msg: impl Into<String>) -> Error {
        self.input.err_here(kind, rule, msg)
    }

    pub(super) fn syntax(&mut self, rule: &'static str, expected: &str) -> Error {
        let found = match self.rest(1) {
            Ok(r) if !r.is_empty() => crate::cursor::show_next(r),
            _ => "the end of the entity".to_string(),
        };
        self.err(
            ErrorKind::Syntax,
            rule,
            format!("expected {expected}, found {found}"),
        )
    }

    /// Skips white space and, where allowed, parameter-entity references (each counts as
    /// white space, being padded). Returns whether anything was skipped.
    pub(super) fn sep(&mut self) -> Result<bool, Error> {
        let mut any = false;
        loop {
            let depth = self.input.len();
            let b = self.peek()?;
            if self.input.len() < depth {
                any = true;
            }
            match b {
                Some(b) if chars::is_space(b) => {
                    let top = self.input.top();
                    let f = self.input.frame_mut(top);
                    let n = f.rest().bytes().take_while(|&b| chars::is_space(b)).count();
                    f.pos += n;
                    any = true;
                }
                Some(b'%') => {
                    let next = self.rest(2)?.as_bytes().get(1).copied();
                    let starts_name = next.is_some_and(|n| !chars::is_space(n));
                    if !starts_name {
                        return Ok(any);
                    }
                    if !self.input.in_external() {
                        return Err(self.err(
                            ErrorKind::Syntax,
                            "WFC: PEs in Internal Subset",
                            "a parameter-entity reference inside a markup declaration is not allowed in the internal subset",
                        ));
                    }
                    self.pe_in_decl()?;
                    any = true;
                }
                _ => return Ok(any),
            }
        }
    }

    pub(super) fn req_sep(&mut self, rule: &'static str, what: &str) -> Result<(), Error> {
        if self.sep()? {
            return Ok(());
        }
        Err(self.syntax(rule, &format!("white space {what}")))
    }

    /// A parameter-entity reference inside a declaration (external subset only).
    pub(super) fn pe_in_decl(&mut self) -> Result<(), Error> {
        self.pe_reference(FrameKind::ParamInDecl)
    }

    /// A name in the top frame (names never span entities: the padding ends them).
    pub(super) fn name(&mut self, rule: &'static str, what: &str) -> Result<String, Error> {
        let max_token = self.input.options().limits.max_token_len;
        let max = self.input.options().limits.max_name_len;
        loop {
            self.peek()?;
            let top = self.input.top();
            let f = self.input.frame_mut(top);
            let rest = f.rest();
            let n = chars::name_len(rest);
            // Over the limit already: fail now rather than read the rest of a huge name.
            if n > max {
                return Err(self.input.at_here(Error::limit_exceeded(
                    crate::Limit::MaxNameLen,
                    max as u64,
                    "a name is too long",
                )));
            }
            if n == rest.len() && !f.eof {
                f.grow(max_token)?;
                continue;
            }
            if n == 0 {
                return Err(self.syntax(rule, what));
            }
            let s = rest[..n].to_string();
            f.pos += n;
            return Ok(s);
        }
    }

    /// An Nmtoken (\[7\]) in the top frame.
    pub(super) fn nmtoken(&mut self, rule: &'static str) -> Result<String, Error> {
        let max_token = self.input.options().limits.max_token_len;
        loop {
            self.peek()?;
            let top = self.input.top();
            let f = self.input.frame_mut(top);
            let rest = f.rest();
            let n = chars::nmtoken_len(rest);
            if n == rest.len() && !f.eof {
                f.grow(max_token)?;
                continue;
            }
            if n == 0 {
                return Err(self.syntax(rule, "a name token"));
            }
            let s = rest[..n].to_string();
            f.pos += n;
            return Ok(s);
        }
    }

    /// Whether the top frame continues with `lit` (which must not span entities).
    pub(super) fn looking_at(&mut self, lit: &str) -> Result<bool, Error> {
        Ok(self.rest(lit.len())?.starts_with(lit))
    }

    /// A quoted literal in one frame, without reference processing.
    pub(super) fn quoted(&mut self, rule: &'static str, what: &str) -> Result<String, Error> {
        let max_token = self.input.options().limits.max_token_len;
        let q = match self.peek()? {
            Some(q @ (b'"' | b'\'')) => q,
            _ => return Err(self.syntax(rule, &format!("a quoted {what}"))),
        };
        let top = self.input.top();
        loop {
            let f = self.input.frame_mut(top);
            let body = &f.text.as_bytes()[f.pos + 1..];
            if let Some(k) = memchr::memchr(q, body) {
                let s = f.text[f.pos + 1..f.pos + 1 + k].to_string();
                f.pos += k + 2;
                return Ok(s);
            }
            if f.eof {
                return Err(self.err(
                    ErrorKind::Syntax,
                    rule,
                    format!("the entity ends inside a quoted {what}"),
                ));
            }
            f.grow(max_token)?;
        }
    }

    pub(super) fn end(&mut self, rule: &'static str) -> Result<(), Error> {
        self.sep()?;
        if self.peek()? == Some(b'>') {
            self.bump(1);
            return Ok(());
        }
        Err(self.syntax(rule, "'>' to end the declaration"))
    }
}
