//! The scripted-server table: each row is a server's script (the line it expects from the
//! client, and what it answers), the message sent, and what the client must conclude: the
//! report's status, or the error, and whether QUIT then succeeds. The same rows run against
//! both drivers over a real loopback socket, in plain text (the TLS cases are in
//! `loopback.rs` and `issue9.rs`).

use crate::support::*;
use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;
use wary_smtp::proto::{
    Domain, Envelope, Mailbox, Message, ReversePath, Status, Timeouts, TlsMode,
};
use wary_smtp::ClientConfig;

/// What the client must conclude from `send`.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// A report with this status.
    Status(Status),
    /// `connect` fails, its message containing this.
    ConnectError(&'static str),
    /// `send` fails, its message containing this.
    SendError(&'static str),
}

struct Row {
    name: &'static str,
    pipelining: bool,
    rcpts: &'static [&'static str],
    /// (the start of the client's next line, the server's answer). An empty start reads no
    /// line (the greeting); `CLOSE` as the answer closes the connection; `SILENCE` says
    /// nothing and waits for the client to give up.
    script: &'static [(&'static str, &'static str)],
    want: Want,
    /// True when QUIT must end without error. After a failure of the session's own (a
    /// close, a timeout, a bad reply) that `send` already reported in its report, QUIT only
    /// closes the connection and succeeds; a failure of the driver's own (a TLS record) is
    /// returned by QUIT.
    quit_ok: bool,
    /// The lines the client sends after the script (the server answers RSET with 250 and
    /// QUIT with 221).
    after: &'static [&'static str],
}

const CLOSE: &str = "<close>";
const SILENCE: &str = "<silence>";

const OPEN: [(&str, &str); 2] = [("", "220 mx ESMTP\r\n"), ("EHLO client.test", "250 mx\r\n")];
const OPEN_PIPELINING: [(&str, &str); 2] = [
    ("", "220 mx ESMTP\r\n"),
    ("EHLO client.test", "250-mx\r\n250 PIPELINING\r\n"),
];

macro_rules! script {
    ($open:expr; $($step:expr),* $(,)?) => {
        &[$open[0], $open[1], $($step),*]
    };
}

const ROWS: &[Row] = &[
    Row {
        name: "delivered with DATA",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL FROM:<a@client.test>", "250 ok\r\n"),
            ("RCPT TO:<b@x.test>", "250 ok\r\n"), ("DATA", "354 go\r\n"), ("x", ""),
            (".", "250 2.0.0 queued\r\n")],
        want: Want::Status(Status::Delivered),
        quit_ok: true,
        after: &["QUIT"],
    },
    Row {
        name: "MAIL refused: no transaction, no RSET",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "530 5.7.0 authentication required\r\n")],
        want: Want::Status(Status::Refused),
        quit_ok: true,
        after: &["QUIT"],
    },
    Row {
        name: "MAIL refused 4xx: deferred",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "451 4.3.0 later\r\n")],
        want: Want::Status(Status::Deferred),
        quit_ok: true,
        after: &["QUIT"],
    },
    Row {
        name: "every RCPT refused: no DATA, RSET",
        pipelining: false,
        rcpts: &["b@x.test", "c@x.test"],
        script: script![OPEN; ("MAIL", "250 ok\r\n"), ("RCPT TO:<b@x.test>", "550 5.1.1 no\r\n"),
            ("RCPT TO:<c@x.test>", "550 5.1.1 no\r\n")],
        want: Want::Status(Status::Refused),
        quit_ok: true,
        after: &["RSET", "QUIT"],
    },
    Row {
        name: "one of two recipients refused: delivered to the other",
        pipelining: false,
        rcpts: &["b@x.test", "c@x.test"],
        script: script![OPEN; ("MAIL", "250 ok\r\n"), ("RCPT TO:<b@x.test>", "550 5.1.1 no\r\n"),
            ("RCPT TO:<c@x.test>", "250 ok\r\n"), ("DATA", "354 go\r\n"), ("x", ""),
            (".", "250 queued\r\n")],
        want: Want::Status(Status::Delivered),
        quit_ok: true,
        after: &["QUIT"],
    },
    Row {
        name: "final reply 554: refused",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "250 ok\r\n"), ("RCPT", "250 ok\r\n"), ("DATA", "354 go\r\n"),
            ("x", ""), (".", "554 5.6.0 spam\r\n")],
        want: Want::Status(Status::Refused),
        quit_ok: true,
        after: &["QUIT"],
    },
    Row {
        name: "final reply 451: deferred",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "250 ok\r\n"), ("RCPT", "250 ok\r\n"), ("DATA", "354 go\r\n"),
            ("x", ""), (".", "451 4.3.0 try later\r\n")],
        want: Want::Status(Status::Deferred),
        quit_ok: true,
        after: &["QUIT"],
    },
    Row {
        name: "close after the content: unconfirmed",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "250 ok\r\n"), ("RCPT", "250 ok\r\n"), ("DATA", "354 go\r\n"),
            ("x", ""), (".", CLOSE)],
        want: Want::Status(Status::Unconfirmed),
        quit_ok: true,
        after: &[],
    },
    Row {
        name: "silence after the content: unconfirmed",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "250 ok\r\n"), ("RCPT", "250 ok\r\n"), ("DATA", "354 go\r\n"),
            ("x", ""), (".", SILENCE)],
        want: Want::Status(Status::Unconfirmed),
        quit_ok: true,
        after: &[],
    },
    Row {
        name: "silence after RCPT: deferred, content never sent",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "250 ok\r\n"), ("RCPT", SILENCE)],
        want: Want::Status(Status::Deferred),
        quit_ok: true,
        after: &[],
    },
    Row {
        name: "421 to MAIL: deferred, the session is over, no QUIT",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "421 4.3.2 shutting down\r\n")],
        want: Want::Status(Status::Deferred),
        quit_ok: true,
        after: &[],
    },
    Row {
        name: "issue 9 class 1: pipelined MAIL refused 553, lone dot: refused",
        pipelining: true,
        rcpts: &["b@x.test"],
        script: script![OPEN_PIPELINING; ("MAIL", ""), ("RCPT", ""),
            ("DATA", "553 5.7.1 no\r\n250 ok\r\n354 go\r\n"), (".", "250 ok\r\n")],
        want: Want::Status(Status::Refused),
        quit_ok: true,
        after: &["QUIT"],
    },
    Row {
        name: "issue 9 class 1: pipelined MAIL refused 451, lone dot: deferred",
        pipelining: true,
        rcpts: &["b@x.test"],
        script: script![OPEN_PIPELINING; ("MAIL", ""), ("RCPT", ""),
            ("DATA", "451 4.3.0 later\r\n250 ok\r\n354 go\r\n"), (".", "250 ok\r\n")],
        want: Want::Status(Status::Deferred),
        quit_ok: true,
        after: &["QUIT"],
    },
    Row {
        name: "pipelined, every RCPT refused: DATA refused too, RSET",
        pipelining: true,
        rcpts: &["b@x.test"],
        script: script![OPEN_PIPELINING; ("MAIL", ""), ("RCPT", ""),
            ("DATA", "250 ok\r\n550 5.1.1 no\r\n554 5.5.1 no valid recipients\r\n")],
        want: Want::Status(Status::Refused),
        quit_ok: true,
        after: &["RSET", "QUIT"],
    },
    Row {
        name: "issue 9 class 2: the 250 and garbage in one write: delivered",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "250 ok\r\n"), ("RCPT", "250 ok\r\n"), ("DATA", "354 go\r\n"),
            ("x", ""), (".", "250 queued\r\nGARBAGE\r\n")],
        want: Want::Status(Status::Delivered),
        quit_ok: true,
        after: &[],
    },
    Row {
        name: "a message over the server's SIZE: refused before anything is sent",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: &[("", "220 mx\r\n"), ("EHLO", "250-mx\r\n250 SIZE 2\r\n")],
        want: Want::SendError("SIZE"),
        quit_ok: true,
        after: &["QUIT"],
    },
    Row {
        name: "greeting 554: refused at connect",
        pipelining: false,
        rcpts: &[],
        script: &[("", "554 5.3.2 go away\r\n")],
        want: Want::ConnectError("554"),
        quit_ok: true,
        after: &[],
    },
    Row {
        name: "EHLO answered with garbage",
        pipelining: false,
        rcpts: &[],
        script: &[("", "220 mx\r\n"), ("EHLO", "hello there\r\n")],
        want: Want::ConnectError("EHLO"),
        quit_ok: true,
        after: &[],
    },
    Row {
        name: "an unsolicited reply in the EHLO reply's read: ready first, then the error",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: &[("", "220 mx\r\n"), ("EHLO", "250 mx\r\n250 again\r\n")],
        want: Want::SendError("no reply was due"),
        quit_ok: true,
        after: &[],
    },
    Row {
        name: "a 3xx to the end of data is not a final reply",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "250 ok\r\n"), ("RCPT", "250 ok\r\n"), ("DATA", "354 go\r\n"),
            ("x", ""), (".", "354 again\r\n")],
        want: Want::Status(Status::Unconfirmed),
        quit_ok: true,
        after: &[],
    },
    Row {
        name: "close after MAIL: deferred",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", CLOSE)],
        want: Want::Status(Status::Deferred),
        quit_ok: true,
        after: &[],
    },
];

/// Serves `row`'s script on a loopback port; returns the lines the client sent after it.
fn serve_row(row: &'static Row) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut p = Peer::new(s);
        for (expect, answer) in row.script {
            if !expect.is_empty() {
                let line = p.line();
                assert!(
                    line.starts_with(expect),
                    "{}: expected {expect:?}, client sent {line:?}",
                    row.name
                );
            }
            match *answer {
                CLOSE => return Vec::new(),
                SILENCE => {
                    // Wait for the client to give up (bounded by Peer's read timeout).
                    p.rest();
                    return Vec::new();
                }
                answer => p.say(answer),
            }
        }
        let mut after = Vec::new();
        while let Some(line) = next_line(&mut p) {
            match line.as_str() {
                "QUIT" => p.say("221 bye\r\n"),
                "RSET" => p.say("250 reset\r\n"),
                _ => {}
            }
            after.push(line);
        }
        after
    });
    (port, handle)
}

/// The next line, or `None` when the client closed.
fn next_line(p: &mut Peer) -> Option<String> {
    loop {
        if let Some(i) = p.buf.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = p.buf.drain(..i + 2).collect();
            return Some(String::from_utf8_lossy(&line[..i]).into_owned());
        }
        if !p.fill() {
            return None;
        }
    }
}

fn run_row(drv: Drv, row: &'static Row) {
    let (port, server) = serve_row(row);
    let cfg = ClientConfig::builder("127.0.0.1", port)
        .tls(TlsMode::DangerPlainText)
        .helo(Domain::parse("client.test").unwrap())
        .pipelining(row.pipelining)
        .chunking(false)
        .timeouts(Timeouts::uniform(Duration::from_millis(500)))
        .build();
    let name = row.name;
    let client = AnyClient::connect(drv, &cfg);
    let mut client = match (client, row.want) {
        (Err(e), Want::ConnectError(part)) => {
            assert!(e.to_string().contains(part), "{name}: {e}");
            server.join().unwrap();
            return;
        }
        (Err(e), _) => panic!("{name}: connect failed: {e}"),
        (Ok(_), Want::ConnectError(_)) => panic!("{name}: connect succeeded"),
        (Ok(c), _) => c,
    };
    let envelope = Envelope::new(
        ReversePath::Mailbox(Mailbox::parse("a@client.test").unwrap()),
        row.rcpts
            .iter()
            .map(|r| Mailbox::parse(r).unwrap())
            .collect(),
    );
    let sent = client.send(&envelope, &Message::new(b"x\n").unwrap());
    match (&sent, row.want) {
        (Ok(report), Want::Status(status)) => {
            assert_eq!(report.status(), status, "{name}: {report:?}")
        }
        (Err(e), Want::SendError(part)) => assert!(e.to_string().contains(part), "{name}: {e}"),
        _ => panic!("{name}: got {sent:?}, want {:?}", row.want),
    }
    let quit = client.quit();
    assert_eq!(quit.is_ok(), row.quit_ok, "{name}: quit gave {quit:?}");
    let after = server.join().unwrap();
    assert_eq!(
        after, row.after,
        "{name}: what the client sent after the script"
    );
}

/// Every row of the table against one driver.
pub fn scripted_table(drv: Drv) {
    for row in ROWS {
        run_row(drv, row);
    }
}

/// The table is not trivially passing: a row whose expectation is wrong fails.
pub fn scripted_table_checks_its_expectations(drv: Drv) {
    static WRONG: Row = Row {
        name: "a delivered message expected as refused",
        pipelining: false,
        rcpts: &["b@x.test"],
        script: script![OPEN; ("MAIL", "250 ok\r\n"), ("RCPT", "250 ok\r\n"), ("DATA", "354 go\r\n"),
            ("x", ""), (".", "250 queued\r\n")],
        want: Want::Status(Status::Refused),
        quit_ok: true,
        after: &["QUIT"],
    };
    let caught = std::panic::catch_unwind(|| run_row(drv, &WRONG));
    assert!(caught.is_err());
    // Keep the writer side quiet for the next test.
    let _ = std::io::stderr().flush();
}
