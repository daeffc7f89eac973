//! The pool part of `wary-bench smtp` (issue 13, point 3): M messages through N = 1, 4 and
//! 16 TLS connections at once, at the sink's simulated round trip: wary-smtp's `Pool`
//! (tokio, every message its own task) against lettre's pooled `SmtpTransport` with the same
//! pool size, driven by N threads. Messages per second from the sink's clock (first MAIL on
//! any connection to the last acceptance on any).

use super::clients::{FROM, TO};
use super::pki::{Pki, SERVER_NAME};
use super::sink::{ConnStats, Sink, SinkConfig};
use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The pool sizes measured.
pub const SIZES: [usize; 3] = [1, 4, 16];

/// A pooled client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolClient {
    /// wary-smtp's `Pool` (tokio).
    Wary,
    /// lettre's `SmtpTransport` with `PoolConfig::max_size(N)`, N threads.
    Lettre,
}

impl PoolClient {
    /// The label in tables.
    pub fn label(self) -> &'static str {
        match self {
            PoolClient::Wary => "wary-smtp Pool (tokio)",
            PoolClient::Lettre => "lettre SmtpTransport pool, N threads",
        }
    }
}

/// What one pooled run measured.
#[derive(Debug, Clone)]
pub struct PoolStats {
    /// Connections the sink saw.
    pub connections: usize,
    /// Messages the sink accepted (all of them, or the run failed).
    pub messages: u64,
    /// First MAIL to last acceptance, over every connection.
    pub phase: Duration,
}

impl PoolStats {
    /// Messages per second.
    pub fn rate(&self) -> f64 {
        self.messages as f64 / self.phase.as_secs_f64().max(1e-9)
    }
}

/// One client at one pool size.
pub struct PoolRow {
    /// N.
    pub size: usize,
    /// The client.
    pub client: PoolClient,
    /// The result.
    pub outcome: Result<PoolStats, String>,
}

/// Runs every client at every size against a fresh sink each.
pub fn run_all(pki: &Pki, messages: &[Vec<u8>], delay: Duration) -> Vec<PoolRow> {
    let mut rows = Vec::new();
    for size in SIZES {
        for client in [PoolClient::Wary, PoolClient::Lettre] {
            eprint!("smtp pool: {} / N={size} ... ", client.label());
            let outcome = run_one(client, size, pki, messages, delay).map_err(|e| format!("{e:#}"));
            match &outcome {
                Ok(s) => eprintln!(
                    "{} msg/s over {} connections",
                    crate::chart::number(s.rate()),
                    s.connections
                ),
                Err(e) => eprintln!("FAILED: {e}"),
            }
            rows.push(PoolRow {
                size,
                client,
                outcome,
            });
        }
    }
    rows
}

fn run_one(
    client: PoolClient,
    size: usize,
    pki: &Pki,
    messages: &[Vec<u8>],
    delay: Duration,
) -> Result<PoolStats> {
    let sink = Sink::start(SinkConfig {
        delay,
        chunking: true,
        tls: Arc::clone(&pki.server),
    })?;
    let run = match client {
        PoolClient::Wary => wary(sink.addr, size, pki, messages),
        PoolClient::Lettre => lettre(sink.addr, size, pki, messages),
    };
    let conns = sink.finish()?;
    run?;
    summarize(&conns, size, messages.len())
}

fn summarize(conns: &[ConnStats], size: usize, expected: usize) -> Result<PoolStats> {
    if conns.len() > size {
        bail!("{} connections for a pool of {size}", conns.len());
    }
    if let Some(e) = conns.iter().find_map(|c| c.error.as_ref()) {
        bail!("the sink saw an error: {e}");
    }
    if conns.iter().any(|c| c.mail > 0 && !c.tls) {
        bail!("a connection carried mail without STARTTLS");
    }
    let messages: u64 = conns.iter().map(|c| c.messages).sum();
    if messages != expected as u64 {
        bail!("the sink accepted {messages} messages, not {expected}");
    }
    // A clean sink: every message goes once (a resend would inflate the rate).
    let mail: u64 = conns.iter().map(|c| c.mail).sum();
    if mail != messages {
        bail!("{mail} MAIL commands for {messages} messages");
    }
    let first = conns.iter().filter_map(|c| c.first_mail).min();
    let last = conns.iter().filter_map(|c| c.last_accept).max();
    let (Some(first), Some(last)) = (first, last) else {
        bail!("no message phase");
    };
    Ok(PoolStats {
        connections: conns.len(),
        messages,
        phase: last.saturating_duration_since(first),
    })
}

fn wary(addr: SocketAddr, size: usize, pki: &Pki, raw: &[Vec<u8>]) -> Result<()> {
    use wary_smtp::proto::{Domain, Envelope, Mailbox, Message, Outcome, ReversePath};
    use wary_smtp::{Pool, PoolConfig};
    let config = wary_smtp::ClientConfig::builder("127.0.0.1", addr.port())
        .trust(wary_smtp::Trust::CaFile(pki.ca_file.clone()))
        .tls_server_name(SERVER_NAME)
        .helo(Domain::parse("bench.example.org")?)
        .build();
    let envelope = Envelope::new(
        ReversePath::Mailbox(Mailbox::parse(FROM)?),
        vec![Mailbox::parse(TO)?],
    );
    let messages = raw
        .iter()
        .map(|m| Message::new(m))
        .collect::<Result<Vec<_>, _>>()?;
    let count = messages.len().max(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // As many messages per connection as the run sends: lettre's pool has no such cap,
        // and the comparison is of N connections, not of reconnecting.
        let pool = Pool::new(
            PoolConfig::new(config)
                .with_max_connections(size)
                .with_max_messages_per_connection(count),
        );
        let mut tasks = tokio::task::JoinSet::new();
        for (i, message) in messages.into_iter().enumerate() {
            let (pool, envelope) = (pool.clone(), envelope.clone());
            tasks.spawn(async move { (i, pool.send(&envelope, &message).await) });
        }
        let mut failed = Vec::new();
        while let Some(done) = tasks.join_next().await {
            let (i, result) = done.context("a send task failed")?;
            match result {
                Ok(report) if report.outcome() == Outcome::Delivered => {}
                Ok(report) => failed.push(format!("message {i}: {}", report.status())),
                Err(e) => failed.push(format!("message {i}: {e}")),
            }
        }
        pool.close().await;
        if let Some(first) = failed.first() {
            bail!("wary pool: {} not delivered, first {first}", failed.len());
        }
        Ok(())
    })
}

fn lettre(addr: SocketAddr, size: usize, pki: &Pki, raw: &[Vec<u8>]) -> Result<()> {
    use lettre::address::Envelope;
    use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
    use lettre::transport::smtp::extension::ClientId;
    use lettre::transport::smtp::PoolConfig;
    use lettre::{SmtpTransport, Transport};
    let tls = TlsParameters::builder(SERVER_NAME.to_owned())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(Certificate::from_pem(pki.ca_pem.as_bytes())?)
        .build_rustls()?;
    // `builder_dangerous` only means "no TLS preset": TLS is then required explicitly.
    let transport = SmtpTransport::builder_dangerous("127.0.0.1")
        .port(addr.port())
        .tls(Tls::Required(tls))
        .hello_name(ClientId::Domain("bench.example.org".to_owned()))
        .timeout(Some(Duration::from_secs(30)))
        .pool_config(PoolConfig::new().max_size(size as u32))
        .build();
    let envelope = Envelope::new(Some(FROM.parse()?), vec![TO.parse()?])?;
    let next = AtomicUsize::new(0);
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..size)
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(raw) = raw.get(i) else {
                            return Ok(());
                        };
                        let response = transport
                            .send_raw(&envelope, raw)
                            .with_context(|| format!("lettre: message {i}"))?;
                        if !response.is_positive() {
                            bail!("lettre: message {i} refused: {response:?}");
                        }
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a lettre thread panicked")))
            })
            .collect()
    });
    // Dropping the transport shuts the pool down, which sends QUIT.
    drop(transport);
    results.into_iter().collect()
}

/// The pool section of the report.
pub fn markdown(rows: &[PoolRow], messages: usize, delay: Duration) -> String {
    let mut s = String::new();
    // NOTE: writing to a String cannot fail.
    let _ = writeln!(
        s,
        "### Pooled: {messages} messages through N connections, {} ms round trip\n",
        delay.as_millis()
    );
    let _ = writeln!(
        s,
        "Every message is sent at once by its own task (wary-smtp `Pool::send`, tokio) or \
         taken in turn by N threads sharing lettre's pooled `SmtpTransport` (`max_size(N)`); \
         STARTTLS verified against the run's CA, PIPELINING and CHUNKING offered. Messages \
         per second from the first MAIL on any connection to the last acceptance on any \
         (sink clock).\n"
    );
    let _ = writeln!(
        s,
        "| N | {} | {} | ratio |",
        PoolClient::Wary.label(),
        PoolClient::Lettre.label()
    );
    let _ = writeln!(s, "| ---: | ---: | ---: | ---: |");
    for size in SIZES {
        let get = |c: PoolClient| {
            rows.iter()
                .find(|r| r.size == size && r.client == c)
                .and_then(|r| r.outcome.as_ref().ok())
                .map(PoolStats::rate)
        };
        let cell = |c: PoolClient| {
            let row = rows.iter().find(|r| r.size == size && r.client == c);
            match row.map(|r| &r.outcome) {
                Some(Ok(st)) => format!(
                    "{} ({} conn.)",
                    crate::chart::number(st.rate()),
                    st.connections
                ),
                Some(Err(e)) => format!("failed: {}", e.replace('|', "/")),
                None => "not run".to_owned(),
            }
        };
        let ratio = match (get(PoolClient::Wary), get(PoolClient::Lettre)) {
            (Some(w), Some(l)) if l > 0.0 => format!("{:.1}×", w / l),
            _ => "–".to_owned(),
        };
        let _ = writeln!(
            s,
            "| {size} | {} | {} | {ratio} |",
            cell(PoolClient::Wary),
            cell(PoolClient::Lettre)
        );
    }
    // Round trips per message on one connection, from N = 1: time per message over the
    // round trip.
    let per_message = |c: PoolClient| {
        rows.iter()
            .find(|r| r.size == 1 && r.client == c)
            .and_then(|r| r.outcome.as_ref().ok())
            .filter(|_| !delay.is_zero())
            .map(|st| format!("{:.1}", 1.0 / st.rate() / delay.as_secs_f64()))
            .unwrap_or_else(|| "?".to_owned())
    };
    let _ = writeln!(
        s,
        "\nAt N = 1 a message costs wary-smtp's pool {} round trips and lettre's {} (time per \
         message over the round trip). The pool carries one message at a time per connection: \
         its envelope pipelined, then its content once the RCPT replies accepted someone; \
         lettre waits for the reply to each command. Both scale with N.\n",
        per_message(PoolClient::Wary),
        per_message(PoolClient::Lettre),
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both pooled clients deliver every message once over at most N connections, and the
    /// report's table has a row per size.
    #[test]
    fn both_pools_deliver_every_message_once() {
        let dir = super::super::clients::RunDir(
            std::env::temp_dir().join(format!("wary-bench-pool-test-{}", std::process::id())),
        );
        let pki = super::super::pki::generate(&dir.0).unwrap();
        let messages = super::super::clients::messages(12);
        let mut rows = Vec::new();
        for client in [PoolClient::Wary, PoolClient::Lettre] {
            let st = run_one(client, 4, &pki, &messages, Duration::from_millis(5)).unwrap();
            assert_eq!(st.messages, 12, "{client:?}");
            assert!(st.connections <= 4, "{client:?}: {st:?}");
            rows.push(PoolRow {
                size: 4,
                client,
                outcome: Ok(st),
            });
        }
        let md = markdown(&rows, 12, Duration::from_millis(5));
        assert!(md.contains("| 4 | "), "{md}");
        assert!(md.contains("| 1 | not run"), "{md}");
    }
}
