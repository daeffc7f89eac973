//! The library's examples (examples/*.rs) run against loopback servers and must deliver:
//! `cargo test` builds them next to the test binaries (target/*/examples/), and each one
//! is run with the server's address (and the test CA) on its command line, and must exit
//! 0 after the server saw the whole message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::PathBuf;
use std::process::Command;
use support::*;

/// The example's binary, built by `cargo test` in target/<profile>/examples/.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/examples-<hash> -> target/<profile>/examples/<name>
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run the tests with cargo test, which builds the examples",
        path.display()
    );
    path
}

/// A server that delivers one message from `me@example.org` to `you@example.org`, over
/// STARTTLS with the test CA when `pki` is given, in plain text otherwise.
fn one_message_server(pki: Option<&Pki>) -> (u16, std::thread::JoinHandle<()>) {
    let tls = pki.map(|p| p.server.clone());
    serve(move |p| {
        p.say("220 localhost ESMTP\r\n");
        assert!(p.line().starts_with("EHLO"));
        if let Some(tls) = tls {
            p.say("250-localhost\r\n250 STARTTLS\r\n");
            assert_eq!(p.line(), "STARTTLS");
            p.say("220 go ahead\r\n");
            p.start_tls(tls);
            assert!(p.line().starts_with("EHLO"));
        }
        p.say("250 localhost\r\n");
        assert_eq!(p.line(), "MAIL FROM:<me@example.org>");
        p.say("250 ok\r\n");
        assert_eq!(p.line(), "RCPT TO:<you@example.org>");
        p.say("250 ok\r\n");
        assert_eq!(p.line(), "DATA");
        p.say("354 go\r\n");
        let mut body = Vec::new();
        loop {
            let line = p.line();
            if line == "." {
                break;
            }
            body.push(line);
        }
        assert!(body.contains(&"hello".to_owned()), "{body:?}");
        p.say("250 2.0.0 queued\r\n");
        assert_eq!(p.line(), "QUIT");
        p.say("221 bye\r\n");
    })
}

fn run(name: &str, args: &[String]) {
    let out = Command::new(example(name))
        .args(args)
        .env_remove("WARY_FROM")
        .env_remove("WARY_TO")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name}: {:?}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("delivered: 250"), "{name}: {stdout}");
}

#[test]
fn blocking_example_delivers() {
    let pki = pki("example-blocking");
    let (port, server) = one_message_server(Some(&pki));
    let ca = pki.ca_file.display().to_string();
    run("blocking", &[format!("localhost:{port}"), ca]);
    server.join().unwrap();
}

#[cfg(feature = "tokio")]
#[test]
fn tokio_example_delivers() {
    let pki = pki("example-tokio");
    let (port, server) = one_message_server(Some(&pki));
    let ca = pki.ca_file.display().to_string();
    run("tokio", &[format!("localhost:{port}"), ca]);
    server.join().unwrap();
}

#[test]
fn sans_io_example_delivers() {
    let (port, server) = one_message_server(None);
    run("sans_io", &[format!("127.0.0.1:{port}")]);
    server.join().unwrap();
}

/// The examples say when a message was not delivered: a refused recipient exits 1.
#[test]
fn examples_exit_1_when_not_delivered() {
    let (port, server) = serve(|p| {
        p.say("220 localhost\r\n");
        p.line();
        p.say("250 localhost\r\n");
        p.line();
        p.say("250 ok\r\n");
        p.line();
        p.say("550 5.1.1 no such user\r\n");
        assert_eq!(p.line(), "RSET");
        p.say("250 ok\r\n");
        assert_eq!(p.line(), "QUIT");
        p.say("221 bye\r\n");
    });
    let out = Command::new(example("sans_io"))
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    server.join().unwrap();
}
