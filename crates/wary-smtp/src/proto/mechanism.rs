//! SASL mechanism names (RFC 4422 §3.1), as offered in EHLO's AUTH line and sent in the AUTH
//! command (RFC 4954 §4). The names wary knows are variants; any other well-formed name a
//! server offers is kept as [`Mechanism::Other`], whose value can only come from
//! [`Mechanism::parse`], so no unchecked text (CR, LF, a space) can reach the wire through
//! it, and a known name is never spelled as `Other`.

use super::types::{shown, InvalidValue};
use std::fmt;

/// A SASL mechanism. Names are case-insensitive (RFC 4422 §3.1) and kept in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616). wary sends it only inside verified TLS.
    Plain,
    /// `LOGIN` (draft-murchison-sasl-login).
    Login,
    /// `CRAM-MD5` (RFC 2195; obsolete, not implemented by wary).
    CramMd5,
    /// `SCRAM-SHA-1` (RFC 5802; not implemented by wary).
    ScramSha1,
    /// `SCRAM-SHA-256` (RFC 7677), which also authenticates the server.
    ScramSha256,
    /// `SCRAM-SHA-256-PLUS` (RFC 7677 with channel binding; not implemented by wary).
    ScramSha256Plus,
    /// `XOAUTH2` (Google's OAuth 2.0 bearer-token profile).
    XOAuth2,
    /// `OAUTHBEARER` (RFC 7628; not implemented by wary).
    OAuthBearer,
    /// `EXTERNAL` (RFC 4422 Appendix A; not implemented by wary).
    External,
    /// `GSSAPI` (RFC 4752; not implemented by wary).
    Gssapi,
    /// A well-formed name wary does not know (offered by a server, or asked for by a user).
    Other(OtherMechanism),
}

/// The name of a mechanism wary does not know: 1–20 of `A-Z 0-9 - _`, upper case. Built only
/// by [`Mechanism::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherMechanism(String);

impl OtherMechanism {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The known names, in one table so parsing and printing cannot disagree.
const KNOWN: [(&str, Mechanism); 10] = [
    ("PLAIN", Mechanism::Plain),
    ("LOGIN", Mechanism::Login),
    ("CRAM-MD5", Mechanism::CramMd5),
    ("SCRAM-SHA-1", Mechanism::ScramSha1),
    ("SCRAM-SHA-256", Mechanism::ScramSha256),
    ("SCRAM-SHA-256-PLUS", Mechanism::ScramSha256Plus),
    ("XOAUTH2", Mechanism::XOAuth2),
    ("OAUTHBEARER", Mechanism::OAuthBearer),
    ("EXTERNAL", Mechanism::External),
    ("GSSAPI", Mechanism::Gssapi),
];

impl Mechanism {
    /// Checks `s` against RFC 4422 §3.1 (1–20 of `A-Z 0-9 - _`, case folded to upper case)
    /// and maps known names to their variant.
    pub fn parse(s: &str) -> Result<Mechanism, InvalidValue> {
        let up = s.to_ascii_uppercase();
        let ok = (1..=20).contains(&up.len())
            && up
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            return Err(InvalidValue::Auth { input: shown(s) });
        }
        Ok(KNOWN
            .iter()
            .find(|(name, _)| *name == up)
            .map_or(Mechanism::Other(OtherMechanism(up)), |(_, m)| m.clone()))
    }

    /// The name as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Mechanism::Other(o) => o.as_str(),
            known => KNOWN
                .iter()
                .find(|(_, m)| m == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// True when wary can log in with it (PLAIN, LOGIN, SCRAM-SHA-256, XOAUTH2).
    pub fn is_supported(&self) -> bool {
        matches!(
            self,
            Mechanism::Plain | Mechanism::Login | Mechanism::ScramSha256 | Mechanism::XOAuth2
        )
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Mechanism {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Mechanism, InvalidValue> {
        Mechanism::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_name_round_trips_in_any_case() {
        for (name, m) in KNOWN {
            assert_eq!(Mechanism::parse(name).unwrap(), m);
            assert_eq!(Mechanism::parse(&name.to_ascii_lowercase()).unwrap(), m);
            assert_eq!(m.as_str(), name);
            assert_eq!(m.to_string(), name);
        }
    }

    #[test]
    fn unknown_names_are_other_and_bad_names_are_refused() {
        let m = Mechanism::parse("x-custom_1").unwrap();
        assert!(matches!(&m, Mechanism::Other(o) if o.as_str() == "X-CUSTOM_1"));
        assert!(!m.is_supported());
        for bad in ["", "A B", "A\r\n", "ABCDEFGHIJKLMNOPQRSTU", "PLAIN\0", "é"] {
            let e = Mechanism::parse(bad).unwrap_err();
            assert!(e.to_string().contains("RFC 4954"), "{bad:?}: {e}");
        }
    }
}
