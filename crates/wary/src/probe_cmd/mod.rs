//! `wary probe`: run attack scenarios against other software and report what leaked.
//! One file per probe; this one only dispatches.
use crate::term::say;
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

/// Writes a probe's report as asked (`--html FILE` too, then `--json` or the terminal table)
/// and returns the probe's exit code; failing to write the HTML page is a harness error (2).
/// `--list`: the catalog on stdout; a closed pipe (`--list | head`) is a normal end.
fn print_list(list: &str) -> ExitCode {
    match crate::term::stdout_all(list.as_bytes()) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            say!("wary probe: cannot write the list to stdout: {e}");
            ExitCode::from(2)
        }
    }
}

fn emit(
    probe: &str,
    report: &wary_probe::report::Report,
    exit_code: u8,
    html: Option<&std::path::Path>,
    json: bool,
) -> ExitCode {
    if let Some(path) = html {
        if let Err(e) = std::fs::write(path, report.to_html()) {
            say!("wary probe {probe}: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    let text = if json {
        format!("{}\n", report.to_json())
    } else {
        report.to_table(wary_probe::report::stdout_wants_colour())
    };
    // A closed pipe (`| head`) is a normal end and keeps the probe's verdict; any other
    // failure to write the report is a harness error, like failing to write the HTML page.
    if let Err(e) = crate::term::stdout_all(text.as_bytes()) {
        say!("wary probe {probe}: cannot write the report to stdout: {e}");
        return ExitCode::from(2);
    }
    ExitCode::from(exit_code)
}
