//! `wary probe xml-parser`. (Being written: see issue 5.)
use std::process::ExitCode;

/// Flags.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    eprintln!("wary probe xml-parser: not built yet");
    ExitCode::from(2)
}
