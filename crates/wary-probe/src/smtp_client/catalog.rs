//! The fixed catalog of hostile-server scenarios for `wary probe smtp-client`.
//!
//! Each scenario is a scripted SMTP server that behaves honestly except at one point, where
//! it does what a man in the middle (or a broken server) would do. The catalog is the union
//! of issue 5 §1 (STARTTLS stripping, refusal, injection, bad certificates) and issue 4 §8
//! (malformed and endless replies, silence mid-transaction, no final reply), plus two
//! honest controls that prove the client can send at all. The list is fixed: a run never
//! starts more servers than there are entries here.

use crate::pki::CertKind;

/// How the client is expected to start TLS in a scenario (`{tls}` in the command).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsMode {
    /// Plain-text greeting, then STARTTLS (RFC 3207), usually port 587.
    Starttls,
    /// TLS from the first byte (RFC 8314), usually port 465.
    Implicit,
}

impl TlsMode {
    /// The value substituted for `{tls}`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Starttls => "starttls",
            TlsMode::Implicit => "implicit",
        }
    }
}

/// What the scenario tests, which decides how its outcome is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// An honest server: the client must deliver, or every other verdict means nothing.
    Control,
    /// A TLS downgrade or certificate attack: nothing may leave the client unprotected.
    Downgrade,
    /// Bytes injected after the 220 to STARTTLS: the client must not read them as replies.
    Injection,
    /// A broken or hostile reply inside a good TLS session: the client must fail, in bounded
    /// time, and must not report success.
    Robustness,
}

/// What the server advertises in reply to EHLO before TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlainEhlo {
    /// STARTTLS (and AUTH only once STARTTLS failed on this connection).
    Starttls,
    /// No STARTTLS at all (stripped by a man in the middle); AUTH offered.
    Stripped,
    /// STARTTLS and AUTH PLAIN LOGIN together, inviting AUTH before the upgrade.
    StarttlsAndAuth,
}

/// What the server does with the STARTTLS command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnStarttls {
    /// `220`, then a TLS handshake with the scenario's certificate.
    Upgrade,
    /// A reply other than 220 (the full reply line, CRLF included); the session goes on.
    Refuse(&'static str),
    /// Close the connection without a reply.
    CloseWithoutReply,
    /// Never answer; hold the connection open.
    Silence,
    /// `220` and, in the same write, a fake EHLO reply; then the TLS handshake.
    InjectAfter220,
    /// `220`, then answer the client's handshake with plain-text SMTP.
    PlainTextInsteadOfHandshake,
}

/// How the server behaves once TLS is up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterTls {
    /// Offers AUTH PLAIN LOGIN, accepts every command and the message.
    Honest,
    /// Answers EHLO with a multi-line reply whose lines carry different codes and garbage.
    MalformedEhlo,
    /// Answers EHLO with a reply line that never ends.
    EndlessEhlo,
    /// Goes silent after MAIL FROM.
    SilenceAfterMail,
    /// Reads the whole message, then closes without the final reply.
    CloseAfterData,
    /// Reads the whole message, then never answers.
    SilenceAfterData,
    /// Delays its EHLO reply to see whether the client already read one (the injected one).
    WatchForInjectedReply,
}

/// One scripted hostile server.
#[derive(Debug)]
pub struct Scenario {
    /// Stable name, used by `--only` and in reports.
    pub name: &'static str,
    /// One line: what the server does.
    pub attack: &'static str,
    /// One line: what a safe client does.
    pub safe_behaviour: &'static str,
    /// How the client must start TLS.
    pub mode: TlsMode,
    /// What the scenario tests.
    pub purpose: Purpose,
    pub(crate) plain_ehlo: PlainEhlo,
    pub(crate) on_starttls: OnStarttls,
    pub(crate) cert: CertKind,
    pub(crate) after_tls: AfterTls,
}

impl Scenario {
    /// The certificate the server presents in this scenario (if it gets to TLS at all).
    #[must_use]
    pub fn cert(&self) -> CertKind {
        self.cert
    }
}

/// Fake EHLO reply injected after the `220` to STARTTLS, in the same TCP segment.
pub(crate) const INJECTED: &[u8] =
    b"250-localhost injected by a man in the middle\r\n250 AUTH PLAIN LOGIN\r\n";

const fn starttls(
    name: &'static str,
    attack: &'static str,
    safe_behaviour: &'static str,
    purpose: Purpose,
    on_starttls: OnStarttls,
    cert: CertKind,
    after_tls: AfterTls,
) -> Scenario {
    Scenario {
        name,
        attack,
        safe_behaviour,
        mode: TlsMode::Starttls,
        purpose,
        plain_ehlo: PlainEhlo::Starttls,
        on_starttls,
        cert,
        after_tls,
    }
}

const ABORT: &str = "abort before MAIL, RCPT, AUTH or DATA";
const REFUSE_CERT: &str = "refuse the certificate and send nothing over that TLS session";
const FAIL_NOT_SUCCEED: &str = "fail (non-zero exit) within its own timeout, never report success";

/// Every scenario, in the order a run goes through them. Controls come first so that a
/// client that cannot send at all is spotted at once.
pub static CATALOG: &[Scenario] = &[
    starttls(
        "control",
        "honest server: STARTTLS with the trusted test CA, AUTH after TLS, accepts the message",
        "deliver the message inside TLS",
        Purpose::Control,
        OnStarttls::Upgrade,
        CertKind::Trusted,
        AfterTls::Honest,
    ),
    Scenario {
        name: "implicit-control",
        attack: "honest implicit-TLS server (RFC 8314) with the trusted test CA",
        safe_behaviour: "deliver the message inside TLS",
        mode: TlsMode::Implicit,
        purpose: Purpose::Control,
        plain_ehlo: PlainEhlo::Starttls,
        on_starttls: OnStarttls::Upgrade,
        cert: CertKind::Trusted,
        after_tls: AfterTls::Honest,
    },
    Scenario {
        name: "starttls-stripped",
        attack: "STARTTLS removed from the EHLO reply (AUTH still offered in plain text)",
        safe_behaviour: ABORT,
        mode: TlsMode::Starttls,
        purpose: Purpose::Downgrade,
        plain_ehlo: PlainEhlo::Stripped,
        on_starttls: OnStarttls::Refuse("502 5.5.1 STARTTLS not available\r\n"),
        cert: CertKind::Trusted,
        after_tls: AfterTls::Honest,
    },
    starttls(
        "starttls-454",
        "STARTTLS answered 454 (TLS not available due to temporary reason)",
        ABORT,
        Purpose::Downgrade,
        OnStarttls::Refuse("454 4.7.0 TLS not available due to temporary reason\r\n"),
        CertKind::Trusted,
        AfterTls::Honest,
    ),
    starttls(
        "starttls-502",
        "STARTTLS answered 502 (command not implemented)",
        ABORT,
        Purpose::Downgrade,
        OnStarttls::Refuse("502 5.5.1 Command not implemented\r\n"),
        CertKind::Trusted,
        AfterTls::Honest,
    ),
    starttls(
        "starttls-501",
        "STARTTLS answered 501 (syntax error)",
        ABORT,
        Purpose::Downgrade,
        OnStarttls::Refuse("501 5.5.4 Syntax error\r\n"),
        CertKind::Trusted,
        AfterTls::Honest,
    ),
    starttls(
        "starttls-250",
        "STARTTLS answered 250 (a 2xx that is not 220), then no handshake",
        ABORT,
        Purpose::Downgrade,
        OnStarttls::Refuse("250 2.0.0 OK\r\n"),
        CertKind::Trusted,
        AfterTls::Honest,
    ),
    starttls(
        "starttls-close",
        "no reply to STARTTLS: the connection is closed (later connections get the same)",
        ABORT,
        Purpose::Downgrade,
        OnStarttls::CloseWithoutReply,
        CertKind::Trusted,
        AfterTls::Honest,
    ),
    starttls(
        "starttls-silence",
        "no reply to STARTTLS: silence, the connection held open",
        "give up after its own timeout and send nothing",
        Purpose::Downgrade,
        OnStarttls::Silence,
        CertKind::Trusted,
        AfterTls::Honest,
    ),
    starttls(
        "starttls-injection",
        "a fake EHLO reply injected right after the 220, in the same packet, then honest TLS",
        "abort: bytes after the 220 and before the handshake are an attack",
        Purpose::Injection,
        OnStarttls::InjectAfter220,
        CertKind::Trusted,
        AfterTls::WatchForInjectedReply,
    ),
    starttls(
        "starttls-plaintext",
        "220 to STARTTLS, then plain-text SMTP where the TLS handshake belongs",
        ABORT,
        Purpose::Downgrade,
        OnStarttls::PlainTextInsteadOfHandshake,
        CertKind::Trusted,
        AfterTls::Honest,
    ),
    starttls(
        "cert-unknown-ca",
        "STARTTLS with a certificate from a CA the client was not told to trust",
        REFUSE_CERT,
        Purpose::Downgrade,
        OnStarttls::Upgrade,
        CertKind::UnknownCa,
        AfterTls::Honest,
    ),
    starttls(
        "cert-wrong-host",
        "STARTTLS with a certificate from the trusted CA, issued for another host name",
        REFUSE_CERT,
        Purpose::Downgrade,
        OnStarttls::Upgrade,
        CertKind::WrongHost,
        AfterTls::Honest,
    ),
    starttls(
        "cert-expired",
        "STARTTLS with a certificate from the trusted CA that expired in 2021",
        REFUSE_CERT,
        Purpose::Downgrade,
        OnStarttls::Upgrade,
        CertKind::Expired,
        AfterTls::Honest,
    ),
    Scenario {
        name: "implicit-untrusted",
        attack: "implicit TLS (RFC 8314) with a certificate from an unknown CA",
        safe_behaviour: REFUSE_CERT,
        mode: TlsMode::Implicit,
        purpose: Purpose::Downgrade,
        plain_ehlo: PlainEhlo::Starttls,
        on_starttls: OnStarttls::Upgrade,
        cert: CertKind::UnknownCa,
        after_tls: AfterTls::Honest,
    },
    Scenario {
        name: "auth-before-starttls",
        attack: "AUTH PLAIN LOGIN offered in plain text next to STARTTLS",
        safe_behaviour: "ignore it, STARTTLS first, authenticate and deliver inside TLS",
        mode: TlsMode::Starttls,
        purpose: Purpose::Downgrade,
        plain_ehlo: PlainEhlo::StarttlsAndAuth,
        on_starttls: OnStarttls::Upgrade,
        cert: CertKind::Trusted,
        after_tls: AfterTls::Honest,
    },
    starttls(
        "malformed-multiline",
        "inside TLS, EHLO answered with a multi-line reply mixing codes (250-, 354-, 250)",
        "treat the reply as a protocol error and stop",
        Purpose::Robustness,
        OnStarttls::Upgrade,
        CertKind::Trusted,
        AfterTls::MalformedEhlo,
    ),
    starttls(
        "endless-line",
        "inside TLS, EHLO answered with a reply line that never ends",
        "stop at a line-length limit",
        Purpose::Robustness,
        OnStarttls::Upgrade,
        CertKind::Trusted,
        AfterTls::EndlessEhlo,
    ),
    starttls(
        "silence-mid-transaction",
        "inside TLS, no reply to MAIL FROM: silence, the connection held open",
        FAIL_NOT_SUCCEED,
        Purpose::Robustness,
        OnStarttls::Upgrade,
        CertKind::Trusted,
        AfterTls::SilenceAfterMail,
    ),
    starttls(
        "data-no-reply-close",
        "inside TLS, the message is read and the connection closed without a final reply",
        FAIL_NOT_SUCCEED,
        Purpose::Robustness,
        OnStarttls::Upgrade,
        CertKind::Trusted,
        AfterTls::CloseAfterData,
    ),
    starttls(
        "data-no-reply-silence",
        "inside TLS, the message is read and never answered",
        FAIL_NOT_SUCCEED,
        Purpose::Robustness,
        OnStarttls::Upgrade,
        CertKind::Trusted,
        AfterTls::SilenceAfterData,
    ),
];

/// The scenario with this name, if any.
#[must_use]
pub fn scenario(name: &str) -> Option<&'static Scenario> {
    CATALOG.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_controls_come_first() {
        let mut names: Vec<_> = CATALOG.iter().map(|s| s.name).collect();
        assert_eq!(CATALOG[0].purpose, Purpose::Control);
        assert_eq!(CATALOG[1].purpose, Purpose::Control);
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOG.len());
        assert!(scenario("cert-expired").is_some());
        assert!(scenario("nope").is_none());
    }
}
