//! The W3C XML Conformance Test Suite (xmlts20130923), run against wary-xml.
//!
//! Profile (`../shared/conformance/README.md`): XML 1.0 Fifth Edition, namespace-aware;
//! 1,965 tests. `valid` and `invalid` documents must parse without error (a non-validating
//! parser accepts invalid documents), `not-wf` documents must be rejected with an error about
//! the input, and the 378 tests with an OUTPUT file must give exactly those bytes through
//! [`wary_xml::canon`]. External entities are loaded in `local` mode under the suite's root.
//!
//! Known failures are listed in `tests/conformance-skips.txt` (`ID  reason`); a listed test
//! that passes also fails the run, so the list can only shrink. The full report is written to
//! `$CARGO_TARGET_TMPDIR/conformance-report.txt`; set `WARY_CONFORMANCE_VERBOSE=1` to print
//! every failure instead of the first ones.
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "conformance/catalog.rs"]
mod catalog;
#[path = "conformance/chunking.rs"]
mod chunking;
#[path = "conformance/feed.rs"]
mod feed;
#[path = "conformance/splits.rs"]
mod splits;

use catalog::{Expect, Suite, TestCase};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use wary_xml::tree::{Document, NodeKind};
use wary_xml::{canon, Event, ExternalEntities, Fault, Options, Reader};

/// A test that has not finished after this long is reported as a hang.
const HANG_TIMEOUT: Duration = Duration::from_secs(20);
/// The thread that runs the tests (its panics are recorded, not printed).
const WORKER_NAME: &str = "conformance-worker";
/// Failures printed in full on the console (all are in the report file).
const PRINTED_FAILURES: usize = 400;

#[test]
fn catalogs_yield_the_profile_counts() {
    let suite = Suite::load();
    let accept = suite
        .tests
        .iter()
        .filter(|t| t.expect == Expect::Accept)
        .count();
    let reject = suite.tests.len() - accept;
    let output = suite.tests.iter().filter(|t| t.output.is_some()).count();
    println!(
        "profile: {} tests ({accept} accept, {reject} reject, {output} with OUTPUT); left out: {:?}",
        suite.tests.len(),
        suite.excluded
    );
    assert_eq!(
        (suite.tests.len(), accept, reject, output),
        (
            catalog::EXPECTED_TOTAL,
            catalog::EXPECTED_ACCEPT,
            catalog::EXPECTED_REJECT,
            catalog::EXPECTED_OUTPUT
        ),
        "the profile must give (tests, accept, reject, with OUTPUT) as in \
         ../shared/conformance/README.md: a filtering bug would hide tests"
    );
    // Every catalog of the suite contributes, so none was silently dropped.
    let catalogs: std::collections::BTreeSet<_> =
        suite.tests.iter().map(|t| t.catalog.as_str()).collect();
    for expected in [
        "jclark-xmltest",
        "xerox-japanese",
        "sun-valid",
        "sun-invalid",
        "sun-not-wf",
        "nist-oasis",
        "ibm-valid",
        "ibm-invalid",
        "ibm-not-wf",
        "eduni-errata2e",
        "eduni-ns10",
        "eduni-errata3e",
        "eduni-nse",
        "eduni-errata4e",
        "eduni-misc",
    ] {
        assert!(
            catalogs.contains(expected),
            "no test from catalog {expected}"
        );
    }
}

#[test]
fn skip_list_is_well_formed() {
    let suite = Suite::load();
    let skips = load_skips();
    for id in skips.keys() {
        assert!(
            suite.tests.iter().any(|t| &t.id == id),
            "conformance-skips.txt lists {id}, which is not a test of the profile"
        );
    }
}

#[test]
fn w3c_conformance_suite() {
    let suite = Suite::load();
    assert_eq!(suite.tests.len(), catalog::EXPECTED_TOTAL);
    let skips = load_skips();
    let files = suite.extract();
    let started = Instant::now();
    let results = run_all(&suite, &files.root);
    let elapsed = started.elapsed();
    let tree_failures = tree_round_trips(&suite, &files.root, &results);

    // Tally per catalog and classify against the skip list.
    let mut per_catalog: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let (mut passed, mut failed) = (0, 0);
    let mut unexpected = Vec::new();
    let mut known = Vec::new();
    let mut fixed = Vec::new();
    for (t, result) in suite.tests.iter().zip(&results) {
        let entry = per_catalog.entry(&t.catalog).or_default();
        match result {
            Ok(()) => {
                passed += 1;
                entry.0 += 1;
                if skips.contains_key(&t.id) {
                    fixed.push(t);
                }
            }
            Err(got) => {
                failed += 1;
                entry.1 += 1;
                if skips.contains_key(&t.id) {
                    known.push((t, got));
                } else {
                    unexpected.push((t, got));
                }
            }
        }
    }

    let mut report = String::new();
    let _ = writeln!(
        report,
        "conformance: {passed} passed, {failed} failed ({} listed in conformance-skips.txt, {} \
         not listed; {} listed tests now pass) in {:.1} s",
        known.len(),
        unexpected.len(),
        fixed.len(),
        elapsed.as_secs_f64()
    );
    let _ = writeln!(
        report,
        "  {:<16} {:>6} {:>6} {:>6}",
        "catalog", "tests", "passed", "failed"
    );
    for (cat, (p, f)) in &per_catalog {
        let _ = writeln!(report, "  {cat:<16} {:>6} {p:>6} {f:>6}", p + f);
    }
    // Failures grouped by cause, most frequent first, with a few IDs each.
    let mut causes: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (t, f) in unexpected.iter().chain(&known) {
        causes.entry(&f.cause).or_default().push(&t.id);
    }
    let mut causes: Vec<_> = causes.into_iter().collect();
    causes.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    if !causes.is_empty() {
        let _ = writeln!(report, "failures by cause:");
    }
    for (cause, ids) in &causes {
        let more = if ids.len() > 6 { " ..." } else { "" };
        let _ = writeln!(
            report,
            "  {:>5}  {cause}  [{}{more}]",
            ids.len(),
            ids[..ids.len().min(6)].join(" ")
        );
    }
    let mut full = report.clone();
    for (i, (t, got)) in unexpected.iter().enumerate() {
        let block = failure_block(t, got);
        if i < PRINTED_FAILURES || verbose() {
            report.push_str(&block);
        }
        full.push_str(&block);
    }
    if unexpected.len() > PRINTED_FAILURES && !verbose() {
        let _ = writeln!(
            report,
            "... and {} more failures (see the report file, or set WARY_CONFORMANCE_VERBOSE=1)",
            unexpected.len() - PRINTED_FAILURES
        );
    }
    for t in &fixed {
        let line = format!(
            "NOW PASSES: {} ({}) is listed in conformance-skips.txt: remove it from the list\n",
            t.id, t.path
        );
        report.push_str(&line);
        full.push_str(&line);
    }
    for (t, got) in &known {
        let _ = writeln!(
            full,
            "known failure (listed): {}",
            failure_block(t, got).trim_end()
        );
    }
    let accepted = suite
        .tests
        .iter()
        .zip(&results)
        .filter(|(t, r)| t.expect == Expect::Accept && r.is_ok())
        .count();
    let line = format!(
        "tree: {} of {accepted} accepted documents built, written and read back to the same tree\n",
        accepted - tree_failures.len()
    );
    report.push_str(&line);
    full.push_str(&line);
    for (id, why) in &tree_failures {
        let line = format!("TREE FAIL {id}: {why}\n");
        report.push_str(&line);
        full.push_str(&line);
    }
    let report_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance-report.txt");
    if std::fs::write(&report_path, &full).is_ok() {
        let _ = writeln!(report, "full report: {}", report_path.display());
    }
    println!("{report}");

    assert!(
        tree_failures.is_empty(),
        "tree: {} accepted documents do not round-trip through wary_xml::tree (see above)",
        tree_failures.len()
    );
    assert!(
        unexpected.is_empty() && fixed.is_empty(),
        "conformance: {passed} passed, {failed} failed: {} failures not listed in \
         conformance-skips.txt, {} listed tests now pass (see the report above)",
        unexpected.len(),
        fixed.len()
    );
}

/// Why a test failed: `cause` groups failures in the report, `detail` says what happened.
#[derive(Clone, Debug)]
struct Failure {
    cause: String,
    detail: String,
}

fn fail(cause: impl Into<String>, detail: impl Into<String>) -> Failure {
    Failure {
        cause: cause.into(),
        detail: detail.into(),
    }
}

/// The group of a parse error: its kind and rule (the message varies with the input).
fn error_cause(prefix: &str, e: &wary_xml::Error) -> String {
    let rule = if e.rule().is_empty() {
        e.message()
    } else {
        e.rule()
    };
    format!("{prefix}: {:?}: {}", e.kind(), truncate(rule, 80))
}

/// Runs every test on a worker thread; a test that hangs is reported and the rest go on on a
/// fresh worker.
fn run_all(suite: &Suite, root: &Path) -> Vec<Result<(), Failure>> {
    install_panic_recorder();
    let mut results: Vec<Result<(), Failure>> = Vec::with_capacity(suite.tests.len());
    while results.len() < suite.tests.len() {
        let first = results.len();
        let tests: Vec<TestCase> = suite.tests[first..].to_vec();
        let root = root.to_path_buf();
        let (tx, rx) = mpsc::channel();
        let worker = std::thread::Builder::new().name(WORKER_NAME.to_owned());
        let spawned = worker.spawn(move || {
            for t in &tests {
                let result =
                    catch_unwind(AssertUnwindSafe(|| run_one(t, &root))).unwrap_or_else(|_| {
                        let msg = last_panic();
                        // Group panics by where they happened.
                        let at = msg
                            .strip_prefix("panicked at ")
                            .and_then(|m| m.split(": ").next())
                            .unwrap_or("?")
                            .to_owned();
                        Err(fail(format!("PANIC at {at}"), format!("PANICKED: {msg}")))
                    });
                if tx.send(result).is_err() {
                    return;
                }
            }
        });
        spawned.expect("cannot start the worker thread");
        loop {
            match rx.recv_timeout(HANG_TIMEOUT) {
                Ok(r) => results.push(r),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    results.push(Err(fail(
                        "HANG",
                        format!("no result after {} s", HANG_TIMEOUT.as_secs()),
                    )));
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
    }
    results
}

/// One test: `Ok` when wary-xml does what the test expects, else what it did.
///
/// In `local` mode every external entity of the suite can be loaded, so a skipped entity in a
/// `valid` document (where every entity is declared, VC: Entity Declared) means one failed to
/// load. An `invalid` document may reference an undeclared entity where that is only a
/// validity error (XML 1.0 §4.1, WFC: Entity Declared), which the reader reports as skipped.
fn run_one(t: &TestCase, root: &Path) -> Result<(), Failure> {
    let options = Options::new().with_external_entities(ExternalEntities::local_in(root));
    let mut reader = Reader::from_path(&root.join(&t.path), options)
        .map_err(|e| fail("cannot open the document", e.to_string()))?;
    match (t.expect, &t.output) {
        (Expect::Accept, Some(output)) => {
            let expected = std::fs::read(root.join(output))
                .map_err(|e| fail("cannot read OUTPUT", format!("{output}: {e}")))?;
            let mut got = Vec::new();
            let summary = match canon::write_canonical(&mut reader, &mut got) {
                Ok(s) => s,
                Err(canon::CanonError::Xml(e)) => {
                    return Err(fail(
                        error_cause("rejected a well-formed document", &e),
                        format!("error: {e}"),
                    ))
                }
                Err(e) => return Err(fail("canon failed", e.to_string())),
            };
            if t.kind == "valid" && !summary.skipped_entities.is_empty() {
                return Err(fail(
                    "external entity not loaded in local mode",
                    format!("skipped: {:?}", summary.skipped_entities),
                ));
            }
            if got != expected {
                return Err(fail("canonical form differs", canon_diff(&expected, &got)));
            }
            Ok(())
        }
        (Expect::Accept, None) => loop {
            match reader.next_event() {
                Ok(Some(Event::SkippedEntity(name))) if t.kind == "valid" => {
                    return Err(fail(
                        "external entity not loaded in local mode",
                        format!("SkippedEntity({name:?})"),
                    ))
                }
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(e) => {
                    return Err(fail(
                        error_cause("rejected a well-formed document", &e),
                        format!("error: {e}"),
                    ))
                }
            }
        },
        (Expect::Reject, _) => loop {
            match reader.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => return Err(fail("accepted a not-wf document", "no error")),
                // The document must be rejected for what it is, not for an I/O failure, a
                // limit or a refused entity.
                // ... and the error must say where and which rule (issue 2: "one error type
                // with byte offset and line:column, a message that names the rule broken").
                Err(e) if e.fault() == Fault::Input => {
                    return match (e.position(), e.rule().is_empty()) {
                        (Some(p), false) if p.line > 0 && p.column > 0 => Ok(()),
                        (None, _) => Err(fail("not-wf rejected without a position", e.to_string())),
                        (Some(_), false) => Err(fail(
                            "not-wf rejected with a 0 line or column",
                            e.to_string(),
                        )),
                        (Some(_), true) => Err(fail(
                            format!("not-wf rejected without naming a rule: {:?}", e.kind()),
                            e.to_string(),
                        )),
                    };
                }
                Err(e) => {
                    return Err(fail(
                        error_cause(
                            &format!("not-wf rejected for the wrong reason ({:?})", e.fault()),
                            &e,
                        ),
                        format!("error: {e}"),
                    ))
                }
            }
        },
    }
}

/// Every accepted document through `wary_xml::tree`: built, written, read back (without its
/// DTD, which the writer does not keep: defaults and entities are written out), and compared
/// node by node.
fn tree_round_trips(
    suite: &Suite,
    root: &Path,
    results: &[Result<(), Failure>],
) -> Vec<(String, String)> {
    let mut failures = Vec::new();
    for (t, _) in suite
        .tests
        .iter()
        .zip(results)
        .filter(|(t, r)| t.expect == Expect::Accept && r.is_ok())
    {
        let options = Options::new().with_external_entities(ExternalEntities::local_in(root));
        let outcome = Document::from_path(&root.join(&t.path), options)
            .map_err(|e| format!("building the tree failed: {e}"))
            .and_then(|doc| {
                let xml = doc.to_xml();
                let again = Document::from_bytes(xml.as_bytes(), Options::default())
                    .map_err(|e| format!("the written tree does not parse: {e}\n{xml}"))?;
                same_tree(&doc, &again).map_err(|e| format!("{e}\n{xml}"))
            });
        if let Err(why) = outcome {
            failures.push((t.id.clone(), truncate(&why, 600).to_owned()));
        }
    }
    failures
}

/// Node by node: kinds, names, namespaces, attribute names and values (not `specified`, which
/// the written tree loses by design), text, comments and PIs.
fn same_tree(a: &Document, b: &Document) -> Result<(), String> {
    if a.len() != b.len() {
        return Err(format!("{} nodes, read back {}", a.len(), b.len()));
    }
    for (x, y) in a.nodes().zip(b.nodes()) {
        let same = match (x.kind(), y.kind()) {
            (NodeKind::Element(e), NodeKind::Element(f)) => {
                let attrs = |e: wary_xml::tree::Element<'_>| {
                    e.attributes()
                        .map(|a| {
                            (
                                a.name.to_owned(),
                                a.namespace.map(str::to_owned),
                                a.value.to_owned(),
                            )
                        })
                        .collect::<Vec<_>>()
                };
                e.name() == f.name() && e.namespace() == f.namespace() && attrs(e) == attrs(f)
            }
            (k, l) => k == l,
        };
        if !same || x.parent().map(|p| p.id()) != y.parent().map(|p| p.id()) {
            return Err(format!(
                "node {} differs: {:?} vs {:?}",
                x.id().index(),
                x,
                y
            ));
        }
    }
    Ok(())
}

/// Where the canonical form first differs, with context.
fn canon_diff(expected: &[u8], got: &[u8]) -> String {
    let at = expected
        .iter()
        .zip(got)
        .position(|(a, b)| a != b)
        .unwrap_or(expected.len().min(got.len()));
    let from = at.saturating_sub(40);
    let snippet = |b: &[u8]| {
        let end = (at + 60).min(b.len());
        format!("{:?}", String::from_utf8_lossy(&b[from.min(end)..end]))
    };
    format!(
        "canonical form differs at byte {at} (expected {} bytes, got {}):\n      \
         expected ...{}\n      got      ...{}",
        expected.len(),
        got.len(),
        snippet(expected),
        snippet(got)
    )
}

fn failure_block(t: &TestCase, failure: &Failure) -> String {
    let got = &failure.detail;
    let expected = match (t.expect, &t.output) {
        (Expect::Reject, _) => "reject (not well-formed)",
        (Expect::Accept, Some(_)) => "accept, canonical form = OUTPUT",
        (Expect::Accept, None) => "accept (well-formed)",
    };
    let mut got_lines = got.lines();
    let mut s = format!(
        "FAIL {} [{} / {}] {}\n    expected: {expected}\n    got: {}\n",
        t.id,
        t.catalog,
        t.kind,
        t.path,
        got_lines.next().unwrap_or("")
    );
    for line in got_lines.take(4) {
        let _ = writeln!(s, "    {line}");
    }
    let _ = writeln!(s, "    about: {}", truncate(&t.description, 160));
    s
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn verbose() -> bool {
    std::env::var_os("WARY_CONFORMANCE_VERBOSE").is_some_and(|v| v != "0")
}

thread_local! {
    /// The last panic on this thread, message and location, recorded by the hook below.
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Panics of the parser under test are results, reported with their location; the default
/// hook would print each one (with a backtrace) in the middle of the report instead.
fn install_panic_recorder() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_worker = std::thread::current().name() == Some(WORKER_NAME);
            if on_worker {
                LAST_PANIC.with(|p| *p.borrow_mut() = info.to_string().replace('\n', " "));
            } else {
                default(info);
            }
        }));
    });
}

fn last_panic() -> String {
    LAST_PANIC.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

/// `conformance-skips.txt`: `ID  reason` per line; `#` starts a comment line.
fn load_skips() -> HashMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance-skips.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut skips = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let reason = reason.trim();
        assert!(
            !reason.is_empty(),
            "{}:{}: {id} has no reason; every skip says why",
            path.display(),
            n + 1
        );
        assert!(
            skips.insert(id.to_owned(), reason.to_owned()).is_none(),
            "{}:{}: {id} is listed twice",
            path.display(),
            n + 1
        );
    }
    skips
}
