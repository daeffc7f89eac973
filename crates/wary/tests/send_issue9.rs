//! Issue 9 (`wary send` round 2), end to end: the real binary against scripted plain-text
//! servers on 127.0.0.1, one test (or more) per defect class, each written to fail before
//! its fix. The exit code, stderr, the `--json` document on stdout and the bytes the server
//! received are all checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};
use support::{serve, server_arg, wary_send};

fn script(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|s| (*s).to_owned()).collect()
}

const MSG: &[u8] = b"From: a@x.test\nTo: b@x.test\nSubject: t\n\nhi\n";

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

const OPEN: &[&str] = &["S: 220 mx", "C: EHLO*", "S: 250-mx", "S: 250 PIPELINING"];

/// Class 1: MAIL refused under PIPELINING, RCPT and DATA accepted, the lone `.` answered
/// 250: not delivered. MAIL's reply decides: 451 -> deferred (75), 553 -> refused (69).
#[test]
fn issue_9_class_1_refused_mail_is_never_delivered() {
    for (mail, code, status) in [
        ("451 4.3.0 try later", 75, "deferred"),
        ("553 5.7.1 sender refused", 69, "refused"),
    ] {
        let mut s = script(OPEN);
        s.extend(script(&[
            "C: MAIL FROM:<a@x.test>",
            "C: RCPT TO:<b@x.test>",
            "C: DATA",
        ]));
        s.push(format!("S: {mail}"));
        s.extend(script(&[
            "S: 250 ok",
            "S: 354 go",
            "C: .",
            "C: QUIT",
            "S: 250 ok",
            "S: 221 bye",
        ]));
        let (port, h) = serve(&s);
        let (exit, err, out) = wary_send(
            &[
                "--server",
                &server_arg(port),
                "--tls",
                "none",
                "--json",
                "b@x.test",
            ],
            MSG,
        );
        let got = h.join().unwrap();
        assert_eq!(exit, code, "{mail}: {err}");
        assert!(!got.contains("hi\r\n"), "content was sent: {got}");
        assert!(err.contains("MAIL FROM") && err.contains(status), "{err}");
        let doc = json(&out);
        assert_eq!(doc["messages"][0]["status"], status, "{doc}");
        assert_eq!(doc["exit_code"], code);
    }
}

/// Class 2: message 1's final 250 arrives in one segment with a malformed reply to message
/// 2's pipelined envelope. Message 1 is delivered (and said so); message 2 is not.
#[test]
fn issue_9_class_2_a_250_before_an_error_is_kept() {
    let mbox = b"From a@x Mon\nFrom: a@x.test\nSubject: 1\n\none\n\nFrom a@x Tue\nFrom: a@x.test\nSubject: 2\n\ntwo\n";
    let mut s = script(OPEN);
    s.extend(script(&[
        "C: MAIL FROM:<a@x.test>",
        "C: RCPT TO:<b@x.test>",
        "C: DATA",
        "S: 250 ok",
        "S: 250 ok",
        "S: 354 go",
        "C: From: a@x.test",
        "C: Subject: 1",
        "C: ",
        "C: one",
        "C: .",
        "C: MAIL FROM:<a@x.test>",
        "C: RCPT TO:<b@x.test>",
        "C: DATA",
        // The final reply to message 1 and garbage for message 2, in one write.
        "S+ 250 2.0.0 queued as ONE\r\n",
        "S: 25x broken",
    ]));
    let (port, h) = serve(&s);
    let (exit, err, out) = wary_send(
        &[
            "--server",
            &server_arg(port),
            "--tls",
            "none",
            "--mbox",
            "--json",
            "b@x.test",
        ],
        mbox,
    );
    h.join().unwrap();
    let doc = json(&out);
    assert_eq!(doc["messages"][0]["status"], "delivered", "{doc}\n{err}");
    assert_eq!(doc["messages"][0]["final_reply"]["code"], 250, "{doc}");
    assert_eq!(doc["messages"][1]["status"], "deferred", "{doc}");
    assert!(
        doc["error"].as_str().unwrap().contains("malformed"),
        "{doc}"
    );
    // The session broke the protocol: 76 wins over message 2's 75.
    assert_eq!(exit, 76, "{err}");
    assert!(
        !err.contains("message 1:"),
        "message 1 was delivered: {err}"
    );
}

/// Class 6: an absurd --timeout is refused with 78 (it panicked on Instant overflow).
#[test]
fn issue_9_class_6_huge_timeout_is_78_not_a_panic() {
    for t in ["18446744073709551615", "86401"] {
        let (code, err, _) = wary_send(
            &[
                "--server",
                "127.0.0.1:9",
                "--tls",
                "none",
                "--timeout",
                t,
                "b@x.test",
            ],
            MSG,
        );
        assert_eq!(code, 78, "{t}: {err}");
        assert!(err.contains("--timeout"), "{err}");
    }
}

/// Class 7: the exit code does not depend on the order of recipients (or messages).
#[test]
fn issue_9_class_7_exit_code_is_order_independent() {
    let cases: &[(&[&str], i32)] = &[
        (&["451 4.2.1 busy", "550 5.1.1 unknown"], 69),
        (&["451 4.2.1 busy", "550 5.1.1 unknown", "250 ok"], 69),
        (&["451 4.2.1 busy", "250 ok"], 75),
        (&["451 4.2.1 busy", "452 4.2.2 full"], 75),
    ];
    for (replies, want) in cases {
        let n = replies.len();
        // Every rotation of the recipients' replies.
        for rot in 0..n {
            let order: Vec<&str> = (0..n).map(|i| replies[(i + rot) % n]).collect();
            let rcpts: Vec<String> = (0..n).map(|i| format!("r{i}@x.test")).collect();
            let any = order.iter().any(|r| r.starts_with('2'));
            let mut s = script(OPEN);
            s.push("C: MAIL FROM:<a@x.test>".into());
            for r in &rcpts {
                s.push(format!("C: RCPT TO:<{r}>"));
            }
            s.push("C: DATA".into());
            s.push("S: 250 ok".into());
            for r in &order {
                s.push(format!("S: {r}"));
            }
            if any {
                s.extend(script(&[
                    "S: 354 go",
                    "C: *",
                    "C: *",
                    "C: *",
                    "C: *",
                    "C: *",
                    "C: .",
                    "C: QUIT",
                    "S: 250 ok",
                    "S: 221 bye",
                ]));
            } else {
                s.extend(script(&[
                    "S: 554 no valid recipients",
                    "C: RSET",
                    "S: 250 ok",
                    "C: QUIT",
                    "S: 221 bye",
                ]));
            }
            let (port, h) = serve(&s);
            let mut args = vec![
                "--server".to_owned(),
                server_arg(port),
                "--tls".into(),
                "none".into(),
            ];
            args.extend(rcpts.iter().cloned());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (exit, err, _) = wary_send(&args, MSG);
            h.join().unwrap();
            assert_eq!(exit, *want, "{order:?}: {err}");
            // 4xx is worded "deferred", never "refused" (class 9, -v wording).
            for line in err.lines().filter(|l| l.contains("451")) {
                assert!(!line.contains("refused (\"451"), "{line}");
            }
        }
    }
}

/// Class 9: QUIT is pipelined behind the last content: this server answers the final dot
/// only after QUIT arrived, so a client that waits for the 250 first times out.
#[test]
fn issue_9_class_9_quit_is_pipelined() {
    let mut s = script(OPEN);
    s.extend(script(&[
        "C: MAIL FROM:<a@x.test>",
        "C: RCPT TO:<b@x.test>",
        "C: DATA",
        "S: 250 ok",
        "S: 250 ok",
        "S: 354 go",
        "C: From: a@x.test",
        "C: To: b@x.test",
        "C: Subject: t",
        "C: ",
        "C: hi",
        "C: .",
        "C: QUIT",
        "S: 250 queued",
        "S: 221 bye",
    ]));
    let (port, h) = serve(&s);
    let start = Instant::now();
    let (exit, err, _) = wary_send(
        &[
            "--server",
            &server_arg(port),
            "--tls",
            "none",
            "--timeout",
            "3",
            "-v",
            "b@x.test",
        ],
        MSG,
    );
    h.join().unwrap();
    assert_eq!(exit, 0, "{err}");
    assert!(start.elapsed() < Duration::from_secs(3), "{err}");
    // -v: DATA named; one message: no per-connection round-trip note.
    assert!(err.contains("content sent with DATA"), "{err}");
    assert!(!err.contains("message(s) in"), "{err}");
}

/// Class 9: `--tls starttls` to port 465 says to use implicit TLS, at once.
#[test]
fn issue_9_class_9_starttls_to_465_hints_implicit() {
    let start = Instant::now();
    let (code, err, _) = wary_send(&["--server", "127.0.0.1:465", "b@x.test"], MSG);
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("--tls implicit"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// Class 9: `--tls implicit` against a plain-text server says what happened.
#[test]
fn issue_9_class_9_implicit_against_plain_text() {
    let (port, h) = serve(&["S: 220 mx ESMTP plain"]);
    let (code, err, _) = wary_send(
        &[
            "--server",
            &server_arg(port),
            "--tls",
            "implicit",
            "--timeout",
            "5",
            "b@x.test",
        ],
        MSG,
    );
    h.join().unwrap();
    assert_eq!(code, 76, "{err}");
    assert!(err.contains("plain SMTP"), "{err}");
}

/// `--json`: the schema of the README, with a 4xx recipient (deferred) and a delivered one.
#[test]
fn json_document_schema() {
    let mut s = script(OPEN);
    s.extend(script(&[
        "C: MAIL FROM:<a@x.test>",
        "C: RCPT TO:<b@x.test>",
        "C: RCPT TO:<c@x.test>",
        "C: DATA",
        "S: 250 2.1.0 ok",
        "S: 250 2.1.5 ok",
        "S: 451 4.2.1 \"busy\" now",
        "S: 354 go",
        "C: From: a@x.test",
        "C: To: b@x.test",
        "C: Subject: t",
        "C: ",
        "C: hi",
        "C: .",
        "C: QUIT",
        "S: 250 2.0.0 queued",
        "S: 221 bye",
    ]));
    let (port, h) = serve(&s);
    let (exit, err, out) = wary_send(
        &[
            "--server",
            &server_arg(port),
            "--tls",
            "none",
            "--json",
            "b@x.test",
            "c@x.test",
        ],
        MSG,
    );
    h.join().unwrap();
    assert_eq!(exit, 75, "{err}");
    let doc = json(&out);
    assert_eq!(doc["server"], server_arg(port));
    assert!(doc["tls"].is_null());
    assert!(doc["error"].is_null());
    let m = &doc["messages"][0];
    assert_eq!(m["index"], 1);
    assert_eq!(m["status"], "delivered");
    assert_eq!(m["transfer"], "DATA");
    assert_eq!(m["final_reply"]["code"], 250);
    assert_eq!(m["final_reply"]["enhanced"], "2.0.0");
    assert_eq!(m["recipients"][0]["address"], "b@x.test");
    assert_eq!(m["recipients"][0]["status"], "accepted");
    assert_eq!(m["recipients"][1]["status"], "deferred");
    assert_eq!(m["recipients"][1]["reply"]["code"], 451);
    assert_eq!(m["recipients"][1]["reply"]["text"], "\"busy\" now");
    // Human-readable lines stay on stderr.
    assert!(err.contains("c@x.test deferred"), "{err}");
}
