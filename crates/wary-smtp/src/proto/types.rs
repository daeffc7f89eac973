//! Checked wire values: every argument a command can carry is one of these newtypes, each
//! validated on construction against its RFC grammar, so CR, LF, NUL (or a space that would
//! split an argument) can never reach the wire.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest local part (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART: usize = 64;
/// Longest domain (RFC 5321 §4.5.3.1.2).
pub const MAX_DOMAIN: usize = 255;
/// Longest path, angle brackets included (RFC 5321 §4.5.3.1.3).
pub const MAX_PATH: usize = 256;

/// Why a string is not a valid wire value. The caller (or the input they passed on) is at
/// fault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidValue {
    /// Not a domain or address literal (RFC 5321 §4.1.2 `Domain`, §4.1.3).
    Domain {
        /// The rejected text (control characters escaped).
        input: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Not a mailbox (RFC 5321 §4.1.2 `Mailbox`; RFC 6531 §3.3 with UTF-8).
    Mailbox {
        /// The rejected text (control characters escaped).
        input: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Not an ESMTP keyword or value (RFC 5321 §4.1.2 `esmtp-param`).
    EsmtpParam {
        /// The rejected text (control characters escaped).
        input: String,
    },
    /// Not a SASL mechanism name or base64 value (RFC 4954 §4).
    Auth {
        /// The rejected text (control characters escaped).
        input: String,
    },
    /// Not a DSN envelope identifier (RFC 3461 §4.4).
    Envid {
        /// The rejected text (control characters escaped).
        input: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidValue::Domain { input, reason } => {
                write!(
                    f,
                    "{input:?} is not a valid domain: {reason} (RFC 5321 §4.1.2)"
                )
            }
            InvalidValue::Mailbox { input, reason } => {
                write!(
                    f,
                    "{input:?} is not a valid mail address: {reason} (RFC 5321 §4.1.2)"
                )
            }
            InvalidValue::EsmtpParam { input } => {
                write!(
                    f,
                    "{input:?} is not a valid ESMTP parameter (RFC 5321 §4.1.2)"
                )
            }
            InvalidValue::Auth { input } => {
                write!(
                    f,
                    "{input:?} is not a valid SASL mechanism or value (RFC 4954 §4)"
                )
            }
            InvalidValue::Envid { input, reason } => {
                write!(
                    f,
                    "{input:?} is not a valid envelope identifier: {reason} (RFC 3461 §4.4)"
                )
            }
        }
    }
}

impl std::error::Error for InvalidValue {}

pub(super) fn shown(s: &str) -> String {
    s.chars().flat_map(char::escape_debug).take(200).collect()
}

/// A domain name or address literal, as used in EHLO and in addresses. U-labels (UTF-8) are
/// accepted and make the value need SMTPUTF8 (RFC 6531 §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain(String);

impl Domain {
    /// Checks `s` against RFC 5321 `Domain / address-literal`.
    pub fn parse(s: &str) -> Result<Domain, InvalidValue> {
        let bad = |reason| InvalidValue::Domain {
            input: shown(s),
            reason,
        };
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        if s.len() > MAX_DOMAIN {
            return Err(bad("it is longer than 255 octets"));
        }
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner
                .strip_suffix(']')
                .ok_or_else(|| bad("unclosed address literal"))?;
            let ok = match inner.strip_prefix("IPv6:") {
                Some(v6) => v6.parse::<Ipv6Addr>().is_ok(),
                None => inner.parse::<Ipv4Addr>().is_ok(),
            };
            return if ok {
                Ok(Domain(s.to_owned()))
            } else {
                Err(bad("bad address literal"))
            };
        }
        for label in s.split('.') {
            check_label(label).map_err(bad)?;
        }
        Ok(Domain(s.to_owned()))
    }
    /// An address literal for an IP address (`[127.0.0.1]`, `[IPv6:::1]`; RFC 5321 §4.1.3).
    pub fn literal(ip: std::net::IpAddr) -> Domain {
        match ip {
            std::net::IpAddr::V4(v4) => Domain(format!("[{v4}]")),
            std::net::IpAddr::V6(v6) => Domain(format!("[IPv6:{v6}]")),
        }
    }
    /// The domain as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// True when the domain has a U-label (non-ASCII), so using it needs SMTPUTF8.
    pub fn needs_smtputf8(&self) -> bool {
        !self.0.is_ascii()
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// RFC 5321 `sub-domain = Let-dig [Ldh-str]`, at most 63 octets; a label with non-ASCII
/// characters is taken as a U-label (RFC 6531 §3.3), whose characters must be alphanumeric.
fn check_label(label: &str) -> Result<(), &'static str> {
    if label.is_empty() {
        return Err("it has an empty label");
    }
    if label.len() > 63 {
        return Err("a label is longer than 63 octets");
    }
    let ok_char =
        |c: char| c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric());
    if !label.chars().all(ok_char) {
        return Err("a label has a character other than a letter, digit or '-'");
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err("a label starts or ends with '-'");
    }
    Ok(())
}

/// A mailbox `local-part@domain` (RFC 5321 §4.1.2), UTF-8 allowed (RFC 6531 §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox {
    local: String,
    domain: Domain,
}

impl Mailbox {
    /// Checks `s` (`user@example.org`, no angle brackets, no display name).
    pub fn parse(s: &str) -> Result<Mailbox, InvalidValue> {
        let bad = |reason| InvalidValue::Mailbox {
            input: shown(s),
            reason,
        };
        let at = s.rfind('@').ok_or_else(|| bad("it has no '@'"))?;
        let (local, domain) = (&s[..at], &s[at + 1..]);
        check_local_part(local).map_err(bad)?;
        let domain = Domain::parse(domain).map_err(|e| match e {
            InvalidValue::Domain { reason, .. } => bad(reason),
            _ => bad("bad domain"),
        })?;
        if s.len() + 2 > MAX_PATH {
            return Err(bad("it is longer than 254 octets"));
        }
        Ok(Mailbox {
            local: local.to_owned(),
            domain,
        })
    }
    /// The local part, as given (quoted or not).
    pub fn local_part(&self) -> &str {
        &self.local
    }
    /// The domain.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }
    /// True when the address is not all ASCII, so using it needs SMTPUTF8 (RFC 6531 §3.4).
    pub fn needs_smtputf8(&self) -> bool {
        !self.local.is_ascii() || self.domain.needs_smtputf8()
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

impl std::str::FromStr for Mailbox {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mailbox::parse(s)
    }
}

/// RFC 5321 `Local-part = Dot-string / Quoted-string`, with RFC 6531 UTF-8 in atext/qtext.
fn check_local_part(local: &str) -> Result<(), &'static str> {
    if local.is_empty() {
        return Err("the local part is empty");
    }
    if local.len() > MAX_LOCAL_PART {
        return Err("the local part is longer than 64 octets");
    }
    if let Some(inner) = local.strip_prefix('"') {
        let inner = inner
            .strip_suffix('"')
            .ok_or("unclosed quoted local part")?;
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                // quoted-pairSMTP = %d92 %d32-126
                '\\' => match chars.next() {
                    Some(' '..='~') => {}
                    _ => return Err("bad quoted pair in local part"),
                },
                '"' => return Err("unescaped quote in local part"),
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126, or UTF-8 (RFC 6531)
                ' '..='~' => {}
                c if !c.is_ascii() && !c.is_control() => {}
                _ => return Err("control character in local part"),
            }
        }
        return Ok(());
    }
    for atom in local.split('.') {
        if atom.is_empty() {
            return Err("the local part has an empty dot-separated atom");
        }
        let atext = |c: char| {
            c.is_ascii_alphanumeric()
                || "!#$%&'*+-/=?^_`{|}~".contains(c)
                || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
        };
        if !atom.chars().all(atext) {
            return Err("the local part has a character that needs quoting");
        }
    }
    Ok(())
}

/// A reverse path: a mailbox, or the null path `<>` used for bounces (RFC 5321 §4.1.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReversePath {
    /// `<>`
    Null,
    /// `<mailbox>`
    Mailbox(Mailbox),
}

impl fmt::Display for ReversePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// An ESMTP parameter `keyword[=value]` on MAIL or RCPT (RFC 5321 §4.1.2):
/// `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`,
/// `esmtp-value = 1*(%d33-60 / %d62-126)` (plus UTF-8 under SMTPUTF8, RFC 6531 §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsmtpParam {
    keyword: String,
    value: Option<String>,
}

impl EsmtpParam {
    /// Checks a keyword and optional value.
    pub fn new(keyword: &str, value: Option<&str>) -> Result<EsmtpParam, InvalidValue> {
        let shown_all = || InvalidValue::EsmtpParam {
            input: shown(&match value {
                Some(v) => format!("{keyword}={v}"),
                None => keyword.to_owned(),
            }),
        };
        let kw_ok = keyword
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
            && keyword
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let value_ok = match value {
            None => true,
            Some(v) => {
                !v.is_empty()
                    && v.chars().all(|c| {
                        matches!(c, '!'..='<' | '>'..='~') || (!c.is_ascii() && !c.is_control())
                    })
            }
        };
        if kw_ok && value_ok {
            Ok(EsmtpParam {
                keyword: keyword.to_owned(),
                value: value.map(str::to_owned),
            })
        } else {
            Err(shown_all())
        }
    }
    /// The keyword.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }
    /// The value, if any.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl fmt::Display for EsmtpParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={v}", self.keyword),
            None => f.write_str(&self.keyword),
        }
    }
}

/// Encodes text as RFC 3461 §4 xtext (for ENVID and ORCPT): every octet outside `!`..`~`,
/// and `+` and `=`, becomes `+XX`. The result is always a valid ESMTP value.
pub fn xtext(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if (b'!'..=b'~').contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// Longest DSN envelope identifier (RFC 3461 §4.4: at most 100 characters).
pub const MAX_ENVID: usize = 100;

/// A DSN envelope identifier (RFC 3461 §4.4 ENVID): 1 to 100 printable US-ASCII characters
/// (graphic or space). It goes on the wire as xtext ([`xtext`]), which would carry any byte,
/// so the check is here: a value the RFC does not allow is refused, not encoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Envid(String);

impl Envid {
    /// Checks `s`.
    pub fn parse(s: &str) -> Result<Envid, InvalidValue> {
        let bad = |reason| {
            Err(InvalidValue::Envid {
                input: shown(s),
                reason,
            })
        };
        if s.is_empty() {
            return bad("it is empty");
        }
        if s.len() > MAX_ENVID {
            return bad("it is longer than 100 characters");
        }
        if !s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return bad("only printable US-ASCII characters (space to '~') are allowed");
        }
        Ok(Envid(s.to_owned()))
    }
    /// The identifier, before xtext encoding.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Read-only access as text, so the encoder can pass it to [`xtext`] like any string.
impl std::ops::Deref for Envid {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Envid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SASL value on the wire: base64 text, `=` for an empty initial response, or `*` to cancel
/// (RFC 4954 §4). Built by encoding bytes, so it is valid by construction.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthValue(String);

impl AuthValue {
    /// Base64-encodes `data` (an empty `data` is sent as an empty line, RFC 4954 §4).
    pub fn encode(data: &[u8]) -> AuthValue {
        use base64::Engine as _;
        AuthValue(base64::engine::general_purpose::STANDARD.encode(data))
    }
    /// `=`: an empty initial response on the AUTH line (RFC 4954 §4).
    pub fn empty_initial() -> AuthValue {
        AuthValue("=".to_owned())
    }
    /// `*`: cancels the exchange (RFC 4954 §4).
    pub fn cancel() -> AuthValue {
        AuthValue("*".to_owned())
    }
    /// The text sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthValue {
    // Never print credentials, even in debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthValue(<{} octets>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        for ok in [
            "example.org",
            "a",
            "a-b.c1",
            "[127.0.0.1]",
            "[IPv6:::1]",
            "b\u{fc}cher.de",
            "xn--bcher-kva.de",
        ] {
            assert!(Domain::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            ".",
            "a..b",
            "-a.b",
            "a-.b",
            "a b",
            "a\r\nMAIL",
            "a\0",
            "[1.2.3]",
            "[IPv6:zz]",
            "[1.2.3.4",
            "a_b",
        ] {
            assert!(Domain::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Domain::parse(&"a".repeat(64)).is_err());
        assert!(Domain::parse(&format!("{}.b", "a".repeat(63))).is_ok());
        assert!(Domain::parse("b\u{fc}cher.de").unwrap().needs_smtputf8());
        assert_eq!(
            Domain::literal("::1".parse().unwrap()).as_str(),
            "[IPv6:::1]"
        );
    }

    #[test]
    fn mailboxes() {
        for ok in [
            "a@b",
            "first.last@example.org",
            "\"a b\"@example.org",
            "\"a@b\"@c",
            "j\u{f6}rg@b\u{fc}cher.de",
            "a+tag@[127.0.0.1]",
            "\"\\\"\"@x",
        ] {
            assert!(Mailbox::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "@b",
            "a@",
            "a b@c",
            "a@b c",
            "a\r\n@b",
            "a@b\r\nRCPT TO:<x@y>",
            "a\0@b",
            ".a@b",
            "a.@b",
            "a..b@c",
            "\"a\r\"@b",
            "\"a\"b\"@c",
            "<a@b>",
            "a@b>",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Mailbox::parse(&format!("{}@b", "a".repeat(65))).is_err());
        let m = Mailbox::parse("j\u{f6}rg@example.org").unwrap();
        assert!(m.needs_smtputf8());
        assert!(!Mailbox::parse("a@b").unwrap().needs_smtputf8());
        assert_eq!(
            ReversePath::Mailbox(m).to_string(),
            "<j\u{f6}rg@example.org>"
        );
        assert_eq!(ReversePath::Null.to_string(), "<>");
    }

    #[test]
    fn esmtp_params() {
        assert_eq!(
            EsmtpParam::new("SIZE", Some("100")).unwrap().to_string(),
            "SIZE=100"
        );
        assert_eq!(
            EsmtpParam::new("SMTPUTF8", None).unwrap().to_string(),
            "SMTPUTF8"
        );
        for (k, v) in [
            ("", None),
            ("-A", None),
            ("A B", None),
            ("A", Some("")),
            ("A", Some("x y")),
            ("A", Some("x=y")),
            ("A", Some("x\r\n")),
            ("A\0", None),
        ] {
            assert!(EsmtpParam::new(k, v).is_err(), "{k:?} {v:?}");
        }
    }

    #[test]
    fn xtext_is_a_valid_value() {
        assert_eq!(xtext("a+b=c d\r\n"), "a+2Bb+3Dc+20d+0D+0A");
        assert!(EsmtpParam::new("ENVID", Some(&xtext("x \0\u{e9}"))).is_ok());
    }

    #[test]
    fn envelope_identifiers() {
        assert_eq!(Envid::parse("id 1+2=~").unwrap().as_str(), "id 1+2=~");
        assert!(Envid::parse(&"x".repeat(100)).is_ok());
        for bad in [
            "".to_owned(),
            "x".repeat(101),
            "a\r\nRCPT TO:<x@y>".to_owned(),
            "tab\there".to_owned(),
            "caf\u{e9}".to_owned(),
            "nul\0".to_owned(),
            "del\u{7f}".to_owned(),
        ] {
            let e = Envid::parse(&bad).unwrap_err();
            assert!(matches!(e, InvalidValue::Envid { .. }), "{bad:?}");
            assert!(e.to_string().contains("RFC 3461"), "{e}");
        }
    }

    #[test]
    fn auth_values() {
        assert_eq!(AuthValue::encode(b"\0u\0p").as_str(), "AHUAcA==");
        assert_eq!(
            format!("{:?}", AuthValue::encode(b"secret")),
            "AuthValue(<8 octets>)"
        );
    }
}
