//! Turns a run's results into the target verdicts of issue 6 §3 and into docs/performance.md
//! (tables, charts, inputs, method), every number computed from the run.

use crate::chart::{self, number, Chart};
use crate::machine::Machine;
use crate::parsers::{Parser, ALL};
use crate::run::{index, Cell, Results};
use std::fmt::Write;

/// wary's throughput over quick-xml's, on the real documents, at least.
pub const VS_QUICK_XML: f64 = 1.2;
/// wary's throughput over Expat's xmlwf, on the real documents, at least.
pub const VS_EXPAT: f64 = 2.5;
/// wary's peak memory on the 1 GB document, at most, in MiB.
pub const MAX_LARGE_MIB: f64 = 16.0;

/// The size of the memory target's document: 1 GB.
pub const LARGE_TARGET_BYTES: u64 = 1_000_000_000;

/// The throughput chart's file name, beside the report.
pub const THROUGHPUT_SVG: &str = "performance-xml-throughput.svg";
/// The memory chart's file name, beside the report.
pub const MEMORY_SVG: &str = "performance-xml-memory.svg";

/// One target of issue 6 §3, judged.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// What is compared and the numbers.
    pub text: String,
    /// Whether the target is met.
    pub pass: bool,
}

impl Verdict {
    /// `PASS` or `FAIL`.
    pub fn word(&self) -> &'static str {
        if self.pass {
            "PASS"
        } else {
            "FAIL"
        }
    }
}

/// The wary measurement the targets use: `wary xml check` when it could run, else the
/// library (said in the verdict), else `wary xml check` with both reasons.
fn wary_for(results: &Results) -> (Parser, String) {
    let runs = |p: Parser| {
        results.config.parsers.contains(&p) && !results.unavailable.contains_key(p.name())
    };
    if runs(Parser::WaryCli) {
        (Parser::WaryCli, String::new())
    } else if runs(Parser::WaryLib) {
        (Parser::WaryLib, " (`wary xml check` could not run)".into())
    } else {
        (Parser::WaryCli, String::new())
    }
}

/// Judges the targets of issue 6 §3.
pub fn verdicts(results: &Results) -> Vec<Verdict> {
    let (wary, note) = wary_for(results);
    let mut out = Vec::new();
    for (i, input) in results
        .inputs
        .iter()
        .enumerate()
        .filter(|(_, x)| x.spec.real)
    {
        let rate = |p: Parser| -> Result<f64, String> {
            let cell = results.cell(p, i);
            match cell.and_then(|c| c.mb_per_s(input.bytes)) {
                Some(v) => Ok(v),
                None => Err(why_missing(results, p, cell)),
            }
        };
        let cpu = |p: Parser| results.cell(p, i).and_then(Cell::median_cpu);
        // Against Expat, whichever way of running xmlwf was faster on this input.
        let expat = [Parser::Xmlwf, Parser::XmlwfRead]
            .into_iter()
            .filter(|p| rate(*p).is_ok())
            .max_by(|a, b| rate(*a).unwrap_or(0.0).total_cmp(&rate(*b).unwrap_or(0.0)))
            .unwrap_or(Parser::Xmlwf);
        for (peer, target) in [(Parser::QuickXml, VS_QUICK_XML), (expat, VS_EXPAT)] {
            let what = format!(
                "{}{note} vs {} on {}, throughput ≥ {target}×",
                wary.name(),
                peer.name(),
                input.spec.name
            );
            out.push(match (rate(wary), rate(peer)) {
                (Ok(w), Ok(p)) => {
                    // The CPU-time ratio, for context on a machine shared with other work.
                    let by_cpu = match (cpu(wary), cpu(peer)) {
                        (Some(a), Some(b)) => {
                            format!(" (by CPU time {:.2}×)", b.as_secs_f64() / a.as_secs_f64())
                        }
                        _ => String::new(),
                    };
                    Verdict {
                        text: format!(
                            "{what}: {} / {} MB/s = {:.2}×{by_cpu}",
                            number(w),
                            number(p),
                            w / p
                        ),
                        pass: w >= target * p,
                    }
                }
                (Err(_), _) => Verdict {
                    text: format!(
                        "{what}: wary not measured: {}",
                        wary_missing(results, |p| results.cell(p, i))
                    ),
                    pass: false,
                },
                (_, Err(e)) => Verdict {
                    text: format!("{what}: {} not measured: {e}", peer.name()),
                    pass: false,
                },
            });
        }
    }
    if let Some(large) = &results.large {
        // The target is about a 1 GB document: a smaller one (`--quick`, `--large-mib`)
        // is reported but cannot pass.
        let big_enough = large.bytes >= LARGE_TARGET_BYTES;
        let size = if big_enough {
            format!(" ({} MiB document)", large.bytes >> 20)
        } else {
            format!(
                " ({} MiB document: smaller than the target's 1 GB)",
                large.bytes >> 20
            )
        };
        let what = format!(
            "{}{note} peak memory on the large document ≤ {MAX_LARGE_MIB} MiB{size}",
            wary.name()
        );
        let cell = results.large_cell(wary);
        out.push(match cell.and_then(Cell::peak_kib) {
            Some(kib) => Verdict {
                text: format!("{what}: {:.1} MiB", kib as f64 / 1024.0),
                pass: (kib as f64 / 1024.0) <= MAX_LARGE_MIB && big_enough,
            },
            None => Verdict {
                text: format!(
                    "{what}: not measured: {}",
                    wary_missing(results, |p| results.large_cell(p))
                ),
                pass: false,
            },
        });
    }
    out
}

/// Why neither wary measurement is there.
fn wary_missing<'r>(results: &'r Results, cell: impl Fn(Parser) -> Option<&'r Cell>) -> String {
    [Parser::WaryCli, Parser::WaryLib]
        .map(|p| format!("{}: {}", p.name(), why_missing(results, p, cell(p))))
        .join("; ")
}

fn why_missing(results: &Results, parser: Parser, cell: Option<&Cell>) -> String {
    if let Some(why) = results.unavailable.get(parser.name()) {
        return why.clone();
    }
    cell.and_then(|c| c.error.clone())
        .unwrap_or_else(|| "not selected".into())
}

/// The parsers that appear in the tables: those selected, in table order.
fn shown(results: &Results) -> Vec<Parser> {
    ALL.into_iter()
        .filter(|p| results.config.parsers.contains(p))
        .collect()
}

/// Failures are numbered notes under a table, so the cells stay short.
struct Notes(Vec<String>);

impl Notes {
    fn cell(&mut self, results: &Results, parser: Parser, cell: Option<&Cell>) -> String {
        let why = why_missing(results, parser, cell);
        if let Some(n) = self.0.iter().position(|w| *w == why) {
            return format!("n/a [{}]", n + 1);
        }
        self.0.push(why);
        format!("n/a [{}]", self.0.len())
    }
    fn write(self, s: &mut String) {
        if !self.0.is_empty() {
            s.push('\n');
            for (i, why) in self.0.iter().enumerate() {
                let _ = writeln!(s, "[{}] {}  ", i + 1, why.replace('|', "\\|"));
            }
        }
    }
}

/// A markdown table of one value per parser and throughput input.
fn matrix(results: &Results, s: &mut String, value: impl Fn(&Cell, u64) -> Option<String>) {
    let inputs = &results.inputs;
    let _ = write!(s, "| parser |");
    for input in inputs {
        let _ = write!(s, " {} |", input.spec.name);
    }
    let _ = write!(s, "\n|---|");
    for _ in inputs {
        s.push_str("---:|");
    }
    s.push('\n');
    let mut notes = Notes(Vec::new());
    for parser in shown(results) {
        let _ = write!(s, "| {} |", parser.name());
        for (i, input) in inputs.iter().enumerate() {
            let cell = results.cell(parser, i);
            let text = match cell.and_then(|c| value(c, input.bytes)) {
                Some(v) => v,
                None => notes.cell(results, parser, cell),
            };
            let _ = write!(s, " {text} |");
        }
        s.push('\n');
    }
    notes.write(s);
}

/// The throughput chart's SVG.
pub fn throughput_svg(results: &Results) -> String {
    let parsers = shown(results);
    let names: Vec<(&str, usize)> = parsers.iter().map(|p| (p.name(), index(*p))).collect();
    let groups: Vec<(String, Vec<Option<f64>>)> = results
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let values = parsers
                .iter()
                .map(|p| results.cell(*p, i).and_then(|c| c.mb_per_s(input.bytes)))
                .collect();
            (input.spec.name.to_string(), values)
        })
        .collect();
    chart::render(&Chart {
        title: "Throughput, MB/s (median wall time; higher is better)",
        unit: "MB/s",
        series: &names,
        groups: &groups,
    })
}

/// The memory chart's SVG (the large document). Parsers that hold the whole document, and
/// xmlwf with its file mapped, are left out: their peak is the document's size and would
/// flatten every other bar.
pub fn memory_svg(results: &Results) -> String {
    let parsers: Vec<Parser> = shown(results)
        .into_iter()
        .filter(|p| !p.whole_document() && *p != Parser::Xmlwf)
        .collect();
    let names: Vec<(&str, usize)> = parsers.iter().map(|p| (p.name(), index(*p))).collect();
    let label = results
        .large
        .as_ref()
        .map_or("large".to_string(), |l| format!("{} MiB", l.bytes >> 20));
    let values = parsers
        .iter()
        .map(|p| {
            results
                .large_cell(*p)
                .and_then(Cell::peak_kib)
                .map(|k| k as f64 / 1024.0)
        })
        .collect();
    chart::render(&Chart {
        title: "Peak memory on the large document, MiB (lower is better)",
        unit: "MiB",
        series: &names,
        groups: &[(label, values)],
    })
}

/// The XML part of docs/performance.md (see [`crate::doc`] for the whole file).
pub fn markdown(results: &Results, machine: &Machine, verdicts: &[Verdict]) -> String {
    let c = &results.config;
    let mut s = String::new();
    let _ = writeln!(s, "## XML parsing\n");
    let _ = writeln!(
        s,
        "Measured {} on {} ({} logical CPUs, {:.1} GiB, Linux {}), load average at start {}; \
         {}; commit {}. {} run: inputs of {} MiB, {} repetitions each, median reported.\n",
        machine.date,
        machine.cpu,
        machine.nproc,
        machine.memory_gib,
        machine.kernel,
        machine.load,
        machine.rustc,
        machine.commit,
        if c.quick {
            "Quick (`--quick`, indicative only)"
        } else {
            "Full"
        },
        c.size >> 20,
        c.reps,
    );
    let _ = writeln!(s, "### Targets (issue 6)\n");
    for v in verdicts {
        let _ = writeln!(s, "- **{}** {}", v.word(), v.text);
    }

    let _ = writeln!(s, "\n### Throughput\n");
    let _ = writeln!(
        s,
        "MB/s (10^6 bytes per second of wall time), median of {} runs; each run is a separate \
         process, start-up included. Higher is better.\n",
        c.reps
    );
    matrix(results, &mut s, |cell, bytes| {
        cell.mb_per_s(bytes).map(number)
    });
    let _ = writeln!(s, "\n![throughput chart]({THROUGHPUT_SVG})\n");
    let _ = writeln!(
        s,
        "The same runs by CPU time (user + system), which other work on a shared machine \
         disturbs less:\n"
    );
    matrix(results, &mut s, |cell, bytes| {
        cell.median_cpu()
            .map(|t| number(bytes as f64 / 1e6 / t.as_secs_f64().max(1e-9)))
    });

    let _ = writeln!(s, "\n### Peak memory\n");
    let floor = results.floor.map_or(String::from("unknown"), |f| {
        format!("{:.1} MiB", f.maxrss_kib as f64 / 1024.0)
    });
    let _ = writeln!(
        s,
        "Peak resident set size in MiB (`ru_maxrss` of the process), the largest over the runs. \
         Floor of the measurement: {floor} (`/bin/true` measured the same way).\n"
    );
    matrix(results, &mut s, |cell, _| {
        cell.peak_kib().map(|k| format!("{:.1}", k as f64 / 1024.0))
    });
    large_section(results, &mut s);
    profile_section(results, &mut s);
    inputs_section(results, machine, &mut s);
    s
}

fn large_section(results: &Results, s: &mut String) {
    let Some(large) = &results.large else { return };
    let _ = writeln!(
        s,
        "\n### The large document\n\n{} MiB ({} bytes, {} elements): {}. Written to a temporary \
         folder, parsed once by each streaming parser, deleted.\n",
        large.bytes >> 20,
        large.bytes,
        large.elements,
        large.spec.description
    );
    let _ = writeln!(
        s,
        "| parser | seconds | MB/s | peak RSS, MiB |\n|---|---:|---:|---:|"
    );
    let mut notes = Notes(Vec::new());
    for parser in shown(results) {
        let cell = results.large_cell(parser);
        match (
            cell.and_then(Cell::median_wall),
            cell.and_then(Cell::peak_kib),
        ) {
            (Some(t), Some(kib)) => {
                let _ = writeln!(
                    s,
                    "| {} | {:.2} | {} | {:.1} |",
                    parser.name(),
                    t.as_secs_f64(),
                    number(large.bytes as f64 / 1e6 / t.as_secs_f64().max(1e-9)),
                    kib as f64 / 1024.0
                );
            }
            _ => {
                let n = notes.cell(results, parser, cell);
                let _ = writeln!(s, "| {} | {n} | | |", parser.name());
            }
        }
    }
    notes.write(s);
    let _ = writeln!(
        s,
        "\n![memory chart]({MEMORY_SVG})\n\n(The chart leaves out `xmlwf` without \
         `-r`, whose peak includes the memory-mapped file.)"
    );
}

fn profile_section(results: &Results, s: &mut String) {
    let Some(p) = &results.profile else { return };
    let per_byte = |n: u64| n as f64 / p.bytes.max(1) as f64;
    let _ = writeln!(
        s,
        "\n### Where the time goes\n\ncallgrind on {} MiB of the {} input ({} bytes). \
         Instructions executed, start-up included: unlike wall time, this count does not move \
         with other work on the machine. Lower is better.\n",
        p.bytes >> 20,
        p.input,
        p.bytes
    );
    let _ = writeln!(
        s,
        "| parser | instructions | per input byte |\n|---|---:|---:|"
    );
    for (parser, count) in &p.counts {
        match count {
            Ok(n) => {
                let _ = writeln!(s, "| {} | {n} | {:.1} |", parser.name(), per_byte(*n));
            }
            Err(e) => {
                let _ = writeln!(
                    s,
                    "| {} | n/a: {} | |",
                    parser.name(),
                    e.replace('|', "\\|")
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "\nwary-xml's `Reader` (`wary-bench parse wary`), {:.1} instructions per byte: the \
         functions with the most self cost (inlined code counted where the debug info puts \
         it):\n",
        per_byte(p.total)
    );
    let _ = writeln!(s, "| function | share of instructions |\n|---|---:|");
    for (name, n) in &p.functions {
        let _ = writeln!(
            s,
            "| `{}` | {:.1}% |",
            name.replace('|', "\\|"),
            *n as f64 * 100.0 / p.total.max(1) as f64
        );
    }
}

fn inputs_section(results: &Results, machine: &Machine, s: &mut String) {
    let _ = writeln!(
        s,
        "\n### Inputs\n\n| input | MiB | elements | what |\n|---|---:|---:|---|"
    );
    for input in &results.inputs {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {} | {} |",
            input.spec.name,
            input.bytes as f64 / (1 << 20) as f64,
            input.elements,
            input.spec.description
        );
    }
    let _ = writeln!(
        s,
        "\nAll are UTF-8 and deterministic (fixed-seed generators), cached in {}, and checked \
         with `xmllint --stream --noout --huge` when made. Every measured run is checked too: \
         exit status 0, no complaint, and for the libraries exactly the input's element count.\n",
        results.config.cache.display()
    );
    let _ = writeln!(s, "### Method\n");
    for parser in shown(results) {
        let _ = writeln!(s, "- **{}**: {}", parser.name(), parser.method());
    }
    let _ = writeln!(
        s,
        "\nThe libraries run in a child process of the benchmark (`wary-bench parse NAME FILE`), \
         the programs as themselves; each run is timed and its peak memory taken by a small \
         measuring process (`wary-bench measure`) that is its only parent. Repetitions are \
         interleaved across parsers and inputs, and every input is read once beforehand so \
         that all parsers find it in the page cache.\n"
    );
    let _ = writeln!(s, "Peers: {}.\n", machine.peers.join("; "));
    let _ = writeln!(
        s,
        "Reproduce with `scripts/bench` (this run took {:.1} minutes, input generation \
         included; `scripts/bench --quick` makes a smaller, indicative run).",
        results.took.as_secs_f64() / 60.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{catalog, large_spec, Input};
    use crate::measure::Sample;
    use crate::run::Config;
    use std::collections::BTreeMap;
    use std::time::Duration;

    const MB100: u64 = 100_000_000;

    fn cell(seconds: f64, mib: u64) -> Cell {
        Cell {
            samples: vec![Sample {
                wall: Duration::from_secs_f64(seconds),
                cpu: Duration::from_secs_f64(seconds),
                maxrss_kib: mib * 1024,
            }],
            error: None,
        }
    }

    /// Results with one real input of 100 MB: wary `wary` s, quick-xml 1 s, xmlwf 2 s.
    fn results(wary: Option<f64>, wary_mib: u64, quick: bool) -> Results {
        let spec = catalog().remove(0);
        assert!(spec.real);
        let input = Input {
            spec,
            path: "x".into(),
            bytes: MB100,
            elements: 1,
        };
        let mut cells = BTreeMap::new();
        cells.insert((index(Parser::QuickXml), 0), cell(1.0, 3));
        cells.insert((index(Parser::Xmlwf), 0), cell(2.0, 3));
        cells.insert((index(Parser::XmlwfRead), 0), cell(2.5, 1));
        let mut large_cells = BTreeMap::new();
        let mut unavailable = BTreeMap::new();
        match wary {
            Some(s) => {
                cells.insert((index(Parser::WaryCli), 0), cell(s, wary_mib));
                large_cells.insert(index(Parser::WaryCli), cell(s, wary_mib));
            }
            None => {
                unavailable.insert(Parser::WaryCli.name(), "not built".to_string());
                unavailable.insert(Parser::WaryLib.name(), "panicked".to_string());
            }
        }
        Results {
            config: Config {
                quick,
                reps: 1,
                size: MB100,
                large_size: 1 << 30,
                cache: "c".into(),
                large_dir: "l".into(),
                wary_bin: "w".into(),
                timeout: Duration::from_secs(1),
                parsers: ALL.to_vec(),
                profile: false,
            },
            inputs: vec![input.clone()],
            large: Some(Input {
                spec: large_spec(),
                bytes: 1 << 30,
                ..input
            }),
            unavailable,
            cells,
            large_cells,
            floor: None,
            profile: None,
            took: Duration::from_secs(60),
        }
    }

    fn words(v: &[Verdict]) -> Vec<&str> {
        v.iter().map(Verdict::word).collect()
    }

    #[test]
    fn targets_pass_only_when_the_ratios_are_met() {
        // 100 MB in 0.5 s = 200 MB/s: 2× quick-xml (100), 4× xmlwf (50).
        let v = verdicts(&results(Some(0.5), 10, false));
        assert_eq!(words(&v), ["PASS", "PASS", "PASS"], "{v:#?}");
        assert!(
            v[0].text.contains("200 / 100 MB/s = 2.00×"),
            "{}",
            v[0].text
        );
        // 100 MB/s: 1× quick-xml, 2× xmlwf; 20 MiB on the large document.
        let v = verdicts(&results(Some(1.0), 20, false));
        assert_eq!(words(&v), ["FAIL", "FAIL", "FAIL"], "{v:#?}");
        assert!(v[2].text.contains("20.0 MiB"), "{}", v[2].text);
    }

    #[test]
    fn a_missing_wary_fails_every_target_and_says_why() {
        let v = verdicts(&results(None, 0, false));
        assert_eq!(words(&v), ["FAIL", "FAIL", "FAIL"]);
        for verdict in &v {
            assert!(verdict.text.contains("not built") && verdict.text.contains("panicked"));
        }
    }

    #[test]
    fn a_document_under_1_gb_never_passes_the_memory_target() {
        let mut r = results(Some(0.5), 10, true);
        r.large.as_mut().unwrap().bytes = 64 << 20;
        let v = verdicts(&r);
        assert_eq!(v[2].word(), "FAIL");
        assert!(
            v[2].text.contains("smaller than the target's 1 GB"),
            "{}",
            v[2].text
        );
    }

    #[test]
    fn the_report_has_every_section_and_the_failure_notes() {
        let r = results(None, 0, false);
        let machine = crate::machine::collect();
        let md = markdown(&r, &machine, &verdicts(&r));
        for heading in [
            "### Targets",
            "### Throughput",
            "### Peak memory",
            "### The large document",
            "### Inputs",
            "### Method",
        ] {
            assert!(md.contains(heading), "{heading} missing");
        }
        assert!(md.contains("| quick-xml | 100 |"), "{md}");
        assert!(md.contains("[1] not built"), "{md}");
        assert!(roxmltree::Document::parse(&throughput_svg(&r)).is_ok());
        assert!(roxmltree::Document::parse(&memory_svg(&r)).is_ok());
    }
}
