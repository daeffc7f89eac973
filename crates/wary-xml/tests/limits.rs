//! The limits' public API (issue 11, point 4): every [`Limit`] can be crossed by some document
//! and comes back from [`Error::limit`], by every path that checks it (content, attributes,
//! the DTD) and for every way the input arrives; messages name the `Limits` field and its
//! value, never a command-line flag; the builders set exactly their field; the defaults are
//! written once (`Limits::DEFAULT_*`) and the documents that repeat them are checked here.
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::io::Read;
use wary_xml::{Error, ErrorKind, Fault, Limit, Limits, Options, Reader};

/// Small limits, so that small documents cross them; each row below changes none of them.
fn small() -> Limits {
    Limits::default()
        .with_max_depth(3)
        .with_max_entity_depth(2)
        .with_amplification_threshold(64)
        .with_max_amplification(2)
        .with_max_attributes(3)
        .with_max_name_len(8)
        .with_max_token_len(256)
        .with_max_retained_bytes(4096)
}

/// A reader that hands out at most `chunk` bytes per `read`.
struct Chunks<'a> {
    rest: &'a [u8],
    chunk: usize,
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.rest.len().min(self.chunk).min(buf.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

fn first_error(mut reader: Reader<'_>) -> Option<Error> {
    loop {
        match reader.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    }
}

/// Each row: the limit a document crosses under [`small`], which path it takes, and the
/// document. Every limit has a row for each place that checks it.
fn table() -> Vec<(Limit, &'static str, String)> {
    let decls = |n: usize| -> String {
        (0..n)
            .map(|i| format!("<!ENTITY e{i} 'v'>"))
            .collect::<String>()
    };
    let lol = "<!DOCTYPE a [<!ENTITY x '0123456789012345678901234567890123456789'>\
               <!ENTITY y '&x;&x;&x;&x;&x;&x;&x;&x;&x;&x;'>]>";
    vec![
        (
            Limit::MaxDepth,
            "elements",
            "<a><b><c><d/></c></b></a>".into(),
        ),
        (
            Limit::MaxDepth,
            "content model groups",
            "<!DOCTYPE a [<!ELEMENT a ((((((b))))))>]><a/>".into(),
        ),
        (
            Limit::MaxEntityDepth,
            "entities in content",
            "<!DOCTYPE a [<!ENTITY e1 'x'><!ENTITY e2 '&e1;'><!ENTITY e3 '&e2;'>\
             <!ENTITY e4 '&e3;'>]><a>&e4;</a>"
                .into(),
        ),
        (
            Limit::MaxEntityDepth,
            "entities in an attribute value",
            "<!DOCTYPE a [<!ENTITY e1 'x'><!ENTITY e2 '&e1;'><!ENTITY e3 '&e2;'>\
             <!ENTITY e4 '&e3;'>]><a v='&e4;'/>"
                .into(),
        ),
        (
            Limit::MaxEntityDepth,
            "parameter entities",
            // `&#37;` is `%` in the replacement text: each expands to a reference to the
            // next (XML 1.0 §4.4.5, Included in Literal does not apply to char references).
            "<!DOCTYPE a [<!ENTITY % p1 ''><!ENTITY % p2 '&#37;p1;'>\
             <!ENTITY % p3 '&#37;p2;'><!ENTITY % p4 '&#37;p3;'>%p4;]><a/>"
                .into(),
        ),
        (Limit::MaxAmplification, "text", format!("{lol}<a>&y;</a>")),
        (
            Limit::MaxAmplification,
            "an attribute value",
            format!("{lol}<a v='&y;'/>"),
        ),
        (
            Limit::MaxAttributes,
            "specified attributes",
            "<a w='1' x='2' y='3' z='4'/>".into(),
        ),
        (
            Limit::MaxAttributes,
            "attribute defaults",
            "<!DOCTYPE a [<!ATTLIST a x CDATA 'd' y CDATA 'd' z CDATA 'd'>]><a w='1'/>".into(),
        ),
        (Limit::MaxNameLen, "an element name", "<abcdefghij/>".into()),
        (
            Limit::MaxNameLen,
            "an attribute name",
            "<a abcdefghij='1'/>".into(),
        ),
        (
            Limit::MaxNameLen,
            "a name in the DTD",
            "<!DOCTYPE a [<!ENTITY abcdefghij 'x'>]><a/>".into(),
        ),
        (
            Limit::MaxTokenLen,
            "a comment",
            format!("<a><!--{}--></a>", "c".repeat(300)),
        ),
        (
            Limit::MaxTokenLen,
            "an entity value",
            format!("<!DOCTYPE a [<!ENTITY e '{}'>]><a/>", "v".repeat(300)),
        ),
        (
            Limit::MaxTokenLen,
            "an expanded attribute value",
            format!(
                "<!DOCTYPE a [<!ENTITY e '{}'>]><a v='&e;&e;'/>",
                "v".repeat(200)
            ),
        ),
        (
            Limit::MaxRetainedBytes,
            "entity declarations",
            format!("<!DOCTYPE a [{}]><a/>", decls(40)),
        ),
        (
            Limit::MaxRetainedBytes,
            "skipped-entity names",
            // The external subset is not read, so undeclared references are skipped and
            // their names kept (XML 1.0 §4.1, WFC: Entity Declared does not apply).
            format!(
                "<!DOCTYPE a SYSTEM 'a.dtd'><a>{}</a>",
                (0..40).map(|i| format!("&e{i};")).collect::<String>()
            ),
        ),
    ]
}

/// Every limit: a document crosses it, and `Error::limit` names it, whole or read a byte at
/// a time or in 7-byte reads; the message names the field and its value, never a flag; the
/// error has a position.
#[test]
fn every_limit_is_reported_as_itself() {
    let limits = small();
    let mut seen = HashSet::new();
    for (limit, path, doc) in table() {
        let what = format!("{limit} through {path}");
        let whole = first_error(Reader::from_bytes(
            doc.as_bytes(),
            Options::new().with_limits(limits.clone()),
        ))
        .unwrap_or_else(|| panic!("{what}: accepted"));
        for chunk in [1, 7] {
            let split = first_error(Reader::new(
                Chunks {
                    rest: doc.as_bytes(),
                    chunk,
                },
                Options::new().with_limits(limits.clone()),
            ))
            .unwrap_or_else(|| panic!("{what}, {chunk}-byte reads: accepted"));
            assert_eq!(
                (split.limit(), split.to_string()),
                (whole.limit(), whole.to_string()),
                "{what}: {chunk}-byte reads"
            );
        }
        assert_eq!(whole.limit(), Some(limit), "{what}: {whole}");
        assert_eq!(whole.kind(), ErrorKind::Limit, "{what}: {whole}");
        assert_eq!(whole.fault(), Fault::Limit, "{what}: {whole}");
        assert_eq!(whole.rule(), format!("Limits::{}", limit.field_name()));
        let named = format!("Limits::{} is {}", limit.field_name(), limits.value(limit));
        assert!(whole.message().contains(&named), "{what}: {whole}");
        assert!(
            !whole.message().contains("--"),
            "{what} names a flag: {whole}"
        );
        let p = whole
            .position()
            .unwrap_or_else(|| panic!("{what}: no position: {whole}"));
        assert!(p.line >= 1 && p.column >= 1, "{what}: {p:?}");
        // The same document with that one limit at its default is not stopped by it.
        let relaxed = relax(&limits, limit);
        let other = first_error(Reader::from_bytes(
            doc.as_bytes(),
            Options::new().with_limits(relaxed),
        ));
        assert_ne!(other.as_ref().and_then(Error::limit), Some(limit), "{what}");
        seen.insert(limit);
    }
    for limit in Limit::ALL {
        assert!(seen.contains(limit), "no document crosses {limit}");
    }
}

/// `limits` with `limit` back at its default.
fn relax(limits: &Limits, limit: Limit) -> Limits {
    let d = Limits::default();
    let l = limits.clone();
    match limit {
        Limit::MaxDepth => l.with_max_depth(d.max_depth),
        Limit::MaxEntityDepth => l.with_max_entity_depth(d.max_entity_depth),
        Limit::MaxAmplification => l
            .with_max_amplification(d.max_amplification)
            .with_amplification_threshold(d.amplification_threshold),
        Limit::MaxAttributes => l.with_max_attributes(d.max_attributes),
        Limit::MaxNameLen => l.with_max_name_len(d.max_name_len),
        Limit::MaxTokenLen => l.with_max_token_len(d.max_token_len),
        Limit::MaxRetainedBytes => l.with_max_retained_bytes(d.max_retained_bytes),
        _ => unreachable!("a new Limit needs a row in table() and here"),
    }
}

/// Makes the document of a given size.
type Doc = dyn Fn(usize) -> String;

/// Generated: for each limit and many values of it, the document just over the value is
/// stopped by that limit with that value in the message, and the one at the value is not.
#[test]
fn the_value_in_force_is_the_one_reported() {
    for n in 1..40usize {
        let nest = |k: usize| "<a>".repeat(k) + &"</a>".repeat(k);
        let attrs = |k: usize| {
            let a: String = (0..k).map(|i| format!(" a{i}='v'")).collect();
            format!("<r{a}/>")
        };
        let name = |k: usize| format!("<{}/>", "n".repeat(k));
        let cases: [(Limit, Limits, &Doc); 3] = [
            (Limit::MaxDepth, Limits::default().with_max_depth(n), &nest),
            (
                Limit::MaxAttributes,
                Limits::default().with_max_attributes(n),
                &attrs,
            ),
            (
                Limit::MaxNameLen,
                Limits::default().with_max_name_len(n),
                &name,
            ),
        ];
        for (limit, limits, doc) in cases {
            let opts = || Options::new().with_limits(limits.clone());
            let at = first_error(Reader::from_bytes(doc(n).as_bytes(), opts()));
            assert!(at.is_none(), "{limit} = {n}: {at:?}");
            let over = first_error(Reader::from_bytes(doc(n + 1).as_bytes(), opts()))
                .unwrap_or_else(|| panic!("{limit} = {n}: accepted"));
            assert_eq!(over.limit(), Some(limit), "{over}");
            assert!(
                over.message().ends_with(&format!("; {limit} is {n}")),
                "{over}"
            );
        }
    }
}

/// No other error carries a limit: documents that break a rule, not a limit.
#[test]
fn only_limit_errors_carry_a_limit() {
    for doc in [
        "<a>",
        "<a></b>",
        "<a x='1' x='2'/>",
        "<a>&undeclared;</a>",
        "<!DOCTYPE a [<!ENTITY e '&e;'>]><a>&e;</a>",
        "<a>\u{1}</a>",
        "<p:a/>",
    ] {
        let e = first_error(Reader::from_bytes(doc.as_bytes(), Options::default()))
            .unwrap_or_else(|| panic!("{doc}: accepted"));
        assert_ne!(e.kind(), ErrorKind::Limit, "{doc}: {e}");
        assert_eq!(e.limit(), None, "{doc}: {e}");
    }
}

/// Each builder sets its own field and no other; `Limits::value` reads the field a `Limit`
/// names.
#[test]
fn builders_set_exactly_their_field() {
    let d = Limits::default();
    let v = 7u64;
    let set = |l: Limit| -> Limits {
        let vs = v as usize;
        match l {
            Limit::MaxDepth => d.clone().with_max_depth(vs),
            Limit::MaxEntityDepth => d.clone().with_max_entity_depth(vs),
            Limit::MaxAmplification => d.clone().with_max_amplification(v),
            Limit::MaxAttributes => d.clone().with_max_attributes(vs),
            Limit::MaxNameLen => d.clone().with_max_name_len(vs),
            Limit::MaxTokenLen => d.clone().with_max_token_len(vs),
            Limit::MaxRetainedBytes => d.clone().with_max_retained_bytes(vs),
            _ => unreachable!("a new Limit needs a builder here"),
        }
    };
    for &l in Limit::ALL {
        let changed = set(l);
        for &other in Limit::ALL {
            let want = if other == l { v } else { d.value(other) };
            assert_eq!(changed.value(other), want, "with {l}, {other}");
        }
        assert_eq!(changed.amplification_threshold, d.amplification_threshold);
    }
    let t = d.clone().with_amplification_threshold(v);
    assert_eq!(t.amplification_threshold, v);
    for &l in Limit::ALL {
        assert_eq!(t.value(l), d.value(l));
    }
}

/// The defaults are the constants, field by field.
#[test]
fn defaults_are_the_constants() {
    let d = Limits::default();
    assert_eq!(d.max_depth, Limits::DEFAULT_MAX_DEPTH);
    assert_eq!(d.max_entity_depth, Limits::DEFAULT_MAX_ENTITY_DEPTH);
    assert_eq!(
        d.amplification_threshold,
        Limits::DEFAULT_AMPLIFICATION_THRESHOLD
    );
    assert_eq!(d.max_amplification, Limits::DEFAULT_MAX_AMPLIFICATION);
    assert_eq!(d.max_attributes, Limits::DEFAULT_MAX_ATTRIBUTES);
    assert_eq!(d.max_name_len, Limits::DEFAULT_MAX_NAME_LEN);
    assert_eq!(d.max_token_len, Limits::DEFAULT_MAX_TOKEN_LEN);
    assert_eq!(d.max_retained_bytes, Limits::DEFAULT_MAX_RETAINED_BYTES);
    assert_eq!(Options::new().limits, d);
}

/// docs/security.md's table of limits states each default: it must say what the constants
/// say (a default changed in limits.rs fails here until the document follows).
#[test]
fn the_security_document_states_the_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/security.md");
    let text = std::fs::read_to_string(path).expect("docs/security.md");
    let defaults: [(&str, u64); 8] = [
        ("max_depth", Limits::DEFAULT_MAX_DEPTH as u64),
        ("max_entity_depth", Limits::DEFAULT_MAX_ENTITY_DEPTH as u64),
        (
            "amplification_threshold",
            Limits::DEFAULT_AMPLIFICATION_THRESHOLD,
        ),
        ("max_amplification", Limits::DEFAULT_MAX_AMPLIFICATION),
        ("max_attributes", Limits::DEFAULT_MAX_ATTRIBUTES as u64),
        ("max_name_len", Limits::DEFAULT_MAX_NAME_LEN as u64),
        ("max_token_len", Limits::DEFAULT_MAX_TOKEN_LEN as u64),
        (
            "max_retained_bytes",
            Limits::DEFAULT_MAX_RETAINED_BYTES as u64,
        ),
    ];
    for (field, want) in defaults {
        let start = format!("| `{field}` (`--");
        let row = text
            .lines()
            .find(|l| l.starts_with(&start))
            .unwrap_or_else(|| panic!("docs/security.md has no row for {field}"));
        let cell = row.split('|').nth(2).map(str::trim).unwrap_or_default();
        assert_eq!(
            parse_amount(cell),
            Some(want),
            "docs/security.md says {field} defaults to {cell:?}"
        );
    }
}

/// "1,024", "50,000 bytes", "100×", "8 MiB" as a number.
fn parse_amount(cell: &str) -> Option<u64> {
    let cell = cell.trim_end_matches('×').trim_end_matches(" bytes");
    let (digits, scale) = match cell.strip_suffix(" MiB") {
        Some(n) => (n, 1u64 << 20),
        None => (cell, 1),
    };
    let n: u64 = digits.replace(',', "").parse().ok()?;
    Some(n * scale)
}

/// Found by the reader fuzz target once it checked that a limit error names the value in
/// force: a long pseudo-attribute name in the XML declaration was cut at a fixed 64 bytes and
/// reported as `Limits::max_name_len` (with the small limits, "is 64" where the field was 8;
/// with the defaults, a limit of 50,000 that raising would not have helped). It is a syntax
/// error: only version, encoding and standalone may stand there.
#[test]
fn fuzz_reader_1() {
    let doc = format!(
        "<?xml version{}=\"1.0\" encoding=\"@import(sys-encoding)\"?>\n<root/>\n\n",
        "J".repeat(125)
    );
    for limits in [Limits::default(), small()] {
        let e = first_error(Reader::from_bytes(
            doc.as_bytes(),
            Options::new().with_limits(limits),
        ))
        .expect("refused");
        assert_eq!(e.kind(), ErrorKind::Syntax, "{e}");
        assert_eq!(e.limit(), None, "{e}");
        let p = e.position().expect("a position");
        assert_eq!((p.line, p.column), (1, 7), "{e}");
    }
}

/// Makes a document with the given name in one place.
type Place = fn(&str) -> String;

/// The class of fuzz_reader_1: a name of any length in every place a name is read (the XML
/// and text declarations, PI targets, elements, attributes, entity references, the DTD),
/// under several values of `max_name_len`: an error that says `Limits::max_name_len` is
/// given exactly when the name is longer than the value in force, and says that value.
#[test]
fn a_name_limit_error_is_always_the_limit_in_force() {
    let places: [(&str, Place); 8] = [
        ("xml declaration", |n| format!("<?xml {n}='1.0'?><a/>")),
        ("PI target", |n| format!("<a><?{n} x?></a>")),
        ("element", |n| format!("<{n}/>")),
        ("attribute", |n| format!("<a {n}='1'/>")),
        ("entity reference", |n| {
            format!("<!DOCTYPE a [<!ENTITY {n} 'x'>]><a>&{n};</a>")
        }),
        ("doctype name", |n| format!("<!DOCTYPE {n}><{n}/>")),
        ("element declaration", |n| {
            format!("<!DOCTYPE a [<!ELEMENT {n} EMPTY>]><a/>")
        }),
        ("parameter entity", |n| {
            format!("<!DOCTYPE a [<!ENTITY % {n} ''>%{n};]><a/>")
        }),
    ];
    for max in [1usize, 5, 8, 63, 64, 65, 200] {
        let limits = Limits::default().with_max_name_len(max);
        for len in [1usize, 4, 8, 9, 60, 64, 65, 70, 130, 300] {
            let name = "n".repeat(len);
            for (place, doc) in places {
                let doc = doc(&name);
                let e = first_error(Reader::from_bytes(
                    doc.as_bytes(),
                    Options::new().with_limits(limits.clone()),
                ));
                let named = e.as_ref().and_then(Error::limit);
                let what = format!("{place}, name of {len}, max_name_len {max}: {e:?}");
                if let Some(limit) = named {
                    assert_eq!(limit, Limit::MaxNameLen, "{what}");
                    let said = format!("Limits::max_name_len is {max}");
                    assert!(
                        e.as_ref().is_some_and(|e| e.message().contains(&said)),
                        "{what}"
                    );
                    assert!(len > max, "{what}");
                } else {
                    // The declaration's names are not bound by the limit (they are at most
                    // 10 bytes or a syntax error); every other name is.
                    assert!(len <= max || place == "xml declaration", "{what}");
                }
            }
        }
    }
}
