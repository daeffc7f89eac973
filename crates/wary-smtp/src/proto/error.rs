//! Errors of the sans-IO session: each says who is at fault (the server, a limit, the caller
//! or the input), which command got which reply, and cites the rule broken.

use super::message::MessageError;
use super::reply::{Reply, ReplyError};
use super::sasl::SaslError;
use super::types::{InvalidValue, Mailbox};
use std::fmt;

/// Who is to blame for an error; the CLI turns this into a sysexits code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The server broke the protocol or tried to downgrade or inject (EX_PROTOCOL).
    Protocol,
    /// A transient failure: a 4xx reply, a timeout, a closed connection (EX_TEMPFAIL).
    Transient,
    /// A permanent 5xx refusal (EX_UNAVAILABLE).
    Permanent,
    /// Authentication failed (EX_NOPERM).
    Auth,
    /// The message or an address cannot be sent as given (EX_DATAERR).
    Input,
    /// The caller asked for something wary refuses to do (EX_CONFIG).
    Config,
    /// The server's name could not be resolved (EX_NOHOST; only the driver reports it).
    NoHost,
}

/// A session-ending error. After it the session is dead; the connection must be closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The server sent a malformed reply (its fault).
    MalformedReply {
        /// What was being waited for.
        waiting_for: &'static str,
        /// What is wrong.
        error: ReplyError,
    },
    /// The server answered a command with a reply that is not valid for it (RFC 5321 §4.3.2).
    UnexpectedReply {
        /// The command.
        command: &'static str,
        /// The reply.
        reply: Reply,
    },
    /// The server sent bytes when no reply was due (early talker or pipelining abuse).
    UnsolicitedData {
        /// The last command whose reply was complete.
        after: &'static str,
        /// Octets received.
        octets: usize,
    },
    /// STARTTLS was required but the server's EHLO did not offer it (a stripping attack or a
    /// misconfigured server; RFC 3207 §4).
    StartTlsNotOffered,
    /// The server refused STARTTLS (454, 502, ...) or EHLO when TLS is required.
    StartTlsRefused {
        /// The command refused (`STARTTLS` or `EHLO`).
        command: &'static str,
        /// The refusal.
        reply: Reply,
    },
    /// The reply to STARTTLS was not exactly 220 (RFC 3207 §4).
    StartTlsWrongReply(Reply),
    /// Bytes followed the 220 to STARTTLS before the handshake: a response injection (the
    /// CVE-2021-22947 class). RFC 3207 §4.2 makes the client discard everything learned in
    /// plain text; bytes that would be read as if they came over TLS are an attack.
    StartTlsInjection {
        /// Octets received after the 220.
        octets: usize,
    },
    /// The server refused a command needed to open the session (greeting, EHLO, HELO).
    Refused {
        /// The command (`greeting` for the banner).
        command: &'static str,
        /// The reply.
        reply: Reply,
    },
    /// AUTH was refused (535, 534, 454, ...).
    AuthFailed(Reply),
    /// The SASL exchange failed on the client's side.
    Sasl(SaslError),
    /// Credentials would be sent outside a verified TLS session (never done).
    AuthWithoutTls,
    /// The server closed the connection while a reply was due.
    Closed {
        /// What was being waited for.
        waiting_for: &'static str,
    },
    /// No reply came in time.
    Timeout {
        /// What was being waited for.
        waiting_for: &'static str,
    },
    /// The caller used the session out of order (a bug in the driver or program).
    Misuse(&'static str),
    /// The driver ended the session: the connection broke (an I/O or TLS error, which the
    /// driver reports itself). See [`crate::proto::Session::abort`].
    Aborted,
}

impl SessionError {
    /// Who is to blame.
    pub fn fault(&self) -> Fault {
        match self {
            SessionError::MalformedReply { .. }
            | SessionError::UnexpectedReply { .. }
            | SessionError::UnsolicitedData { .. }
            | SessionError::StartTlsNotOffered
            | SessionError::StartTlsRefused { .. }
            | SessionError::StartTlsWrongReply(_)
            | SessionError::StartTlsInjection { .. } => Fault::Protocol,
            SessionError::Refused { reply, .. } => by_code(reply),
            SessionError::AuthFailed(reply) if reply.code().is_transient() => Fault::Transient,
            SessionError::AuthFailed(_) | SessionError::Sasl(_) => Fault::Auth,
            SessionError::AuthWithoutTls | SessionError::Misuse(_) => Fault::Config,
            SessionError::Closed { .. } | SessionError::Timeout { .. } | SessionError::Aborted => {
                Fault::Transient
            }
        }
    }
}

pub(crate) fn by_code(reply: &Reply) -> Fault {
    if reply.code().is_transient() {
        Fault::Transient
    } else {
        Fault::Permanent
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::MalformedReply { waiting_for, error } => {
                write!(f, "server sent a malformed reply to {waiting_for}: {error}")
            }
            SessionError::UnexpectedReply { command, reply } => write!(
                f,
                "server answered {command} with \"{reply}\", which is not a valid reply to it (RFC 5321 §4.3.2)"
            ),
            SessionError::UnsolicitedData { after, octets } => write!(
                f,
                "server sent {octets} octets after its reply to {after} when no reply was due (protocol violation)"
            ),
            SessionError::StartTlsNotOffered => write!(
                f,
                "server did not offer STARTTLS in its EHLO reply; refusing to continue in plain text (possible STARTTLS stripping; use --tls implicit, or --tls none only on a trusted network)"
            ),
            SessionError::StartTlsRefused { command, reply } => write!(
                f,
                "server refused {command} with \"{reply}\" so TLS cannot be started; refusing to continue in plain text (possible downgrade attack)"
            ),
            SessionError::StartTlsWrongReply(reply) => write!(
                f,
                "server answered STARTTLS with \"{reply}\" instead of 220; refusing to continue (RFC 3207 §4)"
            ),
            SessionError::StartTlsInjection { octets } => write!(
                f,
                "server sent {octets} octets of plain text after its 220 to STARTTLS, before the TLS handshake: response injection attempt; aborted"
            ),
            SessionError::Refused { command, reply } => {
                write!(f, "server refused {command}: \"{reply}\"")
            }
            SessionError::AuthFailed(reply) => write!(f, "authentication failed: \"{reply}\""),
            SessionError::Sasl(e) => write!(f, "authentication failed: {e}"),
            SessionError::AuthWithoutTls => write!(
                f,
                "refusing to authenticate outside a verified TLS session (credentials would travel in plain text)"
            ),
            SessionError::Closed { waiting_for } => {
                write!(f, "server closed the connection while wary waited for its reply to {waiting_for}")
            }
            SessionError::Timeout { waiting_for } => {
                write!(f, "no reply to {waiting_for} before the timeout")
            }
            SessionError::Misuse(what) => write!(f, "session used out of order: {what}"),
            SessionError::Aborted => write!(f, "the connection to the server broke"),
        }
    }
}

/// The variants that wrap a cause (a malformed reply, a SASL failure) hand it out.
impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::MalformedReply { error, .. } => Some(error),
            SessionError::Sasl(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a message was not started; nothing of it was sent. The session stays usable.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubmitError {
    /// The envelope has no recipient.
    NoRecipients,
    /// An address is not ASCII and the server does not offer SMTPUTF8 (RFC 6531 §3.2).
    Utf8NotOffered(Mailbox),
    /// The message has 8-bit octets and the server offers no 8BITMIME (RFC 6152 §3).
    EightBitNotOffered,
    /// The message is larger than the server's SIZE (RFC 1870 §6).
    TooLarge {
        /// The message's size.
        size: usize,
        /// The server's limit.
        limit: u64,
    },
    /// DSN options were asked for and the server does not offer DSN (RFC 3461 §4).
    DsnNotOffered,
    /// The message itself cannot be sent.
    Message(MessageError),
    /// An envelope value (ENVID, ORCPT, ...) cannot be encoded as an ESMTP parameter.
    Value(InvalidValue),
    /// The session is not ready for a message (still opening, or closed).
    NotReady,
}

impl SubmitError {
    /// Who is to blame.
    pub fn fault(&self) -> Fault {
        match self {
            SubmitError::NotReady => Fault::Config,
            _ => Fault::Input,
        }
    }
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::NoRecipients => write!(f, "the message has no recipients"),
            SubmitError::Utf8NotOffered(m) => write!(
                f,
                "address {m} is not ASCII and the server does not offer SMTPUTF8 (RFC 6531); not sent"
            ),
            SubmitError::EightBitNotOffered => write!(
                f,
                "the message has 8-bit octets and the server does not offer 8BITMIME (RFC 6152); encode it (quoted-printable or base64)"
            ),
            SubmitError::TooLarge { size, limit } => write!(
                f,
                "the message is {size} octets and the server accepts at most {limit} (SIZE, RFC 1870); not sent"
            ),
            SubmitError::DsnNotOffered => {
                write!(f, "DSN options were given but the server does not offer DSN (RFC 3461)")
            }
            SubmitError::Message(e) => e.fmt(f),
            SubmitError::Value(e) => e.fmt(f),
            SubmitError::NotReady => write!(f, "the session is not ready for a message"),
        }
    }
}

/// The variants that wrap a cause (the message, an envelope value) hand it out.
impl std::error::Error for SubmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SubmitError::Message(e) => Some(e),
            SubmitError::Value(e) => Some(e),
            _ => None,
        }
    }
}

impl From<MessageError> for SubmitError {
    fn from(e: MessageError) -> Self {
        SubmitError::Message(e)
    }
}
