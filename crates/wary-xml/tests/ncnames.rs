//! Namespaces in XML 1.0 §7 (issue 10, class 9): "No entity names, PI targets, or notation
//! names contain any colons", and element types are QNames, wherever the name appears,
//! references included, and whether or not the reference is ever expanded. The attack is
//! generated: every place a name can stand, times names with colons in every position; each
//! must be a namespace error, and the same document with a colon-free name must parse.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use wary_xml::{Error, ErrorKind, Options, Reader};

fn read(doc: &str) -> Result<(), Error> {
    let mut reader = Reader::from_bytes(doc.as_bytes(), Options::default());
    while reader.next_event()?.is_some() {}
    Ok(())
}

/// Documents with `{N}` where a name goes. Each is well-formed with an NCName there.
const PLACES: &[(&str, &str)] = &[
    (
        "general reference in an unused entity value",
        "<!DOCTYPE r [<!ENTITY e 'a&{N};b'>]><r/>",
    ),
    (
        "general reference in an unused entity value after an undeclared parameter entity",
        "<!DOCTYPE r [%undeclared;<!ENTITY e '&{N};'>]><r/>",
    ),
    (
        "general reference in content, external DTD not loaded",
        "<!DOCTYPE r SYSTEM 'ext.dtd'><r>&{N};</r>",
    ),
    (
        "general reference in an attribute value, external DTD not loaded",
        "<!DOCTYPE r SYSTEM 'ext.dtd'><r a='x&{N};y'/>",
    ),
    (
        "general reference in an attribute default, external DTD not loaded",
        "<!DOCTYPE r SYSTEM 'ext.dtd' [<!ATTLIST r a CDATA '&{N};'>]><r/>",
    ),
    (
        "general reference in an attribute default reached through a parameter entity",
        "<!DOCTYPE r SYSTEM 'ext.dtd' [<!ENTITY % d \"<!ATTLIST r a CDATA '&#38;{N};'>\">%d;]><r/>",
    ),
    (
        "general reference in an entity value reached through a parameter entity",
        "<!DOCTYPE r [<!ENTITY % d \"<!ENTITY e '&#38;{N};'>\">%d;]><r/>",
    ),
    (
        "parameter-entity reference between declarations, external DTD not loaded",
        "<!DOCTYPE r SYSTEM 'ext.dtd' [%{N};]><r/>",
    ),
    ("entity declaration", "<!DOCTYPE r [<!ENTITY {N} 'v'>]><r/>"),
    (
        "parameter entity declaration",
        "<!DOCTYPE r [<!ENTITY % {N} 'v'>]><r/>",
    ),
    (
        "notation declaration",
        "<!DOCTYPE r [<!NOTATION {N} SYSTEM 'n'>]><r/>",
    ),
    ("processing instruction target", "<r><?{N} data?></r>"),
];

/// Element types may have one colon (a QName); these places must refuse two.
const QNAME_PLACES: &[(&str, &str)] = &[
    (
        "element type in a children content model",
        "<!DOCTYPE r [<!ELEMENT r ({N})>]><r/>",
    ),
    (
        "element type in a mixed content model",
        "<!DOCTYPE r [<!ELEMENT r (#PCDATA|{N})*>]><r/>",
    ),
    (
        "element type in an element declaration",
        "<!DOCTYPE r [<!ELEMENT {N} EMPTY>]><r/>",
    ),
    (
        "element type in an attribute-list declaration",
        "<!DOCTYPE r [<!ATTLIST {N} a CDATA #IMPLIED>]><r/>",
    ),
];

fn check(what: &str, template: &str, good: &str, bad: &[&str]) {
    let ok = template.replace("{N}", good);
    read(&ok).unwrap_or_else(|e| panic!("{what} with '{good}': {e}\n{ok}"));
    for name in bad {
        let doc = template.replace("{N}", name);
        let e = read(&doc).expect_err(&format!("{what} with '{name}' was accepted: {doc}"));
        assert_eq!(e.kind(), ErrorKind::Namespace, "{what} with '{name}': {e}");
        assert!(e.rule().contains("Namespaces in XML 1.0"), "{what}: {e}");
        assert!(e.position().is_some(), "{what}: no position: {e}");
    }
}

#[test]
fn no_entity_notation_or_pi_name_has_a_colon() {
    let bad = ["a:b", ":a", "a:", "a::b", "x:y:z", "é:ü"];
    for (what, template) in PLACES {
        check(what, template, "ok", &bad);
    }
}

#[test]
fn element_types_in_the_dtd_are_qnames() {
    let bad = [":a", "a:", "a::b", "x:y:z"];
    for (what, template) in QNAME_PLACES {
        check(what, template, "p:r", &bad);
    }
}

/// Where the reference is reported: at it, not at the tag or declaration around it.
#[test]
fn the_error_points_at_the_reference() {
    let doc = "<!DOCTYPE r SYSTEM 'ext.dtd'>\n<r>text &a:b; more</r>";
    let e = read(doc).unwrap_err();
    let p = e.position().unwrap();
    assert_eq!((p.line, p.column), (2, 10), "{e}");
    assert!(e.message().contains("&a:b;"), "{e}");
}
