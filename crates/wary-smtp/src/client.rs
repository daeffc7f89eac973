//! The blocking driver: `std::net` sockets and rustls around the sans-IO [`Session`]. It only
//! moves bytes and time: every protocol decision is the session's. One [`Client`] is one
//! connection, which can carry many messages ([`Client::send`] per message, or
//! [`Client::send_many`]), pipelined and chunked when the server offers it.
//!
//! The driver never buffers plain text of its own: whatever a read returns goes to the
//! session, so bytes injected after the 220 to STARTTLS are seen (and refused) by the
//! session, and bytes arriving later are read by rustls as a broken handshake.

use crate::error::{classify, Error};
use crate::proto::{
    AuthConfig, Capabilities, DeliveryReport, Domain, Envelope, Event, Message, ReplyLimits,
    Session, SessionConfig, SessionError, SubmitError, Timeouts, TlsInfo, TlsMode, TlsUpgrade,
};
use crate::tls::{self, Trust};
use rustls::pki_types::ServerName;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Host name or IP address of the server.
    pub host: String,
    /// TCP port (587 for STARTTLS submission, 465 for implicit TLS).
    pub port: u16,
    /// TLS mode.
    pub tls: TlsMode,
    /// Which CAs to trust.
    pub trust: Trust,
    /// The name the certificate must match (default: `host`).
    pub tls_server_name: Option<String>,
    /// The EHLO name (default: the address literal of the local end, `[192.0.2.1]`).
    pub helo: Option<Domain>,
    /// Log in after TLS.
    pub auth: Option<AuthConfig>,
    /// Per-phase timeouts.
    pub timeouts: Timeouts,
    /// Caps on replies.
    pub limits: ReplyLimits,
    /// Use PIPELINING when offered.
    pub pipelining: bool,
    /// Use CHUNKING (BDAT) when offered.
    pub chunking: bool,
}

impl ClientConfig {
    /// STARTTLS with the system's trust roots, default timeouts, no AUTH.
    pub fn new(host: &str, port: u16) -> ClientConfig {
        ClientConfig {
            host: host.to_owned(),
            port,
            tls: TlsMode::StartTls,
            trust: Trust::System,
            tls_server_name: None,
            helo: None,
            auth: None,
            timeouts: Timeouts::default(),
            limits: ReplyLimits::default(),
            pipelining: true,
            chunking: true,
        }
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

/// An open SMTP session over one connection.
pub struct Client {
    session: Session,
    stream: Option<Stream>,
    tls_config: Option<Arc<rustls::ClientConfig>>,
    server_name: Option<(ServerName<'static>, String)>,
    timeouts: Timeouts,
    buf: Vec<u8>,
}

impl Client {
    /// Connects, reads the greeting, sends EHLO, does STARTTLS (or implicit TLS), EHLO again,
    /// and AUTH when configured: on success the session is ready for messages.
    pub fn connect(config: &ClientConfig) -> Result<Client, Error> {
        // Configure TLS first: a bad CA file or name is reported before any traffic.
        let (tls_config, server_name) = if config.tls == TlsMode::DangerPlainText {
            (None, None)
        } else {
            let name = config
                .tls_server_name
                .clone()
                .unwrap_or_else(|| config.host.clone());
            let server_name = tls::server_name(&name)?;
            (
                Some(tls::client_config(&config.trust)?),
                Some((server_name, name)),
            )
        };
        let tcp = connect_tcp(&config.host, config.port, config.timeouts.connect)?;
        let helo = match &config.helo {
            Some(h) => h.clone(),
            None => {
                let local = tcp.local_addr().map_err(|source| Error::Io {
                    during: "reading the local address",
                    source,
                })?;
                Domain::literal(local.ip())
            }
        };
        let mut entropy = [0u8; 18];
        tls::provider()
            .secure_random
            .fill(&mut entropy)
            .map_err(|_| Error::Io {
                during: "drawing a nonce",
                source: io::Error::other("no secure random source"),
            })?;
        let session_config = SessionConfig {
            helo,
            tls: config.tls,
            auth: config.auth.clone(),
            limits: config.limits,
            timeouts: config.timeouts,
            pipelining: config.pipelining,
            chunking: config.chunking,
        };
        let session = Session::new(session_config, entropy, Instant::now())?;
        let mut client = Client {
            session,
            stream: Some(Stream::Plain(tcp)),
            tls_config,
            server_name,
            timeouts: config.timeouts,
            buf: vec![0; 16 * 1024],
        };
        client.drive(|ev| matches!(ev, Event::Ready).then_some(()))?;
        Ok(client)
    }

    /// Sends one message and returns what the server said about it. An `Ok` report can
    /// still say the message was refused, or refused for some recipients: check
    /// [`DeliveryReport::outcome`]. After an `Err`, the connection is unusable.
    pub fn send(
        &mut self,
        envelope: &Envelope,
        message: &Message,
    ) -> Result<DeliveryReport, Error> {
        self.session.send_message(envelope, message)?;
        self.drive(|ev| match ev {
            Event::Delivered(r) => Some(*r),
            _ => None,
        })
    }

    /// Sends many messages over this connection. With PIPELINING, messages are queued in
    /// the session (up to
    /// [`MAX_MESSAGES_IN_FLIGHT`](crate::proto::transaction::MAX_MESSAGES_IN_FLIGHT)) and
    /// each envelope goes in the same write as the previous message's content, so n
    /// messages cost n + 1 round trips instead of [`Client::send`]'s 2n. A message's content
    /// still leaves only after its own RCPT replies accepted someone. Without PIPELINING
    /// they go one after the other.
    ///
    /// `on_report` is called exactly once per message with its index: with its report (check
    /// [`DeliveryReport::outcome`]), or with the reason it was refused before sending. An
    /// `Err` ends the connection; messages that got no call were not (known to be)
    /// delivered.
    pub fn send_many<'a, I>(
        &mut self,
        messages: I,
        mut on_report: impl FnMut(usize, Result<DeliveryReport, SubmitError>),
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a Message)>,
    {
        let mut queue = messages.into_iter().enumerate().peekable();
        let mut in_flight = std::collections::VecDeque::new();
        loop {
            while self.session.can_send() {
                let Some((i, (envelope, message))) = queue.next() else {
                    break;
                };
                match self.session.send_message(envelope, message) {
                    Ok(()) => in_flight.push_back(i),
                    Err(e) => on_report(i, Err(e)),
                }
            }
            if in_flight.is_empty() {
                if queue.peek().is_none() {
                    return Ok(());
                }
                // The server closed the session (421) with messages left to send.
                return Err(Error::Session(SessionError::Closed {
                    waiting_for: "the chance to send the remaining messages",
                }));
            }
            let report = self.drive(|ev| match ev {
                Event::Delivered(r) => Some(Some(*r)),
                Event::Closed => Some(None),
                _ => None,
            })?;
            if let Some(report) = report {
                // NOTE: reports come in the order the messages were queued.
                if let Some(i) = in_flight.pop_front() {
                    on_report(i, Ok(report));
                }
            }
        }
    }

    /// The server's capabilities (from the EHLO after TLS, in TLS modes).
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.session.capabilities()
    }

    /// The TLS session, when there is one.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.session.tls()
    }

    /// True when the server can take another message on this connection.
    pub fn is_ready(&self) -> bool {
        self.session.is_ready()
    }

    /// Round trips on this connection so far.
    pub fn round_trips(&self) -> u32 {
        self.session.round_trips()
    }

    /// Sends QUIT and waits for the reply (or the close), then closes the connection.
    pub fn quit(mut self) -> Result<(), Error> {
        if self.session.is_closed() {
            return Ok(());
        }
        self.session.quit();
        let result = self.drive(|ev| matches!(ev, Event::Closed).then_some(()));
        if let Some(Stream::Tls(mut s)) = self.stream.take() {
            s.conn.send_close_notify();
            // NOTE: the peer may be gone already; closing is best effort.
            let _ = s.conn.complete_io(&mut s.sock);
        }
        result
    }

    /// Runs the session until `done` accepts an event.
    fn drive<T>(&mut self, mut done: impl FnMut(Event) -> Option<T>) -> Result<T, Error> {
        loop {
            if let Some(bytes) = self.session.poll_transmit(Instant::now()) {
                self.write(&bytes)?;
                continue;
            }
            if let Some(ev) = self.session.poll_event() {
                match ev {
                    Event::StartTls(proof) => self.handshake(proof)?,
                    Event::Closed => {
                        if let Some(t) = done(Event::Closed) {
                            return Ok(t);
                        }
                        return Err(Error::Session(SessionError::Closed {
                            waiting_for: "the next reply",
                        }));
                    }
                    other => {
                        if let Some(t) = done(other) {
                            return Ok(t);
                        }
                    }
                }
                continue;
            }
            if self.session.wants_input() {
                self.read()?;
                continue;
            }
            return Err(Error::Session(SessionError::Misuse(
                "the session has nothing to do",
            )));
        }
    }

    fn stream(&mut self) -> Result<&mut Stream, Error> {
        self.stream
            .as_mut()
            .ok_or(Error::Session(SessionError::Misuse(
                "the connection is gone",
            )))
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let timeout = Some(nonzero(self.timeouts.data_block));
        let stream = self.stream()?;
        stream
            .tcp()
            .set_write_timeout(timeout)
            .map_err(|source| Error::Io {
                during: "setting a timeout",
                source,
            })?;
        let result = match stream {
            Stream::Plain(s) => s.write_all(bytes).and_then(|()| s.flush()),
            Stream::Tls(s) => s.write_all(bytes).and_then(|()| s.flush()),
        };
        result.map_err(|e| classify("sending to the server", e))
    }

    fn read(&mut self) -> Result<(), Error> {
        let now = Instant::now();
        let wait = match self.session.deadline() {
            Some(d) if d <= now => return Ok(self.session.handle_timeout(now)?),
            Some(d) => d - now,
            None => self.timeouts.command,
        };
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.read_into(&mut buf, wait);
        self.buf = buf;
        result
    }

    fn read_into(&mut self, buf: &mut [u8], wait: Duration) -> Result<(), Error> {
        let stream = self.stream()?;
        stream
            .tcp()
            .set_read_timeout(Some(nonzero(wait)))
            .map_err(|source| Error::Io {
                during: "setting a timeout",
                source,
            })?;
        let got = match stream {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => read_tls(s, buf, Instant::now() + wait),
        };
        match got {
            Ok(0) => Ok(self.session.handle_close()?),
            Ok(n) => Ok(self.session.handle_input(&buf[..n], Instant::now())?),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(self.session.handle_timeout(Instant::now())?)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            // A TLS peer that closes without close_notify: a close all the same, which the
            // session judges (an error whenever a reply was due).
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Ok(self.session.handle_close()?)
            }
            Err(e) => Err(classify("reading from the server", e)),
        }
    }

    /// Does the verified TLS handshake the session asked for, then hands the proof back.
    fn handshake(&mut self, proof: TlsUpgrade) -> Result<(), Error> {
        let (Some(config), Some((name, name_text))) =
            (self.tls_config.clone(), self.server_name.clone())
        else {
            return Err(Error::Session(SessionError::Misuse(
                "TLS requested in plain-text mode",
            )));
        };
        let Some(Stream::Plain(mut tcp)) = self.stream.take() else {
            return Err(Error::Session(SessionError::Misuse("TLS requested twice")));
        };
        let mut conn = rustls::ClientConnection::new(config, name).map_err(|error| Error::Tls {
            during: "starting the handshake",
            error,
        })?;
        let deadline = Instant::now() + self.timeouts.tls_handshake;
        while conn.is_handshaking() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Io {
                    during: "during the TLS handshake",
                    source: io::ErrorKind::TimedOut.into(),
                });
            }
            tcp.set_read_timeout(Some(left))
                .and_then(|()| tcp.set_write_timeout(Some(left)))
                .map_err(|source| Error::Io {
                    during: "setting a timeout",
                    source,
                })?;
            match conn.complete_io(&mut tcp) {
                Ok((0, 0)) if conn.is_handshaking() && !conn.wants_write() => {
                    // EOF in the middle of the handshake.
                    return Err(Error::Io {
                        during: "during the TLS handshake",
                        source: io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the server closed the connection",
                        ),
                    });
                }
                Ok(_) => {}
                Err(e) => return Err(classify("during the TLS handshake", e)),
            }
        }
        let info = tls::session_info(&conn, &name_text);
        self.stream = Some(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))));
        Ok(self.session.tls_established(proof, info, Instant::now())?)
    }
}

/// Reads plaintext from a TLS stream, never waiting past `deadline` in total: rustls's own
/// `Stream::read` would restart the socket timeout for every TLS fragment, so a server
/// dripping fragments could hold the client indefinitely.
fn read_tls(
    s: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    buf: &mut [u8],
    deadline: Instant,
) -> io::Result<usize> {
    loop {
        // Ok(0) after close_notify, UnexpectedEof after a bare TCP close, WouldBlock when
        // no plaintext is buffered yet.
        match s.conn.reader().read(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => return other,
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        s.sock.set_read_timeout(Some(left))?;
        s.conn.read_tls(&mut s.sock)?;
        s.conn
            .process_new_packets()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        // Alerts or key-update answers rustls wants to send.
        while s.conn.wants_write() {
            s.conn.write_tls(&mut s.sock)?;
        }
    }
}

/// Resolves `host` and connects to the first address that answers.
fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, Error> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let addrs: Vec<SocketAddr> = (bare, port)
        .to_socket_addrs()
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
    let mut last = io::Error::other("no address");
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, nonzero(timeout)) {
            Ok(s) => {
                // Every batch is one write; Nagle would only delay it.
                s.set_nodelay(true).map_err(|source| Error::Io {
                    during: "configuring the socket",
                    source,
                })?;
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
    Err(Error::Connect {
        addrs: list.join(", "),
        source: last,
    })
}

/// Socket timeouts of zero mean "forever" in std; never pass one.
fn nonzero(d: Duration) -> Duration {
    d.max(Duration::from_millis(1))
}
