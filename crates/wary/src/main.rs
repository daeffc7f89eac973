//! `wary`: send mail whose TLS can never silently fail, check XML built to be hostile, and
//! probe other software for the same flaws.
//!
//! This file only parses the command line and dispatches; each subcommand lives in its own
//! module, which turns flags into a validated config, calls the library, and returns the
//! exit code.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::process::ExitCode;

mod config;
mod probe_cmd;
mod send_cmd;
mod sendmail_cmd;
mod term;
mod xml_cmd;

#[derive(Parser)]
#[command(
    name = "wary",
    version,
    about = "Talk to untrusted peers and read untrusted input, warily"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check or canonicalize XML with a parser built for hostile input.
    Xml(xml_cmd::XmlArgs),
    /// Submit a message (read from stdin) over SMTP; TLS is required unless `--tls none`.
    Send(send_cmd::SendArgs),
    /// Send a message as sendmail(8) does, for git send-email, mutt, cron and mail(1)
    /// (`wary sendmail --help`); also when wary is run through a link named `sendmail`.
    #[command(disable_help_flag = true)]
    Sendmail {
        /// sendmail's flags and the recipients.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<OsString>,
    },
    /// Test other software (mail clients, mail servers, XML parsers) against known attacks.
    Probe(probe_cmd::ProbeArgs),
}

fn main() -> ExitCode {
    // A link named `sendmail` (or `sendmail.wary`...) is sendmail mode: callers such as cron
    // run `/usr/sbin/sendmail` with sendmail's flags, which are not clap's.
    let mut argv = std::env::args_os();
    let name = argv.next().unwrap_or_default();
    let base = std::path::Path::new(&name)
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    if base == "sendmail" || base.starts_with("sendmail.") {
        return sendmail_cmd::run(argv.collect());
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            let informational = matches!(
                err.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            );
            // NOTE: printing to a closed stdout is not worth a second error.
            let _ = err.print();
            if informational {
                return ExitCode::SUCCESS;
            }
            // `wary send` promises sysexits codes: a bad flag is EX_CONFIG (78).
            let is_send = std::env::args().nth(1).as_deref() == Some("send");
            return ExitCode::from(if is_send { send_cmd::EX_CONFIG } else { 2 });
        }
    };
    match cli.command {
        Command::Xml(args) => xml_cmd::run(args),
        Command::Send(args) => send_cmd::run(args),
        Command::Sendmail { args } => sendmail_cmd::run(args),
        Command::Probe(args) => probe_cmd::run(args),
    }
}
