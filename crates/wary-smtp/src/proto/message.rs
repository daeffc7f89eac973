//! The message on the wire (RFC 5321 §2.3.8, §4.1.1.4, §4.5.2, §4.5.3.1.6): every bare CR and
//! bare LF becomes CRLF, NUL and lines over 998 octets are refused, and the DATA form is
//! dot-stuffed and ends with exactly one CRLF before `.CRLF`. Because no bare CR or LF survives
//! normalization and every line that starts with `.` is stuffed, no input can produce an SMTP
//! smuggling sequence (`<LF>.<LF>`, `<CR>.<CR>`, `<LF>.<CRLF>`, ...): the only `CRLF.CRLF` in
//! the DATA stream is the terminator wary writes.

use std::fmt;

/// Longest line of a message, CRLF excluded (RFC 5321 §4.5.3.1.6).
pub const MAX_LINE_OCTETS: usize = 998;

/// Why a message cannot be sent as given. The input is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageError {
    /// The message holds a NUL octet (RFC 5321 §4.5.2 forbids it in SMTP data).
    Nul {
        /// Line number, 1-based.
        line: usize,
        /// Octet offset in the input.
        offset: usize,
    },
    /// A line is longer than 998 octets (RFC 5321 §4.5.3.1.6).
    LineTooLong {
        /// Line number, 1-based.
        line: usize,
        /// The line's length without its line ending.
        length: usize,
    },
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageError::Nul { line, offset } => write!(
                f,
                "the message has a NUL octet on line {line} (offset {offset}); SMTP cannot carry it (RFC 5321 §4.5.2): encode the content (base64 or quoted-printable)"
            ),
            MessageError::LineTooLong { line, length } => write!(
                f,
                "line {line} of the message is {length} octets long, over SMTP's 998 (RFC 5321 §4.5.3.1.6): encode the content (quoted-printable) or wrap it"
            ),
        }
    }
}

impl std::error::Error for MessageError {}

/// A normalized message: CRLF line endings only, ending with CRLF unless empty, no NUL, no
/// line over 998 octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    data: Vec<u8>,
    eight_bit: bool,
}

impl Message {
    /// Normalizes and checks `raw` (RFC 5322 text as read from a file or stdin).
    pub fn new(raw: &[u8]) -> Result<Message, MessageError> {
        let mut data = Vec::with_capacity(raw.len() + raw.len() / 32 + 2);
        let (mut line, mut line_len) = (1usize, 0usize);
        let mut i = 0;
        while i < raw.len() {
            match raw[i] {
                b'\r' | b'\n' => {
                    // CRLF stays CRLF; a bare CR or a bare LF also ends the line.
                    if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    data.extend_from_slice(b"\r\n");
                    line += 1;
                    line_len = 0;
                }
                0 => return Err(MessageError::Nul { line, offset: i }),
                b => {
                    line_len += 1;
                    if line_len > MAX_LINE_OCTETS {
                        let length = line_len
                            + raw[i + 1..]
                                .iter()
                                .take_while(|&&c| c != b'\r' && c != b'\n')
                                .count();
                        return Err(MessageError::LineTooLong { line, length });
                    }
                    data.push(b);
                }
            }
            i += 1;
        }
        if line_len > 0 {
            data.extend_from_slice(b"\r\n");
        }
        let eight_bit = !data.is_ascii();
        Ok(Message { data, eight_bit })
    }
    /// The normalized octets (the BDAT form, RFC 3030 §2: no dot-stuffing).
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }
    /// Length of the normalized message, the value sent as `SIZE=` (RFC 1870 §3).
    pub fn len(&self) -> usize {
        self.data.len()
    }
    /// True for an empty message.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// True when some octet is over 127, so the message needs 8BITMIME (RFC 6152).
    pub fn is_8bit(&self) -> bool {
        self.eight_bit
    }
    /// Appends the DATA form to `out`: dot-stuffed (RFC 5321 §4.5.2) and terminated by
    /// `.CRLF` right after the last line's CRLF.
    pub fn encode_data(&self, out: &mut Vec<u8>) {
        out.reserve(self.data.len() + self.data.len() / 64 + 3);
        let mut at_line_start = true;
        for &b in &self.data {
            if at_line_start && b == b'.' {
                out.push(b'.');
            }
            out.push(b);
            at_line_start = b == b'\n';
        }
        out.extend_from_slice(b".\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Message::new(raw).unwrap().encode_data(&mut out);
        out
    }

    #[test]
    fn line_endings_become_crlf() {
        assert_eq!(
            Message::new(b"a\nb\rc\r\nd").unwrap().as_bytes(),
            b"a\r\nb\r\nc\r\nd\r\n"
        );
        assert_eq!(Message::new(b"a\r\r\n").unwrap().as_bytes(), b"a\r\n\r\n");
        assert_eq!(Message::new(b"a\n\r").unwrap().as_bytes(), b"a\r\n\r\n");
        assert_eq!(Message::new(b"").unwrap().as_bytes(), b"");
    }

    #[test]
    fn dot_stuffing_and_terminator() {
        assert_eq!(data(b".a\n..b\nc.\n."), b"..a\r\n...b\r\nc.\r\n..\r\n.\r\n");
        assert_eq!(data(b"x\r\n"), b"x\r\n.\r\n");
        assert_eq!(data(b"x"), b"x\r\n.\r\n");
        assert_eq!(data(b"x\r\n\r\n"), b"x\r\n\r\n.\r\n");
        assert_eq!(data(b""), b".\r\n");
    }

    #[test]
    fn no_smuggling_sequence_survives() {
        // Each of these ends the data early on some server (SMTP smuggling, 2023).
        for attack in [
            &b"a\n.\nMAIL FROM:<x@y>\n"[..],
            b"a\r.\rRCPT",
            b"a\n.\r\nDATA",
            b"a\r\n.\nX",
            b"a\r\n.\r\nQUIT\r\n",
            b"a\r\n\r.\r\n",
        ] {
            let out = data(attack);
            let body = &out[..out.len() - 3];
            assert!(!body.windows(5).any(|w| w == b"\r\n.\r\n"), "{attack:?}");
            assert!(
                !out.windows(3).any(|w| w == b"\n.\n" || w == b"\r.\r"),
                "{attack:?}"
            );
            // Only CRLF pairs: no bare CR or LF anywhere.
            for (i, &b) in out.iter().enumerate() {
                if b == b'\r' {
                    assert_eq!(out.get(i + 1), Some(&b'\n'));
                }
                if b == b'\n' {
                    assert_eq!(out[i - 1], b'\r');
                }
            }
        }
    }

    #[test]
    fn refusals() {
        assert_eq!(
            Message::new(b"ab\nc\0d"),
            Err(MessageError::Nul { line: 2, offset: 4 })
        );
        let long = [b"ok\n".as_slice(), &[b'x'; 999], b"\n"].concat();
        assert_eq!(
            Message::new(&long),
            Err(MessageError::LineTooLong {
                line: 2,
                length: 999
            })
        );
        let fits = [&[b'x'; 998][..], b"\r\n"].concat();
        assert!(Message::new(&fits).is_ok());
    }

    #[test]
    fn eight_bit() {
        assert!(!Message::new(b"plain").unwrap().is_8bit());
        assert!(Message::new("caf\u{e9}".as_bytes()).unwrap().is_8bit());
    }
}
