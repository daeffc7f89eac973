//! The scripted SMTP server: an accepting sink that answers every command the way a real
//! submission server would (so that an unsafe client goes on and shows what it leaks),
//! except at the one point where the scenario attacks.
//!
//! It records; it never judges. Judging is `judge.rs`'s job, from the transcript alone.

use super::catalog::{AfterTls, OnStarttls, PlainEhlo, Scenario, TlsMode, INJECTED};
use super::conn::{Channel, Conn, End, What};
use crate::pki::TestPki;
use std::time::Duration;

/// Greeting sent on connect (RFC 5321 §4.2: 220 service ready).
const GREETING: &[u8] = b"220 localhost ESMTP wary-probe scripted server\r\n";
/// How long the injection watcher waits before answering EHLO inside TLS.
const INJECTION_WINDOW: Duration = Duration::from_millis(800);
/// Most bytes of an endless reply line the server writes before it stops.
const ENDLESS_CAP: usize = 256 * 1024 * 1024;

/// Runs the scenario's script on one connection until it ends, and records the ending.
pub(crate) fn serve(mut conn: Conn, scenario: &Scenario, pki: &TestPki) {
    let end = run(&mut conn, scenario, pki).err().unwrap_or(End::Eof);
    conn.close(&end);
}

struct State {
    /// STARTTLS already failed on this connection: do not offer it again, offer AUTH.
    starttls_failed: bool,
    /// The first EHLO inside TLS is still to come (for the injection watcher).
    first_tls_ehlo: bool,
}

fn run(conn: &mut Conn, scenario: &Scenario, pki: &TestPki) -> Result<(), End> {
    if scenario.mode == TlsMode::Implicit {
        conn.upgrade(pki, scenario.cert)?;
    }
    conn.send(GREETING)?;
    let mut state = State {
        starttls_failed: false,
        first_tls_ehlo: true,
    };
    loop {
        let line = conn.read_line()?;
        let verb = verb(&line);
        let in_tls = conn.channel() != Channel::Plain;
        match verb.as_str() {
            "EHLO" => {
                if in_tls && state.first_tls_ehlo {
                    state.first_tls_ehlo = false;
                    if scenario.after_tls == AfterTls::WatchForInjectedReply {
                        watch_for_injected_reply(conn)?;
                    }
                }
                ehlo(conn, scenario, &state)?;
            }
            "HELO" => conn.send(b"250 localhost\r\n")?,
            "STARTTLS" if in_tls => conn.send(b"503 5.5.1 TLS already active\r\n")?,
            "STARTTLS" => starttls(conn, scenario, pki, &mut state)?,
            "AUTH" => auth(conn, &line)?,
            "MAIL" => {
                if in_tls && scenario.after_tls == AfterTls::SilenceAfterMail {
                    return Err(conn.silence());
                }
                conn.send(b"250 2.1.0 Sender OK\r\n")?;
            }
            "RCPT" => conn.send(b"250 2.1.5 Recipient OK\r\n")?,
            "DATA" => data(conn, scenario)?,
            "RSET" | "NOOP" => conn.send(b"250 2.0.0 OK\r\n")?,
            "QUIT" => {
                conn.send(b"221 2.0.0 Bye\r\n")?;
                return Err(End::Script("QUIT"));
            }
            _ => conn.send(b"502 5.5.2 Command not recognized\r\n")?,
        }
    }
}

fn verb(line: &[u8]) -> String {
    let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    String::from_utf8_lossy(&line[..end]).to_ascii_uppercase()
}

fn ehlo(conn: &mut Conn, scenario: &Scenario, state: &State) -> Result<(), End> {
    if conn.channel() != Channel::Plain {
        return match scenario.after_tls {
            AfterTls::MalformedEhlo => {
                // RFC 5321 §4.2.1: every line of a multi-line reply carries the same code.
                conn.send(b"250-localhost\r\n354-AUTH PLAIN LOGIN\r\n25x-8BITMIME\r\n250 SIZE\r\n")
            }
            AfterTls::EndlessEhlo => Err(conn.endless(b"250-localhost ", ENDLESS_CAP)),
            _ => conn.send(
                b"250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n",
            ),
        };
    }
    let offer_starttls = scenario.plain_ehlo != PlainEhlo::Stripped && !state.starttls_failed;
    // AUTH in plain text: invited by one scenario, and offered wherever TLS is gone so that
    // a client that authenticates whenever it may shows it.
    let offer_auth = scenario.plain_ehlo == PlainEhlo::StarttlsAndAuth || !offer_starttls;
    let mut reply = b"250-localhost\r\n".to_vec();
    if offer_starttls {
        reply.extend_from_slice(b"250-STARTTLS\r\n");
    }
    if offer_auth {
        reply.extend_from_slice(b"250-AUTH PLAIN LOGIN\r\n");
    }
    reply.extend_from_slice(b"250 8BITMIME\r\n");
    conn.send(&reply)
}

fn starttls(
    conn: &mut Conn,
    scenario: &Scenario,
    pki: &TestPki,
    state: &mut State,
) -> Result<(), End> {
    match scenario.on_starttls {
        OnStarttls::Upgrade => {
            conn.send(b"220 2.0.0 Ready to start TLS\r\n")?;
            conn.upgrade(pki, scenario.cert)
        }
        OnStarttls::Refuse(reply) => {
            state.starttls_failed = true;
            conn.send(reply.as_bytes())
        }
        OnStarttls::CloseWithoutReply => Err(End::Script("no reply to STARTTLS")),
        OnStarttls::Silence => Err(conn.silence()),
        OnStarttls::InjectAfter220 => {
            let mut packet = b"220 2.0.0 Ready to start TLS\r\n".to_vec();
            packet.extend_from_slice(INJECTED);
            conn.send(&packet)?;
            conn.upgrade(pki, scenario.cert)
        }
        OnStarttls::PlainTextInsteadOfHandshake => {
            state.starttls_failed = true;
            conn.send(b"220 2.0.0 Ready to start TLS\r\n")?;
            // The ClientHello (recorded as plain bytes) gets a plain-text answer.
            conn.read_some()?;
            conn.discard_buffer();
            conn.send(b"250 localhost plain text where a TLS handshake belongs\r\n")
        }
    }
}

/// The injection check: after the client's first EHLO inside TLS, wait before answering. A
/// client that sends another command in that window did not wait for our reply: it took the
/// fake EHLO reply injected before the handshake as the TLS server's.
fn watch_for_injected_reply(conn: &mut Conn) -> Result<(), End> {
    let until = std::time::Instant::now() + INJECTION_WINDOW;
    while !conn.has_line() {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() || !conn.read_for(left)? {
            break;
        }
    }
    if conn.has_line() {
        let peek = conn.read_line()?;
        conn.record(What::InjectedReplyUsed {
            command: peek.clone(),
        });
        // Answer the EHLO (late), then end: the verdict is already in the record.
        conn.send(b"250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")?;
        return Err(End::Script(
            "client acted on the injected reply; nothing more to learn",
        ));
    }
    Ok(())
}

/// AUTH PLAIN and LOGIN (RFC 4616, draft-murchison-sasl-login): accept any credentials, so
/// the transcript holds what the client sent.
fn auth(conn: &mut Conn, line: &[u8]) -> Result<(), End> {
    let text = String::from_utf8_lossy(line).to_string();
    let mut words = text.split_whitespace().skip(1);
    let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
    let initial = words.next();
    match (mechanism.as_str(), initial) {
        ("PLAIN", Some(_)) => {}
        ("PLAIN", None) => {
            conn.send(b"334 \r\n")?;
            conn.read_line()?;
        }
        ("LOGIN", first) => {
            if first.is_none() {
                conn.send(b"334 VXNlcm5hbWU6\r\n")?;
                conn.read_line()?;
            }
            conn.send(b"334 UGFzc3dvcmQ6\r\n")?;
            conn.read_line()?;
        }
        _ => return conn.send(b"504 5.5.4 Unrecognized authentication type\r\n"),
    }
    conn.send(b"235 2.7.0 Authentication successful\r\n")
}

/// DATA (RFC 5321 §4.1.1.4): read to the lone dot, then answer as the scenario says.
fn data(conn: &mut Conn, scenario: &Scenario) -> Result<(), End> {
    conn.send(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
    while conn.read_line()? != b"." {}
    if conn.channel() != Channel::Plain {
        match scenario.after_tls {
            AfterTls::CloseAfterData => {
                return Err(End::Script("closed after the message, no final reply"))
            }
            AfterTls::SilenceAfterData => return Err(conn.silence()),
            _ => {}
        }
    }
    conn.record(What::MessageAccepted {
        channel: conn.channel(),
    });
    conn.send(b"250 2.0.0 Ok: queued as WARYPROBE\r\n")
}
