//! Scripted-peer transcript tests of the sans-IO session: server bytes in, the exact client
//! bytes asserted, no sockets. One test (or a few) per rule of issue 4.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};
use wary_smtp::proto::*;

const EHLO_PLAIN: &str =
    "250-mx.test\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-PIPELINING\r\n250 CHUNKING\r\n";

struct Peer {
    s: Session,
    now: Instant,
    /// Every octet the client wrote, for "this never left the client" checks.
    wire: Vec<u8>,
}

fn domain() -> Domain {
    Domain::parse("client.test").unwrap()
}

fn config(tls: TlsMode) -> SessionConfig {
    let mut c = SessionConfig::new(domain());
    c.tls = tls;
    c
}

fn creds() -> AuthConfig {
    AuthConfig::new(Credentials::Password {
        user: "u".into(),
        password: "p".into(),
    })
}

fn tls_info() -> TlsInfo {
    TlsInfo::new(TlsVersion::Tls13, "TLS13_AES_256_GCM_SHA384", "mx.test")
        .with_peer_subject(Some("CN=mx.test".into()))
}

fn mb(s: &str) -> Mailbox {
    Mailbox::parse(s).unwrap()
}

fn envelope(rcpts: &[&str]) -> Envelope {
    Envelope::new(
        ReversePath::Mailbox(mb("a@client.test")),
        rcpts.iter().map(|r| mb(r)).collect(),
    )
}

impl Peer {
    fn new(cfg: SessionConfig) -> Peer {
        let now = Instant::now();
        Peer {
            s: Session::new(cfg, [7; 18], now).unwrap(),
            now,
            wire: Vec::new(),
        }
    }
    /// Everything the client wants to send now.
    fn client(&mut self) -> String {
        let mut out = Vec::new();
        while let Some(b) = self.s.poll_transmit(self.now) {
            out.extend(b);
        }
        self.wire.extend_from_slice(&out);
        String::from_utf8(out).unwrap()
    }
    fn expect(&mut self, want: &str) {
        assert_eq!(self.client(), want);
    }
    fn server(&mut self, bytes: &str) -> Result<(), SessionError> {
        self.s.handle_input(bytes.as_bytes(), self.now)
    }
    fn ok(&mut self, bytes: &str) {
        self.server(bytes).unwrap();
    }
    fn event(&mut self) -> Option<Event> {
        self.s.poll_event()
    }
    fn handshake(&mut self) {
        match self.event() {
            Some(Event::StartTls(proof)) => {
                self.s.tls_established(proof, tls_info(), self.now).unwrap()
            }
            other => panic!("expected StartTls, got {other:?}"),
        }
    }
    fn ready(&mut self) {
        assert!(matches!(self.event(), Some(Event::Ready)));
    }
    /// Everything the client ever wrote, as text.
    fn wire(&self) -> String {
        String::from_utf8(self.wire.clone()).unwrap()
    }
    fn report(&mut self) -> DeliveryReport {
        match self.event() {
            Some(Event::Delivered(r)) => *r,
            other => panic!("expected a report, got {other:?}"),
        }
    }
    /// Greeting, EHLO, STARTTLS, EHLO again with `ehlo_after` (the post-TLS capabilities).
    fn open_tls(cfg: SessionConfig, ehlo_after: &str) -> Peer {
        let mut p = Peer::new(cfg);
        p.expect("");
        p.ok("220 mx.test ESMTP\r\n");
        p.expect("EHLO client.test\r\n");
        p.ok(EHLO_PLAIN);
        p.expect("STARTTLS\r\n");
        p.ok("220 go ahead\r\n");
        p.expect("");
        p.handshake();
        p.expect("EHLO client.test\r\n");
        p.ok(ehlo_after);
        p
    }
    fn open_plain(ehlo: &str) -> Peer {
        let mut p = Peer::new(config(TlsMode::DangerPlainText));
        p.ok("220 mx.test ESMTP\r\n");
        p.expect("EHLO client.test\r\n");
        p.ok(ehlo);
        p.ready();
        p
    }
}

/// Opens a session until STARTTLS is sent, for the STARTTLS failure tests.
fn at_starttls() -> Peer {
    let mut p = Peer::new(config(TlsMode::StartTls));
    p.ok("220 mx.test ESMTP\r\n");
    p.expect("EHLO client.test\r\n");
    p.ok(EHLO_PLAIN);
    p.expect("STARTTLS\r\n");
    p
}

// ---------- STARTTLS ----------

#[test]
fn starttls_then_capabilities_reset_and_ehlo_again() {
    let mut p = Peer::new(config(TlsMode::StartTls));
    p.ok("220 mx.test ESMTP\r\n");
    p.expect("EHLO client.test\r\n");
    p.ok(EHLO_PLAIN);
    assert!(p.s.capabilities().unwrap().pipelining);
    p.expect("STARTTLS\r\n");
    p.ok("220 2.0.0 ready\r\n");
    assert!(
        p.s.capabilities().is_none(),
        "capabilities learned in plain text must be gone"
    );
    p.handshake();
    assert!(p.s.capabilities().is_none());
    p.expect("EHLO client.test\r\n");
    // After TLS the server offers neither PIPELINING nor CHUNKING: the plain-text ones must
    // not be used.
    p.ok("250-mx.test\r\n250 8BITMIME\r\n");
    p.ready();
    let caps = p.s.capabilities().unwrap();
    assert!(!caps.pipelining && !caps.chunking && !caps.starttls && caps.eight_bit_mime);
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"hi\r\n").unwrap())
        .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\n");
    assert_eq!(p.s.tls().unwrap().version, TlsVersion::Tls13);
}

#[test]
fn starttls_missing_from_ehlo_is_refused() {
    let mut p = Peer::new(config(TlsMode::StartTls));
    p.ok("220 mx.test\r\n");
    p.expect("EHLO client.test\r\n");
    let err = p
        .server("250-mx.test\r\n250-AUTH PLAIN\r\n250 PIPELINING\r\n")
        .unwrap_err();
    assert_eq!(err, SessionError::StartTlsNotOffered);
    assert_eq!(err.fault(), Fault::Protocol);
    p.expect("");
    assert!(p.s.is_closed());
}

#[test]
fn starttls_454_and_502_are_refusals() {
    for reply in [
        "454 4.7.0 TLS not available\r\n",
        "502 5.5.1 unrecognized\r\n",
        "554 no\r\n",
    ] {
        let mut p = at_starttls();
        let err = p.server(reply).unwrap_err();
        assert!(
            matches!(
                err,
                SessionError::StartTlsRefused {
                    command: "STARTTLS",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.fault(), Fault::Protocol);
        p.expect("");
    }
}

#[test]
fn starttls_other_2xx_is_not_220() {
    for reply in ["250 OK\r\n", "221 bye\r\n", "354 go\r\n"] {
        let mut p = at_starttls();
        let err = p.server(reply).unwrap_err();
        assert!(
            matches!(err, SessionError::StartTlsWrongReply(_)),
            "{reply}: {err:?}"
        );
        assert_eq!(err.fault(), Fault::Protocol);
        p.expect("");
        assert!(p.event().is_none(), "no upgrade may be offered");
    }
}

#[test]
fn bytes_after_220_are_injection() {
    // In the same read as the 220.
    let mut p = at_starttls();
    let err = p
        .server("220 go\r\n250-injected\r\n250 AUTH PLAIN\r\n")
        .unwrap_err();
    assert_eq!(err, SessionError::StartTlsInjection { octets: 30 });
    assert!(p.event().is_none(), "no upgrade may be offered");
    p.expect("");
    // In a later read, before the handshake.
    let mut p = at_starttls();
    p.ok("220 go\r\n");
    let err = p.server("250 x\r\n").unwrap_err();
    assert_eq!(err, SessionError::StartTlsInjection { octets: 7 });
    // Even a partial line after the 220 counts.
    let mut p = at_starttls();
    assert!(matches!(
        p.server("220 go\r\n2").unwrap_err(),
        SessionError::StartTlsInjection { octets: 1 }
    ));
}

#[test]
fn close_or_silence_after_starttls() {
    let mut p = at_starttls();
    let err = p.s.handle_close().unwrap_err();
    assert_eq!(
        err,
        SessionError::Closed {
            waiting_for: "STARTTLS"
        }
    );
    assert_eq!(err.fault(), Fault::Transient);

    let mut p = at_starttls();
    let deadline = p.s.deadline().unwrap();
    assert_eq!(deadline, p.now + Duration::from_secs(300));
    p.s.handle_timeout(deadline - Duration::from_secs(1))
        .unwrap();
    let err = p.s.handle_timeout(deadline).unwrap_err();
    assert_eq!(
        err,
        SessionError::Timeout {
            waiting_for: "STARTTLS"
        }
    );
}

#[test]
fn auth_never_before_tls() {
    // Offered in plain text: the client still goes for STARTTLS, never AUTH.
    let mut cfg = config(TlsMode::StartTls);
    cfg.auth = Some(creds());
    let mut p = Peer::new(cfg);
    p.ok("220 mx.test\r\n");
    p.expect("EHLO client.test\r\n");
    p.ok(EHLO_PLAIN);
    p.expect("STARTTLS\r\n");
    // Plain-text mode with credentials is refused before anything happens.
    let mut cfg = config(TlsMode::DangerPlainText);
    cfg.auth = Some(creds());
    let err = Session::new(cfg, [0; 18], Instant::now()).err().unwrap();
    assert_eq!(err, SessionError::AuthWithoutTls);
    assert_eq!(err.fault(), Fault::Config);
}

#[test]
fn auth_plain_after_tls() {
    let mut cfg = config(TlsMode::StartTls);
    cfg.auth = Some(creds());
    let mut p = Peer::open_tls(cfg, "250-mx.test\r\n250 AUTH LOGIN PLAIN\r\n");
    p.expect("AUTH PLAIN AHUAcA==\r\n");
    p.ok("235 2.7.0 ok\r\n");
    p.ready();
}

#[test]
fn auth_login_and_failure() {
    let mut cfg = config(TlsMode::StartTls);
    cfg.auth = Some(creds().with_mechanism(Mechanism::parse("login").unwrap()));
    let mut p = Peer::open_tls(cfg, "250-mx.test\r\n250 AUTH LOGIN PLAIN\r\n");
    p.expect("AUTH LOGIN\r\n");
    p.ok("334 VXNlcm5hbWU6\r\n");
    p.expect("dQ==\r\n");
    p.ok("334 UGFzc3dvcmQ6\r\n");
    p.expect("cA==\r\n");
    let err = p.server("535 5.7.8 bad credentials\r\n").unwrap_err();
    assert!(matches!(err, SessionError::AuthFailed(_)));
    assert_eq!(err.fault(), Fault::Auth);
    // Issue 9: client and server are still in step after a refused AUTH: say goodbye.
    p.expect("QUIT\r\n");
    p.expect("");
}

#[test]
fn auth_without_usable_mechanism() {
    let mut cfg = config(TlsMode::StartTls);
    cfg.auth = Some(creds());
    let mut p = Peer::new(cfg);
    p.ok("220 x\r\n");
    p.client();
    p.ok(EHLO_PLAIN);
    p.client();
    p.ok("220 go\r\n");
    p.handshake();
    p.client();
    let err = p.server("250-mx\r\n250 AUTH CRAM-MD5\r\n").unwrap_err();
    assert!(matches!(
        err,
        SessionError::Sasl(SaslError::NoMechanism { .. })
    ));
    assert_eq!(err.fault(), Fault::Auth);
    p.expect("");
}

#[test]
fn implicit_tls_handshakes_before_the_greeting() {
    let mut p = Peer::new(config(TlsMode::Implicit));
    p.expect("");
    assert!(!p.s.wants_input());
    p.handshake();
    p.expect("");
    p.ok("220 mx.test\r\n");
    p.expect("EHLO client.test\r\n");
    p.ok("250 mx.test\r\n");
    p.ready();
}

// ---------- opening ----------

#[test]
fn greeting_refusals_and_garbage() {
    let mut p = Peer::new(config(TlsMode::StartTls));
    let err = p.server("554 5.3.2 go away\r\n").unwrap_err();
    assert!(matches!(
        err,
        SessionError::Refused {
            command: "the greeting",
            ..
        }
    ));
    assert_eq!(err.fault(), Fault::Permanent);
    let mut p = Peer::new(config(TlsMode::StartTls));
    assert_eq!(
        p.server("421 busy\r\n").unwrap_err().fault(),
        Fault::Transient
    );
    let mut p = Peer::new(config(TlsMode::StartTls));
    let err = p.server("SSH-2.0-OpenSSH\r\n").unwrap_err();
    assert!(matches!(
        err,
        SessionError::MalformedReply {
            waiting_for: "the greeting",
            ..
        }
    ));
    assert_eq!(err.fault(), Fault::Protocol);
}

#[test]
fn unsolicited_replies_are_violations() {
    let mut p = Peer::new(config(TlsMode::StartTls));
    // A reply pipelined by the server before the client asked anything.
    let err = p.server("220 mx\r\n250 fake\r\n").unwrap_err();
    assert_eq!(
        err,
        SessionError::UnsolicitedData {
            after: "the greeting",
            octets: 10
        }
    );
    p.expect("");
}

#[test]
fn replies_split_at_every_byte() {
    let mut p = Peer::new(config(TlsMode::DangerPlainText));
    for b in "220-mx.test\r\n220 ESMTP\r\n".bytes() {
        p.s.handle_input(&[b], p.now).unwrap();
    }
    p.expect("EHLO client.test\r\n");
    for b in "250-mx.test\r\n250 SIZE 10\r\n".bytes() {
        p.s.handle_input(&[b], p.now).unwrap();
    }
    p.ready();
    assert_eq!(p.s.capabilities().unwrap().size, Some(10));
}

#[test]
fn malformed_multiline_replies() {
    for bad in [
        "250-mx\r\n251 x\r\n",
        "250-mx\r\n250_x\r\n",
        "250-mx\n250 x\r\n",
        "250-mx\r\n\r\n",
    ] {
        let mut p = Peer::new(config(TlsMode::DangerPlainText));
        p.ok("220 mx\r\n");
        p.client();
        let err = p.server(bad).unwrap_err();
        assert!(
            matches!(
                err,
                SessionError::MalformedReply {
                    waiting_for: "EHLO",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
    }
    let mut p = Peer::new(config(TlsMode::DangerPlainText));
    let endless = format!("220 {}", "a".repeat(5000));
    let err = p.server(&endless).unwrap_err();
    assert!(matches!(
        err,
        SessionError::MalformedReply {
            error: ReplyError::LineTooLong { .. },
            ..
        }
    ));
}

#[test]
fn helo_fallback_only_in_plain_text() {
    let mut p = Peer::new(config(TlsMode::DangerPlainText));
    p.ok("220 mx\r\n");
    p.expect("EHLO client.test\r\n");
    p.ok("502 5.5.2 what\r\n");
    p.expect("HELO client.test\r\n");
    p.ok("250 mx\r\n");
    p.ready();
    let mut p = Peer::new(config(TlsMode::StartTls));
    p.ok("220 mx\r\n");
    p.expect("EHLO client.test\r\n");
    let err = p.server("502 5.5.2 what\r\n").unwrap_err();
    assert!(matches!(
        err,
        SessionError::StartTlsRefused {
            command: "EHLO",
            ..
        }
    ));
    p.expect("");
}

// ---------- transactions ----------

#[test]
fn per_recipient_results_without_pipelining() {
    let mut p = Peer::open_tls(config(TlsMode::StartTls), "250 mx.test\r\n");
    p.ready();
    p.s.send_message(
        &envelope(&["b@x.test", "c@x.test"]),
        &Message::new(b"Subject: t\n\nhi\n").unwrap(),
    )
    .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\n");
    p.ok("250 2.1.0 ok\r\n");
    p.expect("RCPT TO:<b@x.test>\r\n");
    p.ok("250 2.1.5 ok\r\n");
    p.expect("RCPT TO:<c@x.test>\r\n");
    p.ok("550 5.1.1 no such user\r\n");
    p.expect("DATA\r\n");
    p.ok("354 go\r\n");
    p.expect("Subject: t\r\n\r\nhi\r\n.\r\n");
    p.ok("250 2.0.0 queued as X\r\n");
    let r = p.report();
    assert_eq!(r.outcome(), Outcome::PartlyDelivered);
    assert!(r.recipients[0].accepted() && !r.recipients[1].accepted());
    assert_eq!(
        r.recipients[1].reply.as_ref().unwrap().to_string(),
        "550 5.1.1 no such user"
    );
    assert_eq!(r.first_refusal().unwrap().0, TxnCommand::Rcpt(1));
    assert_eq!(r.final_reply.as_ref().unwrap().code().value(), 250);
    assert_eq!(
        r.tls.as_ref().unwrap().peer_subject.as_deref(),
        Some("CN=mx.test")
    );
    assert_eq!(r.round_trips, 5);
    assert!(p.s.is_ready());
}

#[test]
fn no_data_when_no_recipient_accepted() {
    let mut p = Peer::open_plain("250 mx\r\n");
    p.s.send_message(
        &envelope(&["b@x.test"]),
        &Message::new(b"secret body\n").unwrap(),
    )
    .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\n");
    p.ok("250 ok\r\n");
    p.expect("RCPT TO:<b@x.test>\r\n");
    p.ok("550 no\r\n");
    p.expect("RSET\r\n");
    p.ok("250 ok\r\n");
    let r = p.report();
    assert_eq!(r.outcome(), Outcome::NotDelivered);
    assert!(r.data.is_none() && r.final_reply.is_none());
    assert!(p.s.is_ready());
}

#[test]
fn mail_refused() {
    let mut p = Peer::open_plain("250 mx\r\n");
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"x\n").unwrap())
        .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\n");
    p.ok("530 5.7.0 authentication required\r\n");
    p.expect("");
    let r = p.report();
    assert_eq!(r.outcome(), Outcome::NotDelivered);
    assert_eq!(r.first_refusal().unwrap().0, TxnCommand::Mail);
}

#[test]
fn final_reply_must_be_2xx_and_must_come() {
    // Missing: the server closes after the data.
    let mut p = Peer::open_plain("250 mx\r\n");
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"x\n").unwrap())
        .unwrap();
    p.client();
    p.ok("250 ok\r\n");
    p.client();
    p.ok("250 ok\r\n");
    p.expect("DATA\r\n");
    p.ok("354 go\r\n");
    p.expect("x\r\n.\r\n");
    let err = p.s.handle_close().unwrap_err();
    assert_eq!(
        err,
        SessionError::Closed {
            waiting_for: "the end of the message data"
        }
    );
    // Silence: the 10-minute DATA termination timeout.
    let mut p = Peer::open_plain("250 mx\r\n");
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"x\n").unwrap())
        .unwrap();
    p.client();
    p.ok("250 ok\r\n");
    p.client();
    p.ok("250 ok\r\n");
    p.client();
    p.ok("354 go\r\n");
    p.client();
    assert_eq!(p.s.deadline(), Some(p.now + Duration::from_secs(600)));
    // A 3xx is not a final reply.
    let mut p = Peer::open_plain("250 mx\r\n");
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"x\n").unwrap())
        .unwrap();
    for r in ["250 ok\r\n", "250 ok\r\n", "354 go\r\n"] {
        p.client();
        p.ok(r);
    }
    p.client();
    assert!(matches!(
        p.server("354 again\r\n").unwrap_err(),
        SessionError::UnexpectedReply { .. }
    ));
    // A 5xx is a refusal: reported, not an error.
    let mut p = Peer::open_plain("250 mx\r\n");
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"x\n").unwrap())
        .unwrap();
    for r in ["250 ok\r\n", "250 ok\r\n", "354 go\r\n"] {
        p.client();
        p.ok(r);
    }
    p.client();
    p.ok("554 5.6.0 spam\r\n");
    let r = p.report();
    assert_eq!(r.outcome(), Outcome::NotDelivered);
    assert_eq!(r.first_refusal().unwrap().0, TxnCommand::DataEnd);
}

#[test]
fn pipelining_batches_envelope_and_data() {
    let mut p = Peer::open_plain("250-mx\r\n250 PIPELINING\r\n");
    p.s.send_message(
        &envelope(&["b@x.test", "c@x.test"]),
        &Message::new(b"hi\n").unwrap(),
    )
    .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\nDATA\r\n");
    p.ok("250 ok\r\n250 ok\r\n");
    p.expect("");
    p.ok("550 no\r\n354 go\r\n");
    p.expect("hi\r\n.\r\n");
    p.ok("250 queued\r\n");
    let r = p.report();
    assert_eq!(r.outcome(), Outcome::PartlyDelivered);
    assert_eq!(r.round_trips, 2);
}

#[test]
fn pipelined_data_refused_without_recipients() {
    let mut p = Peer::open_plain("250-mx\r\n250 PIPELINING\r\n");
    p.s.send_message(
        &envelope(&["b@x.test"]),
        &Message::new(b"secret\n").unwrap(),
    )
    .unwrap();
    p.client();
    p.ok("250 ok\r\n550 no\r\n554 no valid recipients\r\n");
    p.expect("RSET\r\n");
    p.ok("250 ok\r\n");
    assert_eq!(p.report().outcome(), Outcome::NotDelivered);
}

#[test]
fn bdat_without_pipelining_waits_for_recipients() {
    let mut p = Peer::open_plain("250-mx\r\n250 CHUNKING\r\n");
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"x\n").unwrap())
        .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\n");
    p.ok("250 ok\r\n");
    p.expect("RCPT TO:<b@x.test>\r\n");
    p.ok("250 ok\r\n");
    p.expect("BDAT 3 LAST\r\nx\r\n");
    p.ok("250 ok\r\n");
    assert_eq!(p.report().outcome(), Outcome::Delivered);
}

#[test]
fn dot_stuffing_and_normalization_on_the_wire() {
    let mut p = Peer::open_plain("250-mx\r\n250 PIPELINING\r\n");
    p.s.send_message(
        &envelope(&["b@x.test"]),
        &Message::new(b"a\n.\nb\r.\rc\r\n..d\r\n.").unwrap(),
    )
    .unwrap();
    p.client();
    p.ok("250 ok\r\n250 ok\r\n354 go\r\n");
    p.expect("a\r\n..\r\nb\r\n..\r\nc\r\n...d\r\n..\r\n.\r\n");
}

#[test]
fn message_refusals_before_sending() {
    assert!(matches!(
        Message::new(b"a\0b"),
        Err(MessageError::Nul { .. })
    ));
    assert!(matches!(
        Message::new(&[b'x'; 1000]),
        Err(MessageError::LineTooLong { .. })
    ));
}

#[test]
fn smtputf8_required_for_non_ascii_addresses() {
    let mut p = Peer::open_plain("250-mx\r\n250 8BITMIME\r\n");
    let env = envelope(&["j\u{f6}rg@x.test"]);
    let err =
        p.s.send_message(&env, &Message::new(b"x\n").unwrap())
            .unwrap_err();
    assert!(matches!(err, SubmitError::Utf8NotOffered(_)));
    assert_eq!(err.fault(), Fault::Input);
    p.expect("");
    assert!(p.s.is_ready());
    let mut p = Peer::open_plain("250-mx\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");
    p.s.send_message(
        &env,
        &Message::new("Subject: gr\u{fc}\u{df}e\n".as_bytes()).unwrap(),
    )
    .unwrap();
    p.expect("MAIL FROM:<a@client.test> BODY=8BITMIME SMTPUTF8\r\n");
}

#[test]
fn eight_bit_needs_8bitmime() {
    let mut p = Peer::open_plain("250 mx\r\n");
    let err =
        p.s.send_message(
            &envelope(&["b@x.test"]),
            &Message::new("caf\u{e9}".as_bytes()).unwrap(),
        )
        .unwrap_err();
    assert_eq!(err, SubmitError::EightBitNotOffered);
    p.expect("");
}

#[test]
fn size_is_declared_and_enforced() {
    let mut p = Peer::open_plain("250-mx\r\n250 SIZE 10\r\n");
    let err =
        p.s.send_message(
            &envelope(&["b@x.test"]),
            &Message::new(b"0123456789\n").unwrap(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        SubmitError::TooLarge {
            size: 12,
            limit: 10
        }
    );
    p.expect("");
    p.s.send_message(
        &envelope(&["b@x.test"]),
        &Message::new(b"01234567").unwrap(),
    )
    .unwrap();
    p.expect("MAIL FROM:<a@client.test> SIZE=10\r\n");
}

#[test]
fn dsn_parameters() {
    let mut env = envelope(&["b@x.test"]);
    env.ret = Some(Ret::Headers);
    env.envid = Some(wary_smtp::proto::Envid::parse("id 1+2").unwrap());
    env.recipients[0].notify = Some(Notify::On {
        success: true,
        failure: true,
        delay: false,
    });
    env.recipients[0].orcpt = Some(mb("b@x.test"));
    let mut p = Peer::open_plain("250 mx\r\n");
    assert_eq!(
        p.s.send_message(&env, &Message::new(b"x").unwrap())
            .unwrap_err(),
        SubmitError::DsnNotOffered
    );
    let mut p = Peer::open_plain("250-mx\r\n250 DSN\r\n");
    p.s.send_message(&env, &Message::new(b"x").unwrap())
        .unwrap();
    p.expect("MAIL FROM:<a@client.test> RET=HDRS ENVID=id+201+2B2\r\n");
    p.ok("250 ok\r\n");
    p.expect("RCPT TO:<b@x.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@x.test\r\n");
}

#[test]
fn server_closing_421_mid_transaction() {
    let mut p = Peer::open_plain("250-mx\r\n250 PIPELINING\r\n");
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"x").unwrap())
        .unwrap();
    p.client();
    p.ok("250 ok\r\n421 4.3.2 shutting down\r\n");
    let r = p.report();
    assert_eq!(r.outcome(), Outcome::NotDelivered);
    assert!(matches!(p.event(), Some(Event::Closed)));
    assert!(p.s.is_closed());
    p.expect("");
}

#[test]
fn null_reverse_path_and_not_ready() {
    let mut p = Peer::new(config(TlsMode::DangerPlainText));
    let env = Envelope::new(ReversePath::Null, vec![mb("b@x.test")]);
    assert_eq!(
        p.s.send_message(&env, &Message::new(b"x").unwrap())
            .unwrap_err(),
        SubmitError::NotReady
    );
    let mut p = Peer::open_plain("250 mx\r\n");
    p.s.send_message(&env, &Message::new(b"x").unwrap())
        .unwrap();
    p.expect("MAIL FROM:<>\r\n");
    assert_eq!(
        p.s.send_message(
            &Envelope::new(ReversePath::Null, vec![]),
            &Message::new(b"x").unwrap()
        )
        .unwrap_err(),
        SubmitError::NotReady
    );
}

#[test]
fn scram_is_preferred_and_the_server_must_prove_itself() {
    let mut cfg = config(TlsMode::StartTls);
    cfg.auth = Some(creds());
    let mut p = Peer::open_tls(cfg, "250-mx.test\r\n250 AUTH PLAIN SCRAM-SHA-256\r\n");
    // Client-first: gs2 header, user, and the nonce made from the entropy ([7; 18]).
    use base64::Engine as _;
    let first =
        base64::engine::general_purpose::STANDARD.encode("n,,n=u,r=BwcHBwcHBwcHBwcHBwcHBwcH");
    p.expect(&format!("AUTH SCRAM-SHA-256 {first}\r\n"));
    // A server that accepts without proving it knows the password is not trusted.
    let err = p.server("235 2.7.0 ok\r\n").unwrap_err();
    assert!(
        matches!(err, SessionError::Sasl(SaslError::ServerNotVerified(_))),
        "{err:?}"
    );
    assert_eq!(err.fault(), Fault::Auth);
}

#[test]
fn dripping_octets_do_not_extend_the_deadline() {
    let mut p = Peer::new(config(TlsMode::DangerPlainText));
    let deadline = p.s.deadline().unwrap();
    for (i, b) in b"220 slow".iter().enumerate() {
        p.now += Duration::from_secs(60);
        p.s.handle_input(&[*b], p.now).unwrap();
        assert_eq!(p.s.deadline(), Some(deadline), "octet {i}");
    }
    let err = p.s.handle_timeout(deadline).unwrap_err();
    assert_eq!(
        err,
        SessionError::Timeout {
            waiting_for: "the greeting"
        }
    );
}

// ---------- content only after the RCPT replies (issue 4 §3) ----------

const EHLO_FAST: &str = "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n";
const EHLO_PIPE: &str = "250-mx\r\n250 PIPELINING\r\n";

#[test]
fn issue_4_all_rcpt_refused_with_chunking_sends_no_bdat_and_no_content() {
    let mut p = Peer::open_plain(EHLO_FAST);
    p.s.send_message(
        &envelope(&["b@x.test", "c@x.test"]),
        &Message::new(b"Subject: secret\n\nsecret body\n").unwrap(),
    )
    .unwrap();
    // The envelope alone: BDAT and its chunk wait for the RCPT replies.
    p.expect("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\n");
    p.ok("250 2.1.0 ok\r\n550 5.1.1 no such user\r\n");
    p.expect("");
    p.ok("551 5.1.6 moved\r\n");
    // None accepted: no BDAT, no content; the open transaction is reset.
    p.expect("RSET\r\n");
    p.ok("250 2.0.0 reset\r\n");
    let r = p.report();
    assert_eq!(r.outcome(), Outcome::NotDelivered);
    assert!(r
        .recipients
        .iter()
        .all(|x| !x.accepted() && x.reply.is_some()));
    assert!(r.data.is_none() && r.final_reply.is_none());
    assert_eq!(r.first_refusal().unwrap().0, TxnCommand::Rcpt(0));
    let wire = p.wire();
    assert!(!wire.contains("BDAT") && !wire.contains("DATA"), "{wire}");
    assert!(
        !wire.contains("secret"),
        "message bytes left the client: {wire}"
    );
    // The session goes on: the next message is sent normally.
    assert!(p.s.is_ready());
    p.s.send_message(&envelope(&["d@x.test"]), &Message::new(b"ok\n").unwrap())
        .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\nRCPT TO:<d@x.test>\r\n");
    p.ok("250 ok\r\n250 ok\r\n");
    p.expect("BDAT 4 LAST\r\nok\r\n");
    p.ok("250 queued\r\n");
    assert_eq!(p.report().outcome(), Outcome::Delivered);
}

#[test]
fn issue_4_mail_refused_with_chunking_sends_nothing_more() {
    let mut p = Peer::open_plain(EHLO_FAST);
    p.s.send_message(
        &envelope(&["b@x.test"]),
        &Message::new(b"secret\n").unwrap(),
    )
    .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\n");
    // No transaction was opened, so there is nothing to reset either.
    p.ok("530 5.7.0 authentication required\r\n503 5.5.1 no MAIL\r\n");
    p.expect("");
    let r = p.report();
    assert_eq!(r.first_refusal().unwrap().0, TxnCommand::Mail);
    assert!(!p.wire().contains("secret") && !p.wire().contains("BDAT"));
    assert!(p.s.is_ready());
}

#[test]
fn one_of_two_refused_content_goes_once_after_the_replies() {
    let mut p = Peer::open_plain(EHLO_FAST);
    let msg = Message::new(b".dot\nline\n").unwrap();
    p.s.send_message(&envelope(&["b@x.test", "c@x.test"]), &msg)
        .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\n");
    // Part of the replies: still nothing.
    p.ok("250 ok\r\n250 ok\r\n");
    p.expect("");
    p.ok("550 5.1.1 no\r\n");
    // BDAT carries the message raw: no dot-stuffing, no terminator (RFC 3030 §2).
    p.expect("BDAT 12 LAST\r\n.dot\r\nline\r\n");
    assert_eq!(p.s.deadline(), Some(p.now + Duration::from_secs(600)));
    p.ok("250 2.0.0 queued\r\n");
    let r = p.report();
    assert_eq!(r.outcome(), Outcome::PartlyDelivered);
    assert!(r.recipients[0].accepted() && !r.recipients[1].accepted());
    assert_eq!(r.round_trips, 2, "envelope, then content");
    assert_eq!(p.wire().matches(".dot\r\nline\r\n").count(), 1);
    assert_eq!(p.wire().matches("BDAT").count(), 1);
    assert!(p.s.is_ready());
    p.expect("");
}

#[test]
fn bdat_refused_resets() {
    let mut p = Peer::open_plain(EHLO_FAST);
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"x\n").unwrap())
        .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\n");
    p.ok("250 ok\r\n250 ok\r\n");
    p.expect("BDAT 3 LAST\r\nx\r\n");
    p.ok("554 5.6.0 spam\r\n");
    p.expect("RSET\r\n");
    p.ok("250 ok\r\n");
    let r = p.report();
    assert_eq!(r.outcome(), Outcome::NotDelivered);
    assert_eq!(r.first_refusal().unwrap().0, TxnCommand::BdatLast);
}

#[test]
fn pipelined_data_accepted_without_recipients_gets_a_lone_dot() {
    // RFC 2920 §3.1: a server may accept a pipelined DATA although every RCPT failed; the
    // client "should send a single dot". The content never follows.
    let mut p = Peer::open_plain(EHLO_PIPE);
    p.s.send_message(
        &envelope(&["b@x.test"]),
        &Message::new(b"secret\n").unwrap(),
    )
    .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n");
    p.ok("250 ok\r\n550 no\r\n354 go\r\n");
    p.expect(".\r\n");
    p.ok("554 5.5.1 no valid recipients\r\n");
    let r = p.report();
    assert_eq!(r.outcome(), Outcome::NotDelivered);
    assert_eq!(r.first_refusal().unwrap().0, TxnCommand::Rcpt(0));
    assert!(!p.wire().contains("secret"), "{}", p.wire());
    assert!(p.s.is_ready());
    // Even a server that "accepts" the empty message delivers nothing of it.
    let mut p = Peer::open_plain(EHLO_PIPE);
    p.s.send_message(
        &envelope(&["b@x.test"]),
        &Message::new(b"secret\n").unwrap(),
    )
    .unwrap();
    p.client();
    p.ok("250 ok\r\n550 no\r\n354 go\r\n");
    p.expect(".\r\n");
    p.ok("250 queued\r\n");
    assert_eq!(p.report().outcome(), Outcome::NotDelivered);
    assert!(!p.wire().contains("secret"));
}

// ---------- pipelining across messages (issue 6 §4) ----------

#[test]
fn send_many_bdat_content_goes_with_the_next_envelope() {
    let mut p = Peer::open_plain(EHLO_FAST);
    let setup = p.s.round_trips();
    assert_eq!(setup, 1, "EHLO");
    for (rcpt, body) in [
        ("b@x.test", "one\n"),
        ("c@x.test", "two\n"),
        ("d@x.test", "three\n"),
    ] {
        assert!(p.s.can_send());
        p.s.send_message(&envelope(&[rcpt]), &Message::new(body.as_bytes()).unwrap())
            .unwrap();
    }
    assert_eq!(p.s.messages_in_flight(), 3);
    // Batch 1: the first envelope only (the second MAIL would be nested in the first
    // transaction until its content closes it).
    p.expect("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\n");
    p.ok("250 ok\r\n250 ok\r\n");
    // Batch 2: content 1 and envelope 2 in one write.
    p.expect(concat!(
        "BDAT 5 LAST\r\none\r\n",
        "MAIL FROM:<a@client.test>\r\nRCPT TO:<c@x.test>\r\n"
    ));
    p.ok("250 one queued\r\n250 ok\r\n250 ok\r\n");
    let r1 = p.report();
    assert_eq!(r1.final_reply.unwrap().text(), "one queued");
    // Batch 3: content 2 and envelope 3.
    p.expect(concat!(
        "BDAT 5 LAST\r\ntwo\r\n",
        "MAIL FROM:<a@client.test>\r\nRCPT TO:<d@x.test>\r\n"
    ));
    p.ok("250 two queued\r\n250 ok\r\n250 ok\r\n");
    assert_eq!(p.report().final_reply.unwrap().text(), "two queued");
    // Batch 4: content 3 alone (nothing more queued).
    p.expect("BDAT 7 LAST\r\nthree\r\n");
    p.ok("250 three queued\r\n");
    assert_eq!(p.report().final_reply.unwrap().text(), "three queued");
    assert_eq!(
        p.s.round_trips() - setup,
        4,
        "3 messages, n + 1 round trips"
    );
    assert!(p.s.is_ready());
    p.expect("");
}

#[test]
fn send_many_data_content_and_final_dot_go_with_the_next_envelope() {
    let mut p = Peer::open_plain(EHLO_PIPE);
    let setup = p.s.round_trips();
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"one\n").unwrap())
        .unwrap();
    p.s.send_message(&envelope(&["c@x.test"]), &Message::new(b".two\n").unwrap())
        .unwrap();
    // MAIL, RCPT and DATA pipelined; DATA ends the group (RFC 2920 §3.1).
    p.expect("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n");
    p.ok("250 ok\r\n250 ok\r\n");
    p.expect("");
    p.ok("354 go\r\n");
    // The content and its dot, then the next envelope and DATA, in one write.
    p.expect(concat!(
        "one\r\n.\r\n",
        "MAIL FROM:<a@client.test>\r\nRCPT TO:<c@x.test>\r\nDATA\r\n"
    ));
    p.ok("250 one queued\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    assert_eq!(p.report().final_reply.unwrap().text(), "one queued");
    p.expect("..two\r\n.\r\n");
    p.ok("250 two queued\r\n");
    let r2 = p.report();
    assert_eq!(r2.outcome(), Outcome::Delivered);
    assert_eq!(r2.data.unwrap().code().value(), 354);
    assert_eq!(
        p.s.round_trips() - setup,
        3,
        "2 messages, n + 1 round trips"
    );
    assert!(p.s.is_ready());
}

#[test]
fn send_many_refused_message_is_reset_and_the_next_proceeds() {
    // BDAT path: message 1 has no accepted recipient; RSET and envelope 2 share a write.
    let mut p = Peer::open_plain(EHLO_FAST);
    p.s.send_message(
        &envelope(&["b@x.test"]),
        &Message::new(b"secret\n").unwrap(),
    )
    .unwrap();
    p.s.send_message(&envelope(&["c@x.test"]), &Message::new(b"two\n").unwrap())
        .unwrap();
    p.expect("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\n");
    p.ok("250 ok\r\n550 5.1.1 no\r\n");
    p.expect("RSET\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<c@x.test>\r\n");
    p.ok("250 reset\r\n250 ok\r\n250 ok\r\n");
    let r1 = p.report();
    assert_eq!(r1.outcome(), Outcome::NotDelivered);
    assert!(r1.final_reply.is_none());
    p.expect("BDAT 5 LAST\r\ntwo\r\n");
    p.ok("250 queued\r\n");
    assert_eq!(p.report().outcome(), Outcome::Delivered);
    assert!(!p.wire().contains("secret"));
    // DATA path: the refused DATA, then RSET and envelope 2 in one write.
    let mut p = Peer::open_plain(EHLO_PIPE);
    p.s.send_message(
        &envelope(&["b@x.test"]),
        &Message::new(b"secret\n").unwrap(),
    )
    .unwrap();
    p.s.send_message(&envelope(&["c@x.test"]), &Message::new(b"two\n").unwrap())
        .unwrap();
    p.client();
    p.ok("250 ok\r\n550 no\r\n554 5.5.1 no valid recipients\r\n");
    p.expect("RSET\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<c@x.test>\r\nDATA\r\n");
    p.ok("250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    assert_eq!(p.report().outcome(), Outcome::NotDelivered);
    p.expect("two\r\n.\r\n");
    p.ok("250 queued\r\n");
    assert_eq!(p.report().outcome(), Outcome::Delivered);
    assert!(!p.wire().contains("secret"));
}

#[test]
fn pipelined_failure_does_not_disturb_the_next_message() {
    let mut p = Peer::open_plain(EHLO_FAST);
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"one\n").unwrap())
        .unwrap();
    p.s.send_message(&envelope(&["c@x.test"]), &Message::new(b"two\n").unwrap())
        .unwrap();
    p.client();
    p.ok("250 ok\r\n250 ok\r\n");
    p.client();
    // BDAT 1 refused while envelope 2 is already on the wire: no RSET can go between them.
    p.ok("554 5.6.0 spam\r\n250 ok\r\n250 ok\r\n");
    assert_eq!(p.report().outcome(), Outcome::NotDelivered);
    p.expect("BDAT 5 LAST\r\ntwo\r\n");
    p.ok("250 queued\r\n");
    assert_eq!(p.report().outcome(), Outcome::Delivered);
    p.expect("");
    assert!(p.s.is_ready());
}

#[test]
fn closing_421_reports_every_message_held() {
    let mut p = Peer::open_plain(EHLO_FAST);
    for r in ["b@x.test", "c@x.test", "d@x.test"] {
        p.s.send_message(&envelope(&[r]), &Message::new(b"m\n").unwrap())
            .unwrap();
    }
    p.client();
    p.ok("250 ok\r\n250 ok\r\n");
    p.client();
    p.ok("250 queued\r\n421 4.3.2 shutting down\r\n");
    assert_eq!(p.report().outcome(), Outcome::Delivered);
    let r2 = p.report();
    assert_eq!(r2.outcome(), Outcome::NotDelivered);
    assert_eq!(r2.mail.unwrap().code().value(), 421);
    let r3 = p.report();
    assert!(r3.mail.is_none() && r3.final_reply.is_none());
    assert!(matches!(p.event(), Some(Event::Closed)));
    assert!(!p.s.can_send());
    p.expect("");
}

#[test]
fn rset_refused_ends_the_session_and_reports_everything_held() {
    let mut p = Peer::open_plain(EHLO_FAST);
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"m\n").unwrap())
        .unwrap();
    p.s.send_message(&envelope(&["c@x.test"]), &Message::new(b"m\n").unwrap())
        .unwrap();
    p.client();
    p.ok("250 ok\r\n550 no\r\n");
    p.client();
    p.ok("500 5.5.1 what\r\n");
    assert_eq!(p.report().outcome(), Outcome::NotDelivered);
    let r2 = p.report();
    assert!(r2.mail.is_none(), "message 2 was never answered");
    assert!(matches!(p.event(), Some(Event::Closed)));
    assert!(p.s.is_closed());
}

#[test]
fn no_message_queueing_without_pipelining() {
    let mut p = Peer::open_plain("250-mx\r\n250 CHUNKING\r\n");
    p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"one\n").unwrap())
        .unwrap();
    assert!(!p.s.can_send());
    assert_eq!(
        p.s.send_message(&envelope(&["c@x.test"]), &Message::new(b"two\n").unwrap())
            .unwrap_err(),
        SubmitError::NotReady
    );
}

#[test]
fn in_flight_window_is_bounded() {
    let mut p = Peer::open_plain(EHLO_FAST);
    let mut n = 0;
    while p.s.can_send() {
        p.s.send_message(&envelope(&["b@x.test"]), &Message::new(b"m\n").unwrap())
            .unwrap();
        n += 1;
        assert!(n <= 1000);
    }
    assert_eq!(n, wary_smtp::proto::transaction::MAX_MESSAGES_IN_FLIGHT);
}

#[test]
fn xoauth2_error_challenge_then_refusal() {
    let mut cfg = config(TlsMode::StartTls);
    cfg.auth = Some(
        AuthConfig::new(Credentials::OAuth2 {
            user: "u@x.test".into(),
            token: "tok".into(),
        })
        .with_mechanism(Mechanism::XOAuth2),
    );
    let mut p = Peer::open_tls(cfg, "250-mx.test\r\n250 AUTH PLAIN XOAUTH2\r\n");
    p.expect("AUTH XOAUTH2 dXNlcj11QHgudGVzdAFhdXRoPUJlYXJlciB0b2sBAQ==\r\n");
    // RFC-less but universal: a 334 with a JSON error, answered by an empty line.
    p.ok("334 eyJzdGF0dXMiOiI0MDEifQ==\r\n");
    p.expect("\r\n");
    let err = p.server("535 5.7.8 invalid token\r\n").unwrap_err();
    assert_eq!(err.fault(), Fault::Auth);
}
