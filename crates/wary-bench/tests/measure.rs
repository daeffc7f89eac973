//! The benchmark's own child processes, run as the benchmark runs them: `measure` must report
//! each child's peak memory on its own (not its parent's, not an earlier child's), and `parse`
//! must see every element and fail on a broken document.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_wary-bench");

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("wary-bench-test-{}-{name}", std::process::id()))
}

/// Runs `wary-bench measure -- ARGS`; returns (the program's output, maxrss KiB, code).
fn measure(args: &[&str]) -> (String, u64, String) {
    let out = Command::new(BIN)
        .arg("measure")
        .arg("--")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap().to_string();
    let field = |key: &str| {
        last.split(' ')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("no {key} in {last}"))
            .to_string()
    };
    (stdout, field("maxrss_kib").parse().unwrap(), field("code"))
}

#[test]
fn each_child_gets_its_own_peak_memory() {
    // xmlparser holds the whole document in memory: 40 MB of it.
    let big = temp("big.xml");
    let mut doc = String::from("<r>");
    while doc.len() < 40_000_000 {
        doc.push_str("<e a='1'>text</e>");
    }
    doc.push_str("</r>");
    std::fs::write(&big, &doc).unwrap();
    let elements = doc.matches("<e ").count() + 1;

    let (out, big_kib, code) = measure(&[BIN, "parse", "xmlparser", big.to_str().unwrap()]);
    assert_eq!(code, "0");
    assert!(out.contains(&format!("elements {elements}")), "{out}");
    assert!(
        big_kib > 40_000_000 / 1024,
        "the 40 MB parse peaked at {big_kib} KiB"
    );

    // A tiny program measured afterwards inherits neither that peak nor the measuring
    // process's own (~3 MiB, which posix_spawn would hand it): /bin/true is about 1 MiB.
    let (_, small_kib, code) = measure(&["/bin/true"]);
    assert_eq!(code, "0");
    assert!(small_kib < 2 * 1024, "/bin/true peaked at {small_kib} KiB");
    let _ = std::fs::remove_file(big);
}

#[test]
fn a_failing_child_is_reported_with_its_exit_code() {
    let bad = temp("bad.xml");
    std::fs::write(&bad, "<r><s></t></r>").unwrap();
    let (_, _, code) = measure(&[BIN, "parse", "quick-xml", bad.to_str().unwrap()]);
    assert_eq!(code, "1");
    let _ = std::fs::remove_file(bad);
}

#[test]
fn a_child_that_runs_too_long_is_killed() {
    let out = Command::new(BIN)
        .args(["measure", "--timeout-secs", "1", "--", "sleep", "30"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("signal=9") && stdout.contains("timed_out=true"),
        "{stdout}"
    );
}
