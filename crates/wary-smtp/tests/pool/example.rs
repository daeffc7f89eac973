//! examples/pool.rs runs against the loopback server of these tests and delivers every
//! message exactly once, with one report line each.

use super::server::{self, Plan};
use std::collections::HashMap;
use std::process::Command;

#[test]
fn pool_example_delivers_every_message_once() {
    let rt = super::runtime();
    let server = rt.block_on(server::start(Plan {
        messages: HashMap::new(),
        conns: Vec::new(),
        pipelining: true,
        chunking: true,
    }));
    // The example's binary, built by `cargo test` in target/<profile>/examples/.
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("pool");
    assert!(
        bin.exists(),
        "{} is missing: run the tests with cargo test",
        bin.display()
    );
    let mut cmd = Command::new(&bin);
    cmd.arg(format!("127.0.0.1:{}", server.port))
        .arg("--danger-plain-text")
        .env("WARY_COUNT", "7")
        .env_remove("WARY_FROM")
        .env_remove("WARY_TO");
    // The server runs on this runtime: wait for the example on a blocking thread meanwhile.
    let out = rt
        .block_on(async { tokio::task::spawn_blocking(move || cmd.output()).await })
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}\n{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert!(
        lines.iter().all(|l| l.contains(" delivered: 250")),
        "{stdout}"
    );
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.accepted.len(), 7, "{:?}", seen.accepted);
    assert!(
        seen.accepted.values().all(|&n| n == 1),
        "{:?}",
        seen.accepted
    );
    assert!(server.max_open.load(std::sync::atomic::Ordering::SeqCst) <= 2);
}
