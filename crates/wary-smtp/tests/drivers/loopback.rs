//! Loopback cases, run against both drivers, with scripted servers on 127.0.0.1 and a test
//! CA made by rcgen: the happy paths (STARTTLS + AUTH + pipelined BDAT, implicit TLS, DATA), the
//! certificate failures, and many messages over one connection to a pipelining server with a
//! simulated round-trip delay. The hostile-server catalog lives in wary-probe; these check that
//! the driver does real, verified TLS and moves the exact bytes.
use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;
use std::time::Duration;
use wary_smtp::proto::{
    AuthConfig, Credentials, Envelope, Fault, Mailbox, Message, Outcome, ReversePath, SessionError,
    Timeouts, TlsMode,
};
use wary_smtp::{ClientConfig, Error};

use crate::support::*;

pub fn starttls_auth_and_pipelined_bdat(drv: Drv) {
    let pki = pki("starttls");
    let server_tls = pki.server.clone();
    let (port, server) = serve(move |p| {
        p.say("220 localhost ESMTP\r\n");
        assert!(p.line().starts_with("EHLO [127.0.0.1]"));
        p.say("250-localhost\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n");
        assert_eq!(p.line(), "STARTTLS");
        p.say("220 2.0.0 go ahead\r\n");
        p.start_tls(server_tls);
        assert!(p.line().starts_with("EHLO "));
        p.say("250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 SIZE 100000\r\n");
        assert_eq!(p.line(), "AUTH PLAIN AHVzZXIAcGVuY2ls");
        p.say("235 2.7.0 ok\r\n");
        assert_eq!(p.line(), "MAIL FROM:<a@client.test> SIZE=21");
        assert_eq!(p.line(), "RCPT TO:<b@x.test>");
        // The content waits for the RCPT replies (issue 4: none accepted means no data).
        assert!(
            p.buf.is_empty(),
            "sent before the RCPT replies: {:?}",
            p.buf
        );
        p.say("250 2.1.0 ok\r\n250 2.1.5 ok\r\n");
        assert_eq!(p.line(), "BDAT 21 LAST");
        assert_eq!(p.bytes(21), b"Subject: t\r\n\r\n.body\r\n");
        p.say("250 2.0.0 queued\r\n");
        p.bye();
    });
    let cfg = config_builder(port, &pki, TlsMode::StartTls)
        .auth(AuthConfig::new(Credentials::Password {
            user: "user".into(),
            password: "pencil".into(),
        }))
        .build();
    let mut client = AnyClient::connect(drv, &cfg).unwrap();
    let report = client
        .send(
            &envelope(),
            &Message::new(b"Subject: t\n\n.body\n").unwrap(),
        )
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert_eq!(report.round_trips, 2, "envelope, then content");
    let tls = report.tls.as_ref().unwrap();
    assert_eq!(tls.version, wary_smtp::proto::TlsVersion::Tls13);
    assert!(
        tls.cipher_suite.starts_with("TLS13_"),
        "{}",
        tls.cipher_suite
    );
    assert_eq!(tls.peer_subject.as_deref(), Some("CN=localhost"));
    client.quit().unwrap();
    server.join().unwrap();
}

pub fn implicit_tls_with_data(drv: Drv) {
    let pki = pki("implicit");
    let server_tls = pki.server.clone();
    let (port, server) = serve(move |p| {
        p.start_tls(server_tls);
        p.say("220 localhost ESMTP\r\n");
        assert!(p.line().starts_with("EHLO "));
        p.say("250 localhost\r\n");
        assert_eq!(p.line(), "MAIL FROM:<a@client.test>");
        p.say("250 ok\r\n");
        assert_eq!(p.line(), "RCPT TO:<b@x.test>");
        p.say("250 ok\r\n");
        assert_eq!(p.line(), "DATA");
        p.say("354 go\r\n");
        p.accept_content(&["..x"]);
        p.bye();
    });
    let mut client =
        AnyClient::connect(drv, &client_config(port, &pki, TlsMode::Implicit)).unwrap();
    let report = client
        .send(&envelope(), &Message::new(b".x").unwrap())
        .unwrap();
    assert_eq!(report.outcome(), Outcome::Delivered);
    assert!(report.tls.is_some());
    client.quit().unwrap();
    server.join().unwrap();
}

pub fn wrong_host_name_is_refused(drv: Drv) {
    let pki = pki("wrongname");
    let (port, server) = starttls_then_refused_handshake(&pki);
    let cfg = config_builder(port, &pki, TlsMode::StartTls)
        .tls_server_name("mx.elsewhere.test")
        .build();
    let err = AnyClient::connect(drv, &cfg).err().unwrap();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    assert_eq!(err.fault(), Fault::Protocol);
    server.join().unwrap();
}

pub fn untrusted_certificate_is_refused(drv: Drv) {
    let pki_server = pki("untrusted-server");
    let pki_other = pki("untrusted-other");
    let (port, server) = starttls_then_refused_handshake(&pki_server);
    let err = AnyClient::connect(drv, &client_config(port, &pki_other, TlsMode::StartTls))
        .err()
        .unwrap();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    server.join().unwrap();
}

pub fn silence_times_out(drv: Drv) {
    let pki = pki("silence");
    let (port, server) = serve(|p| {
        p.say("220 localhost\r\n");
        p.line();
        // No EHLO reply: wait for the client to give up and close.
        p.rest();
    });
    let cfg = config_builder(port, &pki, TlsMode::StartTls)
        .timeouts(Timeouts::uniform(Duration::from_millis(300)))
        .build();
    let err = AnyClient::connect(drv, &cfg).err().unwrap();
    assert!(
        matches!(
            err,
            Error::Session(SessionError::Timeout {
                waiting_for: "EHLO"
            })
        ),
        "{err}"
    );
    assert_eq!(err.fault(), Fault::Transient);
    drop(err);
    server.join().unwrap();
}

/// What the pipelining sink saw.
#[derive(Debug, Default)]
struct SinkLog {
    /// The content of every message it accepted, in order.
    delivered: Vec<Vec<u8>>,
    /// Content (a BDAT chunk, or data after 354) that arrived in a transaction with no
    /// accepted recipient: must stay 0.
    leaked: usize,
    /// MAIL commands inside an open transaction (RFC 5321 §4.1.4): must stay 0.
    nested_mail: usize,
}

/// A plain-text ESMTP sink on 127.0.0.1 offering PIPELINING (and CHUNKING when `chunking`)
/// that answers the way a pipelining server does: it takes every complete command it has
/// read, then sends all their replies in one write, `delay` later (a simulated round trip).
/// RCPT to `nobody@…` is refused; DATA without an accepted recipient is refused (554).
fn pipelining_sink(chunking: bool, delay: Duration) -> (u16, JoinHandle<SinkLog>) {
    enum Mode {
        Command,
        Chunk(usize),
        Data(Vec<u8>),
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        let mut log = SinkLog::default();
        let (mut buf, mut out) = (Vec::new(), b"220 sink ESMTP\r\n".to_vec());
        let (mut open, mut accepted, mut mode) = (false, 0usize, Mode::Command);
        let line = |buf: &mut Vec<u8>| {
            let i = buf.windows(2).position(|w| w == b"\r\n")?;
            let l: Vec<u8> = buf.drain(..i + 2).collect();
            Some(String::from_utf8(l[..i].to_vec()).unwrap())
        };
        loop {
            // Every complete command of what was read is answered before the next read.
            loop {
                match &mut mode {
                    Mode::Chunk(n) => {
                        if buf.len() < *n {
                            break;
                        }
                        let body: Vec<u8> = buf.drain(..*n).collect();
                        if accepted == 0 {
                            log.leaked += 1;
                            out.extend_from_slice(b"554 5.5.1 no valid recipients\r\n");
                        } else {
                            log.delivered.push(body);
                            out.extend_from_slice(b"250 2.0.0 queued\r\n");
                        }
                        (open, accepted, mode) = (false, 0, Mode::Command);
                    }
                    Mode::Data(body) => {
                        let Some(l) = line(&mut buf) else { break };
                        if l != "." {
                            body.extend_from_slice(l.as_bytes());
                            body.extend_from_slice(b"\r\n");
                            continue;
                        }
                        let body = std::mem::take(body);
                        if accepted == 0 {
                            log.leaked += usize::from(!body.is_empty());
                            out.extend_from_slice(b"554 5.5.1 no valid recipients\r\n");
                        } else {
                            log.delivered.push(body);
                            out.extend_from_slice(b"250 2.0.0 queued\r\n");
                        }
                        (open, accepted, mode) = (false, 0, Mode::Command);
                    }
                    Mode::Command => {
                        let Some(l) = line(&mut buf) else { break };
                        let verb = l.split(' ').next().unwrap_or("").to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" if chunking => {
                                b"250-sink\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n"
                            }
                            "EHLO" => b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
                            "MAIL" if open => {
                                log.nested_mail += 1;
                                b"503 5.5.1 nested MAIL command\r\n"
                            }
                            "MAIL" => {
                                (open, accepted) = (true, 0);
                                b"250 2.1.0 ok\r\n"
                            }
                            "RCPT" if !open => b"503 5.5.1 MAIL first\r\n",
                            "RCPT" if l.contains("<nobody@") => b"550 5.1.1 no such user\r\n",
                            "RCPT" => {
                                accepted += 1;
                                b"250 2.1.5 ok\r\n"
                            }
                            "BDAT" => {
                                let size = l.split(' ').nth(1).unwrap().parse().unwrap();
                                mode = Mode::Chunk(size);
                                b""
                            }
                            "DATA" if accepted == 0 => b"554 5.5.1 no valid recipients\r\n",
                            "DATA" => {
                                mode = Mode::Data(Vec::new());
                                b"354 go ahead\r\n"
                            }
                            "RSET" => {
                                (open, accepted) = (false, 0);
                                b"250 2.0.0 reset\r\n"
                            }
                            "QUIT" => {
                                out.extend_from_slice(b"221 bye\r\n");
                                s.write_all(&out).unwrap();
                                return log;
                            }
                            _ => b"500 5.5.2 what\r\n",
                        };
                        out.extend_from_slice(reply);
                    }
                }
            }
            if !out.is_empty() {
                std::thread::sleep(delay);
                s.write_all(&out).unwrap();
                out.clear();
            }
            let mut chunk = [0u8; 16 * 1024];
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return log,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    });
    (port, handle)
}

/// 20 messages, every fifth to a refused recipient only, through `send_many` and then through
/// `send` one at a time, each over a fresh connection to the sink: checks the content never
/// leaves for a refused message, counts the round trips, and prints the time per message.
fn many_messages(drv: Drv, chunking: bool) {
    const N: u32 = 20;
    let delay = Duration::from_millis(20);
    let from = || ReversePath::Mailbox(Mailbox::parse("a@client.test").unwrap());
    let batch: Vec<(Envelope, Message)> = (0..N)
        .map(|i| {
            let to = if i % 5 == 4 {
                "nobody@x.test"
            } else {
                "b@x.test"
            };
            let env = Envelope::new(from(), vec![Mailbox::parse(to).unwrap()]);
            let msg = Message::new(format!("Subject: {i}\n\nmessage {i}\n").as_bytes()).unwrap();
            (env, msg)
        })
        .collect();
    let path = if chunking { "BDAT" } else { "DATA" };
    for many in [true, false] {
        let (port, sink) = pipelining_sink(chunking, delay);
        let cfg = ClientConfig::builder("127.0.0.1", port)
            .tls(TlsMode::DangerPlainText)
            .timeouts(Timeouts::uniform(Duration::from_secs(10)))
            .build();
        let mut client = AnyClient::connect(drv, &cfg).unwrap();
        let setup = client.round_trips();
        let start = std::time::Instant::now();
        let mut outcomes = Vec::new();
        if many {
            client
                .send_many(&batch, |i, r| {
                    outcomes.push((i, r.unwrap().outcome()));
                })
                .unwrap();
        } else {
            for (i, (e, m)) in batch.iter().enumerate() {
                outcomes.push((i, client.send(e, m).unwrap().outcome()));
            }
        }
        let elapsed = start.elapsed();
        let trips = client.round_trips() - setup;
        client.quit().unwrap();
        let log = sink.join().unwrap();
        let want: Vec<(usize, Outcome)> = (0..N as usize)
            .map(|i| match i % 5 {
                4 => (i, Outcome::NotDelivered),
                _ => (i, Outcome::Delivered),
            })
            .collect();
        assert_eq!(outcomes, want);
        assert_eq!(
            log.leaked, 0,
            "content sent for a message with no recipient"
        );
        assert_eq!(log.nested_mail, 0);
        assert_eq!(log.delivered.len(), 16);
        assert_eq!(log.delivered[0], b"Subject: 0\r\n\r\nmessage 0\r\n");
        // send_many: each envelope shares a write with the previous content (or RSET), so
        // n + 1; send: envelope, then content (or RSET), for each message.
        let expected = if many { N + 1 } else { 2 * N };
        assert_eq!(trips, expected, "{path}, send_many: {many}");
        eprintln!(
            "{path} {}: {N} messages in {trips} round trips ({:.2} per message), {:.1} ms per message at a {} ms simulated round trip",
            if many { "send_many" } else { "send" },
            f64::from(trips) / f64::from(N),
            elapsed.as_secs_f64() * 1000.0 / f64::from(N),
            delay.as_millis()
        );
    }
}

pub fn many_messages_with_chunking_content_only_after_rcpt_replies(drv: Drv) {
    many_messages(drv, true);
}

pub fn many_messages_with_data_content_only_after_354(drv: Drv) {
    many_messages(drv, false);
}
