//! `wary send`: flags -> validated submission config -> wary-smtp -> sysexits exit code.
//! (Being written: see issue 4.)
use std::process::ExitCode;

/// sysexits.h EX_CONFIG: bad flags or configuration.
pub const EX_CONFIG: u8 = 78;

/// `wary send` flags.
#[derive(clap::Args)]
pub struct SendArgs {}

pub fn run(_args: SendArgs) -> ExitCode {
    eprintln!("wary send: not built yet");
    ExitCode::from(EX_CONFIG)
}
