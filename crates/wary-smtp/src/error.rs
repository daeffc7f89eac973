//! Errors of the blocking client: the session's own errors plus what the network, name
//! resolution and TLS can do. Each maps to a [`Fault`], which says who is to blame.

use crate::proto::{Fault, SessionError, SubmitError};
use crate::tls::TlsConfigError;
use std::fmt;
use std::io;

/// A failure of [`crate::Client`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server's name could not be resolved.
    Resolve {
        /// The name.
        host: String,
        /// Why.
        source: io::Error,
    },
    /// No address of the server accepted a connection.
    Connect {
        /// The addresses tried.
        addrs: String,
        /// The last failure.
        source: io::Error,
    },
    /// Reading or writing failed.
    Io {
        /// What was going on.
        during: &'static str,
        /// Why.
        source: io::Error,
    },
    /// The TLS handshake or a TLS record failed: an untrusted, expired or wrong-name
    /// certificate, plain text instead of a handshake, a forged record... The connection
    /// is never used further.
    Tls {
        /// What was going on.
        during: &'static str,
        /// rustls's verdict.
        error: rustls::Error,
    },
    /// Implicit TLS was asked for and the server answered in plain SMTP (a `220` greeting
    /// where the TLS handshake should be): the port speaks plain text or STARTTLS.
    PlainTextNotTls {
        /// The start of what the server sent.
        received: String,
    },
    /// TLS could not be configured (CA file, server name).
    TlsConfig(TlsConfigError),
    /// The SMTP session failed.
    Session(SessionError),
    /// A message could not be started; nothing of it was sent.
    Submit(SubmitError),
}

impl Error {
    /// Who is to blame.
    pub fn fault(&self) -> Fault {
        match self {
            Error::Resolve { .. } => Fault::NoHost,
            Error::Connect { .. } | Error::Io { .. } => Fault::Transient,
            Error::Tls { .. } | Error::PlainTextNotTls { .. } => Fault::Protocol,
            Error::TlsConfig(_) => Fault::Config,
            Error::Session(e) => e.fault(),
            Error::Submit(e) => e.fault(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Resolve { host, source } => write!(f, "cannot resolve {host:?}: {source}"),
            Error::Connect { addrs, source } => write!(f, "cannot connect to {addrs}: {source}"),
            Error::Io { during, source } => match source.kind() {
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                    write!(f, "timed out {during}")
                }
                _ => write!(f, "network error {during}: {source}"),
            },
            Error::Tls { during, error } => write!(
                f,
                "TLS failed {during}: {error}; nothing was sent over this connection after it"
            ),
            Error::PlainTextNotTls { received } => write!(
                f,
                "implicit TLS was asked for but the server answered in plain SMTP ({received:?}): this port speaks plain text or STARTTLS; use STARTTLS (wary send --tls starttls, usually port 587)"
            ),
            Error::TlsConfig(e) => e.fmt(f),
            Error::Session(e) => e.fmt(f),
            Error::Submit(e) => e.fmt(f),
        }
    }
}

/// Every variant that wraps a cause hands it out, so a caller can walk the chain down to the
/// `io::Error` or `rustls::Error` (for example to tell an untrusted certificate from an
/// expired one). `Display` already says everything for a one-line message.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Resolve { source, .. }
            | Error::Connect { source, .. }
            | Error::Io { source, .. } => Some(source),
            Error::Tls { error, .. } => Some(error),
            Error::TlsConfig(e) => Some(e),
            Error::Session(e) => Some(e),
            Error::Submit(e) => Some(e),
            Error::PlainTextNotTls { .. } => None,
        }
    }
}

impl From<SessionError> for Error {
    fn from(e: SessionError) -> Self {
        Error::Session(e)
    }
}

impl From<SubmitError> for Error {
    fn from(e: SubmitError) -> Self {
        Error::Submit(e)
    }
}

impl From<TlsConfigError> for Error {
    fn from(e: TlsConfigError) -> Self {
        Error::TlsConfig(e)
    }
}

/// Splits an I/O error into a TLS verdict (when rustls produced it) or a network error.
pub(crate) fn classify(during: &'static str, e: io::Error) -> Error {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned();
    match tls {
        Some(error) => Error::Tls { during, error },
        None => Error::Io { during, source: e },
    }
}
