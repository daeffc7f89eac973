//! Reading envelope information from a message's header section, as `sendmail -t` and
//! `msmtp -t` do: recipients from To, Cc and Bcc (RFC 5322 §3.6.3) with Bcc removed from the
//! message, and the sender from From. The address-list parser handles display names, quoted
//! strings, comments, angle addresses, source routes and groups (RFC 5322 §3.4) without
//! recursion.
//!
//! The header section is read from the [`Message`], that is *after* the wire normalisation
//! (every bare CR or LF is already CRLF, NUL and over-long lines are refused), so the lines
//! seen here are exactly the lines the server and every recipient will see. Reading the raw
//! input instead lets a bare CR hide a `Bcc:` line from the parser that the encoder then puts
//! on the wire (issue 9, class 5). A header section that cannot be read without guessing (a
//! line that is neither a field nor a continuation, a blank continuation, a field name
//! outside RFC 5322 `ftext`, an address field that is not UTF-8) is refused, not repaired.

use crate::proto::{InvalidValue, Mailbox, Message, MessageError};
use std::fmt;

/// Why the header section cannot give recipients or a sender. The input is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// An address in a header field is not a valid mailbox.
    BadAddress {
        /// The field (`To`, `Cc`, `Bcc`, `From`).
        field: String,
        /// Why.
        error: InvalidValue,
    },
    /// Unbalanced quotes, comments or angle brackets.
    Unbalanced {
        /// The field.
        field: String,
    },
    /// A line of the header section (as it will be sent: after bare CR and LF became CRLF)
    /// is not a header field a reader can agree on (RFC 5322 §2.2, §3.6.8).
    Malformed {
        /// Line number in the message as sent, 1-based.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An address field holds octets that are not UTF-8 (RFC 6532 §3.2 allows UTF-8 only).
    NotUtf8 {
        /// The field.
        field: String,
    },
    /// Removing the Bcc fields broke the message (cannot happen for a normalised message;
    /// reported rather than assumed).
    Message(MessageError),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::BadAddress { field, error } => write!(f, "in the {field}: header: {error}"),
            HeaderError::Unbalanced { field } => write!(
                f,
                "the {field}: header has unbalanced quotes, parentheses or angle brackets (RFC 5322 §3.4)"
            ),
            HeaderError::Malformed { line, reason } => write!(
                f,
                "line {line} of the header section, as it would be sent (bare CR and LF become CRLF), {reason} (RFC 5322 §2.2); the envelope is read from the header section only when it reads the same for every reader, so nothing was sent: fix the line endings or the header, or give the addresses as arguments"
            ),
            HeaderError::NotUtf8 { field } => write!(
                f,
                "the {field}: header is not UTF-8 (RFC 6532 §3.2): encode display names as RFC 2047 words"
            ),
            HeaderError::Message(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for HeaderError {}

/// One header field, as ranges into the message: its name, its value (continuations
/// included, final CRLF excluded), and its whole extent.
struct Field {
    name: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
    span: std::ops::Range<usize>,
}

/// The fields of the header section (up to the first empty line) of a normalised message,
/// whose only line ending is CRLF. The one definition of "the header section" for `-t`.
fn fields(msg: &[u8]) -> Result<Vec<Field>, HeaderError> {
    let mut out: Vec<Field> = Vec::new();
    let mut pos = 0;
    let mut line = 0;
    while pos < msg.len() {
        line += 1;
        // A normalised message ends every line with CRLF; a last line without one is read
        // to the end all the same.
        let end = msg[pos..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(msg.len(), |i| pos + i + 2);
        let content = msg[pos..end]
            .strip_suffix(b"\r\n")
            .unwrap_or(&msg[pos..end]);
        if content.is_empty() {
            break; // RFC 5322 §2.1: the empty line ends the header section
        }
        let malformed = |reason| HeaderError::Malformed { line, reason };
        if matches!(content[0], b' ' | b'\t') {
            // RFC 5322 §2.2.3 folding: a continuation of the previous field.
            if content.iter().all(|&b| b == b' ' || b == b'\t') {
                // obs-FWS allows it, but some readers end the header section here.
                return Err(malformed(
                    "holds only white space (some readers end the header section there)",
                ));
            }
            let Some(last) = out.last_mut() else {
                return Err(malformed(
                    "starts with white space but no field precedes it",
                ));
            };
            last.span.end = end;
            last.value.end = pos + content.len();
        } else {
            let Some(colon) = content.iter().position(|&b| b == b':') else {
                return Err(malformed("is not a header field (no colon)"));
            };
            // RFC 5322 §3.6.8 field-name = 1*ftext (printable US-ASCII but ':'), with the
            // obsolete white space before the colon (§4.5.8).
            let name = content[..colon].trim_ascii_end();
            if name.is_empty() || !name.iter().all(|&b| (33..=126).contains(&b)) {
                return Err(malformed(
                    "has a field name that is empty or not printable US-ASCII",
                ));
            }
            out.push(Field {
                name: pos..pos + colon,
                value: pos + colon + 1..pos + content.len(),
                span: pos..end,
            });
        }
        pos = end;
    }
    Ok(out)
}

fn is(msg: &[u8], field: &Field, name: &str) -> bool {
    msg[field.name.clone()]
        .trim_ascii_end()
        .eq_ignore_ascii_case(name.as_bytes())
}

fn addresses(msg: &[u8], field: &Field, name: &str) -> Result<Vec<Mailbox>, HeaderError> {
    let value =
        std::str::from_utf8(&msg[field.value.clone()]).map_err(|_| HeaderError::NotUtf8 {
            field: name.to_owned(),
        })?;
    parse_address_list(name, value.as_bytes())
}

/// Recipients from To, Cc and Bcc, in order, without duplicates; and the message with every
/// Bcc field removed. Both come from the message as it will be sent, so every To, Cc and Bcc
/// line a server or recipient can see was read here.
pub fn take_recipients(message: &Message) -> Result<(Vec<Mailbox>, Message), HeaderError> {
    let msg = message.as_bytes();
    let fields = fields(msg)?;
    let mut rcpts: Vec<Mailbox> = Vec::new();
    let mut cut = Vec::new();
    for f in &fields {
        for name in ["To", "Cc", "Bcc"] {
            if is(msg, f, name) {
                for m in addresses(msg, f, name)? {
                    if !rcpts.contains(&m) {
                        rcpts.push(m);
                    }
                }
                if name == "Bcc" {
                    cut.push(f.span.clone());
                }
            }
        }
    }
    let mut out = Vec::with_capacity(msg.len());
    let mut pos = 0;
    for span in cut {
        out.extend_from_slice(&msg[pos..span.start]);
        pos = span.end;
    }
    out.extend_from_slice(&msg[pos..]);
    // Whole CRLF-terminated lines were removed, so this re-check cannot fail; it keeps the
    // result a `Message` without a constructor that skips the checks.
    let out = Message::new(&out).map_err(HeaderError::Message)?;
    Ok((rcpts, out))
}

/// The first address of the From field, if there is one.
pub fn sender(message: &Message) -> Result<Option<Mailbox>, HeaderError> {
    let msg = message.as_bytes();
    match fields(msg)?.iter().find(|f| is(msg, f, "From")) {
        Some(f) => Ok(addresses(msg, f, "From")?.into_iter().next()),
        None => Ok(None),
    }
}

/// Whether the header section has a field named `name` (any case), as sendmail mode asks
/// before it adds a Date or Message-ID field a message lacks.
pub fn has_field(message: &Message, name: &str) -> Result<bool, HeaderError> {
    let msg = message.as_bytes();
    Ok(fields(msg)?.iter().any(|f| is(msg, f, name)))
}

/// Parses an RFC 5322 §3.4 address-list into mailboxes (group names and display names are
/// dropped; `undisclosed-recipients:;` gives none).
pub fn parse_address_list(field: &str, value: &[u8]) -> Result<Vec<Mailbox>, HeaderError> {
    let text = String::from_utf8_lossy(value);
    let unbalanced = || HeaderError::Unbalanced {
        field: field.to_owned(),
    };
    let mut out = Vec::new();
    // The current address: its bare text (comments removed) and its angle part, if any.
    let (mut bare, mut angle): (String, Option<String>) = (String::new(), None);
    let (mut in_quote, mut comment_depth, mut in_angle) = (false, 0usize, false);
    let mut chars = text.chars();
    let flush = |bare: &mut String, angle: &mut Option<String>, out: &mut Vec<Mailbox>| {
        let addr = match angle.take() {
            // Drop an obsolete source route `@a,@b:` (RFC 5322 §4.4).
            Some(a) => a
                .rsplit_once(':')
                .filter(|(r, _)| r.starts_with('@'))
                .map_or(a.clone(), |(_, m)| m.to_owned()),
            None => bare.clone(),
        };
        bare.clear();
        let addr = addr.trim();
        if addr.is_empty() {
            return Ok(());
        }
        Mailbox::parse(addr)
            .map(|m| out.push(m))
            .map_err(|error| HeaderError::BadAddress {
                field: field.to_owned(),
                error,
            })
    };
    while let Some(c) = chars.next() {
        if comment_depth > 0 {
            match c {
                '\\' => {
                    chars.next();
                }
                '(' => comment_depth += 1,
                ')' => comment_depth -= 1,
                _ => {}
            }
            continue;
        }
        let target = match (&mut angle, in_angle) {
            (Some(a), true) => a,
            _ => &mut bare,
        };
        if in_quote {
            target.push(c);
            match c {
                '\\' => target.extend(chars.next()),
                '"' => in_quote = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_quote = true;
                target.push(c);
            }
            '(' => comment_depth = 1,
            '<' if !in_angle => {
                in_angle = true;
                angle = Some(String::new());
            }
            '>' if in_angle => in_angle = false,
            '<' | '>' => return Err(unbalanced()),
            // A group's display name ends at ':'; its members follow.
            ':' if !in_angle => bare.clear(),
            ',' | ';' if !in_angle => flush(&mut bare, &mut angle, &mut out)?,
            _ => target.push(c),
        }
    }
    if in_quote || in_angle || comment_depth > 0 {
        return Err(unbalanced());
    }
    flush(&mut bare, &mut angle, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(v: &str) -> Vec<String> {
        parse_address_list("To", v.as_bytes())
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn take(raw: &[u8]) -> Result<(Vec<String>, Vec<u8>), HeaderError> {
        let (rcpts, out) = take_recipients(&Message::new(raw).unwrap())?;
        Ok((
            rcpts.iter().map(ToString::to_string).collect(),
            out.as_bytes().to_vec(),
        ))
    }

    #[test]
    fn address_lists() {
        assert_eq!(addrs("a@b.c"), ["a@b.c"]);
        assert_eq!(
            addrs(" Joe Q. <joe@x.org>, \"Smith, J\" <j@y.org> "),
            ["joe@x.org", "j@y.org"]
        );
        assert_eq!(addrs("a@b (the (nested) comment), c@d"), ["a@b", "c@d"]);
        assert_eq!(addrs("friends: a@b, c@d;, e@f"), ["a@b", "c@d", "e@f"]);
        assert_eq!(addrs("undisclosed-recipients:;"), Vec::<String>::new());
        assert_eq!(addrs("<@relay.org:x@y.org>"), ["x@y.org"]);
        assert_eq!(addrs("\"quoted local\"@x.org"), ["\"quoted local\"@x.org"]);
        assert!(parse_address_list("To", b"<a@b").is_err());
        assert!(parse_address_list("To", b"\"a@b").is_err());
        assert!(parse_address_list("To", b"not an address").is_err());
    }

    #[test]
    fn recipients_and_bcc_removal() {
        let msg = b"From: me@x.org\r\nTo: a@x.org,\r\n  b@x.org\r\nBcc: hidden@x.org,\r\n\tother@x.org\r\nCc: a@x.org\r\nSubject: s\r\n\r\nTo: body@x.org\r\nBcc: body@x.org\r\n";
        let (rcpts, out) = take(msg).unwrap();
        assert_eq!(rcpts, ["a@x.org", "b@x.org", "hidden@x.org", "other@x.org"]);
        assert_eq!(
            out,
            b"From: me@x.org\r\nTo: a@x.org,\r\n  b@x.org\r\nCc: a@x.org\r\nSubject: s\r\n\r\nTo: body@x.org\r\nBcc: body@x.org\r\n"
        );
        let sent = |raw: &[u8]| sender(&Message::new(raw).unwrap()).unwrap();
        assert_eq!(sent(msg).unwrap().to_string(), "me@x.org");
        assert_eq!(sent(b"Subject: x\n\n"), None);
    }

    #[test]
    fn bare_lf_headers() {
        let (rcpts, out) = take(b"bcc: h@x.org\nTO: t@x.org\n\nbody\n").unwrap();
        assert_eq!(rcpts.len(), 2);
        assert_eq!(out, b"TO: t@x.org\r\n\r\nbody\r\n");
    }

    #[test]
    fn issue_9_bare_cr_is_read_as_the_wire_reads_it() {
        // The encoder turns the bare CR into CRLF, so this is two fields on the wire: the
        // Bcc must be removed and both addresses must be in the envelope.
        let (rcpts, out) = take(b"To: a@x.org\rBcc: h@x.org\n\nbody\n").unwrap();
        assert_eq!(rcpts, ["a@x.org", "h@x.org"]);
        assert_eq!(out, b"To: a@x.org\r\n\r\nbody\r\n");
        // A bare CR that ends the header section early on the wire: what follows is body
        // for everybody, including this parser.
        let (rcpts, out) = take(b"To: a@x.org\r\rBcc: h@x.org\n\n").unwrap();
        assert_eq!(rcpts, ["a@x.org"]);
        assert_eq!(out, b"To: a@x.org\r\n\r\nBcc: h@x.org\r\n\r\n");
    }

    #[test]
    fn header_sections_that_cannot_be_read_exactly_are_refused() {
        for (raw, line) in [
            (&b"To: a@x.org\rnot a field\n\n"[..], 2),
            (b" leading continuation\nTo: a@x.org\n\n", 1),
            (b"To: a@x.org\n \t\nBcc: h@x.org\n\n", 2),
            (b"Subject: s\nB\x01cc: h@x.org\n\n", 2),
            (b"Subject: s\n: h@x.org\n\n", 2),
            (b"Subject: s\nB\xc3\xa9cc: h@x.org\n\n", 2),
        ] {
            match take(raw) {
                Err(HeaderError::Malformed { line: l, .. }) => assert_eq!(l, line, "{raw:?}"),
                other => panic!("{raw:?}: {other:?}"),
            }
        }
        assert!(matches!(
            take(b"To: \xff <a@x.org>\n\n"),
            Err(HeaderError::NotUtf8 { .. })
        ));
        let e = take(b"To: a@x.org\rnot a field\n\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("nothing was sent"),
            "{e}"
        );
    }
}
