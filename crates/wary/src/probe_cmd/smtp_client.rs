//! `wary probe smtp-client [--json] [--html FILE] [--only NAME] -- CMD ARGS…`: runs a mail
//! client against every hostile-server scenario and reports what it leaked.
//! Exit status: 0 nothing leaked, 1 something leaked or was unsafe, 2 usage or harness
//! error, or the control scenario failed (the client cannot send, so "safe" means nothing).
use crate::term::say;
use std::process::ExitCode;
use std::time::Duration;
use wary_probe::report::Progress;
use wary_probe::smtp_client::{self, Options, CATALOG};

/// Flags.
#[derive(clap::Args)]
#[command(after_help = after_help())]
pub struct Args {
    /// Print the report as JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write the report as a self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<std::path::PathBuf>,
    /// Run only this scenario (repeatable; comma-separated lists work too).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    only: Vec<String>,
    /// Kill the client after this many seconds in any one scenario.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    time_limit: u64,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// The client command, after `--`, with placeholders (see below).
    #[arg(last = true, value_name = "CMD ARGS")]
    command: Vec<String>,
}

fn after_help() -> String {
    "Placeholders in CMD ARGS: {host} {port} {name} (TLS server name) {ca} (test CA PEM file) \
     {tls} (starttls|implicit) {user} {password} {password_file} {from} {to} {message} (file; \
     the message is also on stdin). Implicit-TLS scenarios run only when {tls} is used.\n\
     Example: wary probe smtp-client -- wary send --server {host}:{port} --tls {tls} \
     --ca-file {ca} --tls-server-name {name} --from {from} {to}"
        .to_owned()
}

pub fn run(args: Args) -> ExitCode {
    if args.list {
        let list: String = CATALOG
            .iter()
            .map(|s| format!("{:<24} {}\n", s.name, s.attack))
            .collect();
        return super::print_list(&list);
    }
    if args.command.is_empty() {
        say!("wary probe smtp-client: give the client command after `--` (see --help)");
        return ExitCode::from(2);
    }
    let options = Options {
        command: args.command,
        time_limit: Duration::from_secs(args.time_limit),
        only: args.only,
    };
    let mut progress = Progress::new();
    let result = smtp_client::run(&options, |i, n, name| progress.step(i, n, name));
    progress.finish();
    match result {
        Ok(probe) => super::emit(
            "smtp-client",
            &probe.report(),
            probe.exit_code(),
            args.html.as_deref(),
            args.json,
        ),
        Err(e) => {
            say!("wary probe smtp-client: {e}");
            ExitCode::from(2)
        }
    }
}
