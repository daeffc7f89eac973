//! The async driver (feature `tokio`): tokio's sockets and timers around the same step
//! machine as the blocking driver ([`super::driver`]), so the two behave alike: the same
//! STARTTLS gate, deadlines (each wait ends at the step's instant, through
//! `tokio::time::timeout_at`), 64 KiB write pieces, reports and errors. It needs a tokio
//! runtime with the time and I/O drivers enabled (`Builder::enable_all`).

use super::batch::{self, Batch, Fill};
use super::driver::{self, Driver, Wait};
use super::{nonzero, ClientConfig};
use crate::error::Error;
use crate::proto::{DeliveryReport, Envelope, Event, Message, SubmitError};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// An open SMTP session over one connection (tokio). The same API as the blocking
/// [`Client`](super::Client), with `async` methods.
pub struct AsyncClient<S = TcpStream> {
    driver: Driver,
    /// `None` once the connection is closed.
    stream: Option<S>,
    buf: Vec<u8>,
}

impl AsyncClient<TcpStream> {
    /// Connects, reads the greeting, sends EHLO, does STARTTLS (or implicit TLS), EHLO again,
    /// and AUTH when configured: on success the session is ready for messages.
    pub async fn connect(config: &ClientConfig) -> Result<AsyncClient<TcpStream>, Error> {
        // Configure TLS first: a bad CA file or name is reported before any traffic.
        let target = super::prepare(config)?;
        let timeout = nonzero(config.session().timeouts.clamped().connect);
        let host = config.host();
        // Name resolution is bounded by the connect timeout too.
        let lookup = tokio::net::lookup_host((super::bare_host(host), config.port()));
        let found = match tokio::time::timeout(timeout, lookup).await {
            Ok(found) => found,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "name resolution timed out",
            )),
        };
        let addrs = super::resolved(host, found)?;
        let mut last = io::Error::other("no address");
        for addr in &addrs {
            match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
                Ok(Ok(s)) => {
                    super::no_delay(s.set_nodelay(true))?;
                    let local = s.local_addr().ok().map(|a| a.ip());
                    return AsyncClient::open(s, local, config, target).await;
                }
                Ok(Err(e)) => last = e,
                Err(_) => last = io::ErrorKind::TimedOut.into(),
            }
        }
        Err(super::connect_failed(&addrs, last))
    }

    /// Opens the session over a tokio TCP stream you connected (for STARTTLS, implicit TLS
    /// or plain text, as `config` says); EHLO names its local address unless the
    /// configuration gives a name.
    pub async fn over_tcp(
        stream: TcpStream,
        config: &ClientConfig,
    ) -> Result<AsyncClient<TcpStream>, Error> {
        let target = super::prepare(config)?;
        let local = stream.local_addr().ok().map(|a| a.ip());
        AsyncClient::open(stream, local, config, target).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send> AsyncClient<S> {
    /// Opens the session over any stream (plain text, STARTTLS or implicit TLS, as `config`
    /// says; its host and port are not used to connect, the host is the name the
    /// certificate must match unless a TLS server name is given). The configuration must
    /// name the client ([`ClientConfigBuilder::helo`](super::ClientConfigBuilder::helo)):
    /// a stream has no local address to name.
    pub async fn over(stream: S, config: &ClientConfig) -> Result<AsyncClient<S>, Error> {
        let target = super::prepare(config)?;
        AsyncClient::open(stream, None, config, target).await
    }

    async fn open(
        stream: S,
        local: Option<std::net::IpAddr>,
        config: &ClientConfig,
        target: Option<crate::tls::Target>,
    ) -> Result<AsyncClient<S>, Error> {
        let driver = super::start(config, target, local)?;
        let mut client = AsyncClient {
            driver,
            stream: Some(stream),
            buf: vec![0; 16 * 1024],
        };
        client.drive(driver::ready).await?;
        Ok(client)
    }

    /// Sends one message and returns what the server said about it. An `Ok` report can
    /// still say the message was refused, or refused for some recipients: check
    /// [`DeliveryReport::outcome`]. After an `Err`, the connection is unusable.
    pub async fn send(
        &mut self,
        envelope: &Envelope,
        message: &Message,
    ) -> Result<DeliveryReport, Error> {
        // A session that failed since the last call says why, not merely "not ready".
        if self.driver.failed() {
            return Err(self.fail().await);
        }
        self.driver.session_mut().send_message(envelope, message)?;
        self.drive(driver::delivered).await
    }

    /// Sends many messages over this connection, pipelined when the server allows, like
    /// [`Client::send_many`](super::Client::send_many): `on_report` is called exactly once
    /// per message with its index.
    pub async fn send_many<'a, I>(
        &mut self,
        messages: I,
        on_report: impl FnMut(usize, Result<DeliveryReport, SubmitError>),
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a Message)>,
    {
        self.batch(messages, on_report, false).await
    }

    /// [`AsyncClient::send_many`], then QUIT in the same write as the last content when
    /// pipelining; call [`AsyncClient::quit`] afterwards.
    pub async fn send_many_then_quit<'a, I>(
        &mut self,
        messages: I,
        on_report: impl FnMut(usize, Result<DeliveryReport, SubmitError>),
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a Message)>,
    {
        self.batch(messages, on_report, true).await
    }

    async fn batch<'a, I>(
        &mut self,
        messages: I,
        mut on_report: impl FnMut(usize, Result<DeliveryReport, SubmitError>),
        quit: bool,
    ) -> Result<(), Error>
    where
        I: IntoIterator<Item = (&'a Envelope, &'a Message)>,
    {
        if self.driver.failed() {
            return Err(self.fail().await);
        }
        let mut batch = Batch::new(messages.into_iter(), quit);
        loop {
            match batch.fill(&mut self.driver, &mut on_report) {
                Fill::Drive => {}
                Fill::Over(result) => return result,
                Fill::Failed => return Err(self.fail().await),
            }
            let report = self.drive(batch::batch_event).await?;
            batch.settle(report, &mut on_report);
        }
    }

    /// Sends RSET on an idle connection and waits for its 250, like
    /// [`Client::reset`](super::Client::reset).
    pub async fn reset(&mut self) -> Result<(), Error> {
        if self.driver.failed() {
            return Err(self.fail().await);
        }
        self.driver.session_mut().reset()?;
        self.drive(driver::ready).await
    }

    super::session_accessors!();

    /// Sends QUIT (unless it is already on its way) and waits for the reply (or the close),
    /// then closes the connection, with a TLS close_notify.
    pub async fn quit(mut self) -> Result<(), Error> {
        if self.driver.session().is_closed() {
            // A failure not yet returned (it ended the session after the last report).
            let failure = self.driver.take_own_failure();
            self.close().await;
            return failure.map_or(Ok(()), Err);
        }
        self.driver.session_mut().quit();
        let result = self.drive(driver::closed).await;
        self.close().await;
        result
    }

    /// Runs the session until `done` accepts an event; the blocking driver's `drive`, with
    /// the waits awaited.
    async fn drive<T>(&mut self, mut done: impl FnMut(Event) -> Option<T>) -> Result<T, Error> {
        loop {
            match self.driver.wait(&mut done) {
                Wait::Write(deadline) => {
                    let result = match self.stream.as_mut() {
                        Some(s) => write_by(s, self.driver.wire(), deadline).await,
                        None => Err(driver::gone()),
                    };
                    self.driver.wrote(result);
                }
                Wait::Read(deadline) => {
                    let Some(s) = self.stream.as_mut() else {
                        self.driver.stream_gone();
                        continue;
                    };
                    let result = read_by(s, &mut self.buf, deadline).await;
                    self.driver.received(result.map(|n| &self.buf[..n]));
                }
                Wait::Done(result) => return result,
                Wait::Failed => return Err(self.fail().await),
            }
        }
    }

    /// Closes the connection and returns the error that ended the session.
    async fn fail(&mut self) -> Error {
        self.close().await;
        self.driver.failure()
    }

    /// Sends a TLS close_notify (best effort, bounded) and drops the connection.
    async fn close(&mut self) {
        if let (Some(deadline), Some(s)) = (self.driver.close(), self.stream.as_mut()) {
            // NOTE: the peer may be gone already; closing is best effort.
            let result = write_by(s, self.driver.wire(), deadline).await;
            self.driver.wrote(result);
        }
        if let Some(mut s) = self.stream.take() {
            // A FIN, bounded like the close_notify; best effort.
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
            let shutdown = poll_fn(|cx| Pin::new(&mut s).poll_shutdown(cx));
            let _ = tokio::time::timeout_at(deadline, shutdown).await;
        }
    }
}

impl<S> fmt::Debug for AsyncClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.driver
            .fmt_client("AsyncClient", self.stream.is_some(), f)
    }
}

/// Writes all of `buf` (and flushes) before `deadline`.
async fn write_by<S: AsyncWrite + Unpin>(
    s: &mut S,
    mut buf: &[u8],
    deadline: Instant,
) -> io::Result<()> {
    let write = async {
        while !buf.is_empty() {
            match poll_fn(|cx| Pin::new(&mut *s).poll_write(cx, buf)).await {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        poll_fn(|cx| Pin::new(&mut *s).poll_flush(cx)).await
    };
    tokio::time::timeout_at(deadline.into(), write)
        .await
        .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
}

/// One read before `deadline`.
async fn read_by<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut [u8],
    deadline: Instant,
) -> io::Result<usize> {
    let read = poll_fn(|cx| {
        let mut rb = ReadBuf::new(buf);
        Pin::new(&mut *s)
            .poll_read(cx, &mut rb)
            .map_ok(|()| rb.filled().len())
    });
    tokio::time::timeout_at(deadline.into(), read)
        .await
        .unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into()))
}
