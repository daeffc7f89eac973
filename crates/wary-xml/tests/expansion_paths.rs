//! Every expansion path goes through the one expansion guard (issue 11, point 3): for each
//! way a document can make the parser expand an entity, and each attack on expansion, the
//! error is the same kind and names the same rule.
//!
//! Paths: a reference in text, in an attribute value, in an attribute default (expanded
//! when the DTD declares it), a parameter entity between declarations, an external general
//! entity (local mode). Attacks: recursion (WFC: No Recursion), nesting deeper than
//! `Limits::max_entity_depth`, and amplification (`Limits::max_amplification`). Each document
//! is generated from the path and the attack, so a path that skipped a check, or checked it
//! its own way (another kind, another rule, a panic, or no error), fails its row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::Path;
use wary_xml::{Error, ErrorKind, ExternalEntities, Limit, Limits, Options, Reader};

#[derive(Clone, Copy, Debug)]
enum Path_ {
    Text,
    AttrValue,
    AttrDefault,
    Parameter,
    External,
}

#[derive(Clone, Copy, Debug)]
enum Attack {
    Recursion,
    Depth,
    Amplification,
}

const MAX_DEPTH: usize = 6;
const THRESHOLD: u64 = 1_000;
const FACTOR: u64 = 4;

fn options() -> Options {
    Options::new().with_limits(
        Limits::default()
            .with_max_entity_depth(MAX_DEPTH)
            .with_amplification_threshold(THRESHOLD)
            .with_max_amplification(FACTOR),
    )
}

/// The replacement text of entity `i` of a chain of `n` for `attack`: recursion loops back
/// to the first, depth goes one level deeper each time, amplification refers ten times to
/// the next (a billion laughs).
fn chain(attack: Attack, sigil: &str, i: usize) -> (usize, String) {
    let n = match attack {
        Attack::Recursion => 3,
        Attack::Depth => MAX_DEPTH + 4,
        Attack::Amplification => 6,
    };
    let next = |j: usize| format!("{sigil}e{j};");
    let text = match attack {
        Attack::Recursion => next((i + 1) % n),
        Attack::Depth if i + 1 < n => next(i + 1),
        Attack::Amplification if i + 1 < n => next(i + 1).repeat(10),
        _ => "x".repeat(20),
    };
    (n, text)
}

/// Internal general entities e0..en for `attack`.
fn general_decls(attack: Attack) -> String {
    let mut out = String::new();
    let mut i = 0;
    loop {
        let (n, text) = chain(attack, "&", i);
        out.push_str(&format!("<!ENTITY e{i} \"{text}\">\n"));
        i += 1;
        if i == n {
            return out;
        }
    }
}

/// The document for `path` and `attack`, written in `dir` (external entities are files).
fn document(path: Path_, attack: Attack, dir: &Path) -> String {
    match path {
        Path_::Text => format!("<!DOCTYPE r [\n{}]>\n<r>&e0;</r>", general_decls(attack)),
        Path_::AttrValue => format!("<!DOCTYPE r [\n{}]>\n<r a='&e0;'/>", general_decls(attack)),
        Path_::AttrDefault => format!(
            "<!DOCTYPE r [\n{}<!ATTLIST r a CDATA '&e0;'>\n]>\n<r/>",
            general_decls(attack)
        ),
        Path_::Parameter => {
            // A parameter entity's value may not hold a parameter-entity reference in the
            // internal subset, but a character reference to '%' becomes one in the
            // replacement text, which is then read between declarations (XML 1.0 §4.4.5).
            let mut decls = String::new();
            let mut i = 0;
            loop {
                let (n, text) = chain(attack, "&#37;", i);
                let text = if text.starts_with('x') {
                    " ".repeat(20)
                } else {
                    text
                };
                decls.push_str(&format!("<!ENTITY % e{i} \"{text}\">\n"));
                i += 1;
                if i == n {
                    break;
                }
            }
            format!("<!DOCTYPE r [\n{decls}%e0;\n]>\n<r/>")
        }
        Path_::External => {
            // Each entity is a file; its text refers to the next as in the internal chains.
            let mut decls = String::new();
            let mut i = 0;
            loop {
                // (A fan-out re-reads each file: every re-read counts as expansion.)
                let (n, text) = chain(attack, "&", i);
                fs::write(dir.join(format!("e{i}.ent")), &text).unwrap();
                decls.push_str(&format!("<!ENTITY e{i} SYSTEM 'e{i}.ent'>\n"));
                i += 1;
                if i == n {
                    break;
                }
            }
            format!("<!DOCTYPE r [\n{decls}]>\n<r>&e0;</r>")
        }
    }
}

fn parse(doc: &str, path: Path_, dir: &Path) -> Result<(), Error> {
    let mut options = options();
    if let Path_::External = path {
        let file = dir.join("doc.xml");
        fs::write(&file, doc).unwrap();
        options = options
            .with_external_entities(ExternalEntities::local())
            .with_document_path(file);
    }
    let mut reader = Reader::from_bytes(doc.as_bytes(), options);
    while reader.next_event()?.is_some() {}
    Ok(())
}

#[test]
fn every_expansion_path_is_guarded_the_same_way() {
    let paths = [
        Path_::Text,
        Path_::AttrValue,
        Path_::AttrDefault,
        Path_::Parameter,
        Path_::External,
    ];
    let attacks = [
        (
            Attack::Recursion,
            ErrorKind::RecursiveEntity,
            "WFC: No Recursion",
            None,
        ),
        (
            Attack::Depth,
            ErrorKind::Limit,
            "Limits::max_entity_depth",
            Some(Limit::MaxEntityDepth),
        ),
        (
            Attack::Amplification,
            ErrorKind::Limit,
            "Limits::max_amplification",
            Some(Limit::MaxAmplification),
        ),
    ];
    let limits = options().limits;
    let mut failures = Vec::new();
    for path in paths {
        for (attack, kind, rule, limit) in attacks {
            let dir = tempfile::tempdir().unwrap();
            let doc = document(path, attack, dir.path());
            match parse(&doc, path, dir.path()) {
                // A limit error says which limit on every path, and names it with the value
                // in force (a path that rebuilt the error would lose it: issue 11, point 4).
                Err(e) if e.kind() == kind && e.rule() == rule && e.limit() == limit => {
                    if let Some(l) = limit {
                        let named = format!("{l} is {}", limits.value(l));
                        if !e.message().contains(&named) {
                            failures.push(format!(
                                "{path:?} x {attack:?}: the message does not say {named:?}: {e}"
                            ));
                        }
                    }
                }
                Err(e) => failures.push(format!(
                    "{path:?} x {attack:?}: expected {kind:?} ({rule}, {limit:?}), got {:?} \
                     ({}, {:?}): {e}",
                    e.kind(),
                    e.rule(),
                    e.limit()
                )),
                Ok(()) => failures.push(format!(
                    "{path:?} x {attack:?}: expected {kind:?} ({rule}), the document was accepted"
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The same attacks within the limits are accepted on every path: the guard refuses the
/// attack, not the construct (a chain one level short of the limit, a fan-out under the
/// threshold).
#[test]
fn every_expansion_path_accepts_what_is_within_the_limits() {
    for path in [
        Path_::Text,
        Path_::AttrValue,
        Path_::AttrDefault,
        Path_::External,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut decls = String::new();
        let n = MAX_DEPTH - 1;
        for i in 0..n {
            let text = if i + 1 < n {
                format!("&e{};", i + 1)
            } else {
                "x".into()
            };
            if let Path_::External = path {
                fs::write(dir.path().join(format!("e{i}.ent")), &text).unwrap();
                decls.push_str(&format!("<!ENTITY e{i} SYSTEM 'e{i}.ent'>\n"));
            } else {
                decls.push_str(&format!("<!ENTITY e{i} \"{text}\">\n"));
            }
        }
        let doc = match path {
            Path_::AttrValue => format!("<!DOCTYPE r [\n{decls}]>\n<r a='&e0;'/>"),
            Path_::AttrDefault => {
                format!("<!DOCTYPE r [\n{decls}<!ATTLIST r a CDATA '&e0;'>\n]>\n<r/>")
            }
            _ => format!("<!DOCTYPE r [\n{decls}]>\n<r>&e0;</r>"),
        };
        parse(&doc, path, dir.path()).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    }
}
