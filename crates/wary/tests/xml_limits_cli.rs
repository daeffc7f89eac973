//! `wary xml check`'s limit flags (issue 3 §1): each limit stops a document that crosses it
//! with exit status 3 and a message naming the limit, its value and the flag, and the flag
//! moves the limit both ways. The library names its `Limits` field; the flag is the CLI's
//! (issue 11). Defaults come from `Limits::DEFAULT_*`, never restated here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use wary_xml::Limits;

/// Runs `wary xml check FLAGS -` on `doc`; returns (exit code, stderr).
fn check(doc: &str, flags: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.xml");
    std::fs::write(&path, doc).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wary"))
        .args(["xml", "check"])
        .args(flags)
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The document breaks the default limit, passes with `raise`, and breaks `lower`.
#[track_caller]
fn limit(doc: &str, flag: &str, default: &str, raise: &str, lower: Option<(&str, &str)>) {
    let (code, err) = check(doc, &[]);
    assert_eq!(code, 3, "{flag} default: {err}");
    let field = flag.trim_start_matches("--").replace('-', "_");
    assert!(
        err.contains(&format!("Limits::{field} is {default}")),
        "{flag}: {err}"
    );
    assert!(
        err.contains(&format!("raise it with {flag} ")),
        "{flag}: {err}"
    );
    let (code, err) = check(doc, &[flag, raise]);
    assert_eq!(code, 0, "{flag} {raise}: {err}");
    if let Some((ok_doc, low)) = lower {
        assert_eq!(
            check(ok_doc, &[]).0,
            0,
            "{flag}: the small document is fine by default"
        );
        let (code, err) = check(ok_doc, &[flag, low]);
        assert_eq!(code, 3, "{flag} {low}: {err}");
        assert!(err.contains(&format!("{field} is {low}")), "{flag}: {err}");
        assert!(
            err.contains(&format!("raise it with {flag} ")),
            "{flag}: {err}"
        );
    }
}

#[test]
fn max_depth() {
    let n = Limits::DEFAULT_MAX_DEPTH + 1;
    let deep = format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
    limit(
        &deep,
        "--max-depth",
        &Limits::DEFAULT_MAX_DEPTH.to_string(),
        &n.to_string(),
        Some(("<a><b><c/></b></a>", "2")),
    );
}

#[test]
fn max_entity_depth() {
    let mut dtd = String::from("<!ENTITY e0 'x'>");
    let n = Limits::DEFAULT_MAX_ENTITY_DEPTH + 8;
    for i in 1..n {
        dtd.push_str(&format!("<!ENTITY e{i} '&e{};'>", i - 1));
    }
    let doc = format!("<!DOCTYPE r [{dtd}]><r>&e{};</r>", n - 1);
    let small = "<!DOCTYPE r [<!ENTITY a '&b;'><!ENTITY b 'x'>]><r>&a;</r>";
    let default = Limits::DEFAULT_MAX_ENTITY_DEPTH.to_string();
    limit(
        &doc,
        "--max-entity-depth",
        &default,
        "64",
        Some((small, "1")),
    );
}

#[test]
fn max_amplification_and_threshold() {
    // 1,000 references to a 10 KB entity: 10 MB from 14 KB, past the 8 MiB threshold.
    let doc = format!(
        "<!DOCTYPE r [<!ENTITY a '{}'>]><r>{}</r>",
        "x".repeat(10_000),
        "&a;".repeat(1000)
    );
    let default = Limits::DEFAULT_MAX_AMPLIFICATION.to_string();
    limit(&doc, "--max-amplification", &default, "1000", None);
    let (code, _) = check(&doc, &["--amplification-threshold", "20000000"]);
    assert_eq!(code, 0);
    // A small expansion is stopped once the threshold is lowered.
    let small = format!(
        "<!DOCTYPE r [<!ENTITY a '{}'>]><r>{}</r>",
        "x".repeat(100),
        "&a;".repeat(100)
    );
    assert_eq!(check(&small, &[]).0, 0);
    let (code, err) = check(
        &small,
        &[
            "--amplification-threshold",
            "1000",
            "--max-amplification",
            "2",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("raise it with --max-amplification "), "{err}");
}

#[test]
fn max_attributes() {
    let n = Limits::DEFAULT_MAX_ATTRIBUTES + 1;
    let atts: String = (0..n).map(|i| format!(" a{i}=''")).collect();
    let doc = format!("<r{atts}/>");
    limit(
        &doc,
        "--max-attributes",
        &Limits::DEFAULT_MAX_ATTRIBUTES.to_string(),
        "10000",
        Some(("<r a='1' b='2' c='3'/>", "2")),
    );
}

#[test]
fn max_name_len() {
    let doc = format!("<{}/>", "n".repeat(Limits::DEFAULT_MAX_NAME_LEN + 1));
    limit(
        &doc,
        "--max-name-len",
        &Limits::DEFAULT_MAX_NAME_LEN.to_string(),
        "100000",
        Some(("<name/>", "3")),
    );
}

#[test]
fn max_token_len() {
    let doc = format!(
        "<r><!--{}--></r>",
        "c".repeat(Limits::DEFAULT_MAX_TOKEN_LEN + 1)
    );
    let small = format!("<r><!--{}--></r>", "c".repeat(100));
    limit(
        &doc,
        "--max-token-len",
        &Limits::DEFAULT_MAX_TOKEN_LEN.to_string(),
        "20000000",
        Some((&small, "50")),
    );
}

#[test]
fn max_retained_bytes() {
    // 100,000 entity declarations: about 30 MB counted against the default (16 MiB).
    let decls: String = (0..100_000)
        .map(|i| format!("<!ENTITY e{i} 'v'>"))
        .collect();
    let doc = format!("<!DOCTYPE r [{decls}]><r/>");
    let small = "<!DOCTYPE r [<!ENTITY e 'v'>]><r><a xmlns='urn:x'/></r>";
    limit(
        &doc,
        "--max-retained-bytes",
        &Limits::DEFAULT_MAX_RETAINED_BYTES.to_string(),
        "100000000",
        Some((small, "100")),
    );
}
