//! The declaration cursor: reads a markup declaration across the frame stack, so that in the
//! external subset a declaration may continue through parameter-entity references, whose
//! replacement text is padded with a space on each side (XML 1.0 §4.4.8). In the internal
//! subset a reference inside a declaration is an error (WFC: PEs in Internal Subset).

use crate::chars;
use crate::input::FrameKind;
use crate::reader::Parser;
use crate::{Error, ErrorKind};

impl Parser {
    /// The next byte of the declaration, crossing the end of parameter entities that were
    /// referenced inside it. `None` at the end of an entity the declaration cannot leave.
    pub(super) fn d_peek(&mut self) -> Result<Option<u8>, Error> {
        loop {
            let top = self.top();
            let f = &mut self.frames[top];
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
                self.pop_frame();
                continue;
            }
            return Ok(None);
        }
    }

    /// The text from the current position in the top frame, with at least `n` bytes if the
    /// frame has them.
    pub(super) fn d_rest(&mut self, n: usize) -> Result<&str, Error> {
        self.d_peek()?;
        self.ensure(n)?;
        let top = self.top();
        Ok(self.frames[top].rest())
    }

    pub(super) fn d_bump(&mut self, n: usize) {
        let top = self.top();
        self.frames[top].pos += n;
    }

    pub(super) fn d_err(
        &self,
        kind: ErrorKind,
        rule: &'static str,
        msg: impl Into<String>,
    ) -> Error {
        self.err_here(kind, rule, msg)
    }

    pub(super) fn d_syntax(&mut self, rule: &'static str, expected: &str) -> Error {
        let found = match self.d_rest(1) {
            Ok(r) if !r.is_empty() => crate::cursor::show_next(r),
            _ => "the end of the entity".to_string(),
        };
        self.d_err(
            ErrorKind::Syntax,
            rule,
            format!("expected {expected}, found {found}"),
        )
    }

    /// Skips white space and, where allowed, parameter-entity references (each counts as
    /// white space, being padded). Returns whether anything was skipped.
    pub(super) fn d_sep(&mut self) -> Result<bool, Error> {
        let mut any = false;
        loop {
            let depth = self.frames.len();
            let b = self.d_peek()?;
            if self.frames.len() < depth {
                any = true;
            }
            match b {
                Some(b) if chars::is_space(b) => {
                    let top = self.top();
                    let f = &mut self.frames[top];
                    let n = f.rest().bytes().take_while(|&b| chars::is_space(b)).count();
                    f.pos += n;
                    any = true;
                }
                Some(b'%') => {
                    let next = self.d_rest(2)?.as_bytes().get(1).copied();
                    let starts_name = next.is_some_and(|n| !chars::is_space(n));
                    if !starts_name {
                        return Ok(any);
                    }
                    if !self.in_external() {
                        return Err(self.d_err(
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

    pub(super) fn d_req_sep(&mut self, rule: &'static str, what: &str) -> Result<(), Error> {
        if self.d_sep()? {
            return Ok(());
        }
        Err(self.d_syntax(rule, &format!("white space {what}")))
    }

    /// A parameter-entity reference inside a declaration (external subset only).
    pub(super) fn pe_in_decl(&mut self) -> Result<(), Error> {
        self.pe_reference(FrameKind::ParamInDecl)
    }

    /// A name in the top frame (names never span entities: the padding ends them).
    pub(super) fn d_name(&mut self, rule: &'static str, what: &str) -> Result<String, Error> {
        let max = self.options.limits.max_name_len;
        loop {
            self.d_peek()?;
            let top = self.top();
            let f = &mut self.frames[top];
            let rest = f.rest();
            let n = chars::name_len(rest);
            // Over the limit already: fail now rather than read the rest of a huge name.
            if n > max {
                return Err(self.at_here(Error::limit_exceeded(
                    crate::Limit::MaxNameLen,
                    max as u64,
                    "a name is too long",
                )));
            }
            if n == rest.len() && !f.eof {
                f.grow(self.options.limits.max_token_len)?;
                continue;
            }
            if n == 0 {
                return Err(self.d_syntax(rule, what));
            }
            let s = rest[..n].to_string();
            f.pos += n;
            return Ok(s);
        }
    }

    /// An Nmtoken (\[7\]) in the top frame.
    pub(super) fn d_nmtoken(&mut self, rule: &'static str) -> Result<String, Error> {
        loop {
            self.d_peek()?;
            let top = self.top();
            let f = &mut self.frames[top];
            let rest = f.rest();
            let n = chars::nmtoken_len(rest);
            if n == rest.len() && !f.eof {
                f.grow(self.options.limits.max_token_len)?;
                continue;
            }
            if n == 0 {
                return Err(self.d_syntax(rule, "a name token"));
            }
            let s = rest[..n].to_string();
            f.pos += n;
            return Ok(s);
        }
    }

    /// Whether the top frame continues with `lit` (which must not span entities).
    pub(super) fn d_looking_at(&mut self, lit: &str) -> Result<bool, Error> {
        Ok(self.d_rest(lit.len())?.starts_with(lit))
    }

    /// A quoted literal in one frame, without reference processing.
    pub(super) fn d_quoted(&mut self, rule: &'static str, what: &str) -> Result<String, Error> {
        let q = match self.d_peek()? {
            Some(q @ (b'"' | b'\'')) => q,
            _ => return Err(self.d_syntax(rule, &format!("a quoted {what}"))),
        };
        let top = self.top();
        loop {
            let f = &mut self.frames[top];
            let body = &f.text.as_bytes()[f.pos + 1..];
            if let Some(k) = memchr::memchr(q, body) {
                let s = f.text[f.pos + 1..f.pos + 1 + k].to_string();
                f.pos += k + 2;
                return Ok(s);
            }
            if f.eof {
                return Err(self.d_err(
                    ErrorKind::Syntax,
                    rule,
                    format!("the entity ends inside a quoted {what}"),
                ));
            }
            f.grow(self.options.limits.max_token_len)?;
        }
    }

    pub(super) fn d_end(&mut self, rule: &'static str) -> Result<(), Error> {
        self.d_sep()?;
        if self.d_peek()? == Some(b'>') {
            self.d_bump(1);
            return Ok(());
        }
        Err(self.d_syntax(rule, "'>' to end the declaration"))
    }
}
