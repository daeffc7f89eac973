//! Input frames: one per entity being read (the document, the external subset, an external
//! or internal entity). The reader keeps them on an explicit stack, so entity nesting never
//! becomes recursion.
//!
//! A frame holds a window of decoded, checked, line-end-normalized text (see `encoding`).
//! Consumed text is dropped from the front when more is read, so memory is bounded by the
//! largest token, not by the entity's size. Line and column are not tracked per byte: the
//! newlines of dropped text are counted once, and a position is worked out only when an
//! error needs one.

use crate::encoding::{Decoder, InUse};
use crate::{Error, Position};
use std::path::PathBuf;
use std::sync::Arc;

/// What a frame is reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameKind {
    Document,
    ExternalSubset,
    /// A general entity referenced in content.
    General,
    /// A parameter entity referenced between declarations (its text must hold whole ones).
    ParamDeclSep,
    /// A parameter entity referenced inside a declaration (padded with spaces).
    ParamInDecl,
    /// A parameter entity referenced inside an entity value literal.
    ParamInLiteral,
}

/// A waiting token at most this long is parsed again as soon as a byte that may end it is
/// fed, so that a stream that stops right after a short token (an XMPP stanza) gets its
/// event; a longer one waits for the window to double (or the end). The cost of a false hit
/// is bounded by this.
const LIVE_TOKEN: usize = 4096;

/// What a step that stopped for more input waits for (see `Frame::regrow`).
#[derive(Clone, Copy, Debug)]
struct Regrow {
    /// The parse position when it stopped (an offset in the entity).
    at: u64,
    /// The window end it wants.
    end: u64,
    /// The token is short: a byte that may end it is enough (see `LIVE_TOKEN`).
    live: bool,
}

pub(crate) struct Frame {
    pub text: String,
    pub pos: usize,
    dec: Option<Decoder>,
    /// The charset the decoder chose, until the declaration has been checked against it.
    in_use: Option<InUse>,
    pub eof: bool,
    pub kind: FrameKind,
    /// The entity's name (`None` for the document and the external subset).
    pub name: Option<Arc<str>>,
    /// Read from outside the document (an external entity or the external subset).
    pub external: bool,
    /// Its text is input for the amplification limit: true for the document and the first
    /// read of an external file; false for a file read again, whose bytes were counted as
    /// expansion when it was opened (issue 10, class 7), and for internal replacement text.
    pub counts_as_input: bool,
    /// Folder that relative system identifiers declared in this entity resolve against.
    pub base_dir: Option<PathBuf>,
    /// Element depth when a general entity was pushed: it must be the same when it ends.
    pub depth_at_start: usize,
    /// Open conditional sections when the frame was pushed.
    pub cond_at_start: usize,
    /// A parameter entity referenced in a declaration still owes its trailing space.
    pub pad_end: bool,
    /// Bytes charged to the memory budget for this frame's text (an entity's replacement
    /// text, copied while it is read), refunded when the frame is popped.
    pub charged: usize,
    /// An input error found while reading ahead, held back until the text before it has
    /// been parsed, so that the first error in the document is the one reported whatever
    /// the chunk sizes.
    deferred: Option<Error>,
    /// For errors: a label of the entity and where its text came from.
    pub label: Option<Arc<str>>,
    /// A step stopped for more input of a fed document while it wanted the window to reach
    /// an end: (the parse position then, that end), as offsets in the entity. The step is
    /// not run again before the window gets there (or the input ends): re-parsing a long
    /// token after every small feed would be quadratic (Expat's CVE-2023-52425).
    regrow: Option<Regrow>,
    base_offset: u64,
    base_line: u64,
    /// Characters between the last newline before `text\[0\]` and `text\[0\]`.
    base_column: u64,
}

impl Frame {
    /// A frame over a streaming decoder.
    pub fn streaming(mut dec: Decoder, kind: FrameKind) -> Self {
        let mut f = Frame::fixed(String::new(), kind);
        f.in_use = dec.take_in_use();
        f.dec = Some(dec);
        f.eof = false;
        f.counts_as_input = true;
        f
    }

    /// A frame over text that is all here already (an internal entity's replacement text).
    pub fn fixed(text: String, kind: FrameKind) -> Self {
        Frame {
            text,
            pos: 0,
            dec: None,
            in_use: None,
            eof: true,
            kind,
            name: None,
            external: false,
            counts_as_input: false,
            base_dir: None,
            depth_at_start: 0,
            cond_at_start: 0,
            pad_end: false,
            charged: 0,
            deferred: None,
            label: None,
            regrow: None,
            base_offset: 0,
            base_line: 0,
            base_column: 0,
        }
    }

    /// The unread text.
    #[inline]
    pub fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// Bytes available from `pos`.
    #[inline]
    pub fn avail(&self) -> usize {
        self.text.len() - self.pos
    }

    /// Whether everything has been read and consumed.
    #[inline]
    pub fn exhausted(&self) -> bool {
        self.eof && self.pos >= self.text.len()
    }

    /// Checks the encoding the entity's declaration names (`None`: no declaration, or none
    /// named) against the charset its bytes are being decoded in (XML 1.0 §4.3.3). Called
    /// once, right after the declaration is parsed; the error has no position yet.
    pub fn confirm_encoding(&mut self, declared: Option<&str>) -> Result<(), Error> {
        match self.in_use.take() {
            Some(mut u) => u.confirm(declared),
            None => Ok(()),
        }
    }

    /// Input this frame has consumed so far, for the amplification limit: the bytes of its
    /// decoded text before the parse position (0 when it is not input). What the parser has
    /// consumed, not what the decoder has read ahead: read-ahead depends on how the source
    /// delivers its bytes (one read of everything, or one byte at a time), and the verdict
    /// of the limit must not. It also survives the decoder, which is dropped at the end of
    /// the source (the count it kept went with it: the bug this replaces).
    pub fn consumed(&self) -> u64 {
        if !self.counts_as_input {
            return 0;
        }
        self.base_offset + self.pos as u64
    }

    /// More bytes of a fed document, decoded onto the end of the window at once (see
    /// [`Decoder::feed`]); an error found there waits in the decoder until the window's
    /// text before it has been parsed (`more`).
    pub fn feed(&mut self, bytes: &[u8]) {
        if let Some(dec) = self.dec.as_mut() {
            dec.feed(bytes, &mut self.text);
        }
        // A short token that waits may be complete now: every markup token ends with '>',
        // a reference with ';' (byte 3E or 3B in every charset read; a false hit costs
        // one early re-parse of at most `LIVE_TOKEN` bytes).
        if let Some(r) = &self.regrow {
            if r.live && memchr::memchr2(b'>', b';', bytes).is_some() {
                self.regrow = None;
            }
        }
    }

    /// The fed document has ended.
    pub fn finish(&mut self) {
        if let Some(dec) = self.dec.as_mut() {
            dec.finish();
        }
    }

    /// Reads more text. Returns `false` at the end of the entity, and the internal "need
    /// more input" error (`Error::need_more`) when a fed document has nothing more
    /// yet: then nothing has changed but the window, and the caller's step runs again
    /// after the next feed.
    pub fn more(&mut self) -> Result<bool, Error> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        if self.eof {
            return Ok(false);
        }
        // Drop consumed text once it is at least half the window, so copying stays linear.
        if self.pos > 0 && self.pos >= self.text.len() / 2 {
            self.discard_consumed();
        }
        let Some(dec) = self.dec.as_mut() else {
            self.eof = true;
            return Ok(false);
        };
        let at = self.text.len();
        match dec.fill(&mut self.text) {
            Ok(true) => Ok(true),
            Ok(false) => {
                self.eof = true;
                self.dec = None;
                Ok(false)
            }
            Err(e) if e.is_need_more() => Err(e),
            Err(e) => {
                self.eof = true;
                self.dec = None;
                let p = self.position_at(self.text.len().max(at));
                Err(e.at(p))
            }
        }
    }

    /// Reads until at least twice the currently available text is here (or the end), so
    /// that re-scanning an incomplete token stays linear in its length in total.
    pub fn grow(&mut self, max_token: usize) -> Result<bool, Error> {
        let have = self.avail();
        if have > max_token {
            return Err(Error::token_too_long(max_token).at(self.position_at(self.pos)));
        }
        // Never read far past the limit just to find that the token is too long.
        let target = (have * 2).max(have + 1).min(max_token.saturating_add(1));
        while self.avail() < target {
            match self.more() {
                Ok(true) => {}
                Ok(false) => return Ok(self.avail() > have),
                // The step waits until the window has grown as far as a read would have
                // grown it, so that the token is parsed again as often as when read.
                Err(e) if e.is_need_more() => return Err(self.wait_for(target, e)),
                Err(e) => return self.defer_if_progress(e, have),
            }
        }
        Ok(true)
    }

    /// Makes at least `n` bytes available if the entity has them. Returns whether it does.
    pub fn ensure(&mut self, n: usize) -> Result<bool, Error> {
        while self.avail() < n {
            match self.more() {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                // Whether the entity has `n` bytes is not known yet: the step waits.
                Err(e) if e.is_need_more() => return Err(self.wait_for(n, e)),
                // Whether or not new text came first, the caller looks at what is here
                // before the error is reported: otherwise a read that happened to end just
                // before the bad byte would decide whether an earlier error in that text
                // (or the one here) is the one reported.
                Err(e) => {
                    self.deferred = Some(e);
                    self.eof = false;
                    return Ok(self.avail() >= n);
                }
            }
        }
        Ok(true)
    }

    /// Records that the step waits for `n` bytes from the parse position; returns `e`.
    fn wait_for(&mut self, n: usize, e: Error) -> Error {
        let at = self.base_offset + self.pos as u64;
        self.regrow = Some(Regrow {
            at,
            end: at.saturating_add(n as u64),
            live: self.avail() <= LIVE_TOKEN,
        });
        e
    }

    /// Before a step that waited for more input runs again: reads what was fed until the
    /// window holds what the step wanted, or the input ends (or fails, which is held back
    /// for the step to find, as `ensure` does). "Need more input" while short of it.
    pub fn ready_to_resume(&mut self) -> Result<(), Error> {
        let Some(Regrow { at, end, .. }) = self.regrow else {
            return Ok(());
        };
        // Only the step that waited, at the same place, waits for that end.
        if self.base_offset + self.pos as u64 == at {
            while self.base_offset + (self.text.len() as u64) < end {
                match self.more() {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) if e.is_need_more() => return Err(e),
                    Err(e) => {
                        self.deferred = Some(e);
                        self.eof = false;
                        break;
                    }
                }
            }
        }
        self.regrow = None;
        Ok(())
    }

    /// An error while reading ahead: if new text arrived first, let the caller parse it and
    /// report the error on the next read.
    fn defer_if_progress(&mut self, e: Error, had: usize) -> Result<bool, Error> {
        if self.avail() > had {
            self.deferred = Some(e);
            // The text stops here: nothing more comes after the error.
            self.eof = false;
            return Ok(true);
        }
        Err(e)
    }

    fn discard_consumed(&mut self) {
        let gone = &self.text[..self.pos];
        let newlines = memchr::memchr_iter(b'\n', gone.as_bytes()).count() as u64;
        if let Some(last) = memchr::memrchr(b'\n', gone.as_bytes()) {
            self.base_column = gone[last + 1..].chars().count() as u64;
        } else {
            self.base_column += gone.chars().count() as u64;
        }
        self.base_line += newlines;
        self.base_offset += self.pos as u64;
        self.text.drain(..self.pos);
        self.pos = 0;
    }

    /// The position of byte `at` of the window.
    pub fn position_at(&self, at: usize) -> Position {
        let at = at.min(self.text.len());
        let before = self.text.get(..at).unwrap_or("");
        let newlines = memchr::memchr_iter(b'\n', before.as_bytes()).count() as u64;
        let column = match memchr::memrchr(b'\n', before.as_bytes()) {
            Some(i) => before[i + 1..].chars().count() as u64,
            None => self.base_column + before.chars().count() as u64,
        };
        Position {
            offset: self.base_offset + at as u64,
            line: self.base_line + newlines + 1,
            column: column + 1,
            entity: self.label.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rows::{first_error, Expect};
    use crate::{ErrorKind, Options};

    /// Positions are worked out only when an error needs one: line and column (in
    /// characters) of a byte offset in the window.
    #[test]
    fn positions_in_a_window() {
        let rows: &[(&str, usize, (u64, u64, u64))] = &[
            ("abc", 0, (0, 1, 1)),
            ("abc", 2, (2, 1, 3)),
            ("abc", 3, (3, 1, 4)),
            ("abc", 99, (3, 1, 4)),
            ("a\nb", 2, (2, 2, 1)),
            ("a\n\n\nb", 4, (4, 4, 1)),
            ("ab\ncd", 4, (4, 2, 2)),
            ("é", 2, (2, 1, 2)),
            ("éé\né", 5, (5, 2, 1)),
            ("éé\néx", 7, (7, 2, 2)),
            ("日本語", 6, (6, 1, 3)),
            ("\u{10000}x", 4, (4, 1, 2)),
            ("\n", 1, (1, 2, 1)),
            ("\n\n", 1, (1, 2, 1)),
            ("x\ny\nz", 4, (4, 3, 1)),
        ];
        for &(text, at, (offset, line, column)) in rows {
            let p = Frame::fixed(text.to_string(), FrameKind::Document).position_at(at);
            assert_eq!(
                (p.offset, p.line, p.column),
                (offset, line, column),
                "{text:?} at {at}"
            );
        }
    }

    fn e(kind: ErrorKind, rule: &'static str, line: u64, column: u64) -> Option<Expect> {
        Some((kind, rule, line, column))
    }

    /// What the input layer refuses (bytes that are not the declared encoding, characters
    /// XML does not allow), at the character at fault, after line ends are normalized.
    #[test]
    fn input_errors_and_their_positions() {
        use ErrorKind::*;
        const CHAR: &str = "XML 1.0 [2] Char";
        const ENC: &str = "XML 1.0 §4.3.3";
        let rows: &[(&[u8], Option<Expect>)] = &[
            (b"<r>\n\xc3\xa9</r>", None),
            (b"\xef\xbb\xbf<r/>", None),
            (b"<r>\n\xff</r>", e(Encoding, ENC, 2, 1)),
            (b"<r>\n\xc3</r>", e(Encoding, ENC, 2, 1)),
            (b"<r>\xed\xa0\x80</r>", e(Encoding, ENC, 1, 4)),
            (b"<r>\n\xf4\x90\x80\x80</r>", e(Encoding, ENC, 2, 1)),
            (b"<r>ab\x01</r>", e(InvalidChar, CHAR, 1, 6)),
            (b"<r>\r\n\r\nx\x00</r>", e(InvalidChar, CHAR, 3, 2)),
            (b"<r>\rab\x0b</r>", e(InvalidChar, CHAR, 2, 3)),
            (
                b"<r>\xc3\xa9\xc3\xa9\xef\xbf\xbe</r>",
                e(InvalidChar, CHAR, 1, 6),
            ),
            (b"\xef\xbb\xbf<r>\n\n\n\x02</r>", e(InvalidChar, CHAR, 4, 1)),
            (
                b"<r>\n\x7f\xc2\x80\xc2\x85\x01</r>",
                e(InvalidChar, CHAR, 2, 4),
            ),
            (
                b"\xfe\xff\x00<\x00r\x00>\x00\x01",
                e(InvalidChar, CHAR, 1, 4),
            ),
            (b"<r a='x\x09y'>\x0c</r>", e(InvalidChar, CHAR, 1, 12)),
            (
                b"<?xml version='1.0' encoding='UTF-16'?><r/>",
                e(Encoding, ENC, 1, 30),
            ),
            (
                b"<?xml version='1.0' encoding='bogus'?><r/>",
                e(Encoding, ENC, 1, 30),
            ),
        ];
        for &(doc, want) in rows {
            let got = first_error(doc, Options::default());
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(doc));
        }
    }
}
