//! The report every probe produces (smtp-client, smtp-server, xml-parser), and its three
//! renderings: a terminal table (coloured when stdout is a terminal), JSON for machines,
//! and a self-contained HTML page a person can share. Plus the progress line on stderr.
//!
//! The model is deliberately generic: a probe turns its own verdicts into [`Finding`]s
//! with a label, a [`Severity`] and free-form details; probe-specific structure goes in
//! `Finding::data` (JSON) untouched.

use serde::Serialize;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

/// How bad a finding is; decides colour and ordering, never the exit code (probes decide).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Behaved as a safe implementation must.
    Pass,
    /// Nothing leaked, but something is worth fixing (hung, lenient, silent failure).
    Warn,
    /// A real flaw: something leaked or attacker input was acted on.
    Fail,
    /// The scenario could not judge (a control failed, the harness broke).
    Error,
    /// Not run.
    Skip,
}

/// One scenario's result, in a form every renderer understands.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Scenario name.
    pub name: String,
    /// What the scenario does to the software under test.
    pub attack: String,
    /// What a safe implementation does.
    pub expected: String,
    /// Short verdict word shown in the table (`safe`, `LEAK`, …).
    pub verdict: String,
    /// Its severity.
    pub severity: Severity,
    /// One sentence: why this verdict.
    pub summary: String,
    /// For a finding that is not a pass: one line saying what to change, which a user can
    /// act on (a setting, a flag, an upgrade), as testssl.sh and internet.nl give. Every
    /// [`Severity::Fail`] has one ([`Report::unfixed`] lists those that do not).
    pub fix: Option<String>,
    /// Supporting lines (what leaked where, handshakes, how the program ended).
    pub details: Vec<String>,
    /// A readable transcript, if the probe keeps one.
    pub transcript: Vec<String>,
    /// How the program under test ended (`0`, `75`, `killed`, …), when it was run.
    pub client_exit: Option<String>,
    /// How long it ran, when it was run.
    pub elapsed_ms: Option<u64>,
    /// Probe-specific structured data, passed through to JSON.
    pub data: serde_json::Value,
}

/// A probe run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Which probe (`smtp-client`, `smtp-server`, `xml-parser`).
    pub probe: String,
    /// What was tested (the command, or HOST:PORT).
    pub subject: String,
    /// One sentence over all findings.
    pub verdict: String,
    /// Counts per severity.
    pub counts: Counts,
    /// wary's version.
    pub wary_version: String,
    /// The findings, in the order they ran.
    pub findings: Vec<Finding>,
}

/// How many findings have each severity.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Counts {
    /// [`Severity::Pass`].
    pub pass: usize,
    /// [`Severity::Warn`].
    pub warn: usize,
    /// [`Severity::Fail`].
    pub fail: usize,
    /// [`Severity::Error`].
    pub error: usize,
    /// [`Severity::Skip`].
    pub skip: usize,
}

impl Report {
    /// Builds a report and counts its severities.
    #[must_use]
    pub fn new(probe: &str, subject: &str, verdict: &str, findings: Vec<Finding>) -> Self {
        let mut counts = Counts::default();
        for f in &findings {
            *match f.severity {
                Severity::Pass => &mut counts.pass,
                Severity::Warn => &mut counts.warn,
                Severity::Fail => &mut counts.fail,
                Severity::Error => &mut counts.error,
                Severity::Skip => &mut counts.skip,
            } += 1;
        }
        Report {
            probe: probe.to_owned(),
            subject: subject.to_owned(),
            verdict: verdict.to_owned(),
            counts,
            wary_version: env!("CARGO_PKG_VERSION").to_owned(),
            findings,
        }
    }

    /// The names of the failing findings that do not say what to change: empty for every
    /// report the probes build (their tests check it).
    #[must_use]
    pub fn unfixed(&self) -> Vec<&str> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Fail)
            .filter(|f| !f.fix.as_deref().is_some_and(|x| !x.trim().is_empty()))
            .map(|f| f.name.as_str())
            .collect()
    }

    /// Pretty JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        // NOTE: serialising plain data (strings, numbers, serde_json values) cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The terminal table: one row per finding, then the lines that explain every finding
    /// that is not a pass, then the overall verdict.
    #[must_use]
    pub fn to_table(&self, colour: bool) -> String {
        let paint = |sev: Severity, text: &str| -> String {
            if !colour {
                return text.to_owned();
            }
            let code = match sev {
                Severity::Pass => "32",
                Severity::Warn => "33",
                Severity::Fail => "1;31",
                Severity::Error => "1;35",
                Severity::Skip => "2",
            };
            format!("\x1b[{code}m{text}\x1b[0m")
        };
        let name_w = self
            .findings
            .iter()
            .map(|f| f.name.len())
            .max()
            .unwrap_or(8)
            .max(8);
        let verdict_w = self
            .findings
            .iter()
            .map(|f| f.verdict.chars().count())
            .max()
            .unwrap_or(7)
            .max(7);
        let mut out = String::new();
        let _ = writeln!(out, "wary probe {}: {}", self.probe, self.subject);
        // The exit and time columns only when something was run (not for smtp-server).
        let ran = self.findings.iter().any(|f| f.client_exit.is_some());
        let runs = |exit: &str, time: &str| {
            if ran {
                format!("{exit:>6}  {time:>7}  ")
            } else {
                String::new()
            }
        };
        let _ = writeln!(
            out,
            "{:<name_w$}  {:<verdict_w$}  {}why",
            "test",
            "verdict",
            runs("exit", "time")
        );
        for f in &self.findings {
            let verdict = format!("{:<verdict_w$}", f.verdict);
            let time = f
                .elapsed_ms
                .map_or_else(String::new, |ms| format!("{:.1}s", ms as f64 / 1000.0));
            let _ = writeln!(
                out,
                "{:<name_w$}  {}  {}{}",
                f.name,
                paint(f.severity, &verdict),
                runs(f.client_exit.as_deref().unwrap_or("-"), &time),
                f.summary
            );
        }
        let flagged: Vec<&Finding> = self
            .findings
            .iter()
            .filter(|f| matches!(f.severity, Severity::Fail | Severity::Error))
            .collect();
        for f in flagged {
            let _ = writeln!(out, "\n{} — {}", paint(f.severity, &f.name), f.attack);
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "    fix: {fix}");
            }
            for d in &f.details {
                let _ = writeln!(out, "    {d}");
            }
        }
        // Warnings are not explained above; their fix still gets a line of its own.
        for f in self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warn)
        {
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "\n{} fix: {fix}", paint(f.severity, &f.name));
            }
        }
        let c = self.counts;
        let _ = writeln!(
            out,
            "\n{} pass, {} warn, {} fail, {} error, {} skipped: {}",
            c.pass, c.warn, c.fail, c.error, c.skip, self.verdict
        );
        out
    }

    /// A self-contained HTML page (inline CSS, no scripts, nothing fetched).
    #[must_use]
    pub fn to_html(&self) -> String {
        let mut rows = String::new();
        for f in &self.findings {
            let _ = writeln!(
                rows,
                "<tr class=\"{sev}\"><td><code>{name}</code></td><td class=\"v\">{verdict}</td>\
                 <td>{exit}</td><td>{summary}{fix}<details><summary>attack, expectation and \
                 transcript</summary><p><b>Attack:</b> {attack}<br><b>A safe implementation:</b> \
                 {expected}</p><ul>{details}</ul><pre>{transcript}</pre></details></td></tr>",
                sev = severity_class(f.severity),
                name = esc(&f.name),
                verdict = esc(&f.verdict),
                exit = esc(f.client_exit.as_deref().unwrap_or("-")),
                summary = esc(&f.summary),
                fix = f.fix.as_ref().map_or_else(String::new, |x| format!(
                    "<p class=\"fix\"><b>Fix:</b> {}</p>",
                    esc(x)
                )),
                attack = esc(&f.attack),
                expected = esc(&f.expected),
                details = f
                    .details
                    .iter()
                    .map(|d| format!("<li>{}</li>", esc(d)))
                    .collect::<String>(),
                transcript = esc(&f.transcript.join("\n")),
            );
        }
        let c = self.counts;
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>wary probe {probe}</title><style>{CSS}</style></head><body>\n\
             <h1>wary probe {probe}</h1>\n<p>Subject: <code>{subject}</code></p>\n\
             <p class=\"verdict\">{verdict}</p>\n<p>{pass} pass, {warn} warn, {fail} fail, \
             {error} error, {skip} skipped · wary {version}</p>\n<table><thead><tr>\
             <th>scenario</th><th>verdict</th><th>exit</th><th>why</th></tr></thead><tbody>\n\
             {rows}</tbody></table>\n</body></html>\n",
            probe = esc(&self.probe),
            subject = esc(&self.subject),
            verdict = esc(&self.verdict),
            pass = c.pass,
            warn = c.warn,
            fail = c.fail,
            error = c.error,
            skip = c.skip,
            version = esc(&self.wary_version),
        )
    }
}

const CSS: &str = "body{font:15px/1.4 system-ui,sans-serif;margin:2em;max-width:80em;color:#222}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;\
text-align:left;vertical-align:top}td.v{font-weight:bold;white-space:nowrap}\
tr.pass td.v{color:#1a7f37}tr.warn td.v{color:#9a6700}tr.fail td.v{color:#cf222e}\
tr.error td.v{color:#8250df}tr.skip{color:#888}pre{background:#f6f8fa;padding:.5em;\
overflow:auto;max-height:30em;font-size:12px}.verdict{font-weight:bold}\
p.fix{margin:.3em 0}";

fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Pass => "pass",
        Severity::Warn => "warn",
        Severity::Fail => "fail",
        Severity::Error => "error",
        Severity::Skip => "skip",
    }
}

/// Escapes text for HTML element content and attribute values.
#[must_use]
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether stdout should get colour: a terminal, and `NO_COLOR` unset (no-color.org).
#[must_use]
pub fn stdout_wants_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// A progress indicator on stderr: a rewritten line on a terminal, nothing otherwise (so
/// logs and pipes stay clean).
pub struct Progress {
    enabled: bool,
    drawn: bool,
}

impl Progress {
    /// Draws only when stderr is a terminal.
    #[must_use]
    pub fn new() -> Self {
        Progress {
            enabled: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    /// Shows "[index+1/total] name…".
    pub fn step(&mut self, index: usize, total: usize, name: &str) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K[{}/{total}] {name}…", index + 1);
            let _ = err.flush();
            self.drawn = true;
        }
    }

    /// Clears the line before the report is printed.
    pub fn finish(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn finding(name: &str, severity: Severity, verdict: &str) -> Finding {
        Finding {
            name: name.into(),
            attack: "<attack & co>".into(),
            expected: "abort".into(),
            verdict: verdict.into(),
            severity,
            summary: "why".into(),
            fix: (severity != Severity::Pass).then(|| format!("fix {name} <now>")),
            details: vec!["LEAK password in plain text".into()],
            transcript: vec!["C plain MAIL FROM:<a@b>".into()],
            client_exit: Some("0".into()),
            elapsed_ms: Some(1234),
            data: serde_json::Value::Null,
        }
    }

    #[test]
    fn counts_and_renders_all_three_forms() {
        let report = Report::new(
            "smtp-client",
            "python3 c.py",
            "leaked",
            vec![
                finding("a", Severity::Pass, "safe"),
                finding("b", Severity::Fail, "LEAK"),
            ],
        );
        assert_eq!((report.counts.pass, report.counts.fail), (1, 1));
        let table = report.to_table(false);
        assert!(table.contains("b         LEAK"), "{table}");
        assert!(table.contains("LEAK password in plain text"));
        assert!(!table.contains('\x1b'));
        assert!(report.to_table(true).contains("\x1b[1;31m"));
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["findings"][1]["verdict"], "LEAK");
        let html = report.to_html();
        assert!(html.contains("&lt;attack &amp; co&gt;"));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn issue_9_every_failing_finding_shows_its_fix_in_all_three_forms() {
        let findings = vec![
            finding("a", Severity::Pass, "safe"),
            finding("b", Severity::Fail, "LEAK"),
            finding("c", Severity::Warn, "lenient"),
            finding("d", Severity::Error, "broken"),
        ];
        let report = Report::new("smtp-server", "h:25", "flawed", findings);
        assert!(report.unfixed().is_empty());
        let table = report.to_table(false);
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        let html = report.to_html();
        for name in ["b", "c", "d"] {
            assert!(table.contains(&format!("fix: fix {name} <now>")), "{table}");
            let i = ["a", "b", "c", "d"]
                .iter()
                .position(|n| *n == name)
                .unwrap();
            assert_eq!(json["findings"][i]["fix"], format!("fix {name} <now>"));
            assert!(
                html.contains(&format!("<b>Fix:</b> fix {name} &lt;now&gt;</p>")),
                "{html}"
            );
        }
        assert!(json["findings"][0]["fix"].is_null());
        // A failing finding without a fix is caught.
        let mut bare = finding("e", Severity::Fail, "LEAK");
        bare.fix = Some("  ".into());
        let report = Report::new("smtp-server", "h:25", "flawed", vec![bare]);
        assert_eq!(report.unfixed(), ["e"]);
    }
}
