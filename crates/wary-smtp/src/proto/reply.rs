//! SMTP replies: the incremental, bounded reply parser (RFC 5321 §4.2) and the `Reply` value.
//!
//! The parser never errs on partial input: it answers "need more" until a whole reply (every
//! continuation line and the final line) is buffered. Everything malformed is a protocol error
//! that says which line and which octet broke which rule; every buffer has a cap.

use std::fmt;

/// Longest reply line accepted, CRLF included. RFC 5321 §4.5.3.1.5 allows 512 octets; real
/// servers exceed it in EHLO and greeting text, so the default is twice that.
pub const MAX_REPLY_LINE: usize = 1024;
/// Most lines accepted in one multi-line reply (an EHLO reply lists one extension per line).
pub const MAX_REPLY_LINES: usize = 128;

/// Caps on what the reply parser buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplyLimits {
    /// Longest line, CRLF included ([`MAX_REPLY_LINE`] by default).
    pub max_line: usize,
    /// Most lines per reply ([`MAX_REPLY_LINES`] by default).
    pub max_lines: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            max_line: MAX_REPLY_LINE,
            max_lines: MAX_REPLY_LINES,
        }
    }
}

impl ReplyLimits {
    /// With the longest line accepted, CRLF included.
    pub fn with_max_line(mut self, octets: usize) -> ReplyLimits {
        self.max_line = octets;
        self
    }
    /// With the most lines accepted per reply.
    pub fn with_max_lines(mut self, lines: usize) -> ReplyLimits {
        self.max_lines = lines;
        self
    }
}

/// A three-digit reply code (RFC 5321 §4.2: first digit 2–5, second 0–5, third 0–9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// The code as a number, 200–559.
    pub fn value(self) -> u16 {
        self.0
    }
    /// The first digit: 2 positive, 3 intermediate, 4 transient failure, 5 permanent failure.
    pub fn class(self) -> u8 {
        (self.0 / 100) as u8
    }
    /// 2yz: the command was accepted.
    pub fn is_positive(self) -> bool {
        self.class() == 2
    }
    /// 3yz: the server waits for more (354 after DATA, 334 in AUTH).
    pub fn is_intermediate(self) -> bool {
        self.class() == 3
    }
    /// 4yz: a transient failure; the same command may succeed later.
    pub fn is_transient(self) -> bool {
        self.class() == 4
    }
    /// 5yz: a permanent failure.
    pub fn is_permanent(self) -> bool {
        self.class() == 5
    }
    /// Builds a code from a number, if it is a valid SMTP reply code.
    pub fn new(value: u16) -> Option<ReplyCode> {
        let (a, b) = (value / 100, (value / 10) % 10);
        ((2..=5).contains(&a) && b <= 5).then_some(ReplyCode(value))
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced mail system status code `class.subject.detail` (RFC 3463 §2, RFC 2034).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedStatus {
    /// 2 success, 4 persistent transient failure, 5 permanent failure.
    pub class: u8,
    /// The subject (0–999).
    pub subject: u16,
    /// The detail (0–999).
    pub detail: u16,
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One whole reply: a code, the text of each line, and the enhanced status code if the first
/// line carried one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    code: ReplyCode,
    enhanced: Option<EnhancedStatus>,
    lines: Vec<String>,
}

impl Reply {
    /// Builds a reply (used by tests and by callers that synthesise reports).
    pub fn new(code: ReplyCode, lines: Vec<String>) -> Reply {
        let enhanced = lines
            .first()
            .and_then(|l| parse_enhanced(l, code).map(|(e, _)| e));
        Reply {
            code,
            enhanced,
            lines,
        }
    }
    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }
    /// The RFC 3463 enhanced status code, when the first line starts with one whose class
    /// matches the reply code's.
    pub fn enhanced(&self) -> Option<EnhancedStatus> {
        self.enhanced
    }
    /// The text of every line, without the code, separator or CRLF (possibly empty).
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
    /// The text of every line, with the enhanced status code removed, joined by a space.
    pub fn text(&self) -> String {
        let parts: Vec<&str> = self
            .lines
            .iter()
            .map(|l| match parse_enhanced(l, self.code) {
                Some((_, rest)) => rest,
                None => l.as_str(),
            })
            .filter(|s| !s.is_empty())
            .collect();
        parts.join(" ")
    }
}

impl fmt::Display for Reply {
    /// `550 5.1.1 no such user` (all lines joined), as printed in error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(e) = self.enhanced {
            write!(f, " {e}")?;
        }
        let text = self.text();
        if !text.is_empty() {
            // Printable only: the text came from the network and goes to a terminal.
            let clean: String = text
                .chars()
                .map(|c| if c.is_control() { '?' } else { c })
                .collect();
            write!(f, " {clean}")?;
        }
        Ok(())
    }
}

/// What is wrong with a reply the server sent. The server is at fault in every case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyError {
    /// A line does not start with three digits forming a valid code (RFC 5321 §4.2).
    BadCode {
        /// Line number within the reply (1-based).
        line: usize,
    },
    /// The fourth octet is neither SP, `-` nor the CRLF that ends a text-less line.
    BadSeparator {
        /// Line number within the reply (1-based).
        line: usize,
    },
    /// A continuation line carries a different code than the first (RFC 5321 §4.2.1).
    CodeChanged {
        /// Line number within the reply (1-based).
        line: usize,
        /// The code of the first line.
        first: u16,
        /// The code of this line.
        this: u16,
    },
    /// A line ends with a bare LF, or has a bare CR, NUL or other control octet in its text.
    BadOctet {
        /// Line number within the reply (1-based).
        line: usize,
        /// Octet offset within the line.
        column: usize,
        /// The octet.
        octet: u8,
    },
    /// A line is longer than the configured cap.
    LineTooLong {
        /// Line number within the reply (1-based).
        line: usize,
        /// The cap, CRLF included.
        limit: usize,
    },
    /// The reply has more lines than the configured cap.
    TooManyLines {
        /// The cap.
        limit: usize,
    },
}

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplyError::BadCode { line } => write!(
                f,
                "reply line {line} does not start with a valid 3-digit code (RFC 5321 §4.2)"
            ),
            ReplyError::BadSeparator { line } => write!(
                f,
                "reply line {line}: the code is followed by neither SP, '-' nor CRLF (RFC 5321 §4.2)"
            ),
            ReplyError::CodeChanged { line, first, this } => write!(
                f,
                "reply line {line} has code {this} but the reply started with {first} (RFC 5321 §4.2.1)"
            ),
            ReplyError::BadOctet { line, column, octet } => write!(
                f,
                "reply line {line}, octet {column}: forbidden octet 0x{octet:02x} (bare CR/LF or control; RFC 5321 §2.3.8)"
            ),
            ReplyError::LineTooLong { line, limit } => {
                write!(f, "reply line {line} is longer than {limit} octets")
            }
            ReplyError::TooManyLines { limit } => {
                write!(f, "reply has more than {limit} lines")
            }
        }
    }
}

impl std::error::Error for ReplyError {}

/// Parses one reply from the front of `buf`.
///
/// Returns `Ok(None)` when `buf` holds only part of a reply (need more), or the reply and the
/// number of octets it took. Stateless, so a driver may call it again on a longer buffer; the
/// caps bound the work to `max_line * max_lines` octets per call.
pub fn parse_reply(buf: &[u8], limits: ReplyLimits) -> Result<Option<(Reply, usize)>, ReplyError> {
    let mut pos = 0;
    let mut code: Option<ReplyCode> = None;
    let mut lines = Vec::new();
    loop {
        let line_no = lines.len() + 1;
        if line_no > limits.max_lines {
            return Err(ReplyError::TooManyLines {
                limit: limits.max_lines,
            });
        }
        let rest = &buf[pos..];
        // Look for LF only within the cap: an endless line is an error as soon as the cap is
        // crossed, not when (if ever) it ends.
        let window = &rest[..rest.len().min(limits.max_line)];
        let Some(lf) = window.iter().position(|&b| b == b'\n') else {
            if rest.len() >= limits.max_line {
                return Err(ReplyError::LineTooLong {
                    line: line_no,
                    limit: limits.max_line,
                });
            }
            // Check what is there already, so garbage is reported without waiting for a LF.
            check_partial_line(rest, line_no)?;
            return Ok(None);
        };
        let raw = &rest[..lf + 1];
        let (this_code, last, text) = parse_line(raw, line_no)?;
        match code {
            None => code = Some(this_code),
            Some(first) if first != this_code => {
                return Err(ReplyError::CodeChanged {
                    line: line_no,
                    first: first.value(),
                    this: this_code.value(),
                })
            }
            Some(_) => {}
        }
        lines.push(text);
        pos += raw.len();
        if last {
            // NOTE(unwrap): `code` was set on the first iteration above.
            let code = code.unwrap_or(this_code);
            return Ok(Some((Reply::new(code, lines), pos)));
        }
    }
}

/// Parses one complete line (ending with LF): (code, is last line, text).
fn parse_line(raw: &[u8], line: usize) -> Result<(ReplyCode, bool, String), ReplyError> {
    let n = raw.len();
    // A line must end with CRLF; a bare LF terminator is malformed (RFC 5321 §2.3.8).
    if n < 2 || raw[n - 2] != b'\r' {
        return Err(ReplyError::BadOctet {
            line,
            column: n - 1,
            octet: b'\n',
        });
    }
    let body = &raw[..n - 2];
    let code = parse_code(body, line)?;
    let (last, text) = match body.get(3) {
        None => (true, &body[3..]),
        Some(b' ') => (true, &body[4..]),
        Some(b'-') => (false, &body[4..]),
        Some(_) => return Err(ReplyError::BadSeparator { line }),
    };
    if let Some(i) = text.iter().position(|&b| is_forbidden(b)) {
        return Err(ReplyError::BadOctet {
            line,
            column: i + 4,
            octet: text[i],
        });
    }
    Ok((code, last, String::from_utf8_lossy(text).into_owned()))
}

fn parse_code(body: &[u8], line: usize) -> Result<ReplyCode, ReplyError> {
    if body.len() < 3 || !body[..3].iter().all(u8::is_ascii_digit) {
        return Err(ReplyError::BadCode { line });
    }
    let v = body[..3]
        .iter()
        .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    ReplyCode::new(v).ok_or(ReplyError::BadCode { line })
}

/// Reports errors visible in an unterminated line: a bad code or a forbidden octet.
fn check_partial_line(rest: &[u8], line: usize) -> Result<(), ReplyError> {
    let digits = rest.len().min(3);
    if !rest[..digits].iter().all(u8::is_ascii_digit) {
        return Err(ReplyError::BadCode { line });
    }
    if rest.len() >= 3 {
        parse_code(rest, line)?;
    }
    if let Some(&sep) = rest.get(3) {
        if !matches!(sep, b' ' | b'-' | b'\r') {
            return Err(ReplyError::BadSeparator { line });
        }
    }
    // A CR may be the first half of the final CRLF, so only the octets before the last one
    // are judged.
    let judged = &rest[..rest.len().saturating_sub(1)];
    if let Some(i) = judged.iter().skip(4).position(|&b| is_forbidden(b)) {
        return Err(ReplyError::BadOctet {
            line,
            column: i + 4,
            octet: judged[i + 4],
        });
    }
    Ok(())
}

/// Octets that may not appear in reply text: controls other than HT (RFC 5321 §4.2
/// textstring), which includes bare CR, LF and NUL. Octets ≥ 0x80 are allowed (SMTPUTF8
/// servers send UTF-8 text; RFC 6531 §3.7.4).
fn is_forbidden(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// Parses `class.subject.detail` at the start of `line` when its class matches `code`'s
/// (RFC 3463 §2: class 2, 4 or 5; subject and detail 1–3 digits). Returns it and the rest.
fn parse_enhanced(line: &str, code: ReplyCode) -> Option<(EnhancedStatus, &str)> {
    let (token, rest) = match line.find(' ') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, ""),
    };
    let mut parts = token.split('.');
    let class: u8 = num(parts.next()?, 1)?.try_into().ok()?;
    let subject = num(parts.next()?, 3)?;
    let detail = num(parts.next()?, 3)?;
    if parts.next().is_some() || !matches!(class, 2 | 4 | 5) || class != code.class() {
        return None;
    }
    Some((
        EnhancedStatus {
            class,
            subject,
            detail,
        },
        rest,
    ))
}

fn num(s: &str, max_digits: usize) -> Option<u16> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<Option<(Reply, usize)>, ReplyError> {
        parse_reply(s, ReplyLimits::default())
    }

    macro_rules! ok_cases {
        ($($name:ident: $input:expr => $code:expr, $lines:expr, $used:expr;)*) => {$(
            #[test]
            fn $name() {
                let (reply, used) = parse($input).unwrap().expect("complete reply");
                assert_eq!(reply.code().value(), $code);
                let want: Vec<&str> = $lines;
                assert_eq!(reply.lines(), want.as_slice());
                assert_eq!(used, $used);
            }
        )*};
    }

    ok_cases! {
        single_line: b"250 OK\r\n" => 250, vec!["OK"], 8;
        text_optional: b"250\r\n" => 250, vec![""], 5;
        empty_text_after_space: b"354 \r\n" => 354, vec![""], 6;
        multi_line: b"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n" =>
            250, vec!["mx.example", "PIPELINING", "SIZE 100"], 46;
        multi_line_textless_last: b"250-a\r\n250\r\n" => 250, vec!["a", ""], 12;
        leaves_next_reply: b"250 a\r\n550 b\r\n" => 250, vec!["a"], 7;
        utf8_text: "220 m\u{e9}l\r\n".as_bytes() => 220, vec!["m\u{e9}l"], 10;
        tab_in_text: b"250 a\tb\r\n" => 250, vec!["a\tb"], 9;
    }

    macro_rules! err_cases {
        ($($name:ident: $input:expr => $err:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(parse($input), Err($err));
            }
        )*};
    }

    err_cases! {
        letters_for_code: b"2x0 OK\r\n" => ReplyError::BadCode { line: 1 };
        code_class_1: b"150 OK\r\n" => ReplyError::BadCode { line: 1 };
        code_second_digit_6: b"260 OK\r\n" => ReplyError::BadCode { line: 1 };
        short_code: b"25\r\n" => ReplyError::BadCode { line: 1 };
        bad_separator: b"250_OK\r\n" => ReplyError::BadSeparator { line: 1 };
        bare_lf: b"250 OK\n" => ReplyError::BadOctet { line: 1, column: 6, octet: b'\n' };
        bare_cr_in_text: b"250 O\rK\r\n" => ReplyError::BadOctet { line: 1, column: 5, octet: b'\r' };
        nul_in_text: b"250 O\0K\r\n" => ReplyError::BadOctet { line: 1, column: 5, octet: 0 };
        code_changes: b"250-a\r\n251 b\r\n" =>
            ReplyError::CodeChanged { line: 2, first: 250, this: 251 };
        garbage_partial: b"HTTP/1.1" => ReplyError::BadCode { line: 1 };
        bad_continuation_partial: b"250-a\r\nxyz" => ReplyError::BadCode { line: 2 };
    }

    #[test]
    fn partial_input_needs_more() {
        for input in [
            &b""[..],
            b"2",
            b"25",
            b"250",
            b"250 ",
            b"250 OK",
            b"250 OK\r",
            b"250-a\r\n",
            b"250-a\r\n250 b",
        ] {
            assert_eq!(parse(input), Ok(None), "{input:?}");
        }
    }

    #[test]
    fn endless_line_is_capped() {
        let limits = ReplyLimits {
            max_line: 16,
            max_lines: 4,
        };
        let line = [b"250 ".as_slice(), &[b'a'; 100]].concat();
        assert_eq!(
            parse_reply(&line, limits),
            Err(ReplyError::LineTooLong { line: 1, limit: 16 })
        );
        // Exactly at the cap (CRLF included) is fine.
        let fits = [b"250 ".as_slice(), &[b'a'; 10], b"\r\n"].concat();
        assert!(parse_reply(&fits, limits).unwrap().is_some());
    }

    #[test]
    fn too_many_lines_is_capped() {
        let limits = ReplyLimits {
            max_line: 64,
            max_lines: 3,
        };
        let input = b"250-a\r\n250-b\r\n250-c\r\n250 d\r\n";
        assert_eq!(
            parse_reply(input, limits),
            Err(ReplyError::TooManyLines { limit: 3 })
        );
        assert!(parse_reply(b"250-a\r\n250-b\r\n250 c\r\n", limits)
            .unwrap()
            .is_some());
    }

    #[test]
    fn enhanced_status_codes() {
        let (r, _) = parse(b"550 5.1.1 no such user\r\n").unwrap().unwrap();
        assert_eq!(
            r.enhanced(),
            Some(EnhancedStatus {
                class: 5,
                subject: 1,
                detail: 1
            })
        );
        assert_eq!(r.text(), "no such user");
        assert_eq!(r.to_string(), "550 5.1.1 no such user");
        // Class must match the reply code's class.
        let (r, _) = parse(b"250 5.1.1 odd\r\n").unwrap().unwrap();
        assert_eq!(r.enhanced(), None);
        // Not a status code at all.
        let (r, _) = parse(b"250 2.0 ok\r\n").unwrap().unwrap();
        assert_eq!(r.enhanced(), None);
        let (r, _) = parse(b"451 4.7.1000 x\r\n").unwrap().unwrap();
        assert_eq!(r.enhanced(), None);
        let (r, _) = parse(b"250-2.0.0 a\r\n250 2.0.0 b\r\n").unwrap().unwrap();
        assert_eq!(r.text(), "a b");
    }

    #[test]
    fn display_hides_controls() {
        let r = Reply::new(ReplyCode::new(250).unwrap(), vec!["a\tb".into()]);
        assert_eq!(r.to_string(), "250 a?b");
    }
}
