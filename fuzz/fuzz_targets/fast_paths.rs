//! Fuzz target `fast_paths` (differential, issue 11): every fast path of the parser against
//! the slow path it stands in for, on the real code of both (wary-xml's `fuzzing` feature):
//! the one-pass start-tag scan against the full tag parser, namespace resolution's
//! shortcuts against its general path, and the text path inlined in the parser's step
//! against the text step. A fast path may decline any input; whenever it answers, its
//! answer must be the slow path's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wary_xml::fuzzing;

fuzz_target!(|data: &[u8]| {
    for (name, check) in [
        ("start tag", fuzzing::start_tag as fn(&[u8]) -> Result<(), String>),
        ("namespaces", fuzzing::namespaces),
        ("text", fuzzing::text),
    ] {
        if let Err(e) = check(data) {
            panic!("fast path of {name} disagrees with its slow path: {e}");
        }
    }
});
