//! Canonical XML in James Clark's form, as the W3C conformance suite's OUTPUT files use it.
//!
//! The form (`xmltest/canonxml.html` in the suite) is a representation of what a parser
//! reports, made so that two structurally equivalent documents give identical bytes:
//!
//! ```text
//! CanonXML ::= Pi* element Pi*
//! element  ::= Stag (Datachar | Pi | element)* Etag
//! Stag     ::= '<' Name Atts '>'          (empty elements too: <a></a>)
//! Etag     ::= '</' Name '>'
//! Pi       ::= '<?' Name ' ' Data '?>'    (the space is always there)
//! Atts     ::= (' ' Name '=' '"' Datachar* '"')*   sorted by name, in code point order
//! Datachar ::= '&amp;' | '&lt;' | '&gt;' | '&quot;' | '&#9;' | '&#10;' | '&#13;' | other Char
//! ```
//!
//! No XML declaration, no comments, no white space outside the document element, UTF-8.
//! This is the "second form" the suite uses: when the document declares notations, a document
//! type declaration listing them (sorted by name, with single-quoted literals) is written where
//! the DTD ends:
//!
//! ```text
//! <!DOCTYPE root [
//! <!NOTATION n PUBLIC 'pub' 'sys'>
//! ]>
//! ```
//!
//! Processing instructions inside the DTD are written too, in document order, as the suite's
//! files expect (`ibm/valid/P28/out/ibm28v02.xml`).
//!
//! [`write_canonical`] works on the event stream: memory is bounded by the largest start tag
//! and the notation declarations, never by the document's depth or size, and nothing recurses.

use crate::{Attribute, Error, Event, Options, Reader};
use std::fmt;
use std::io::{self, BufWriter, Write};

/// Why canonicalization stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum CanonError {
    /// The document could not be read (not well-formed, a limit, I/O on the input).
    Xml(Error),
    /// Writing the output failed.
    Write(io::Error),
}

impl fmt::Display for CanonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CanonError::Xml(e) => e.fmt(f),
            CanonError::Write(e) => write!(f, "cannot write the canonical form: {e}"),
        }
    }
}

impl std::error::Error for CanonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CanonError::Xml(e) => Some(e),
            CanonError::Write(e) => Some(e),
        }
    }
}

impl From<Error> for CanonError {
    fn from(e: Error) -> Self {
        CanonError::Xml(e)
    }
}

/// What a canonicalization left out that the caller should know about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "a document whose external entities were skipped has an incomplete canonical form"]
pub struct Summary {
    /// External general entities referenced but not loaded (external entities off), and
    /// undeclared entities that XML 1.0 lets pass (VC: Entity Declared): their text is
    /// missing from the output, in content or attribute values. In the order met, without
    /// repeats (see [`crate::Event::SkippedEntity`]).
    pub skipped_entities: Vec<String>,
}

/// Reads the whole document from `reader` and writes its canonical form to `out`.
///
/// Output is written as the document is read; on error, what was written is incomplete.
pub fn write_canonical<W: Write>(reader: &mut Reader<'_>, out: W) -> Result<Summary, CanonError> {
    let mut out = BufWriter::new(out);
    let mut state = Canon::default();
    while let Some(event) = reader.next_event()? {
        state.event(event, &mut out).map_err(CanonError::Write)?;
    }
    out.flush().map_err(CanonError::Write)?;
    // The reader keeps the distinct names (a set, counted by its memory budget).
    Ok(Summary {
        skipped_entities: reader.skipped_entities().map(str::to_owned).collect(),
    })
}

/// The canonical form of a document in memory; skipped external entities are left out
/// silently (see [`write_canonical`] to learn of them).
pub fn canonical_bytes(input: &[u8], options: Options) -> Result<Vec<u8>, CanonError> {
    let mut reader = Reader::from_bytes(input, options);
    let mut out = Vec::new();
    let _summary = write_canonical(&mut reader, &mut out)?;
    Ok(out)
}

/// A notation declaration, kept until the end of the DTD.
struct NotationDecl {
    name: String,
    public_id: Option<String>,
    system_id: Option<String>,
}

#[derive(Default)]
struct Canon {
    doctype_name: String,
    notations: Vec<NotationDecl>,
    /// Reused between start tags (see `recycle`).
    attrs: Vec<Attribute<'static>>,
}

impl Canon {
    fn event<W: Write>(&mut self, event: Event<'_>, out: &mut W) -> io::Result<()> {
        match event {
            Event::DoctypeStart(d) => {
                self.doctype_name.clear();
                self.doctype_name.push_str(d.name);
            }
            Event::Notation(n) => self.notations.push(NotationDecl {
                name: n.name.to_owned(),
                public_id: n.public_id.map(str::to_owned),
                system_id: n.system_id.map(str::to_owned),
            }),
            Event::DoctypeEnd => self.write_doctype(out)?,
            Event::StartElement(start) => {
                out.write_all(b"<")?;
                out.write_all(start.name().as_bytes())?;
                let mut attrs = recycle(std::mem::take(&mut self.attrs));
                attrs.extend(start.attributes());
                // "Attributes are in lexicographical order (in Unicode bit order)": str's Ord
                // compares UTF-8 bytes, which orders by code point. Names are unique (WFC:
                // Unique Att Spec), so the unstable sort is deterministic.
                attrs.sort_unstable_by(|a, b| a.name.cmp(b.name));
                for a in &attrs {
                    out.write_all(b" ")?;
                    out.write_all(a.name.as_bytes())?;
                    out.write_all(b"=\"")?;
                    write_escaped(out, a.value)?;
                    out.write_all(b"\"")?;
                }
                self.attrs = recycle(attrs);
                out.write_all(b">")?;
            }
            Event::EndElement(end) => {
                out.write_all(b"</")?;
                out.write_all(end.name().as_bytes())?;
                out.write_all(b">")?;
            }
            Event::Text(t) | Event::CData(t) => write_escaped(out, t)?,
            Event::Pi(pi) => {
                out.write_all(b"<?")?;
                out.write_all(pi.target.as_bytes())?;
                out.write_all(b" ")?;
                out.write_all(pi.data.as_bytes())?;
                out.write_all(b"?>")?;
            }
            // Not part of the canonical form: the XML declaration, comments, unparsed entity
            // declarations (Clark's third form only), and whatever later versions add.
            _ => {}
        }
        Ok(())
    }

    /// The second canonical form's DOCTYPE, when notations were declared.
    fn write_doctype<W: Write>(&mut self, out: &mut W) -> io::Result<()> {
        if self.notations.is_empty() {
            return Ok(());
        }
        // Sorted by name; a notation declared twice (a validity error, VC: Unique Notation
        // Name) is listed once, as first declared: the stable sort keeps declaration order.
        self.notations.sort_by(|a, b| a.name.cmp(&b.name));
        self.notations
            .dedup_by(|later, first| later.name == first.name);
        out.write_all(b"<!DOCTYPE ")?;
        out.write_all(self.doctype_name.as_bytes())?;
        out.write_all(b" [\n")?;
        for n in &self.notations {
            out.write_all(b"<!NOTATION ")?;
            out.write_all(n.name.as_bytes())?;
            match (&n.public_id, &n.system_id) {
                (Some(p), system) => {
                    out.write_all(b" PUBLIC ")?;
                    write_literal(out, p)?;
                    if let Some(s) = system {
                        out.write_all(b" ")?;
                        write_literal(out, s)?;
                    }
                }
                (None, Some(s)) => {
                    out.write_all(b" SYSTEM ")?;
                    write_literal(out, s)?;
                }
                // XML 1.0 [82] requires an ExternalID or PublicID; the reader never reports
                // a notation with neither.
                (None, None) => {}
            }
            out.write_all(b">\n")?;
        }
        out.write_all(b"]>\n")?;
        self.notations.clear();
        Ok(())
    }
}

/// Empties a vector and gives back its allocation with a different borrow lifetime, so that
/// one buffer serves every start tag. (The in-place `collect` reuses the allocation because
/// the element types have the same layout; with no elements, the closure never runs.)
// The lint's advice (`filter`) cannot change the item type, which is the point here.
#[allow(clippy::unnecessary_filter_map)]
fn recycle<'b>(mut v: Vec<Attribute<'_>>) -> Vec<Attribute<'b>> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// A literal in single quotes, as the suite writes them; double quotes when it holds a `'`
/// (a SystemLiteral may, XML 1.0 \[11\]; a PubidLiteral may not hold both).
fn write_literal<W: Write>(out: &mut W, s: &str) -> io::Result<()> {
    let q: &[u8] = if s.contains('\'') { b"\"" } else { b"'" };
    out.write_all(q)?;
    out.write_all(s.as_bytes())?;
    out.write_all(q)
}

/// Character data and attribute values: Clark's Datachar.
fn write_escaped<W: Write>(out: &mut W, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\t' => b"&#9;",
            b'\n' => b"&#10;",
            b'\r' => b"&#13;",
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(rep)?;
        start = i + 1;
    }
    out.write_all(&bytes[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut v = Vec::new();
        write_escaped(&mut v, s).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn datachar_escapes() {
        assert_eq!(
            escaped("a&b<c>d\"e'f\tg\nh\ri"),
            "a&amp;b&lt;c&gt;d&quot;e'f&#9;g&#10;h&#13;i"
        );
        assert_eq!(escaped(""), "");
        assert_eq!(escaped("é€𝄞"), "é€𝄞");
    }

    #[test]
    fn notation_doctype_second_form() {
        let mut c = Canon {
            doctype_name: "root".into(),
            ..Canon::default()
        };
        for (name, p, s) in [
            ("nonce", None, Some("file:/dev/null")),
            ("foo", Some("-//public id//foo"), Some("file:/dev/null")),
            ("bar", None, Some("file:/dev/tty")),
            ("gif", Some("gif"), None),
            ("foo", None, Some("second declaration is ignored")),
        ] {
            c.notations.push(NotationDecl {
                name: name.into(),
                public_id: p.map(Into::into),
                system_id: s.map(Into::into),
            });
        }
        let mut out = Vec::new();
        c.write_doctype(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<!DOCTYPE root [\n\
             <!NOTATION bar SYSTEM 'file:/dev/tty'>\n\
             <!NOTATION foo PUBLIC '-//public id//foo' 'file:/dev/null'>\n\
             <!NOTATION gif PUBLIC 'gif'>\n\
             <!NOTATION nonce SYSTEM 'file:/dev/null'>\n\
             ]>\n"
        );
    }

    #[test]
    fn no_doctype_without_notations() {
        let mut c = Canon {
            doctype_name: "root".into(),
            ..Canon::default()
        };
        let mut out = Vec::new();
        c.write_doctype(&mut out).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn literal_with_apostrophe_uses_double_quotes() {
        let mut out = Vec::new();
        write_literal(&mut out, "it's").unwrap();
        assert_eq!(out, b"\"it's\"");
    }
}
