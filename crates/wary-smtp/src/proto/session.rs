//! The SMTP client session as a sans-IO state machine: one phase per step of RFC 5321, each
//! accepting only the replies valid in it. Bytes and the current time go in; bytes to send,
//! events and deadlines come out. No sockets, clocks or TLS types live here, so a blocking
//! driver (`crate::client`) and a future async one share this one copy of the protocol.
//!
//! The STARTTLS boundary is a proof: the only way to get a [`TlsUpgrade`] is an exact 220
//! reply to STARTTLS with an empty input buffer behind it, and the only way past the boundary
//! is to hand that value back in [`Session::tls_established`], which discards every
//! capability learned in plain text and sends EHLO again (RFC 3207 §4.2).

use super::caps::Capabilities;
use super::command::Command;
use super::error::{SessionError, SubmitError};
use super::mechanism::Mechanism;
use super::message::Message;
use super::reply::{parse_reply, Reply};
use super::report::{DeliveryReport, Envelope, TlsInfo};
use super::sasl::{self, SaslClient};
use super::timeouts::Timeouts;
use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

pub use super::config::{AuthConfig, SessionConfig, TlsMode};

/// Proof that the session asked for a TLS handshake at a legal point: after an exact 220 to
/// STARTTLS with nothing buffered behind it, or at the start in implicit TLS mode. It cannot
/// be built, cloned or kept outside this module's rules: the driver receives it in
/// [`Event::StartTls`] and must give it back to [`Session::tls_established`].
#[derive(Debug)]
pub struct TlsUpgrade {
    _proof: (),
}

/// Something the driver must act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// Do the TLS handshake now (verify the certificate and host name), then call
    /// [`Session::tls_established`]. Nothing is read or written in plain text meanwhile.
    StartTls(TlsUpgrade),
    /// The session is open (greeting, EHLO, TLS, AUTH done): messages may be sent.
    Ready,
    /// A message is settled, whatever became of it: check [`DeliveryReport::status`]. One
    /// per message taken by [`Session::send_message`], in the order they were taken, also
    /// when the session fails (then after every event produced before the failure).
    Delivered(Box<DeliveryReport>),
    /// The session is over (after QUIT, or after a 421).
    Closed,
}

/// What a pending command's reply means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    Auth,
    Mail,
    Rcpt(usize),
    Data,
    DataEnd,
    Bdat,
    Rset,
    /// RSET on an idle session ([`Session::reset`]).
    Reset,
    Quit,
}

impl Expect {
    pub(super) fn verb(self) -> &'static str {
        match self {
            Expect::Greeting => "the greeting",
            Expect::Ehlo => "EHLO",
            Expect::Helo => "HELO",
            Expect::StartTls => "STARTTLS",
            Expect::Auth => "AUTH",
            Expect::Mail => "MAIL",
            Expect::Rcpt(_) => "RCPT",
            Expect::Data => "DATA",
            Expect::DataEnd => "the end of the message data",
            Expect::Bdat => "BDAT",
            Expect::Rset | Expect::Reset => "RSET",
            Expect::Quit => "QUIT",
        }
    }
    fn timeout(self, t: &Timeouts) -> std::time::Duration {
        match self {
            Expect::Greeting => t.greeting,
            Expect::Mail => t.mail,
            Expect::Rcpt(_) => t.rcpt,
            Expect::Data => t.data_init,
            Expect::DataEnd | Expect::Bdat => t.data_term,
            _ => t.command,
        }
    }
}

pub(super) enum Phase {
    /// Waiting for the TLS handshake (implicit TLS before the greeting, or after STARTTLS).
    Handshake { implicit: bool },
    /// Waiting for the greeting, EHLO, HELO or STARTTLS reply.
    Opening,
    /// In a SASL exchange.
    Auth(Box<SaslClient>),
    /// Idle: a message may start.
    Ready,
    /// Message transactions are queued or on the wire (several only with PIPELINING); they
    /// are in `Session::txns`, oldest first.
    Txn,
    /// QUIT sent.
    Quit,
    /// Over.
    Closed,
    /// Over because of an error.
    Failed(SessionError),
}

/// The client side of one SMTP session.
pub struct Session {
    pub(super) config: SessionConfig,
    pub(super) phase: Phase,
    pub(super) caps: Option<Capabilities>,
    pub(super) tls: Option<TlsInfo>,
    pub(super) pending: VecDeque<Expect>,
    /// How many of `pending` (from the front) were transmitted: only those may be answered,
    /// so a server cannot answer a command before it was sent.
    sent: usize,
    pub(super) events: VecDeque<Event>,
    inbuf: Vec<u8>,
    pub(super) outbuf: Vec<u8>,
    deadline: Option<Instant>,
    last_verb: &'static str,
    nonce: String,
    pub(super) round_trips: u32,
    /// Bytes went out since the last input: the next input completes a round trip.
    awaiting_flight: bool,
    pub(super) txns: VecDeque<Box<super::transaction::Txn>>,
    /// The caller has no more messages: QUIT goes on the wire as soon as every transaction
    /// is closed on the wire (RFC 2920 §3.1 lets QUIT end a pipelined group).
    quit_when_done: bool,
    /// QUIT is on the wire (or in `outbuf`).
    quit_sent: bool,
    /// The session failed on a refusal that left the connection in step (a failed AUTH): a
    /// polite QUIT is still owed to the server (issue 9).
    farewell: bool,
    /// The AUTH mechanism used, once AUTH succeeded.
    authenticated: Option<Mechanism>,
    /// The AUTH mechanism in use while the exchange runs.
    auth_started: Option<Mechanism>,
}

impl Session {
    /// Starts a session at `now`. `entropy` (from a cryptographic RNG) makes the SCRAM nonce.
    /// Refuses credentials with [`TlsMode::DangerPlainText`]: wary never sends AUTH outside
    /// TLS.
    pub fn new(
        config: SessionConfig,
        entropy: [u8; 18],
        now: Instant,
    ) -> Result<Session, SessionError> {
        if config.auth.is_some() && config.tls == TlsMode::DangerPlainText {
            return Err(SessionError::AuthWithoutTls);
        }
        let nonce = ScramNonce::from(entropy);
        // Clamped once here, so no deadline arithmetic below can overflow (issue 9 class 6).
        let mut config = config;
        config.timeouts = config.timeouts.clamped();
        let mut s = Session {
            phase: Phase::Opening,
            caps: None,
            tls: None,
            pending: VecDeque::new(),
            sent: 0,
            events: VecDeque::new(),
            inbuf: Vec::new(),
            outbuf: Vec::new(),
            deadline: None,
            last_verb: "the greeting",
            nonce: nonce.0,
            round_trips: 0,
            awaiting_flight: false,
            txns: VecDeque::new(),
            quit_when_done: false,
            quit_sent: false,
            farewell: false,
            authenticated: None,
            auth_started: None,
            config,
        };
        if s.config.tls == TlsMode::Implicit {
            s.phase = Phase::Handshake { implicit: true };
            s.events
                .push_back(Event::StartTls(TlsUpgrade { _proof: () }));
        } else {
            s.expect(Expect::Greeting, now);
        }
        Ok(s)
    }

    /// Bytes to write to the peer now, if any. The reply deadline starts at `now`, and again
    /// at [`Session::handle_transmitted`]: a phase's clock starts when its command has been
    /// written in full (RFC 5321 §4.5.3.2.6), not when it was handed out.
    ///
    /// After a failed AUTH this returns one last `QUIT` although the session is over.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Vec<u8>> {
        if std::mem::take(&mut self.farewell) {
            let mut quit = Vec::new();
            Command::Quit.encode(&mut quit);
            return Some(quit);
        }
        if self.outbuf.is_empty() {
            return None;
        }
        self.sent = self.pending.len();
        super::transaction::on_transmit(self);
        if !self.pending.is_empty() {
            self.awaiting_flight = true;
            if self.deadline.is_none() {
                self.arm(now);
            }
        }
        Some(std::mem::take(&mut self.outbuf))
    }

    /// The bytes of the last [`Session::poll_transmit`] are written in full, at `now`: the
    /// wait for their replies starts here. A large message over a slow link takes long to
    /// write, and that time is not the server's (issue 9 class 4); the driver bounds the
    /// writing with [`Timeouts::data_block`] instead.
    pub fn handle_transmitted(&mut self, now: Instant) {
        if self.sent > 0 && !self.is_closed() {
            self.arm(now);
        }
    }

    /// The driver lost the connection (an I/O or TLS error it saw itself). The session ends
    /// and, like every other failure, hands out a report for each message it still held
    /// (unconfirmed when its content was written, deferred when its envelope was, not sent
    /// otherwise). Does nothing when the session is already over.
    pub fn abort(&mut self) {
        if self.alive().is_ok() {
            let _ = self.fail(SessionError::Aborted);
        }
    }

    /// No more messages will come: QUIT follows the last transaction in the same write where
    /// PIPELINING allows it (RFC 2920 §3.1), or is sent at once when the session is idle.
    pub fn quit_when_done(&mut self) {
        self.quit_when_done = true;
        self.maybe_quit();
    }

    /// The error that ended the session, if one did.
    pub fn error(&self) -> Option<&SessionError> {
        match &self.phase {
            Phase::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// The AUTH mechanism the session logged in with, once AUTH succeeded.
    pub fn authenticated(&self) -> Option<&Mechanism> {
        self.authenticated.as_ref()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// True when the session waits for bytes from the peer (and has nothing to send).
    pub fn wants_input(&self) -> bool {
        self.outbuf.is_empty() && !self.pending.is_empty() && self.events.is_empty()
    }

    /// When the current wait ends; call [`Session::handle_timeout`] then.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The capabilities of the last EHLO reply (after TLS, in TLS modes).
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.caps.as_ref()
    }

    /// The TLS session, once established.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// True when the session is open and idle: no message in flight.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready) && self.events.is_empty()
    }

    /// True when [`Session::send_message`] would take a message now: the session is idle,
    /// or PIPELINING is in use and fewer than
    /// [`MAX_MESSAGES_IN_FLIGHT`](super::transaction::MAX_MESSAGES_IN_FLIGHT) messages are
    /// held. A queued message's envelope goes on the wire in the same write as the content of
    /// the one before it (RFC 2920 §3.1), so n messages cost n + 1 round trips, not 2n; its
    /// content still waits for its own RCPT replies.
    pub fn can_send(&self) -> bool {
        if self.quit_when_done {
            return false;
        }
        match self.phase {
            Phase::Ready => true,
            Phase::Txn => super::transaction::can_queue(self),
            _ => false,
        }
    }

    /// Messages taken by [`Session::send_message`] whose reports have not been handed out
    /// yet (queued or on the wire).
    pub fn messages_in_flight(&self) -> usize {
        self.txns.len()
    }

    /// True when the session is over (closed or failed).
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed | Phase::Failed(_))
    }

    /// Feeds bytes received from the peer.
    pub fn handle_input(&mut self, data: &[u8], now: Instant) -> Result<(), SessionError> {
        self.alive()?;
        if let Phase::Handshake { .. } = self.phase {
            // Plain text where the TLS handshake should be: injected after the 220.
            return self.fail(SessionError::StartTlsInjection { octets: data.len() });
        }
        self.inbuf.extend_from_slice(data);
        if std::mem::take(&mut self.awaiting_flight) {
            self.round_trips += 1;
        }
        let mut replies = 0;
        while self.sent > 0 {
            let Some(&front) = self.pending.front() else {
                break;
            };
            match parse_reply(&self.inbuf, self.config.limits) {
                Err(error) => {
                    return self.fail(SessionError::MalformedReply {
                        waiting_for: front.verb(),
                        error,
                    })
                }
                Ok(None) => break,
                Ok(Some((reply, used))) => {
                    self.inbuf.drain(..used);
                    self.pending.pop_front();
                    self.sent -= 1;
                    replies += 1;
                    self.last_verb = front.verb();
                    if let Err(e) = self.on_reply(front, reply) {
                        return self.fail(e);
                    }
                    if self.is_closed() {
                        return Ok(());
                    }
                }
            }
        }
        if self.sent == 0 && !self.inbuf.is_empty() {
            let octets = self.inbuf.len();
            return self.fail(SessionError::UnsolicitedData {
                after: self.last_verb,
                octets,
            });
        }
        // Only a whole reply restarts the clock: a server dripping one octet at a time
        // cannot keep the client waiting past the phase's timeout. And only for a command
        // already written: one still in `outbuf` (the content after a 354) gets its clock
        // when it is written (poll_transmit, then handle_transmitted).
        if replies > 0 {
            self.deadline = None;
            if self.sent > 0 {
                self.arm(now);
            }
        }
        self.maybe_quit();
        Ok(())
    }

    /// The peer closed the connection (read returned 0).
    pub fn handle_close(&mut self) -> Result<(), SessionError> {
        self.alive()?;
        match (&self.phase, self.pending.front()) {
            (Phase::Quit, _) => {
                self.clear_pending();
                self.phase = Phase::Closed;
                self.events.push_back(Event::Closed);
                Ok(())
            }
            (_, None) => {
                self.phase = Phase::Closed;
                self.events.push_back(Event::Closed);
                Ok(())
            }
            (_, Some(e)) => {
                let waiting_for = e.verb();
                self.fail(SessionError::Closed { waiting_for })
            }
        }
    }

    /// Checks the deadline; an error when it has passed while a reply was due.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), SessionError> {
        self.alive()?;
        match (self.deadline, self.pending.front()) {
            (Some(d), Some(e)) if now >= d => {
                let waiting_for = e.verb();
                self.fail(SessionError::Timeout { waiting_for })
            }
            _ => Ok(()),
        }
    }

    /// Crosses the TLS boundary: the driver completed a verified handshake after
    /// [`Event::StartTls`]. Everything learned before is dropped and EHLO is sent again
    /// (RFC 3207 §4.2); in implicit mode the greeting is awaited.
    pub fn tls_established(
        &mut self,
        proof: TlsUpgrade,
        info: TlsInfo,
        now: Instant,
    ) -> Result<(), SessionError> {
        let TlsUpgrade { _proof: () } = proof;
        self.alive()?;
        let Phase::Handshake { implicit } = self.phase else {
            return self.fail(SessionError::Misuse("tls_established outside a handshake"));
        };
        if !self.inbuf.is_empty() {
            let octets = self.inbuf.len();
            return self.fail(SessionError::StartTlsInjection { octets });
        }
        self.caps = None;
        self.tls = Some(info);
        self.phase = Phase::Opening;
        if implicit {
            self.expect(Expect::Greeting, now);
        } else {
            self.send(Command::Ehlo(self.config.helo.clone()), Expect::Ehlo);
        }
        Ok(())
    }

    /// Starts a message. Everything that can be checked before sending is checked here
    /// (recipients, SMTPUTF8, 8BITMIME, SIZE, DSN); on error nothing was sent and the
    /// session stays ready.
    pub fn send_message(
        &mut self,
        envelope: &Envelope,
        message: &Message,
    ) -> Result<(), SubmitError> {
        if !self.can_send() {
            return Err(SubmitError::NotReady);
        }
        super::transaction::start(self, envelope, message)
    }

    /// Sends RSET on an idle session (RFC 5321 §4.1.1.5), to check that the server still
    /// listens before reusing a connection that sat idle: [`Event::Ready`] follows its 2xx;
    /// any other reply ends the session (a 421: the server is closing it).
    pub fn reset(&mut self) -> Result<(), SubmitError> {
        if !matches!(self.phase, Phase::Ready) || self.quit_when_done || !self.events.is_empty() {
            return Err(SubmitError::NotReady);
        }
        self.send(Command::Rset, Expect::Reset);
        self.phase = Phase::Opening;
        Ok(())
    }

    /// Ends the session politely (QUIT). Does nothing when it is already over or QUIT is
    /// already on its way.
    pub fn quit(&mut self) {
        if let Phase::Ready = self.phase {
            if !self.quit_sent {
                self.send(Command::Quit, Expect::Quit);
                self.quit_sent = true;
            }
            self.phase = Phase::Quit;
        }
    }

    /// Round trips so far: times input arrived after output was sent (a pipelined batch,
    /// however many commands and messages it holds, is one).
    pub fn round_trips(&self) -> u32 {
        self.round_trips
    }

    // ---- private ----

    fn alive(&self) -> Result<(), SessionError> {
        match &self.phase {
            Phase::Failed(e) => Err(e.clone()),
            Phase::Closed => Err(SessionError::Misuse("the session is closed")),
            _ => Ok(()),
        }
    }

    /// Ends the session with `e`. Events queued before stay queued, in order, and each
    /// message still held gets its report after them (issue 9 class 2): a 250 that came
    /// in the same read as the bytes that broke the session is never lost.
    pub(super) fn fail(&mut self, e: SessionError) -> Result<(), SessionError> {
        // A refused AUTH leaves client and server in step: say goodbye (issue 9).
        self.farewell = matches!(e, SessionError::AuthFailed(_)) && !self.quit_sent;
        self.phase = Phase::Failed(e.clone());
        self.clear_pending();
        super::transaction::abandon(self);
        self.outbuf.clear();
        self.deadline = None;
        Err(e)
    }

    /// Sends QUIT once the caller asked for it and every transaction is closed on the wire.
    fn maybe_quit(&mut self) {
        if !self.quit_when_done || self.quit_sent {
            return;
        }
        match self.phase {
            Phase::Ready => self.quit(),
            Phase::Txn if super::transaction::all_closed_on_wire(self) => {
                self.send(Command::Quit, Expect::Quit);
                self.quit_sent = true;
            }
            _ => {}
        }
    }

    pub(super) fn clear_pending(&mut self) {
        self.pending.clear();
        self.sent = 0;
    }

    fn arm(&mut self, now: Instant) {
        if let Some(front) = self.pending.front() {
            let wait = front.timeout(&self.config.timeouts);
            self.deadline = Some(super::timeouts::deadline_after(now, wait));
        }
    }

    /// Awaits a reply that needs no command (the greeting).
    fn expect(&mut self, e: Expect, now: Instant) {
        self.pending.push_back(e);
        self.sent += 1;
        if self.deadline.is_none() {
            self.arm(now);
        }
    }

    pub(super) fn send(&mut self, cmd: Command, expect: Expect) {
        cmd.encode(&mut self.outbuf);
        self.pending.push_back(expect);
    }

    /// True when QUIT is on the wire or in `outbuf`.
    pub(super) fn quit_is_sent(&self) -> bool {
        self.quit_sent
    }

    /// The last transaction is settled: idle, or waiting for the reply to a pipelined QUIT.
    pub(super) fn ready(&mut self) {
        self.phase = if self.quit_sent {
            Phase::Quit
        } else {
            Phase::Ready
        };
    }

    fn on_reply(&mut self, expect: Expect, reply: Reply) -> Result<(), SessionError> {
        let code = reply.code();
        let unexpected = |reply| SessionError::UnexpectedReply {
            command: expect.verb(),
            reply,
        };
        match expect {
            Expect::Greeting => match code.value() {
                220 => {
                    self.send(Command::Ehlo(self.config.helo.clone()), Expect::Ehlo);
                    Ok(())
                }
                _ if code.is_transient() || code.is_permanent() => Err(SessionError::Refused {
                    command: "the greeting",
                    reply,
                }),
                _ => Err(unexpected(reply)),
            },
            Expect::Ehlo if code.is_positive() => {
                self.caps = Some(Capabilities::from_ehlo(&reply));
                self.after_ehlo()
            }
            Expect::Ehlo if code.is_transient() || code.is_permanent() => {
                match (self.tls.is_some(), self.config.tls) {
                    // RFC 5321 §4.1.4: fall back to HELO, only where plain text was asked for.
                    (false, TlsMode::DangerPlainText) if code.is_permanent() => {
                        self.send(Command::Helo(self.config.helo.clone()), Expect::Helo);
                        Ok(())
                    }
                    (false, TlsMode::StartTls) => Err(SessionError::StartTlsRefused {
                        command: "EHLO",
                        reply,
                    }),
                    _ => Err(SessionError::Refused {
                        command: "EHLO",
                        reply,
                    }),
                }
            }
            Expect::Helo if code.is_positive() => {
                self.caps = Some(Capabilities::default());
                self.after_ehlo()
            }
            Expect::Helo if code.is_transient() || code.is_permanent() => {
                Err(SessionError::Refused {
                    command: "HELO",
                    reply,
                })
            }
            Expect::StartTls => self.on_starttls_reply(reply),
            Expect::Auth => self.on_auth_reply(reply),
            Expect::Quit => {
                // After QUIT any reply ends the session. Replies come in order, so every
                // message before it is settled; any still held is reported, never dropped.
                super::transaction::abandon(self);
                self.phase = Phase::Closed;
                self.events.push_back(Event::Closed);
                Ok(())
            }
            Expect::Reset if code.is_positive() => {
                self.ready_event();
                Ok(())
            }
            Expect::Reset if code.is_transient() || code.is_permanent() => {
                Err(SessionError::Refused {
                    command: "RSET",
                    reply,
                })
            }
            Expect::Mail
            | Expect::Rcpt(_)
            | Expect::Data
            | Expect::DataEnd
            | Expect::Bdat
            | Expect::Rset => super::transaction::on_reply(self, expect, reply),
            _ => Err(unexpected(reply)),
        }
    }

    /// After a positive EHLO/HELO: STARTTLS, AUTH, or ready.
    fn after_ehlo(&mut self) -> Result<(), SessionError> {
        if self.tls.is_none() && self.config.tls != TlsMode::DangerPlainText {
            let offered = self.caps.as_ref().is_some_and(|c| c.starttls);
            if !offered {
                return Err(SessionError::StartTlsNotOffered);
            }
            self.send(Command::StartTls, Expect::StartTls);
            return Ok(());
        }
        let Some(auth) = self.config.auth.clone() else {
            self.ready_event();
            return Ok(());
        };
        // Never reached without TLS (Session::new refuses it), checked again here because
        // this is the line that sends credentials.
        if self.tls.is_none() {
            return Err(SessionError::AuthWithoutTls);
        }
        let offered = self
            .caps
            .as_ref()
            .map(|c| c.auth.clone())
            .unwrap_or_default();
        let mech = sasl::choose(&auth.credentials, auth.mechanism.as_ref(), &offered)
            .map_err(SessionError::Sasl)?;
        let (client, initial) =
            SaslClient::start(&mech, &auth.credentials, &self.nonce).map_err(SessionError::Sasl)?;
        self.auth_started = Some(mech.clone());
        self.send(Command::Auth(mech, initial), Expect::Auth);
        self.phase = Phase::Auth(Box::new(client));
        Ok(())
    }

    fn ready_event(&mut self) {
        self.ready();
        self.events.push_back(Event::Ready);
    }

    /// RFC 3207 §4: only 220 starts TLS; nothing may follow it in plain text.
    fn on_starttls_reply(&mut self, reply: Reply) -> Result<(), SessionError> {
        let code = reply.code();
        if code.value() == 220 {
            if !self.inbuf.is_empty() {
                return Err(SessionError::StartTlsInjection {
                    octets: self.inbuf.len(),
                });
            }
            self.caps = None;
            self.phase = Phase::Handshake { implicit: false };
            self.events
                .push_back(Event::StartTls(TlsUpgrade { _proof: () }));
            return Ok(());
        }
        if code.is_transient() || code.is_permanent() {
            return Err(SessionError::StartTlsRefused {
                command: "STARTTLS",
                reply,
            });
        }
        Err(SessionError::StartTlsWrongReply(reply))
    }

    /// RFC 4954 §4: 334 carries a challenge, 235 ends it, 4xx/5xx refuse.
    fn on_auth_reply(&mut self, reply: Reply) -> Result<(), SessionError> {
        let Phase::Auth(client) = &mut self.phase else {
            return Err(SessionError::UnexpectedReply {
                command: "AUTH",
                reply,
            });
        };
        match reply.code().value() {
            235 => {
                client.finish().map_err(SessionError::Sasl)?;
                self.authenticated = self.auth_started.take();
                self.ready_event();
                Ok(())
            }
            334 => {
                let response = client
                    .step(&reply.lines().concat())
                    .map_err(SessionError::Sasl)?;
                self.send(Command::AuthResponse(response), Expect::Auth);
                Ok(())
            }
            _ if reply.code().is_transient() || reply.code().is_permanent() => {
                Err(SessionError::AuthFailed(reply))
            }
            _ => Err(SessionError::UnexpectedReply {
                command: "AUTH",
                reply,
            }),
        }
    }
}

/// Shows the session's state, never a secret: credentials print as the user name only
/// ([`Credentials`](super::sasl::Credentials)'s own `Debug`), and the buffers, which hold AUTH lines (base64 of the
/// password for PLAIN and LOGIN) and the SCRAM nonce, and the SASL exchange's state, which
/// holds the password, are shown by size or name only.
impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match &self.phase {
            Phase::Handshake { implicit: true } => "implicit TLS handshake",
            Phase::Handshake { implicit: false } => "STARTTLS handshake",
            Phase::Opening => "opening",
            Phase::Auth(_) => "AUTH",
            Phase::Ready => "ready",
            Phase::Txn => "transaction",
            Phase::Quit => "QUIT sent",
            Phase::Closed => "closed",
            Phase::Failed(_) => "failed",
        };
        let waiting: Vec<&str> = self.pending.iter().map(|e| e.verb()).collect();
        f.debug_struct("Session")
            .field("phase", &phase)
            .field("error", &self.error())
            .field("config", &self.config)
            .field("capabilities", &self.caps)
            .field("tls", &self.tls)
            .field("authenticated", &self.authenticated)
            .field("waiting_for", &waiting)
            .field("messages_in_flight", &self.txns.len())
            .field("octets_to_send", &self.outbuf.len())
            .field("octets_received", &self.inbuf.len())
            .field("deadline", &self.deadline)
            .field("round_trips", &self.round_trips)
            .finish_non_exhaustive()
    }
}

/// The SCRAM client nonce: base64 of 18 random octets (24 printable characters, no `,`).
struct ScramNonce(String);

impl From<[u8; 18]> for ScramNonce {
    fn from(entropy: [u8; 18]) -> Self {
        use base64::Engine as _;
        ScramNonce(base64::engine::general_purpose::STANDARD.encode(entropy))
    }
}
