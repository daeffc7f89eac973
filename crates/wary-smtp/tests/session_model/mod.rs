//! A model-based check of the sans-IO [`Session`] (issue 9), shared by the property test
//! (`tests/session_props.rs`, in `cargo test`) and the fuzz target
//! (`fuzz/fuzz_targets/smtp_session.rs`, which includes this file by path).
//!
//! The input bytes drive a model server and the environment: which reply each command gets
//! (2xx, 4xx, 5xx, 421, garbage), how the server's bytes are split into reads, unsolicited
//! bytes, closes, timeouts, TLS handshakes that succeed or fail, and when messages are
//! submitted. The model server parses what the client writes, so it knows what it answered
//! to what. [`run`] returns the first broken invariant:
//!
//! 1. no content byte before MAIL and at least one RCPT were accepted (and those replies
//!    reached the client);
//! 2. with STARTTLS, nothing but EHLO and STARTTLS goes out in plain text;
//! 3. nothing is sent after a 220 to STARTTLS until the upgrade, and the upgrade comes only
//!    when the 220 was the last byte received;
//! 4. `delivered` exactly as defined: reported only for a transaction whose MAIL and a RCPT
//!    were accepted, whose content the server received whole and whose final reply was 2xx;
//!    and always reported when that final reply reached the client before anything that
//!    could break the session (class 2);
//! 5. every message taken gets exactly one report, in order, also when the session fails;
//! 6. no panic (the fuzzer's own check), and every output and event queue stays bounded.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};
use wary_smtp::proto::*;

/// The longest a model run goes, in operations.
const MAX_OPS: usize = 2_000;
/// More than any transmit of the model's small messages may hold.
const MAX_TRANSMIT: usize = 16 * 1024;

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

/// What the model server knows about one transaction (one MAIL it saw).
#[derive(Debug, Default, Clone)]
struct Txn {
    /// End offset (in the server's output) of a 2xx reply to MAIL.
    mail_ok: Option<usize>,
    /// End offset of the first 2xx reply to a RCPT.
    rcpt_ok: Option<usize>,
    /// The server received the content whole (with its end).
    content_whole: bool,
    /// End offset of a 2xx final reply.
    final_ok: Option<usize>,
}

#[derive(Debug, PartialEq, Eq)]
enum Mode {
    Commands,
    Data,
    Bdat(usize),
}

struct Server {
    out: Vec<u8>,
    fed: usize,
    inbuf: Vec<u8>,
    mode: Mode,
    txns: Vec<Txn>,
    data: Vec<u8>,
    /// Offset of the first byte that may legitimately end the session (garbage,
    /// unsolicited bytes, 421).
    first_bad: usize,
    /// End offset of the last 220 to STARTTLS.
    starttls_220: Option<usize>,
    pipelining: bool,
    chunking: bool,
    strip_starttls: bool,
}

fn violation(what: &str) -> Result<(), String> {
    Err(what.to_owned())
}

impl Server {
    fn reply(&mut self, text: &str, bad: bool) -> usize {
        if bad {
            self.first_bad = self.first_bad.min(self.out.len());
        }
        self.out.extend_from_slice(text.as_bytes());
        self.out.len()
    }

    /// Takes what the client wrote; answers each complete command by the input's choice.
    fn take(
        &mut self,
        bytes: &[u8],
        tls: bool,
        starttls_mode: bool,
        input: &mut Input<'_>,
    ) -> Result<(), String> {
        self.inbuf.extend_from_slice(bytes);
        loop {
            match self.mode {
                Mode::Bdat(n) => {
                    if self.inbuf.len() < n {
                        self.check_content(&self.inbuf.clone())?;
                        return Ok(());
                    }
                    let chunk: Vec<u8> = self.inbuf.drain(..n).collect();
                    self.check_content(&chunk)?;
                    if let Some(t) = self.txns.last_mut() {
                        t.content_whole = true;
                    }
                    self.mode = Mode::Commands;
                    self.final_reply(input);
                }
                Mode::Data => {
                    let Some(i) = find(&self.inbuf, b"\r\n") else {
                        return self.check_content(&self.inbuf.clone());
                    };
                    let line: Vec<u8> = self.inbuf.drain(..i + 2).collect();
                    self.check_content(&line)?;
                    if line == b".\r\n" {
                        let whole = find(&self.data, b"MARK").is_some();
                        if let Some(t) = self.txns.last_mut() {
                            t.content_whole = whole;
                        }
                        self.data.clear();
                        self.mode = Mode::Commands;
                        self.final_reply(input);
                    } else {
                        self.data.extend_from_slice(&line);
                    }
                }
                Mode::Commands => {
                    let Some(i) = find(&self.inbuf, b"\r\n") else {
                        if find(&self.inbuf, b"MARK").is_some() {
                            return violation("content where a command was due");
                        }
                        return Ok(());
                    };
                    let line: Vec<u8> = self.inbuf.drain(..i + 2).collect();
                    let line = String::from_utf8_lossy(&line).into_owned();
                    if line.contains("MARK") {
                        return violation("content sent as commands (no 354 / BDAT)");
                    }
                    let verb = line
                        .split([' ', '\r'])
                        .next()
                        .unwrap_or("")
                        .to_ascii_uppercase();
                    if starttls_mode && !tls && !matches!(verb.as_str(), "EHLO" | "STARTTLS") {
                        return Err(format!("{verb} sent in plain text before STARTTLS"));
                    }
                    self.command(&verb, &line, tls, input);
                }
            }
        }
    }

    fn check_content(&self, bytes: &[u8]) -> Result<(), String> {
        if find(bytes, b"MARK").is_none() {
            return Ok(());
        }
        let t = self.txns.last().cloned().unwrap_or_default();
        let seen = |o: Option<usize>| o.is_some_and(|e| e <= self.fed);
        if !(seen(t.mail_ok) && seen(t.rcpt_ok)) {
            return Err(format!(
                "content before MAIL and a RCPT were accepted: {t:?}"
            ));
        }
        Ok(())
    }

    fn pick(&mut self, input: &mut Input<'_>, choices: &[&str]) -> String {
        choices[input.byte() as usize % choices.len()].to_owned()
    }

    fn command(&mut self, verb: &str, line: &str, tls: bool, input: &mut Input<'_>) {
        match verb {
            "EHLO" => {
                let r = self.pick(input, &["ok", "ok", "ok", "451 4.3.0 no\r\n", "550 no\r\n"]);
                if r != "ok" {
                    self.reply(&r, false);
                    return;
                }
                let mut caps = String::from("250-mx\r\n");
                if !tls && !self.strip_starttls {
                    caps.push_str("250-STARTTLS\r\n");
                }
                if self.pipelining {
                    caps.push_str("250-PIPELINING\r\n");
                }
                if self.chunking {
                    caps.push_str("250-CHUNKING\r\n");
                }
                caps.push_str("250 AUTH PLAIN\r\n");
                self.reply(&caps, false);
            }
            "STARTTLS" => {
                let r = self.pick(input, &["220 go\r\n", "220 go\r\n", "454 no\r\n"]);
                let end = self.reply(&r, false);
                if r.starts_with("220") {
                    self.starttls_220 = Some(end);
                }
            }
            "AUTH" => {
                let r = self.pick(
                    input,
                    &["235 ok\r\n", "235 ok\r\n", "535 no\r\n", "454 later\r\n"],
                );
                self.reply(&r, false);
            }
            "MAIL" => {
                self.txns.push(Txn::default());
                let r = self.pick(
                    input,
                    &[
                        "250 ok\r\n",
                        "250 ok\r\n",
                        "451 later\r\n",
                        "553 no\r\n",
                        "421 bye\r\n",
                    ],
                );
                let end = self.reply(&r, r.starts_with("421"));
                if r.starts_with('2') {
                    if let Some(t) = self.txns.last_mut() {
                        t.mail_ok = Some(end);
                    }
                }
            }
            "RCPT" => {
                let r = self.pick(
                    input,
                    &[
                        "250 ok\r\n",
                        "250 ok\r\n",
                        "450 busy\r\n",
                        "550 unknown\r\n",
                    ],
                );
                let end = self.reply(&r, false);
                if r.starts_with('2') {
                    if let Some(t) = self.txns.last_mut() {
                        t.rcpt_ok.get_or_insert(end);
                    }
                }
            }
            "DATA" => {
                let r = self.pick(
                    input,
                    &["354 go\r\n", "354 go\r\n", "554 no\r\n", "451 later\r\n"],
                );
                if r.starts_with("354") {
                    self.mode = Mode::Data;
                }
                self.reply(&r, false);
            }
            "BDAT" => {
                let n = line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                self.mode = Mode::Bdat(n);
            }
            "RSET" => {
                self.reply("250 ok\r\n", false);
            }
            "QUIT" => {
                self.reply("221 bye\r\n", false);
            }
            _ => {
                self.reply("500 what\r\n", false);
            }
        }
    }

    fn final_reply(&mut self, input: &mut Input<'_>) {
        let r = self.pick(
            input,
            &[
                "250 queued\r\n",
                "250 queued\r\n",
                "451 later\r\n",
                "554 no\r\n",
            ],
        );
        let end = self.reply(&r, false);
        if r.starts_with('2') {
            if let Some(t) = self.txns.last_mut() {
                t.final_ok = Some(end);
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Bytes no honest server sends. Never a well-formed reply: when a reply is due, a
/// well-formed 250 *is* the server's answer, whatever the model meant by it (the fuzzer's
/// first finding was the model's own mistake of that kind).
const GARBAGE: &[&[u8]] = &[
    b"hello there\r\n",
    b"25x broken\r\n",
    b"\0\r\n",
    b"220-",
    b"999 what\r\n",
    b"\xff\xfe\r\n",
];

/// Runs one model session driven by `data`; `Err` names the broken invariant.
pub fn run(data: &[u8]) -> Result<(), String> {
    let mut input = Input(data);
    let flags = input.byte();
    let tls_mode = [
        TlsMode::StartTls,
        TlsMode::Implicit,
        TlsMode::DangerPlainText,
    ][flags as usize % 3];
    let mut cfg = SessionConfig::new(Domain::parse("client.test").unwrap());
    cfg.tls = tls_mode;
    cfg.pipelining = flags & 4 != 0;
    cfg.chunking = flags & 8 != 0;
    if flags & 16 != 0 && tls_mode != TlsMode::DangerPlainText {
        cfg.auth = Some(AuthConfig::new(Credentials::Password {
            user: "u".into(),
            password: "p".into(),
        }));
    }
    // Huge timeouts must not overflow (class 6).
    if flags & 32 != 0 {
        cfg.timeouts = Timeouts::uniform(Duration::MAX);
    }
    let start = Instant::now();
    let mut now = start;
    let mut s = Session::new(cfg, [3; 18], now).map_err(|e| e.to_string())?;
    let mut srv = Server {
        out: Vec::new(),
        fed: 0,
        inbuf: Vec::new(),
        mode: Mode::Commands,
        txns: Vec::new(),
        data: Vec::new(),
        first_bad: usize::MAX,
        starttls_220: None,
        pipelining: flags & 64 != 0,
        chunking: flags & 128 != 0,
        strip_starttls: input.byte() % 8 == 0,
    };
    let mut tls = false;
    let mut handshake: Option<TlsUpgrade> = None;
    if tls_mode != TlsMode::Implicit {
        srv.reply("220 mx\r\n", false);
    }
    let mut taken = 0usize;
    let mut reports: Vec<DeliveryReport> = Vec::new();
    // Fed offset when the session was interrupted (close, timeout, abort, failed handshake).
    let mut interrupted: Option<usize> = None;
    for _ in 0..MAX_OPS {
        if input.done() {
            break;
        }
        // Events first, in order.
        while let Some(ev) = s.poll_event() {
            match ev {
                Event::StartTls(proof) => {
                    let legal = match tls_mode {
                        TlsMode::Implicit => srv.fed == 0 && !tls,
                        _ => srv.starttls_220 == Some(srv.fed),
                    };
                    if !legal {
                        return violation("TLS upgrade without an exact 220 as the last input");
                    }
                    handshake = Some(proof);
                }
                Event::Delivered(r) => reports.push(*r),
                _ => {}
            }
        }
        if handshake.is_some() && s.poll_transmit(now).is_some() {
            return violation("bytes sent between the 220 to STARTTLS and the upgrade");
        }
        let op = input.byte();
        if std::env::var_os("MODEL_TRACE").is_some() {
            eprintln!(
                "op {} fed {}/{} taken {taken} reports {} closed {} err {:?}",
                op % 12,
                srv.fed,
                srv.out.len(),
                reports.len(),
                s.is_closed(),
                s.error()
            );
        }
        match op % 12 {
            0 | 1 => {
                // Feed the next k bytes the server wrote (a split anywhere).
                let left = srv.out.len() - srv.fed;
                let k = match input.byte() {
                    0 => left,
                    b => (b as usize).min(left),
                };
                if k > 0 && handshake.is_none() {
                    let chunk = srv.out[srv.fed..srv.fed + k].to_vec();
                    srv.fed += k;
                    let _ = s.handle_input(&chunk, now);
                }
            }
            2 => {
                let g = GARBAGE[input.byte() as usize % GARBAGE.len()];
                srv.first_bad = srv.first_bad.min(srv.out.len());
                srv.out.extend_from_slice(g);
            }
            3 | 4 => {
                if s.can_send() && taken < 3 {
                    let n = 1 + input.byte() as usize % 2;
                    let rcpts = (0..n)
                        .map(|i| Mailbox::parse(&format!("r{i}@x.test")).unwrap())
                        .collect();
                    let env = Envelope::new(ReversePath::Null, rcpts);
                    let body = format!("Subject: {taken}\r\n\r\nMARK{taken}\r\n");
                    if s.send_message(&env, &Message::new(body.as_bytes()).unwrap())
                        .is_ok()
                    {
                        taken += 1;
                    }
                }
            }
            5 => s.quit_when_done(),
            6 => {
                now += Duration::from_secs(1 + input.byte() as u64 * 60);
                if s.handle_timeout(now).is_err() && interrupted.is_none() {
                    interrupted = Some(srv.fed);
                }
            }
            7 => {
                if input.byte() % 4 == 0 && (s.handle_close().is_err() || s.is_closed()) {
                    interrupted.get_or_insert(srv.fed);
                }
            }
            8 => {
                if let Some(proof) = handshake.take() {
                    if input.byte() % 4 == 0 {
                        // The handshake failed: the driver aborts.
                        s.abort();
                        interrupted.get_or_insert(srv.fed);
                    } else {
                        let info = TlsInfo::new(TlsVersion::Tls13, "x", "mx");
                        if s.tls_established(proof, info, now).is_ok() {
                            tls = true;
                            if tls_mode == TlsMode::Implicit {
                                srv.reply("220 mx\r\n", false);
                            }
                        }
                    }
                }
            }
            9 => {
                if input.byte() == 255 {
                    s.abort();
                    interrupted.get_or_insert(srv.fed);
                }
            }
            _ => {
                now += Duration::from_millis(input.byte() as u64);
            }
        }
        // The client writes whatever it has (the driver's loop), then the clock restarts.
        if handshake.is_none() {
            while let Some(bytes) = s.poll_transmit(now) {
                if bytes.len() > MAX_TRANSMIT {
                    return Err(format!("one transmit of {} bytes", bytes.len()));
                }
                s.handle_transmitted(now);
                if std::env::var_os("MODEL_TRACE").is_some() {
                    eprintln!("C: {:?}", String::from_utf8_lossy(&bytes));
                }
                srv.take(&bytes, tls, tls_mode == TlsMode::StartTls, &mut input)?;
            }
        }
    }
    while let Some(ev) = s.poll_event() {
        if let Event::Delivered(r) = ev {
            reports.push(*r);
        }
    }
    check_reports(&srv, &reports, taken, s.is_closed(), interrupted)
}

fn check_reports(
    srv: &Server,
    reports: &[DeliveryReport],
    taken: usize,
    closed: bool,
    interrupted: Option<usize>,
) -> Result<(), String> {
    if reports.len() > taken || (closed && reports.len() != taken) {
        return Err(format!(
            "{taken} messages taken, {} reports (session closed: {closed})",
            reports.len()
        ));
    }
    let mut attempted = 0;
    for (i, r) in reports.iter().enumerate() {
        let model = if r.attempted {
            attempted += 1;
            srv.txns.get(attempted - 1).cloned()
        } else {
            None
        };
        let delivered = r.status() == Status::Delivered;
        let Some(t) = model else {
            if delivered {
                return Err(format!(
                    "message {i} delivered without a MAIL the server saw"
                ));
            }
            continue;
        };
        let seen = |o: Option<usize>| o.is_some_and(|e| e <= srv.fed);
        let truth = seen(t.mail_ok) && seen(t.rcpt_ok) && t.content_whole && seen(t.final_ok);
        if delivered && !truth {
            return Err(format!(
                "message {i} reported delivered, but the server says {t:?}"
            ));
        }
        // Completeness (class 2): a 2xx final reply that reached the client before anything
        // that could break the session must be reported as delivered.
        if truth && !delivered {
            let end = t.final_ok.unwrap_or(usize::MAX);
            let clean = end <= srv.first_bad && interrupted.map_or(true, |f| end <= f);
            if clean {
                return Err(format!(
                    "message {i}: the server accepted it ({t:?}) but the report says {}",
                    r.status()
                ));
            }
        }
    }
    Ok(())
}
