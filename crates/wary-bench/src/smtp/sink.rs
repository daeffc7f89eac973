//! The sink: a small SMTP server on 127.0.0.1 (ephemeral port) that accepts every message and
//! counts what it took to get them. It offers STARTTLS (rustls), PIPELINING, SIZE, 8BITMIME
//! and, unless told not to, CHUNKING; it can hold every reply back to simulate a round trip.
//!
//! **Delay.** A reply is written `delay` after the request bytes that complete its command
//! arrived, never earlier. Replies that fall due together go out in one write, so a pipelined
//! batch (RFC 2920) is answered after one delay, as a pipelining-aware server across a real
//! link would answer it: the client sees a full round trip per wait, whatever it sends.
//!
//! **Round trips** are counted at the sink, not trusted from the clients: one round trip is
//! one time the client had to wait for the sink. The sink counts one when client bytes arrive
//! while it owes the client no reply and holds no partial command — so the client had read
//! every answer before it could go on. A lock-step client (one command, one wait) scores one
//! per command; a pipelined batch scores one; bytes of one batch split across reads score one.
//!
//! **Bounds.** Reads time out ([`IDLE`]), lines and messages have caps, every connection has
//! an overall deadline, and the listener stops when [`Sink::finish`] is called.

use anyhow::{bail, Context, Result};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A client that sends nothing for this long is dropped.
pub const IDLE: Duration = Duration::from_secs(30);
/// No connection lives longer than this.
const LIFETIME: Duration = Duration::from_secs(900);
/// Longest command line (RFC 5321 §4.5.3.1.4 says 512; extensions make it longer).
const MAX_LINE: usize = 4096;
/// Waits for a reply's due time end with a sleep this long at most: socket read timeouts
/// are rounded up to kernel ticks, a sleep is not. Client bytes arriving during that sleep
/// are stamped when it ends (none do: every client measured waits for its replies).
const TIMER_SLACK: Duration = Duration::from_millis(9);
/// Largest message, also advertised as SIZE.
const MAX_MESSAGE: usize = 50 << 20;

/// How the sink behaves.
#[derive(Clone)]
pub struct SinkConfig {
    /// Hold every reply back this long after its request arrived.
    pub delay: Duration,
    /// Offer CHUNKING (BDAT, RFC 3030).
    pub chunking: bool,
    /// The TLS configuration for STARTTLS.
    pub tls: Arc<rustls::ServerConfig>,
}

/// What the sink saw on one connection.
#[derive(Debug, Clone, Default)]
pub struct ConnStats {
    /// Messages accepted (a 250 to the end of DATA or to `BDAT … LAST`).
    pub messages: u64,
    /// Octets of message content accepted (after DATA's dot-unstuffing).
    pub message_octets: u64,
    /// Round trips (see the module docs) before the first MAIL command.
    pub setup_round_trips: u64,
    /// Round trips from the first MAIL command until QUIT (QUIT's own not counted).
    pub message_round_trips: u64,
    /// Writes of replies (one per batch of replies that fell due together).
    pub flushes: u64,
    /// Commands received, by verb.
    pub mail: u64,
    /// RCPT commands.
    pub rcpt: u64,
    /// DATA commands.
    pub data: u64,
    /// BDAT commands.
    pub bdat: u64,
    /// NOOP commands.
    pub noop: u64,
    /// RSET commands.
    pub rset: u64,
    /// Whether STARTTLS was completed.
    pub tls: bool,
    /// The TLS version, once established.
    pub tls_version: Option<String>,
    /// The error that ended the connection, if any (a QUIT then close is no error).
    pub error: Option<String>,
    /// When the first MAIL command arrived.
    pub first_mail: Option<Instant>,
    /// When the last reply accepting a message was written.
    pub last_accept: Option<Instant>,
}

impl ConnStats {
    /// From the first MAIL's arrival to the write of the last acceptance: the time the
    /// messages took, without connection setup, TLS handshake or process start-up.
    pub fn message_phase(&self) -> Option<Duration> {
        Some(
            self.last_accept?
                .saturating_duration_since(self.first_mail?),
        )
    }
}

/// A running sink.
pub struct Sink {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    listener: JoinHandle<Vec<JoinHandle<ConnStats>>>,
}

impl Sink {
    /// Binds 127.0.0.1 on an ephemeral port and starts accepting.
    pub fn start(config: SinkConfig) -> Result<Sink> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).context("sink: cannot bind")?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let listener = std::thread::spawn(move || {
            let mut conns = Vec::new();
            let started = Instant::now();
            while !stop2.load(Ordering::Relaxed) && started.elapsed() < LIFETIME {
                match listener.accept() {
                    Ok((tcp, _)) => {
                        let config = config.clone();
                        conns.push(std::thread::spawn(move || serve(tcp, &config)));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            conns
        });
        Ok(Sink {
            addr,
            stop,
            listener,
        })
    }

    /// Stops accepting, waits for every connection to end, and returns what each saw.
    pub fn finish(self) -> Result<Vec<ConnStats>> {
        self.stop.store(true, Ordering::Relaxed);
        let conns = self
            .listener
            .join()
            .map_err(|_| anyhow::anyhow!("sink: the listener thread panicked"))?;
        conns
            .into_iter()
            .map(|c| {
                c.join()
                    .map_err(|_| anyhow::anyhow!("sink: a connection thread panicked"))
            })
            .collect()
    }
}

/// Serves one connection; never panics on what the client sends.
fn serve(tcp: TcpStream, config: &SinkConfig) -> ConnStats {
    let mut conn = Conn {
        stream: Stream::Plain(tcp),
        config: config.clone(),
        inbuf: Vec::new(),
        owed: VecDeque::new(),
        mode: Mode::Command,
        arrival: Instant::now(),
        stats: ConnStats::default(),
        in_messages: false,
        quit: false,
    };
    if let Err(e) = conn.run() {
        conn.stats.error = Some(format!("{e:#}"));
    }
    conn.stats
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(bytes).and_then(|()| s.flush()),
            Stream::Tls(s) => s.write_all(bytes).and_then(|()| s.flush()),
        }
    }
}

/// What to do after a reply is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    Nothing,
    StartTls,
    Close,
}

struct Owed {
    due: Instant,
    bytes: Vec<u8>,
    after: After,
    /// This reply accepts a message.
    accepts: bool,
}

/// What the sink is reading.
enum Mode {
    Command,
    /// Message content after DATA's 354, up to `CRLF.CRLF`.
    Data,
    /// `n` octets of a BDAT chunk.
    Bdat {
        size: usize,
        last: bool,
    },
}

struct Conn {
    stream: Stream,
    config: SinkConfig,
    inbuf: Vec<u8>,
    owed: VecDeque<Owed>,
    mode: Mode,
    /// When the last client bytes arrived.
    arrival: Instant,
    stats: ConnStats,
    in_messages: bool,
    quit: bool,
}

impl Conn {
    fn run(&mut self) -> Result<()> {
        let born = Instant::now();
        self.stream.tcp().set_nodelay(true)?;
        self.reply(b"220 localhost wary-bench sink ESMTP\r\n", After::Nothing);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            if born.elapsed() > LIFETIME {
                bail!("connection lifetime exceeded");
            }
            self.process()?;
            let now = Instant::now();
            if let Some(front) = self.owed.front() {
                if front.due <= now {
                    if self.config.delay.is_zero() && self.drain(&mut buf)? {
                        // More of the same batch was waiting: answer it together.
                        continue;
                    }
                    if self.flush()? {
                        return Ok(());
                    }
                    continue;
                }
            }
            let wait = match self.owed.front() {
                Some(o) => {
                    let left = o.due.saturating_duration_since(now);
                    if left <= TIMER_SLACK {
                        // Socket timeouts count in kernel ticks (4 ms at HZ=250) and would
                        // overshoot; the last stretch is a precise sleep instead.
                        std::thread::sleep(left);
                        continue;
                    }
                    left - TIMER_SLACK
                }
                None => IDLE,
            };
            self.stream.tcp().set_read_timeout(Some(wait))?;
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    if self.quit {
                        return Ok(());
                    }
                    bail!("the client closed the connection without QUIT");
                }
                Ok(n) => self.arrived(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.owed.is_empty() {
                        bail!("the client sent nothing for {IDLE:?}");
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && self.quit => return Ok(()),
                Err(e) => return Err(e).context("reading from the client"),
            }
        }
    }

    /// Records bytes from the client, and a round trip when the client had waited for us.
    fn arrived(&mut self, data: &[u8]) {
        let waited = self.owed.is_empty() && self.inbuf.is_empty();
        // At a command boundary, so the bytes start with a verb: the first MAIL opens the
        // message phase, and the wait for QUIT's reply is not part of it.
        let head = data.get(..4).map(<[u8]>::to_ascii_uppercase);
        let quit = head.as_deref() == Some(b"QUIT");
        if waited && head.as_deref() == Some(b"MAIL") {
            self.in_messages = true;
        }
        if waited && !quit && !self.quit {
            if self.in_messages {
                self.stats.message_round_trips += 1;
            } else {
                self.stats.setup_round_trips += 1;
            }
        }
        self.inbuf.extend_from_slice(data);
        self.arrival = Instant::now();
    }

    /// Reads whatever is already waiting, without blocking. True when something was read.
    fn drain(&mut self, buf: &mut [u8]) -> Result<bool> {
        self.stream.tcp().set_nonblocking(true)?;
        let mut got = false;
        let result = loop {
            match self.stream.read(buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    got = true;
                    self.inbuf.extend_from_slice(&buf[..n]);
                    self.arrival = Instant::now();
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.stream.tcp().set_nonblocking(false)?;
        result.context("reading from the client")?;
        Ok(got)
    }

    /// Writes every reply that is due, in one write. True when the connection is over.
    fn flush(&mut self) -> Result<bool> {
        let now = Instant::now();
        let mut out = Vec::new();
        let mut after = After::Nothing;
        let mut accepts = false;
        while let Some(front) = self.owed.front() {
            if front.due > now || after != After::Nothing {
                break;
            }
            if let Some(o) = self.owed.pop_front() {
                out.extend_from_slice(&o.bytes);
                after = o.after;
                accepts |= o.accepts;
            }
        }
        self.stream.tcp().set_write_timeout(Some(IDLE))?;
        self.stream
            .write_all(&out)
            .context("writing replies to the client")?;
        self.stats.flushes += 1;
        if accepts {
            self.stats.last_accept = Some(Instant::now());
        }
        match after {
            After::Nothing => Ok(false),
            After::Close => Ok(true),
            After::StartTls => {
                self.handshake()?;
                Ok(false)
            }
        }
    }

    fn handshake(&mut self) -> Result<()> {
        if !self.inbuf.is_empty() {
            bail!("the client sent {} octets after STARTTLS", self.inbuf.len());
        }
        let Stream::Plain(tcp) = &self.stream else {
            bail!("STARTTLS inside TLS");
        };
        let mut tcp = tcp.try_clone()?;
        let mut tls = rustls::ServerConnection::new(Arc::clone(&self.config.tls))?;
        tcp.set_read_timeout(Some(IDLE))?;
        tcp.set_write_timeout(Some(IDLE))?;
        while tls.is_handshaking() {
            match tls.complete_io(&mut tcp) {
                Ok((0, 0)) if tls.is_handshaking() && !tls.wants_write() => {
                    bail!("the client closed the connection during the TLS handshake")
                }
                Ok(_) => {}
                Err(e) => return Err(e).context("TLS handshake"),
            }
        }
        self.stats.tls = true;
        self.stats.tls_version = tls.protocol_version().map(|v| format!("{v:?}"));
        self.stream = Stream::Tls(Box::new(rustls::StreamOwned::new(tls, tcp)));
        Ok(())
    }

    fn reply(&mut self, bytes: &[u8], after: After) {
        self.owed.push_back(Owed {
            due: self.arrival + self.config.delay,
            bytes: bytes.to_vec(),
            after,
            accepts: false,
        });
    }

    fn accept(&mut self, bytes: &[u8]) {
        self.reply(bytes, After::Nothing);
        if let Some(o) = self.owed.back_mut() {
            o.accepts = true;
        }
    }

    /// Handles every complete command (and message content) in the input buffer.
    fn process(&mut self) -> Result<()> {
        loop {
            if self.quit && !self.inbuf.is_empty() {
                bail!("the client sent data after QUIT");
            }
            match self.mode {
                Mode::Command => {
                    let Some(end) = memchr_crlf(&self.inbuf) else {
                        if self.inbuf.len() > MAX_LINE {
                            bail!("a command line longer than {MAX_LINE} octets");
                        }
                        return Ok(());
                    };
                    let line: Vec<u8> = self.inbuf.drain(..end + 2).take(end).collect();
                    self.command(&line)?;
                    if matches!(self.owed.back(), Some(o) if o.after == After::StartTls) {
                        // Nothing may be read in plain text after STARTTLS.
                        return Ok(());
                    }
                }
                Mode::Data => {
                    let body_end = if self.inbuf.starts_with(b".\r\n") {
                        Some((0, 3))
                    } else {
                        find(&self.inbuf, b"\r\n.\r\n").map(|i| (i + 2, i + 5))
                    };
                    let Some((content, used)) = body_end else {
                        if self.inbuf.len() > MAX_MESSAGE {
                            bail!("a message over {MAX_MESSAGE} octets");
                        }
                        return Ok(());
                    };
                    // Dot-unstuffed size (RFC 5321 §4.5.2): one octet less per stuffed line.
                    let stuffed = count(&self.inbuf[..content], b"\r\n..")
                        + usize::from(self.inbuf.starts_with(b".."));
                    self.inbuf.drain(..used);
                    self.stats.messages += 1;
                    self.stats.message_octets += (content - stuffed) as u64;
                    self.mode = Mode::Command;
                    let n = self.stats.messages;
                    self.accept(format!("250 2.0.0 Ok: queued as {n}\r\n").as_bytes());
                }
                Mode::Bdat { size, last } => {
                    if self.inbuf.len() < size {
                        return Ok(());
                    }
                    self.inbuf.drain(..size);
                    self.stats.message_octets += size as u64;
                    self.mode = Mode::Command;
                    if last {
                        self.stats.messages += 1;
                        let n = self.stats.messages;
                        self.accept(
                            format!("250 2.0.0 Ok: {size} octets, queued as {n}\r\n").as_bytes(),
                        );
                    } else {
                        self.reply(
                            format!("250 2.0.0 {size} octets received\r\n").as_bytes(),
                            After::Nothing,
                        );
                    }
                }
            }
        }
    }

    fn command(&mut self, line: &[u8]) -> Result<()> {
        let text = String::from_utf8_lossy(line);
        let verb = text
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                let mut r = String::from("250-localhost greets you\r\n250-PIPELINING\r\n");
                r.push_str(&format!("250-SIZE {MAX_MESSAGE}\r\n"));
                if self.config.chunking {
                    r.push_str("250-CHUNKING\r\n");
                }
                if !self.stats.tls {
                    r.push_str("250-STARTTLS\r\n");
                }
                r.push_str("250 8BITMIME\r\n");
                self.reply(r.as_bytes(), After::Nothing);
            }
            "HELO" => self.reply(b"250 localhost\r\n", After::Nothing),
            "STARTTLS" if !self.stats.tls => {
                self.reply(b"220 2.0.0 Ready to start TLS\r\n", After::StartTls)
            }
            "MAIL" => {
                self.in_messages = true;
                self.stats.first_mail.get_or_insert(self.arrival);
                self.stats.mail += 1;
                self.reply(b"250 2.1.0 Ok\r\n", After::Nothing);
            }
            "RCPT" => {
                self.stats.rcpt += 1;
                self.reply(b"250 2.1.5 Ok\r\n", After::Nothing);
            }
            "DATA" => {
                self.stats.data += 1;
                self.mode = Mode::Data;
                self.reply(b"354 End data with <CR><LF>.<CR><LF>\r\n", After::Nothing);
            }
            "BDAT" if self.config.chunking => {
                self.stats.bdat += 1;
                let mut args = text.split(' ').skip(1);
                let size = args
                    .next()
                    .and_then(|s| s.parse::<usize>().ok())
                    .filter(|&s| s <= MAX_MESSAGE)
                    .with_context(|| format!("bad BDAT size in {text:?}"))?;
                let last = args.next().is_some_and(|a| a.eq_ignore_ascii_case("LAST"));
                self.mode = Mode::Bdat { size, last };
            }
            "NOOP" => {
                self.stats.noop += 1;
                self.reply(b"250 2.0.0 Ok\r\n", After::Nothing);
            }
            "RSET" => {
                self.stats.rset += 1;
                self.reply(b"250 2.0.0 Ok\r\n", After::Nothing);
            }
            "QUIT" => {
                self.quit = true;
                self.reply(b"221 2.0.0 Bye\r\n", After::Close);
            }
            _ => self.reply(b"502 5.5.2 Command not recognized\r\n", After::Nothing),
        }
        Ok(())
    }
}

fn memchr_crlf(b: &[u8]) -> Option<usize> {
    find(b, b"\r\n")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    memchr::memmem::find_iter(hay, needle).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};

    fn sink(delay: Duration) -> (Sink, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "wary-bench-sink-test-{}-{}",
            std::process::id(),
            delay.as_millis()
        ));
        let pki = crate::smtp::pki::generate(&dir).unwrap();
        let sink = Sink::start(SinkConfig {
            delay,
            chunking: true,
            tls: pki.server,
        })
        .unwrap();
        (sink, dir)
    }

    /// Reads `n` complete replies (last line `ddd ` or `ddd\r\n`).
    fn replies(r: &mut BufReader<TcpStream>, n: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut line = String::new();
        while out.len() < n {
            line.clear();
            assert!(r.read_line(&mut line).unwrap() > 0, "sink closed early");
            if line.as_bytes().get(3) != Some(&b'-') {
                out.push(line.trim_end().to_owned());
            }
        }
        out
    }

    #[test]
    fn a_pipelined_batch_is_one_round_trip_and_lock_step_is_one_per_command() {
        let (sink, dir) = sink(Duration::ZERO);
        let mut tcp = TcpStream::connect(sink.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut r = BufReader::new(tcp.try_clone().unwrap());
        assert!(replies(&mut r, 1)[0].starts_with("220 "));
        tcp.write_all(b"EHLO test.example\r\n").unwrap();
        assert!(replies(&mut r, 1)[0].starts_with("250 "));
        // One batch: MAIL, RCPT and BDAT LAST with its chunk.
        tcp.write_all(
            b"MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 7 LAST\r\nhello\r\n",
        )
        .unwrap();
        let got = replies(&mut r, 3);
        assert!(got[2].starts_with("250 2.0.0 Ok: 7 octets"), "{got:?}");
        // Lock step: four waits.
        for (cmd, code) in [
            (&b"MAIL FROM:<a@b.example>\r\n"[..], "250"),
            (b"RCPT TO:<c@d.example>\r\n", "250"),
            (b"DATA\r\n", "354"),
            (b"..dot\r\nx\r\n.\r\n", "250"),
        ] {
            tcp.write_all(cmd).unwrap();
            assert!(replies(&mut r, 1)[0].starts_with(code));
        }
        tcp.write_all(b"QUIT\r\n").unwrap();
        assert!(replies(&mut r, 1)[0].starts_with("221"));
        let stats = sink.finish().unwrap();
        let _ = std::fs::remove_dir_all(dir);
        let [s] = stats.as_slice() else {
            panic!("{stats:?}")
        };
        assert_eq!(s.error, None);
        assert_eq!((s.messages, s.bdat, s.data), (2, 1, 1));
        // "..dot\r\nx\r\n" is 10 octets with the stuffed dot, 9 without; plus BDAT's 7.
        assert_eq!(s.message_octets, 16);
        assert_eq!((s.setup_round_trips, s.message_round_trips), (1, 5));
        assert!(s.message_phase().is_some());
    }

    #[test]
    fn replies_wait_for_the_delay_and_a_batch_is_answered_in_one_write() {
        let delay = Duration::from_millis(60);
        let (sink, dir) = sink(delay);
        let mut tcp = TcpStream::connect(sink.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut r = BufReader::new(tcp.try_clone().unwrap());
        replies(&mut r, 1);
        let sent = Instant::now();
        tcp.write_all(b"EHLO t.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nBDAT 1 LAST\r\nx")
            .unwrap();
        let got = replies(&mut r, 4);
        assert!(sent.elapsed() >= delay, "{:?}", sent.elapsed());
        assert!(got[3].starts_with("250 2.0.0 Ok: 1 octets"), "{got:?}");
        tcp.write_all(b"QUIT\r\n").unwrap();
        replies(&mut r, 1);
        let stats = sink.finish().unwrap();
        let _ = std::fs::remove_dir_all(dir);
        // Greeting, the batch, QUIT: three writes.
        assert_eq!(stats[0].flushes, 3, "{stats:?}");
        assert_eq!(stats[0].setup_round_trips, 1);
        assert_eq!(stats[0].message_round_trips, 0);
    }
}
