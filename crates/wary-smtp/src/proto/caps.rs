//! Service extensions a server advertised in its EHLO reply (RFC 5321 §4.1.1.1). A value of
//! this type is only ever built from one EHLO reply, and the session drops it at the TLS
//! boundary (RFC 3207 §4.2), so no capability can leak from plain text into TLS.

use super::mechanism::Mechanism;
use super::reply::Reply;

/// What the server offered in one EHLO reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The server's name, from the first line of the reply.
    pub server_name: String,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// CHUNKING: BDAT (RFC 3030).
    pub chunking: bool,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// SIZE (RFC 1870): `Some(0)` means "offered, no fixed limit".
    pub size: Option<u64>,
    /// AUTH mechanisms (RFC 4954), in the server's order, each once; names wary does not
    /// know are [`Mechanism::Other`].
    pub auth: Vec<Mechanism>,
}

impl Capabilities {
    /// Reads the extensions from a 250 reply to EHLO. Unknown keywords and malformed
    /// parameters are ignored (RFC 5321 §4.1.1.1: a client ignores what it does not know);
    /// a malformed SIZE means no limit is known, which is safe because the server still
    /// refuses what is too large.
    pub fn from_ehlo(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities::default();
        let mut lines = reply.lines().iter();
        if let Some(first) = lines.next() {
            caps.server_name = first.split(' ').next().unwrap_or_default().to_owned();
        }
        for line in lines {
            let mut words = line.split_ascii_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            let keyword = keyword.to_ascii_uppercase();
            match keyword.as_str() {
                "STARTTLS" => caps.starttls = true,
                "PIPELINING" => caps.pipelining = true,
                "CHUNKING" => caps.chunking = true,
                "8BITMIME" => caps.eight_bit_mime = true,
                "SMTPUTF8" => caps.smtputf8 = true,
                "DSN" => caps.dsn = true,
                "ENHANCEDSTATUSCODES" => caps.enhanced_status_codes = true,
                "SIZE" => caps.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0)),
                "AUTH" => {
                    for m in words.filter_map(|w| Mechanism::parse(w).ok()) {
                        if !caps.auth.contains(&m) {
                            caps.auth.push(m);
                        }
                    }
                }
                _ => {}
            }
        }
        caps
    }
    /// True when the server offered the AUTH mechanism `mechanism`.
    pub fn offers_auth(&self, mechanism: &Mechanism) -> bool {
        self.auth.contains(mechanism)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::reply::{parse_reply, ReplyLimits};

    #[test]
    fn parses_ehlo() {
        let raw = b"250-mx.example.org hello\r\n250-PIPELINING\r\n250-size 1000\r\n250-AUTH PLAIN login SCRAM-SHA-256\r\n250-8BITMIME\r\n250-X-UNKNOWN a b\r\n250 CHUNKING\r\n";
        let (reply, _) = parse_reply(raw, ReplyLimits::default()).unwrap().unwrap();
        let caps = Capabilities::from_ehlo(&reply);
        assert_eq!(caps.server_name, "mx.example.org");
        assert!(caps.pipelining && caps.chunking && caps.eight_bit_mime);
        assert!(!caps.starttls && !caps.smtputf8 && !caps.dsn);
        assert_eq!(caps.size, Some(1000));
        assert!(caps.offers_auth(&Mechanism::Login) && caps.offers_auth(&Mechanism::ScramSha256));
        assert!(!caps.offers_auth(&Mechanism::XOAuth2));
        assert_eq!(caps.auth.len(), 3);
    }

    #[test]
    fn first_line_is_not_a_keyword() {
        let (reply, _) = parse_reply(b"250 STARTTLS\r\n", ReplyLimits::default())
            .unwrap()
            .unwrap();
        assert!(!Capabilities::from_ehlo(&reply).starttls);
    }
}
