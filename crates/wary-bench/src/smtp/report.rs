//! The SMTP part of docs/performance.md: the method, one table per sink setting, the chart,
//! and the verdicts on issue 6 §4's target. Everything here is computed from the run.

use super::clients::Client;
use super::{Results, Row};
use crate::chart::{self, number, Chart};
use crate::machine::Machine;
use std::fmt::Write;

/// The chart's file name, beside the report.
pub const CHART_SVG: &str = "performance-smtp.svg";

/// wary must send at least this many times as many messages per second as each peer, at
/// the simulated round trip with CHUNKING offered (issue 6 §4).
const TARGET_RATIO: f64 = 3.0;

pub use crate::report::Verdict;

fn row(r: &Results, setting: usize, client: Client) -> Option<&Row> {
    r.rows
        .iter()
        .find(|x| x.setting == setting && x.client == client)
}

/// The verdicts: wary's messages per second against each peer's at the simulated round trip,
/// and wary's round trips per message.
pub fn verdicts(r: &Results) -> Vec<Verdict> {
    let mut out = Vec::new();
    let n = r.messages;
    for (si, setting) in r.settings.iter().enumerate() {
        if setting.delay.is_zero() {
            continue;
        }
        // The target is for the connection-reusing API (`send_many`, which `wary send --mbox`
        // uses); `send` per message is shown in the tables for comparison.
        for wary in [Client::WaryLib, Client::WarySend] {
            let Some(w) = row(r, si, wary) else { continue };
            let Some(wr) = w.rate(n) else {
                out.push(Verdict {
                    text: format!("{} / {}: not measured", wary.label(), setting.name()),
                    pass: false,
                });
                continue;
            };
            for peer in [Client::Lettre, Client::Smtplib] {
                let Some(p) = row(r, si, peer) else { continue };
                let text = match p.rate(n) {
                    Some(pr) => {
                        let ratio = wr / pr;
                        let pass = ratio >= TARGET_RATIO && !r.quick;
                        Verdict {
                            text: format!(
                                "{}: {} {} msg/s vs {} {} msg/s = {ratio:.2}× (target ≥ {TARGET_RATIO}×){}",
                                setting.name(),
                                wary.label(),
                                number(wr),
                                peer.label(),
                                number(pr),
                                if r.quick { " (quick run: not a verdict)" } else { "" },
                            ),
                            pass,
                        }
                    }
                    None => Verdict {
                        text: format!("{}: {} not measured", setting.name(), peer.label()),
                        pass: false,
                    },
                };
                out.push(text);
            }
            if let Ok((stats, _)) = &w.outcome {
                // One round trip per message, plus one per connection: the first envelope's
                // replies must be awaited before its content may leave (wary-smtp's rule),
                // after which each content shares a write with the next envelope.
                let rt = stats.message_round_trips;
                out.push(Verdict {
                    text: format!(
                        "{}: {} {rt} round trips for {n} messages = {:.3} per message \
                         (target: one per message, at most {} in all)",
                        setting.name(),
                        wary.label(),
                        rt as f64 / n as f64,
                        n + 1
                    ),
                    pass: rt <= n as u64 + 1,
                });
            }
        }
    }
    out
}

/// The markdown of the SMTP part.
pub fn markdown(r: &Results, m: &Machine, verdicts: &[Verdict], expected_octets: u64) -> String {
    let n = r.messages;
    let mut s = String::new();
    // NOTE: writing to a String cannot fail.
    let _ = writeln!(s, "## SMTP: many messages over one TLS connection\n");
    let _ = writeln!(
        s,
        "Measured {} on {} ({} CPUs, {:.1} GiB, {}; load {}), {}, commit {}, {}. \
         Run with `scripts/bench` (`wary-bench smtp`); took {:.0} s.{}\n",
        m.date,
        m.cpu,
        m.nproc,
        m.memory_gib,
        m.kernel,
        m.load,
        m.rustc,
        m.commit,
        r.python,
        r.took.as_secs_f64(),
        if r.quick {
            " **Quick run: indicative only, not a verdict.**"
        } else {
            ""
        }
    );
    let _ = writeln!(s, "### Targets (issue 6 §4)\n");
    for v in verdicts {
        let _ = writeln!(s, "- **{}** {}", v.word(), v.text);
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "![messages per second]({CHART_SVG})\n");
    for (si, setting) in r.settings.iter().enumerate() {
        let rows: Vec<&Row> = r.rows.iter().filter(|x| x.setting == si).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### {}\n", setting.name());
        let _ = writeln!(
            s,
            "| client | messages/s | round trips / message (sink) | (client's own count) | \
             commands seen by the sink | reply writes | content octets | wall time |"
        );
        let _ = writeln!(s, "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
        for x in rows {
            match &x.outcome {
                Ok((st, run)) => {
                    let mut cmds = format!("MAIL {} RCPT {}", st.mail, st.rcpt);
                    for (name, count) in [
                        ("DATA", st.data),
                        ("BDAT", st.bdat),
                        ("NOOP", st.noop),
                        ("RSET", st.rset),
                    ] {
                        if count > 0 {
                            let _ = write!(cmds, " {name} {count}");
                        }
                    }
                    let own = run
                        .own_round_trips
                        .map_or("—".to_owned(), |o| format!("{:.3}", o as f64 / n as f64));
                    let _ = writeln!(
                        s,
                        "| {} | {} | {:.3} | {own} | {cmds} | {} | {}{} | {:.2} s |",
                        x.client.label(),
                        x.rate(n).map_or("—".to_owned(), number),
                        x.round_trips(n).unwrap_or(f64::NAN),
                        st.flushes,
                        st.message_octets,
                        if st.message_octets == expected_octets {
                            ""
                        } else {
                            " ≠"
                        },
                        run.wall.as_secs_f64()
                    );
                }
                Err(e) => {
                    let _ = writeln!(
                        s,
                        "| {} | failed: {} | | | | | | |",
                        x.client.label(),
                        e.replace('|', "\\|")
                    );
                }
            }
        }
        let _ = writeln!(s);
    }
    s.push_str(&super::pool::markdown(&r.pool, n, r.pool_delay));
    let _ = writeln!(s, "### Method\n");
    let _ = writeln!(
        s,
        "Each client sends the same {n} small messages ({:.0} octets on average) to one \
         recipient, over **one** connection with STARTTLS, verifying the sink's certificate \
         against a test CA generated for the run (rcgen), then QUIT. The sink is \
         `wary-bench`'s own SMTP server on 127.0.0.1 (an ephemeral port): rustls, \
         PIPELINING, SIZE, 8BITMIME and — unless the setting says otherwise — CHUNKING; it \
         accepts every message and checks that all {n} arrived on one TLS connection.\n",
        expected_octets as f64 / n as f64
    );
    let _ = writeln!(
        s,
        "The messages hold {expected_octets} octets in all; *content octets* is what the sink \
         received after removing DATA's dot-stuffing (≠ marks a difference).\n"
    );
    let _ = writeln!(
        s,
        "- **Simulated round trip.** The sink writes each reply {} ms after the client bytes \
         that complete its command arrived, never earlier; replies that fall due together \
         go out in one write. A pipelined batch (RFC 2920) is therefore answered after one \
         delay, as a pipelining-aware server across a real link answers it. The TLS \
         handshake itself is not delayed (it happens once per run).\n\
         - **Messages per second** = {n} / the time from the first MAIL command's arrival to \
         the write of the last message's acceptance, on the sink's clock: connection setup, \
         TLS handshake and process start-up are left out for every client alike.\n\
         - **Round trips per message** are counted at the sink, not taken from the clients: \
         the sink counts one each time client bytes arrive while it owes the client no reply \
         and holds no partial command — the client had read every answer before it could \
         go on. A lock-step client scores one per command; a pipelined batch scores one. \
         From the first MAIL until QUIT, divided by {n}. wary-smtp's own count (its session's \
         round-trip counter) is shown beside it as a cross-check.\n\
         - **Loopback** numbers are CPU-bound and move with other work on the machine (the \
         load above); the simulated round trip is what the target is about.\n",
        r.settings
            .iter()
            .map(|x| x.delay.as_millis())
            .max()
            .unwrap_or(0)
    );
    let _ = writeln!(
        s,
        "Clients: **wary-smtp** in process, through its connection-reusing \
         `Client::send_many` and, for comparison, `Client::send` once per message; **`wary \
         send --mbox`** (the CLI, a process reading an mbox), **lettre** {} (`SmtpTransport` with \
         its pool, `max_size(1)`, STARTTLS required, rustls trusting only the test CA; \
         `send_raw` per message), **Python smtplib** ({}, `starttls()` with \
         `ssl.create_default_context(cafile=…)`, `sendmail()` per message).\n",
        LETTRE_VERSION, r.python
    );
    let _ = writeln!(s, "### Why the numbers are what they are\n");
    let _ = writeln!(
        s,
        "- wary-smtp never sends a message's content before its RCPT replies accepted a \
         recipient, so one message alone costs two waits (envelope, then content), as the \
         `send per message` rows show. Its connection-reusing `Client::send_many` (which \
         `wary send --mbox` uses) pipelines *across* messages (RFC 2920 §3.1 lets content \
         open a batch): each message's content — `BDAT n LAST` and the chunk with \
         CHUNKING, the content and its dot after DATA's 354 without — goes in one write with \
         the next message's MAIL, RCPT (and DATA), so n messages cost n + 1 waits, with or \
         without CHUNKING.\n\
         - lettre sends each command and waits for its reply (it does not use PIPELINING or \
         CHUNKING), and its pool checks a reused connection with NOOP before every message: \
         NOOP, MAIL, RCPT, DATA, content — five waits per message (the NOOP count above). \
         It also writes the content and the final `CRLF.CRLF` in two writes on a socket \
         without TCP_NODELAY (lettre 0.11, `SmtpConnection::message_iter`), so Nagle's \
         algorithm holds the terminator until the sink's delayed ACK: about 40 ms more per \
         message on Linux, which is why lettre is slow even on plain loopback. The sink sets \
         TCP_NODELAY on its side and answers as soon as the terminator arrives; it is the \
         client's behaviour, measured as a user gets it. Because lettre writes `CRLF.CRLF` \
         after content that already ends in CRLF, each message arrives with an extra empty \
         line (2 octets, the ≠ above).\n\
         - smtplib's `sendmail()` waits for each of MAIL, RCPT, DATA and the content: four \
         waits per message.\n\
         - On plain loopback there is no wait to save, so the differences are CPU: TLS \
         records, parsing, and for the processes their start-up (left out of messages/s)."
    );
    // The waits above, as the sink measured them in this run.
    if let Some((si, setting)) = r
        .settings
        .iter()
        .enumerate()
        .find(|(_, x)| !x.delay.is_zero() && x.chunking)
    {
        let measured: Vec<String> = r
            .rows
            .iter()
            .filter(|x| x.setting == si)
            .filter_map(|x| Some(format!("{} {:.3}", x.client.label(), x.round_trips(n)?)))
            .collect();
        if !measured.is_empty() {
            let _ = writeln!(
                s,
                "\nWaits per message measured by the sink in this run ({}): {}.",
                setting.name(),
                measured.join(", ")
            );
        }
    }
    s
}

/// The lettre release the benchmark links (Cargo.lock decides; this is what the workspace
/// asks for).
const LETTRE_VERSION: &str = "0.11";

/// One group per setting, one bar per client: messages per second, log-free, so each chart
/// group shares one scale: settings with the round trip and without it are far apart, so
/// the chart shows the simulated round trip only, where the target is.
pub fn chart_svg(r: &Results) -> String {
    let n = r.messages;
    let clients: Vec<Client> = super::clients::ALL
        .into_iter()
        .filter(|c| r.rows.iter().any(|x| x.client == *c))
        .collect();
    let series: Vec<(&str, usize)> = clients
        .iter()
        .map(|c| {
            let color = match c {
                Client::WaryLib => 0,
                Client::WarySend => 1,
                Client::WaryEach => 7,
                Client::Lettre => 2,
                Client::Smtplib => 3,
            };
            (c.label(), color)
        })
        .collect();
    let groups: Vec<(String, Vec<Option<f64>>)> = r
        .settings
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.delay.is_zero())
        .map(|(si, s)| {
            let label = if s.chunking {
                "CHUNKING offered"
            } else {
                "PIPELINING only"
            };
            (
                label.to_owned(),
                clients
                    .iter()
                    .map(|c| row(r, si, *c).and_then(|x| x.rate(n)))
                    .collect(),
            )
        })
        .collect();
    let delay = r
        .settings
        .iter()
        .map(|s| s.delay.as_millis())
        .max()
        .unwrap_or(0);
    let title = format!(
        "SMTP: messages/s over one TLS connection, {delay} ms round trip (higher is better)"
    );
    chart::render(&Chart {
        title: &title,
        unit: "msg/s",
        series: &series,
        groups: &groups,
    })
}
