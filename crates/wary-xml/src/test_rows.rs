//! Helpers for the table-driven unit tests of the parser's parts (compiled for tests only):
//! each row is a document and the first error reading it must give, asserted with its
//! position, as xmlparser's tests do.

use crate::{ErrorKind, Options, Reader};

/// What a row expects: the error's kind, rule, line and column.
pub(crate) type Expect = (ErrorKind, &'static str, u64, u64);

/// The first error reading `doc` whole, or `None` for a well-formed document.
pub(crate) fn first_error(doc: &[u8], options: Options) -> Option<Expect> {
    let mut reader = Reader::from_bytes(doc, options);
    loop {
        match reader.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => {
                let p = e.position().cloned().unwrap_or_default();
                return Some((e.kind(), e.rule(), p.line, p.column));
            }
        }
    }
}

/// Checks every row, and fails listing every row that does not hold.
pub(crate) fn check(rows: &[(&str, Option<Expect>)]) {
    let failures: Vec<String> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, (doc, want))| {
            let got = first_error(doc.as_bytes(), Options::default());
            (got != *want).then(|| format!("row {i} {doc:?}:\n  want {want:?}\n  got  {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
