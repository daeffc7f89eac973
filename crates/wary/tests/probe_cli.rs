//! `wary probe smtp-client` / `smtp-server` as a user runs them: exit codes (0 safe,
//! 1 leak, 2 usage or harness error or failed control), JSON on stdout, the HTML file.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn wary(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wary"))
        .args(args)
        .output()
        .expect("wary runs")
}

fn naive_client() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../wary-probe/tests/clients/naive_client.py")
        .display()
        .to_string()
}

#[test]
fn unknown_scenario_and_missing_command_are_usage_errors() {
    let out = wary(&["probe", "smtp-client", "--only", "nope", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no scenario named \"nope\""));
    let out = wary(&["probe", "smtp-client"]);
    assert_eq!(out.status.code(), Some(2));
    let out = wary(&["probe", "smtp-client", "--", "/nonexistent/wary-client"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot start"));
}

#[test]
fn a_client_that_cannot_send_makes_the_control_fail_with_exit_2() {
    let out = wary(&["probe", "smtp-client", "--only", "control", "--", "false"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("broken"));
}

#[test]
fn a_leak_exits_1_with_json_and_html_reports() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let script = naive_client();
    let out = wary(&[
        "probe",
        "smtp-client",
        "--json",
        "--html",
        html.to_str().unwrap(),
        "--only",
        "control,starttls-stripped",
        "--",
        "python3",
        &script,
        "{host}",
        "{port}",
        "{ca}",
        "{user}",
        "{password_file}",
        "{from}",
        "{to}",
        "{message}",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["probe"], "smtp-client");
    assert_eq!(json["findings"][0]["verdict"], "ok");
    assert_eq!(json["findings"][1]["verdict"], "LEAK");
    assert_eq!(
        json["findings"][1]["data"]["leaks"][0]["channel"]["kind"],
        "plain"
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("starttls-stripped"));
}

#[test]
fn smtp_server_probe_of_a_closed_port_exits_2() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The listener is dropped: nothing listens on that port any more.
    let out = wary(&[
        "probe",
        "smtp-server",
        &format!("127.0.0.1:{port}"),
        "--timeout",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("unreachable"));
}
