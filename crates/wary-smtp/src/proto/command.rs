//! SMTP commands as typed values (RFC 5321 §4.1.1, RFC 3207, RFC 4954, RFC 3030). Every
//! argument is a checked newtype from `types`, so encoding cannot emit CR, LF or NUL except
//! the CRLF that ends the command.

use super::mechanism::Mechanism;
use super::types::{AuthValue, Domain, EsmtpParam, Mailbox, ReversePath};
use std::fmt;

/// One command line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `EHLO domain` (RFC 5321 §4.1.1.1).
    Ehlo(Domain),
    /// `HELO domain`, only in plain text after EHLO was refused.
    Helo(Domain),
    /// `STARTTLS` (RFC 3207 §4).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954 §4).
    Auth(Mechanism, Option<AuthValue>),
    /// One SASL response line during AUTH (RFC 4954 §4).
    AuthResponse(AuthValue),
    /// `MAIL FROM:<path> params` (RFC 5321 §4.1.1.2).
    Mail(ReversePath, Vec<EsmtpParam>),
    /// `RCPT TO:<mailbox> params` (RFC 5321 §4.1.1.3).
    Rcpt(Mailbox, Vec<EsmtpParam>),
    /// `DATA` (RFC 5321 §4.1.1.4).
    Data,
    /// `BDAT size [LAST]` (RFC 3030 §2); the chunk follows the command line.
    Bdat {
        /// Octets in the chunk.
        size: usize,
        /// True for the last chunk.
        last: bool,
    },
    /// `RSET` (RFC 5321 §4.1.1.5).
    Rset,
    /// `NOOP` (RFC 5321 §4.1.1.9).
    Noop,
    /// `QUIT` (RFC 5321 §4.1.1.10).
    Quit,
}

impl Command {
    /// Appends the command line, CRLF included, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    /// The verb, for error messages (`MAIL`, `RCPT`, ...). AUTH responses say `AUTH`, so a
    /// message never shows credentials.
    pub fn verb(&self) -> &'static str {
        match self {
            Command::Ehlo(_) => "EHLO",
            Command::Helo(_) => "HELO",
            Command::StartTls => "STARTTLS",
            Command::Auth(..) | Command::AuthResponse(_) => "AUTH",
            Command::Mail(..) => "MAIL",
            Command::Rcpt(..) => "RCPT",
            Command::Data => "DATA",
            Command::Bdat { .. } => "BDAT",
            Command::Rset => "RSET",
            Command::Noop => "NOOP",
            Command::Quit => "QUIT",
        }
    }
}

impl fmt::Display for Command {
    /// The command line without CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Ehlo(d) => write!(f, "EHLO {d}"),
            Command::Helo(d) => write!(f, "HELO {d}"),
            Command::StartTls => f.write_str("STARTTLS"),
            Command::Auth(m, None) => write!(f, "AUTH {m}"),
            Command::Auth(m, Some(v)) => write!(f, "AUTH {m} {}", v.as_str()),
            Command::AuthResponse(v) => f.write_str(v.as_str()),
            Command::Mail(path, params) => {
                write!(f, "MAIL FROM:{path}")?;
                params.iter().try_for_each(|p| write!(f, " {p}"))
            }
            Command::Rcpt(to, params) => {
                write!(f, "RCPT TO:<{to}>")?;
                params.iter().try_for_each(|p| write!(f, " {p}"))
            }
            Command::Data => f.write_str("DATA"),
            Command::Bdat { size, last: true } => write!(f, "BDAT {size} LAST"),
            Command::Bdat { size, last: false } => write!(f, "BDAT {size}"),
            Command::Rset => f.write_str("RSET"),
            Command::Noop => f.write_str("NOOP"),
            Command::Quit => f.write_str("QUIT"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(c: Command) -> String {
        let mut out = Vec::new();
        c.encode(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn encodings() {
        let m = Mailbox::parse("a@b.c").unwrap();
        assert_eq!(
            wire(Command::Ehlo(Domain::parse("[127.0.0.1]").unwrap())),
            "EHLO [127.0.0.1]\r\n"
        );
        assert_eq!(
            wire(Command::Mail(
                ReversePath::Mailbox(m.clone()),
                vec![
                    EsmtpParam::new("SIZE", Some("10")).unwrap(),
                    EsmtpParam::new("BODY", Some("8BITMIME")).unwrap()
                ]
            )),
            "MAIL FROM:<a@b.c> SIZE=10 BODY=8BITMIME\r\n"
        );
        assert_eq!(
            wire(Command::Mail(ReversePath::Null, vec![])),
            "MAIL FROM:<>\r\n"
        );
        assert_eq!(wire(Command::Rcpt(m, vec![])), "RCPT TO:<a@b.c>\r\n");
        assert_eq!(
            wire(Command::Bdat {
                size: 12,
                last: true
            }),
            "BDAT 12 LAST\r\n"
        );
        assert_eq!(
            wire(Command::Auth(
                Mechanism::Plain,
                Some(AuthValue::encode(b"\0u\0p"))
            )),
            "AUTH PLAIN AHUAcA==\r\n"
        );
        assert_eq!(wire(Command::AuthResponse(AuthValue::encode(b""))), "\r\n");
    }
}
