//! `wary probe xml-parser [--json] [--html FILE] [--only NAME] -- CMD ARGS…`: runs an XML
//! parser over the generated hostile corpus, under a time and memory limit per case, with a
//! loopback HTTP canary and canary files, and reports what it did.
//! Exit status: 0 safe on every case (slow or lenient cases are warnings), 1 some case
//! hung, crashed, blew up memory, read or fetched something, or disclosed a file, 2 usage or
//! harness error.
use crate::term::say;
use std::process::ExitCode;
use std::time::Duration;
use wary_probe::report::Progress;
use wary_probe::xml_corpus::CORPUS;
use wary_probe::xml_parser::{self, Options};

/// Flags.
#[derive(clap::Args)]
#[command(
    after_help = "Placeholder in CMD ARGS: {file} (the document's path).\n\
    Examples: wary probe xml-parser -- wary xml check {file}\n          \
    wary probe xml-parser -- xmllint --noout --noent {file}\n          \
    wary probe xml-parser -- xmlwf {file}"
)]
pub struct Args {
    /// Print the report as JSON on stdout instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write the report as a self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    html: Option<std::path::PathBuf>,
    /// Run only this case (repeatable; comma-separated lists work too).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    only: Vec<String>,
    /// Kill the parser after this many seconds in any one case.
    #[arg(long, value_name = "SECS", default_value_t = 3.0)]
    time_limit: f64,
    /// Kill the parser when its resident memory passes this many MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512, value_parser = clap::value_parser!(u64).range(8..=1_048_576))]
    memory_limit: u64,
    /// List the cases and exit.
    #[arg(long)]
    list: bool,
    /// The parser command, after `--`, with `{file}` where the document goes.
    #[arg(last = true, value_name = "CMD ARGS")]
    command: Vec<String>,
}

pub fn run(args: Args) -> ExitCode {
    if args.list {
        let list: String = CORPUS
            .iter()
            .map(|c| format!("{:<40} {}\n", c.name, c.attack))
            .collect();
        return super::print_list(&list);
    }
    if args.command.is_empty() {
        say!("wary probe xml-parser: give the parser command after `--` (see --help)");
        return ExitCode::from(2);
    }
    if !(args.time_limit > 0.0 && args.time_limit <= 600.0) {
        say!("wary probe xml-parser: --time-limit must be between 0 and 600 seconds");
        return ExitCode::from(2);
    }
    let options = Options {
        command: args.command,
        time_limit: Duration::from_secs_f64(args.time_limit),
        memory_limit: args.memory_limit << 20,
        only: args.only,
    };
    let mut progress = Progress::new();
    let result = xml_parser::run(&options, |i, n, name| progress.step(i, n, name));
    progress.finish();
    match result {
        Ok(probe) => super::emit(
            "xml-parser",
            &probe.report(),
            probe.exit_code(),
            args.html.as_deref(),
            args.json,
        ),
        Err(e) => {
            say!("wary probe xml-parser: {e}");
            ExitCode::from(2)
        }
    }
}
