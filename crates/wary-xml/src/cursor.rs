//! A cursor over the text of one frame, for parsing one token that must be whole in memory.
//!
//! A token parser runs over the available text; when it reaches the end of the text before
//! the token ends, it stops with [`Stop::More`] and the reader grows the window and parses
//! the token again from its start (the window at least doubles each time, so the total work
//! stays linear in the token's length). At the true end of the entity it fails instead.

use crate::chars;
use crate::{Error, ErrorKind};

/// Why a token parser stopped without a token.
pub(crate) enum Stop {
    /// The token may continue past the available text.
    More,
    /// The input is wrong at this byte index of the cursor's text.
    Fail(Error, usize),
}

pub(crate) type PResult<T> = Result<T, Stop>;

pub(crate) struct Cur<'a> {
    pub s: &'a str,
    pub i: usize,
    pub eof: bool,
    /// What is being parsed, for "unexpected end" messages.
    pub what: &'static str,
    pub rule: &'static str,
}

impl<'a> Cur<'a> {
    pub fn new(s: &'a str, eof: bool, what: &'static str, rule: &'static str) -> Self {
        Cur {
            s,
            i: 0,
            eof,
            what,
            rule,
        }
    }

    #[inline]
    pub fn bytes(&self) -> &'a [u8] {
        self.s.as_bytes()
    }

    #[inline]
    pub fn rest(&self) -> &'a str {
        self.s.get(self.i..).unwrap_or("")
    }

    pub fn fail(&self, kind: ErrorKind, rule: &'static str, msg: impl Into<String>) -> Stop {
        Stop::Fail(Error::new(kind, rule, msg), self.i)
    }

    pub fn syntax(&self, msg: impl Into<String>) -> Stop {
        self.fail(ErrorKind::Syntax, self.rule, msg)
    }

    /// The stop for running out of text: more may come, or the input ended inside the token.
    pub fn end(&self) -> Stop {
        if self.eof {
            Stop::Fail(
                Error::new(
                    ErrorKind::Syntax,
                    self.rule,
                    format!("the input ends inside {}", self.what),
                ),
                self.i,
            )
        } else {
            Stop::More
        }
    }

    /// The next byte.
    #[inline]
    pub fn peek(&self) -> PResult<u8> {
        match self.bytes().get(self.i) {
            Some(&b) => Ok(b),
            None => Err(self.end()),
        }
    }

    /// Consumes `b` if it is next.
    #[inline]
    pub fn eat(&mut self, b: u8) -> PResult<bool> {
        if self.peek()? == b {
            self.i += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Whether the text continues with `lit` (asking for more text when it cannot tell).
    pub fn looking_at(&self, lit: &str) -> PResult<bool> {
        let r = self.rest().as_bytes();
        let l = lit.as_bytes();
        if r.len() >= l.len() {
            Ok(&r[..l.len()] == l)
        } else if l.starts_with(r) && !self.eof {
            Err(Stop::More)
        } else {
            Ok(false)
        }
    }

    /// Consumes `lit` or fails with `msg`.
    pub fn expect(&mut self, lit: &str, msg: &str) -> PResult<()> {
        if self.looking_at(lit)? {
            self.i += lit.len();
            Ok(())
        } else {
            Err(self.syntax(msg.to_string()))
        }
    }

    /// Skips XML 1.0 \[3\] S; returns whether any was there.
    #[inline]
    pub fn ws(&mut self) -> bool {
        let start = self.i;
        let b = self.bytes();
        while self.i < b.len() && chars::is_space(b[self.i]) {
            self.i += 1;
        }
        self.i > start
    }

    /// Requires S.
    pub fn req_ws(&mut self, msg: &str) -> PResult<()> {
        if self.ws() {
            return Ok(());
        }
        self.peek()?;
        Err(self.syntax(msg.to_string()))
    }

    /// A \[5\] Name (no more than `max` bytes).
    #[inline]
    pub fn name(&mut self, max: usize, what: &str) -> PResult<&'a str> {
        self.name_colon(max, what).map(|(n, _)| n)
    }

    /// A \[5\] Name (no more than `max` bytes), and whether it has a colon (found while
    /// scanning, so namespace processing does not scan the name again).
    #[inline]
    pub fn name_colon(&mut self, max: usize, what: &str) -> PResult<(&'a str, bool)> {
        if let Some((n, colon)) = chars::ascii_name_len(&self.bytes()[self.i..]) {
            if n <= max {
                let s = self.s.get(self.i..self.i + n).unwrap_or("");
                self.i += n;
                return Ok((s, colon));
            }
        }
        let s = self.name_slow(max, what)?;
        Ok((s, s.contains(':')))
    }

    /// [`Cur::name`] for names that are not all ASCII, are too long, or reach the end of
    /// the text.
    #[inline(never)]
    fn name_slow(&mut self, max: usize, what: &str) -> PResult<&'a str> {
        let rest = self.rest();
        let n = chars::name_len(rest);
        if n == 0 {
            if rest.is_empty() {
                return Err(self.end());
            }
            return Err(self.syntax(format!(
                "expected {what} (a name), found {}",
                show_next(rest)
            )));
        }
        // Over the limit already: fail now rather than read the rest of a huge name.
        if n > max {
            return Err(Stop::Fail(
                Error::limit_exceeded(crate::Limit::MaxNameLen, max as u64, "a name is too long"),
                self.i,
            ));
        }
        if n == rest.len() && !self.eof {
            return Err(Stop::More);
        }
        let s = &rest[..n];
        self.i += n;
        Ok(s)
    }

    /// A quoted literal; returns its content (without quotes).
    pub fn quoted(&mut self, what: &str) -> PResult<&'a str> {
        let q = self.peek()?;
        if q != b'"' && q != b'\'' {
            return Err(self.syntax(format!(
                "expected a quoted {what}, found {}",
                show_next(self.rest())
            )));
        }
        let body = &self.bytes()[self.i + 1..];
        match memchr::memchr(q, body) {
            Some(k) => {
                let v = &self.s[self.i + 1..self.i + 1 + k];
                self.i += k + 2;
                Ok(v)
            }
            None => Err(self.end()),
        }
    }
}

/// Describes the next character for an error message.
pub(crate) fn show_next(rest: &str) -> String {
    match rest.chars().next() {
        None => "the end of the input".to_string(),
        Some(c) if c.is_ascii_graphic() => format!("'{c}'"),
        Some(c) => format!("U+{:04X}", c as u32),
    }
}
