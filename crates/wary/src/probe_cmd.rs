//! `wary probe`: run attack scenarios against other software and report. (Being written: see
//! issue 5.)
use std::process::ExitCode;

/// `wary probe` flags.
#[derive(clap::Args)]
pub struct ProbeArgs {}

pub fn run(_args: ProbeArgs) -> ExitCode {
    eprintln!("wary probe: not built yet");
    ExitCode::from(2)
}
