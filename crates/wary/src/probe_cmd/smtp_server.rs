//! `wary probe smtp-server HOST:PORT [--tls auto|starttls|implicit] [--json] [--html FILE]`:
//! checks one mail server's STARTTLS, AUTH-before-TLS, pipelined-command injection
//! (CVE-2011-0411 class), certificate and TLS versions, on a STARTTLS port or an
//! implicit-TLS one (465). Exit status: 0 no flaw, 1 a flaw, 2 usage error or unreachable.
use crate::term::say;
use std::process::ExitCode;
use std::time::Duration;
use wary_probe::report::Progress;
use wary_probe::smtp_server::{self, Options, TlsMode};

/// How TLS starts on the port.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum TlsArg {
    /// Implicit TLS first on port 465, STARTTLS first elsewhere; the other if that fails.
    Auto,
    /// Plain SMTP, then STARTTLS (ports 25, 587).
    Starttls,
    /// TLS from the first byte (port 465, RFC 8314).
    Implicit,
}

/// Flags.
#[derive(clap::Args)]
pub struct Args {
    /// The server to probe, HOST:PORT (the only address contacted).
    #[arg(value_name = "HOST:PORT")]
    target: String,
    /// Print the report as JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write the report as a self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<std::path::PathBuf>,
    /// Verify the certificate against this name (default: HOST).
    #[arg(long, value_name = "NAME")]
    tls_server_name: Option<String>,
    /// Trust only the CA certificates in this PEM file (default: the system's roots).
    #[arg(long, value_name = "PEM")]
    ca_file: Option<std::path::PathBuf>,
    /// How TLS starts on the port.
    #[arg(long, value_enum, default_value_t = TlsArg::Auto)]
    tls: TlsArg,
    /// Seconds to wait for a connection or a reply.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    timeout: u64,
}

pub fn run(args: Args) -> ExitCode {
    let options = Options {
        target: args.target,
        server_name: args.tls_server_name,
        ca_file: args.ca_file,
        timeout: Duration::from_secs(args.timeout),
        tls: match args.tls {
            TlsArg::Auto => TlsMode::Auto,
            TlsArg::Starttls => TlsMode::StartTls,
            TlsArg::Implicit => TlsMode::Implicit,
        },
    };
    let mut progress = Progress::new();
    let result = smtp_server::run(&options, |i, n, name| progress.step(i, n, name));
    progress.finish();
    match result {
        Ok(probe) => super::emit(
            "smtp-server",
            &probe.report(),
            probe.exit_code(),
            args.html.as_deref(),
            args.json,
        ),
        Err(e) => {
            say!("wary probe smtp-server: {e}");
            ExitCode::from(2)
        }
    }
}
