//! The catalog against a deliberately unsafe client (tests/clients/naive_client.py): it
//! verifies certificates but falls back to plain text when STARTTLS is missing or refused,
//! and reads bytes injected before the handshake as TLS replies. The probe must report the
//! plain-text leaks (with what leaked) and the injection, and still pass it where it is safe.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Duration;
use wary_probe::smtp_client::{self, Channel, LeakKind, Options, VerdictKind};

#[test]
fn probe_catches_plain_text_fallback_and_response_injection() {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients/naive_client.py");
    let command = [
        "python3",
        &script.display().to_string(),
        "{host}",
        "{port}",
        "{ca}",
        "{user}",
        "{password_file}",
        "{from}",
        "{to}",
        "{message}",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let only = [
        "control",
        "starttls-stripped",
        "starttls-454",
        "starttls-250",
        "starttls-injection",
        "cert-expired",
    ];
    let options = Options {
        command,
        time_limit: Duration::from_secs(8),
        only: only.iter().map(|s| (*s).to_owned()).collect(),
    };
    let probe = smtp_client::run(&options, |_, _, _| {}).unwrap();
    let table = probe.report().to_table(false);
    let result = |name: &str| {
        probe
            .results
            .iter()
            .find(|r| r.scenario.name == name)
            .unwrap()
    };

    assert_eq!(
        result("control").verdict.kind,
        VerdictKind::Delivered,
        "{table}"
    );
    assert_eq!(
        result("cert-expired").verdict.kind,
        VerdictKind::Safe,
        "{table}"
    );
    for name in ["starttls-stripped", "starttls-454", "starttls-250"] {
        let r = result(name);
        assert_eq!(r.verdict.kind, VerdictKind::Leak, "{name}\n{table}");
        for what in [LeakKind::Envelope, LeakKind::Password, LeakKind::Message] {
            assert!(
                r.verdict
                    .leaks
                    .iter()
                    .any(|l| l.what == what && l.channel == Channel::Plain),
                "{name}: {what} in plain text\n{table}"
            );
        }
    }
    let injection = result("starttls-injection");
    assert_eq!(injection.verdict.kind, VerdictKind::Unsafe, "{table}");
    assert!(injection.verdict.summary.contains("AUTH PLAIN"), "{table}");
    assert_eq!(probe.exit_code(), 1);
}
