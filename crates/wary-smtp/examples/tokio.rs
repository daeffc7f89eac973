//! Sends one message with the tokio client, over STARTTLS, and prints the report.
//!
//! ```text
//! cargo run -p wary-smtp --features tokio --example tokio -- HOST:PORT [CA_FILE]
//! ```
//!
//! CA_FILE (PEM) replaces the system's trust roots. The envelope comes from WARY_FROM and
//! WARY_TO (defaults: me@example.org, you@example.org). Exit status: 0 delivered to every
//! recipient, 1 not (the report says why), 2 the connection failed.

use std::process::ExitCode;
use wary_smtp::proto::{Envelope, Mailbox, Message, Outcome, ReversePath};
use wary_smtp::{AsyncClient, ClientConfig, Trust};

fn main() -> ExitCode {
    // A runtime with timers and I/O: wary's deadlines need both.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio example: no runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run()) {
        Ok(Outcome::Delivered) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("tokio example: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let server = args.next().ok_or("usage: tokio HOST:PORT [CA_FILE]")?;
    let (host, port) = server.rsplit_once(':').ok_or("expected HOST:PORT")?;
    let mut config = ClientConfig::builder(host, port.parse()?);
    if let Some(ca) = args.next() {
        config = config.trust(Trust::CaFile(ca.into()));
    }
    let from = std::env::var("WARY_FROM").unwrap_or_else(|_| "me@example.org".into());
    let to = std::env::var("WARY_TO").unwrap_or_else(|_| "you@example.org".into());
    let envelope = Envelope::new(
        ReversePath::Mailbox(Mailbox::parse(&from)?),
        vec![Mailbox::parse(&to)?],
    );
    let message = Message::new(
        format!("From: {from}\r\nTo: {to}\r\nSubject: wary example (tokio)\r\n\r\nhello\r\n")
            .as_bytes(),
    )?;

    let mut client = AsyncClient::connect(&config.build()).await?;
    let report = client.send(&envelope, &message).await?;
    client.quit().await?;
    // The report is the answer: an Ok send can still be a refusal.
    let last = report.final_reply.as_ref().map(ToString::to_string);
    println!("{}: {}", report.status().as_str(), last.unwrap_or_default());
    Ok(report.outcome())
}
