//! Issue 9, the sans-IO core's classes as transcripts (no sockets): each test was written to
//! fail before its fix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};
use wary_smtp::proto::*;

fn plain(pipelining: bool, timeouts: Timeouts) -> (Session, Instant) {
    let now = Instant::now();
    let mut cfg = SessionConfig::new(Domain::parse("client.test").unwrap());
    cfg.tls = TlsMode::DangerPlainText;
    cfg.pipelining = pipelining;
    cfg.chunking = false;
    cfg.timeouts = timeouts;
    (Session::new(cfg, [1; 18], now).unwrap(), now)
}

fn out(s: &mut Session, now: Instant) -> String {
    let mut all = Vec::new();
    while let Some(b) = s.poll_transmit(now) {
        s.handle_transmitted(now);
        all.extend(b);
    }
    String::from_utf8(all).unwrap()
}

fn envelope() -> Envelope {
    Envelope::new(
        ReversePath::Mailbox(Mailbox::parse("a@x.test").unwrap()),
        vec![Mailbox::parse("b@x.test").unwrap()],
    )
}

fn report(s: &mut Session) -> DeliveryReport {
    loop {
        match s.poll_event() {
            Some(Event::Delivered(r)) => return *r,
            Some(_) => {}
            None => panic!("no report"),
        }
    }
}

/// Class 1: under PIPELINING a refused MAIL with an accepted RCPT and DATA, and a 250 for
/// the lone dot, is not delivered; MAIL's code decides the status.
#[test]
fn issue_9_class_1_refused_mail_pipelined() {
    for (mail, want) in [
        ("451 4.3.0 later", Status::Deferred),
        ("553 5.7.1 no", Status::Refused),
    ] {
        let (mut s, now) = plain(true, Timeouts::default());
        s.handle_input(b"220 mx\r\n", now).unwrap();
        assert_eq!(out(&mut s, now), "EHLO client.test\r\n");
        s.handle_input(b"250-mx\r\n250 PIPELINING\r\n", now)
            .unwrap();
        assert!(matches!(s.poll_event(), Some(Event::Ready)));
        s.send_message(
            &envelope(),
            &Message::new(b"Subject: x\r\n\r\nSECRET\r\n").unwrap(),
        )
        .unwrap();
        assert_eq!(
            out(&mut s, now),
            "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@x.test>\r\nDATA\r\n"
        );
        s.handle_input(format!("{mail}\r\n250 ok\r\n354 go\r\n").as_bytes(), now)
            .unwrap();
        // The content is withheld: a lone dot ends the data phase.
        assert_eq!(out(&mut s, now), ".\r\n");
        s.handle_input(b"250 ok\r\n", now).unwrap();
        let r = report(&mut s);
        assert_eq!(r.status(), want, "{r:?}");
        assert_eq!(r.outcome(), Outcome::NotDelivered);
        assert!(!r.content_written);
    }
}

/// Class 6: timeouts as large as a Duration can be never overflow a deadline.
#[test]
fn issue_9_class_6_huge_timeouts_do_not_panic() {
    let (mut s, now) = plain(false, Timeouts::uniform(Duration::MAX));
    s.handle_input(b"220 mx\r\n", now).unwrap();
    assert_eq!(out(&mut s, now), "EHLO client.test\r\n");
    assert!(s.deadline().is_some());
    s.handle_timeout(now + Duration::from_secs(3600)).unwrap();
    // Clamped to a day: the wait still ends.
    let err = s
        .handle_timeout(now + timeouts::MAX_TIMEOUT + Duration::from_secs(1))
        .unwrap_err();
    assert!(matches!(err, SessionError::Timeout { .. }), "{err}");
}

/// Class 4: the wait for the final reply starts when the content is written, not at 354.
#[test]
fn issue_9_class_4_final_reply_clock_starts_after_the_write() {
    let t = Timeouts::uniform(Duration::from_secs(10));
    let (mut s, now) = plain(false, t);
    s.handle_input(b"220 mx\r\n", now).unwrap();
    out(&mut s, now);
    s.handle_input(b"250 mx\r\n", now).unwrap();
    s.send_message(
        &envelope(),
        &Message::new(b"Subject: x\r\n\r\nhi\r\n").unwrap(),
    )
    .unwrap();
    out(&mut s, now);
    s.handle_input(b"250 ok\r\n", now).unwrap();
    out(&mut s, now);
    s.handle_input(b"250 ok\r\n", now).unwrap();
    out(&mut s, now);
    s.handle_input(b"354 go\r\n", now).unwrap();
    // The content takes a minute to write.
    let written = now + Duration::from_secs(60);
    let bytes = s.poll_transmit(now).unwrap();
    assert!(bytes.ends_with(b"\r\n.\r\n"));
    s.handle_transmitted(written);
    s.handle_timeout(written + Duration::from_secs(5)).unwrap();
    s.handle_input(b"250 queued\r\n", written + Duration::from_secs(5))
        .unwrap();
    assert_eq!(report(&mut s).status(), Status::Delivered);
}
