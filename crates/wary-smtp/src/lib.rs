//! wary-smtp: an SMTP submission client whose TLS can never silently fail.
//!
//! - [`proto`]: the sans-IO core (replies, checked wire values, commands, the session state
//!   machine). The STARTTLS boundary is a proof: only an exact 220 with nothing buffered
//!   behind it yields the value that lets the driver start TLS, and crossing it discards
//!   every capability learned in plain text.
//! - [`Client`]: the blocking driver over `std::net` (or your own [`Transport`], with
//!   [`Client::over`]) and rustls; one connection, many messages, each returning a
//!   `#[must_use]` [`DeliveryReport`]. A message's content leaves only after its RCPT replies
//!   accepted at least one recipient, so one message costs two round trips after the session
//!   opens; [`Client::send_many`] sends each envelope with the previous message's content,
//!   so n messages cost n + 1.
//! - `AsyncClient` (cargo feature `tokio`, off by default): the same API with `async`
//!   methods, over tokio's `TcpStream` or any `AsyncRead + AsyncWrite + Unpin + Send`. Both
//!   drivers run one shared step machine (TLS records, deadlines, 64 KiB write pieces, the
//!   order of reports and errors), so they behave alike; one table of tests runs against
//!   both.
//! - `Pool` (feature `tokio`): N connections shared by concurrent senders, one report per
//!   message, idle timeout, messages per connection, a new connection after a 421; a message
//!   is sent a second time only when its content provably never left (the rule is in the
//!   `pool` module's docs), so an unconfirmed message is reported, never sent twice.
//! - [`ClientConfig`]: where and how to connect, built with [`ClientConfig::builder`]; it
//!   holds the [`proto::SessionConfig`]. Your own `Arc<rustls::ClientConfig>` (custom roots,
//!   client certificates, another provider) goes in
//!   [`ClientConfigBuilder::rustls_config`]: its verifier is yours, and wary checks the host
//!   name itself after the handshake anyway, unless
//!   [`ClientConfigBuilder::danger_accept_invalid_hostnames`].
//! - [`tls`]: rustls configuration (ring, TLS ≥ 1.2, system roots or a CA file, host name
//!   always verified).
//! - [`headers`]: recipients and sender from a message's header section (`-t`).
//!
//! Written by hand, and why: the reply parser, session and message encoding are the point of
//! this crate (no existing SMTP crate exposes a sans-IO core with a typed STARTTLS boundary);
//! TLS, SASL primitives (HMAC, SHA-2, PBKDF2, SASLprep), base64 and X.509 decoding come from
//! rustls, RustCrypto, stringprep, base64 and x509-parser. The async driver uses tokio for
//! sockets and timers but not tokio-rustls: both drivers feed rustls byte slices through one
//! shared record path, which keeps the plaintext of good records read together with a bad
//! one (issue 9) and sees the first bytes of an implicit-TLS handshake.
//!
//! ```no_run
//! use wary_smtp::proto::{Envelope, Mailbox, Message, Outcome, ReversePath};
//! use wary_smtp::{Client, ClientConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut client = Client::connect(&ClientConfig::new("mail.example.org", 587))?;
//! let from = ReversePath::Mailbox(Mailbox::parse("me@example.org")?);
//! let envelope = Envelope::new(from, vec![Mailbox::parse("you@example.org")?]);
//! let report = client.send(&envelope, &Message::new(b"Subject: hi\r\n\r\nhello\r\n")?)?;
//! assert_eq!(report.outcome(), Outcome::Delivered);
//! client.quit()?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
#[cfg(feature = "mime")]
pub mod compose;
pub mod error;
pub mod headers;
#[cfg(feature = "tokio")]
pub mod pool;
pub mod proto;
pub mod tls;

#[cfg(feature = "tokio")]
pub use client::AsyncClient;
pub use client::{Client, ClientConfig, ClientConfigBuilder, Transport, Untimed};
pub use error::Error;
#[cfg(feature = "tokio")]
pub use pool::{Pool, PoolConfig};
pub use proto::{DeliveryReport, Fault, Outcome};
pub use tls::Trust;
