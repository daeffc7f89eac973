//! Issue 9, classes 5 and 8, end to end: the real `wary send` against a small reactive
//! server on 127.0.0.1.
//!
//! - class 5: with `-t`, a bare CR in the header section cannot put a Bcc line on the wire
//!   or drop a To address from the envelope; a header section that cannot be read exactly
//!   as sent is refused with 65 before any connection;
//! - class 8: `--envid` must be printable US-ASCII (RFC 3461 §4.4), else 78 before any
//!   connection; and a recipient the server never considered (MAIL was refused) is never
//!   reported as "refused" with the 503 its RCPT drew.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;
use support::{serve_one, server_arg, wary_send};

/// How the server answers.
#[derive(Clone, Copy)]
struct Script {
    pipelining: bool,
    mail: &'static str,
}

const OK: Script = Script {
    pipelining: true,
    mail: "250 ok",
};

/// Serves one connection: answers each command as `script` says, takes DATA content up to
/// the lone dot, and returns everything the client sent.
fn serve(script: Script) -> (u16, JoinHandle<String>) {
    serve_one(move |mut r, mut w| {
        let mut got = String::new();
        let mut say = |line: &str| {
            let _ = w.write_all(format!("{line}\r\n").as_bytes());
        };
        say("220 mx ESMTP");
        let mut mail_ok = false;
        let mut in_data = false;
        // Bounded: a client that never stops gets cut off.
        for _ in 0..10_000 {
            let mut line = String::new();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            got.push_str(&line);
            let cmd = line.trim_end().to_ascii_uppercase();
            if in_data {
                if cmd == "." {
                    in_data = false;
                    say("250 queued");
                }
                continue;
            }
            match cmd.split_whitespace().next().unwrap_or("") {
                "EHLO" if script.pipelining => {
                    say("250-mx");
                    say("250-DSN");
                    say("250 PIPELINING");
                }
                "EHLO" => {
                    say("250-mx");
                    say("250 DSN");
                }
                "MAIL" => {
                    mail_ok = script.mail.starts_with('2');
                    say(script.mail);
                }
                "RCPT" if mail_ok => say("250 ok"),
                "DATA" if mail_ok => {
                    in_data = true;
                    say("354 go");
                }
                "RCPT" | "DATA" => say("503 5.5.1 bad sequence of commands"),
                "RSET" => say("250 ok"),
                "QUIT" => {
                    say("221 bye");
                    break;
                }
                _ => say("500 what"),
            }
        }
        got
    })
}

/// A listener that must never be contacted: true when nobody connected.
fn untouched() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    (listener, addr)
}

fn nobody_connected(listener: &TcpListener) -> bool {
    matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// The header section of what the server got inside DATA.
fn data_headers(got: &str) -> String {
    let data = got.split_once("DATA\r\n").map_or("", |(_, d)| d);
    data.split_once("\r\n\r\n")
        .map_or(data, |(h, _)| h)
        .to_owned()
}

#[test]
fn issue_9_bare_cr_cannot_smuggle_a_bcc_line_or_drop_a_recipient() {
    // Each message hides a header line behind a bare CR (which the encoder turns into CRLF).
    for (msg, hidden) in [
        (&b"From: a@x.test\nTo: b@x.test\rBcc: secret@x.test\nSubject: t\n\nhi\n"[..], "secret@x.test"),
        (b"From: a@x.test\nSubject: t\rTo: c@x.test\nBcc: d@x.test\n\nhi\n", "c@x.test"),
        (b"From: a@x.test\r\nBcc: d@x.test\r\nSubject: t\rbcc: e@x.test\r\nTo: b@x.test\r\n\r\nhi\r\n", "e@x.test"),
    ] {
        let (port, h) = serve(OK);
        let (code, err, _) = wary_send(
            &["--server", &server_arg(port), "--tls", "none", "-t"],
            msg,
        );
        let got = h.join().unwrap();
        let shown = String::from_utf8_lossy(msg);
        assert_eq!(code, 0, "{shown:?}: {err}\n{got}");
        let headers = data_headers(&got);
        assert!(
            !headers.to_ascii_lowercase().contains("bcc"),
            "{shown:?}: a Bcc line reached the wire:\n{got}"
        );
        assert!(
            got.contains(&format!("RCPT TO:<{hidden}>")),
            "{shown:?}: {hidden} is in the message but not in the envelope:\n{got}"
        );
    }
}

#[test]
fn issue_9_header_section_that_cannot_be_read_as_sent_is_65_and_nothing_is_sent() {
    for msg in [
        &b"From: a@x.test\nTo: b@x.test\rnot a header\nBcc: c@x.test\n\nhi\n"[..],
        b" folded first\nFrom: a@x.test\nTo: b@x.test\n\nhi\n",
        b"From: a@x.test\nTo: b@x.test\n \nBcc: c@x.test\n\nhi\n",
    ] {
        let (listener, addr) = untouched();
        // --timeout: should the check regress, the test fails in seconds, not minutes.
        let (code, err, _) = wary_send(
            &["--server", &addr, "--tls", "none", "--timeout", "2", "-t"],
            msg,
        );
        let shown = String::from_utf8_lossy(msg);
        assert_eq!(code, 65, "{shown:?}: {err}");
        assert!(
            err.contains("line ") && err.contains("nothing was sent"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(nobody_connected(&listener), "{shown:?}: connected anyway");
    }
}

#[test]
fn issue_9_envid_must_be_printable_ascii_78_before_connecting() {
    for bad in [
        "caf\u{e9}",
        "a\r\nRCPT TO:<x@y.test>",
        "tab\there",
        "",
        &"x".repeat(101),
    ] {
        let (listener, addr) = untouched();
        let (code, err, _) = wary_send(
            &[
                "--server", &addr, "--tls", "none", "--envid", bad, "b@x.test",
            ],
            b"From: a@x.test\n\nhi\n",
        );
        assert_eq!(code, 78, "{bad:?}: {err}");
        assert!(
            err.contains("--envid") && err.contains("RFC 3461"),
            "{bad:?}: {err}"
        );
        assert!(nobody_connected(&listener), "{bad:?}: connected anyway");
    }
    // A valid one goes out as xtext.
    let (port, h) = serve(OK);
    let (code, err, _) = wary_send(
        &[
            "--server",
            &server_arg(port),
            "--tls",
            "none",
            "--envid",
            "id 1+2",
            "b@x.test",
        ],
        b"From: a@x.test\n\nhi\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(h.join().unwrap().contains("ENVID=id+201+2B2"));
}

#[test]
fn issue_9_recipients_never_tried_are_not_reported_refused() {
    for pipelining in [true, false] {
        let (port, h) = serve(Script {
            pipelining,
            mail: "501 5.5.4 bad ENVID",
        });
        let (code, err, _) = wary_send(
            &[
                "--server",
                &server_arg(port),
                "--tls",
                "none",
                "-v",
                "b@x.test",
                "c@x.test",
            ],
            b"From: a@x.test\n\nhi\n",
        );
        let got = h.join().unwrap();
        assert_eq!(code, 69, "{err}\n{got}");
        assert!(err.contains("501 5.5.4 bad ENVID"), "{err}");
        assert!(
            !err.contains("refused: 503") && !err.contains("b@x.test: refused"),
            "pipelining {pipelining}: a recipient the server never considered is reported refused:\n{err}"
        );
        assert!(
            err.contains("b@x.test: not tried") && err.contains("c@x.test: not tried"),
            "pipelining {pipelining}:\n{err}"
        );
    }
}
