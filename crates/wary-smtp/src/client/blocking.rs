//! The blocking driver: `std::io` around the shared step machine ([`super::driver`]). Every
//! wait is bounded by setting the stream's own timeouts to the time left until the step's
//! deadline, so a silent or dripping server cannot hold the client.

use super::batch::{self, Batch, Fill};
use super::driver::{self, Driver, Wait};
use super::{nonzero, ClientConfig};
use crate::error::Error;
use crate::proto::{DeliveryReport, Envelope, Event, Message, SubmitError};
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// A stream the blocking driver can bound in time: `Read + Write` whose reads and writes
/// give up after a timeout (`WouldBlock` or `TimedOut`). Implemented for [`TcpStream`] and
/// (on Unix) `UnixStream`; wrap any other stream in [`Untimed`], or implement these for it.
pub trait Transport: Read + Write {
    /// Makes the next reads give up after `timeout`.
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()>;
    /// Makes the next writes give up after `timeout`.
    fn set_write_timeout(&mut self, timeout: Duration) -> io::Result<()>;
    /// The local end's IP address, for the default EHLO name (`[192.0.2.1]`). `None` (the
    /// default) means the configuration must name the client
    /// ([`ClientConfigBuilder::helo`](super::ClientConfigBuilder::helo)).
    fn local_ip(&self) -> Option<IpAddr> {
        None
    }
}

impl Transport for TcpStream {
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        TcpStream::set_read_timeout(self, Some(timeout))
    }
    fn set_write_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        TcpStream::set_write_timeout(self, Some(timeout))
    }
    fn local_ip(&self) -> Option<IpAddr> {
        self.local_addr().ok().map(|a| a.ip())
    }
}

#[cfg(unix)]
impl Transport for std::os::unix::net::UnixStream {
    fn set_read_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, Some(timeout))
    }
    fn set_write_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_write_timeout(self, Some(timeout))
    }
}

/// Any `Read + Write` as a [`Transport`] that cannot time out: wary still checks each
/// deadline between reads (a server dripping octets is cut off), but a read or write that
/// blocks is bounded only by the stream itself. Use it for streams that time out on their
/// own, or in tests.
#[derive(Debug)]
pub struct Untimed<S>(pub S);

impl<S: Read> Read for Untimed<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<S: Write> Write for Untimed<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<S: Read + Write> Transport for Untimed<S> {
    fn set_read_timeout(&mut self, _: Duration) -> io::Result<()> {
        Ok(())
    }
    fn set_write_timeout(&mut self, _: Duration) -> io::Result<()> {
        Ok(())
    }
}

/// An open SMTP session over one connection (blocking).
pub struct Client<S: Transport = TcpStream> {
    driver: Driver,
    /// `None` once the connection is closed.
    stream: Option<S>,
    buf: Vec<u8>,
}

impl Client<TcpStream> {
    /// Connects, reads the greeting, sends EHLO, does STARTTLS (or implicit TLS), EHLO again,
    /// and AUTH when configured: on success the session is ready for messages.
    pub fn connect(config: &ClientConfig) -> Result<Client<TcpStream>, Error> {
        // Configure TLS first: a bad CA file or name is reported before any traffic.
        let target = super::prepare(config)?;
        let timeout = nonzero(config.session().timeouts.clamped().connect);
        let host = config.host();
        let addrs = super::resolved(
            host,
            (super::bare_host(host), config.port()).to_socket_addrs(),
        )?;
        let mut last = io::Error::other("no address");
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, timeout) {
                Ok(s) => {
                    super::no_delay(s.set_nodelay(true))?;
                    return Client::open(s, config, target);
                }
                Err(e) => last = e,
            }
        }
        Err(super::connect_failed(&addrs, last))
    }
}

impl<S: Transport> Client<S> {
    /// Opens the session over a stream you connected: plain text, STARTTLS or implicit TLS
    /// as `config` says (its host and port are not used to connect; the host is the name
    /// the certificate must match unless a TLS server name is given). A [`TcpStream`]
    /// handed over for STARTTLS works like [`Client::connect`]'s own.
    pub fn over(stream: S, config: &ClientConfig) -> Result<Client<S>, Error> {
        let target = super::prepare(config)?;
        Client::open(stream, config, target)
    }

    fn open(
        stream: S,
        config: &ClientConfig,
        target: Option<crate::tls::Target>,
    ) -> Result<Client<S>, Error> {
        let driver = super::start(config, target, stream.local_ip())?;
        let mut client = Client {
            driver,
            stream: Some(stream),
            buf: vec![0; 16 * 1024],
        };
        client.drive(driver::ready)?;
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
        // A session that failed since the last call says why, not merely "not ready".
        if self.driver.failed() {
            return Err(self.fail());
        }
        self.driver.session_mut().send_message(envelope, message)?;
        self.drive(driver::delivered)
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
        if self.driver.failed() {
            return Err(self.fail());
        }
        let mut batch = Batch::new(messages.into_iter(), quit);
        loop {
            match batch.fill(&mut self.driver, &mut on_report) {
                Fill::Drive => {}
                Fill::Over(result) => return result,
                Fill::Failed => return Err(self.fail()),
            }
            let report = self.drive(batch::batch_event)?;
            batch.settle(report, &mut on_report);
        }
    }

    /// Sends RSET on an idle connection and waits for its 250 (RFC 5321 §4.1.1.5): a cheap
    /// check that the server still listens before reusing a connection that sat idle. Any
    /// other reply ends the session with an error (a 421: the server is closing it).
    pub fn reset(&mut self) -> Result<(), Error> {
        if self.driver.failed() {
            return Err(self.fail());
        }
        self.driver.session_mut().reset()?;
        self.drive(driver::ready)
    }

    super::session_accessors!();

    /// Sends QUIT (unless it is already on its way) and waits for the reply (or the close),
    /// then closes the connection, with a TLS close_notify.
    pub fn quit(mut self) -> Result<(), Error> {
        if self.driver.session().is_closed() {
            // A failure not yet returned (it ended the session after the last report).
            let failure = self.driver.take_own_failure();
            self.close();
            return failure.map_or(Ok(()), Err);
        }
        self.driver.session_mut().quit();
        let result = self.drive(driver::closed);
        self.close();
        result
    }

    /// Runs the session until `done` accepts an event, moving the bytes [`Driver::wait`]
    /// asks for (which keeps the issue 9 order of reports and errors).
    fn drive<T>(&mut self, mut done: impl FnMut(Event) -> Option<T>) -> Result<T, Error> {
        loop {
            match self.driver.wait(&mut done) {
                Wait::Write(deadline) => {
                    let result = match self.stream.as_mut() {
                        Some(s) => write_by(s, self.driver.wire(), deadline),
                        None => Err(driver::gone()),
                    };
                    self.driver.wrote(result);
                }
                Wait::Read(deadline) => {
                    let Some(s) = self.stream.as_mut() else {
                        self.driver.stream_gone();
                        continue;
                    };
                    let result = read_by(s, &mut self.buf, deadline);
                    self.driver.received(result.map(|n| &self.buf[..n]));
                }
                Wait::Done(result) => return result,
                Wait::Failed => return Err(self.fail()),
            }
        }
    }

    /// Closes the connection and returns the error that ended the session.
    fn fail(&mut self) -> Error {
        self.close();
        self.driver.failure()
    }

    /// Sends a TLS close_notify (best effort, bounded) and drops the connection.
    fn close(&mut self) {
        if let (Some(deadline), Some(s)) = (self.driver.close(), self.stream.as_mut()) {
            // NOTE: the peer may be gone already; closing is best effort.
            let result = write_by(s, self.driver.wire(), deadline);
            self.driver.wrote(result);
        }
        self.stream = None;
    }
}

impl<S: Transport> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.driver.fmt_client("Client", self.stream.is_some(), f)
    }
}

/// The time left until `deadline`, or a timeout error when none is.
fn left(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    Ok(left)
}

/// Writes all of `buf` before `deadline` (each write call gets only the time left).
fn write_by<S: Transport>(s: &mut S, mut buf: &[u8], deadline: Instant) -> io::Result<()> {
    while !buf.is_empty() {
        s.set_write_timeout(nonzero(left(deadline)?))?;
        match s.write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    s.set_write_timeout(nonzero(left(deadline)?))?;
    s.flush()
}

/// One read before `deadline`.
fn read_by<S: Transport>(s: &mut S, buf: &mut [u8], deadline: Instant) -> io::Result<usize> {
    s.set_read_timeout(nonzero(left(deadline)?))?;
    s.read(buf)
}
