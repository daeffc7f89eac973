//! Issue 9, the driver's classes against scripted servers on 127.0.0.1 (plain and TLS with a
//! test CA): each test was written to fail before its fix.

use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use wary_smtp::proto::{AuthConfig, Credentials, Message, SessionError, Status, Timeouts, TlsMode};
use wary_smtp::Error;

/// Greeting, EHLO, STARTTLS and the handshake; then EHLO again with `caps`.
fn open_tls(p: &mut Peer, pki: &Pki, caps: &str) {
    p.say("220 localhost ESMTP\r\n");
    assert!(p.line().starts_with("EHLO"));
    p.say("250-localhost\r\n250 STARTTLS\r\n");
    assert_eq!(p.line(), "STARTTLS");
    p.say("220 go ahead\r\n");
    p.start_tls(pki.server.clone());
    assert!(p.line().starts_with("EHLO"));
    p.say(caps);
}

/// Class 2: the final 250 and a forged TLS record arrive in one TCP segment. The 250 is
/// honoured (the message is delivered), and the forged record ends the connection after.
pub fn issue_9_class_2_tls_250_then_forged_record(drv: Drv) {
    let pki = pki("class2");
    let server_pki = Pki {
        ca_file: pki.ca_file.clone(),
        server: pki.server.clone(),
    };
    let (port, server) = serve(move |p| {
        open_tls(p, &server_pki, "250-localhost\r\n250 PIPELINING\r\n");
        assert!(p.line().starts_with("MAIL"));
        assert!(p.line().starts_with("RCPT"));
        assert_eq!(p.line(), "DATA");
        p.say("250 ok\r\n250 ok\r\n354 go\r\n");
        while p.line() != "." {}
        // The 250 as a real record, then a forged application-data record, in one write.
        let tls = p.tls.as_mut().unwrap();
        tls.conn
            .writer()
            .write_all(b"250 2.0.0 queued\r\n")
            .unwrap();
        let mut segment = Vec::new();
        while tls.conn.wants_write() {
            tls.conn.write_tls(&mut segment).unwrap();
        }
        segment.extend_from_slice(&[0x17, 0x03, 0x03, 0x00, 0x20]);
        segment.extend_from_slice(&[0x41; 0x20]);
        tls.sock.write_all(&segment).unwrap();
        let _ = p.rest();
    });
    let cfg = client_config(port, &pki, TlsMode::StartTls);
    let mut client = AnyClient::connect(drv, &cfg).unwrap();
    let report = client
        .send(
            &envelope(),
            &Message::new(b"Subject: x\r\n\r\nhi\r\n").unwrap(),
        )
        .unwrap();
    assert_eq!(report.status(), Status::Delivered, "{report:?}");
    let err = client.quit().unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err}");
    server.join().unwrap();
}

/// Class 3: a server that sends its TLS handshake one octet at a time, each well inside the
/// read timeout, cannot hold the client past the handshake's own deadline.
pub fn issue_9_class_3_handshake_has_a_deadline(drv: Drv) {
    let pki = pki("class3");
    let config = pki.server.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"220 localhost\r\n").unwrap();
        let mut buf = [0u8; 4096];
        let mut got = Vec::new();
        while !got.ends_with(b"\r\n") {
            let n = s.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        s.write_all(b"250-localhost\r\n250 STARTTLS\r\n").unwrap();
        got.clear();
        while !got.ends_with(b"\r\n") {
            let n = s.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        s.write_all(b"220 go\r\n").unwrap();
        let mut conn = rustls::ServerConnection::new(config).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let start = Instant::now();
        // Drip for at most 8 s (a bounded loop); the client should give up after ~1 s.
        while start.elapsed() < Duration::from_secs(8) {
            match s.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    conn.read_tls(&mut &buf[..n]).unwrap();
                    if conn.process_new_packets().is_err() {
                        return;
                    }
                }
                Err(_) => {}
            }
            let mut out = Vec::new();
            while conn.wants_write() {
                conn.write_tls(&mut out).unwrap();
            }
            for b in out {
                if s.write_all(&[b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
                if start.elapsed() > Duration::from_secs(8) {
                    break;
                }
            }
        }
    });
    let cfg = config_builder(port, &pki, TlsMode::StartTls)
        .timeouts(Timeouts::uniform(Duration::from_secs(1)))
        .build();
    let start = Instant::now();
    let err = AnyClient::connect(drv, &cfg).err().unwrap();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(4), "held for {took:?}: {err}");
    assert!(err.to_string().contains("TLS handshake"), "{err}");
    server.join().unwrap();
}

/// Class 4: a large message over a slow link. The server answers the final dot at once,
/// but the upload takes longer than the timeout: the wait for the final reply starts when
/// the content is written, so the message is delivered, not "timed out".
pub fn issue_9_class_4_reply_clock_starts_after_the_upload(drv: Drv) {
    const SIZE: usize = 16 << 20;
    let timeout = Duration::from_millis(700);
    let (port, server) = serve(move |p| {
        p.say("220 localhost\r\n");
        assert!(p.line().starts_with("EHLO"));
        p.say("250 localhost\r\n");
        p.accept_envelope();
        let start = Instant::now();
        // Read slowly: 64 KiB every 20 ms, then fast.
        let s = p.plain.as_mut().unwrap();
        let mut chunk = vec![0u8; 64 << 10];
        let mut tail = Vec::new();
        loop {
            let n = s.read(&mut chunk).unwrap();
            assert!(n > 0, "client closed");
            tail.extend_from_slice(&chunk[..n]);
            if tail.ends_with(b"\r\n.\r\n") {
                break;
            }
            let keep = tail.len().saturating_sub(8);
            tail.drain(..keep);
            // Slow for the first 1.5 s (the client's write blocks), then at full speed, so
            // what sits in the socket buffers when the write returns arrives at once.
            if start.elapsed() < timeout * 2 + Duration::from_millis(100) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // The test only proves something if the upload took longer than the timeout.
        assert!(
            start.elapsed() > timeout * 2,
            "upload too fast: {:?}",
            start.elapsed()
        );
        p.say("250 queued\r\n");
        p.bye();
    });
    let cfg = config_builder(port, &pki("class4"), TlsMode::DangerPlainText)
        .timeouts(Timeouts::uniform(timeout))
        .pipelining(false)
        .build();
    let mut client = AnyClient::connect(drv, &cfg).unwrap();
    let mut body = b"Subject: big\r\n\r\n".to_vec();
    while body.len() < SIZE {
        body.extend_from_slice(&[b'x'; 998]);
        body.extend_from_slice(b"\r\n");
    }
    let report = client
        .send(&envelope(), &Message::new(&body).unwrap())
        .unwrap();
    let quit = client.quit();
    assert_eq!(report.status(), Status::Delivered, "{report:?} {quit:?}");
    quit.unwrap();
    server.join().unwrap();
}

/// Class 9: after a refused AUTH the client says QUIT and closes TLS with close_notify.
pub fn issue_9_class_9_quit_and_close_notify_after_failed_auth(drv: Drv) {
    let pki = pki("class9auth");
    let server_pki = Pki {
        ca_file: pki.ca_file.clone(),
        server: pki.server.clone(),
    };
    let (port, server) = serve(move |p| {
        open_tls(p, &server_pki, "250-localhost\r\n250 AUTH PLAIN\r\n");
        assert!(p.line().starts_with("AUTH PLAIN"));
        p.say("535 5.7.8 bad credentials\r\n");
        assert_eq!(p.line(), "QUIT");
        // close_notify: rustls reads a clean end (Ok(0)), not an unexpected EOF.
        let tls = p.tls.as_mut().unwrap();
        let mut b = [0u8; 16];
        match tls.read(&mut b) {
            Ok(0) => {}
            other => panic!("expected close_notify, got {other:?}"),
        }
    });
    let cfg = config_builder(port, &pki, TlsMode::StartTls)
        .auth(AuthConfig::new(Credentials::Password {
            user: "u".into(),
            password: "p".into(),
        }))
        .build();
    let err = AnyClient::connect(drv, &cfg).err().unwrap();
    assert!(
        matches!(err, Error::Session(SessionError::AuthFailed(_))),
        "{err}"
    );
    server.join().unwrap();
}
