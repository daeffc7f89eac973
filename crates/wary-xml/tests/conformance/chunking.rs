//! The suite's 1,965 documents read in small chunks must give exactly what reading them whole
//! gives: the same canonical form, or the same error kind at the same line and column.
//!
//! The reader is a streaming parser fed by any `Read` (issue 2: "over any std::io::Read fed
//! in chunks"); a result that depends on where the chunks break is a bug in buffering or in
//! position keeping, which the conformance run (reading files in the reader's own block
//! size) cannot see.

use super::catalog::Suite;
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use wary_xml::{canon, ErrorKind, ExternalEntities, Options, Reader};

/// Chunk sizes tried against reading the whole file at once: every boundary, and an odd size
/// that splits multi-byte characters and `\r\n` pairs at varying places.
const CHUNKS: [usize; 2] = [1, 7];

/// What a document gave: its canonical form, or where and why it was rejected.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Canonical(Vec<u8>),
    Error {
        kind: ErrorKind,
        line: u64,
        column: u64,
        entity: Option<String>,
        /// For the report only: the snippet in a message may show more or less of the input.
        message: String,
    },
    Panic,
}

impl Outcome {
    fn same_as(&self, other: &Outcome) -> bool {
        match (self, other) {
            (
                Outcome::Error {
                    kind,
                    line,
                    column,
                    entity,
                    ..
                },
                Outcome::Error {
                    kind: k,
                    line: l,
                    column: c,
                    entity: e,
                    ..
                },
            ) => (kind, line, column, entity) == (k, l, c, e),
            (a, b) => a == b,
        }
    }

    fn describe(&self) -> String {
        match self {
            Outcome::Canonical(b) => format!("accepted, {} canonical bytes", b.len()),
            Outcome::Error { message, .. } => format!("error {message}"),
            Outcome::Panic => "PANIC".to_owned(),
        }
    }
}

/// Hands out at most `chunk` bytes per `read`.
struct Chunks<'a> {
    rest: &'a [u8],
    chunk: usize,
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

fn outcome(bytes: &[u8], path: &Path, root: &Path, chunk: usize) -> Outcome {
    let options = Options::new()
        .with_external_entities(ExternalEntities::local_in(root))
        .with_document_path(path);
    let run = || {
        let mut reader = Reader::new(Chunks { rest: bytes, chunk }, options);
        let mut out = Vec::new();
        match canon::write_canonical(&mut reader, &mut out) {
            Ok(_summary) => Outcome::Canonical(out),
            Err(canon::CanonError::Xml(e)) => {
                let p = e.position().cloned().unwrap_or_default();
                Outcome::Error {
                    kind: e.kind(),
                    line: p.line,
                    column: p.column,
                    entity: p.entity.map(|s| s.to_string()),
                    message: e.to_string(),
                }
            }
            Err(e) => Outcome::Error {
                kind: ErrorKind::Io,
                line: 0,
                column: 0,
                entity: None,
                message: e.to_string(),
            },
        }
    };
    catch_unwind(AssertUnwindSafe(run)).unwrap_or(Outcome::Panic)
}

#[test]
fn chunking_changes_no_result() {
    let suite = Suite::load();
    let files = suite.extract();
    let mut differ = Vec::new();
    for t in &suite.tests {
        let path = files.root.join(&t.path);
        let bytes = std::fs::read(&path).expect("the extracted suite is readable");
        let whole = outcome(&bytes, &path, &files.root, usize::MAX);
        for chunk in CHUNKS {
            let got = outcome(&bytes, &path, &files.root, chunk);
            if !got.same_as(&whole) {
                differ.push(format!(
                    "{} ({}), {chunk}-byte chunks:\n    whole:   {}\n    chunked: {}",
                    t.id,
                    t.path,
                    whole.describe(),
                    got.describe()
                ));
                break;
            }
        }
    }
    println!(
        "chunking: {} of {} documents give the same result in {CHUNKS:?}-byte chunks as whole",
        suite.tests.len() - differ.len(),
        suite.tests.len()
    );
    for d in &differ {
        println!("{d}");
    }
    assert!(
        differ.is_empty(),
        "{} documents give a different result when read in chunks (see above)",
        differ.len()
    );
}
