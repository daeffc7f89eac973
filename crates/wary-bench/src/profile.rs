//! Where wary's time goes: a callgrind run of the library over a slice of the real-document
//! input, summarized as instructions per byte and the functions with the most self cost; and
//! the same instruction count for the other parsers on the same slice.
//!
//! callgrind counts instructions, not time, but it is deterministic on a shared, noisy machine
//! (so it compares parsers when wall times are disturbed by other work) and names the
//! functions (release builds carry line tables: `[profile.release] debug = 1`).

use crate::inputs::{self, Input};
use crate::parsers::Parser;
use crate::run::{command, Config};
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// Size of the profiled slice: callgrind runs about 50 times slower than native.
const PROFILE_BYTES: u64 = 4 << 20;

/// How many functions the report lists.
const TOP: usize = 15;

/// A summarized profile.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Which input was profiled.
    pub input: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Instructions executed in total (start-up included).
    pub total: u64,
    /// The functions with the most self cost (inlined code is counted in the function it was
    /// inlined from, as the debug info names it), largest first.
    pub functions: Vec<(String, u64)>,
    /// Instructions each parser executed on the same slice (start-up included), or why not.
    pub counts: Vec<(Parser, Result<u64, String>)>,
}

/// Profiles wary's library on a slice of the same kind of document as `like`, and counts the
/// instructions of each of `parsers` on that slice.
pub fn profile(
    self_exe: &Path,
    like: &Input,
    parsers: &[Parser],
    config: &Config,
) -> Result<Profile> {
    let input = inputs::prepare(&like.spec, &config.cache, PROFILE_BYTES)?;
    let out_file = config.cache.join("callgrind.out");
    eprintln!(
        "bench: profiling with callgrind on {}",
        input.path.display()
    );
    let wary = command(Parser::WaryLib, &input.path, self_exe, config);
    callgrind(&wary, &out_file)?;
    let annotate = Command::new("callgrind_annotate")
        .args(["--auto=no", "--threshold=100"])
        .arg(&out_file)
        .output()
        .context("cannot run callgrind_annotate")?;
    if !annotate.status.success() {
        bail!("callgrind_annotate failed ({})", annotate.status);
    }
    let (total, functions) = summarize(&String::from_utf8_lossy(&annotate.stdout))?;
    let mut counts = Vec::new();
    for &parser in parsers {
        let count = if parser == Parser::WaryLib {
            Ok(total)
        } else {
            let cmd = command(parser, &input.path, self_exe, config);
            callgrind(&cmd, &out_file).map_err(|e| format!("{e:#}"))
        };
        counts.push((parser, count));
    }
    let _ = std::fs::remove_file(&out_file);
    Ok(Profile {
        input: input.spec.name.to_string(),
        bytes: input.bytes,
        total,
        functions,
        counts,
    })
}

/// Runs the command under callgrind, writing `out_file`; returns the instruction count.
fn callgrind(cmd: &[std::ffi::OsString], out_file: &Path) -> Result<u64> {
    let run = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .args(cmd)
        .output()
        .context("cannot run valgrind: install the valgrind package")?;
    let stderr = String::from_utf8_lossy(&run.stderr);
    if !run.status.success() {
        bail!(
            "callgrind run failed ({}): {}",
            run.status,
            stderr.lines().last().unwrap_or("")
        );
    }
    // `==123== Collected : 247116420`
    stderr
        .lines()
        .find_map(|l| {
            l.split_once("Collected :")
                .map(|(_, n)| n.trim().parse().ok())
        })
        .flatten()
        .context("no instruction count in callgrind's output")
}

/// Reads `callgrind_annotate` output: the program total, and self cost per function summed
/// over the source files its code came from, largest first.
fn summarize(text: &str) -> Result<(u64, Vec<(String, u64)>)> {
    let count = |s: &str| s.trim().replace(',', "").parse::<u64>().ok();
    let mut total = None;
    let mut by_function: HashMap<String, u64> = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        // `1,234 (12.34%)  file.rs:crate::function [/path/to/binary]`
        let Some((n, rest)) = line.split_once(" (") else {
            continue;
        };
        let Some(n) = count(n) else { continue };
        let Some((_, rest)) = rest.split_once(")  ") else {
            continue;
        };
        if rest.starts_with("PROGRAM TOTALS") {
            total = Some(n);
            continue;
        }
        let location = rest.rsplit_once(" [").map_or(rest, |(l, _)| l);
        let function = location.split_once(':').map_or(location, |(_, f)| f);
        *by_function.entry(function.to_string()).or_default() += n;
    }
    let Some(total) = total else {
        bail!("no PROGRAM TOTALS in callgrind_annotate's output");
    };
    let mut functions: Vec<_> = by_function.into_iter().collect();
    functions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    functions.truncate(TOP);
    Ok((total, functions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotate_output_is_summed_per_function() {
        let text = "\
--------------------------------------------------------------------------------
110,297,918 (100.0%)  PROGRAM TOTALS
--------------------------------------------------------------------------------
Ir                   file:function
--------------------------------------------------------------------------------
80,000,014 (72.53%)  t.rs:t::main [/tmp/t]
15,000,000 (13.60%)  /rustc/x/library/core/src/num/uint_macros.rs:t::main
 5,000,001 ( 4.53%)  /rustc/x/library/core/src/iter/range.rs:<core::ops::Range<A> as Iterator>::next [/tmp/t]
";
        let (total, functions) = summarize(text).unwrap();
        assert_eq!(total, 110_297_918);
        assert_eq!(functions[0], ("t::main".to_string(), 95_000_014));
        assert_eq!(functions[1].0, "<core::ops::Range<A> as Iterator>::next");
    }

    #[test]
    fn output_without_totals_is_an_error() {
        assert!(summarize("nothing here").is_err());
    }
}
