//! Drives the sans-IO `proto::Session` with a loop of your own over a plain `TcpStream`:
//! the session decides everything (what to send, what each reply means, when a wait ends);
//! the loop only moves bytes and passes the time in. This is what `Client` does, minus TLS:
//! the session asks for a handshake with `Event::StartTls`, so this loop speaks plain text
//! only (`TlsMode::DangerPlainText`, for a server on a trusted network such as loopback).
//!
//! ```text
//! cargo run -p wary-smtp --example sans_io -- HOST:PORT
//! ```
//!
//! The envelope comes from WARY_FROM and WARY_TO (defaults: me@example.org,
//! you@example.org). Exit status: 0 delivered to every recipient, 1 not, 2 an error.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use wary_smtp::proto::{
    Domain, Envelope, Event, Mailbox, Message, Outcome, ReversePath, Session, SessionConfig,
    TlsMode,
};

fn main() -> ExitCode {
    match run() {
        Ok(Outcome::Delivered) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("sans_io example: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<Outcome, Box<dyn std::error::Error>> {
    let server = std::env::args().nth(1).ok_or("usage: sans_io HOST:PORT")?;
    let from = std::env::var("WARY_FROM").unwrap_or_else(|_| "me@example.org".into());
    let to = std::env::var("WARY_TO").unwrap_or_else(|_| "you@example.org".into());
    let envelope = Envelope::new(
        ReversePath::Mailbox(Mailbox::parse(&from)?),
        vec![Mailbox::parse(&to)?],
    );
    let message = Message::new(
        format!("From: {from}\r\nTo: {to}\r\nSubject: wary example (sans-IO)\r\n\r\nhello\r\n")
            .as_bytes(),
    )?;

    let mut tcp = TcpStream::connect(&server)?;
    let mut config = SessionConfig::new(Domain::parse("client.example.org")?);
    config.tls = TlsMode::DangerPlainText;
    // The entropy seeds the SCRAM nonce; no AUTH here, but take it from a real RNG anyway.
    let mut entropy = [0u8; 18];
    wary_smtp::tls::provider()
        .secure_random
        .fill(&mut entropy)
        .map_err(|_| "no random source")?;
    let mut session = Session::new(config, entropy, Instant::now())?;

    let mut buf = [0u8; 4096];
    let mut report = None;
    loop {
        // 1. Everything the session wants written, then tell it when it was written.
        while let Some(bytes) = session.poll_transmit(Instant::now()) {
            tcp.write_all(&bytes)?;
            session.handle_transmitted(Instant::now());
        }
        // 2. Events: ready (send the message, or say goodbye), a report, the end.
        if let Some(event) = session.poll_event() {
            match event {
                Event::Ready if report.is_none() => session.send_message(&envelope, &message)?,
                Event::Ready => session.quit(),
                Event::Delivered(r) => {
                    let last = r.final_reply.as_ref().map(ToString::to_string);
                    println!("{}: {}", r.status().as_str(), last.unwrap_or_default());
                    report = Some(r.outcome());
                    // Ready follows when the session is idle again; QUIT then.
                }
                Event::Closed => break,
                Event::StartTls(_) => return Err("this loop speaks plain text only".into()),
                _ => {}
            }
            continue;
        }
        if let Some(e) = session.error() {
            return Err(e.clone().into());
        }
        // 3. Wait for the server, never past the session's deadline.
        if session.wants_input() {
            let now = Instant::now();
            let wait = match session.deadline() {
                Some(d) if d <= now => {
                    session.handle_timeout(now)?;
                    continue;
                }
                Some(d) => d - now,
                None => Duration::from_secs(300),
            };
            tcp.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
            match tcp.read(&mut buf) {
                Ok(0) => session.handle_close()?,
                Ok(n) => session.handle_input(&buf[..n], Instant::now())?,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    session.handle_timeout(Instant::now())?
                }
                Err(e) => return Err(e.into()),
            }
            continue;
        }
        if session.is_ready() && report.is_some() {
            session.quit();
            continue;
        }
        return Err("the session has nothing to do".into());
    }
    report.ok_or_else(|| "the server closed before the message was settled".into())
}
