//! The benchmark's inputs: which documents, where they are cached, and how each is made and
//! checked.
//!
//! Real documents (Debian's freedesktop.org MIME database and the ISO 639-3 language list) are
//! repeated under one new root element until the requested size: the XML declaration, doctype
//! and comments before each copy's root element are dropped, so the result stays well-formed.
//! Synthetic documents come from [`crate::generate`]. Every file is verified with
//! `xmllint --stream --noout --huge` once, after it is written; a `.ok` file beside it records
//! the element count and marks it as good, so later runs reuse it.

use crate::generate::{write_synthetic, Synthetic};
use anyhow::{bail, Context, Result};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Bumped whenever a generator changes, so that stale cached inputs are not reused.
const GENERATOR_VERSION: u32 = 1;

/// Where an input's bytes come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A real document from a Debian package, repeated under one root.
    Real {
        /// The document's path.
        path: &'static str,
        /// The Debian package that ships it.
        package: &'static str,
    },
    /// A generated document.
    Synthetic(Synthetic),
}

/// One input of the benchmark.
#[derive(Clone, Debug)]
pub struct InputSpec {
    /// Short name, used in tables and file names.
    pub name: &'static str,
    /// What the input is, for the report.
    pub description: &'static str,
    /// Where its bytes come from.
    pub source: Source,
    /// Whether the targets of issue 6 are judged on this input.
    pub real: bool,
}

/// An input on disk, ready to be parsed.
#[derive(Clone, Debug)]
pub struct Input {
    /// Its specification.
    pub spec: InputSpec,
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// How many elements it holds.
    pub elements: u64,
}

/// The freedesktop.org document, also used for the large memory input.
pub const FREEDESKTOP: &str = "/usr/share/mime/packages/freedesktop.org.xml";

/// The inputs measured for throughput, in table order.
pub fn catalog() -> Vec<InputSpec> {
    let real = |name, description, path, package| InputSpec {
        name,
        description,
        source: Source::Real { path, package },
        real: true,
    };
    let synthetic = |name, description, kind| InputSpec {
        name,
        description,
        source: Source::Synthetic(kind),
        real: false,
    };
    vec![
        real(
            "freedesktop",
            "freedesktop.org.xml (shared-mime-info), repeated under one root",
            FREEDESKTOP,
            "shared-mime-info",
        ),
        real(
            "iso-639-3",
            "iso_639-3.xml (iso-codes), repeated under one root",
            "/usr/share/xml/iso-codes/iso_639-3.xml",
            "iso-codes",
        ),
        synthetic(
            "attributes",
            "12 attributes per element, entity and character references in values",
            Synthetic::Attributes,
        ),
        synthetic(
            "text",
            "paragraphs of text with references, CRLF line ends, inline elements, CDATA",
            Synthetic::Text,
        ),
        synthetic(
            "nested",
            "towers of elements 200 to 1,000 deep",
            Synthetic::Nested,
        ),
        synthetic(
            "namespaces",
            "prefixed elements and attributes, declarations on every entry",
            Synthetic::Namespaces,
        ),
        synthetic(
            "non-ascii",
            "Greek, Cyrillic, CJK, Hangul names and text, emoji outside the BMP",
            Synthetic::NonAscii,
        ),
    ]
}

/// The large document for the memory measurement: the freedesktop.org body repeated.
pub fn large_spec() -> InputSpec {
    InputSpec {
        name: "large",
        description: "freedesktop.org.xml repeated under one root, for peak memory",
        source: Source::Real {
            path: FREEDESKTOP,
            package: "shared-mime-info",
        },
        real: false,
    }
}

/// Returns the input in `dir` at (at least) `target` bytes, making and verifying it first
/// unless a verified copy is already there.
pub fn prepare(spec: &InputSpec, dir: &Path, target: u64) -> Result<Input> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mib = target.div_ceil(1 << 20);
    // A real document's size is part of the name, so that a new version of its package
    // makes a new input rather than reusing the old one.
    let source = match &spec.source {
        Source::Real { path, .. } => {
            fs::metadata(path).map_or(String::new(), |m| format!("-{}", m.len()))
        }
        Source::Synthetic(_) => String::new(),
    };
    let path = dir.join(format!(
        "v{GENERATOR_VERSION}-{}{source}-{mib}MiB.xml",
        spec.name
    ));
    let ok = path.with_extension("ok");
    if let (Ok(meta), Ok(count)) = (fs::metadata(&path), fs::read_to_string(&ok)) {
        if let Ok(elements) = count.trim().parse() {
            return Ok(Input {
                spec: spec.clone(),
                path,
                bytes: meta.len(),
                elements,
            });
        }
    }
    eprintln!("bench: writing {} ({mib} MiB)", path.display());
    let _ = fs::remove_file(&ok);
    let file =
        fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let elements = match &spec.source {
        Source::Real { path: src, package } => {
            let body = fs::read(src).with_context(|| {
                format!(
                    "cannot read {src}: install Debian's {package} package (scripts/bench does)"
                )
            })?;
            write_repeated(&body, &mut w, target).with_context(|| format!("cannot repeat {src}"))?
        }
        Source::Synthetic(kind) => write_synthetic(*kind, &mut w, target)?,
    };
    w.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    verify(&path)?;
    fs::write(&ok, format!("{elements}\n"))?;
    let bytes = fs::metadata(&path)?.len();
    Ok(Input {
        spec: spec.clone(),
        path,
        bytes,
        elements,
    })
}

/// Writes `<bench>` + copies of the document's root element + `</bench>` until at least
/// `target` bytes; returns the element count, the new root included.
pub fn write_repeated(document: &[u8], w: &mut impl Write, target: u64) -> Result<u64> {
    let text = std::str::from_utf8(document).context("the document is not UTF-8")?;
    let (body, per_copy) = root_element(text)?;
    let head = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<bench>\n";
    w.write_all(head)?;
    let mut written = head.len() as u64;
    let mut elements = 1;
    while written < target {
        w.write_all(body.as_bytes())?;
        w.write_all(b"\n")?;
        written += body.len() as u64 + 1;
        elements += per_copy;
    }
    w.write_all(b"</bench>\n")?;
    Ok(elements)
}

/// The text from the root element's start tag to the end of the document (trailing white
/// space trimmed), and the number of elements in it. xmlparser finds the root, so that `<`
/// inside the doctype's comments cannot mislead it.
fn root_element(text: &str) -> Result<(&str, u64)> {
    let mut start = None;
    let mut elements = 0;
    for token in xmlparser::Tokenizer::from(text) {
        if let xmlparser::Token::ElementStart { span, .. } =
            token.context("the source document is not well-formed")?
        {
            start.get_or_insert(span.start());
            elements += 1;
        }
    }
    let Some(start) = start else {
        bail!("the source document has no root element");
    };
    Ok((text[start..].trim_end(), elements))
}

/// Checks the file with libxml2, which the benchmark also measures: a malformed input would
/// make every number meaningless.
fn verify(path: &Path) -> Result<()> {
    let out = Command::new("xmllint")
        .args(["--stream", "--noout", "--huge"])
        .arg(path)
        .output()
        .context("cannot run xmllint to verify the input: install libxml2-utils")?;
    if !out.status.success() || !out.stderr.is_empty() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "{} is not well-formed according to xmllint ({}): {}",
            path.display(),
            out.status,
            err.lines().take(3).collect::<Vec<_>>().join(" / ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeating_drops_the_prolog_and_keeps_one_root() {
        let doc = b"<?xml version='1.0'?>\n<!DOCTYPE r [<!-- <fake> -->\n<!ELEMENT r ANY>]>\n\
                    <!-- c --><r a='1'><s/>&lt;</r>\n\n";
        let mut out = Vec::new();
        let elements = write_repeated(doc, &mut out, 120).unwrap();
        let text = String::from_utf8(out).unwrap();
        let tree = roxmltree::Document::parse(&text).unwrap();
        assert_eq!(tree.root_element().tag_name().name(), "bench");
        let copies = tree
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .count() as u64;
        assert!(copies >= 3, "{text}");
        assert_eq!(elements, 1 + 2 * copies);
        assert!(text.len() >= 120);
        assert!(!text.contains("DOCTYPE"));
    }

    #[test]
    fn a_document_without_a_root_is_refused() {
        let err = write_repeated(b"<!-- only -->", &mut Vec::new(), 10).unwrap_err();
        assert!(err.to_string().contains("no root element"), "{err}");
    }
}
