//! `wary send`'s contract, end to end: the real binary against scripted plain-text servers on
//! 127.0.0.1, checking exit codes (sysexits), the one stderr line, and the exact bytes the
//! server received. (TLS cases: wary-smtp's loopback tests, scripts/interop-exim, and the
//! hostile scenarios of wary-probe.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

/// A server that plays `script`: `S:` lines are sent, `C:` lines must arrive (a `C:` line
/// ending in `*` matches any line with that prefix). Returns everything the client sent.
fn serve(script: &'static [&'static str]) -> (u16, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let mut got = String::new();
        for step in script {
            if let Some(say) = step.strip_prefix("S: ") {
                w.write_all(say.as_bytes()).unwrap();
                w.write_all(b"\r\n").unwrap();
            } else if let Some(want) = step.strip_prefix("C: ") {
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                got.push_str(&line);
                let line = line.trim_end_matches("\r\n");
                match want.strip_suffix('*') {
                    Some(prefix) => assert!(line.starts_with(prefix), "{line:?} !~ {want:?}"),
                    None => assert_eq!(line, want),
                }
            }
        }
        // Whatever else comes until the client closes.
        let mut rest = String::new();
        let _ = r.read_to_string(&mut rest);
        got + &rest
    });
    (port, h)
}

fn wary(args: &[&str], stdin: &[u8]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wary"))
        .arg("send")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A flag error exits before reading stdin: a broken pipe here is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn server_arg(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

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
    let (code, err) = wary(&["--server", &server_arg(port), "--tls", "none", "-t"], MSG);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: --tls none"), "{err}");
    let got = h.join().unwrap();
    assert!(!got.contains("Bcc"), "{got}");
}

fn refused_at_rcpt(reply: &'static str) -> (i32, String) {
    let script: &'static [&'static str] = Box::leak(
        vec![
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
        ]
        .into_boxed_slice(),
    );
    let (port, h) = serve(script);
    let out = wary(
        &["--server", &server_arg(port), "--tls", "none", "b@x.test"],
        MSG,
    );
    let got = h.join().unwrap();
    assert!(
        !got.contains("DATA"),
        "no DATA without an accepted recipient: {got}"
    );
    out
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
    let (code, err) = wary(
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
    let (code, err) = wary(
        &["--server", "127.0.0.1:9", "--tls", "none", "b@x.test"],
        b"a\0b",
    );
    assert_eq!(code, 65, "{err}");
    // A recipient with CR LF in it: 65.
    let (code, _) = wary(
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
        let (code, err) = wary(args, MSG);
        assert_eq!(code, 78, "{args:?}: {err}");
    }
}

#[test]
fn silence_is_75() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (mut s, _): (TcpStream, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    });
    let (code, err) = wary(
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
