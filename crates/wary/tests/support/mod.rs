//! What the CLI tests share: loopback SMTP servers (one that accepts everything, one that
//! plays a script), and running the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

/// Listens on a free loopback port and runs `session` on a thread for the one connection
/// it accepts, with a line reader and a writer over it (reads time out after 10 s, so a
/// client that stops talking cannot hang the test). Returns the port and the thread.
pub fn serve_one<T: Send + 'static>(
    session: impl FnOnce(BufReader<TcpStream>, TcpStream) -> T + Send + 'static,
) -> (u16, JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let w = s.try_clone().unwrap();
        session(BufReader::new(s), w)
    });
    (port, h)
}

/// `--server`'s value for a loopback port.
pub fn server_arg(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// A server that accepts one session and every command (no extensions offered), and
/// returns what the client sent.
pub fn accepting_server() -> (u16, JoinHandle<String>) {
    serve_one(|mut r, mut w| {
        let mut got = String::new();
        w.write_all(b"220 mx ESMTP\r\n").unwrap();
        let mut in_data = false;
        // Bounded: at most 10 000 lines.
        for _ in 0..10_000 {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            got.push_str(&line);
            let reply: &[u8] = if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    b"250 queued\r\n"
                } else {
                    continue;
                }
            } else {
                match line.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
                    "EHLO" => b"250 mx\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go\r\n"
                    }
                    "QUIT" => {
                        w.write_all(b"221 bye\r\n").unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                }
            };
            w.write_all(reply).unwrap();
        }
        got
    })
}

/// A server that plays `script`: `S:` lines are sent (`S+` ones without CRLF, so a reply and
/// the next bytes can share one write), `C:` lines must arrive (`*` at the end matches a
/// prefix). What is said before the next `C:` goes in one write (one TCP segment on
/// loopback). Returns everything the client sent.
pub fn serve<S: AsRef<str>>(script: &[S]) -> (u16, JoinHandle<String>) {
    let script: Vec<String> = script.iter().map(|s| s.as_ref().to_owned()).collect();
    serve_one(move |mut r, mut w| {
        let mut got = String::new();
        let mut out = Vec::new();
        for step in &script {
            if let Some(say) = step.strip_prefix("S: ") {
                out.extend_from_slice(say.as_bytes());
                out.extend_from_slice(b"\r\n");
            } else if let Some(say) = step.strip_prefix("S+ ") {
                out.extend_from_slice(say.as_bytes());
            } else if let Some(want) = step.strip_prefix("C: ") {
                if !out.is_empty() {
                    w.write_all(&out).unwrap();
                    out.clear();
                }
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                got.push_str(&line);
                let line = line.trim_end_matches("\r\n");
                match want.strip_suffix('*') {
                    Some(prefix) => assert!(line.starts_with(prefix), "{line:?} !~ {want:?}"),
                    None => assert_eq!(line, want, "so far: {got}"),
                }
            }
        }
        if !out.is_empty() {
            let _ = w.write_all(&out);
        }
        // Whatever else comes until the client closes.
        let mut rest = String::new();
        let _ = r.read_to_string(&mut rest);
        got + &rest
    })
}

/// Runs `command` with `stdin` written to it; returns (exit code, or -1 for a signal;
/// stderr; stdout).
pub fn run(mut command: Command, stdin: &[u8]) -> (i32, String, String) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A flag error exits before reading stdin: a broken pipe here is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Runs `wary send ARGS` with `stdin`; returns (exit code, stderr, stdout).
pub fn wary_send(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wary"));
    command.arg("send").args(args);
    run(command, stdin)
}

/// The content of the first DATA in a session's transcript, dot-stuffing undone.
pub fn data_content(transcript: &str) -> Vec<u8> {
    let start = transcript.find("DATA\r\n").unwrap() + "DATA\r\n".len();
    let end = start + transcript[start..].find("\r\n.\r\n").unwrap() + 2;
    let mut out = Vec::new();
    for line in transcript[start..end].split_inclusive("\r\n") {
        out.extend_from_slice(line.strip_prefix('.').unwrap_or(line).as_bytes());
    }
    out
}
