//! "`wary xml check` stays under 64 MiB for any document" (issue 10, class 2), measured: the
//! release binary is run on the worst cases known, each streamed into its stdin, and the
//! peak resident memory of the child is read with getrusage(RUSAGE_CHILDREN) once it has
//! been waited for. Each case must end with exit status 3 (a limit) naming
//! `--max-retained-bytes`.
//!
//! RUSAGE_CHILDREN reports the largest peak of all children waited for, so this file holds
//! one test that runs the cases one after another: the running maximum staying under the
//! ceiling proves each case did. `WARY_MEMORY_CASE=<part of a name>` runs only matching
//! cases, to measure one alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nix::sys::resource::{getrusage, UsageWho};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The documented ceiling (docs/security.md).
const CEILING_KIB: i64 = 64 << 10;
/// A case that has not ended by then has failed (a quadratic list scan took hours).
const TIMEOUT: Duration = Duration::from_secs(60);

/// Writes a document in pieces to its argument, which says whether to go on.
type Generator = Box<dyn Fn(&mut dyn FnMut(&[u8]) -> bool) + Send>;

/// The worst cases: a name and a generator that writes the document in pieces.
fn cases() -> Vec<(&'static str, Generator)> {
    vec![
        (
            // ~1 MB: each element binds a prefix to 330 references to a 290-byte entity
            // (under 100x amplification), 1,000 deep: ~95 MB of URIs held at once.
            "entity-expanded namespace URIs",
            Box::new(|out| {
                let u = "u".repeat(290);
                let mut s = format!("<!DOCTYPE a [<!ENTITY u '{u}'>]>");
                let refs = "&u;".repeat(330);
                for i in 0..1000 {
                    write!(s, "<a xmlns:p{i}='urn:{refs}'>").unwrap();
                    if !out(s.as_bytes()) {
                        return;
                    }
                    s.clear();
                }
                out("</a>".repeat(1000).as_bytes());
            }),
        ),
        (
            // ~21 MB: a million entity declarations.
            "a million entity declarations",
            Box::new(|out| {
                out(b"<!DOCTYPE r [");
                let mut s = String::new();
                for i in 0..1_000_000 {
                    write!(s, "<!ENTITY e{i} 'v'>").unwrap();
                    if s.len() > 1 << 16 {
                        if !out(s.as_bytes()) {
                            return;
                        }
                        s.clear();
                    }
                }
                s.push_str("]><r/>");
                out(s.as_bytes());
            }),
        ),
        (
            // 100 MB streamed: 1,000 nested elements, each binding a 100 KB literal URI.
            "nested elements with long literal URIs",
            Box::new(|out| {
                let uri = "x".repeat(100_000);
                for i in 0..1000 {
                    if !out(format!("<a xmlns:p{i}='urn:{uri}'>").as_bytes()) {
                        return;
                    }
                }
                out("</a>".repeat(1000).as_bytes());
            }),
        ),
        (
            // 100 MB streamed: 1,000 nested elements with 50,000-byte names (max_name_len).
            "nested elements with long names",
            Box::new(|out| {
                let name = "n".repeat(49_990);
                for i in 0..1000 {
                    if !out(format!("<e{i:05}{name}>").as_bytes()) {
                        return;
                    }
                }
                for i in (0..1000).rev() {
                    if !out(format!("</e{i:05}{name}>").as_bytes()) {
                        return;
                    }
                }
            }),
        ),
        (
            // ~20 MB: two million distinct skipped entities (the DTD is not loaded).
            "distinct skipped entities",
            Box::new(|out| {
                out(b"<!DOCTYPE r SYSTEM 'ext.dtd'><r>");
                let mut s = String::new();
                for i in 0..2_000_000 {
                    write!(s, "&s{i};").unwrap();
                    if s.len() > 1 << 16 {
                        if !out(s.as_bytes()) {
                            return;
                        }
                        s.clear();
                    }
                }
                s.push_str("</r>");
                out(s.as_bytes());
            }),
        ),
    ]
}

/// Peak RSS of the children waited for so far, in KiB (Linux reports ru_maxrss in KiB).
fn children_peak_kib() -> i64 {
    getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss()
}

#[test]
fn worst_cases_stay_under_64_mib() {
    let only = std::env::var("WARY_MEMORY_CASE").ok();
    let mut ran = 0;
    for (name, generate) in cases() {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        ran += 1;
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_wary"))
            .args(["xml", "check", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // Stream from a thread: the child stops reading when a limit bites, and the writer
        // then gets a broken pipe, which ends it.
        let writer = std::thread::spawn(move || {
            generate(&mut |piece: &[u8]| stdin.write_all(piece).is_ok());
        });
        let mut stderr = child.stderr.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        // Bounded wait: a case that runs past the timeout is killed and fails.
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if started.elapsed() > TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let _ = writer.join();
        let err = reader.join().unwrap();
        let peak = children_peak_kib();
        let took = started.elapsed();
        eprintln!(
            "{name}: exit {:?} in {took:.2?}; peak RSS of children so far {:.1} MiB",
            status.and_then(|s| s.code()),
            peak as f64 / 1024.0
        );
        let status = status.unwrap_or_else(|| panic!("{name}: still running after {TIMEOUT:?}"));
        assert!(
            peak <= CEILING_KIB,
            "{name}: peak RSS {:.1} MiB is over the 64 MiB ceiling",
            peak as f64 / 1024.0
        );
        assert_eq!(status.code(), Some(3), "{name}: {err}");
        assert!(err.contains("--max-retained-bytes"), "{name}: {err}");
    }
    assert!(ran > 0, "WARY_MEMORY_CASE matched no case");
}
