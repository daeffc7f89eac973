//! The drivers: sockets (or your own stream) and rustls around the sans-IO [`Session`].
//! They only move bytes and time: every protocol decision is the session's, and every
//! driver decision (TLS records, deadlines, the order of reports and errors) is made once,
//! in a step machine both drivers run (`driver`), so the two cannot drift.
//!
//! - [`Client`]: blocking, over `std::net` or any [`Transport`].
//! - `AsyncClient` (feature `tokio`): the same over tokio, or any
//!   `AsyncRead + AsyncWrite + Unpin + Send` stream.
//!
//! One client is one connection, which can carry many messages (`send` per message, or
//! `send_many`), pipelined and chunked when the server offers it. The drivers never buffer
//! plain text of their own: whatever a read returns goes to the session, so bytes injected
//! after the 220 to STARTTLS are seen (and refused) by the session, and bytes arriving later
//! are read by rustls as a broken handshake.
//!
//! [`Session`]: crate::proto::Session

mod batch;
mod blocking;
pub mod config;
pub(crate) mod driver;
#[cfg(feature = "tokio")]
mod tokio;

pub use blocking::{Client, Transport, Untimed};
pub use config::{ClientConfig, ClientConfigBuilder};
#[cfg(feature = "tokio")]
pub use tokio::AsyncClient;

use crate::error::Error;
use crate::proto::{Session, TlsMode};
use crate::tls;
use driver::Driver;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The most bytes written under one [`Timeouts::data_block`] deadline. RFC 5321 §4.5.3.2.5
/// gives each TCP send call 3 minutes; a send call can take one octet, so wary bounds each
/// piece of this size instead: a server reading one octet a minute cannot hold the client
/// for ever, and an upload of n octets waits at most n / WRITE_PIECE × data_block.
///
/// [`Timeouts::data_block`]: crate::proto::Timeouts::data_block
pub const WRITE_PIECE: usize = 64 * 1024;

/// The accessors both clients offer, written once: each reads the session the client's
/// `driver` field runs, so the two cannot drift. Expanded inside each client's `impl`.
macro_rules! session_accessors {
    () => {
        /// The server's capabilities (from the EHLO after TLS, in TLS modes).
        pub fn capabilities(&self) -> Option<&crate::proto::Capabilities> {
            self.driver.session().capabilities()
        }

        /// The TLS session, when there is one.
        pub fn tls(&self) -> Option<&crate::proto::TlsInfo> {
            self.driver.session().tls()
        }

        /// True when the server can take another message on this connection.
        pub fn is_ready(&self) -> bool {
            self.driver.session().is_ready()
        }

        /// True when the session is over: after QUIT, after the server closed it (a 421,
        /// which the last report's final reply shows), or after an error. Reconnect to send
        /// more.
        pub fn is_closed(&self) -> bool {
            self.driver.session().is_closed()
        }

        /// Round trips on this connection so far.
        pub fn round_trips(&self) -> u32 {
            self.driver.session().round_trips()
        }

        /// The AUTH mechanism the session logged in with, if it did.
        pub fn authenticated(&self) -> Option<&crate::proto::Mechanism> {
            self.driver.session().authenticated()
        }
    };
}
use session_accessors;

/// Checks the TLS settings before any traffic: a bad CA file or name is reported first.
fn prepare(config: &ClientConfig) -> Result<Option<tls::Target>, Error> {
    Ok(tls::target(config)?)
}

/// The shared driver for a connection whose local address is `local` (when known).
fn start(
    config: &ClientConfig,
    target: Option<tls::Target>,
    local: Option<IpAddr>,
) -> Result<Driver, Error> {
    let session_config = config
        .session_for(local)
        .ok_or(Error::Session(crate::proto::SessionError::Misuse(
        "the stream has no local IP address to name in EHLO: give one (ClientConfigBuilder::helo)",
    )))?;
    let mut entropy = [0u8; 18];
    tls::provider()
        .secure_random
        .fill(&mut entropy)
        .map_err(|_| Error::Io {
            during: "drawing a nonce",
            source: io::Error::other("no secure random source"),
        })?;
    let timeouts = session_config.timeouts;
    let implicit = session_config.tls == TlsMode::Implicit;
    let session = Session::new(session_config, entropy, Instant::now())?;
    Ok(Driver::new(session, target, timeouts, implicit))
}

/// `host` without the brackets of an IPv6 literal (`[::1]`).
fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// The resolved addresses, or why there are none.
fn resolved(
    host: &str,
    addrs: io::Result<impl Iterator<Item = SocketAddr>>,
) -> Result<Vec<SocketAddr>, Error> {
    let addrs: Vec<SocketAddr> = addrs
        .map_err(|source| Error::Resolve {
            host: host.to_owned(),
            source,
        })?
        .collect();
    if addrs.is_empty() {
        return Err(Error::Resolve {
            host: host.to_owned(),
            source: io::Error::other("no address"),
        });
    }
    Ok(addrs)
}

/// No address accepted a connection.
fn connect_failed(addrs: &[SocketAddr], last: io::Error) -> Error {
    let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    Error::Connect {
        addrs: list.join(", "),
        source: last,
    }
}

/// Turns Nagle off on a new socket: every batch is one write, and Nagle would only delay it.
fn no_delay(result: io::Result<()>) -> Result<(), Error> {
    result.map_err(|source| Error::Io {
        during: "configuring the socket",
        source,
    })
}

/// Socket timeouts of zero mean "forever" in std; never pass one.
fn nonzero(d: Duration) -> Duration {
    d.max(Duration::from_millis(1))
}
