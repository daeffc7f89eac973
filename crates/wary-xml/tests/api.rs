//! The public API of `wary_xml::canon` and `wary_xml::tree` through the real reader: canonical
//! forms of small documents, the tree's accessors, round trips, chunked input and depth.
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use wary_xml::canon::{self, canonical_bytes};
use wary_xml::tree::{Document, NodeKind};
use wary_xml::{ErrorKind, Fault, Limits, Options, Reader};

fn canon_str(doc: &str) -> String {
    let bytes = canonical_bytes(doc.as_bytes(), Options::default())
        .unwrap_or_else(|e| panic!("canon of {doc:?}: {e}"));
    String::from_utf8(bytes).expect("canonical XML is UTF-8")
}

/// Each row: a document and its canonical form, worked out from Clark's definition and the
/// suite's OUTPUT files.
#[test]
fn canonical_forms() {
    let cases: &[(&str, &str)] = &[
        ("<a/>", "<a></a>"),
        ("<?xml version='1.0'?>\n<a/>\n", "<a></a>"),
        ("<a z='1' b='2' a='3'/>", "<a a=\"3\" b=\"2\" z=\"1\"></a>"),
        // Code point order: uppercase before lowercase, ASCII before non-ASCII.
        ("<a é='1' e='2' E='3'/>", "<a E=\"3\" e=\"2\" é=\"1\"></a>"),
        (
            "<a v='&quot;&lt;&amp;&gt;&apos;&#9;&#10;&#13;'/>",
            "<a v=\"&quot;&lt;&amp;&gt;'&#9;&#10;&#13;\"></a>",
        ),
        // Attribute-value normalization of literal white space (XML 1.0 §3.3.3).
        ("<a v='x\ty\nz\r\nw'/>", "<a v=\"x y z w\"></a>"),
        (
            "<a>\t&#9;\n\r\n\r&#13;</a>",
            "<a>&#9;&#9;&#10;&#10;&#10;&#13;</a>",
        ),
        ("<a>&lt;&gt;&amp;\"'</a>", "<a>&lt;&gt;&amp;&quot;'</a>"),
        ("<a><![CDATA[<&>]]]]></a>", "<a>&lt;&amp;&gt;]]</a>"),
        (
            "<a><!-- gone --><?pi?><?pi  data ?></a>",
            "<a><?pi ?><?pi data ?></a>",
        ),
        (
            "<?pre x?><!--c--><a/><?post y?>\n",
            "<?pre x?><a></a><?post y?>",
        ),
        (
            "<!DOCTYPE a [<!ENTITY e 'x&#38;#60;y'><!ATTLIST a d CDATA 'dv'>]><a>&e;</a>",
            "<a d=\"dv\">x&lt;y</a>",
        ),
        (
            "<!DOCTYPE a [<!ATTLIST a t NMTOKENS #IMPLIED>]><a t='  x   y '/>",
            "<a t=\"x y\"></a>",
        ),
        (
            "<!DOCTYPE a [<!NOTATION z SYSTEM 'zz'><!NOTATION b PUBLIC 'p'>\
             <!NOTATION c PUBLIC 'p' 's'>]><a/>",
            "<!DOCTYPE a [\n<!NOTATION b PUBLIC 'p'>\n<!NOTATION c PUBLIC 'p' 's'>\n\
             <!NOTATION z SYSTEM 'zz'>\n]>\n<a></a>",
        ),
        (
            "<x:a xmlns:x='urn:x' xmlns='urn:d'><b x:c='1'/></x:a>",
            "<x:a xmlns=\"urn:d\" xmlns:x=\"urn:x\"><b x:c=\"1\"></b></x:a>",
        ),
        ("<a>\u{10000}é\u{a0}</a>", "<a>\u{10000}é\u{a0}</a>"),
    ];
    for (doc, want) in cases {
        assert_eq!(&canon_str(doc), want, "canonical form of {doc:?}");
    }
}

/// PIs in the DTD are written, in document order, before the DOCTYPE (as the suite's
/// ibm/valid/P28 and P29 OUTPUT files have them).
#[test]
fn canon_writes_pis_of_the_internal_subset() {
    assert_eq!(
        canon_str("<?a?><!DOCTYPE a [<?in dtd?><!NOTATION n SYSTEM 'n'><?after n?>]><a/>"),
        "<?a ?><?in dtd?><?after n?><!DOCTYPE a [\n<!NOTATION n SYSTEM 'n'>\n]>\n<a></a>"
    );
}

#[test]
fn canon_reports_not_well_formed_input() {
    let err = canonical_bytes(b"<a><b></a>", Options::default()).unwrap_err();
    match err {
        canon::CanonError::Xml(e) => {
            assert_eq!(e.fault(), Fault::Input);
            assert_eq!(e.kind(), ErrorKind::TagMismatch);
            let p = e.position().expect("a position");
            assert_eq!((p.line, p.column > 1), (1, true));
        }
        other => panic!("want an XML error, got {other}"),
    }
}

#[test]
fn canon_reports_skipped_external_entities() {
    let doc = b"<!DOCTYPE a [<!ENTITY e SYSTEM 'e.ent'>]><a>&e;&e;</a>";
    let mut reader = Reader::from_bytes(doc, Options::default());
    let mut out = Vec::new();
    let summary = canon::write_canonical(&mut reader, &mut out).expect("well-formed");
    assert_eq!(summary.skipped_entities, ["e"]);
    assert_eq!(out, b"<a></a>");
}

/// A reader that hands out one byte per `read`, the worst chunking.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn chunked_input_gives_the_same_canonical_form() {
    let mut doc = String::from(
        "<?xml version='1.0' encoding='UTF-8'?><!DOCTYPE r [<!ENTITY e 'ent&#233;'>\
         <!ATTLIST r d CDATA 'def'>]><r a='1'>",
    );
    for i in 0..500 {
        doc.push_str(&format!(
            "<i n='{i}'>text é€𝄞 &e; &#x1F600;<![CDATA[c]]></i>\r\n<!-- c --><?p d?>"
        ));
    }
    doc.push_str("</r>");
    let whole = canonical_bytes(doc.as_bytes(), Options::default()).expect("well-formed");
    let mut reader = Reader::new(Trickle(doc.as_bytes()), Options::default());
    let mut trickled = Vec::new();
    let _ = canon::write_canonical(&mut reader, &mut trickled).expect("well-formed");
    assert_eq!(
        String::from_utf8_lossy(&trickled),
        String::from_utf8_lossy(&whole)
    );
}

#[test]
fn utf16_input_canonicalizes_to_utf8() {
    let text = "<?xml version='1.0' encoding='UTF-16'?><a b='é'>𝄞</a>";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let got = canonical_bytes(&bytes, Options::default()).expect("well-formed UTF-16");
    assert_eq!(String::from_utf8(got).unwrap(), "<a b=\"é\">𝄞</a>");
}

#[test]
fn tree_accessors() {
    let xml = "<!DOCTYPE o [<!ATTLIST item qty CDATA '1'><!ENTITY who 'Ada'>]>\
               <?top level?><o xmlns='urn:o' xmlns:t='urn:t'>\
               <c>&who; <![CDATA[<L>]]></c><!--n--><item t:rate='2'/><item qty='3'>x</item></o>";
    let doc = Document::from_bytes(xml.as_bytes(), Options::default()).expect("well-formed");
    assert_eq!(doc.doctype().map(|d| d.name.as_str()), Some("o"));
    let top: Vec<_> = doc.root().children().map(|n| n.kind()).collect();
    assert!(matches!(
        top[0],
        NodeKind::Pi {
            target: "top",
            data: "level"
        }
    ));
    let o = doc.root_element();
    let e = o.element().expect("an element");
    assert_eq!((e.name(), e.local_name(), e.prefix()), ("o", "o", None));
    assert_eq!(e.namespace(), Some("urn:o"));
    assert_eq!(e.attribute("xmlns:t"), Some("urn:t"));
    let kids: Vec<_> = o.element_children().filter_map(|n| n.name()).collect();
    assert_eq!(kids, ["c", "item", "item"]);
    let c = o.element_children().next().expect("c");
    // Text and CDATA merged into one node; the entity expanded.
    assert_eq!(c.children().count(), 1);
    assert_eq!(c.text_content(), "Ada <L>");
    assert!(o
        .children()
        .any(|n| matches!(n.kind(), NodeKind::Comment("n"))));
    let items: Vec<_> = o.element_children().skip(1).collect();
    let first = items[0].element().expect("item");
    assert_eq!(first.attribute_ns(Some("urn:t"), "rate"), Some("2"));
    let qty = first
        .attributes()
        .find(|a| a.name == "qty")
        .expect("the default");
    assert_eq!((qty.value, qty.specified), ("1", false));
    assert_eq!(items[1].attribute("qty"), Some("3"));
    assert_eq!(items[0].next_sibling().map(|n| n.id()), Some(items[1].id()));
    assert_eq!(o.text_content(), "Ada <L>x");
    assert_eq!(items[1].parent().map(|p| p.id()), Some(o.id()));
}

#[test]
fn tree_round_trips_through_its_serializer() {
    let xml = "<r a='x&#9;y &quot;q&quot;' b='&#10;'>t &amp; &lt; ]]&gt; &#13;\
               <e/><f x='1'>\u{1F600}</f><!--c--><?p d?></r>";
    let doc = Document::from_bytes(xml.as_bytes(), Options::default()).expect("well-formed");
    let out = doc.to_xml();
    let again = Document::from_bytes(out.as_bytes(), Options::default())
        .unwrap_or_else(|e| panic!("serialized tree does not parse: {e}\n{out}"));
    assert_eq!(again.to_xml(), out);
    let kinds = |d: &Document| {
        d.nodes()
            .map(|n| format!("{:?}", n.kind()))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&again), kinds(&doc));
    assert_eq!(
        canonical_bytes(out.as_bytes(), Options::default()).unwrap(),
        canonical_bytes(xml.as_bytes(), Options::default()).unwrap()
    );
}

#[test]
fn depth_limit_bites_and_deep_documents_within_it_work() {
    let nest = |n: usize| "<d>".repeat(n) + &"</d>".repeat(n);
    let options = Options::new().with_limits(Limits::default().with_max_depth(10_000));
    let deep = nest(10_000);
    let doc = Document::from_bytes(deep.as_bytes(), options.clone()).expect("within the limit");
    assert_eq!(doc.len(), 10_001);
    assert_eq!(doc.root_element().descendants().count(), 9_999);
    assert_eq!(doc.to_xml().len(), 10_000 * 7 - 3);
    let canon = canonical_bytes(deep.as_bytes(), options.clone()).expect("within the limit");
    assert_eq!(canon.len(), 10_000 * 7);

    let too_deep = nest(10_001);
    let err = Document::from_bytes(too_deep.as_bytes(), options).unwrap_err();
    assert_eq!(err.fault(), Fault::Limit, "{err}");
}
