//! The pool under injected faults (issue 13, point 3): a loopback server breaks connections
//! at every step of a transaction (after the greeting, after EHLO, after MAIL, after RCPT,
//! after DATA, in the middle of the content, after the final `.` before replying, after the
//! 250 before the next command, and a 421 at each of them), for many messages over 1 and 4
//! connections, with and without PIPELINING and CHUNKING. The invariant, checked for every
//! message:
//!
//! - no Message-ID is accepted twice, and no message's MAIL arrives more than twice (one
//!   retry), never twice once its content was sent;
//! - every message gets exactly one result;
//! - a report says delivered iff the server accepted the message; a message the server
//!   accepted without saying so is reported unconfirmed;
//! - unconfirmed only where the content was complete on the client's side (the drop came
//!   in or after the content);
//! - the server never sees more connections open at once than the pool's maximum.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/rng.rs"]
mod rng;
use rng::Rng;

mod example;
mod lifecycle;
mod server;

use server::{ConnFault, Fault, Plan, FAULTS};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::time::Duration;
use wary_smtp::proto::{
    Domain, Envelope, Mailbox, Message, ReversePath, Status, Timeouts, TlsMode,
};
use wary_smtp::{ClientConfig, DeliveryReport, Error, Pool, PoolConfig};

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub fn client_config(port: u16) -> ClientConfig {
    ClientConfig::builder("127.0.0.1", port)
        .tls(TlsMode::DangerPlainText)
        .helo(Domain::parse("client.test").unwrap())
        .timeouts(Timeouts::uniform(Duration::from_secs(10)))
        .build()
}

pub fn sender(k: usize) -> String {
    format!("m{k}@pool.test")
}

pub fn message(k: usize) -> (Envelope, Message) {
    let env = Envelope::new(
        ReversePath::Mailbox(Mailbox::parse(&sender(k)).unwrap()),
        vec![Mailbox::parse("rcpt@pool.test").unwrap()],
    );
    let mut text = format!("Message-ID: <{k}@pool.test>\r\nSubject: message {k}\r\n\r\n");
    for line in 0..20 {
        text.push_str(&format!(
            "line {line} of message {k}, long enough to be a line\r\n"
        ));
    }
    (env, Message::new(text.as_bytes()).unwrap())
}

/// One run: `plan`'s server, `n` connections, messages `0..m` sent all at once.
struct Run {
    results: Vec<Result<DeliveryReport, Error>>,
    accepted: HashMap<String, u32>,
    mails: HashMap<String, u32>,
    max_open: usize,
    conns: usize,
}

fn run(plan: Plan, n: usize, m: usize) -> Run {
    runtime().block_on(async move {
        let server = server::start(plan).await;
        let pool = Pool::new(PoolConfig::new(client_config(server.port)).with_max_connections(n));
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..m {
            let pool = pool.clone();
            tasks.spawn(async move {
                let (env, msg) = message(k);
                (k, pool.send(&env, &msg).await)
            });
        }
        let mut results: Vec<Option<Result<DeliveryReport, Error>>> =
            (0..m).map(|_| None).collect();
        let all = async {
            while let Some(done) = tasks.join_next().await {
                let (k, r) = done.unwrap();
                assert!(results[k].is_none(), "message {k} got two results");
                results[k] = Some(r);
            }
        };
        // Bounded: every fault is a close or a 421, never a silence.
        tokio::time::timeout(Duration::from_secs(60), all)
            .await
            .expect("the pool finished within 60 s");
        pool.close().await;
        let seen = server.seen.lock().unwrap();
        Run {
            results: results
                .into_iter()
                .enumerate()
                .map(|(k, r)| r.unwrap_or_else(|| panic!("message {k} got no result")))
                .collect(),
            accepted: seen.accepted.clone(),
            mails: seen.mails.clone(),
            max_open: server.max_open.load(Ordering::SeqCst),
            conns: server.conns.load(Ordering::SeqCst),
        }
    })
}

/// Checks the invariant of the module docs for every message; returns the statuses seen.
fn check(
    run: &Run,
    faults: &HashMap<String, Fault>,
    n: usize,
    what: &str,
) -> BTreeMap<String, usize> {
    assert!(
        run.max_open <= n,
        "{what}: {} connections open at once, max {n}",
        run.max_open
    );
    let mut tally = BTreeMap::new();
    for (k, result) in run.results.iter().enumerate() {
        let id = format!("{k}@pool.test");
        let accepted = run.accepted.get(&id).copied().unwrap_or(0);
        let mails = run.mails.get(&sender(k)).copied().unwrap_or(0);
        // The fault strikes the first time the message's MAIL arrives; a message whose
        // connections all broke before that never met it.
        let planned = faults.get(&sender(k)).copied().unwrap_or(Fault::None);
        let fault = if mails == 0 { Fault::None } else { planned };
        let at =
            format!("{what}: message {k} (fault {planned:?}, accepted {accepted}, MAIL {mails}x)");
        assert!(accepted <= 1, "{at}: accepted twice");
        assert!(mails <= 2, "{at}: sent more than twice");
        let content_sent = matches!(
            fault,
            Fault::DropMidContent | Fault::DropAfterDot | Fault::Reply421AfterDot
        );
        if content_sent {
            assert!(mails <= 1, "{at}: sent again after its content went out");
        }
        let status = match result {
            Ok(report) => {
                let s = report.status();
                assert_eq!(
                    s == Status::Delivered,
                    accepted == 1 && s != Status::Unconfirmed,
                    "{at}: {report:?}"
                );
                if accepted == 1 {
                    assert!(
                        matches!(s, Status::Delivered | Status::Unconfirmed),
                        "{at}: accepted, reported {s}"
                    );
                }
                if s == Status::Unconfirmed {
                    assert!(
                        matches!(fault, Fault::DropMidContent | Fault::DropAfterDot),
                        "{at}: unconfirmed although the content never went out"
                    );
                }
                if fault == Fault::DropAfterDot {
                    assert_eq!(s, Status::Unconfirmed, "{at}");
                }
                if mails > 0 && (fault == Fault::None || fault == Fault::DropAfter250) {
                    assert!(
                        !matches!(s, Status::Refused | Status::Unconfirmed),
                        "{at}: {s}"
                    );
                }
                s.to_string()
            }
            Err(e) => {
                assert_eq!(accepted, 0, "{at}: error {e} for an accepted message");
                "error".to_owned()
            }
        };
        *tally.entry(status).or_insert(0) += 1;
    }
    tally
}

/// Every step in turn: for each fault, 12 messages with it among 12 clean ones, over 1 and
/// 4 connections, with PIPELINING and CHUNKING, PIPELINING alone, and neither.
#[test]
fn every_step_of_a_transaction_never_twice() {
    for (pipelining, chunking) in [(true, true), (true, false), (false, false)] {
        for fault in FAULTS {
            for n in [1, 4] {
                let m = 24;
                let faults: HashMap<String, Fault> = (0..m)
                    .filter(|k| k % 2 == 0)
                    .map(|k| (sender(k), fault))
                    .collect();
                let plan = Plan {
                    messages: faults.clone(),
                    conns: Vec::new(),
                    pipelining,
                    chunking,
                };
                let what =
                    format!("{fault:?}, N={n}, pipelining {pipelining}, chunking {chunking}");
                let r = run(plan, n, m);
                let tally = check(&r, &faults, n, &what);
                // Every fault before the content is retried on a new connection, and the
                // retry gets through: all delivered.
                let before_content = !matches!(
                    fault,
                    Fault::DropMidContent | Fault::DropAfterDot | Fault::Reply421AfterDot
                );
                if before_content {
                    assert_eq!(tally.get("delivered"), Some(&m), "{what}: {tally:?}");
                }
            }
        }
    }
}

/// Each connection-level fault (no greeting, a 421 greeting, a drop or 421 after EHLO, a
/// drop after the EHLO reply) on every other connection.
#[test]
fn connection_faults_never_lose_or_double_a_message() {
    for conn_fault in [
        ConnFault::DropBeforeGreeting,
        ConnFault::Greeting421,
        ConnFault::DropAfterEhlo,
        ConnFault::Ehlo421,
        ConnFault::DropAfterEhloReply,
    ] {
        for n in [1, 4] {
            let m = 24;
            let plan = Plan {
                messages: HashMap::new(),
                conns: (0..200)
                    .map(|i| {
                        if i % 2 == 0 {
                            conn_fault
                        } else {
                            ConnFault::None
                        }
                    })
                    .collect(),
                pipelining: true,
                chunking: false,
            };
            let what = format!("{conn_fault:?}, N={n}");
            let r = run(plan, n, m);
            let tally = check(&r, &HashMap::new(), n, &what);
            assert!(r.conns >= 2, "{what}");
            assert!(
                tally.get("delivered").copied().unwrap_or(0) > 0,
                "{what}: {tally:?}"
            );
        }
    }
}

/// Generated: random drop points (a third of the messages faulted, one connection in eight
/// faulted) over 300 messages, several seeds, N = 1 and 4, every extension setting.
#[test]
fn random_drop_points_over_hundreds_of_messages() {
    let conn_faults = [
        ConnFault::DropBeforeGreeting,
        ConnFault::Greeting421,
        ConnFault::DropAfterEhlo,
        ConnFault::Ehlo421,
        ConnFault::DropAfterEhloReply,
    ];
    let mut total = BTreeMap::new();
    for seed in 1..=3u64 {
        for (pipelining, chunking) in [(true, true), (true, false), (false, false)] {
            for n in [1, 4] {
                let mut rng = Rng(seed * 0x9e37_79b9_7f4a_7c15 + n as u64);
                let m = 300;
                let mut faults = HashMap::new();
                for k in 0..m {
                    if rng.below(3) == 0 {
                        faults.insert(sender(k), FAULTS[1 + rng.below(FAULTS.len() - 1)]);
                    }
                }
                let conns = (0..2 * m)
                    .map(|_| {
                        if rng.below(8) == 0 {
                            conn_faults[rng.below(conn_faults.len())]
                        } else {
                            ConnFault::None
                        }
                    })
                    .collect();
                let plan = Plan {
                    messages: faults.clone(),
                    conns,
                    pipelining,
                    chunking,
                };
                let what =
                    format!("seed {seed}, N={n}, pipelining {pipelining}, chunking {chunking}");
                let r = run(plan, n, m);
                for (status, count) in check(&r, &faults, n, &what) {
                    *total.entry(status).or_insert(0) += count;
                }
            }
        }
    }
    eprintln!("random drop points, 18 runs of 300 messages: {total:?}");
}
