//! Reading envelope information from a message's header section, as `sendmail -t` and
//! `msmtp -t` do: recipients from To, Cc and Bcc (RFC 5322 §3.6.3) with Bcc removed from the
//! message, and the sender from From. The address-list parser handles display names, quoted
//! strings, comments, angle addresses, source routes and groups (RFC 5322 §3.4) without
//! recursion.

use crate::proto::{InvalidValue, Mailbox};
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
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::BadAddress { field, error } => write!(f, "in the {field}: header: {error}"),
            HeaderError::Unbalanced { field } => write!(
                f,
                "the {field}: header has unbalanced quotes, parentheses or angle brackets (RFC 5322 §3.4)"
            ),
        }
    }
}

impl std::error::Error for HeaderError {}

/// One header field, as ranges into the message: its name, its value (continuations
/// included, final line ending excluded), and its whole extent.
struct Field {
    name: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
    span: std::ops::Range<usize>,
}

/// The fields of the header section (up to the first empty line).
fn fields(msg: &[u8]) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    let mut pos = 0;
    while pos < msg.len() {
        let end = msg[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(msg.len(), |i| pos + i + 1);
        let content_len = trim_eol(&msg[pos..end]).len();
        if content_len == 0 {
            break; // end of the header section
        }
        if matches!(msg[pos], b' ' | b'\t') {
            // RFC 5322 §2.2.3 folding: a continuation of the previous field.
            if let Some(last) = out.last_mut() {
                last.span.end = end;
                last.value.end = pos + content_len;
            }
        } else if let Some(colon) = msg[pos..pos + content_len].iter().position(|&b| b == b':') {
            out.push(Field {
                name: pos..pos + colon,
                value: pos + colon + 1..pos + content_len,
                span: pos..end,
            });
        }
        pos = end;
    }
    out
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn is(msg: &[u8], field: &Field, name: &str) -> bool {
    msg[field.name.clone()]
        .trim_ascii_end()
        .eq_ignore_ascii_case(name.as_bytes())
}

/// Recipients from To, Cc and Bcc, in order, without duplicates; and the message with every
/// Bcc field removed.
pub fn take_recipients(msg: &[u8]) -> Result<(Vec<Mailbox>, Vec<u8>), HeaderError> {
    let fields = fields(msg);
    let mut rcpts: Vec<Mailbox> = Vec::new();
    let mut cut = Vec::new();
    for f in &fields {
        for name in ["To", "Cc", "Bcc"] {
            if is(msg, f, name) {
                for m in parse_address_list(name, &msg[f.value.clone()])? {
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
    Ok((rcpts, out))
}

/// The first address of the From field, if there is one.
pub fn sender(msg: &[u8]) -> Result<Option<Mailbox>, HeaderError> {
    match fields(msg).iter().find(|f| is(msg, f, "From")) {
        Some(f) => Ok(parse_address_list("From", &msg[f.value.clone()])?
            .into_iter()
            .next()),
        None => Ok(None),
    }
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
        let (rcpts, out) = take_recipients(msg).unwrap();
        let rcpts: Vec<String> = rcpts.iter().map(ToString::to_string).collect();
        assert_eq!(rcpts, ["a@x.org", "b@x.org", "hidden@x.org", "other@x.org"]);
        assert_eq!(
            out,
            b"From: me@x.org\r\nTo: a@x.org,\r\n  b@x.org\r\nCc: a@x.org\r\nSubject: s\r\n\r\nTo: body@x.org\r\nBcc: body@x.org\r\n"
        );
        assert_eq!(sender(msg).unwrap().unwrap().to_string(), "me@x.org");
        assert_eq!(sender(b"Subject: x\n\n").unwrap(), None);
    }

    #[test]
    fn bare_lf_headers() {
        let (rcpts, out) = take_recipients(b"bcc: h@x.org\nTO: t@x.org\n\nbody\n").unwrap();
        assert_eq!(rcpts.len(), 2);
        assert_eq!(out, b"TO: t@x.org\n\nbody\n");
    }
}
