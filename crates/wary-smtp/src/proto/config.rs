//! What a session is told before it starts: the TLS mode, AUTH, reply caps, timeouts and
//! which extensions to use. Each type is `#[non_exhaustive]` with a constructor and `with_*`
//! builders, so new settings can be added without breaking callers.

use super::mechanism::Mechanism;
use super::reply::ReplyLimits;
use super::sasl::Credentials;
use super::timeouts::Timeouts;
use super::types::Domain;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain TCP, then STARTTLS, which must succeed (RFC 3207). The default.
    StartTls,
    /// TLS from the first byte (RFC 8314 §3, port 465).
    Implicit,
    /// No TLS at all: everything, including the message, travels in plain text. AUTH is
    /// never sent in this mode.
    DangerPlainText,
}

/// AUTH settings.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthConfig {
    /// What to log in with.
    pub credentials: Credentials,
    /// Use only this mechanism; `None` picks the strongest one offered.
    pub mechanism: Option<Mechanism>,
}

impl AuthConfig {
    /// Log in with `credentials`, by the strongest mechanism offered that fits them.
    pub fn new(credentials: Credentials) -> AuthConfig {
        AuthConfig {
            credentials,
            mechanism: None,
        }
    }
    /// Use only `mechanism` (the session fails if the server does not offer it).
    pub fn with_mechanism(mut self, mechanism: Mechanism) -> AuthConfig {
        self.mechanism = Some(mechanism);
        self
    }
}

/// Everything the session needs to know before it starts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// The name sent in EHLO (a domain, or an address literal such as `[192.0.2.1]`).
    pub helo: Domain,
    /// TLS mode.
    pub tls: TlsMode,
    /// Log in after TLS, if set.
    pub auth: Option<AuthConfig>,
    /// Caps on replies.
    pub limits: ReplyLimits,
    /// Per-phase timeouts.
    pub timeouts: Timeouts,
    /// Batch commands when the server offers PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// Send the message with `BDAT … LAST` when the server offers CHUNKING (RFC 3030).
    pub chunking: bool,
}

impl SessionConfig {
    /// STARTTLS, no AUTH, default limits and timeouts, pipelining and chunking when offered.
    pub fn new(helo: Domain) -> SessionConfig {
        SessionConfig {
            helo,
            tls: TlsMode::StartTls,
            auth: None,
            limits: ReplyLimits::default(),
            timeouts: Timeouts::default(),
            pipelining: true,
            chunking: true,
        }
    }
    /// With the TLS mode.
    pub fn with_tls(mut self, tls: TlsMode) -> SessionConfig {
        self.tls = tls;
        self
    }
    /// With AUTH after TLS.
    pub fn with_auth(mut self, auth: AuthConfig) -> SessionConfig {
        self.auth = Some(auth);
        self
    }
    /// With caps on replies.
    pub fn with_limits(mut self, limits: ReplyLimits) -> SessionConfig {
        self.limits = limits;
        self
    }
    /// With per-phase timeouts.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> SessionConfig {
        self.timeouts = timeouts;
        self
    }
    /// Whether to use PIPELINING when offered (RFC 2920).
    pub fn with_pipelining(mut self, on: bool) -> SessionConfig {
        self.pipelining = on;
        self
    }
    /// Whether to use CHUNKING (BDAT) when offered (RFC 3030).
    pub fn with_chunking(mut self, on: bool) -> SessionConfig {
        self.chunking = on;
        self
    }
}
