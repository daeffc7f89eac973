//! Sends several messages at once through a pool of two connections (tokio), and prints one
//! report per message.
//!
//! ```text
//! cargo run -p wary-smtp --features tokio --example pool -- HOST:PORT [CA_FILE | --danger-plain-text]
//! ```
//!
//! STARTTLS with the system's trust roots, or with CA_FILE (PEM) alone; `--danger-plain-text`
//! sends everything unencrypted (for a test server on loopback only). The envelope comes
//! from WARY_FROM and WARY_TO (defaults: me@example.org, you@example.org), the number of
//! messages from WARY_COUNT (default 5). Exit status: 0 every message delivered to every
//! recipient, 1 not (the reports say why), 2 bad arguments.

use std::process::ExitCode;
use std::time::Duration;
use wary_smtp::proto::{Envelope, Mailbox, Message, Outcome, ReversePath, TlsMode};
use wary_smtp::{ClientConfig, Pool, PoolConfig, Trust};

fn main() -> ExitCode {
    // A runtime with timers and I/O: wary's deadlines need both.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pool example: no runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("pool example: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: pool HOST:PORT [CA_FILE | --danger-plain-text]";
    let server = args.next().ok_or(usage)?;
    let (host, port) = server.rsplit_once(':').ok_or("expected HOST:PORT")?;
    let mut client = ClientConfig::builder(host, port.parse()?);
    match args.next().as_deref() {
        None => {}
        Some("--danger-plain-text") => {
            eprintln!("pool example: WARNING: plain text, nothing is encrypted");
            client = client.tls(TlsMode::DangerPlainText);
        }
        Some(ca) => client = client.trust(Trust::CaFile(ca.into())),
    }
    let from = std::env::var("WARY_FROM").unwrap_or_else(|_| "me@example.org".into());
    let to = std::env::var("WARY_TO").unwrap_or_else(|_| "you@example.org".into());
    let count: usize = std::env::var("WARY_COUNT").map_or(Ok(5), |n| n.parse())?;
    let envelope = Envelope::new(
        ReversePath::Mailbox(Mailbox::parse(&from)?),
        vec![Mailbox::parse(&to)?],
    );
    let config = PoolConfig::new(client.build())
        .with_max_connections(2)
        .with_idle_timeout(Duration::from_secs(30));
    let pool = Pool::new(config);

    // Every message is its own task; the pool shares its two connections among them.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        let (pool, envelope) = (pool.clone(), envelope.clone());
        let text = format!(
            "From: <{from}>\r\nTo: <{to}>\r\nSubject: pool example {i}\r\n\
             Message-ID: <{i}.pool-example@wary.invalid>\r\n\r\nhello {i}\r\n"
        );
        let message = Message::new(text.as_bytes())?;
        tasks.spawn(async move {
            let report = pool.send(&envelope, &message).await?;
            Ok::<_, wary_smtp::Error>((i, report))
        });
    }
    let mut all = true;
    while let Some(joined) = tasks.join_next().await {
        match joined? {
            // One report per message: check it, as for a single send.
            Ok((i, report)) => {
                let delivered = report.outcome() == Outcome::Delivered;
                all &= delivered;
                match (&report.final_reply, report.first_refusal()) {
                    (Some(reply), None) if delivered => println!("{i} delivered: {reply}"),
                    (_, Some((command, reply))) => {
                        println!("{i} {}: {command} {reply}", report.status())
                    }
                    _ => println!("{i} {}", report.status()),
                }
            }
            Err(e) => {
                all = false;
                println!("not sent: {e}");
            }
        }
    }
    pool.close().await;
    Ok(all)
}
