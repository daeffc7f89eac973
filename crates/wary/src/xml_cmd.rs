//! `wary xml check|canon`. (Being written: see issue 2.)
use std::process::ExitCode;

/// `wary xml` flags.
#[derive(clap::Args)]
pub struct XmlArgs {}

pub fn run(_args: XmlArgs) -> ExitCode {
    eprintln!("wary xml: not built yet");
    ExitCode::from(2)
}
