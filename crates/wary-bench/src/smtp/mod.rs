//! `wary-bench smtp` (issue 6 §4): sends the same small messages over ONE TLS connection
//! with wary-smtp (library and `wary send --mbox`), lettre and Python's smtplib to a local
//! sink, with and without a simulated 20 ms round trip and with and without CHUNKING offered,
//! and writes the `smtp` part of docs/performance.md: messages per second and round trips
//! per message, both counted at the sink.

mod clients;
mod pki;
mod pool;
mod report;
mod sink;

use anyhow::{bail, Context, Result};
use clients::Client;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Flags of `wary-bench smtp`.
#[derive(clap::Args)]
pub struct SmtpArgs {
    /// 100 messages per run instead of 1000: indicative only, for development.
    #[arg(long)]
    quick: bool,
    /// Messages per run (default 1000, quick 100).
    #[arg(long)]
    messages: Option<usize>,
    /// The simulated round trip, in milliseconds.
    #[arg(long, default_value_t = 20)]
    delay_ms: u64,
    /// Only these clients (comma-separated: wary, wary-send, lettre, smtplib).
    #[arg(long, value_delimiter = ',')]
    clients: Option<Vec<String>>,
    /// The `wary` binary (default: next to this one).
    #[arg(long)]
    wary: Option<PathBuf>,
    /// The report to write the SMTP part of; the SVG chart goes beside it. Default:
    /// docs/performance.md, or target/bench-quick/performance.md with `--quick`, so that
    /// indicative numbers never replace the committed ones by accident.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only the pooled part (M messages through N = 1, 4, 16 connections): prints its table
    /// and writes no report.
    #[arg(long)]
    pool_only: bool,
    /// Kill a client process after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout_secs: u64,
}

/// One sink setting.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Every reply is held back this long.
    pub delay: Duration,
    /// CHUNKING is offered.
    pub chunking: bool,
}

impl Setting {
    /// A short name for tables.
    pub fn name(&self) -> String {
        let link = if self.delay.is_zero() {
            "loopback, no delay".to_owned()
        } else {
            format!("{} ms round trip", self.delay.as_millis())
        };
        let ext = if self.chunking {
            "PIPELINING + CHUNKING offered"
        } else {
            "PIPELINING only"
        };
        format!("{link}, {ext}")
    }
}

/// One client in one setting.
pub struct Row {
    /// Index into [`Results::settings`].
    pub setting: usize,
    /// The client.
    pub client: Client,
    /// What happened: the sink's view of the one connection, and the client's.
    pub outcome: Result<(sink::ConnStats, clients::ClientRun), String>,
}

impl Row {
    /// Messages per second over the message phase (sink clock).
    pub fn rate(&self, messages: usize) -> Option<f64> {
        let (stats, _) = self.outcome.as_ref().ok()?;
        let t = stats.message_phase()?.as_secs_f64();
        (t > 0.0).then(|| messages as f64 / t)
    }
    /// Round trips per message, counted at the sink.
    pub fn round_trips(&self, messages: usize) -> Option<f64> {
        let (stats, _) = self.outcome.as_ref().ok()?;
        Some(stats.message_round_trips as f64 / messages as f64)
    }
}

/// Everything one run measured.
pub struct Results {
    /// Messages per client run.
    pub messages: usize,
    /// Short run.
    pub quick: bool,
    /// The settings, in order.
    pub settings: Vec<Setting>,
    /// One row per client and setting.
    pub rows: Vec<Row>,
    /// How long the whole benchmark took.
    pub took: Duration,
    /// Python's version, for the record.
    pub python: String,
    /// The pooled part, at the first setting's round trip.
    pub pool: Vec<pool::PoolRow>,
    /// The pooled part's round trip.
    pub pool_delay: Duration,
}

/// Runs the benchmark and writes its part of the report.
pub fn main(args: SmtpArgs) -> Result<()> {
    let started = Instant::now();
    let self_exe = std::env::current_exe().context("cannot find the benchmark's own binary")?;
    let wary_bin = args.wary.unwrap_or_else(|| self_exe.with_file_name("wary"));
    if !wary_bin.exists() {
        bail!(
            "{} not found: build it first (cargo build --release -p wary)",
            wary_bin.display()
        );
    }
    let chosen: Vec<Client> = match &args.clients {
        None => clients::ALL.to_vec(),
        Some(ids) => ids
            .iter()
            .map(|id| Client::from_id(id).with_context(|| format!("unknown client {id:?}")))
            .collect::<Result<_>>()?,
    };
    let n = args
        .messages
        .unwrap_or(if args.quick { 100 } else { 1000 })
        .max(1);
    let delay = Duration::from_millis(args.delay_ms);
    let settings = vec![
        Setting {
            delay,
            chunking: true,
        },
        Setting {
            delay,
            chunking: false,
        },
        Setting {
            delay: Duration::ZERO,
            chunking: true,
        },
        Setting {
            delay: Duration::ZERO,
            chunking: false,
        },
    ];
    let dir = clients::RunDir(
        std::env::temp_dir().join(format!("wary-bench-smtp-{}", std::process::id())),
    );
    let pki = pki::generate(&dir.0)?;
    let messages = clients::messages(n);
    let expected_octets: u64 = messages.iter().map(|m| m.len() as u64).sum();
    if args.pool_only {
        let pool_rows = pool::run_all(&pki, &messages, delay);
        println!("{}", pool::markdown(&pool_rows, n, delay));
        return Ok(());
    }
    let mut rows = Vec::new();
    for (si, setting) in settings.iter().enumerate() {
        for &client in &chosen {
            eprint!("smtp: {} / {} ... ", client.label(), setting.name());
            let outcome = run_one(
                client,
                setting,
                &pki,
                &messages,
                &wary_bin,
                &dir.0,
                Duration::from_secs(args.timeout_secs),
            )
            .map_err(|e| format!("{e:#}"));
            let row = Row {
                setting: si,
                client,
                outcome,
            };
            match &row.outcome {
                Ok((stats, _)) => {
                    eprintln!(
                        "{} msg/s, {:.2} round trips/message{}",
                        row.rate(n).map_or("?".to_owned(), crate::chart::number),
                        row.round_trips(n).unwrap_or(f64::NAN),
                        if stats.message_octets == expected_octets {
                            String::new()
                        } else {
                            format!(
                                " ({} octets received, {} sent)",
                                stats.message_octets, expected_octets
                            )
                        }
                    );
                }
                Err(e) => eprintln!("FAILED: {e}"),
            }
            rows.push(row);
        }
    }
    let pool_rows = pool::run_all(&pki, &messages, delay);
    let results = Results {
        messages: n,
        quick: args.quick,
        settings,
        rows,
        took: started.elapsed(),
        python: python_version(),
        pool: pool_rows,
        pool_delay: delay,
    };
    let machine = crate::machine::collect();
    let verdicts = report::verdicts(&results);
    let doc = report::markdown(&results, &machine, &verdicts, expected_octets);
    crate::doc::publish(
        args.out,
        args.quick,
        "smtp",
        &doc,
        &[(report::CHART_SVG, report::chart_svg(&results))],
        &verdicts,
        "Targets (issue 6 §4)",
    )
}

/// One client against a fresh sink; checks that it used one TLS connection and that the
/// sink accepted every message.
fn run_one(
    client: Client,
    setting: &Setting,
    pki: &pki::Pki,
    messages: &[Vec<u8>],
    wary_bin: &std::path::Path,
    dir: &std::path::Path,
    timeout: Duration,
) -> Result<(sink::ConnStats, clients::ClientRun)> {
    let sink = sink::Sink::start(sink::SinkConfig {
        delay: setting.delay,
        chunking: setting.chunking,
        tls: std::sync::Arc::clone(&pki.server),
    })?;
    let setup = clients::Setup {
        addr: sink.addr,
        pki,
        messages,
        wary_bin,
        dir,
        timeout,
    };
    let run = clients::run(client, &setup);
    let conns = sink.finish()?;
    let run = run?;
    let [stats] = conns.as_slice() else {
        bail!("the client opened {} connections, not one", conns.len());
    };
    if let Some(e) = &stats.error {
        bail!("the sink saw an error: {e}");
    }
    if !stats.tls {
        bail!("the client did not use STARTTLS");
    }
    if stats.messages != messages.len() as u64 {
        bail!(
            "the sink accepted {} messages, not {}",
            stats.messages,
            messages.len()
        );
    }
    Ok((stats.clone(), run))
}

fn python_version() -> String {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "python3 not found".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// wary-smtp against the sink: the sink's round-trip count agrees with the client's own,
    /// and `send_many` needs one round trip per message (n + 1 in all) whether CHUNKING is
    /// offered or not.
    #[test]
    fn the_sink_counts_the_round_trips_wary_smtp_counts() {
        let dir = clients::RunDir(
            std::env::temp_dir().join(format!("wary-bench-smtp-test-{}", std::process::id())),
        );
        let pki = pki::generate(&dir.0).unwrap();
        let messages = clients::messages(5);
        let expected: u64 = messages.iter().map(|m| m.len() as u64).sum();
        for chunking in [true, false] {
            for client in [Client::WaryLib, Client::WaryEach] {
                let setting = Setting {
                    delay: Duration::from_millis(5),
                    chunking,
                };
                let (stats, run) = run_one(
                    client,
                    &setting,
                    &pki,
                    &messages,
                    std::path::Path::new("unused"),
                    &dir.0,
                    Duration::from_secs(60),
                )
                .unwrap();
                let what = format!("{client:?}, chunking {chunking}: {stats:?}");
                assert_eq!(stats.messages, 5, "{what}");
                assert_eq!(stats.message_octets, expected, "{what}");
                assert_eq!(
                    Some(stats.message_round_trips),
                    run.own_round_trips,
                    "{what}"
                );
                assert_eq!(stats.bdat, if chunking { 5 } else { 0 }, "{what}");
                if client == Client::WaryLib {
                    assert!(stats.message_round_trips <= 6, "{what}");
                }
            }
        }
    }
}
