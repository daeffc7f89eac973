//! `wary-bench`: measures wary-xml against its peers (quick-xml, xmlparser, roxmltree, xml-rs,
//! Expat's xmlwf, libxml2's xmllint) side by side, on the same inputs, in one run (`xml`), and
//! wary-smtp against lettre and Python's smtplib over one TLS connection to a local sink
//! (`smtp`); each writes its part of docs/performance.md with the tables, charts and the
//! verdicts on issue 6's targets.
//!
//! Run it through `scripts/bench`, which installs the peers and builds everything first.
//! The `parse` and `measure` subcommands are the benchmark's own child processes.
#![forbid(unsafe_code)]

mod chart;
mod doc;
mod generate;
mod inputs;
mod machine;
mod measure;
mod parsers;
mod profile;
mod report;
mod run;
mod smtp;

use anyhow::{bail, Context, Result};
use clap::{Parser as _, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(clap::Parser)]
#[command(
    name = "wary-bench",
    about = "Benchmark wary-xml against peer XML parsers and wary-smtp against peer SMTP clients"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the XML benchmark and write its part of docs/performance.md.
    Xml(RunArgs),
    /// Run the SMTP benchmark (wary-smtp, lettre, smtplib against a local sink) and write
    /// its part of docs/performance.md.
    Smtp(smtp::SmtpArgs),
    /// Make (or find in the cache) the XML benchmark's inputs and print one line per input:
    /// name, path, bytes, elements, `real` or `synthetic`, description, tab-separated. Other
    /// benchmarks (the Python one, `scripts/bench python`) measure the same documents.
    Inputs(InputsArgs),
    /// (internal) Parse one file with one library and print its element count.
    #[command(hide = true)]
    Parse {
        /// wary, quick-xml, xmlparser, roxmltree or xml-rs.
        parser: String,
        /// The document.
        file: PathBuf,
    },
    /// (internal) Run a program, then print its time and peak memory.
    #[command(hide = true)]
    Measure {
        /// Kill the program after this long.
        #[arg(long, default_value_t = 900)]
        timeout_secs: u64,
        /// The program and its arguments.
        #[arg(last = true, required = true)]
        program: Vec<OsString>,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Small inputs and few repetitions: for development; the targets need a full run.
    #[arg(long)]
    quick: bool,
    /// Repetitions per parser and input (default 5, quick 2).
    #[arg(long)]
    reps: Option<usize>,
    /// Size of each throughput input in MiB (default 50, quick 4).
    #[arg(long)]
    size_mib: Option<u64>,
    /// Size of the memory input in MiB (default 1024, quick 64).
    #[arg(long)]
    large_mib: Option<u64>,
    /// Cache folder for the inputs.
    #[arg(long, default_value = "target/bench-inputs")]
    cache: PathBuf,
    /// Folder for the large input, deleted afterwards (default: a new folder in $TMPDIR).
    #[arg(long)]
    large_dir: Option<PathBuf>,
    /// The `wary` binary (default: next to this one).
    #[arg(long)]
    wary: Option<PathBuf>,
    /// The report to write the XML part of; the SVG charts go beside it. Default:
    /// docs/performance.md, or target/bench-quick/performance.md with `--quick`, so that
    /// indicative numbers never replace the committed ones by accident.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only these parsers (comma-separated ids: wary-cli, wary, quick-xml, xmlparser,
    /// roxmltree, xml-rs, xmlwf, xmlwf-r, xmllint).
    #[arg(long, value_delimiter = ',')]
    parsers: Option<Vec<String>>,
    /// Skip the callgrind profile of wary.
    #[arg(long)]
    no_profile: bool,
    /// Kill a single parse after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout_secs: u64,
}

#[derive(clap::Args)]
struct InputsArgs {
    /// Only these inputs (comma-separated names, as in the XML tables; `large` is the memory
    /// input). Default: every throughput input.
    #[arg(long, value_delimiter = ',')]
    names: Option<Vec<String>>,
    /// Size of each throughput input in MiB.
    #[arg(long, default_value_t = 50)]
    size_mib: u64,
    /// Size of the memory input (`large`) in MiB.
    #[arg(long, default_value_t = 1024)]
    large_mib: u64,
    /// Cache folder for the throughput inputs.
    #[arg(long, default_value = "target/bench-inputs")]
    cache: PathBuf,
    /// Folder for the large input; the caller deletes it (it is not cached).
    #[arg(long)]
    large_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Xml(args) => run_main(args),
        Command::Smtp(args) => smtp::main(args),
        Command::Inputs(args) => inputs_main(args),
        Command::Parse { parser, file } => parse_main(&parser, &file),
        Command::Measure {
            timeout_secs,
            program,
        } => measure::measure_main(&program, Duration::from_secs(timeout_secs)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wary-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn inputs_main(args: InputsArgs) -> Result<()> {
    let mut specs = inputs::catalog();
    specs.push(inputs::large_spec());
    let wanted: Vec<inputs::InputSpec> = match &args.names {
        None => specs.into_iter().filter(|s| s.name != "large").collect(),
        Some(names) => names
            .iter()
            .map(|n| {
                specs
                    .iter()
                    .find(|s| s.name == n.as_str())
                    .cloned()
                    .with_context(|| format!("unknown input {n:?} in --names"))
            })
            .collect::<Result<_>>()?,
    };
    for spec in &wanted {
        let (dir, size) = if spec.name == "large" {
            let Some(dir) = &args.large_dir else {
                bail!("the large input needs --large-dir (it is not cached)");
            };
            (dir, args.large_mib << 20)
        } else {
            (&args.cache, args.size_mib << 20)
        };
        let input = inputs::prepare(spec, dir, size)?;
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            spec.name,
            input.path.display(),
            input.bytes,
            input.elements,
            if spec.real { "real" } else { "synthetic" },
            spec.description
        );
    }
    Ok(())
}

fn parse_main(id: &str, file: &std::path::Path) -> Result<()> {
    // A panic (wary's reader before it is written is a `todo!()`) becomes one clear line.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("panicked: {message}{at}");
    }));
    let Some(parser) = parsers::Parser::from_id(id).filter(|p| p.in_process()) else {
        bail!("unknown library parser {id:?}");
    };
    let elements = parsers::run(parser, file)?;
    println!("elements {elements}");
    Ok(())
}

fn run_main(args: RunArgs) -> Result<()> {
    let self_exe = std::env::current_exe().context("cannot find the benchmark's own binary")?;
    let parsers = match &args.parsers {
        None => parsers::ALL.to_vec(),
        Some(ids) => ids
            .iter()
            .map(|id| {
                parsers::Parser::from_id(id)
                    .with_context(|| format!("unknown parser {id:?} in --parsers"))
            })
            .collect::<Result<_>>()?,
    };
    let (reps, size, large) = if args.quick {
        (2, 4, 64)
    } else {
        (5, 50, 1024)
    };
    let large_dir = args
        .large_dir
        .unwrap_or_else(|| std::env::temp_dir().join(format!("wary-bench-{}", std::process::id())));
    let wary_bin = args.wary.unwrap_or_else(|| self_exe.with_file_name("wary"));
    let config = run::Config {
        quick: args.quick,
        reps: args.reps.unwrap_or(reps).max(1),
        size: args.size_mib.unwrap_or(size) << 20,
        large_size: args.large_mib.unwrap_or(large) << 20,
        cache: args.cache,
        large_dir,
        wary_bin,
        timeout: Duration::from_secs(args.timeout_secs),
        parsers,
        profile: !args.no_profile,
    };
    let machine = machine::collect();
    let results = run::run(config)?;
    let verdicts = report::verdicts(&results);
    let doc = report::markdown(&results, &machine, &verdicts);
    doc::publish(
        args.out,
        args.quick,
        "xml",
        &doc,
        &[
            (report::THROUGHPUT_SVG, report::throughput_svg(&results)),
            (report::MEMORY_SVG, report::memory_svg(&results)),
        ],
        &verdicts,
        "Targets (issue 6)",
    )
}
