//! One accepted connection of a scripted server: plain TCP or rustls on top of it, a line
//! reader with a cap, bounded waits, and a transcript of every byte in both directions with
//! the channel it travelled on (plain text, or TLS with which certificate).
//!
//! Every wait is cut into short read timeouts so the connection ends promptly when the run
//! is stopped (the client exited or was killed) or the scenario's deadline passes.

use crate::pki::{CertKind, TestPki};
use rustls::{ServerConnection, StreamOwned};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest line the scripted server buffers before treating what it has as a line.
pub(crate) const MAX_LINE: usize = 64 * 1024;
/// How long one blocking read waits before the stop flag and deadline are checked again.
const POLL: Duration = Duration::from_millis(50);
/// Most client and server bytes kept in one scenario's transcript; past it, bytes are still
/// read (and answered) but no longer recorded, so a flood cannot exhaust memory.
pub(crate) const MAX_RECORD: usize = 16 * 1024 * 1024;
/// How long one write may block (a client that stops reading must not stall the server).
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Where bytes travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "cert")]
pub enum Channel {
    /// Plain TCP: readable and writable by anyone on the path.
    Plain,
    /// A TLS session in which the server presented this certificate.
    Tls(CertKind),
}

impl Channel {
    /// Whether data sent here is protected from a man in the middle (TLS with the trusted
    /// certificate). Anything else is readable by whoever plays the server.
    #[must_use]
    pub fn is_protected(self) -> bool {
        matches!(self, Channel::Tls(cert) if cert.is_trustworthy())
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Channel::Plain => f.write_str("in plain text"),
            Channel::Tls(CertKind::Trusted) => f.write_str("inside verified TLS"),
            Channel::Tls(cert) => write!(f, "over TLS with {cert} (unverified TLS)"),
        }
    }
}

/// One thing that happened on a scripted server.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Event {
    /// Which connection (0 for the first one the client opened).
    pub conn: u32,
    /// Milliseconds since the scenario's server started.
    pub at_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub what: What,
}

/// The kinds of [`Event`].
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "event")]
pub enum What {
    /// The client connected.
    Connected,
    /// Bytes the client sent (decrypted when on TLS).
    Client {
        /// Where they travelled.
        channel: Channel,
        /// The bytes.
        #[serde(serialize_with = "lossy")]
        bytes: Vec<u8>,
    },
    /// Bytes the server sent (before encryption when on TLS).
    Server {
        /// Where they travelled.
        channel: Channel,
        /// The bytes.
        #[serde(serialize_with = "lossy")]
        bytes: Vec<u8>,
    },
    /// A TLS handshake finished: the client accepted the certificate.
    TlsUp {
        /// The certificate it accepted.
        cert: CertKind,
        /// Negotiated version and cipher suite.
        params: String,
    },
    /// A TLS handshake failed (usually: the client refused the certificate with an alert).
    TlsFailed {
        /// The certificate it was offered.
        cert: CertKind,
        /// What rustls reported.
        error: String,
    },
    /// The server finished reading a message and accepted it (the reply was 250).
    MessageAccepted {
        /// Where the message travelled.
        channel: Channel,
    },
    /// The client sent a command before the server answered its EHLO: it must have read
    /// the reply injected before the handshake as if the TLS server had sent it.
    InjectedReplyUsed {
        /// The command it sent too early.
        #[serde(serialize_with = "lossy")]
        command: Vec<u8>,
    },
    /// The connection ended.
    Closed {
        /// Why.
        reason: String,
    },
}

fn lossy<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(bytes))
}

/// The shared, append-only record of a scenario.
#[derive(Clone)]
pub(crate) struct Log {
    started: Instant,
    events: Arc<Mutex<(Vec<Event>, usize)>>,
}

impl Log {
    pub(crate) fn new() -> Self {
        Log {
            started: Instant::now(),
            events: Arc::default(),
        }
    }

    pub(crate) fn push(&self, conn: u32, what: What) {
        let at_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        // A poisoned lock means a server thread panicked; keep recording regardless.
        let mut guard = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let (events, recorded) = &mut *guard;
        if let What::Client { bytes, .. } | What::Server { bytes, .. } = &what {
            if *recorded >= MAX_RECORD {
                return;
            }
            *recorded += bytes.len();
            if *recorded >= MAX_RECORD {
                events.push(Event {
                    conn,
                    at_ms,
                    what: What::Closed {
                        reason: format!("transcript full ({MAX_RECORD} bytes): recording stops"),
                    },
                });
            }
        }
        events.push(Event { conn, at_ms, what });
    }

    pub(crate) fn take(&self) -> Vec<Event> {
        let mut guard = self.events.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut guard.0)
    }
}

/// Why a connection ended (never an error of the probe: every ending is recorded).
#[derive(Debug)]
pub(crate) enum End {
    /// The client closed or reset the connection.
    Eof,
    /// The run was stopped or the deadline passed.
    Stopped,
    /// The script decided to end it.
    Script(&'static str),
    /// An I/O or TLS error.
    Failed(String),
}

enum Wire {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
    Gone,
}

/// One connection, as the scenario script sees it.
pub(crate) struct Conn {
    id: u32,
    wire: Wire,
    channel: Channel,
    buf: Vec<u8>,
    log: Log,
    stop: Arc<AtomicBool>,
    deadline: Instant,
}

impl Conn {
    pub(crate) fn new(
        id: u32,
        tcp: TcpStream,
        log: Log,
        stop: Arc<AtomicBool>,
        deadline: Instant,
    ) -> io::Result<Self> {
        tcp.set_nonblocking(false)?;
        tcp.set_read_timeout(Some(POLL))?;
        tcp.set_write_timeout(Some(WRITE_TIMEOUT))?;
        tcp.set_nodelay(true)?;
        log.push(id, What::Connected);
        Ok(Conn {
            id,
            wire: Wire::Plain(tcp),
            channel: Channel::Plain,
            buf: Vec::new(),
            log,
            stop,
            deadline,
        })
    }

    pub(crate) fn channel(&self) -> Channel {
        self.channel
    }

    pub(crate) fn record(&self, what: What) {
        self.log.push(self.id, what);
    }

    fn should_stop(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || Instant::now() >= self.deadline
    }

    /// Sends bytes, recording them on the current channel.
    pub(crate) fn send(&mut self, bytes: &[u8]) -> Result<(), End> {
        self.record(What::Server {
            channel: self.channel,
            bytes: bytes.to_vec(),
        });
        let result = match &mut self.wire {
            Wire::Plain(tcp) => tcp.write_all(bytes).and_then(|()| tcp.flush()),
            Wire::Tls(tls) => tls.write_all(bytes).and_then(|()| tls.flush()),
            Wire::Gone => return Err(End::Eof),
        };
        result.map_err(|e| End::Failed(format!("write failed: {e}")))
    }

    /// Reads whatever arrives next (one chunk) into the line buffer.
    ///
    /// The stop flag is only honoured once nothing more is waiting: the client may have
    /// written its last (leaking) bytes just before it exited, and they must be recorded.
    /// The deadline is honoured at once, so a flood cannot hold the server.
    pub(crate) fn read_some(&mut self) -> Result<usize, End> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if Instant::now() >= self.deadline {
                return Err(End::Stopped);
            }
            let result = match &mut self.wire {
                Wire::Plain(tcp) => tcp.read(&mut chunk),
                Wire::Tls(tls) => tls.read(&mut chunk),
                Wire::Gone => return Err(End::Eof),
            };
            match result {
                Ok(0) => return Err(End::Eof),
                Ok(n) => {
                    self.record(What::Client {
                        channel: self.channel,
                        bytes: chunk[..n].to_vec(),
                    });
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if is_timeout(&e) && self.should_stop() => return Err(End::Stopped),
                Err(e) if is_timeout(&e) => continue,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Err(End::Eof),
                Err(e) => return Err(End::Failed(format!("read failed: {e}"))),
            }
        }
    }

    /// Reads within `window` only; returns whether anything arrived.
    pub(crate) fn read_for(&mut self, window: Duration) -> Result<bool, End> {
        let until = Instant::now() + window;
        let shorter = until.min(self.deadline);
        let deadline = std::mem::replace(&mut self.deadline, shorter);
        let result = self.read_some();
        self.deadline = deadline;
        match result {
            Ok(_) => Ok(true),
            Err(End::Stopped) if !self.should_stop() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether a complete line is already buffered.
    pub(crate) fn has_line(&self) -> bool {
        self.buf.contains(&b'\n')
    }

    /// Drops what is buffered (already recorded), e.g. a TLS ClientHello answered in plain.
    pub(crate) fn discard_buffer(&mut self) {
        self.buf.clear();
    }

    /// The next line, without its line ending. A line longer than [`MAX_LINE`] is cut there.
    pub(crate) fn read_line(&mut self) -> Result<Vec<u8>, End> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=pos).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() >= MAX_LINE {
                return Ok(self.buf.drain(..MAX_LINE).collect());
            }
            self.read_some()?;
        }
    }

    /// Answers nothing ever again, but keeps recording what the client sends until it
    /// closes or the run stops.
    pub(crate) fn silence(&mut self) -> End {
        loop {
            if let Err(end) = self.read_some() {
                return end;
            }
            // Bounded: the buffer is only kept for the record, which already has the bytes.
            self.buf.clear();
        }
    }

    /// Writes an endless line: `prefix`, then filler in chunks, until the client gives up,
    /// `cap` bytes were sent, or the run stops. Only the first chunk is recorded.
    pub(crate) fn endless(&mut self, prefix: &[u8], cap: usize) -> End {
        if let Err(end) = self.send(prefix) {
            return end;
        }
        let filler = vec![b'x'; 64 * 1024];
        let mut sent = 0usize;
        while sent < cap {
            if self.should_stop() {
                return End::Stopped;
            }
            let result = match &mut self.wire {
                Wire::Plain(tcp) => tcp.write_all(&filler),
                Wire::Tls(tls) => tls.write_all(&filler),
                Wire::Gone => return End::Eof,
            };
            match result {
                Ok(()) => sent += filler.len(),
                Err(e) if is_timeout(&e) => continue,
                Err(_) => {
                    return End::Failed(format!(
                        "client stopped reading after {sent} bytes of the endless line"
                    ))
                }
            }
        }
        // The cap is reached and the client is still reading: hold the line open, silent.
        self.silence()
    }

    /// Runs a server-side TLS handshake with `cert`. On success every later byte travels on
    /// `Channel::Tls(cert)`; on failure the reason is recorded and the connection is over.
    pub(crate) fn upgrade(&mut self, pki: &TestPki, cert: CertKind) -> Result<(), End> {
        let Wire::Plain(mut tcp) = std::mem::replace(&mut self.wire, Wire::Gone) else {
            return Err(End::Script("TLS requested twice"));
        };
        let mut tls = ServerConnection::new(pki.server_config(cert))
            .map_err(|e| End::Failed(format!("rustls server setup failed: {e}")))?;
        // Anything the client sent after STARTTLS before waiting for our 220 is already in
        // the record as plain text; hand it to rustls as the start of the handshake.
        if !self.buf.is_empty() {
            let early = std::mem::take(&mut self.buf);
            if let Err(e) = tls.read_tls(&mut early.as_slice()) {
                return Err(self.handshake_failed(cert, e.to_string()));
            }
        }
        while tls.is_handshaking() {
            if self.should_stop() {
                return Err(End::Stopped);
            }
            match tls.complete_io(&mut tcp) {
                Ok((0, 0)) => {
                    return Err(self.handshake_failed(cert, "client closed the connection".into()))
                }
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {}
                Err(e) => {
                    // Send our alert, if any, so the client sees a proper ending.
                    let _ = tls.write_tls(&mut tcp);
                    return Err(self.handshake_failed(cert, e.to_string()));
                }
            }
        }
        let params = format!(
            "{} {}",
            tls.protocol_version()
                .map_or_else(|| "TLS".to_owned(), |v| format!("{v:?}")),
            tls.negotiated_cipher_suite()
                .map_or_else(String::new, |s| format!("{:?}", s.suite())),
        );
        self.record(What::TlsUp { cert, params });
        self.channel = Channel::Tls(cert);
        self.wire = Wire::Tls(Box::new(StreamOwned::new(tls, tcp)));
        Ok(())
    }

    fn handshake_failed(&mut self, cert: CertKind, error: String) -> End {
        self.record(What::TlsFailed {
            cert,
            error: error.clone(),
        });
        End::Failed(format!("TLS handshake failed: {error}"))
    }

    /// Records why the connection ended and closes it (TLS close_notify when on TLS).
    pub(crate) fn close(mut self, end: &End) {
        let reason = match end {
            End::Eof => "client closed the connection".to_owned(),
            End::Stopped => "run stopped (client exited or time limit)".to_owned(),
            End::Script(why) => format!("server closed it: {why}"),
            End::Failed(why) => why.clone(),
        };
        self.record(What::Closed { reason });
        if let Wire::Tls(tls) = &mut self.wire {
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_stops_recording_at_its_cap() {
        let log = Log::new();
        let chunk = vec![b'x'; 1024 * 1024];
        for _ in 0..40 {
            log.push(
                0,
                What::Client {
                    channel: Channel::Plain,
                    bytes: chunk.clone(),
                },
            );
        }
        let events = log.take();
        let kept: usize = events
            .iter()
            .map(|e| match &e.what {
                What::Client { bytes, .. } => bytes.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(kept, MAX_RECORD);
        assert!(matches!(
            events.last().map(|e| &e.what),
            Some(What::Client { .. })
        ));
        assert!(events.iter().any(
            |e| matches!(&e.what, What::Closed { reason } if reason.contains("transcript full"))
        ));
    }
}
