//! Fuzz target `canon`: any bytes through the canonical writer. Invariants: no panic; the
//! canonical form of a document is itself a well-formed document whose canonical form is
//! the same bytes (canonicalization is idempotent).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wary_xml::canon::canonical_bytes;
use wary_xml::Options;

fuzz_target!(|data: &[u8]| {
    let Ok(canon) = canonical_bytes(data, Options::default()) else {
        return;
    };
    let again = canonical_bytes(&canon, Options::default()).unwrap_or_else(|e| {
        panic!(
            "the canonical form does not parse: {e}\n{}",
            String::from_utf8_lossy(&canon)
        )
    });
    assert_eq!(again, canon, "canonicalization is not idempotent");
});
