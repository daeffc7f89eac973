//! What a person reads from `wary` (issue 10, classes 10, 11 and 12), run as a user would.
//!
//! - stderr on /dev/full changes nothing: no panic, the same exit code, for every kind of
//!   outcome of `wary xml check|canon`, and for `wary send` and `wary probe`.
//! - A reader that closes stdout early is a normal end: no message, and the exit code still
//!   says whether the document is well-formed.
//! - Paths and document values are shown terminal-safe and capped.
//! - A skipped entity's note says whether it was a declared external entity (which
//!   `--external-entities local` loads) or an undeclared one (which nothing loads).
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn wary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wary"))
}

fn code(o: &Output) -> i32 {
    o.status
        .code()
        .unwrap_or_else(|| panic!("wary was killed by a signal: {o:?}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs wary with stdin from `input`, stdout and stderr captured.
fn run(args: &[&str], input: &[u8]) -> Output {
    let mut child = wary()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// Runs wary with stderr (or stdout too) on /dev/full: every write to it fails with ENOSPC.
fn run_full(args: &[&str], input: &[u8], stdout_full: bool) -> i32 {
    let full = || Stdio::from(File::options().write(true).open("/dev/full").unwrap());
    let mut child = wary()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(if stdout_full { full() } else { Stdio::null() })
        .stderr(full())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input);
    drop(stdin);
    let status = child.wait().unwrap();
    status
        .code()
        .unwrap_or_else(|| panic!("{args:?} was killed by a signal"))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

/// `wary send`'s exit code when the server refuses the connection (sysexits EX_TEMPFAIL).
const SEND_REFUSED: i32 = 75;

#[test]
fn stderr_on_dev_full_changes_no_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = write(d, "good.xml", "<a>ok</a>");
    let bad = write(d, "bad.xml", "<a>\n<b></a>");
    let skipped = write(d, "skipped.xml", "<!DOCTYPE a SYSTEM 'a.dtd'><a>&e;&u;</a>");
    let limit = write(
        d,
        "deep.xml",
        &format!("{}{}", "<a>".repeat(40), "</a>".repeat(40)),
    );
    let missing = d.join("missing.xml");
    let missing = missing.to_str().unwrap();
    // (arguments, stdin, exit code): every outcome that writes to stderr, and one that does not.
    let cases: Vec<(Vec<&str>, &[u8], i32)> = vec![
        (vec!["xml", "check", &good], b"", 0),
        (vec!["xml", "check", &bad], b"", 1),
        (vec!["xml", "check", &skipped], b"", 0),
        (vec!["xml", "check", "--max-depth", "5", &limit], b"", 3),
        (vec!["xml", "check", missing], b"", 2),
        (vec!["xml", "check", "--entity-root", "/", &good], b"", 2),
        (vec!["xml", "check", "-"], b"<a>\x01</a>", 1),
        (vec!["xml", "canon", &bad], b"", 1),
        (vec!["xml", "canon", &skipped], b"", 0),
        (vec!["xml", "canon", "--max-depth", "5", &limit], b"", 3),
        (vec!["xml", "canon", missing], b"", 2),
        // `wary send`: a bad configuration (EX_CONFIG, 78), and a server that is not there
        // (port 1 on the loopback: refused at once); both are reported on stderr.
        (
            vec![
                "send",
                "--server",
                "127.0.0.1:9",
                "--timeout",
                "0",
                "b@x.test",
            ],
            b"",
            78,
        ),
        (
            vec![
                "send",
                "--server",
                "127.0.0.1:1",
                "--tls",
                "none",
                "--from",
                "a@x.test",
                "b@x.test",
            ],
            b"Subject: x\r\n\r\nhi\r\n",
            SEND_REFUSED,
        ),
        // `wary probe` usage errors.
        (vec!["probe", "xml-parser"], b"", 2),
        (vec!["probe", "smtp-client"], b"", 2),
        (
            vec!["probe", "xml-parser", "--time-limit", "0", "--", "true"],
            b"",
            2,
        ),
    ];
    for (args, input, want) in cases {
        // Check the exit code with a working stderr first, so that the expectation is right.
        let normal = run(&args, input);
        assert_eq!(code(&normal), want, "{args:?}: {}", stderr(&normal));
        assert_eq!(
            run_full(&args, input, false),
            want,
            "{args:?} with stderr on /dev/full"
        );
    }
    // A full stdout is an error of its own (not the reader's choice): exit 2, with a message
    // that is dropped here because stderr is full too.
    assert_eq!(run_full(&["xml", "canon", &good], b"", true), 2);
}

/// A reader that closes the pipe after `keep` bytes: what wary says and its exit code.
fn canon_into_closing_reader(args: &[&str], keep: usize) -> (i32, String) {
    let mut child = wary()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = vec![0; keep];
    out.read_exact(&mut buf).unwrap();
    drop(out);
    let o = child.wait_with_output().unwrap();
    (code(&o), stderr(&o))
}

#[test]
fn a_reader_that_closes_early_is_a_normal_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Large enough to fill any pipe buffer many times over.
    let body = "<b x='1'>text &amp; more</b>\n".repeat(200_000);
    let good = write(d, "good.xml", &format!("<a>{body}</a>"));
    let bad = write(d, "bad.xml", &format!("<a>{body}</x>"));
    for keep in [1, 100, 70_000] {
        let (c, err) = canon_into_closing_reader(&["xml", "canon", &good], keep);
        assert_eq!(
            (c, err.as_str()),
            (0, ""),
            "well-formed, reader left after {keep} bytes"
        );
        // The document is still read to its end: the status says it is not well-formed.
        let (c, err) = canon_into_closing_reader(&["xml", "canon", &bad], keep);
        assert_eq!(
            c, 1,
            "not well-formed, reader left after {keep} bytes: {err}"
        );
        assert!(
            err.contains("does not match") && err.lines().count() == 1,
            "{err}"
        );
    }
    // `check` writes nothing to stdout: a closed stdout does not matter to it.
    let mut child = wary()
        .args(["xml", "check", &good])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!((code(&o), stderr(&o).as_str()), (0, ""));
    // `probe --list` into `head -1`.
    for probe in ["xml-parser", "smtp-client"] {
        let (c, err) = canon_into_closing_reader(&["probe", probe, "--list"], 1);
        assert_eq!((c, err.as_str()), (0, ""), "probe {probe} --list");
    }
}

fn is_dangerous(c: char) -> bool {
    matches!(c as u32, 0..=0x1f | 0x7f..=0x9f | 0x202a..=0x202e | 0x2066..=0x2069)
}

/// No raw control or bidirectional character on stderr, except the line ends wary writes.
fn assert_safe(what: &str, err: &str) {
    if let Some(c) = err.chars().find(|&c| c != '\n' && is_dangerous(c)) {
        panic!("{what}: U+{:04X} shown raw in {err:?}", c as u32);
    }
}

#[test]
fn paths_and_values_are_shown_terminal_safe_and_capped() {
    let top = tempfile::tempdir().unwrap();
    let dangerous = (1u32..=0x1f)
        .chain(0x7f..=0x9f)
        .chain(0x202a..=0x202e)
        .chain(0x2066..=0x2069)
        .filter_map(char::from_u32)
        .filter(|&c| c != '/');
    for c in dangerous {
        let dir = top.path().join(format!("d{c}"));
        std::fs::create_dir(&dir).unwrap();
        let what = format!("U+{:04X}", c as u32);
        // The path, in an error about the document and in the notes.
        let bad = write(&dir, &format!("bad{c}.xml"), "<a></b>");
        let o = run(&["xml", "check", &bad], b"");
        assert_eq!(code(&o), 1);
        assert_safe(&what, &stderr(&o));
        assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
        let skipped = write(
            &dir,
            &format!("s{c}.xml"),
            "<!DOCTYPE a SYSTEM 'a.dtd'><a>&u;</a>",
        );
        let o = run(&["xml", "canon", &skipped], b"");
        assert_eq!(code(&o), 0);
        assert_safe(&what, &stderr(&o));
        // A missing file, and a bad --entity-root.
        let missing = dir.join(format!("m{c}.xml"));
        let o = run(&["xml", "check", missing.to_str().unwrap()], b"");
        assert_eq!(code(&o), 2);
        assert_safe(&what, &stderr(&o));
        let o = run(
            &[
                "xml",
                "check",
                "--external-entities",
                "local",
                "--entity-root",
                missing.to_str().unwrap(),
                &bad,
            ],
            b"",
        );
        assert_eq!(code(&o), 2);
        assert_safe(&what, &stderr(&o));
        // A value from the document (C1 and bidirectional controls are XML characters).
        let o = run(
            &["xml", "check", "-"],
            format!("<?xml version='1.0{c}'?><a/>").as_bytes(),
        );
        assert_eq!(code(&o), 1);
        assert_safe(&what, &stderr(&o));
    }
    // A 9 MB version is not a 9 MB line, nor is a 40 kB entity name in a note.
    let o = run(
        &["xml", "check", "-"],
        format!("<?xml version='1.{}'?><a/>", "x".repeat(9 << 20)).as_bytes(),
    );
    assert_eq!(code(&o), 1);
    assert!(o.stderr.len() < 2000, "{} bytes on stderr", o.stderr.len());
    let name = "e".repeat(40_000);
    let o = run(
        &["xml", "check", "-"],
        format!("<!DOCTYPE a SYSTEM 'a.dtd'><a>&{name};</a>").as_bytes(),
    );
    assert_eq!(code(&o), 0);
    assert!(o.stderr.len() < 2000, "{} bytes on stderr", o.stderr.len());
}

#[test]
fn notes_tell_declared_external_from_undeclared_entities() {
    let doc = "<!DOCTYPE a SYSTEM 'a.dtd' [<!ENTITY ext SYSTEM 'e.ent'>]>\
               <a x='&inattr;'>&ext;&undeclared;</a>";
    for mode in ["check", "canon"] {
        let o = run(&["xml", mode, "-"], doc.as_bytes());
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let err = stderr(&o);
        let line = |name: &str| {
            err.lines()
                .find(|l| l.contains(&format!("'{name}'")))
                .unwrap_or_else(|| panic!("no note about {name}: {err}"))
                .to_owned()
        };
        let ext = line("ext");
        assert!(
            ext.contains("external entity 'ext' was not loaded")
                && ext.contains("--external-entities local"),
            "{ext}"
        );
        for name in ["undeclared", "inattr"] {
            let l = line(name);
            assert!(
                l.contains(&format!("entity '{name}' is not declared"))
                    && l.contains("VC: Entity Declared")
                    && !l.contains("--external-entities")
                    && !l.contains("external entity"),
                "{l}"
            );
        }
    }
}
