//! `wary probe smtp-server HOST:PORT`: checks one mail server as a careful client would.
//!
//! Checks, each on its own connection: is STARTTLS offered; is AUTH offered before TLS;
//! does the server act on a command pipelined in plain text behind STARTTLS (the
//! CVE-2011-0411 class: `STARTTLS\r\nNOOP\r\n` in one write, then see whether the NOOP is
//! answered inside TLS); the certificate chain, host name and expiry as a verifying client
//! sees them; which TLS versions it accepts. It connects only to the address it is given.
//!
//! A port can speak plain SMTP with STARTTLS (25, 587) or TLS from the first byte (465,
//! RFC 8314 §3.3); [`TlsMode::Auto`] tries the usual one for the port first and the other when
//! it fails, so an implicit-TLS port is probed rather than called unreachable. Every finding
//! that is not a pass says what to change (`Finding::fix`).

mod fixes;
mod legacy;
mod wire;

use crate::report::{Finding, Report, Severity};
use rustls::RootCertStore;
use std::io::{Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wire::{ObservingVerifier, Smtp, Transport};

/// How TLS starts on the probed port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsMode {
    /// Implicit TLS first on port 465, STARTTLS first elsewhere; the other when that fails.
    #[default]
    Auto,
    /// Plain SMTP, then STARTTLS (RFC 3207).
    StartTls,
    /// TLS from the first byte (RFC 8314 §3.3).
    Implicit,
}

/// How the probe connects and what it trusts.
#[derive(Clone, Debug)]
pub struct Options {
    /// `HOST:PORT` to probe (the only address contacted).
    pub target: String,
    /// Name to verify the certificate against (default: HOST).
    pub server_name: Option<String>,
    /// Trust only this PEM file of CA certificates (default: the system's roots).
    pub ca_file: Option<PathBuf>,
    /// Timeout for connecting and for each reply.
    pub timeout: Duration,
    /// STARTTLS, implicit TLS, or detect.
    pub tls: TlsMode,
}

/// Why the probe could not run at all.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerProbeError {
    /// The caller's fault: a bad target or an unreadable CA file.
    Usage(String),
}

impl std::fmt::Display for ServerProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerProbeError::Usage(why) => write!(f, "usage: {why}"),
        }
    }
}

impl std::error::Error for ServerProbeError {}

/// The checks' results.
#[derive(Clone, Debug)]
pub struct ServerProbe {
    /// What was probed.
    pub target: String,
    /// One finding per check.
    pub findings: Vec<Finding>,
}

impl ServerProbe {
    /// 1 when a check failed, 2 when the server could not be reached, 0 otherwise.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        let any = |s: Severity| self.findings.iter().any(|f| f.severity == s);
        if any(Severity::Fail) {
            1
        } else if any(Severity::Error) {
            2
        } else {
            0
        }
    }

    /// The shared report.
    #[must_use]
    pub fn report(&self) -> Report {
        let verdict = match self.exit_code() {
            1 => "the server has a flaw a client cannot work around",
            2 => "the server could not be checked",
            _ => "no flaw found",
        };
        Report::new("smtp-server", &self.target, verdict, self.findings.clone())
    }
}

/// Runs every check against `options.target`. `progress` gets (index, total, name).
pub fn run(
    options: &Options,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<ServerProbe, ServerProbeError> {
    let addrs: Vec<SocketAddr> = options
        .target
        .to_socket_addrs()
        .map_err(|e| {
            ServerProbeError::Usage(format!("{:?} is not HOST:PORT: {e}", options.target))
        })?
        .collect();
    let host = options
        .target
        .rsplit_once(':')
        .map_or(options.target.as_str(), |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    let name = options
        .server_name
        .clone()
        .unwrap_or_else(|| host.to_owned());
    let roots = Arc::new(roots(options.ca_file.as_deref())?);
    let t = options.timeout;
    let total = 5;

    let mut findings = Vec::new();
    progress(0, total, "greeting and EHLO");
    let port = addrs.first().map_or(0, SocketAddr::port);
    let order = match options.tls {
        TlsMode::StartTls => vec![Transport::StartTls],
        TlsMode::Implicit => vec![Transport::Implicit],
        _ if port == 465 => vec![Transport::Implicit, Transport::StartTls],
        _ => vec![Transport::StartTls, Transport::Implicit],
    };
    let mut tried = Vec::new();
    let mut opened = None;
    for transport in order {
        match open(&addrs, &name, &roots, t, transport) {
            Ok(o) => {
                opened = Some(o);
                break;
            }
            Err(e) => tried.push(e),
        }
    }
    let Some(opened) = opened else {
        let mut f = finding(
            "connect",
            "connect, read the greeting, EHLO (plain SMTP and implicit TLS)",
            "a 220 greeting and a 250 reply to EHLO",
            Severity::Error,
            "unreachable",
            &format!(
                "could not talk SMTP to {}: {}",
                options.target,
                tried.join("; ")
            ),
            vec![],
        );
        let other = match options.tls {
            TlsMode::StartTls => {
                "; if the port speaks TLS from the first byte (465), use --tls implicit"
            }
            TlsMode::Implicit => {
                "; if the port speaks plain SMTP first (25, 587), use --tls starttls"
            }
            _ => "",
        };
        f.fix = Some(format!(
            "check HOST:PORT, that the server listens there and that no firewall drops the \
             connection; give a longer --timeout for a slow greeting{other}"
        ));
        findings.push(f);
        return Ok(ServerProbe {
            target: options.target.clone(),
            findings,
        });
    };
    if opened.transport == Transport::Implicit {
        findings.extend(implicit_findings(&opened));
        progress(1, total, "certificate");
        findings.push(certificate(&addrs, &name, &roots, t, Transport::Implicit));
        progress(2, total, "TLS versions");
        findings.push(versions(&addrs, &name, &roots, t, Transport::Implicit));
        return Ok(ServerProbe {
            target: options.target.clone(),
            findings,
        });
    }
    let ehlo = (opened.greeting, opened.ehlo);
    let (greeting, ehlo) = ehlo;
    let caps: Vec<String> = ehlo.lines.clone();
    let starttls = ehlo.has_keyword("STARTTLS").is_some();
    let mut offered = finding(
        "starttls-offered",
        "is STARTTLS (RFC 3207) in the EHLO reply?",
        "offered",
        if starttls {
            Severity::Pass
        } else {
            Severity::Fail
        },
        if starttls { "offered" } else { "MISSING" },
        &if starttls {
            "STARTTLS is offered".to_owned()
        } else {
            "no STARTTLS: mail to and from this server travels in plain text".to_owned()
        },
        std::iter::once(format!("greeting: {greeting}"))
            .chain(caps.iter().map(|c| format!("EHLO: {c}")))
            .collect(),
    );
    if !starttls {
        offered.fix = Some(fixes::NO_STARTTLS.to_owned());
    }
    findings.push(offered);
    let auth = ehlo.has_keyword("AUTH").map(str::to_owned);
    let (sev, label, why) = match &auth {
        None => (
            Severity::Pass,
            "not offered",
            "no AUTH before TLS".to_owned(),
        ),
        Some(line)
            if ["PLAIN", "LOGIN"]
                .iter()
                .any(|m| line.to_ascii_uppercase().contains(m)) =>
        {
            (
                Severity::Fail,
                "OFFERED",
                format!(
                    "offers `{line}` in plain text: a client may send its password in the clear"
                ),
            )
        }
        Some(line) => (
            Severity::Warn,
            "offered",
            format!("offers `{line}` before TLS (no clear-text mechanism, but still before TLS)"),
        ),
    };
    let mut auth_finding = finding(
        "auth-before-tls",
        "is AUTH offered in plain text, before STARTTLS?",
        "AUTH only after TLS",
        sev,
        label,
        &why,
        vec![],
    );
    if sev != Severity::Pass {
        auth_finding.fix = Some(fixes::AUTH_BEFORE_TLS.to_owned());
    }
    findings.push(auth_finding);

    if !starttls {
        for (n, what) in [
            ("pipelining-injection", "commands pipelined behind STARTTLS"),
            ("certificate", "certificate"),
            ("tls-versions", "TLS versions"),
        ] {
            findings.push(finding(
                n,
                what,
                "-",
                Severity::Skip,
                "skipped",
                "no STARTTLS to test",
                vec![],
            ));
        }
        return Ok(ServerProbe {
            target: options.target.clone(),
            findings,
        });
    }

    progress(1, total, "pipelining injection (CVE-2011-0411)");
    findings.push(pipelining(&addrs, &name, &roots, t));
    progress(2, total, "certificate");
    findings.push(certificate(&addrs, &name, &roots, t, Transport::StartTls));
    progress(3, total, "TLS versions");
    findings.push(versions(&addrs, &name, &roots, t, Transport::StartTls));
    Ok(ServerProbe {
        target: options.target.clone(),
        findings,
    })
}

/// CVE-2011-0411 class: a server that buffers plain-text input across the STARTTLS
/// boundary answers, inside TLS, a command the man in the middle injected before it.
fn pipelining(
    addrs: &[SocketAddr],
    name: &str,
    roots: &Arc<RootCertStore>,
    t: Duration,
) -> Finding {
    let attack =
        "STARTTLS and NOOP sent in one plain-text write; does the NOOP get answered inside TLS?";
    let expected = "discard (or refuse) what was pipelined behind STARTTLS";
    let make = |sev, label, why: String, details| {
        let mut f = finding(
            "pipelining-injection",
            attack,
            expected,
            sev,
            label,
            &why,
            details,
        );
        f.fix = match sev {
            Severity::Fail => Some(fixes::PIPELINING_INJECTION.to_owned()),
            Severity::Warn => Some(fixes::PIPELINING_ANSWERED.to_owned()),
            Severity::Error => Some(fixes::STARTTLS_ERROR.to_owned()),
            _ => None,
        };
        f
    };
    let step = || -> Result<Finding, String> {
        let (mut smtp, _) = Smtp::open(addrs, t)?;
        let ehlo = smtp.command("EHLO wary-probe.invalid")?;
        if ehlo.code != 250 {
            return Err(format!("EHLO refused: {ehlo}"));
        }
        smtp.send(b"STARTTLS\r\nNOOP\r\n")?;
        let reply = smtp.reply()?;
        if reply.code != 220 {
            return Ok(make(
                Severity::Pass,
                "refused",
                format!("refused STARTTLS with a command behind it: {reply}"),
                vec![],
            ));
        }
        // A reply to NOOP in plain text, right behind the 220, is odd but not the flaw.
        smtp.tcp
            .set_read_timeout(Some(Duration::from_millis(500)))
            .ok();
        let mut early = [0u8; 512];
        if smtp.buf.is_empty() {
            if let Ok(n) = smtp.tcp.read(&mut early) {
                smtp.buf.extend_from_slice(&early[..n]);
            }
        }
        if !smtp.buf.is_empty() {
            let text = String::from_utf8_lossy(&smtp.buf).trim().to_owned();
            return Ok(make(
                Severity::Warn,
                "answered in plain",
                format!("answered the pipelined command in plain text before TLS: {text:?}"),
                vec![],
            ));
        }
        smtp.tcp.set_read_timeout(Some(t)).ok();
        let verifier = ObservingVerifier::new(Arc::clone(roots));
        let mut tls = match wire::handshake(smtp, name, rustls::ALL_VERSIONS, verifier) {
            Ok(tls) => tls,
            Err(e) => {
                return Ok(make(
                    Severity::Pass,
                    "refused",
                    format!("no TLS session after the pipelined command ({e})"),
                    vec![],
                ))
            }
        };
        // Say nothing and listen: any reply now answers the injected NOOP.
        tls.stream
            .sock
            .set_read_timeout(Some(Duration::from_secs(2)))
            .ok();
        let mut buf = Vec::new();
        let unsolicited = wire::read_reply(&mut tls.stream, &mut buf, Duration::from_secs(2));
        tls.stream.sock.set_read_timeout(Some(t)).ok();
        match unsolicited {
            Ok(reply) => Ok(make(
                Severity::Fail,
                "VULNERABLE",
                format!(
                    "answered the NOOP injected before the handshake inside TLS ({reply}): \
                     a man in the middle can inject commands (CVE-2011-0411 class)"
                ),
                vec![format!("TLS: {} {}", tls.version, tls.cipher)],
            )),
            Err(_) => {
                let _ = tls.stream.write_all(b"EHLO wary-probe.invalid\r\n");
                let ehlo = wire::read_reply(&mut tls.stream, &mut buf, t);
                let _ = tls.stream.write_all(b"QUIT\r\n");
                Ok(make(
                    Severity::Pass,
                    "safe",
                    "discarded the command pipelined behind STARTTLS".to_owned(),
                    vec![match ehlo {
                        Ok(r) => format!("EHLO inside TLS answered: {r}"),
                        Err(e) => format!("EHLO inside TLS: {e}"),
                    }],
                ))
            }
        }
    };
    step().unwrap_or_else(|e| make(Severity::Error, "error", e, vec![]))
}

fn certificate(
    addrs: &[SocketAddr],
    name: &str,
    roots: &Arc<RootCertStore>,
    t: Duration,
    transport: Transport,
) -> Finding {
    let attack = "the certificate chain, host name and expiry, as a verifying client sees them";
    let expected = "a chain to a trusted root, valid now, for the host name";
    let make = |sev: Severity, label, why: String, details| {
        let mut f = finding("certificate", attack, expected, sev, label, &why, details);
        f.fix = match sev {
            Severity::Pass | Severity::Skip => None,
            Severity::Error => Some(fixes::tls_error(transport)),
            _ => Some(fixes::certificate(&why, name)),
        };
        f
    };
    let verifier = ObservingVerifier::new(Arc::clone(roots));
    let session = Smtp::to_tls(addrs, t, transport)
        .and_then(|smtp| wire::handshake(smtp, name, rustls::ALL_VERSIONS, Arc::clone(&verifier)));
    let seen = verifier.observation();
    let mut details = describe_chain(&seen.chain);
    if let Ok(mut tls) = session {
        details.push(format!("TLS: {} {}", tls.version, tls.cipher));
        let _ = tls.stream.write_all(b"QUIT\r\n");
    }
    match seen.verdict {
        Some(Ok(())) => {
            let days = seen.chain.first().and_then(|c| days_left(c));
            match days {
                Some(d) if d < 14 => make(
                    Severity::Warn,
                    "expires soon",
                    format!("verifies for {name:?}, but expires in {d} day(s)"),
                    details,
                ),
                _ => make(
                    Severity::Pass,
                    "valid",
                    format!("verifies for {name:?}"),
                    details,
                ),
            }
        }
        Some(Err(e)) => make(
            Severity::Fail,
            "INVALID",
            format!("a verifying client refuses it for {name:?}: {e}"),
            details,
        ),
        None => make(
            Severity::Error,
            "error",
            "no certificate seen: STARTTLS or the handshake failed".to_owned(),
            details,
        ),
    }
}

/// The findings that replace the STARTTLS checks on an implicit-TLS port.
fn implicit_findings(opened: &Opened) -> Vec<Finding> {
    let mut details = vec![format!("greeting inside TLS: {}", opened.greeting)];
    details.extend(opened.ehlo.lines.iter().map(|c| format!("EHLO: {c}")));
    let mut out = vec![finding(
        "implicit-tls",
        "does the port speak TLS from the first byte, with SMTP inside (RFC 8314 §3.3)?",
        "a TLS handshake, then a 220 greeting and a 250 reply to EHLO inside TLS",
        Severity::Pass,
        "implicit TLS",
        "TLS from the first byte: nothing, not even the greeting, travels in plain text",
        details,
    )];
    for (n, what, why) in [
        (
            "auth-before-tls",
            "is AUTH offered in plain text, before TLS?",
            "implicit TLS: nothing is said before TLS, AUTH included",
        ),
        (
            "pipelining-injection",
            "commands pipelined behind STARTTLS",
            "implicit TLS: no STARTTLS, so no plain text to inject into",
        ),
    ] {
        out.push(finding(
            n,
            what,
            "-",
            if n == "auth-before-tls" {
                Severity::Pass
            } else {
                Severity::Skip
            },
            if n == "auth-before-tls" {
                "not offered"
            } else {
                "not applicable"
            },
            why,
            vec![],
        ));
    }
    out
}

/// A first session that worked: its transport and the greeting and EHLO replies.
struct Opened {
    transport: Transport,
    greeting: wire::Reply,
    ehlo: wire::Reply,
}

/// Connects as `transport` says and reads the greeting and the EHLO reply.
fn open(
    addrs: &[SocketAddr],
    name: &str,
    roots: &Arc<RootCertStore>,
    t: Duration,
    transport: Transport,
) -> Result<Opened, String> {
    match transport {
        Transport::StartTls => {
            let (mut s, greeting) = Smtp::open(addrs, t).map_err(|e| format!("plain SMTP: {e}"))?;
            let ehlo = s
                .command("EHLO wary-probe.invalid")
                .map_err(|e| format!("plain SMTP: {e}"))?;
            let _ = s.command("QUIT");
            Ok(Opened {
                transport,
                greeting,
                ehlo,
            })
        }
        Transport::Implicit => {
            let verifier = ObservingVerifier::new(Arc::clone(roots));
            let (_, greeting, ehlo) = wire::open_implicit(addrs, name, verifier, t)
                .map_err(|e| format!("implicit TLS: {e}"))?;
            Ok(Opened {
                transport,
                greeting,
                ehlo,
            })
        }
    }
}

fn versions(
    addrs: &[SocketAddr],
    name: &str,
    roots: &Arc<RootCertStore>,
    t: Duration,
    transport: Transport,
) -> Finding {
    let mut accepted = Vec::new();
    let mut details = Vec::new();
    for (label, version) in [
        ("TLS 1.3", &rustls::version::TLS13),
        ("TLS 1.2", &rustls::version::TLS12),
    ] {
        let verifier = ObservingVerifier::new(Arc::clone(roots));
        match Smtp::to_tls(addrs, t, transport)
            .and_then(|s| wire::handshake(s, name, &[version], verifier))
        {
            Ok(mut tls) => {
                accepted.push(label);
                details.push(format!("{label}: accepted ({})", tls.cipher));
                let _ = tls.stream.write_all(b"QUIT\r\n");
            }
            Err(e) => details.push(format!("{label}: refused ({e})")),
        }
    }
    let mut legacy_accepted = Vec::new();
    for (label, code) in [("TLS 1.1", 0x0302u16), ("TLS 1.0", 0x0301u16)] {
        match Smtp::to_tls(addrs, t, transport) {
            Ok(smtp) => match legacy::try_version(smtp.tcp, code, name) {
                legacy::Legacy::Accepted => {
                    legacy_accepted.push(label);
                    details.push(format!("{label}: ACCEPTED (deprecated by RFC 8996)"));
                }
                legacy::Legacy::Refused(why) => details.push(format!("{label}: refused ({why})")),
            },
            Err(e) => details.push(format!("{label}: not tested ({e})")),
        }
    }
    let all: Vec<&str> = accepted.iter().chain(&legacy_accepted).copied().collect();
    let (sev, label, why) = if accepted.is_empty() {
        (
            Severity::Fail,
            "NO MODERN TLS",
            format!("accepts neither TLS 1.3 nor 1.2 (accepts: {})", list(&all)),
        )
    } else if !legacy_accepted.is_empty() {
        (
            Severity::Warn,
            "legacy TLS",
            format!("accepts {}", list(&all)),
        )
    } else {
        (
            Severity::Pass,
            "modern only",
            format!("accepts {}", list(&all)),
        )
    };
    let mut f = finding(
        "tls-versions",
        "which TLS versions the server accepts (1.3, 1.2 with rustls; 1.1, 1.0 with a hand-built hello)",
        "TLS 1.2 and/or 1.3 only",
        sev,
        label,
        &why,
        details,
    );
    f.fix = match sev {
        Severity::Fail => Some(fixes::NO_MODERN_TLS.to_owned()),
        Severity::Warn => Some(fixes::LEGACY_TLS.to_owned()),
        _ => None,
    };
    f
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "nothing".to_owned()
    } else {
        items.join(", ")
    }
}

fn describe_chain(chain: &[rustls::pki_types::CertificateDer<'static>]) -> Vec<String> {
    chain
        .iter()
        .enumerate()
        .map(|(i, der)| match x509_parser::parse_x509_certificate(der) {
            Ok((_, cert)) => {
                let sans = cert
                    .subject_alternative_name()
                    .ok()
                    .flatten()
                    .map(|ext| {
                        ext.value
                            .general_names
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                format!(
                    "chain[{i}]: subject {}; issuer {}; valid {} to {}{}",
                    cert.subject(),
                    cert.issuer(),
                    cert.validity().not_before,
                    cert.validity().not_after,
                    if sans.is_empty() {
                        String::new()
                    } else {
                        format!("; names {sans}")
                    }
                )
            }
            Err(e) => format!("chain[{i}]: unparsable certificate: {e}"),
        })
        .collect()
}

fn days_left(der: &rustls::pki_types::CertificateDer<'_>) -> Option<i64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let left = cert.validity().time_to_expiration()?;
    Some(left.whole_days())
}

fn roots(ca_file: Option<&std::path::Path>) -> Result<RootCertStore, ServerProbeError> {
    let mut store = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                ServerProbeError::Usage(format!("cannot read CA file {}: {e}", path.display()))
            })?;
            use rustls::pki_types::pem::PemObject as _;
            let certs = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    ServerProbeError::Usage(format!(
                        "{}: not PEM certificates: {e}",
                        path.display()
                    ))
                })?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(ServerProbeError::Usage(format!(
                    "{}: no usable CA certificate",
                    path.display()
                )));
            }
        }
        None => {
            // Certificates the system store holds but rustls cannot parse are skipped.
            let native = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(native.certs);
        }
    }
    Ok(store)
}

fn finding(
    name: &str,
    attack: &str,
    expected: &str,
    severity: Severity,
    verdict: &str,
    summary: &str,
    details: Vec<String>,
) -> Finding {
    Finding {
        name: name.to_owned(),
        attack: attack.to_owned(),
        expected: expected.to_owned(),
        verdict: verdict.to_owned(),
        severity,
        summary: summary.to_owned(),
        fix: None,
        details,
        transcript: Vec::new(),
        client_exit: None,
        elapsed_ms: None,
        data: serde_json::Value::Null,
    }
}
