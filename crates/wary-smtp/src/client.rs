//! The blocking driver: `std::net` sockets and rustls around the sans-IO [`Session`]. It only
//! moves bytes and time: every protocol decision is the session's. One [`Client`] is one
//! connection, which can carry many messages ([`Client::send`] per message, or
//! [`Client::send_many`]), pipelined and chunked when the server offers it.
//!
//! The driver never buffers plain text of its own: whatever a read returns goes to the
//! session, so bytes injected after the 220 to STARTTLS are seen (and refused) by the
//! session, and bytes arriving later are read by rustls as a broken handshake.

use crate::error::{classify, Error};
use crate::proto::timeouts::deadline_after;
use crate::proto::Mechanism;
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
    /// An error the driver met. It is returned only after every event the session produced
    /// before it has been handed out (issue 9 class 2).
    failure: Option<Error>,
    /// A TLS error that came in the same read as plaintext before it: the plaintext goes to
    /// the session first, the error at the next read.
    tls_error: Option<rustls::Error>,
    /// TLS from the first byte (for the "server answered in plain text" diagnosis).
    implicit: bool,
}

/// The most bytes written under one [`Timeouts::data_block`] deadline. RFC 5321 §4.5.3.2.5
/// gives each TCP send call 3 minutes; a send call can take one octet, so wary bounds each
/// piece of this size instead: a server reading one octet a minute cannot hold the client
/// for ever, and an upload of n octets waits at most n / WRITE_PIECE × data_block.
pub const WRITE_PIECE: usize = 64 * 1024;

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
        let tcp = connect_tcp(&config.host, config.port, config.timeouts.clamped().connect)?;
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
            // Clamped like the session's, so no deadline arithmetic can overflow (issue 9).
            timeouts: config.timeouts.clamped(),
            buf: vec![0; 16 * 1024],
            failure: None,
            tls_error: None,
            implicit: config.tls == TlsMode::Implicit,
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
        on_report: impl FnMut(usize, Result<DeliveryReport, SubmitError>),
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a Message)>,
    {
        self.batch(messages, on_report, false)
    }

    /// [`Client::send_many`], then QUIT: with PIPELINING, QUIT goes in the same write as the
    /// last message's content (RFC 2920 §3.1), which saves the round trip a separate QUIT
    /// costs. Call [`Client::quit`] afterwards to read its reply and close the connection.
    pub fn send_many_then_quit<'a, I>(
        &mut self,
        messages: I,
        on_report: impl FnMut(usize, Result<DeliveryReport, SubmitError>),
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a Message)>,
    {
        self.batch(messages, on_report, true)
    }

    fn batch<'a, I>(
        &mut self,
        messages: I,
        mut on_report: impl FnMut(usize, Result<DeliveryReport, SubmitError>),
        quit: bool,
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
            if quit && queue.peek().is_none() {
                self.session.quit_when_done();
            }
            if in_flight.is_empty() {
                // Every message is settled; an error that ended the session after the last
                // report is still the caller's to know.
                if let Some(e) = self.take_failure() {
                    return Err(e);
                }
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

    /// The AUTH mechanism the session logged in with, if it did.
    pub fn authenticated(&self) -> Option<&Mechanism> {
        self.session.authenticated()
    }

    /// Sends QUIT (unless it is already on its way) and waits for the reply (or the close),
    /// then closes the connection, with a TLS close_notify.
    pub fn quit(mut self) -> Result<(), Error> {
        if self.session.is_closed() {
            // A failure not yet returned (it ended the session after the last report).
            if let Some(e) = self.failure.take() {
                self.close_tls();
                return Err(e);
            }
            self.close_tls();
            return Ok(());
        }
        self.session.quit();
        let result = self.drive(|ev| matches!(ev, Event::Closed).then_some(()));
        self.close_tls();
        result
    }

    /// Runs the session until `done` accepts an event. An error met on the way (by the
    /// session or by the driver's own I/O) is returned only after every event produced
    /// before it: a report that arrived in the same read as the bytes that broke the
    /// session still reaches the caller (issue 9 class 2).
    fn drive<T>(&mut self, mut done: impl FnMut(Event) -> Option<T>) -> Result<T, Error> {
        loop {
            if let Some(bytes) = self.session.poll_transmit(Instant::now()) {
                let farewell = self.session.is_closed();
                match self.write(&bytes) {
                    Ok(()) => self.session.handle_transmitted(Instant::now()),
                    // The last QUIT after a failure is best effort.
                    Err(_) if farewell => {}
                    Err(e) => self.lost(e),
                }
                continue;
            }
            if let Some(ev) = self.session.poll_event() {
                match ev {
                    Event::StartTls(proof) => {
                        if let Err(e) = self.handshake(proof) {
                            self.lost(e);
                        }
                    }
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
            if let Some(e) = self.take_failure() {
                return Err(e);
            }
            if self.session.wants_input() {
                if let Err(e) = self.read() {
                    self.lost(e);
                }
                continue;
            }
            return Err(Error::Session(SessionError::Misuse(
                "the session has nothing to do",
            )));
        }
    }

    /// The connection or the session broke: the session hands out its reports (after the
    /// events already queued), and `e` waits until they are all out.
    fn lost(&mut self, e: Error) {
        self.session.abort();
        if self.failure.is_none() {
            self.failure = Some(e);
        }
    }

    /// The error that ended the session, once: the driver's own, else the session's. The TLS
    /// connection is closed with a close_notify first.
    fn take_failure(&mut self) -> Option<Error> {
        let e = match self.failure.take() {
            Some(e) => e,
            None => Error::Session(self.session.error()?.clone()),
        };
        self.close_tls();
        Some(e)
    }

    /// Sends a TLS close_notify (best effort, bounded) and drops the connection.
    fn close_tls(&mut self) {
        if let Some(Stream::Tls(mut s)) = self.stream.take() {
            s.conn.send_close_notify();
            let wait = self.timeouts.data_block.min(CLOSE_WAIT);
            let deadline = deadline_after(Instant::now(), wait);
            // NOTE: the peer may be gone already; closing is best effort.
            let _ = flush_tls(&mut s.conn, &mut s.sock, deadline);
        }
    }

    fn stream(&mut self) -> Result<&mut Stream, Error> {
        self.stream
            .as_mut()
            .ok_or(Error::Session(SessionError::Misuse(
                "the connection is gone",
            )))
    }

    /// Writes `bytes` in full, each [`WRITE_PIECE`] within [`Timeouts::data_block`] (the
    /// upload's own send timeout, issue 9 class 4); the reply's clock starts only after.
    fn write(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let block = self.timeouts.data_block;
        let stream = self.stream()?;
        for piece in bytes.chunks(WRITE_PIECE) {
            let deadline = deadline_after(Instant::now(), block);
            let result = match stream {
                Stream::Plain(s) => write_by(s, piece, deadline),
                Stream::Tls(s) => write_tls_by(&mut s.conn, &mut s.sock, piece, deadline),
            };
            result.map_err(|e| classify("sending to the server", e))?;
        }
        Ok(())
    }

    fn read(&mut self) -> Result<(), Error> {
        let now = Instant::now();
        let wait = match self.session.deadline() {
            Some(d) if d <= now => return Ok(self.session.handle_timeout(now)?),
            Some(d) => d.saturating_duration_since(now),
            None => self.timeouts.command,
        };
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.read_into(&mut buf, wait);
        self.buf = buf;
        result
    }

    fn read_into(&mut self, buf: &mut [u8], wait: Duration) -> Result<(), Error> {
        let mut held = self.tls_error.take();
        let got = self.read_raw(buf, wait, &mut held);
        self.tls_error = held;
        match got? {
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

    /// One read from the socket (plain) or of plaintext (TLS), waiting at most `wait`.
    fn read_raw(
        &mut self,
        buf: &mut [u8],
        wait: Duration,
        held: &mut Option<rustls::Error>,
    ) -> Result<io::Result<usize>, Error> {
        let stream = self.stream()?;
        stream
            .tcp()
            .set_read_timeout(Some(nonzero(wait)))
            .map_err(|source| Error::Io {
                during: "setting a timeout",
                source,
            })?;
        let deadline = deadline_after(Instant::now(), wait);
        Ok(match stream {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => read_tls(s, buf, deadline, held),
        })
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
        let deadline = deadline_after(Instant::now(), self.timeouts.tls_handshake);
        drive_handshake(&mut conn, &mut tcp, deadline, self.implicit)?;
        let info = tls::session_info(&conn, &name_text);
        self.stream = Some(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))));
        Ok(self.session.tls_established(proof, info, Instant::now())?)
    }
}

/// How long a closing close_notify may take.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// The time left until `deadline`, or a timeout error when none is.
fn left(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    Ok(left)
}

/// Writes all of `buf` before `deadline` (each write call gets only the time left).
fn write_by(sock: &mut TcpStream, mut buf: &[u8], deadline: Instant) -> io::Result<()> {
    while !buf.is_empty() {
        sock.set_write_timeout(Some(nonzero(left(deadline)?)))?;
        match sock.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes the TLS records rustls holds before `deadline`.
fn flush_tls(
    conn: &mut rustls::ClientConnection,
    sock: &mut TcpStream,
    deadline: Instant,
) -> io::Result<()> {
    while conn.wants_write() {
        sock.set_write_timeout(Some(nonzero(left(deadline)?)))?;
        match conn.write_tls(sock) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Encrypts and writes all of `buf` before `deadline`. rustls takes only as much plaintext
/// as its buffer limit allows, so encrypting and writing alternate.
fn write_tls_by(
    conn: &mut rustls::ClientConnection,
    sock: &mut TcpStream,
    mut buf: &[u8],
    deadline: Instant,
) -> io::Result<()> {
    while !buf.is_empty() {
        let n = conn.writer().write(buf)?;
        buf = &buf[n..];
        if n == 0 && !conn.wants_write() {
            return Err(io::ErrorKind::WriteZero.into());
        }
        flush_tls(conn, sock, deadline)?;
    }
    flush_tls(conn, sock, deadline)
}

/// Drives the TLS handshake by hand against one deadline for all of it (issue 9 class 3):
/// rustls's `complete_io` loops inside one call and every socket read restarts the read
/// timeout, so a server sending its handshake one octet at a time, each inside the timeout,
/// could hold the client for hours. Here each read gets only the time left.
fn drive_handshake(
    conn: &mut rustls::ClientConnection,
    tcp: &mut TcpStream,
    deadline: Instant,
    implicit: bool,
) -> Result<(), Error> {
    const DURING: &str = "during the TLS handshake";
    let mut raw = [0u8; 4096];
    let mut first = true;
    loop {
        flush_tls(conn, tcp, deadline).map_err(|e| classify(DURING, e))?;
        if !conn.is_handshaking() {
            return Ok(());
        }
        let wait = left(deadline).map_err(|e| classify(DURING, e))?;
        tcp.set_read_timeout(Some(nonzero(wait)))
            .map_err(|source| Error::Io {
                during: "setting a timeout",
                source,
            })?;
        let n = match tcp.read(&mut raw) {
            Ok(0) => {
                return Err(Error::Io {
                    during: DURING,
                    source: io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ),
                })
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(classify(DURING, e)),
        };
        let got = &raw[..n];
        // A TLS record starts with a content type (20..=24); an SMTP reply with three digits.
        if first && implicit && looks_like_smtp(got) {
            let line = got
                .split(|&b| b == b'\r' || b == b'\n')
                .next()
                .unwrap_or(got);
            return Err(Error::PlainTextNotTls {
                received: String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned(),
            });
        }
        first = false;
        let mut rd = got;
        while !rd.is_empty() {
            conn.read_tls(&mut rd).map_err(|e| classify(DURING, e))?;
            if let Err(error) = conn.process_new_packets() {
                // rustls queued an alert that tells the server why; best effort.
                let _ = flush_tls(conn, tcp, deadline);
                return Err(Error::Tls {
                    during: DURING,
                    error,
                });
            }
        }
    }
}

/// True when `b` starts like an SMTP reply (`220 ` or `220-`), not like a TLS record.
fn looks_like_smtp(b: &[u8]) -> bool {
    b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && matches!(b[3], b' ' | b'-')
}

/// Reads plaintext from a TLS stream, never waiting past `deadline` in total: rustls's own
/// `Stream::read` would restart the socket timeout for every TLS fragment, so a server
/// dripping fragments could hold the client indefinitely.
///
/// When a read brings a good record and then a bad one, the good record's plaintext is
/// returned first and the error is kept in `held` for the next call (issue 9 class 2: a 250
/// followed by a forged record in the same segment is still seen).
fn read_tls(
    s: &mut rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    buf: &mut [u8],
    deadline: Instant,
    held: &mut Option<rustls::Error>,
) -> io::Result<usize> {
    loop {
        // Ok(0) after close_notify, UnexpectedEof after a bare TCP close, WouldBlock when
        // no plaintext is buffered yet.
        match s.conn.reader().read(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Ok(0) if held.is_some() => {}
            other => return other,
        }
        if let Some(e) = held.take() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e));
        }
        s.sock.set_read_timeout(Some(nonzero(left(deadline)?)))?;
        s.conn.read_tls(&mut s.sock)?;
        if let Err(e) = s.conn.process_new_packets() {
            // Alerts rustls wants to send, best effort.
            let _ = flush_tls(&mut s.conn, &mut s.sock, deadline);
            match s.conn.reader().read(buf) {
                Ok(n) if n > 0 => {
                    *held = Some(e);
                    return Ok(n);
                }
                _ => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
        }
        // Alerts or key-update answers rustls wants to send.
        flush_tls(&mut s.conn, &mut s.sock, deadline)?;
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
