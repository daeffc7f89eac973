//! Fuzz target `tree`: any bytes through the tree API. Invariants: no panic; every node is
//! reachable by walking from the root without recursion; a parsed document written out as
//! XML parses again to a document that writes out identically.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wary_xml::tree::Document;
use wary_xml::Options;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = Document::from_bytes(data, Options::default()) else {
        return;
    };
    let walked = doc.root().descendants().count();
    assert!(walked <= doc.len());
    let _ = doc.root_element().text_content();
    let xml = doc.to_xml();
    let again = Document::from_bytes(xml.as_bytes(), Options::default())
        .unwrap_or_else(|e| panic!("the tree's own output does not parse: {e}\n{xml}"));
    assert_eq!(again.to_xml(), xml, "writing is not stable");
});
