//! A loopback SMTP server for the CLI tests that accepts everything.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;
use std::time::Duration;

/// A server that accepts one session and every command (no extensions offered), and
/// returns what the client sent.
pub fn accepting_server() -> (u16, JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
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
    });
    (port, h)
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
