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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Out {
        /// The value read and where the cursor is after it.
        Ok(String, usize),
        More,
        Fail(ErrorKind, &'static str, usize),
    }

    #[derive(Clone, Copy, Debug)]
    enum Op {
        Name,
        Quoted,
        ReqWs,
        Expect,
    }

    const R: &str = "rule [1]";

    fn run(text: &str, eof: bool, op: Op) -> Out {
        let mut c = Cur::new(text, eof, "a test token", R);
        let r = match op {
            Op::Name => c.name(5, "a name").map(str::to_string),
            Op::Quoted => c.quoted("value").map(str::to_string),
            Op::ReqWs => c.req_ws("expected white space").map(|()| String::new()),
            Op::Expect => c.expect("abc", "expected abc").map(|()| String::new()),
        };
        match r {
            Ok(v) => Out::Ok(v, c.i),
            Err(Stop::More) => Out::More,
            Err(Stop::Fail(e, at)) => Out::Fail(e.kind(), e.rule(), at),
        }
    }

    /// The cursor's primitives: the value, or "more text" while the input may go on, or the
    /// error (kind, rule, offset) once it cannot.
    #[test]
    fn primitives_results_and_errors() {
        use ErrorKind::*;
        use Op::*;
        let ok = |v: &str, i: usize| Out::Ok(v.to_string(), i);
        let rows: &[(&str, bool, Op, Out)] = &[
            ("abc>", true, Name, ok("abc", 3)),
            ("a:b c", true, Name, ok("a:b", 3)),
            ("é1 ", true, Name, ok("é1", 3)),
            ("abc", true, Name, ok("abc", 3)),
            // The name may go on in text not yet read.
            ("abc", false, Name, Out::More),
            ("1ab", true, Name, Out::Fail(Syntax, R, 0)),
            ("", true, Name, Out::Fail(Syntax, R, 0)),
            ("", false, Name, Out::More),
            (
                "abcdef ",
                true,
                Name,
                Out::Fail(Limit, "Limits::max_name_len", 0),
            ),
            ("'x y'z", true, Quoted, ok("x y", 5)),
            ("\"it's\"", true, Quoted, ok("it's", 6)),
            ("'open", true, Quoted, Out::Fail(Syntax, R, 0)),
            ("'open", false, Quoted, Out::More),
            ("x'", true, Quoted, Out::Fail(Syntax, R, 0)),
            (" \t\r\nx", true, ReqWs, ok("", 4)),
            ("x", true, ReqWs, Out::Fail(Syntax, R, 0)),
            ("", false, ReqWs, Out::More),
            ("abcd", true, Expect, ok("", 3)),
            ("ab", false, Expect, Out::More),
            ("ab", true, Expect, Out::Fail(Syntax, R, 0)),
            ("abd", false, Expect, Out::Fail(Syntax, R, 0)),
        ];
        for (text, eof, op, want) in rows {
            assert_eq!(
                &run(text, *eof, *op),
                want,
                "{op:?} on {text:?} (eof {eof})"
            );
        }
    }

    #[test]
    fn excerpts_for_messages() {
        assert_eq!(show_next("x"), "'x'");
        assert_eq!(show_next(""), "the end of the input");
        assert_eq!(show_markup("<!FOO bar>"), "'<!FOO'");
        assert_eq!(show_markup("<!ABCDEFGHIJKLMNOP"), "'<!ABCDEFGHIJ'");
    }
}
