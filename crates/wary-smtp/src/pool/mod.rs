//! A pool of SMTP connections (feature `tokio`): up to N sessions to one server, shared by
//! any number of concurrent senders, each [`Pool::send`] returning one report for its
//! message.
//!
//! - A connection carries one message at a time and is reused for the next; the session
//!   itself sends RSET after a transaction that needs it (one refused after MAIL was
//!   accepted), so a reused connection always starts clean.
//! - A connection idle longer than [`PoolConfig::with_idle_timeout`] is closed with QUIT, one
//!   that carried [`PoolConfig::with_max_messages_per_connection`] messages too.
//! - A server that closes a connection (a 421, or a plain close) costs that connection only;
//!   the next message opens a new one.
//!
//! # Never twice: the retry rule
//!
//! A message is sent again, **once, on a new connection**, only when the server provably
//! does not have it, which is when **its content never left the client** (the report's
//! `content_written` is false) **and nothing but the connection failed**: no reply refused
//! it, apart from a `421` (RFC 5321 §3.8: the server is closing the channel, whatever the
//! command). That covers a connection that was closed or broke before or during the
//! envelope (after the greeting, after EHLO, after MAIL, after RCPT), a 421 greeting or 421
//! to any command before the content, a connection that died while idle in the pool, and a
//! message the session never took ([`Status::NotSent`]).
//!
//! Why this is safe: SMTP gives the server a message only with its end, the `.` line after
//! DATA (RFC 5321 §4.1.1.4) or `BDAT … LAST` (RFC 3030 §2), and the session hands the
//! content to the connection only after MAIL and some RCPT were accepted. A message whose
//! content was never handed over cannot be in the server's queue. Once the content was
//! handed over, even partly, the client cannot know how much the server read: such a message
//! is reported ([`Status::Unconfirmed`] when no final reply came) and never sent again. A
//! 4xx other than 421 is the server's own verdict on the message (greylisting, a full
//! mailbox) and is reported as [`Status::Deferred`] for the caller to schedule, not retried
//! at once. The retry uses a new connection because the old one is dead or closing.
//!
//! [`Status::NotSent`]: crate::proto::Status::NotSent
//! [`Status::Unconfirmed`]: crate::proto::Status::Unconfirmed
//! [`Status::Deferred`]: crate::proto::Status::Deferred

mod conn;
mod core;

use crate::client::ClientConfig;
use crate::error::Error;
use crate::proto::{DeliveryReport, Envelope, Message};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Connections opened at most by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4;
/// How long an unused connection stays open by default: under the 5 minutes a server waits
/// for the next command (RFC 5321 §4.5.3.2.7), so the pool closes first.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Messages per connection by default before it is closed and a new one opened (servers
/// limit it too: Postfix's `smtpd_client_message_rate_limit`, Exim's
/// `smtp_accept_max_per_connection`, 1000 by default).
pub const DEFAULT_MAX_MESSAGES_PER_CONNECTION: usize = 100;

/// How the pool connects and how much it keeps open.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PoolConfig {
    /// Where and how each connection goes.
    pub client: ClientConfig,
    /// Most connections open at once (at least 1).
    pub max_connections: usize,
    /// An unused connection is closed after this long.
    pub idle_timeout: Duration,
    /// A connection is closed after carrying this many messages (at least 1).
    pub max_messages_per_connection: usize,
}

impl PoolConfig {
    /// [`DEFAULT_MAX_CONNECTIONS`], [`DEFAULT_IDLE_TIMEOUT`] and
    /// [`DEFAULT_MAX_MESSAGES_PER_CONNECTION`].
    pub fn new(client: ClientConfig) -> PoolConfig {
        PoolConfig {
            client,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_messages_per_connection: DEFAULT_MAX_MESSAGES_PER_CONNECTION,
        }
    }
    /// With at most `n` connections (0 is taken as 1).
    pub fn with_max_connections(mut self, n: usize) -> PoolConfig {
        self.max_connections = n;
        self
    }
    /// With the idle timeout.
    pub fn with_idle_timeout(mut self, d: Duration) -> PoolConfig {
        self.idle_timeout = d;
        self
    }
    /// With at most `n` messages per connection (0 is taken as 1).
    pub fn with_max_messages_per_connection(mut self, n: usize) -> PoolConfig {
        self.max_messages_per_connection = n;
        self
    }
}

/// A pool of connections to one server. Cloning it is cheap and shares the connections.
///
/// It needs a tokio runtime with the time and I/O drivers enabled. Dropping the last clone
/// drops the idle connections without QUIT; call [`Pool::close`] to end them politely.
/// Dropping a [`Pool::send`] future before it completes drops its connection: its message
/// may or may not have been delivered, and no report says which.
#[derive(Clone)]
pub struct Pool {
    core: Arc<core::Core<conn::Connect>>,
}

impl Pool {
    /// A pool that connects on demand (no connection is opened here). Inside a tokio
    /// runtime it starts a task that closes idle connections when they time out; without
    /// one, they are closed when the pool next looks at them.
    pub fn new(config: PoolConfig) -> Pool {
        Pool {
            core: core::Core::start(config, conn::Connect),
        }
    }

    /// Sends one message over a pooled connection and returns its report (see
    /// [`DeliveryReport::status`]). Waits for a free connection when all are busy.
    ///
    /// `Err` means the message never left: it could not be started
    /// ([`Error::Submit`]: the envelope or message does not fit the server), or no
    /// connection could be opened twice in a row. Everything that went on the wire is an
    /// `Ok` report, also when the connection then broke. See the module docs for when a
    /// message is sent a second time (never once its content was written).
    pub async fn send(
        &self,
        envelope: &Envelope,
        message: &Message,
    ) -> Result<DeliveryReport, Error> {
        self.core.send(envelope, message).await
    }

    /// Closes every idle connection with QUIT and waits for them. Connections in use are
    /// closed when their message is done if the pool is closed by then.
    pub async fn close(&self) {
        self.core.close().await;
    }

    /// Connections open now (idle or in use).
    pub fn connections(&self) -> usize {
        self.core.open_count()
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("config", &self.core.config)
            .field("connections", &self.core.open_count())
            .finish_non_exhaustive()
    }
}
