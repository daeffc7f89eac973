//! `wary xml check|canon`: check that a document is well-formed, or write its canonical form,
//! with wary-xml.
//!
//! Exit codes (issue 2): 0 well-formed; 1 not well-formed (`FILE:LINE:COL: error: …` on
//! stderr); 2 usage or I/O error; 3 a security limit stopped parsing.

use crate::term::{say, UntilClosed};
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wary_xml::{
    canon, terminal_safe, Error, ErrorKind, ExternalEntities, Fault, Limit, Limits, Options, Reader,
};

/// Exit code: the document is well-formed (and its canonical form was written).
const EXIT_OK: u8 = 0;
/// Exit code: the document is not well-formed.
const EXIT_NOT_WELL_FORMED: u8 = 1;
/// Exit code: a usage or I/O error (clap's own usage errors exit 2 in main.rs too).
const EXIT_USAGE_OR_IO: u8 = 2;
/// Exit code: a security limit stopped parsing.
const EXIT_LIMIT: u8 = 3;

/// `wary xml` flags.
#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 well-formed, 1 not well-formed, 2 usage or I/O error, \
                        3 a security limit stopped parsing."
)]
pub struct XmlArgs {
    #[command(subcommand)]
    command: XmlCommand,
}

#[derive(clap::Subcommand)]
enum XmlCommand {
    /// Check that a document is well-formed (XML 1.0 Fifth Edition, Namespaces in XML 1.0).
    Check(InputArgs),
    /// Write the document's canonical form (James Clark's, as the W3C conformance suite uses
    /// it) to stdout. On error, what was written is incomplete: rely on the exit status.
    Canon(InputArgs),
}

#[derive(clap::Args)]
struct InputArgs {
    /// Whether to load external entities (external DTD subset, external parsed entities).
    /// `local` loads local files only, inside the entity root; nothing is ever fetched from
    /// the network.
    #[arg(long, value_enum, default_value_t = ExternalMode::Off)]
    external_entities: ExternalMode,
    /// The folder every loaded entity must lie in (default: the document's folder, or the
    /// current folder for stdin). Only with `--external-entities local`.
    #[arg(long, value_name = "DIR")]
    entity_root: Option<PathBuf>,
    /// The document; `-` or nothing reads stdin.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Overrides of `wary_xml::Limits`, one flag per field (`max_depth` is `--max-depth`; see
/// [`limit_flag`]). Each default is the library's constant (`Limits::DEFAULT_*`), so the help
/// shows the number the library uses and cannot drift from it.
#[derive(clap::Args)]
#[command(
    next_help_heading = "Security limits (defaults are secure; raise one only for a \
                               document you trust)"
)]
struct LimitArgs {
    /// Maximum element nesting depth.
    #[arg(long, value_name = "N", value_parser = at_least_one(),
          default_value_t = Limits::DEFAULT_MAX_DEPTH)]
    max_depth: usize,
    /// Maximum nesting of entity references being expanded.
    #[arg(long, value_name = "N", value_parser = at_least_one(),
          default_value_t = Limits::DEFAULT_MAX_ENTITY_DEPTH)]
    max_entity_depth: usize,
    /// Past the threshold, entity expansion may produce at most this many times the bytes
    /// read.
    #[arg(long, value_name = "RATIO", value_parser = clap::value_parser!(u64).range(1..),
          default_value_t = Limits::DEFAULT_MAX_AMPLIFICATION)]
    max_amplification: u64,
    /// Expansion output below this many bytes is never counted as amplification.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..),
          default_value_t = Limits::DEFAULT_AMPLIFICATION_THRESHOLD)]
    amplification_threshold: u64,
    /// Maximum attributes in one start tag, defaults included.
    #[arg(long, value_name = "N", value_parser = at_least_one(),
          default_value_t = Limits::DEFAULT_MAX_ATTRIBUTES)]
    max_attributes: usize,
    /// Maximum length of a name in bytes.
    #[arg(long, value_name = "BYTES", value_parser = at_least_one(),
          default_value_t = Limits::DEFAULT_MAX_NAME_LEN)]
    max_name_len: usize,
    /// Maximum size of one token held whole (tag, comment, PI, declaration).
    #[arg(long, value_name = "BYTES", value_parser = at_least_one(),
          default_value_t = Limits::DEFAULT_MAX_TOKEN_LEN)]
    max_token_len: usize,
    /// Maximum bytes kept in memory across tokens: open element names, namespace
    /// bindings, DTD declarations, entities being expanded, skipped-entity names.
    #[arg(long, value_name = "BYTES", value_parser = at_least_one(),
          default_value_t = Limits::DEFAULT_MAX_RETAINED_BYTES)]
    max_retained_bytes: usize,
}

/// A limit of 1 or more (0 would refuse every document: a usage error instead) that fits in
/// `usize` (a larger value is refused rather than silently lowered).
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits::default()
            .with_max_depth(self.max_depth)
            .with_max_entity_depth(self.max_entity_depth)
            .with_max_amplification(self.max_amplification)
            .with_amplification_threshold(self.amplification_threshold)
            .with_max_attributes(self.max_attributes)
            .with_max_name_len(self.max_name_len)
            .with_max_token_len(self.max_token_len)
            .with_max_retained_bytes(self.max_retained_bytes)
    }
}

/// The flag that sets `limit`: its `Limits` field with dashes (`max_depth` is
/// `--max-depth`), the rule every field of [`LimitArgs`] follows (clap derives a long flag
/// from the field's name).
fn limit_flag(limit: Limit) -> String {
    format!("--{}", limit.field_name().replace('_', "-"))
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ExternalMode {
    /// Never load anything external (the default).
    Off,
    /// Load local files inside the entity root only.
    Local,
}

/// Runs `wary xml …` and returns the exit code.
pub fn run(args: XmlArgs) -> ExitCode {
    let (input, canonical) = match args.command {
        XmlCommand::Check(input) => (input, false),
        XmlCommand::Canon(input) => (input, true),
    };
    ExitCode::from(run_input(&input, canonical))
}

fn run_input(args: &InputArgs, canonical: bool) -> u8 {
    let options = match options(args) {
        Ok(o) => o,
        Err(msg) => {
            say!("wary xml: error: {msg}");
            return EXIT_USAGE_OR_IO;
        }
    };
    let path = args.file.as_deref().filter(|p| *p != Path::new("-"));
    // Every message starts with the path, which may hold any byte: shown terminal-safe.
    let name = path.map_or_else(
        || "<stdin>".to_owned(),
        |p| terminal_safe(&p.display().to_string()).into_owned(),
    );
    let mut reader = match path {
        Some(p) => match Reader::from_path(p, options) {
            Ok(r) => r,
            Err(e) => return report(&name, &e, args),
        },
        // (`Stdin`, not its lock: the reader is `Send`, and reads 64 KiB at a time.)
        None => Reader::new(io::stdin(), options),
    };

    let skipped = if canonical {
        // A closed pipe (`wary xml canon f | head`) is the reader's choice and a normal end,
        // as in ripgrep: no message. The rest of the document is still read, unwritten, so
        // that the exit status says whether it is well-formed, as it does for `check`.
        let out = UntilClosed::new(io::stdout().lock());
        match canon::write_canonical(&mut reader, out) {
            Ok(summary) => summary.skipped_entities,
            Err(canon::CanonError::Xml(e)) => return report(&name, &e, args),
            Err(canon::CanonError::Write(e)) => {
                say!("wary xml: error: cannot write to stdout: {e}");
                return EXIT_USAGE_OR_IO;
            }
            Err(e) => {
                say!("wary xml: error: {e}");
                return EXIT_USAGE_OR_IO;
            }
        }
    } else {
        match check(&mut reader) {
            Ok(skipped) => skipped,
            Err(e) => return report(&name, &e, args),
        }
    };
    for entity in skipped.iter().take(10) {
        let shown = terminal_safe(entity);
        if reader.entity_declared(entity) {
            say!(
                "{name}: note: external entity '{shown}' was not loaded, so its content was not \
                 checked; use --external-entities local to load it"
            );
        } else {
            // Only a declared external entity can be loaded; this one is declared nowhere
            // that was read (XML 1.0 VC: Entity Declared, a validity error only in a
            // document with an external subset or parameter-entity references).
            say!(
                "{name}: note: entity '{shown}' is not declared in the part of the DTD that \
                 was read, so its references were left out (XML 1.0 VC: Entity Declared)"
            );
        }
    }
    if skipped.len() > 10 {
        say!(
            "{name}: note: {} more entities were not loaded or not declared",
            skipped.len() - 10
        );
    }
    EXIT_OK
}

/// Reads the whole document; returns the external entities that were skipped.
fn check(reader: &mut Reader<'_>) -> Result<Vec<String>, Error> {
    while reader.next_event()?.is_some() {}
    // The reader keeps the distinct names once each (a set, counted by its memory budget).
    Ok(reader.skipped_entities().map(str::to_owned).collect())
}

/// Flags -> reader options, refusing combinations that would not do what they say.
fn options(args: &InputArgs) -> Result<Options, String> {
    let external_entities = match (args.external_entities, &args.entity_root) {
        (ExternalMode::Off, None) => ExternalEntities::Off,
        (ExternalMode::Off, Some(_)) => {
            return Err(
                "--entity-root only applies with --external-entities local (external entities \
                 are off by default)"
                    .to_owned(),
            )
        }
        (ExternalMode::Local, None) => ExternalEntities::local(),
        (ExternalMode::Local, Some(dir)) => {
            if !dir.is_dir() {
                return Err(format!(
                    "--entity-root {}: not a folder that can be read",
                    terminal_safe(&dir.display().to_string())
                ));
            }
            ExternalEntities::local_in(dir)
        }
    };
    Ok(Options::new()
        .with_external_entities(external_entities)
        .with_limits(args.limits.limits()))
}

/// Prints an error as `FILE:LINE:COL: error: …` and returns the exit code its fault calls for.
/// (The library made the message and the entity label terminal-safe, and `name` is.)
fn report(name: &str, e: &Error, args: &InputArgs) -> u8 {
    let mut line = match e.position() {
        Some(p) if e.fault() != Fault::Io && e.fault() != Fault::Caller => {
            format!("{name}:{}:{}: error: {}", p.line, p.column, e.message())
        }
        _ => format!("{name}: error: {}", e.message()),
    };
    // A limit error's message names its `Limits` field already; its flag comes below.
    if !e.rule().is_empty() && e.limit().is_none() {
        line.push_str(&format!(" ({})", e.rule()));
    }
    if let Some(entity) = e.position().and_then(|p| p.entity.as_deref()) {
        line.push_str(&format!(" [in entity {entity}]"));
    }
    let code = match e.fault() {
        Fault::Input => EXIT_NOT_WELL_FORMED,
        Fault::Limit if e.kind() == ErrorKind::ExternalEntityRefused => {
            line.push_str(match args.external_entities {
                ExternalMode::Off => {
                    "\nwary xml: external entities are off; --external-entities local loads \
                     local files inside the entity root (--entity-root)"
                }
                ExternalMode::Local => {
                    "\nwary xml: only relative paths to files inside the entity root are \
                     loaded; --entity-root sets that folder (default: the document's)"
                }
            });
            EXIT_LIMIT
        }
        Fault::Limit => {
            line.push_str(
                "\nwary xml: a security limit stopped parsing: the document may be an attack, \
                 or the limit too low for it",
            );
            // The library names its own field (`Limits::max_depth`); the flag is ours.
            if let Some(limit) = e.limit() {
                line.push_str(&format!(
                    "; raise it with {} if you trust the document",
                    limit_flag(limit)
                ));
            }
            EXIT_LIMIT
        }
        // Fault::Io, Fault::Caller, and any later kind: not the document's fault.
        _ => EXIT_USAGE_OR_IO,
    };
    say!("{line}");
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        limits: LimitArgs,
    }

    /// Every limit the library can report has the flag `report` tells the user to raise, and
    /// that flag sets the limit's own field; with no flags the limits are the library's.
    #[test]
    fn every_limit_maps_to_a_flag_that_sets_it() {
        let command = Flags::command();
        for &limit in Limit::ALL {
            let flag = limit_flag(limit);
            assert!(
                command
                    .get_arguments()
                    .any(|a| a.get_long() == flag.strip_prefix("--")),
                "no {flag} for {limit}"
            );
            let parsed = Flags::try_parse_from(["wary", flag.as_str(), "7"])
                .unwrap_or_else(|e| panic!("{flag} 7: {e}"));
            let limits = parsed.limits.limits();
            for &other in Limit::ALL {
                let want = if other == limit {
                    7
                } else {
                    Limits::default().value(other)
                };
                assert_eq!(limits.value(other), want, "{flag} 7, {other}");
            }
        }
        let none = Flags::try_parse_from(["wary"]).map(|f| f.limits.limits());
        assert_eq!(none.ok(), Some(Limits::default()));
    }
}
