//! `wary xml check|canon` run as a user would: the built binary, its exit status, stdout and
//! stderr, on the bundled examples and on small documents written to a temporary folder.
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn wary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wary"))
}

/// The project's root folder (examples/ is there).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> PathBuf {
    root().join("examples/xml").join(name)
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = wary();
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the wary binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    if let Some(input) = stdin {
        // wary may exit before reading its input (a usage error): a closed pipe is fine.
        if let Err(e) = pipe.write_all(input) {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "writing stdin: {e}"
            );
        }
    }
    drop(pipe);
    child.wait_with_output().expect("wary finishes")
}

fn code(o: &Output) -> i32 {
    o.status
        .code()
        .expect("wary exits with a status, not a signal")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("test paths are UTF-8")
}

#[test]
fn check_well_formed_example_exits_0_silently() {
    let o = run(&["xml", "check", path_arg(&example("order.xml"))], None);
    assert_eq!(code(&o), 0, "stderr: {}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert_eq!(stdout(&o), "");
}

#[test]
fn canon_of_the_bundled_example_is_exact() {
    let o = run(&["xml", "canon", path_arg(&example("order.xml"))], None);
    assert_eq!(code(&o), 0, "stderr: {}", stderr(&o));
    // Clark's second form: the notation in a DOCTYPE, attributes sorted, the enumerated
    // `currency` normalized, the `qty` default filled in, entities and references expanded,
    // CDATA as escaped text, the comment before the DOCTYPE gone.
    let expected = "<!DOCTYPE order [\n\
        <!NOTATION png SYSTEM 'image/png'>\n\
        ]>\n\
        <order currency=\"GBP\" id=\"o-1024\" xmlns:t=\"urn:example:tax\">&#10;  \
        <customer>Ada Lovelace</customer>&#10;  \
        <item qty=\"2\" sku=\"tea-earl-grey\" t:rate=\"0.20\">Earl Grey tea, 250\u{a0}g</item>&#10;  \
        <item qty=\"1\" sku=\"scone\">Scone with clotted cream</item>&#10;  \
        <note><?print-options duplex=\"no\"?>Deliver before &lt;noon&gt; &amp; ring twice.&#10;\
        Thank you for shopping at Wary &amp; Sons!</note>&#10;\
        </order>";
    assert_eq!(stdout(&o), expected);
    assert_eq!(stderr(&o), "");
}

#[test]
fn not_well_formed_exits_1_with_file_line_col() {
    let file = example("not-well-formed.xml");
    let o = run(&["xml", "check", path_arg(&file)], None);
    assert_eq!(code(&o), 1, "stderr: {}", stderr(&o));
    let err = stderr(&o);
    let prefix = format!("{}:6:", file.display());
    assert!(
        err.starts_with(&prefix),
        "want {prefix}COL: error: …, got: {err}"
    );
    let rest = &err[prefix.len()..];
    let (col, msg) = rest
        .split_once(": error: ")
        .expect("FILE:LINE:COL: error: MSG");
    assert!(col.parse::<u64>().is_ok_and(|c| c > 0), "column {col:?}");
    assert!(
        msg.trim().len() > 10,
        "a message that says what is wrong: {msg}"
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn canon_of_not_well_formed_exits_1() {
    let o = run(
        &["xml", "canon", path_arg(&example("not-well-formed.xml"))],
        None,
    );
    assert_eq!(code(&o), 1, "stderr: {}", stderr(&o));
    assert!(stderr(&o).contains(":6:"), "{}", stderr(&o));
}

#[test]
fn stdin_is_read_with_dash_or_no_file() {
    let o = run(
        &["xml", "canon", "-"],
        Some(b"<a b='1' a='2'>x<!--c--><e/></a>"),
    );
    assert_eq!(code(&o), 0, "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "<a a=\"2\" b=\"1\">x<e></e></a>");
    let o = run(&["xml", "check"], Some(b"<a>"));
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).starts_with("<stdin>:1:"),
        "errors on stdin are named <stdin>: {}",
        stderr(&o)
    );
}

#[test]
fn missing_file_is_an_io_error_exit_2() {
    let o = run(&["xml", "check", "/nonexistent/wary/doc.xml"], None);
    assert_eq!(code(&o), 2, "stderr: {}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("/nonexistent/wary/doc.xml") && err.contains("error"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    // An unknown flag and a bad value: clap's errors.
    assert_eq!(code(&run(&["xml", "check", "--bogus"], None)), 2);
    let o = run(
        &["xml", "check", "--external-entities", "remote", "x.xml"],
        None,
    );
    assert_eq!(code(&o), 2);
    // A flag that would do nothing is refused rather than ignored.
    let o = run(
        &[
            "xml",
            "check",
            "--entity-root",
            "/tmp",
            path_arg(&example("order.xml")),
        ],
        None,
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("--external-entities local"),
        "{}",
        stderr(&o)
    );
    // A missing entity root.
    let o = run(
        &[
            "xml",
            "check",
            "--external-entities",
            "local",
            "--entity-root",
            "/nonexistent/wary",
            path_arg(&example("order.xml")),
        ],
        None,
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("/nonexistent/wary"), "{}", stderr(&o));
}

#[test]
fn entity_expansion_bomb_exits_3() {
    let o = run(&["xml", "check", path_arg(&example("laughs.xml"))], None);
    assert_eq!(code(&o), 3, "stderr: {}", stderr(&o));
    assert!(stderr(&o).contains("limit"), "{}", stderr(&o));
}

#[test]
fn external_entity_is_skipped_by_default_and_loaded_in_local_mode() {
    let file = example("with-terms.xml");
    let off = run(&["xml", "canon", path_arg(&file)], None);
    assert_eq!(code(&off), 0, "stderr: {}", stderr(&off));
    assert!(!stdout(&off).contains("Payment"), "{}", stdout(&off));
    let note = stderr(&off);
    assert!(
        note.contains("'terms'") && note.contains("--external-entities local"),
        "a note says the entity was not loaded and how to load it: {note}"
    );

    let local = run(
        &[
            "xml",
            "canon",
            "--external-entities",
            "local",
            path_arg(&file),
        ],
        None,
    );
    assert_eq!(code(&local), 0, "stderr: {}", stderr(&local));
    assert_eq!(stderr(&local), "");
    assert!(
        stdout(&local).contains(
            "<terms>&#10;<clause n=\"1\">Payment within 30 days.</clause>&#10;\
             <clause n=\"2\">Goods remain ours until paid for.</clause>&#10;</terms>"
        ),
        "{}",
        stdout(&local)
    );
}

#[test]
fn local_mode_refuses_files_outside_the_entity_root() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let inner = dir.path().join("inner");
    std::fs::create_dir(&inner).expect("mkdir");
    std::fs::write(dir.path().join("secret.ent"), "top secret").expect("write");
    let doc = inner.join("doc.xml");
    std::fs::write(
        &doc,
        "<!DOCTYPE d [<!ENTITY s SYSTEM '../secret.ent'>]>\n<d>&s;</d>\n",
    )
    .expect("write");
    let o = run(
        &[
            "xml",
            "canon",
            "--external-entities",
            "local",
            path_arg(&doc),
        ],
        None,
    );
    assert_eq!(code(&o), 3, "stderr: {}", stderr(&o));
    assert!(!stdout(&o).contains("top secret"));
    assert!(
        stderr(&o).contains(&doc.display().to_string()),
        "{}",
        stderr(&o)
    );

    // With the entity root one level up, the same file may be read.
    let o = run(
        &[
            "xml",
            "canon",
            "--external-entities",
            "local",
            "--entity-root",
            path_arg(dir.path()),
            path_arg(&doc),
        ],
        None,
    );
    assert_eq!(code(&o), 0, "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), "<d>top secret</d>");
}

#[test]
fn help_lists_exit_codes() {
    let o = run(&["xml", "check", "--help"], None);
    assert_eq!(code(&o), 0);
    let help = stdout(&o);
    assert!(
        help.contains("--external-entities") && help.contains("--entity-root"),
        "{help}"
    );
    let o = run(&["xml", "--help"], None);
    assert!(stdout(&o).contains("3 a security limit"), "{}", stdout(&o));
}

#[test]
fn limit_flags_document_the_library_defaults_and_raise_limits() {
    let o = run(&["xml", "check", "--help"], None);
    let help = stdout(&o);
    // The help's defaults are the library's constants (issue 11): clap prints the value the
    // flag defaults to, and that value is `Limits::DEFAULT_*`.
    use wary_xml::Limits as L;
    for (flag, default) in [
        ("--max-depth", L::DEFAULT_MAX_DEPTH as u64),
        ("--max-entity-depth", L::DEFAULT_MAX_ENTITY_DEPTH as u64),
        ("--max-amplification", L::DEFAULT_MAX_AMPLIFICATION),
        (
            "--amplification-threshold",
            L::DEFAULT_AMPLIFICATION_THRESHOLD,
        ),
        ("--max-attributes", L::DEFAULT_MAX_ATTRIBUTES as u64),
        ("--max-name-len", L::DEFAULT_MAX_NAME_LEN as u64),
        ("--max-token-len", L::DEFAULT_MAX_TOKEN_LEN as u64),
        ("--max-retained-bytes", L::DEFAULT_MAX_RETAINED_BYTES as u64),
    ] {
        let at = help
            .find(&format!("{flag} <"))
            .unwrap_or_else(|| panic!("{flag} in the help: {help}"));
        let entry = &help[at..];
        let entry = &entry[..entry[2..].find("\n      --").map_or(entry.len(), |e| e + 2)];
        let shown: Vec<&str> = entry
            .split("[default: ")
            .skip(1)
            .filter_map(|s| s.split(']').next())
            .collect();
        assert_eq!(
            shown,
            [default.to_string()],
            "{flag} documents its default once, the library's: {entry}"
        );
    }

    // A document nested 5 deep passes by default and hits --max-depth 4 (exit 3).
    let doc = b"<a><b><c><d><e/></d></c></b></a>";
    assert_eq!(code(&run(&["xml", "check", "-"], Some(doc))), 0);
    let o = run(&["xml", "check", "--max-depth", "4", "-"], Some(doc));
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert!(stderr(&o).contains("--max-depth"), "{}", stderr(&o));
    // Zero is refused as a usage error rather than rejecting every document.
    assert_eq!(
        code(&run(&["xml", "check", "--max-depth", "0", "-"], Some(doc))),
        2
    );
}
