//! Randomised robustness checks (deterministic seeds, no sockets): nothing panics on any
//! server input, in any phase, split at any point; a failed session stays failed and sends
//! nothing more; the message encoder never emits a bare CR/LF or an early end of data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

use std::time::Instant;
use wary_smtp::proto::*;

/// Fragments servers send, good and bad, to splice into inputs.
const PIECES: &[&[u8]] = &[
    b"220 mx\r\n",
    b"220-mx\r\n",
    b"250 ok\r\n",
    b"250-",
    b"250 STARTTLS\r\n",
    b"250-STARTTLS\r\n",
    b"250-PIPELINING\r\n",
    b"250-CHUNKING\r\n",
    b"250 AUTH PLAIN LOGIN SCRAM-SHA-256\r\n",
    b"250 SIZE 5\r\n",
    b"354 go\r\n",
    b"334 VXNlcm5hbWU6\r\n",
    b"334 \r\n",
    b"334 cj1hYmMscz1BQUFBLGk9NDA5Ng==\r\n",
    b"235 ok\r\n",
    b"221 bye\r\n",
    b"421 closing\r\n",
    b"454 no\r\n",
    b"550 no\r\n",
    b"\r\n",
    b"\n",
    b"\r",
    b"\0",
    b"999 x\r\n",
    b"2",
    b"25",
    b"250",
    b" ",
    b"-",
    b"\xff\xfe",
    b"\t",
];

fn random_input(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(12) {
        if rng.below(8) == 0 {
            out.push(rng.next() as u8);
        } else {
            out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
    }
    out
}

#[test]
fn sessions_never_panic_and_failures_are_final() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let now = Instant::now();
    for round in 0..20_000 {
        let mut cfg = SessionConfig::new(Domain::parse("c.test").unwrap());
        cfg.tls = [
            TlsMode::StartTls,
            TlsMode::Implicit,
            TlsMode::DangerPlainText,
        ][round % 3];
        if cfg.tls != TlsMode::DangerPlainText && rng.below(2) == 0 {
            cfg.auth = Some(AuthConfig::new(Credentials::Password {
                user: "u".into(),
                password: "p".into(),
            }));
        }
        cfg.limits = ReplyLimits::default().with_max_line(64).with_max_lines(8);
        let mut s = Session::new(cfg, [1; 18], now).unwrap();
        let input = random_input(&mut rng);
        let mut pos = 0;
        let mut failed = false;
        while pos < input.len() {
            let n = 1 + rng.below(input.len() - pos);
            while s.poll_transmit(now).is_some() {}
            while let Some(ev) = s.poll_event() {
                match ev {
                    Event::StartTls(proof) => {
                        let info = TlsInfo::new(TlsVersion::Tls13, "x", "mx");
                        let _ = s.tls_established(proof, info, now);
                    }
                    Event::Ready => {
                        let env =
                            Envelope::new(ReversePath::Null, vec![Mailbox::parse("a@b").unwrap()]);
                        let _ = s.send_message(&env, &Message::new(b"x").unwrap());
                    }
                    _ => {}
                }
            }
            if s.handle_input(&input[pos..pos + n], now).is_err() {
                failed = true;
                break;
            }
            pos += n;
        }
        if failed {
            // After an error: nothing more to send, no more input taken.
            assert!(s.is_closed());
            assert!(s.poll_transmit(now).is_none());
            assert!(s.handle_input(b"250 ok\r\n", now).is_err());
        }
    }
}

#[test]
fn reply_parser_never_panics_and_is_consistent_under_splitting() {
    let mut rng = Rng(0x5eed_0000_0000_0002);
    let limits = ReplyLimits::default().with_max_line(32).with_max_lines(4);
    for _ in 0..50_000 {
        let input = random_input(&mut rng);
        let whole = parse_reply(&input, limits);
        // Every proper prefix of a valid reply is "need more": never an error, never a
        // (different) reply.
        if let Ok(Some((reply, used))) = &whole {
            for cut in 0..*used {
                let part = parse_reply(&input[..cut], limits);
                assert_eq!(part, Ok(None), "prefix {cut} of {reply:?}");
            }
        }
    }
}

#[test]
fn message_encoding_invariants() {
    let mut rng = Rng(0x5eed_0000_0000_0003);
    let alphabet: &[u8] = b"\r\n.ab \t\xc3";
    for _ in 0..50_000 {
        let len = rng.below(40);
        let raw: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let msg = Message::new(&raw).unwrap();
        let mut out = Vec::new();
        msg.encode_data(&mut out);
        assert!(out.ends_with(b".\r\n"));
        let body = &out[..out.len() - 3];
        // Only CRLF pairs, body empty or ending in CRLF, no line "." before the terminator.
        assert!(body.is_empty() || body.ends_with(b"\r\n"), "{raw:?}");
        for (i, &b) in out.iter().enumerate() {
            if b == b'\r' {
                assert_eq!(out.get(i + 1), Some(&b'\n'), "{raw:?}");
            }
            if b == b'\n' {
                assert!(i > 0 && out[i - 1] == b'\r', "{raw:?}");
            }
        }
        assert!(!body.windows(5).any(|w| w == b"\r\n.\r\n"), "{raw:?}");
        assert!(!body.starts_with(b".\r\n"), "{raw:?}");
        // Un-stuffing gives back the normalized message.
        let mut unstuffed = Vec::new();
        for line in body.split_inclusive(|&b| b == b'\n') {
            unstuffed.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        }
        assert_eq!(unstuffed, msg.as_bytes(), "{raw:?}");
    }
}
