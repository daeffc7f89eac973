//! The smtp-client catalog against Python's smtplib, on loopback.
//!
//! Proves both directions of the probe: smtplib used as its documentation shows (no TLS
//! context, so no certificate verification) must be caught leaking on every certificate
//! scenario, and smtplib with a verifying context must come out with nothing leaked.
//! Needs `python3` (scripts/install-deps installs it).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Duration;
use wary_probe::smtp_client::{self, ClientProbe, Options, VerdictKind};
use wary_probe::smtp_client::{Channel, LeakKind};

fn client_script() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients/smtplib_client.py")
        .display()
        .to_string()
}

fn smtplib(verify: bool) -> ClientProbe {
    let mut command: Vec<String> = [
        "python3",
        &client_script(),
        "--tls",
        "{tls}",
        "--host",
        "{host}",
        "--port",
        "{port}",
        "--user",
        "{user}",
        "--password-file",
        "{password_file}",
        "--from",
        "{from}",
        "--to",
        "{to}",
        "--message",
        "{message}",
        "--timeout",
        "2",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    if verify {
        command.extend(["--cafile".to_owned(), "{ca}".to_owned()]);
    }
    let options = Options {
        command,
        time_limit: Duration::from_secs(8),
        only: Vec::new(),
    };
    smtp_client::run(&options, |_, _, _| {}).expect("the harness runs")
}

fn kind(probe: &ClientProbe, name: &str) -> VerdictKind {
    probe
        .results
        .iter()
        .find(|r| r.scenario.name == name)
        .unwrap_or_else(|| panic!("no result for {name}"))
        .verdict
        .kind
}

#[test]
fn smtplib_without_context_leaks_on_every_certificate_scenario() {
    let probe = smtplib(false);
    let table = probe.report().to_table(false);
    assert_eq!(kind(&probe, "control"), VerdictKind::Delivered, "{table}");
    assert_eq!(
        kind(&probe, "implicit-control"),
        VerdictKind::Delivered,
        "{table}"
    );
    for name in [
        "cert-unknown-ca",
        "cert-wrong-host",
        "cert-expired",
        "implicit-untrusted",
    ] {
        let result = probe
            .results
            .iter()
            .find(|r| r.scenario.name == name)
            .expect("scenario ran");
        assert_eq!(result.verdict.kind, VerdictKind::Leak, "{name}\n{table}");
        let leaked = |what| {
            result
                .verdict
                .leaks
                .iter()
                .any(|l| l.what == what && l.channel == Channel::Tls(result.scenario.cert()))
        };
        assert!(leaked(LeakKind::Password), "{name}: password\n{table}");
        assert!(leaked(LeakKind::Envelope), "{name}: envelope\n{table}");
        assert!(leaked(LeakKind::Message), "{name}: message\n{table}");
    }
    // Fixed since CVE-2016-0772: the STARTTLS downgrades themselves leak nothing.
    for name in [
        "starttls-stripped",
        "starttls-454",
        "starttls-502",
        "starttls-501",
        "starttls-250",
        "starttls-close",
        "starttls-plaintext",
    ] {
        assert_eq!(kind(&probe, name), VerdictKind::Safe, "{name}\n{table}");
    }
    assert_eq!(probe.exit_code(), 1, "{table}");
}

#[test]
fn smtplib_with_verifying_context_leaks_nothing() {
    let probe = smtplib(true);
    let table = probe.report().to_table(false);
    assert_eq!(kind(&probe, "control"), VerdictKind::Delivered, "{table}");
    assert_eq!(
        kind(&probe, "implicit-control"),
        VerdictKind::Delivered,
        "{table}"
    );
    assert_eq!(
        kind(&probe, "auth-before-starttls"),
        VerdictKind::Safe,
        "{table}"
    );
    for name in [
        "cert-unknown-ca",
        "cert-wrong-host",
        "cert-expired",
        "implicit-untrusted",
    ] {
        assert_eq!(kind(&probe, name), VerdictKind::Safe, "{name}\n{table}");
    }
    for result in &probe.results {
        assert!(
            !matches!(result.verdict.kind, VerdictKind::Leak | VerdictKind::Unsafe),
            "{}\n{table}",
            result.scenario.name
        );
    }
    assert_eq!(probe.exit_code(), 0, "{table}");
}
