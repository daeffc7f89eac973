//! The logic both drivers share, as a step machine with no I/O of its own: it runs the
//! sans-IO [`Session`], does TLS over rustls on byte slices (handshake, records, close), cuts
//! the session's output into [`WRITE_PIECE`]s with their deadlines, and says what to do
//! next: write these bytes by this instant, read once by that one, hand out an event, or
//! stop on an error. The blocking driver (`std::io`) and the tokio driver only carry the
//! bytes and wait, so the two cannot behave differently: one copy of the STARTTLS gate,
//! the deadlines, the plain-text-instead-of-TLS diagnosis and the issue 9 ordering rules.
//!
//! Why rustls by hand and not tokio-rustls: its stream hides the first bytes of the
//! handshake (the "server answered in plain SMTP" diagnosis) and returns a bad record's error
//! ahead of the good records' plaintext read with it (issue 9 class 2); and the blocking
//! driver needs the same record handling, which lives here once.

use super::WRITE_PIECE;
use crate::error::{classify, Error};
use crate::proto::timeouts::deadline_after;
use crate::proto::{DeliveryReport, Event, Session, SessionError, Timeouts, TlsUpgrade};
use crate::tls::{self, Target};
use std::fmt;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// How long a closing close_notify (or a last alert) may take.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

const DURING_HANDSHAKE: &str = "during the TLS handshake";

/// What the driver does next.
#[derive(Debug)]
pub(crate) enum Step {
    /// Write all of [`Driver::wire`] before the instant, then call [`Driver::wrote`].
    Write(Instant),
    /// Read once (whatever arrives, at most a buffer's worth) before the instant, then call
    /// [`Driver::received`].
    Read(Instant),
    /// An event for the caller.
    Event(Event),
    /// The session ended with an error: close ([`Driver::close`]) and return
    /// [`Driver::failure`].
    Failed,
    /// Nothing to send, nothing to wait for: the caller misused the session.
    Stuck,
}

/// What a driver does next while it waits for an event ([`Driver::wait`]): only the steps
/// that need I/O, and the end of the wait.
#[derive(Debug)]
pub(crate) enum Wait<T> {
    /// Write all of [`Driver::wire`] before the instant, then call [`Driver::wrote`]
    /// ([`gone`] when the stream is closed).
    Write(Instant),
    /// Read once before the instant, then call [`Driver::received`]
    /// ([`Driver::stream_gone`] when the stream is closed).
    Read(Instant),
    /// The wait is over: the value the event gave, or why none will come.
    Done(Result<T, Error>),
    /// The session ended with an error: close ([`Driver::close`]) and return
    /// [`Driver::failure`].
    Failed,
}

/// The state of the bytes on the connection.
enum Link {
    Plain,
    Handshake(Box<Handshake>),
    Tls(Box<rustls::ClientConnection>),
    Gone,
}

struct Handshake {
    conn: rustls::ClientConnection,
    proof: TlsUpgrade,
    /// One deadline for the whole handshake (issue 9 class 3): a server dripping its
    /// handshake an octet at a time cannot hold the client past it.
    deadline: Instant,
    first: bool,
}

/// Plaintext the session handed out, being sealed and written a piece at a time.
struct Outgoing {
    bytes: Vec<u8>,
    at: usize,
    /// The last QUIT after a failure: best effort.
    farewell: bool,
}

/// The shared driver state: one session over one connection.
pub(crate) struct Driver {
    session: Session,
    link: Link,
    target: Option<Target>,
    /// Clamped like the session's, so no deadline arithmetic can overflow (issue 9).
    timeouts: Timeouts,
    /// An error the driver met. It is returned only after every event the session produced
    /// before it has been handed out (issue 9 class 2).
    failure: Option<Error>,
    /// A TLS error that came in the same read as records before it: their plaintext goes to
    /// the session first, the error after.
    held: Option<rustls::Error>,
    /// TLS from the first byte (for the "server answered in plain text" diagnosis).
    implicit: bool,
    tx: Option<Outgoing>,
    /// Raw bytes to write now, with their deadline; a failure to write them is ignored when
    /// `best_effort` (a farewell QUIT, a close_notify, an alert).
    wire: Vec<u8>,
    wire_deadline: Instant,
    best_effort: bool,
    /// Decrypted plaintext, reused.
    plain: Vec<u8>,
}

impl Driver {
    /// A driver for `session` over a connection already open; `target` is `None` in plain
    /// text mode.
    pub(crate) fn new(
        session: Session,
        target: Option<Target>,
        timeouts: Timeouts,
        implicit: bool,
    ) -> Driver {
        Driver {
            implicit,
            session,
            link: Link::Plain,
            target,
            timeouts: timeouts.clamped(),
            failure: None,
            held: None,
            tx: None,
            wire: Vec::new(),
            wire_deadline: Instant::now(),
            best_effort: false,
            plain: Vec::new(),
        }
    }

    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    pub(crate) fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// The bytes of the last [`Step::Write`].
    pub(crate) fn wire(&self) -> &[u8] {
        &self.wire
    }

    /// What to do next.
    pub(crate) fn next(&mut self) -> Step {
        loop {
            let now = Instant::now();
            if !self.wire.is_empty() {
                return Step::Write(self.wire_deadline);
            }
            if let Link::Handshake(hs) = &mut self.link {
                let deadline = hs.deadline;
                if hs.conn.wants_write() {
                    match drain(&mut hs.conn, &mut self.wire) {
                        Ok(()) => self.queue_wire(deadline, false),
                        Err(e) => self.lost(classify(DURING_HANDSHAKE, e)),
                    }
                    continue;
                }
                if !hs.conn.is_handshaking() {
                    self.handshake_done(now);
                    continue;
                }
                if deadline <= now {
                    self.lost(classify(DURING_HANDSHAKE, io::ErrorKind::TimedOut.into()));
                    continue;
                }
                return Step::Read(deadline);
            }
            if self.tx.is_some() {
                self.seal_next(now);
                continue;
            }
            if let Some(bytes) = self.session.poll_transmit(now) {
                let farewell = self.session.is_closed();
                self.tx = Some(Outgoing {
                    bytes,
                    at: 0,
                    farewell,
                });
                continue;
            }
            if let Some(ev) = self.session.poll_event() {
                match ev {
                    Event::StartTls(proof) => self.start_handshake(proof, now),
                    other => return Step::Event(other),
                }
                continue;
            }
            if self.failed() {
                return Step::Failed;
            }
            if self.session.wants_input() {
                if self.pump_plaintext(now) {
                    continue;
                }
                let deadline = match self.session.deadline() {
                    Some(d) if d <= now => {
                        // NOTE: the session keeps its error; `failure` returns it.
                        let _ = self.session.handle_timeout(now);
                        continue;
                    }
                    Some(d) => d,
                    None => deadline_after(now, self.timeouts.command),
                };
                return Step::Read(deadline);
            }
            return Step::Stuck;
        }
    }

    /// What to do next until `done` accepts an event: [`Driver::next`] with the events and
    /// the misuse settled here, so that a driver's loop only moves bytes and waits. An
    /// error met on the way is returned only after every event produced before it: a
    /// report that arrived in the same read as the bytes that broke the session still
    /// reaches the caller (issue 9 class 2).
    pub(crate) fn wait<T>(&mut self, done: &mut impl FnMut(Event) -> Option<T>) -> Wait<T> {
        loop {
            match self.next() {
                Step::Write(deadline) => return Wait::Write(deadline),
                Step::Read(deadline) => return Wait::Read(deadline),
                Step::Event(ev) => {
                    if let Some(result) = settle(ev, done) {
                        return Wait::Done(result);
                    }
                }
                Step::Failed => return Wait::Failed,
                Step::Stuck => {
                    return Wait::Done(Err(Error::Session(SessionError::Misuse(
                        "the session has nothing to do",
                    ))))
                }
            }
        }
    }

    /// A [`Wait::Read`] came after the driver closed its stream.
    pub(crate) fn stream_gone(&mut self) {
        self.lost(Error::Session(SessionError::Misuse(
            "the connection is gone",
        )));
    }

    /// The bytes of the last [`Step::Write`] were written (or not).
    pub(crate) fn wrote(&mut self, result: io::Result<()>) {
        self.wire.clear();
        if let Err(e) = result {
            if self.best_effort {
                self.tx = None;
                return;
            }
            let during = match self.link {
                Link::Handshake(_) => DURING_HANDSHAKE,
                _ => "sending to the server",
            };
            self.lost(classify(during, e));
        }
    }

    /// The read of the last [`Step::Read`] returned these bytes (empty: the peer closed).
    /// Timeouts are `TimedOut` or `WouldBlock` errors. The session's own errors stay in the
    /// session, which `failure` returns.
    pub(crate) fn received(&mut self, got: io::Result<&[u8]>) {
        let now = Instant::now();
        let got = match got {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                match self.link {
                    Link::Handshake(_) => self.lost(classify(DURING_HANDSHAKE, e)),
                    Link::Gone => {}
                    _ => {
                        let _ = self.session.handle_timeout(now);
                    }
                }
                return;
            }
            Err(e) => {
                let during = match self.link {
                    Link::Handshake(_) => DURING_HANDSHAKE,
                    _ => "reading from the server",
                };
                self.lost(classify(during, e));
                return;
            }
            Ok(data) => data,
        };
        let mut queue = None;
        let lost = match &mut self.link {
            Link::Gone => None,
            Link::Plain if got.is_empty() => {
                let _ = self.session.handle_close();
                None
            }
            Link::Plain => {
                let _ = self.session.handle_input(got, now);
                None
            }
            Link::Handshake(_) if got.is_empty() => Some(Error::Io {
                during: DURING_HANDSHAKE,
                source: io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ),
            }),
            // A TLS record starts with a content type (20..=24); an SMTP reply with three
            // digits.
            Link::Handshake(hs) if hs.first && self.implicit && looks_like_smtp(got) => {
                let line = got
                    .split(|&b| b == b'\r' || b == b'\n')
                    .next()
                    .unwrap_or(got);
                let received = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
                Some(Error::PlainTextNotTls { received })
            }
            Link::Handshake(hs) => {
                hs.first = false;
                feed(&mut hs.conn, got)
                    .err()
                    .map(|e| e.into_error(DURING_HANDSHAKE))
            }
            // A TLS peer that closes without close_notify: rustls reports an unexpected end,
            // which `pump_plaintext` hands the session as a close.
            Link::Tls(conn) => match feed(conn, got) {
                Ok(()) if conn.wants_write() => match drain(conn, &mut self.wire) {
                    // Alerts or key-update answers rustls wants to send.
                    Ok(()) => {
                        queue = Some((deadline_after(now, self.timeouts.command), false));
                        None
                    }
                    Err(e) => Some(classify("reading from the server", e)),
                },
                Ok(()) => None,
                Err(Fed::Tls(e)) => {
                    // Records before the bad one were processed: their plaintext goes to the
                    // session first, the error after (issue 9 class 2).
                    self.held = Some(e);
                    // The alert rustls queued tells the server why; best effort.
                    if drain(conn, &mut self.wire).is_ok() {
                        queue = Some((deadline_after(now, CLOSE_WAIT), true));
                    }
                    None
                }
                Err(Fed::Io(e)) => Some(classify("reading from the server", e)),
            },
        };
        if let Some((deadline, best_effort)) = queue {
            self.queue_wire(deadline, best_effort);
        }
        if let Some(e) = lost {
            self.lost(e);
        }
    }

    /// The connection or the session broke: the session hands out its reports (after the
    /// events already queued), and `e` waits until they are all out.
    pub(crate) fn lost(&mut self, e: Error) {
        self.session.abort();
        if self.failure.is_none() {
            self.failure = Some(e);
        }
        self.tx = None;
        if !self.best_effort {
            self.wire.clear();
        }
        if !matches!(self.link, Link::Handshake(_)) {
            return;
        }
        if let Link::Handshake(mut hs) = std::mem::replace(&mut self.link, Link::Gone) {
            // rustls queued an alert that tells the server why; best effort.
            let deadline = hs.deadline.min(deadline_after(Instant::now(), CLOSE_WAIT));
            if drain(&mut hs.conn, &mut self.wire).is_ok() {
                self.queue_wire(deadline, true);
            }
        }
    }

    /// True when the session ended with an error not yet returned.
    pub(crate) fn failed(&self) -> bool {
        self.failure.is_some() || self.session.error().is_some()
    }

    /// A failure of the driver's own not yet returned (one that ended the session after the
    /// last report, found when QUIT is asked for), once.
    pub(crate) fn take_own_failure(&mut self) -> Option<Error> {
        self.failure.take()
    }

    /// The error that ended the session, once: the driver's own, else the session's (a
    /// misuse error when there is none, for a caller that asked without a [`Step::Failed`]).
    pub(crate) fn failure(&mut self) -> Error {
        if let Some(e) = self.failure.take() {
            return e;
        }
        Error::Session(match self.session.error() {
            Some(e) => e.clone(),
            None => SessionError::Misuse("no failure to report"),
        })
    }

    /// What a client's `Debug` shows: only what the session learned, never the
    /// configuration (and so no credential).
    pub(crate) fn fmt_client(
        &self,
        name: &str,
        connected: bool,
        f: &mut fmt::Formatter<'_>,
    ) -> fmt::Result {
        let session = &self.session;
        f.debug_struct(name)
            .field("connected", &connected)
            .field("ready", &session.is_ready())
            .field("closed", &session.is_closed())
            .field("tls", &session.tls())
            .field("authenticated", &session.authenticated())
            .field("round_trips", &session.round_trips())
            .finish_non_exhaustive()
    }

    /// Ends the connection: a TLS close_notify to write (best effort) before the returned
    /// instant, when there is TLS. Afterwards nothing more is read or written.
    pub(crate) fn close(&mut self) -> Option<Instant> {
        let deadline = deadline_after(Instant::now(), self.timeouts.data_block.min(CLOSE_WAIT));
        if let Link::Tls(conn) = &mut self.link {
            conn.send_close_notify();
            // NOTE: a connection that fails to encode its alert has nothing more to say.
            let _ = drain(conn, &mut self.wire);
        }
        self.link = Link::Gone;
        self.tx = None;
        if self.wire.is_empty() {
            return None;
        }
        self.queue_wire(deadline, true);
        Some(deadline)
    }

    // ---- private ----

    fn queue_wire(&mut self, deadline: Instant, best_effort: bool) {
        if !self.wire.is_empty() {
            self.wire_deadline = deadline;
            self.best_effort = best_effort;
        }
    }

    /// Seals the next piece of the session's output for the wire, each piece with its own
    /// [`Timeouts::data_block`] deadline (the upload's send timeout, issue 9 class 4); the
    /// reply's clock starts only when all of it is written.
    fn seal_next(&mut self, now: Instant) {
        let Some(tx) = &mut self.tx else { return };
        if tx.at >= tx.bytes.len() {
            self.tx = None;
            self.session.handle_transmitted(now);
            return;
        }
        let end = tx.bytes.len().min(tx.at + WRITE_PIECE);
        let piece = &tx.bytes[tx.at..end];
        let farewell = tx.farewell;
        tx.at = end;
        let sealed = match &mut self.link {
            Link::Plain => {
                self.wire.extend_from_slice(piece);
                Ok(())
            }
            Link::Tls(conn) => seal(conn, piece, &mut self.wire),
            Link::Handshake(_) | Link::Gone => Err(io::Error::other("the connection is gone")),
        };
        match sealed {
            Ok(()) => self.queue_wire(deadline_after(now, self.timeouts.data_block), farewell),
            Err(_) if farewell => self.tx = None,
            Err(e) => self.lost(classify("sending to the server", e)),
        }
    }

    /// Starts the verified TLS handshake the session asked for; its proof goes back to the
    /// session only when the handshake is done.
    fn start_handshake(&mut self, proof: TlsUpgrade, now: Instant) {
        let Some(target) = &self.target else {
            self.lost(Error::Session(SessionError::Misuse(
                "TLS requested in plain-text mode",
            )));
            return;
        };
        if !matches!(self.link, Link::Plain) {
            self.lost(Error::Session(SessionError::Misuse("TLS requested twice")));
            return;
        }
        match rustls::ClientConnection::new(target.config.clone(), target.name.clone()) {
            Ok(conn) => {
                self.link = Link::Handshake(Box::new(Handshake {
                    conn,
                    proof,
                    deadline: deadline_after(now, self.timeouts.tls_handshake),
                    first: true,
                }));
            }
            Err(error) => self.lost(Error::Tls {
                during: "starting the handshake",
                error,
            }),
        }
    }

    /// The handshake is complete: wary's own host-name check, then the proof goes back.
    fn handshake_done(&mut self, now: Instant) {
        let Link::Handshake(hs) = std::mem::replace(&mut self.link, Link::Gone) else {
            return;
        };
        let Some(target) = &self.target else { return };
        if target.check_name {
            if let Err(error) = tls::check_name(&hs.conn, &target.name) {
                self.lost(Error::Tls {
                    during: "checking the certificate's host name",
                    error,
                });
                return;
            }
        }
        let info = tls::session_info(&hs.conn, &target.name_text);
        let Handshake { conn, proof, .. } = *hs;
        self.link = Link::Tls(Box::new(conn));
        // NOTE: the session's own error, returned by `failure`.
        let _ = self.session.tls_established(proof, info, now);
    }

    /// Hands the session the plaintext rustls holds, then a held TLS error, then the close;
    /// true when it did something.
    fn pump_plaintext(&mut self, now: Instant) -> bool {
        let Link::Tls(conn) = &mut self.link else {
            return false;
        };
        let mut closed = false;
        let mut chunk = [0u8; 4096];
        self.plain.clear();
        loop {
            match conn.reader().read(&mut chunk) {
                // Ok(0) after close_notify, UnexpectedEof after a bare TCP close, WouldBlock
                // when no plaintext is buffered yet.
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => self.plain.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    closed = true;
                    break;
                }
                Err(_) => break,
            }
        }
        if !self.plain.is_empty() {
            let _ = self.session.handle_input(&self.plain, now);
            return true;
        }
        if let Some(error) = self.held.take() {
            self.lost(Error::Tls {
                during: "reading from the server",
                error,
            });
            return true;
        }
        if closed {
            let _ = self.session.handle_close();
            return true;
        }
        false
    }
}

/// How feeding records failed.
enum Fed {
    Tls(rustls::Error),
    Io(io::Error),
}

impl Fed {
    fn into_error(self, during: &'static str) -> Error {
        match self {
            Fed::Tls(error) => Error::Tls { during, error },
            Fed::Io(e) => classify(during, e),
        }
    }
}

/// Gives rustls the raw bytes read (empty: the end of the stream) and processes them.
fn feed(conn: &mut rustls::ClientConnection, mut data: &[u8]) -> Result<(), Fed> {
    if data.is_empty() {
        conn.read_tls(&mut data).map_err(Fed::Io)?;
        return conn.process_new_packets().map(drop).map_err(Fed::Tls);
    }
    while !data.is_empty() {
        conn.read_tls(&mut data).map_err(Fed::Io)?;
        conn.process_new_packets().map_err(Fed::Tls)?;
    }
    Ok(())
}

/// Moves the TLS records rustls holds into `wire`.
fn drain(conn: &mut rustls::ClientConnection, wire: &mut Vec<u8>) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(wire)?;
    }
    Ok(())
}

/// Encrypts all of `piece` into `wire`. rustls takes only as much plaintext as its buffer
/// limit allows, so encrypting and draining alternate.
fn seal(
    conn: &mut rustls::ClientConnection,
    mut piece: &[u8],
    wire: &mut Vec<u8>,
) -> io::Result<()> {
    while !piece.is_empty() {
        let n = conn.writer().write(piece)?;
        piece = &piece[n..];
        if n == 0 && !conn.wants_write() {
            return Err(io::ErrorKind::WriteZero.into());
        }
        drain(conn, wire)?;
    }
    Ok(())
}

/// True when `b` starts like an SMTP reply (`220 ` or `220-`), not like a TLS record.
fn looks_like_smtp(b: &[u8]) -> bool {
    b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && matches!(b[3], b' ' | b'-')
}

/// What a driver does with an event while waiting for `done`: `Some` ends the wait.
fn settle<T>(ev: Event, done: &mut impl FnMut(Event) -> Option<T>) -> Option<Result<T, Error>> {
    match ev {
        Event::Closed => Some(
            done(Event::Closed).ok_or(Error::Session(SessionError::Closed {
                waiting_for: "the next reply",
            })),
        ),
        other => done(other).map(Ok),
    }
}

/// The error for a write after the driver closed its stream.
pub(crate) fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the connection is gone")
}

/// The event the session's opening (and RSET) waits for: ready for a message.
pub(crate) fn ready(ev: Event) -> Option<()> {
    matches!(ev, Event::Ready).then_some(())
}

/// The event a single message waits for: its report.
pub(crate) fn delivered(ev: Event) -> Option<DeliveryReport> {
    match ev {
        Event::Delivered(r) => Some(*r),
        _ => None,
    }
}

/// The event QUIT waits for: the close.
pub(crate) fn closed(ev: Event) -> Option<()> {
    matches!(ev, Event::Closed).then_some(())
}
