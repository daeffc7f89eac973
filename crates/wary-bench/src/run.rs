//! The benchmark run: prepares the inputs, checks which parsers can run, measures every
//! parser on every input (repetitions interleaved, so that a burst of load on the machine
//! hits all parsers alike), then the large document once per streaming parser.
//!
//! Every run is checked, not only timed: the process must exit 0 and print nothing unexpected,
//! and an in-process parser must report exactly the input's element count. A parser that fails
//! on an input gets that failure in the table instead of a number.

use crate::inputs::{self, Input};
use crate::measure::{run_measured, Outcome, Sample};
use crate::parsers::{Parser, ALL};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// `--quick`: small inputs, few repetitions (for development, not for the targets).
    pub quick: bool,
    /// Repetitions per parser and input; the median is reported.
    pub reps: usize,
    /// Size of each throughput input in bytes.
    pub size: u64,
    /// Size of the memory input in bytes.
    pub large_size: u64,
    /// Cache folder for the throughput inputs.
    pub cache: PathBuf,
    /// Folder for the large input (deleted afterwards).
    pub large_dir: PathBuf,
    /// The `wary` binary, for `wary xml check`.
    pub wary_bin: PathBuf,
    /// Longest a single parse may take.
    pub timeout: Duration,
    /// The parsers to run.
    pub parsers: Vec<Parser>,
    /// Whether to profile wary with callgrind.
    pub profile: bool,
}

/// The measurements of one parser on one input.
#[derive(Clone, Debug, Default)]
pub struct Cell {
    /// Every successful repetition.
    pub samples: Vec<Sample>,
    /// Why it could not be measured, if it could not.
    pub error: Option<String>,
}

impl Cell {
    /// The samples, if every run succeeded: one failed repetition voids the cell, so that a
    /// parser that fails now and then shows its failure rather than a number.
    fn valid(&self) -> &[Sample] {
        if self.error.is_some() {
            &[]
        } else {
            &self.samples
        }
    }
    /// The median wall time.
    pub fn median_wall(&self) -> Option<Duration> {
        median(self.valid().iter().map(|s| s.wall).collect())
    }
    /// The median CPU time.
    pub fn median_cpu(&self) -> Option<Duration> {
        median(self.valid().iter().map(|s| s.cpu).collect())
    }
    /// The largest peak RSS over the repetitions, in KiB.
    pub fn peak_kib(&self) -> Option<u64> {
        self.valid().iter().map(|s| s.maxrss_kib).max()
    }
    /// Throughput in MB/s (10^6 bytes per second) from the median wall time.
    pub fn mb_per_s(&self, bytes: u64) -> Option<f64> {
        self.median_wall()
            .map(|t| bytes as f64 / 1e6 / t.as_secs_f64().max(1e-9))
    }
}

/// Everything a run measured.
#[derive(Debug)]
pub struct Results {
    /// The configuration it ran with.
    pub config: Config,
    /// The throughput inputs, in table order.
    pub inputs: Vec<Input>,
    /// The large input (its file is gone by now).
    pub large: Option<Input>,
    /// Parsers that could not run at all, with the reason.
    pub unavailable: BTreeMap<&'static str, String>,
    /// `(parser, input index)` → measurements.
    pub cells: BTreeMap<(usize, usize), Cell>,
    /// parser → measurement on the large input.
    pub large_cells: BTreeMap<usize, Cell>,
    /// The measuring floor: `/bin/true` measured the same way.
    pub floor: Option<Sample>,
    /// The callgrind profile of wary, if made.
    pub profile: Option<crate::profile::Profile>,
    /// How long the whole run took.
    pub took: Duration,
}

impl Results {
    /// The cell of a parser on a throughput input.
    pub fn cell(&self, parser: Parser, input: usize) -> Option<&Cell> {
        self.cells.get(&(index(parser), input))
    }
    /// The cell of a parser on the large input.
    pub fn large_cell(&self, parser: Parser) -> Option<&Cell> {
        self.large_cells.get(&index(parser))
    }
}

/// The position of a parser in [`ALL`], used as a map key.
pub fn index(parser: Parser) -> usize {
    ALL.iter().position(|p| *p == parser).unwrap_or(usize::MAX)
}

/// Runs the whole benchmark.
pub fn run(config: Config) -> Result<Results> {
    let started = std::time::Instant::now();
    let self_exe = std::env::current_exe().context("cannot find the benchmark's own binary")?;
    let mut inputs = Vec::new();
    for spec in inputs::catalog() {
        inputs.push(inputs::prepare(&spec, &config.cache, config.size)?);
    }

    let mut unavailable = BTreeMap::new();
    let mut parsers = Vec::new();
    for &parser in &config.parsers {
        match check_available(parser, &self_exe, &config) {
            Ok(()) => parsers.push(parser),
            Err(why) => {
                eprintln!("bench: {} cannot run: {why}", parser.name());
                unavailable.insert(parser.name(), why);
            }
        }
    }

    let floor = run_measured(&self_exe, &[OsString::from("/bin/true")], config.timeout)
        .ok()
        .map(|o| o.sample);

    let mut cells: BTreeMap<(usize, usize), Cell> = BTreeMap::new();
    for input in &inputs {
        warm(&input.path)?;
    }
    for rep in 0..config.reps {
        for (i, input) in inputs.iter().enumerate() {
            for &parser in &parsers {
                let cell = cells.entry((index(parser), i)).or_default();
                if cell.error.is_some() {
                    continue;
                }
                measure_into(cell, parser, input, &self_exe, &config);
                report_progress(
                    &format!("rep {}/{}", rep + 1, config.reps),
                    parser,
                    input,
                    cell,
                );
            }
        }
    }

    let profile = if config.profile && parsers.contains(&Parser::WaryLib) {
        crate::profile::profile(&self_exe, &inputs[0], &parsers, &config)
            .map_err(|e| eprintln!("bench: no callgrind profile: {e:#}"))
            .ok()
    } else {
        None
    };

    let (large, large_cells) = run_large(&parsers, &self_exe, &config)?;
    Ok(Results {
        config,
        inputs,
        large: Some(large),
        unavailable,
        cells,
        large_cells,
        floor,
        profile,
        took: started.elapsed(),
    })
}

/// The large document: written to a temporary folder, parsed once by each streaming parser,
/// then deleted.
fn run_large(
    parsers: &[Parser],
    self_exe: &Path,
    config: &Config,
) -> Result<(Input, BTreeMap<usize, Cell>)> {
    let dir = &config.large_dir;
    let input = inputs::prepare(&inputs::large_spec(), dir, config.large_size)?;
    warm(&input.path)?;
    let mut cells = BTreeMap::new();
    for &parser in parsers {
        let mut cell = Cell::default();
        if parser.whole_document() {
            cell.error = Some("not run: holds the whole document in memory".into());
        } else {
            measure_into(&mut cell, parser, &input, self_exe, config);
            report_progress("large", parser, &input, &cell);
        }
        cells.insert(index(parser), cell);
    }
    // The large file is never kept: it is regenerated in seconds.
    let _ = std::fs::remove_file(&input.path);
    let _ = std::fs::remove_file(input.path.with_extension("ok"));
    let _ = std::fs::remove_dir(dir);
    Ok((input, cells))
}

fn measure_into(cell: &mut Cell, parser: Parser, input: &Input, self_exe: &Path, config: &Config) {
    let program = command(parser, &input.path, self_exe, config);
    match run_measured(self_exe, &program, config.timeout) {
        Ok(outcome) => match check_outcome(parser, &outcome, Some(input.elements)) {
            Ok(()) => cell.samples.push(outcome.sample),
            Err(why) => cell.error = Some(why),
        },
        Err(e) => cell.error = Some(format!("{e:#}")),
    }
}

fn report_progress(what: &str, parser: Parser, input: &Input, cell: &Cell) {
    match (&cell.error, cell.samples.last()) {
        (Some(e), _) => eprintln!(
            "bench: {what} {} {}: FAILED: {e}",
            input.spec.name,
            parser.name()
        ),
        (None, Some(s)) => eprintln!(
            "bench: {what} {} {}: {:.1} MB/s, {:.1} MiB",
            input.spec.name,
            parser.name(),
            input.bytes as f64 / 1e6 / s.wall.as_secs_f64().max(1e-9),
            s.maxrss_kib as f64 / 1024.0
        ),
        (None, None) => {}
    }
}

/// The command line that parses `path` with `parser`.
pub fn command(parser: Parser, path: &Path, self_exe: &Path, config: &Config) -> Vec<OsString> {
    let mut cmd: Vec<OsString> = match parser {
        Parser::WaryCli => vec![config.wary_bin.clone().into(), "xml".into(), "check".into()],
        Parser::Xmlwf => vec!["xmlwf".into()],
        Parser::XmlwfRead => vec!["xmlwf".into(), "-r".into()],
        Parser::Xmllint => ["xmllint", "--stream", "--noout", "--huge"]
            .map(OsString::from)
            .to_vec(),
        _ => vec![self_exe.into(), "parse".into(), parser.id().into()],
    };
    cmd.push(path.into());
    cmd
}

/// Whether a run did what it should: exit 0, no complaint, every element seen.
fn check_outcome(parser: Parser, o: &Outcome, elements: Option<u64>) -> Result<(), String> {
    let first_line = |s: &str| {
        s.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string()
    };
    if o.code != Some(0) {
        let said = first_line(&o.stderr);
        let said = if said.is_empty() {
            first_line(&o.stdout)
        } else {
            said
        };
        return Err(format!("{}: {said}", o.status));
    }
    if parser.in_process() {
        let seen = o
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("elements "))
            .and_then(|n| n.trim().parse::<u64>().ok());
        match (seen, elements) {
            (Some(seen), Some(want)) if seen != want => {
                return Err(format!("saw {seen} elements, the input has {want}"))
            }
            (None, _) => return Err("printed no element count".into()),
            _ => {}
        }
    } else {
        // xmlwf reports errors on standard output (and older versions exit 0 after them).
        let complaint = o
            .stdout
            .lines()
            .chain(o.stderr.lines())
            .find(|l| !l.trim().is_empty() && !benign(parser, l));
        if let Some(said) = complaint {
            return Err(format!("exit 0 but complained: {said}"));
        }
    }
    Ok(())
}

/// Notices that are not complaints: xmlwf, asked to map a file larger than it maps, says so
/// and reads it instead.
fn benign(parser: Parser, line: &str) -> bool {
    parser == Parser::Xmlwf
        && line.ends_with("file too large for memory-mapping, switching to streaming")
}

/// Runs the parser on a tiny well-formed and a tiny malformed document: it must accept the
/// first and reject the second, or its numbers would mean nothing.
fn check_available(parser: Parser, self_exe: &Path, config: &Config) -> Result<(), String> {
    let dir = &config.cache;
    let good = dir.join("probe-good.xml");
    let bad = dir.join("probe-bad.xml");
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&good, "<r a='1'><s>x &amp; y</s><s/></r>\n"))
        .and_then(|()| std::fs::write(&bad, "<r><s></t></r>\n"))
        .map_err(|e| format!("cannot write probe documents in {}: {e}", dir.display()))?;
    if parser == Parser::WaryCli && !config.wary_bin.exists() {
        return Err(format!(
            "{} does not exist (build it with `cargo build --release -p wary`)",
            config.wary_bin.display()
        ));
    }
    let timeout = Duration::from_secs(30);
    let run =
        |path: &Path| run_measured(self_exe, &command(parser, path, self_exe, config), timeout);
    let good_run = run(&good).map_err(|e| format!("{e:#}"))?;
    check_outcome(parser, &good_run, Some(3))
        .map_err(|e| format!("fails on a tiny well-formed document: {e}"))?;
    let bad_run = run(&bad).map_err(|e| format!("{e:#}"))?;
    if parser.checks_end_tags() && check_outcome(parser, &bad_run, None).is_ok() {
        return Err("accepts a document with a mismatched end tag".into());
    }
    if bad_run.code.is_none() {
        return Err(format!(
            "crashes on a malformed document ({})",
            bad_run.status
        ));
    }
    Ok(())
}

/// Reads the file once so that every parser finds it in the page cache.
fn warm(path: &Path) -> Result<()> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buf = vec![0; 1 << 20];
    while file.read(&mut buf)? > 0 {}
    Ok(())
}

/// The median (the mean of the middle two for an even count).
pub fn median(mut values: Vec<Duration>) -> Option<Duration> {
    values.sort();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|m| Duration::from_millis(*m)).collect()
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(ms(&[30, 10, 20])), Some(Duration::from_millis(20)));
        assert_eq!(
            median(ms(&[40, 10, 20, 30])),
            Some(Duration::from_millis(25))
        );
        assert_eq!(median(vec![]), None);
    }

    fn outcome(code: Option<i32>, stdout: &str, stderr: &str) -> Outcome {
        Outcome {
            sample: Sample {
                wall: Duration::from_millis(1),
                cpu: Duration::from_millis(1),
                maxrss_kib: 1,
            },
            code,
            status: code.map_or("killed by signal 9".into(), |c| format!("exit {c}")),
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn runs_are_checked_not_only_timed() {
        let ok = outcome(Some(0), "elements 5\n", "");
        assert!(check_outcome(Parser::QuickXml, &ok, Some(5)).is_ok());
        let short = check_outcome(Parser::QuickXml, &ok, Some(6)).unwrap_err();
        assert!(short.contains("saw 5 elements, the input has 6"), "{short}");
        let failed = outcome(Some(1), "", "error: mismatched tag\n");
        let e = check_outcome(Parser::Xmllint, &failed, None).unwrap_err();
        assert_eq!(e, "exit 1: error: mismatched tag");
        // xmlwf may exit 0 yet print an error on standard output.
        let quiet_error = outcome(Some(0), "f.xml:1:9: mismatched tag\n", "");
        assert!(check_outcome(Parser::Xmlwf, &quiet_error, None).is_err());
        assert!(check_outcome(Parser::Xmlwf, &outcome(Some(0), "", ""), None).is_ok());
        let notice = "/tmp/x.xml: file too large for memory-mapping, switching to streaming\n";
        assert!(check_outcome(Parser::Xmlwf, &outcome(Some(0), notice, ""), None).is_ok());
        assert!(check_outcome(Parser::XmlwfRead, &outcome(Some(0), notice, ""), None).is_err());
        assert!(check_outcome(Parser::WaryLib, &outcome(Some(0), "", ""), Some(1)).is_err());
    }

    #[test]
    fn throughput_uses_the_median_wall_time() {
        let sample = |ms| Sample {
            wall: Duration::from_millis(ms),
            cpu: Duration::from_millis(ms),
            maxrss_kib: ms,
        };
        let cell = Cell {
            samples: vec![sample(500), sample(1000), sample(2000)],
            error: None,
        };
        assert_eq!(cell.mb_per_s(100_000_000), Some(100.0));
        assert_eq!(cell.peak_kib(), Some(2000));
        let failed_later = Cell {
            error: Some("exit 1".into()),
            ..cell
        };
        assert_eq!(failed_later.mb_per_s(100_000_000), None);
        assert_eq!(failed_later.peak_kib(), None);
    }
}
