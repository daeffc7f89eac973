//! What a person reads (issue 10, classes 10 and 12): every error message is one
//! terminal-safe line of bounded length whatever the document holds, and says what is wrong
//! where it is wrong.
//!
//! - `terminal_safety_*`: generated; every code point of the dangerous classes (C0, DEL, C1,
//!   the bidirectional controls) in every place a message echoes a value from the document or
//!   a path, and a 9 MB value in each place.
//! - `errors_say_what_and_where`: table-driven, the error kind, message and line:column.
//! - `undeclared_entities_in_attribute_values`: WFC versus VC: Entity Declared, per XML 1.0
//!   §4.1, both standalone and not, in start tags and in attribute defaults.
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use wary_xml::{Error, ErrorKind, Event, ExternalEntities, Options, Reader, MAX_SHOWN_BYTES};

/// Reads a document to its end; the error it stops at, if any, and the skipped entities.
fn read(doc: &[u8], options: Options) -> (Option<Error>, Vec<String>) {
    let mut reader = Reader::from_bytes(doc, options);
    let mut skipped = Vec::new();
    loop {
        match reader.next_event() {
            Ok(Some(Event::SkippedEntity(n))) => skipped.push(n.to_owned()),
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return (Some(e), skipped),
        }
    }
    // Invariant: the reader's set of skipped names is exactly the distinct names of the
    // events, in first-seen order, wherever the reference stood (content, attribute value,
    // default value): `wary xml check`, canon and the tree read that set.
    let mut distinct: Vec<&str> = Vec::new();
    for n in &skipped {
        if !distinct.contains(&n.as_str()) {
            distinct.push(n);
        }
    }
    let kept: Vec<&str> = reader.skipped_entities().collect();
    assert_eq!(kept, distinct, "skipped_entities() vs events");
    (None, skipped)
}

fn error_of(doc: &[u8], options: Options) -> Error {
    match read(doc, options) {
        (Some(e), _) => e,
        (None, _) => panic!(
            "{:?} was accepted",
            String::from_utf8_lossy(&doc[..doc.len().min(200)])
        ),
    }
}

/// The code points a message must never show raw: C0 controls (tab and line ends too: a
/// message is one line), DEL, C1 controls, and the bidirectional embeddings, overrides and
/// isolates.
fn dangerous() -> Vec<char> {
    (0u32..=0x1f)
        .chain(0x7f..=0x9f)
        .chain(0x202a..=0x202e)
        .chain(0x2066..=0x2069)
        .filter_map(char::from_u32)
        .collect()
}

fn is_dangerous(c: char) -> bool {
    matches!(c as u32, 0..=0x1f | 0x7f..=0x9f | 0x202a..=0x202e | 0x2066..=0x2069)
}

/// Each place a message echoes document text: a document with `{}` where the text goes, and
/// the options to read it with.
fn places() -> Vec<(&'static str, String, Options)> {
    let local =
        || Options::new().with_external_entities(ExternalEntities::local_in(std::env::temp_dir()));
    vec![
        (
            "version",
            "<?xml version='1.0{}'?><a/>".into(),
            Options::default(),
        ),
        (
            "encoding",
            "<?xml version='1.0' encoding='utf-8{}'?><a/>".into(),
            Options::default(),
        ),
        (
            "standalone",
            "<?xml version='1.0' standalone='yes{}'?><a/>".into(),
            Options::default(),
        ),
        (
            "pseudo-attribute",
            "<?xml version='1.0' x{}='1'?><a/>".into(),
            Options::default(),
        ),
        ("element name", "<a{}/>".into(), Options::default()),
        ("end tag", "<a></a{}>".into(), Options::default()),
        ("attribute name", "<a b{}='1'/>".into(), Options::default()),
        (
            "entity reference",
            "<a>&e{};</a>".into(),
            Options::default(),
        ),
        (
            "reference in an attribute",
            "<a b='&e{};'/>".into(),
            Options::default(),
        ),
        ("PI target", "<?t{} x?><a/>".into(), Options::default()),
        ("text after the root", "<a/>{}".into(), Options::default()),
        ("markup", "<a><!{}></a>".into(), Options::default()),
        (
            "attribute type",
            "<!DOCTYPE a [<!ATTLIST a b CDATA{} #IMPLIED>]><a/>".into(),
            Options::default(),
        ),
        (
            "keyword",
            "<!DOCTYPE a [<!ENTITY e SYSTEM{} 'x'>]><a/>".into(),
            Options::default(),
        ),
        (
            "public id",
            "<!DOCTYPE a PUBLIC 'p{}' 's'><a/>".into(),
            Options::default(),
        ),
        (
            "system id (path)",
            "<!DOCTYPE a SYSTEM 'nonexistent-{}.dtd'><a/>".into(),
            local(),
        ),
        (
            "external entity path",
            "<!DOCTYPE a [<!ENTITY e SYSTEM 'nonexistent-{}.ent'>]><a>&e;</a>".into(),
            local(),
        ),
        (
            "entity label",
            "<!DOCTYPE a [<!ENTITY e{} '<b'>]><a>&e{};</a>".into(),
            Options::default(),
        ),
        (
            "predefined entity",
            "<!DOCTYPE a [<!ENTITY lt '&#38;#60;{}'>]><a/>".into(),
            Options::default(),
        ),
        (
            "character reference",
            "<a>&#x{};</a>".into(),
            Options::default(),
        ),
    ]
}

/// Checks one error: neither its message nor its `Display` shows a dangerous character raw,
/// and both stay short.
fn assert_safe(place: &str, shown: &str, e: &Error) {
    let display = e.to_string();
    for text in [e.message(), display.as_str()] {
        if let Some(c) = text.chars().find(|&c| is_dangerous(c)) {
            panic!(
                "{place} with {shown}: U+{:04X} shown raw in {text:?}",
                c as u32
            );
        }
    }
    // One message, one optional entity label, a rule: each is capped, and escapes at most
    // triple a capped text's length.
    assert!(
        display.len() <= 8 * MAX_SHOWN_BYTES,
        "{place} with {shown}: {} bytes: {}",
        display.len(),
        &display[..200]
    );
}

#[test]
fn terminal_safety_every_dangerous_code_point_in_every_place() {
    let mut checked = 0;
    for (place, template, options) in places() {
        let mut errors = 0;
        for c in dangerous() {
            // Three of them, between letters and before a character no value may hold
            // ('<' and '&' are refused in every place here, so that the value is echoed by
            // an error even where the code point itself would be allowed).
            let value = format!("x{c}{c}{c}y<");
            let doc = template.replace("{}", &value);
            if let (Some(e), _) = read(doc.as_bytes(), options.clone()) {
                assert_safe(place, &format!("U+{:04X}", c as u32), &e);
                errors += 1;
            }
        }
        assert!(errors > 0, "{place}: no document was refused");
        checked += errors;
    }
    assert!(checked > 1000, "{checked} cases");
}

#[test]
fn terminal_safety_paths() {
    let top = tempfile::tempdir().unwrap();
    for c in dangerous().into_iter().filter(|&c| c != '\0' && c != '/') {
        // A folder with the code point in its name: every path below it has it.
        let dir = top.path().join(format!("d{c}"));
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join(format!("doc{c}.xml"));
        // A document that is not there: the I/O error names the path.
        let e =
            Reader::from_path(&path, Options::default()).expect_err("opening a missing file fails");
        assert_safe("missing document path", &format!("U+{:04X}", c as u32), &e);
        // A document that is there, with an error inside an external entity whose path is
        // in the entity label.
        std::fs::write(&path, "<!DOCTYPE a [<!ENTITY e SYSTEM 'e.ent'>]><a>&e;</a>").unwrap();
        std::fs::write(dir.join("e.ent"), "<b>").unwrap();
        let options = Options::new().with_external_entities(ExternalEntities::local());
        let mut reader = Reader::from_path(&path, options).unwrap();
        let e = loop {
            match reader.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("accepted"),
                Err(e) => break e,
            }
        };
        assert!(e.to_string().contains("[in entity"), "{e}");
        assert_safe("entity path", &format!("U+{:04X}", c as u32), &e);
        // The reader's position (for progress reports) labels the entity the same way.
        std::fs::write(dir.join("e.ent"), "<b>x</b>").unwrap();
        let options = Options::new().with_external_entities(ExternalEntities::local());
        let mut reader = Reader::from_path(&path, options).unwrap();
        let mut labels = 0;
        while reader.next_event().unwrap().is_some() {
            if let Some(label) = reader.position().entity {
                assert!(!label.chars().any(is_dangerous), "{label:?}");
                labels += 1;
            }
        }
        assert!(labels > 0);
    }
}

#[test]
fn terminal_safety_a_9_mb_value_is_not_a_9_mb_message() {
    // (The '<' makes sure the value is refused and echoed in every place.)
    let long = format!("{}<", "x".repeat(9 << 20));
    for (place, template, options) in places() {
        let doc = template.replace("{}", &long);
        let e = error_of(doc.as_bytes(), options);
        assert_safe(place, "a 9 MB value", &e);
        // Where the message quotes the value, it is shortened, not dropped.
        if ["version", "encoding", "standalone"].contains(&place) {
            assert!(e.message().contains("bytes not shown"), "{place}: {e}");
        }
    }
}

#[test]
fn terminal_safe_keeps_ordinary_text_and_escapes_visibly() {
    use wary_xml::terminal_safe;
    assert!(matches!(
        terminal_safe("an ordinary 'message' — naïve, 日本"),
        std::borrow::Cow::Borrowed(_)
    ));
    assert_eq!(terminal_safe("a\u{1b}[31mb"), "a\\u{1b}[31mb");
    assert_eq!(terminal_safe("x\ny\tz\r"), "x\\ny\\tz\\r");
    assert_eq!(terminal_safe("\u{202e}txt.exe"), "\\u{202e}txt.exe");
    assert_eq!(
        terminal_safe("\u{85}\u{7f}\u{2069}"),
        "\\u{85}\\u{7f}\\u{2069}"
    );
    let long = format!("start{}end", "é".repeat(10_000));
    let shown = terminal_safe(&long);
    assert!(
        shown.starts_with("startéé") && shown.ends_with("ééend"),
        "{shown}"
    );
    assert!(shown.len() < MAX_SHOWN_BYTES + 64, "{}", shown.len());
    assert!(shown.contains("bytes not shown"));
}

/// One row: a document, the error kind, a part of the message, and line:column.
struct Case {
    doc: &'static str,
    kind: ErrorKind,
    says: &'static str,
    at: (u64, u64),
}

const fn case(doc: &'static str, kind: ErrorKind, says: &'static str, at: (u64, u64)) -> Case {
    Case {
        doc,
        kind,
        says,
        at,
    }
}

#[test]
fn errors_say_what_and_where() {
    use ErrorKind::*;
    let cases = [
        // Attribute errors are reported at the attribute, not at the tag's '<'.
        case(
            "<a x='1'\n   y='2' x='3'/>",
            DuplicateAttribute,
            "attribute 'x' appears more than once",
            (2, 10),
        ),
        case(
            "<a a1='' a2='' a3='' a4='' a5='' a6='' a7='' a8=''\n a9='' a4=''/>",
            DuplicateAttribute,
            "attribute 'a4' appears more than once",
            (2, 8),
        ),
        case(
            "<a\n  b:c:d='1'/>",
            Namespace,
            "attribute name 'b:c:d' is not a qualified name",
            (2, 3),
        ),
        case(
            "<a x='1' p:y='1'/>",
            Namespace,
            "the prefix 'p' of attribute 'p:y' is not declared",
            (1, 10),
        ),
        case(
            "<a xmlns:p='u' x='1'\n q:y='1'/>",
            Namespace,
            "the prefix 'q' of attribute 'q:y' is not declared",
            (2, 2),
        ),
        case(
            "<a x='1' xmlns:p=''/>",
            Namespace,
            "cannot undeclare a prefix",
            (1, 10),
        ),
        case(
            "<a x='1' xmlns:1='u'/>",
            Namespace,
            "'xmlns:1' is not a valid namespace declaration name",
            (1, 10),
        ),
        case(
            "<a xmlns:x='1' x:b:c='1'/>",
            Namespace,
            "attribute name 'x:b:c' is not a qualified name",
            (1, 16),
        ),
        case(
            "<a x='1' xmlns:xml='u'/>",
            Namespace,
            "the prefix 'xml' may only be bound",
            (1, 10),
        ),
        case(
            "<a xmlns:p='u' xmlns:q='u' p:x='1'\n\tq:x='2'/>",
            DuplicateAttribute,
            "attribute 'q:x' has the same namespace and local name",
            (2, 2),
        ),
        case(
            "<!DOCTYPE a [<!ATTLIST a xmlns:p CDATA ''>]>\n<a x='1'/>",
            Namespace,
            "cannot undeclare a prefix",
            (2, 1),
        ),
        case(
            "<a x='1' 1b='2'/>",
            Syntax,
            "expected an attribute name (a name), found '1'",
            (1, 10),
        ),
        case(
            "<a x='1'\n b='1' b:='2'/>",
            Namespace,
            "attribute name 'b:' is not a qualified name",
            (2, 8),
        ),
        // Element errors stay at the '<'.
        case(
            "<a>\n <p:b/></a>",
            Namespace,
            "the prefix 'p' of element 'p:b' is not declared",
            (2, 2),
        ),
        // Character references beyond U+10FFFF are named as written.
        case(
            "<a>\n&#x100000041;</a>",
            InvalidChar,
            "&#x100000041; is beyond U+10FFFF",
            (2, 4),
        ),
        case(
            "<a>&#4294967361;</a>",
            InvalidChar,
            "&#4294967361; is beyond U+10FFFF",
            (1, 6),
        ),
        case(
            "<a b='&#x110000;'/>",
            InvalidChar,
            "&#x110000; is beyond U+10FFFF",
            (1, 10),
        ),
        case(
            "<a>&#x000000000041;&#xFFFFFFFFFFFFFFFFFFFF;</a>",
            InvalidChar,
            "&#xFFFFFFFFFFFFFFFFFFFF; is beyond",
            (1, 23),
        ),
        case(
            "<a>&#xD800;</a>",
            InvalidChar,
            "character reference to U+D800, which is not an XML character",
            (1, 7),
        ),
        // XML 1.0 §4.6: a predefined entity keeps its meaning.
        case(
            "<!DOCTYPE a [\n<!ENTITY lt \"<\">]><a/>",
            EntityStructure,
            "the predefined entity 'lt' is redeclared",
            (2, 10),
        ),
        case(
            "<!DOCTYPE a [<!ENTITY lt \"&#60;\">]><a/>",
            EntityStructure,
            "'lt' is redeclared as replacement text '<'",
            (1, 23),
        ),
        case(
            "<!DOCTYPE a [<!ENTITY amp \"&#38;\">]><a/>",
            EntityStructure,
            "'amp' is redeclared",
            (1, 23),
        ),
        case(
            "<!DOCTYPE a [<!ENTITY lt \"&#38;#62;\">]><a/>",
            EntityStructure,
            "'lt' is redeclared as replacement text '&#62;'",
            (1, 23),
        ),
        case(
            "<!DOCTYPE a [<!ENTITY gt \"&#38;#60;\">]><a/>",
            EntityStructure,
            "'gt' is redeclared",
            (1, 23),
        ),
        case(
            "<!DOCTYPE a [<!ENTITY quot \"x\">]><a/>",
            EntityStructure,
            "'quot' is redeclared",
            (1, 23),
        ),
        case(
            "<!DOCTYPE a [<!ENTITY apos SYSTEM \"a.ent\">]><a/>",
            EntityStructure,
            "'apos' is redeclared as an external entity",
            (1, 23),
        ),
        case(
            "<!DOCTYPE a [<!ENTITY lt \"&#38;#60;\"><!ENTITY lt \"<\">]><a/>",
            EntityStructure,
            "'lt' is redeclared",
            (1, 47),
        ),
        // An undeclared entity where WFC: Entity Declared applies.
        case(
            "<a b='x&u;'/>",
            BadEntityReference,
            "reference to the undeclared entity 'u'",
            (1, 8),
        ),
        case(
            "<!DOCTYPE a [<!ENTITY e 'x'>]><a b='&u;'/>",
            BadEntityReference,
            "undeclared entity 'u'",
            (1, 37),
        ),
        case(
            "<?xml version='1.0' standalone='yes'?><!DOCTYPE a SYSTEM 'a.dtd'><a b='&u;'/>",
            BadEntityReference,
            "undeclared entity 'u'",
            (1, 72),
        ),
        case(
            "<!DOCTYPE a [<!ATTLIST a b CDATA '&u;'>]><a/>",
            BadEntityReference,
            "undeclared entity 'u'",
            (1, 35),
        ),
    ];
    let mut failures = Vec::new();
    for c in &cases {
        let Some(e) = read(c.doc.as_bytes(), Options::default()).0 else {
            failures.push(format!("{:?}\n   accepted", c.doc));
            continue;
        };
        let p = e
            .position()
            .expect("an error about the input has a position");
        if e.kind() != c.kind
            || !e.message().contains(c.says)
            || e.message().contains("U+FFFFFFFF")
            || (p.line, p.column) != c.at
        {
            failures.push(format!(
                "{:?}\n   want {:?} {}:{} {:?}\n   got  {:?} {}:{} {:?}",
                c.doc,
                c.kind,
                c.at.0,
                c.at.1,
                c.says,
                e.kind(),
                p.line,
                p.column,
                e.message()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// XML 1.0 §4.6 allows these redeclarations, and every one of the suite's forms.
#[test]
fn predefined_entities_declared_as_section_4_6_says_are_accepted() {
    for decl in [
        "<!ENTITY lt \"&#38;#60;\">",
        "<!ENTITY lt \"&#38;#x3C;\">",
        "<!ENTITY lt \"&#38;#x003c;\">",
        "<!ENTITY amp \"&#38;#38;\">",
        "<!ENTITY amp \"&#38;#x26;\">",
        "<!ENTITY gt \">\">",
        "<!ENTITY gt \"&#62;\">",
        "<!ENTITY gt \"&#38;#62;\">",
        "<!ENTITY apos \"'\">",
        "<!ENTITY apos \"&#39;\">",
        "<!ENTITY quot '\"'>",
        "<!ENTITY quot \"&#34;\">",
        // A parameter entity named lt is another entity.
        "<!ENTITY % lt \"<\">",
    ] {
        let doc =
            format!("<!DOCTYPE a [{decl}]><a b='&lt;&amp;&gt;&apos;&quot;'>&lt;&amp;&gt;</a>");
        let mut reader = Reader::from_bytes(doc.as_bytes(), Options::default());
        let mut text = String::new();
        let mut value = String::new();
        loop {
            match reader.next_event() {
                Ok(Some(Event::Text(t))) => text.push_str(t),
                Ok(Some(Event::StartElement(s))) => {
                    value = s.attributes().next().unwrap().value.to_owned();
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => panic!("{decl}: {e}"),
            }
        }
        assert_eq!((text.as_str(), value.as_str()), ("<&>", "<&>'\""), "{decl}");
    }
}

/// The skipped entities reported, or the line:column of the WFC error.
type Outcome = Result<&'static [&'static str], (u64, u64)>;

/// XML 1.0 §4.1: an undeclared entity is a well-formedness error (WFC: Entity Declared) in a
/// document without a DTD, with only an internal subset and no parameter-entity references,
/// or with standalone='yes'; otherwise it is a validity error only (VC: Entity Declared), so
/// a non-validating processor accepts the document, but must not pretend the value is
/// whole: the reference is reported as skipped, right after its start tag (or its
/// attribute-list declaration).
#[test]
fn undeclared_entities_in_attribute_values() {
    // (document, skipped entities reported, or the WFC error's line:column)
    let cases: &[(&str, Outcome)] = &[
        ("<a b='&u;'/>", Err((1, 7))),
        ("<!DOCTYPE a [<!ELEMENT a ANY>]><a b='&u;'/>", Err((1, 38))),
        (
            "<?xml version='1.0' standalone='yes'?><!DOCTYPE a SYSTEM 'a.dtd'><a b='&u;'/>",
            Err((1, 72)),
        ),
        (
            "<?xml version='1.0' standalone='yes'?><!DOCTYPE a [<!ENTITY % p ''>%p;]><a b='&u;'/>",
            Err((1, 79)),
        ),
        // VC only: an external subset (not read), or a parameter-entity reference.
        ("<!DOCTYPE a SYSTEM 'a.dtd'><a b='x&u;y'/>", Ok(&["u"])),
        (
            "<?xml version='1.0' standalone='no'?><!DOCTYPE a SYSTEM 'a.dtd'><a b='&u;'/>",
            Ok(&["u"]),
        ),
        (
            "<!DOCTYPE a [<!ENTITY % p ''>%p;]><a b='&u;' c='&v;&u;'>t</a>",
            Ok(&["u", "v"]),
        ),
        // Through an internal entity.
        (
            "<!DOCTYPE a SYSTEM 'a.dtd' [<!ENTITY e 'x&u;'>]><a b='&e;'/>",
            Ok(&["u"]),
        ),
        // In a default value: reported at the declaration.
        (
            "<!DOCTYPE a SYSTEM 'a.dtd' [<!ATTLIST a b CDATA '&u;' c CDATA '&v;'>]><a/>",
            Ok(&["u", "v"]),
        ),
        // In content too (unchanged).
        ("<!DOCTYPE a SYSTEM 'a.dtd'><a>&u;</a>", Ok(&["u"])),
    ];
    for (doc, want) in cases {
        let (err, skipped) = read(doc.as_bytes(), Options::default());
        match (want, err) {
            (Ok(names), None) => assert_eq!(&skipped, names, "{doc}"),
            (Err(at), Some(e)) => {
                let p = e.position().unwrap();
                assert_eq!(
                    (e.kind(), e.rule(), (p.line, p.column)),
                    (ErrorKind::BadEntityReference, "WFC: Entity Declared", *at),
                    "{doc}: {e}"
                );
            }
            (want, got) => panic!("{doc}: want {want:?}, got {got:?} (skipped {skipped:?})"),
        }
    }
}

/// The skipped-entity events of an attribute value come right after its start tag, before
/// the end of an empty element and before the element's content, and a tag with a million
/// undeclared references reports a bounded number of names.
#[test]
fn skipped_entities_of_attributes_come_after_their_tag_and_are_bounded() {
    let doc = "<!DOCTYPE a SYSTEM 'a.dtd'><a><b x='&u;&v;&u;'/><c y='&w;'>t</c></a>";
    let mut reader = Reader::from_bytes(doc.as_bytes(), Options::default());
    let mut events = Vec::new();
    while let Some(ev) = reader.next_event().unwrap() {
        events.push(match ev {
            Event::StartElement(s) => format!("<{}>", s.name()),
            Event::EndElement(e) => format!("</{}>", e.name()),
            Event::SkippedEntity(n) => format!("&{n};"),
            Event::Text(t) => t.to_owned(),
            _ => continue,
        });
    }
    assert_eq!(events.join(" "), "<a> <b> &u; &v; </b> <c> &w; t </c> </a>");

    let many: String = (0..1_000_000).map(|i| format!("&u{i};")).collect();
    let doc = format!("<!DOCTYPE a SYSTEM 'a.dtd'><a b='{many}'/>");
    let (err, skipped) = read(doc.as_bytes(), Options::default());
    assert!(err.is_none(), "{err:?}");
    assert!(
        !skipped.is_empty() && skipped.len() <= 32,
        "{}",
        skipped.len()
    );
}
