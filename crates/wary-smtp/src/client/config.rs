//! Where and how a driver connects: the server, the TLS trust and name rules, and the
//! [`SessionConfig`] the sans-IO session runs with (held whole, not copied field by field,
//! so a setting added to the session needs no second copy here).

use crate::proto::{AuthConfig, Domain, ReplyLimits, SessionConfig, Timeouts, TlsMode};
use crate::tls::Trust;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// Where and how to connect. Built with [`ClientConfig::builder`] (or [`ClientConfig::new`]
/// for STARTTLS with the system's roots).
///
/// ```
/// use wary_smtp::proto::{Domain, TlsMode};
/// use wary_smtp::{ClientConfig, Trust};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = ClientConfig::builder("mail.example.org", 465)
///     .tls(TlsMode::Implicit)
///     .trust(Trust::CaFile("/etc/ssl/my-ca.pem".into()))
///     .helo(Domain::parse("client.example.org")?)
///     .build();
/// assert_eq!(config.port(), 465);
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    host: String,
    port: u16,
    session: SessionConfig,
    /// EHLO names the local end's address (`[192.0.2.1]`), learned when connected: no name
    /// was given. `session.helo` is a placeholder until then.
    local_helo: bool,
    tls: TlsSource,
    tls_server_name: Option<String>,
    danger_accept_invalid_hostnames: bool,
}

/// Where the rustls configuration comes from.
#[derive(Clone)]
pub(crate) enum TlsSource {
    /// Built by wary (ring, TLS 1.2 and 1.3) over these roots.
    Trust(Trust),
    /// The caller's own (custom roots, client certificates, another provider).
    Rustls(Arc<rustls::ClientConfig>),
}

impl ClientConfig {
    /// STARTTLS with the system's trust roots, default timeouts, no AUTH.
    pub fn new(host: &str, port: u16) -> ClientConfig {
        ClientConfig::builder(host, port).build()
    }

    /// A builder starting from [`ClientConfig::new`]'s defaults.
    pub fn builder(host: &str, port: u16) -> ClientConfigBuilder {
        ClientConfigBuilder {
            config: ClientConfig {
                host: host.to_owned(),
                port,
                session: SessionConfig::new(Domain::literal(IpAddr::V4(Ipv4Addr::UNSPECIFIED))),
                local_helo: true,
                tls: TlsSource::Trust(Trust::System),
                tls_server_name: None,
                danger_accept_invalid_hostnames: false,
            },
        }
    }

    /// A builder holding this configuration, to change some of it.
    pub fn to_builder(&self) -> ClientConfigBuilder {
        ClientConfigBuilder {
            config: self.clone(),
        }
    }

    /// Host name or IP address of the server.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The session's settings. Its `helo` is only meaningful when [`ClientConfig::helo`]
    /// is `Some`: otherwise EHLO names the local address, learned when connected.
    pub fn session(&self) -> &SessionConfig {
        &self.session
    }

    /// The EHLO name given, or `None` for the local end's address literal.
    pub fn helo(&self) -> Option<&Domain> {
        (!self.local_helo).then_some(&self.session.helo)
    }

    /// TLS mode.
    pub fn tls_mode(&self) -> TlsMode {
        self.session.tls
    }

    /// The name the certificate must match: the one given, else the host.
    pub fn tls_server_name(&self) -> &str {
        self.tls_server_name.as_deref().unwrap_or(&self.host)
    }

    /// True when [`ClientConfigBuilder::danger_accept_invalid_hostnames`] was called.
    pub fn accepts_invalid_hostnames(&self) -> bool {
        self.danger_accept_invalid_hostnames
    }

    /// The session configuration with the EHLO name settled (`local` is the local end's
    /// address, when the transport knows it).
    pub(crate) fn session_for(&self, local: Option<IpAddr>) -> Option<SessionConfig> {
        let mut session = self.session.clone();
        if self.local_helo {
            session.helo = Domain::literal(local?);
        }
        Some(session)
    }

    pub(crate) fn tls_source(&self) -> &TlsSource {
        &self.tls
    }
}

impl fmt::Debug for ClientConfig {
    // Credentials print without their secret (`Credentials`' own Debug); a caller's rustls
    // configuration prints as a placeholder (it may hold a client key).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tls: &dyn fmt::Debug = match &self.tls {
            TlsSource::Trust(t) => t,
            TlsSource::Rustls(_) => &"the caller's rustls::ClientConfig",
        };
        f.debug_struct("ClientConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("helo", &self.helo())
            .field("tls", &self.session.tls)
            .field("trust", tls)
            .field("tls_server_name", &self.tls_server_name())
            .field(
                "danger_accept_invalid_hostnames",
                &self.danger_accept_invalid_hostnames,
            )
            .field("auth", &self.session.auth)
            .field("timeouts", &self.session.timeouts)
            .field("limits", &self.session.limits)
            .field("pipelining", &self.session.pipelining)
            .field("chunking", &self.session.chunking)
            .finish()
    }
}

/// Builds a [`ClientConfig`]. Every setting has a secure default; the only way to weaken
/// the certificate check is [`ClientConfigBuilder::danger_accept_invalid_hostnames`].
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
}

impl ClientConfigBuilder {
    /// TLS mode (default: STARTTLS).
    pub fn tls(mut self, mode: TlsMode) -> Self {
        self.config.session.tls = mode;
        self
    }

    /// Which CAs wary's own rustls configuration trusts (default: the system's). Replaces
    /// a [`ClientConfigBuilder::rustls_config`] given before.
    pub fn trust(mut self, trust: Trust) -> Self {
        self.config.tls = TlsSource::Trust(trust);
        self
    }

    /// Your own rustls configuration: custom roots, client certificates, another crypto
    /// provider. Its certificate verifier is yours and runs as you built it; wary checks
    /// the host name against the server's certificate itself as well, after the handshake,
    /// so a verifier that accepts anything still cannot make a wrong name pass (unless
    /// [`ClientConfigBuilder::danger_accept_invalid_hostnames`]). Replaces a
    /// [`ClientConfigBuilder::trust`] given before.
    pub fn rustls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.config.tls = TlsSource::Rustls(config);
        self
    }

    /// The name the certificate must match (default: the host).
    pub fn tls_server_name(mut self, name: impl Into<String>) -> Self {
        self.config.tls_server_name = Some(name.into());
        self
    }

    /// The EHLO name (default: the address literal of the local end, `[192.0.2.1]`).
    pub fn helo(mut self, name: Domain) -> Self {
        self.config.session.helo = name;
        self.config.local_helo = false;
        self
    }

    /// Log in after TLS.
    pub fn auth(mut self, auth: AuthConfig) -> Self {
        self.config.session.auth = Some(auth);
        self
    }

    /// Per-phase timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.config.session.timeouts = timeouts;
        self
    }

    /// Caps on replies.
    pub fn limits(mut self, limits: ReplyLimits) -> Self {
        self.config.session.limits = limits;
        self
    }

    /// Use PIPELINING when offered (default: yes).
    pub fn pipelining(mut self, on: bool) -> Self {
        self.config.session.pipelining = on;
        self
    }

    /// Use CHUNKING (BDAT) when offered (default: yes).
    pub fn chunking(mut self, on: bool) -> Self {
        self.config.session.chunking = on;
        self
    }

    /// Every session setting at once, its EHLO name included.
    pub fn session(mut self, session: SessionConfig) -> Self {
        self.config.session = session;
        self.config.local_helo = false;
        self
    }

    /// **Dangerous:** accept a certificate that is not valid for the server's name. The
    /// chain is still verified (with wary's own trust roots; a
    /// [`ClientConfigBuilder::rustls_config`] verifier is yours and unchanged), but anyone
    /// holding any certificate from a trusted CA can then read and change the mail: use it
    /// only for a server you reach by an address its certificate does not name, and prefer
    /// [`ClientConfigBuilder::tls_server_name`].
    pub fn danger_accept_invalid_hostnames(mut self) -> Self {
        self.config.danger_accept_invalid_hostnames = true;
        self
    }

    /// The configuration.
    pub fn build(self) -> ClientConfig {
        self.config
    }
}
