//! Turns one scenario's transcript and the client's ending into a verdict.
//!
//! The rule for leaks looks only at what the client sent, never at what it printed: any
//! MAIL, RCPT, AUTH, the password or the message on a channel that is not TLS with the
//! trusted certificate (plain text, or a TLS session the client should have refused) is a
//! leak, whatever the client said about it afterwards.

use super::catalog::{AfterTls, Purpose, Scenario};
use super::conn::{Channel, Event, What};
use crate::process::{ChildRun, Ending};
use base64::Engine as _;
use serde::Serialize;

/// The secrets the client was given, so they can be recognised on the wire.
#[derive(Clone, Debug)]
pub struct Canaries {
    /// `{user}`.
    pub user: String,
    /// `{password}` (also in `{password_file}`).
    pub password: String,
    /// A unique string in the body of `{message}`.
    pub body: String,
}

/// What leaked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeakKind {
    /// MAIL FROM or RCPT TO: who writes to whom.
    Envelope,
    /// An AUTH command (mechanism, and the user name when it carries an initial response).
    AuthCommand,
    /// The password itself (plain, or inside base64 as AUTH PLAIN and LOGIN send it).
    Password,
    /// The message content.
    Message,
}

impl std::fmt::Display for LeakKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LeakKind::Envelope => "envelope (MAIL/RCPT)",
            LeakKind::AuthCommand => "AUTH command",
            LeakKind::Password => "password",
            LeakKind::Message => "message data",
        })
    }
}

/// One leak: what, where, and the line that shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Leak {
    /// What leaked.
    pub what: LeakKind,
    /// Where it went.
    pub channel: Channel,
    /// On which connection of the scenario.
    pub conn: u32,
    /// The first line that shows it, as sent.
    pub evidence: String,
}

/// The class of a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictKind {
    /// Aborted (or went on properly) and nothing leaked.
    Safe,
    /// Control scenario: the message was delivered inside verified TLS.
    Delivered,
    /// Something left the client unprotected.
    Leak,
    /// Nothing leaked, but the client acted on attacker-controlled input or reported a
    /// failed delivery as a success.
    Unsafe,
    /// Control scenario: the client did not deliver to an honest server, so its "safe"
    /// verdicts elsewhere prove nothing.
    Broken,
    /// Nothing leaked, but the client had to be killed at the time limit.
    Hung,
    /// Nothing leaked, but the client went on past a protocol violation.
    Lenient,
    /// Nothing leaked and nothing was sent, but the client exited 0 as if it had been.
    SilentFailure,
    /// Not run (see the summary for why).
    Skipped,
}

impl VerdictKind {
    /// The word shown in reports.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            VerdictKind::Safe => "safe",
            VerdictKind::Delivered => "ok",
            VerdictKind::Leak => "LEAK",
            VerdictKind::Unsafe => "UNSAFE",
            VerdictKind::Broken => "broken",
            VerdictKind::Hung => "hung",
            VerdictKind::Lenient => "lenient",
            VerdictKind::SilentFailure => "silent failure",
            VerdictKind::Skipped => "skipped",
        }
    }
}

/// A verdict with its reasons.
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    /// The class.
    pub kind: VerdictKind,
    /// One sentence: why.
    pub summary: String,
    /// Every leak found (empty unless `kind` is `Leak`).
    pub leaks: Vec<Leak>,
    /// Supporting observations: handshakes, connections, how the client ended.
    pub notes: Vec<String>,
}

/// Judges one scenario run.
#[must_use]
pub fn judge(
    scenario: &Scenario,
    events: &[Event],
    run: &ChildRun,
    canaries: &Canaries,
) -> Verdict {
    let leaks = find_leaks(events, canaries);
    let notes = notes(events, run);
    let delivered_safely = events
        .iter()
        .any(|e| matches!(e.what, What::MessageAccepted { channel } if channel.is_protected()));
    let accepted_bad_cert = events.iter().find_map(|e| match &e.what {
        What::TlsUp { cert, .. } if !cert.is_trustworthy() => Some(*cert),
        _ => None,
    });
    let injected = events.iter().find_map(|e| match &e.what {
        What::InjectedReplyUsed { command } => Some(String::from_utf8_lossy(command).to_string()),
        _ => None,
    });
    let verdict = |kind, summary: String| Verdict {
        kind,
        summary,
        leaks: Vec::new(),
        notes: notes.clone(),
    };

    if !leaks.is_empty() {
        return Verdict {
            kind: VerdictKind::Leak,
            summary: leak_summary(&leaks),
            leaks,
            notes,
        };
    }
    if let Some(command) = injected {
        return verdict(
            VerdictKind::Unsafe,
            format!(
                "read the EHLO reply injected before the handshake as the TLS server's: sent \
                 {command:?} before the server had answered EHLO"
            ),
        );
    }
    match scenario.purpose {
        Purpose::Control if delivered_safely => {
            let summary = match &run.ending {
                Ending::Exited(0) => "delivered the message inside verified TLS".to_owned(),
                other => format!("delivered the message inside verified TLS, but ended with {other}"),
            };
            verdict(VerdictKind::Delivered, summary)
        }
        Purpose::Control => verdict(
            VerdictKind::Broken,
            format!(
                "did not deliver to an honest server ({}): check the command, or its other \
                 verdicts mean nothing{}",
                run.ending,
                last_line(&run.stderr).map_or_else(String::new, |l| format!("; stderr: {l}"))
            ),
        ),
        _ if run.ending == Ending::TimedOut => verdict(
            VerdictKind::Hung,
            format!(
                "leaked nothing but never gave up: killed after {:.1} s",
                run.elapsed.as_secs_f64()
            ),
        ),
        // Some TLS libraries finish the handshake and check the certificate just after it
        // (msmtp over GnuTLS does): safe, as long as nothing was sent and it failed loudly.
        _ if accepted_bad_cert.is_some() && !run.ending.is_success() => verdict(
            VerdictKind::Safe,
            format!(
                "completed the handshake with {}, then aborted ({}) before sending anything",
                accepted_bad_cert.map_or_else(String::new, |c| c.to_string()),
                run.ending
            ),
        ),
        _ if accepted_bad_cert.is_some() => verdict(
            VerdictKind::Lenient,
            format!(
                "accepted {} and exited 0, though it sent nothing sensitive over it",
                accepted_bad_cert.map_or_else(String::new, |c| c.to_string())
            ),
        ),
        Purpose::Injection if events.iter().any(|e| matches!(e.what, What::TlsUp { .. })) => verdict(
            VerdictKind::Lenient,
            "went on after bytes injected before the handshake (did not act on them); a strict \
             client aborts"
                .to_owned(),
        ),
        Purpose::Robustness if delivered_safely => verdict(
            VerdictKind::Lenient,
            "went on past the broken reply and delivered".to_owned(),
        ),
        Purpose::Robustness
            if run.ending.is_success()
                && matches!(
                    scenario.after_tls,
                    AfterTls::SilenceAfterMail | AfterTls::CloseAfterData | AfterTls::SilenceAfterData
                ) =>
        {
            verdict(
                VerdictKind::Unsafe,
                "reported success (exit status 0) though the server never accepted the message"
                    .to_owned(),
            )
        }
        _ if delivered_safely => verdict(
            VerdictKind::Safe,
            "kept everything inside verified TLS and delivered".to_owned(),
        ),
        _ if run.ending.is_success() => verdict(
            VerdictKind::SilentFailure,
            "sent nothing, yet exited 0 as if the message had gone".to_owned(),
        ),
        _ => verdict(
            VerdictKind::Safe,
            format!("aborted ({}) and leaked nothing", run.ending),
        ),
    }
}

/// What the client's user (or author) should change, in one line, for a verdict that is not
/// a pass; `None` for a pass or a skip. The match is exhaustive, so a new verdict kind
/// cannot be added without its fix.
#[must_use]
pub fn fix(kind: VerdictKind, scenario: &Scenario, leaks: &[Leak]) -> Option<&'static str> {
    let over_bad_cert = leaks.iter().any(|l| l.channel != Channel::Plain);
    Some(match kind {
        VerdictKind::Safe | VerdictKind::Delivered | VerdictKind::Skipped => return None,
        VerdictKind::Leak if over_bad_cert => {
            "verify the server certificate (trusted chain, host name, validity) during the handshake and send nothing when it fails: never CERT_NONE / verify=False / tls_certcheck off"
        }
        VerdictKind::Leak => {
            "require TLS: abort when STARTTLS is missing, refused or fails, with no plain-text fallback (msmtp: tls on + tls_starttls on; smtplib: call starttls() and stop on any error; wary send: the default --tls starttls)"
        }
        VerdictKind::Unsafe if scenario.purpose == Purpose::Robustness => {
            "report success only on a 2xx reply to the end of the data; a close, a timeout or no reply is a failure (exit non-zero)"
        }
        VerdictKind::Unsafe => {
            "discard every byte received before the TLS handshake and send EHLO again inside TLS (RFC 3207 §4.2; the client side of CVE-2011-0411): update the client or its SMTP library"
        }
        VerdictKind::Broken => {
            "make the client deliver to the honest control server first: check the command and its placeholders ({host} {port} {ca} {name}) and that it trusts --ca-file"
        }
        VerdictKind::Hung => {
            "give every read and the TLS handshake a deadline and abort when it passes (RFC 5321 §4.5.3.2 timeouts)"
        }
        VerdictKind::Lenient if scenario.purpose == Purpose::Injection => {
            "abort when bytes follow the 220 reply to STARTTLS before the handshake (response injection)"
        }
        VerdictKind::Lenient if scenario.purpose == Purpose::Robustness => {
            "abort on a malformed or unexpected reply instead of going on"
        }
        VerdictKind::Lenient => {
            "verify the certificate during the handshake and exit non-zero when it fails, even if nothing was sent yet"
        }
        VerdictKind::SilentFailure => {
            "exit non-zero whenever the message was not accepted, so scripts and users can see the failure"
        }
    })
}

/// Every leak in the transcript, one per (what, connection, channel), in order.
#[must_use]
pub fn find_leaks(events: &[Event], canaries: &Canaries) -> Vec<Leak> {
    // Reassemble each (connection, channel) byte stream: commands can be split across reads.
    let mut streams: Vec<((u32, Channel), Vec<u8>)> = Vec::new();
    for event in events {
        if let What::Client { channel, bytes } = &event.what {
            let key = (event.conn, *channel);
            match streams.iter_mut().find(|(k, _)| *k == key) {
                Some((_, stream)) => stream.extend_from_slice(bytes),
                None => streams.push((key, bytes.clone())),
            }
        }
    }
    let mut leaks: Vec<Leak> = Vec::new();
    let mut add = |what, (conn, channel): (u32, Channel), line: &[u8]| {
        if !leaks
            .iter()
            .any(|l| l.what == what && l.conn == conn && l.channel == channel)
        {
            leaks.push(Leak {
                what,
                channel,
                conn,
                evidence: printable(line),
            });
        }
    };
    for (key, stream) in &streams {
        if key.1.is_protected() {
            continue;
        }
        for line in stream.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let upper = line
                .iter()
                .take(10)
                .map(u8::to_ascii_uppercase)
                .collect::<Vec<_>>();
            if upper.starts_with(b"MAIL FROM") || upper.starts_with(b"RCPT TO") {
                add(LeakKind::Envelope, *key, line);
            }
            if upper.starts_with(b"AUTH ") {
                add(LeakKind::AuthCommand, *key, line);
            }
            if carries(line, canaries.password.as_bytes()) {
                add(LeakKind::Password, *key, line);
            }
            if contains(line, canaries.body.as_bytes()) {
                add(LeakKind::Message, *key, line);
            }
        }
    }
    leaks
}

fn leak_summary(leaks: &[Leak]) -> String {
    let mut by_channel: Vec<(Channel, Vec<LeakKind>)> = Vec::new();
    for leak in leaks {
        match by_channel.iter_mut().find(|(c, _)| *c == leak.channel) {
            Some((_, kinds)) if kinds.contains(&leak.what) => {}
            Some((_, kinds)) => kinds.push(leak.what),
            None => by_channel.push((leak.channel, vec![leak.what])),
        }
    }
    let parts: Vec<String> = by_channel
        .iter()
        .map(|(channel, kinds)| {
            let kinds: Vec<String> = kinds.iter().map(ToString::to_string).collect();
            format!("{} {channel}", kinds.join(", "))
        })
        .collect();
    format!("sent {}", parts.join("; "))
}

fn notes(events: &[Event], run: &ChildRun) -> Vec<String> {
    let mut notes = Vec::new();
    let connections = events
        .iter()
        .filter(|e| matches!(e.what, What::Connected))
        .count();
    notes.push(format!(
        "client: {} after {:.2} s, {connections} connection(s)",
        run.ending,
        run.elapsed.as_secs_f64()
    ));
    for event in events {
        match &event.what {
            What::TlsUp { cert, params } => notes.push(format!(
                "conn {}: client accepted {cert} ({params})",
                event.conn
            )),
            What::TlsFailed { cert, error } => notes.push(format!(
                "conn {}: handshake with {cert} failed: {error}",
                event.conn
            )),
            _ => {}
        }
    }
    if let Some(line) = last_line(&run.stderr) {
        notes.push(format!("client stderr (last line): {line}"));
    }
    notes
}

fn last_line(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.chars().take(300).collect())
}

/// Whether `secret` is in `line` as is, or inside any base64 word of it (AUTH PLAIN's
/// `\0user\0password` and AUTH LOGIN's bare password are base64, RFC 4616 / RFC 4954).
fn carries(line: &[u8], secret: &[u8]) -> bool {
    if contains(line, secret) {
        return true;
    }
    line.split(|&b| b == b' ').any(|word| {
        word.len() >= 4
            && base64::engine::general_purpose::STANDARD
                .decode(word)
                .is_ok_and(|decoded| contains(&decoded, secret))
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn printable(line: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(line).chars().take(200).collect();
    text.chars()
        .map(|c| if c.is_control() { '.' } else { c })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pki::CertKind;

    fn canaries() -> Canaries {
        Canaries {
            user: "u".into(),
            password: "s3cret-canary".into(),
            body: "body-canary".into(),
        }
    }

    fn client(conn: u32, channel: Channel, bytes: &[u8]) -> Event {
        Event {
            conn,
            at_ms: 0,
            what: What::Client {
                channel,
                bytes: bytes.to_vec(),
            },
        }
    }

    #[test]
    fn finds_envelope_password_and_message_in_plain_text_split_across_reads() {
        let plain = base64::engine::general_purpose::STANDARD.encode(b"\0u\0s3cret-canary");
        let events = vec![
            client(0, Channel::Plain, b"EHLO x\r\nMAIL FR"),
            client(0, Channel::Plain, b"OM:<a@b>\r\n"),
            client(
                0,
                Channel::Plain,
                format!("AUTH PLAIN {plain}\r\n").as_bytes(),
            ),
            client(
                0,
                Channel::Plain,
                b"DATA\r\nSubject: x\r\n\r\nbody-canary\r\n.\r\n",
            ),
        ];
        let kinds: Vec<_> = find_leaks(&events, &canaries())
            .iter()
            .map(|l| l.what)
            .collect();
        assert_eq!(
            kinds,
            [
                LeakKind::Envelope,
                LeakKind::AuthCommand,
                LeakKind::Password,
                LeakKind::Message
            ]
        );
    }

    #[test]
    fn auth_login_password_line_is_found() {
        let pw = base64::engine::general_purpose::STANDARD.encode(b"s3cret-canary");
        let events = vec![client(
            0,
            Channel::Tls(CertKind::Expired),
            format!("{pw}\r\n").as_bytes(),
        )];
        let leaks = find_leaks(&events, &canaries());
        assert_eq!(leaks.len(), 1);
        assert_eq!(leaks[0].what, LeakKind::Password);
        assert!(leak_summary(&leaks).contains("expired certificate"));
    }

    #[test]
    fn issue_9_every_non_passing_verdict_of_every_scenario_says_what_to_change() {
        use super::super::catalog::CATALOG;
        let kinds = [
            VerdictKind::Safe,
            VerdictKind::Delivered,
            VerdictKind::Leak,
            VerdictKind::Unsafe,
            VerdictKind::Broken,
            VerdictKind::Hung,
            VerdictKind::Lenient,
            VerdictKind::SilentFailure,
            VerdictKind::Skipped,
        ];
        let plain = Leak {
            what: LeakKind::Password,
            channel: Channel::Plain,
            conn: 0,
            evidence: String::new(),
        };
        let bad_cert = Leak {
            channel: Channel::Tls(CertKind::Expired),
            ..plain.clone()
        };
        for scenario in CATALOG {
            for kind in kinds {
                for leaks in [vec![], vec![plain.clone()], vec![bad_cert.clone()]] {
                    let fix = fix(kind, scenario, &leaks);
                    let passing = matches!(
                        kind,
                        VerdictKind::Safe | VerdictKind::Delivered | VerdictKind::Skipped
                    );
                    assert_eq!(fix.is_none(), passing, "{} {kind:?}", scenario.name);
                }
            }
        }
        let f = |leaks: &[Leak]| fix(VerdictKind::Leak, &CATALOG[0], leaks).unwrap();
        assert!(f(std::slice::from_ref(&plain)).contains("STARTTLS"));
        assert!(f(&[bad_cert]).contains("certificate"));
    }

    #[test]
    fn nothing_inside_verified_tls_is_a_leak() {
        let events = vec![client(
            0,
            Channel::Tls(CertKind::Trusted),
            b"MAIL FROM:<a@b>\r\nAUTH PLAIN AHUAczNjcmV0LWNhbmFyeQ==\r\nbody-canary\r\n",
        )];
        assert!(find_leaks(&events, &canaries()).is_empty());
    }
}
