//! `wary probe smtp-client`: runs a mail client, given as a command template, against every
//! scripted hostile server of the [`catalog`] on 127.0.0.1, and judges what it sent.
//!
//! Per scenario: start the server on an ephemeral port, substitute the placeholders into the
//! command, run it under a time limit (the whole process group is killed at the limit), stop
//! the server, judge the transcript. The same catalog is the hostile-server test suite of
//! `wary send` (issue 4 §8).
//!
//! Placeholders: `{host}` (127.0.0.1), `{port}`, `{name}` (the TLS server name, `localhost`),
//! `{ca}` (PEM file of the per-run test CA), `{tls}` (`starttls` or `implicit`), `{user}`,
//! `{password}`, `{password_file}`, `{from}`, `{to}`, `{message}` (a file holding the message,
//! which is also fed on stdin). Implicit-TLS scenarios run only when the command uses `{tls}`.

pub mod catalog;
mod conn;
pub mod judge;
mod server;
mod session;

pub use catalog::{Purpose, Scenario, TlsMode, CATALOG};
pub use conn::{Channel, Event, What};
pub use judge::{Canaries, Leak, LeakKind, Verdict, VerdictKind};

use crate::pki::{PkiError, TestPki, SERVER_NAME};
use crate::process::{self, ChildRun, Ending};
use crate::report::{Finding, Report, Severity};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default limit on one client run.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(10);
/// How long the server keeps reading after the client ended, for bytes still in flight.
const GRACE: Duration = Duration::from_millis(150);
/// Sender address given as `{from}`.
pub const FROM: &str = "probe-sender@example.com";
/// Recipient address given as `{to}`.
pub const TO: &str = "probe-rcpt@example.com";
/// User name given as `{user}`.
pub const USER: &str = "probe-user";

/// What to run and how.
#[derive(Clone, Debug)]
pub struct Options {
    /// The client command template (program and arguments, placeholders unsubstituted).
    pub command: Vec<String>,
    /// Limit on each client run; the client is killed when it passes.
    pub time_limit: Duration,
    /// Run only these scenarios (all when empty).
    pub only: Vec<String>,
}

/// One scenario's result.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    /// Which scenario.
    pub scenario: &'static Scenario,
    /// The verdict.
    pub verdict: Verdict,
    /// The client run (absent when the scenario was skipped).
    pub client: Option<ChildRun>,
    /// Everything the scripted server saw and did.
    pub events: Vec<Event>,
}

/// A whole run.
#[derive(Clone, Debug)]
pub struct ClientProbe {
    /// The command template as given.
    pub command: Vec<String>,
    /// Per scenario, in catalog order.
    pub results: Vec<ScenarioResult>,
}

impl ClientProbe {
    /// 1 when anything leaked or was unsafe, 2 when a control failed (the client cannot send
    /// at all, so "safe" means nothing), 0 otherwise.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        let any = |k: VerdictKind| self.results.iter().any(|r| r.verdict.kind == k);
        if any(VerdictKind::Leak) || any(VerdictKind::Unsafe) {
            1
        } else if any(VerdictKind::Broken) {
            2
        } else {
            0
        }
    }

    /// The shared report model, for the terminal, JSON and HTML renderers.
    #[must_use]
    pub fn report(&self) -> Report {
        let findings = self.results.iter().map(finding).collect();
        let verdict = match self.exit_code() {
            1 => "the client leaked or acted on attacker-controlled data",
            2 => "a control scenario failed: the client did not deliver to an honest server",
            _ => "nothing leaked in any scenario",
        };
        Report::new(
            "smtp-client",
            &shell_words(&self.command),
            verdict,
            findings,
        )
    }
}

/// Why a probe run could not happen (usage or harness faults, never findings).
#[derive(Debug)]
#[non_exhaustive]
pub enum ProbeError {
    /// The caller's fault: empty command, unknown scenario name.
    Usage(String),
    /// The probe's test PKI could not be made.
    Pki(PkiError),
    /// The harness could not set up (temporary files, binding a loopback port) or could not
    /// start the command.
    Harness(String),
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Usage(why) => write!(f, "usage: {why}"),
            ProbeError::Pki(e) => e.fmt(f),
            ProbeError::Harness(why) => write!(f, "harness: {why}"),
        }
    }
}

impl std::error::Error for ProbeError {}

/// The scenarios `only` selects, in catalog order; an unknown name is a usage error.
pub fn select(only: &[String]) -> Result<Vec<&'static Scenario>, ProbeError> {
    for name in only {
        if catalog::scenario(name).is_none() {
            let known: Vec<&str> = CATALOG.iter().map(|s| s.name).collect();
            return Err(ProbeError::Usage(format!(
                "no scenario named {name:?}; known: {}",
                known.join(", ")
            )));
        }
    }
    Ok(CATALOG
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|n| n == s.name))
        .collect())
}

/// Runs the selected scenarios. `progress` is called before each one with
/// (index, total, name), for a progress indicator.
pub fn run(
    options: &Options,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<ClientProbe, ProbeError> {
    if options.command.is_empty() {
        return Err(ProbeError::Usage(
            "no client command given (after --)".into(),
        ));
    }
    let scenarios = select(&options.only)?;
    let pki = Arc::new(TestPki::generate().map_err(ProbeError::Pki)?);
    let fixtures = Fixtures::create(&pki)?;
    let uses_tls_mode = options.command.iter().any(|a| a.contains("{tls}"));

    let mut results = Vec::with_capacity(scenarios.len());
    for (index, scenario) in scenarios.iter().enumerate() {
        progress(index, scenarios.len(), scenario.name);
        if scenario.mode == TlsMode::Implicit && !uses_tls_mode {
            results.push(skipped(
                scenario,
                "the command has no {tls} placeholder, so it cannot be told to use implicit TLS",
            ));
            continue;
        }
        results.push(run_one(scenario, options, &pki, &fixtures)?);
    }
    Ok(ClientProbe {
        command: options.command.clone(),
        results,
    })
}

fn run_one(
    scenario: &'static Scenario,
    options: &Options,
    pki: &Arc<TestPki>,
    fixtures: &Fixtures,
) -> Result<ScenarioResult, ProbeError> {
    // The server outlives the client by a margin so it is never the first to give up.
    let deadline = Instant::now() + options.time_limit + Duration::from_secs(2);
    let server = server::ScenarioServer::start(scenario, Arc::clone(pki), deadline)
        .map_err(|e| ProbeError::Harness(format!("cannot listen on 127.0.0.1: {e}")))?;
    let argv = fixtures.substitute(&options.command, server.port(), scenario.mode);
    let client = process::run_bounded(&argv, &fixtures.message, options.time_limit);
    let events = server.finish(GRACE);
    let client = client.map_err(|e| ProbeError::Harness(e.to_string()))?;
    let verdict = judge::judge(scenario, &events, &client, &fixtures.canaries);
    Ok(ScenarioResult {
        scenario,
        verdict,
        client: Some(client),
        events,
    })
}

fn skipped(scenario: &'static Scenario, why: &str) -> ScenarioResult {
    ScenarioResult {
        scenario,
        verdict: Verdict {
            kind: VerdictKind::Skipped,
            summary: why.to_owned(),
            leaks: Vec::new(),
            notes: Vec::new(),
        },
        client: None,
        events: Vec::new(),
    }
}

/// The per-run files and secrets handed to the client.
struct Fixtures {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    password_file: PathBuf,
    message_file: PathBuf,
    message: Vec<u8>,
    canaries: Canaries,
}

impl Fixtures {
    fn create(pki: &TestPki) -> Result<Self, ProbeError> {
        let harness = |e: std::io::Error| ProbeError::Harness(format!("temporary files: {e}"));
        let dir = tempfile::Builder::new()
            .prefix("wary-probe-")
            .tempdir()
            .map_err(harness)?;
        let nonce = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let canaries = Canaries {
            user: USER.to_owned(),
            password: format!("wary-canary-pw-{nonce:016x}"),
            body: format!("wary-canary-body-{nonce:016x}"),
        };
        let message = format!(
            "From: Probe Sender <{FROM}>\nTo: <{TO}>\nSubject: wary probe test message\n\
             Date: Thu, 01 Jan 2026 00:00:00 +0000\nMessage-ID: <{nonce:016x}@wary-probe.invalid>\n\
             \nThis message went to a scripted server run by wary probe on loopback.\n\
             Canary: {}\n",
            canaries.body
        )
        .into_bytes();
        let write = |name: &str, bytes: &[u8]| -> Result<PathBuf, ProbeError> {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).map_err(harness)?;
            Ok(path)
        };
        Ok(Fixtures {
            ca: write("ca.pem", pki.ca_pem().as_bytes())?,
            password_file: write("password", canaries.password.as_bytes())?,
            message_file: write("message.eml", &message)?,
            message,
            canaries,
            _dir: dir,
        })
    }

    fn substitute(&self, template: &[String], port: u16, mode: TlsMode) -> Vec<String> {
        let path = |p: &Path| p.display().to_string();
        let pairs = [
            ("{host}", "127.0.0.1".to_owned()),
            ("{port}", port.to_string()),
            ("{name}", SERVER_NAME.to_owned()),
            ("{ca}", path(&self.ca)),
            ("{tls}", mode.as_str().to_owned()),
            ("{user}", self.canaries.user.clone()),
            ("{password_file}", path(&self.password_file)),
            ("{password}", self.canaries.password.clone()),
            ("{from}", FROM.to_owned()),
            ("{to}", TO.to_owned()),
            ("{message}", path(&self.message_file)),
        ];
        template
            .iter()
            .map(|arg| {
                pairs
                    .iter()
                    .fold(arg.clone(), |acc, (key, value)| acc.replace(key, value))
            })
            .collect()
    }
}

fn finding(result: &ScenarioResult) -> Finding {
    let kind = result.verdict.kind;
    let severity = match kind {
        VerdictKind::Safe | VerdictKind::Delivered => Severity::Pass,
        VerdictKind::Hung | VerdictKind::Lenient | VerdictKind::SilentFailure => Severity::Warn,
        VerdictKind::Leak | VerdictKind::Unsafe => Severity::Fail,
        VerdictKind::Broken => Severity::Error,
        VerdictKind::Skipped => Severity::Skip,
    };
    let mut details: Vec<String> = result
        .verdict
        .leaks
        .iter()
        .map(|l| {
            format!(
                "LEAK {} {} (conn {}): {}",
                l.what, l.channel, l.conn, l.evidence
            )
        })
        .collect();
    details.extend(result.verdict.notes.iter().cloned());
    let client_exit = result.client.as_ref().map(|c| match c.ending {
        Ending::Exited(code) => code.to_string(),
        Ending::Signal(sig) => format!("signal {sig}"),
        Ending::TimedOut => "killed".to_owned(),
    });
    Finding {
        name: result.scenario.name.to_owned(),
        attack: result.scenario.attack.to_owned(),
        expected: result.scenario.safe_behaviour.to_owned(),
        verdict: kind.label().to_owned(),
        severity,
        summary: result.verdict.summary.clone(),
        fix: judge::fix(kind, result.scenario, &result.verdict.leaks).map(str::to_owned),
        details,
        transcript: transcript(&result.events),
        client_exit,
        elapsed_ms: result
            .client
            .as_ref()
            .map(|c| u64::try_from(c.elapsed.as_millis()).unwrap_or(u64::MAX)),
        data: serde_json::to_value(&result.verdict).unwrap_or_default(),
    }
}

/// A readable C:/S: transcript, lines cut at 200 characters and 400 lines in all.
fn transcript(events: &[Event]) -> Vec<String> {
    let mut lines = Vec::new();
    for event in events {
        let (who, channel, bytes) = match &event.what {
            What::Client { channel, bytes } => ("C", channel, bytes),
            What::Server { channel, bytes } => ("S", channel, bytes),
            other => {
                let text = serde_json::to_string(other).unwrap_or_default();
                lines.push(format!("[{}] {:>5} ms  -- {text}", event.conn, event.at_ms));
                continue;
            }
        };
        let tag = match channel {
            Channel::Plain => "plain",
            Channel::Tls(_) if channel.is_protected() => "tls",
            Channel::Tls(_) => "tls!",
        };
        for line in String::from_utf8_lossy(bytes).split_inclusive('\n') {
            let shown: String = line
                .trim_end_matches(['\r', '\n'])
                .chars()
                .take(200)
                .map(|c| if c.is_control() { '.' } else { c })
                .collect();
            lines.push(format!(
                "[{}] {:>5} ms {who} {tag:<5} {shown}",
                event.conn, event.at_ms
            ));
        }
    }
    if lines.len() > 400 {
        let cut = lines.len() - 400;
        lines.truncate(400);
        lines.push(format!("… {cut} more lines"));
    }
    lines
}

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:={}@,+%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
