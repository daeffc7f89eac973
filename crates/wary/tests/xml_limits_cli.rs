//! `wary xml check`'s limit flags (issue 3 §1): each limit stops a document that crosses it
//! with exit status 3 and a message naming the limit, its value and the flag, and the flag
//! moves the limit both ways.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

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
    assert!(err.contains(flag) && err.contains(default), "{flag}: {err}");
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
        assert!(err.contains(flag) && err.contains(low), "{flag}: {err}");
    }
}

#[test]
fn max_depth() {
    let deep = format!("{}{}", "<a>".repeat(1100), "</a>".repeat(1100));
    limit(
        &deep,
        "--max-depth",
        "1024",
        "2000",
        Some(("<a><b><c/></b></a>", "2")),
    );
}

#[test]
fn max_entity_depth() {
    let mut dtd = String::from("<!ENTITY e0 'x'>");
    for i in 1..40 {
        dtd.push_str(&format!("<!ENTITY e{i} '&e{};'>", i - 1));
    }
    let doc = format!("<!DOCTYPE r [{dtd}]><r>&e39;</r>");
    let small = "<!DOCTYPE r [<!ENTITY a '&b;'><!ENTITY b 'x'>]><r>&a;</r>";
    limit(&doc, "--max-entity-depth", "32", "64", Some((small, "1")));
}

#[test]
fn max_amplification_and_threshold() {
    // 1,000 references to a 10 KB entity: 10 MB from 14 KB, past the 8 MiB threshold.
    let doc = format!(
        "<!DOCTYPE r [<!ENTITY a '{}'>]><r>{}</r>",
        "x".repeat(10_000),
        "&a;".repeat(1000)
    );
    limit(&doc, "--max-amplification", "100", "1000", None);
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
    assert!(err.contains("--max-amplification"), "{err}");
}

#[test]
fn max_attributes() {
    let atts: String = (0..5000).map(|i| format!(" a{i}=''")).collect();
    let doc = format!("<r{atts}/>");
    limit(
        &doc,
        "--max-attributes",
        "4096",
        "10000",
        Some(("<r a='1' b='2' c='3'/>", "2")),
    );
}

#[test]
fn max_name_len() {
    let doc = format!("<{}/>", "n".repeat(60_000));
    limit(
        &doc,
        "--max-name-len",
        "50000",
        "100000",
        Some(("<name/>", "3")),
    );
}

#[test]
fn max_token_len() {
    let doc = format!("<r><!--{}--></r>", "c".repeat(11 << 20));
    let small = format!("<r><!--{}--></r>", "c".repeat(100));
    limit(
        &doc,
        "--max-token-len",
        "10485760",
        "20000000",
        Some((&small, "50")),
    );
}

#[test]
fn max_retained_bytes() {
    // 100,000 entity declarations: about 30 MB counted against the 16 MiB default.
    let decls: String = (0..100_000)
        .map(|i| format!("<!ENTITY e{i} 'v'>"))
        .collect();
    let doc = format!("<!DOCTYPE r [{decls}]><r/>");
    let small = "<!DOCTYPE r [<!ENTITY e 'v'>]><r><a xmlns='urn:x'/></r>";
    limit(
        &doc,
        "--max-retained-bytes",
        "16777216",
        "100000000",
        Some((small, "100")),
    );
}
