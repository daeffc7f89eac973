//! The smtp-server probe against two small loopback servers that differ in exactly the
//! flaws it looks for: one keeps plain-text input across STARTTLS (the CVE-2011-0411 bug)
//! and offers AUTH PLAIN before TLS, the other discards it and offers AUTH only inside TLS.
//! And against an implicit-TLS server (TLS from the first byte, as on port 465; issue 9,
//! class 10), found by the flag and by detection.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use rustls::{ServerConnection, StreamOwned};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;
use wary_probe::pki::{CertKind, TestPki};
use wary_probe::report::Severity;
use wary_probe::smtp_server::{self, Options, TlsMode};

fn line(buf: &mut Vec<u8>, read: &mut impl Read) -> Option<String> {
    loop {
        if let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = buf.drain(..=pos).collect();
            return Some(String::from_utf8_lossy(&raw).trim_end().to_owned());
        }
        let mut chunk = [0u8; 4096];
        match read.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn serve(mut tcp: TcpStream, pki: &TestPki, vulnerable: bool, cert: CertKind) {
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = Vec::new();
    tcp.write_all(b"220 localhost test ESMTP\r\n").unwrap();
    loop {
        let Some(cmd) = line(&mut buf, &mut tcp) else {
            return;
        };
        match cmd.to_ascii_uppercase().as_str() {
            c if c.starts_with("EHLO") => {
                let auth = if vulnerable {
                    "250-AUTH PLAIN LOGIN\r\n"
                } else {
                    ""
                };
                let reply = format!("250-localhost\r\n250-STARTTLS\r\n{auth}250 8BITMIME\r\n");
                tcp.write_all(reply.as_bytes()).unwrap();
            }
            "STARTTLS" => {
                tcp.write_all(b"220 2.0.0 go ahead\r\n").unwrap();
                if !vulnerable {
                    buf.clear(); // the fix for CVE-2011-0411: forget pre-TLS input
                }
                let mut conn = ServerConnection::new(pki.server_config(cert)).unwrap();
                while conn.is_handshaking() {
                    if conn.complete_io(&mut tcp).is_err() {
                        return;
                    }
                }
                let mut tls = StreamOwned::new(conn, tcp);
                loop {
                    let Some(cmd) = line(&mut buf, &mut tls) else {
                        return;
                    };
                    let reply: &[u8] = match cmd.to_ascii_uppercase().as_str() {
                        c if c.starts_with("EHLO") => b"250-localhost\r\n250 AUTH PLAIN\r\n",
                        "NOOP" => b"250 2.0.0 OK\r\n",
                        "QUIT" => {
                            let _ = tls.write_all(b"221 bye\r\n");
                            return;
                        }
                        _ => b"502 5.5.2 no\r\n",
                    };
                    if tls.write_all(reply).is_err() {
                        return;
                    }
                }
            }
            "NOOP" => tcp.write_all(b"250 OK\r\n").unwrap(),
            "QUIT" => {
                let _ = tcp.write_all(b"221 bye\r\n");
                return;
            }
            _ => tcp.write_all(b"502 5.5.2 no\r\n").unwrap(),
        }
    }
}

fn probe(vulnerable: bool) -> smtp_server::ServerProbe {
    probe_with(vulnerable, CertKind::Trusted)
}

fn probe_with(vulnerable: bool, cert: CertKind) -> smtp_server::ServerProbe {
    let pki = Arc::new(TestPki::generate().unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server_pki = Arc::clone(&pki);
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let pki = Arc::clone(&server_pki);
            thread::spawn(move || serve(tcp, &pki, vulnerable, cert));
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pki.ca_pem()).unwrap();
    let options = Options {
        target: format!("127.0.0.1:{port}"),
        server_name: Some("localhost".into()),
        ca_file: Some(ca),
        timeout: Duration::from_secs(5),
        tls: TlsMode::Auto,
    };
    smtp_server::run(&options, |_, _, _| {}).unwrap()
}

/// An implicit-TLS server: the handshake first, then SMTP inside TLS.
fn serve_implicit(mut tcp: TcpStream, pki: &TestPki, cert: CertKind) {
    tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut conn = ServerConnection::new(pki.server_config(cert)).unwrap();
    while conn.is_handshaking() {
        if conn.complete_io(&mut tcp).is_err() {
            return;
        }
    }
    let mut tls = StreamOwned::new(conn, tcp);
    let mut buf = Vec::new();
    if tls.write_all(b"220 localhost implicit ESMTP\r\n").is_err() {
        return;
    }
    // Bounded: at most a few commands per connection.
    for _ in 0..20 {
        let Some(cmd) = line(&mut buf, &mut tls) else {
            return;
        };
        let reply: &[u8] = match cmd.to_ascii_uppercase().as_str() {
            c if c.starts_with("EHLO") => b"250-localhost\r\n250 AUTH PLAIN\r\n",
            "QUIT" => {
                let _ = tls.write_all(b"221 bye\r\n");
                return;
            }
            _ => b"502 5.5.2 no\r\n",
        };
        if tls.write_all(reply).is_err() {
            return;
        }
    }
}

fn probe_implicit(cert: CertKind, tls: TlsMode, timeout: u64) -> smtp_server::ServerProbe {
    let pki = Arc::new(TestPki::generate().unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server_pki = Arc::clone(&pki);
    thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let pki = Arc::clone(&server_pki);
            thread::spawn(move || serve_implicit(tcp, &pki, cert));
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pki.ca_pem()).unwrap();
    let options = Options {
        target: format!("127.0.0.1:{port}"),
        server_name: Some("localhost".into()),
        ca_file: Some(ca),
        timeout: Duration::from_secs(timeout),
        tls,
    };
    smtp_server::run(&options, |_, _, _| {}).unwrap()
}

fn severity(probe: &smtp_server::ServerProbe, name: &str) -> Severity {
    probe
        .findings
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no finding {name}"))
        .severity
}

#[test]
fn finds_pipelining_injection_and_plain_auth_on_a_vulnerable_server() {
    let probe = probe(true);
    let table = probe.report().to_table(false);
    assert_eq!(
        severity(&probe, "starttls-offered"),
        Severity::Pass,
        "{table}"
    );
    assert_eq!(
        severity(&probe, "pipelining-injection"),
        Severity::Fail,
        "{table}"
    );
    assert_eq!(
        severity(&probe, "auth-before-tls"),
        Severity::Fail,
        "{table}"
    );
    assert_eq!(severity(&probe, "certificate"), Severity::Pass, "{table}");
    assert_eq!(probe.exit_code(), 1, "{table}");
}

#[test]
fn passes_a_server_that_discards_pre_tls_input() {
    let probe = probe(false);
    let table = probe.report().to_table(false);
    for f in &probe.findings {
        assert_eq!(f.severity, Severity::Pass, "{}\n{table}", f.name);
    }
    let versions = probe
        .findings
        .iter()
        .find(|f| f.name == "tls-versions")
        .unwrap();
    assert!(versions.summary.contains("TLS 1.3, TLS 1.2"), "{table}");
    assert!(
        versions
            .details
            .iter()
            .any(|d| d.starts_with("TLS 1.0: refused")),
        "{table}"
    );
    assert_eq!(probe.exit_code(), 0, "{table}");
}

#[test]
fn reports_each_bad_certificate_as_a_verifying_client_sees_it() {
    for (cert, why) in [
        (CertKind::Expired, "expired"),
        (CertKind::WrongHost, "not valid for name"),
        (CertKind::UnknownCa, "UnknownIssuer"),
    ] {
        let probe = probe_with(false, cert);
        let table = probe.report().to_table(false);
        let finding = probe
            .findings
            .iter()
            .find(|f| f.name == "certificate")
            .unwrap();
        assert_eq!(finding.severity, Severity::Fail, "{cert:?}\n{table}");
        assert!(
            finding.summary.contains(why),
            "{cert:?}: {}",
            finding.summary
        );
        assert!(
            finding
                .details
                .iter()
                .any(|d| d.starts_with("chain[0]: subject")),
            "{table}"
        );
        assert_eq!(probe.exit_code(), 1);
    }
}

#[test]
fn issue_9_probes_an_implicit_tls_port_by_flag_and_by_detection() {
    // --tls implicit, and auto on a port that is not 465 (plain SMTP is tried first, gets no
    // greeting within the timeout, then implicit TLS is tried).
    for (mode, timeout) in [(TlsMode::Implicit, 5), (TlsMode::Auto, 1)] {
        let probe = probe_implicit(CertKind::Trusted, mode, timeout);
        let table = probe.report().to_table(false);
        assert!(!table.contains("unreachable"), "{mode:?}\n{table}");
        assert_eq!(severity(&probe, "implicit-tls"), Severity::Pass, "{table}");
        assert_eq!(severity(&probe, "certificate"), Severity::Pass, "{table}");
        assert_eq!(severity(&probe, "tls-versions"), Severity::Pass, "{table}");
        assert_eq!(probe.exit_code(), 0, "{table}");
        let versions = probe
            .findings
            .iter()
            .find(|f| f.name == "tls-versions")
            .unwrap();
        assert!(versions.summary.contains("TLS 1.3, TLS 1.2"), "{table}");
    }
    // A bad certificate on an implicit port is found and says what to change.
    let probe = probe_implicit(CertKind::Expired, TlsMode::Implicit, 5);
    let table = probe.report().to_table(false);
    assert_eq!(severity(&probe, "certificate"), Severity::Fail, "{table}");
    assert!(
        table.contains("fix: install a certificate that is valid today"),
        "{table}"
    );
    assert_eq!(probe.exit_code(), 1);
    // --tls starttls on an implicit port: unreachable, with a fix that names the flag.
    let probe = probe_implicit(CertKind::Trusted, TlsMode::StartTls, 1);
    let f = &probe.findings[0];
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.fix.as_deref().unwrap_or("").contains("--tls implicit"),
        "{f:?}"
    );
}

#[test]
fn issue_9_every_failing_finding_says_what_to_change() {
    for probe in [
        probe(true),
        probe_with(false, CertKind::WrongHost),
        probe_with(false, CertKind::UnknownCa),
    ] {
        let report = probe.report();
        let table = report.to_table(false);
        assert!(report.counts.fail > 0, "{table}");
        assert!(
            report.unfixed().is_empty(),
            "{:?}\n{table}",
            report.unfixed()
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let html = report.to_html();
        for (i, f) in report.findings.iter().enumerate() {
            if f.severity == Severity::Fail {
                let fix = f.fix.as_deref().unwrap();
                assert!(table.contains(&format!("fix: {fix}")), "{table}");
                assert_eq!(json["findings"][i]["fix"], fix);
                assert!(html.contains(&wary_probe::report::esc(fix)));
            }
        }
    }
}
