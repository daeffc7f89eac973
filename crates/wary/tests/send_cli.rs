//! `wary send`'s contract, end to end: the real binary against scripted plain-text servers on
//! 127.0.0.1, checking exit codes (sysexits), the one stderr line, and the exact bytes the
//! server received. (TLS cases: wary-smtp's loopback tests, scripts/interop-exim, and the
//! hostile scenarios of wary-probe.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Read;
use support::{serve, serve_one, server_arg, wary_send};

const MSG: &[u8] = b"From: a@x.test\nTo: b@x.test\nBcc: c@x.test\nSubject: t\n\n.hi\n";

#[test]
fn delivers_with_t_and_drops_bcc() {
    let (port, h) = serve(&[
        "S: 220 mx ESMTP",
        "C: EHLO [127.0.0.1]",
        "S: 250-mx",
        "S: 250 PIPELINING",
        "C: MAIL FROM:<a@x.test>",
        "C: RCPT TO:<b@x.test>",
        "C: RCPT TO:<c@x.test>",
        "C: DATA",
        "S: 250 ok",
        "S: 250 ok",
        "S: 250 ok",
        "S: 354 go",
        "C: From: a@x.test",
        "C: To: b@x.test",
        "C: Subject: t",
        "C: ",
        "C: ..hi",
        "C: .",
        "S: 250 queued",
        "C: QUIT",
        "S: 221 bye",
    ]);
    let (code, err, _) = wary_send(&["--server", &server_arg(port), "--tls", "none", "-t"], MSG);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: --tls none"), "{err}");
    let got = h.join().unwrap();
    assert!(!got.contains("Bcc"), "{got}");
}

fn refused_at_rcpt(reply: &'static str) -> (i32, String) {
    let (port, h) = serve(&[
        "S: 220 mx",
        "C: EHLO*",
        "S: 250 mx",
        "C: MAIL FROM:<a@x.test>",
        "S: 250 ok",
        "C: RCPT TO:<b@x.test>",
        reply,
        "C: RSET",
        "S: 250 ok",
        "C: QUIT",
        "S: 221 bye",
    ]);
    let (code, err, _) = wary_send(
        &["--server", &server_arg(port), "--tls", "none", "b@x.test"],
        MSG,
    );
    let got = h.join().unwrap();
    assert!(
        !got.contains("DATA"),
        "no DATA without an accepted recipient: {got}"
    );
    (code, err)
}

#[test]
fn permanent_refusal_is_69_and_transient_75() {
    let (code, err) = refused_at_rcpt("S: 550 5.1.1 no such user");
    assert_eq!(code, 69, "{err}");
    assert_eq!(
        err.lines().filter(|l| !l.contains("warning")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("550 5.1.1 no such user"), "{err}");
    let (code, err) = refused_at_rcpt("S: 451 4.3.0 try later");
    assert_eq!(code, 75, "{err}");
}

#[test]
fn starttls_not_offered_is_76_and_nothing_leaks() {
    let (port, h) = serve(&["S: 220 mx", "C: EHLO*", "S: 250-mx", "S: 250 AUTH PLAIN"]);
    let dir = std::env::temp_dir().join(format!("wary-send-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pw = dir.join("pw");
    std::fs::write(&pw, "hunter2\n").unwrap();
    let (code, err, _) = wary_send(
        &[
            "--server",
            &server_arg(port),
            "--user",
            "u",
            "--password-file",
            pw.to_str().unwrap(),
            "b@x.test",
        ],
        MSG,
    );
    assert_eq!(code, 76, "{err}");
    assert!(err.contains("STARTTLS"), "{err}");
    let got = h.join().unwrap();
    assert!(
        !got.contains("AUTH") && !got.contains("MAIL") && !got.contains("hunter2"),
        "{got}"
    );
}

#[test]
fn bad_input_and_flags() {
    // NUL in the message: 65, before any connection (port 9 is never contacted).
    let (code, err, _) = wary_send(
        &["--server", "127.0.0.1:9", "--tls", "none", "b@x.test"],
        b"a\0b",
    );
    assert_eq!(code, 65, "{err}");
    // A recipient with CR LF in it: 65.
    let (code, _, _) = wary_send(
        &[
            "--server",
            "127.0.0.1:9",
            "--tls",
            "none",
            "b@x.test\r\nRSET",
        ],
        MSG,
    );
    assert_eq!(code, 65);
    // Flags: unknown TLS mode, missing --server, --user without --password-file, AUTH in
    // plain text, zero timeout: 78.
    for args in [
        &["--server", "127.0.0.1:9", "--tls", "maybe", "b@x.test"][..],
        &["b@x.test"],
        &["--server", "127.0.0.1:9", "--user", "u", "b@x.test"],
        &[
            "--server",
            "127.0.0.1:9",
            "--tls",
            "none",
            "--user",
            "u",
            "--password-file",
            "/dev/null",
            "b@x.test",
        ],
        &["--server", "127.0.0.1:9", "--timeout", "0", "b@x.test"],
        &["--server", "127.0.0.1:9", "--tls", "none"],
    ] {
        let (code, err, _) = wary_send(args, MSG);
        assert_eq!(code, 78, "{args:?}: {err}");
    }
}

#[test]
fn silence_is_75() {
    // A server that never says a word, and reads until the client gives up.
    let (port, h) = serve_one(|mut r, _| {
        let mut sink = Vec::new();
        let _ = r.read_to_end(&mut sink);
    });
    let (code, err, _) = wary_send(
        &[
            "--server",
            &server_arg(port),
            "--tls",
            "none",
            "--timeout",
            "1",
            "b@x.test",
        ],
        MSG,
    );
    assert_eq!(code, 75, "{err}");
    assert!(err.contains("no reply to the greeting"), "{err}");
    h.join().unwrap();
}
