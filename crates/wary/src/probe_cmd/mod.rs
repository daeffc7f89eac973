//! `wary probe`: run attack scenarios against other software and report what leaked.
//! One file per probe; this one only dispatches.
use std::process::ExitCode;

mod smtp_client;
mod smtp_server;
mod xml_parser;

/// `wary probe` flags.
#[derive(clap::Args)]
pub struct ProbeArgs {
    #[command(subcommand)]
    probe: Probe,
}

#[derive(clap::Subcommand)]
enum Probe {
    /// Run a mail client against hostile servers (STARTTLS stripping, injection, bad certs).
    SmtpClient(smtp_client::Args),
    /// Check one mail server's STARTTLS, pipelining-injection and certificate behaviour.
    SmtpServer(smtp_server::Args),
    /// Run an XML parser over a generated hostile corpus.
    XmlParser(xml_parser::Args),
}

pub fn run(args: ProbeArgs) -> ExitCode {
    match args.probe {
        Probe::SmtpClient(a) => smtp_client::run(a),
        Probe::SmtpServer(a) => smtp_server::run(a),
        Probe::XmlParser(a) => xml_parser::run(a),
    }
}
