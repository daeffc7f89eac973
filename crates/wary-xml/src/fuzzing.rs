//! Hooks for the `fast_paths` fuzz target (cargo feature `fuzzing`, off in every normal
//! build): each fast path of the parser checked against the slow path it stands in for, on
//! the real code of both. Each function returns `Err` with a description when the two
//! disagree; inputs neither path applies to are `Ok`.
//!
//! - [`start_tag`]: `scan_simple_start_tag` (one pass, common tags) against
//!   `parse_start_tag` (the full token parser): whenever the scan answers, the parser must
//!   accept the same tag with the same length, attributes and name flags.
//! - [`namespaces`]: `Namespaces::resolve_tag` (which skips tags without a colon and sends
//!   tags without declarations to `resolve_prefixes`) against `resolve_declaring`, the
//!   general path: same result, same attributes, or the same error at the same offset.
//! - [`text`]: the text path inlined in `Parser::step` (`chars::quick_text_end`) against
//!   the text step: whenever the inline path answers, the step gives the same text.

use crate::cursor::Stop;
use crate::namespaces::{Namespaces, TagNames};
use crate::reader::{Ev, Loc, Parser};
use crate::tag_parser::{parse_start_tag_alone, scan_simple_start_tag, TagScan};
use crate::{chars, Event, Limits, Options, Pull};

/// At most this many `<` (or `>`) positions of one input are tried, so that one run stays
/// linear in the input.
const MAX_STARTS: usize = 64;

/// What the full parser makes of the start tag at the beginning of `text`.
struct Parsed {
    result: Result<(usize, bool), String>,
    attrs: Vec<crate::event::AttrRec>,
    attr_buf: String,
    tag: TagScan,
}

fn parse_full(text: &str, limits: &Limits) -> Parsed {
    let alone = parse_start_tag_alone(text, limits);
    let result = match alone.result {
        Ok(done) => Ok(done),
        Err(Stop::Fail(e, at)) => Err(format!("{e} (at {at})")),
        Err(Stop::More) => Err("asked for more text at the end of the input".into()),
    };
    Parsed {
        result,
        attrs: alone.attrs,
        attr_buf: alone.attr_buf,
        tag: alone.tag,
    }
}

/// The fast start-tag scan against the full parser, at every `<` of `data`.
pub fn start_tag(data: &[u8]) -> Result<(), String> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let limits = Limits::default();
    for (i, _) in text.match_indices('<').take(MAX_STARTS) {
        let tag_text = &text[i..];
        let (mut attrs, mut tag) = (Vec::new(), TagScan::default());
        let Some((len, empty)) =
            scan_simple_start_tag(tag_text.as_bytes(), &limits, &mut attrs, &mut tag)
        else {
            continue;
        };
        let full = parse_full(tag_text, &limits);
        // At most 200 bytes of the tag, cut at a character boundary (a cut inside one
        // panicked here, in the checker, on a long tag with a multi-byte character).
        let mut cut = tag_text.len().min(len.max(1)).min(200);
        while !tag_text.is_char_boundary(cut) {
            cut -= 1;
        }
        let shown = &tag_text[..cut];
        match full.result {
            Ok(r) if r == (len, empty) => {}
            other => {
                return Err(format!(
                    "the fast scan took {len} bytes (empty: {empty}) of {shown:?}; the full \
                     parser: {other:?}"
                ))
            }
        }
        if full.attrs != attrs || full.tag != tag || !full.attr_buf.is_empty() {
            return Err(format!(
                "the fast scan and the full parser read {shown:?} differently: attributes \
                 {attrs:?} vs {:?}, scan {tag:?} vs {:?}, normalized values {:?}",
                full.attrs, full.tag, full.attr_buf
            ));
        }
    }
    Ok(())
}

/// A scope with some bindings in force, chosen by the bits of `sel` (including a prefix
/// and the default bound to the same URI, and the default undeclared).
fn scope(sel: u8) -> Namespaces {
    let mut ns = Namespaces::default();
    let bindings = [
        ("", "urn:d"),
        ("a", "urn:a"),
        ("b", "urn:a"),
        ("c", "urn:c"),
        ("", ""),
        ("a", "urn:b"),
    ];
    for (bit, (prefix, uri)) in bindings.iter().enumerate() {
        if sel & (1 << bit) != 0 {
            ns.bind(prefix, uri);
        }
    }
    ns
}

/// Namespace resolution's fast paths against its general path, for the start tag at every
/// `<` of `data` that the full parser accepts and that declares no namespace.
pub fn namespaces(data: &[u8]) -> Result<(), String> {
    let Some((&sel, rest)) = data.split_first() else {
        return Ok(());
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return Ok(());
    };
    let limits = Limits::default();
    for (i, _) in text.match_indices('<').take(MAX_STARTS) {
        let full = parse_full(&text[i..], &limits);
        let Ok((len, _)) = full.result else { continue };
        // A declaration goes to the general path in both; nothing to compare.
        if full.tag.xmlns {
            continue;
        }
        let src = &text[i..i + len];
        let (mut fast_scope, mut general_scope) = (scope(sel), scope(sel));
        let (mut fast_attrs, mut general_attrs) = (full.attrs.clone(), full.attrs.clone());
        let fast = fast_scope.resolve_tag(TagNames {
            src,
            buf: &full.attr_buf,
            attrs: &mut fast_attrs,
            scan: full.tag,
        });
        let general = general_scope.resolve_declaring(TagNames {
            src,
            buf: &full.attr_buf,
            attrs: &mut general_attrs,
            scan: full.tag,
        });
        let same = match (&fast, &general) {
            (Ok(a), Ok(b)) => {
                a.0 == b.0
                    && a.1.map(|s| s.of(fast_scope.uris()))
                        == b.1.map(|s| s.of(general_scope.uris()))
                    && fast_attrs == general_attrs
            }
            (Err((a, at_a)), Err((b, at_b))) => {
                a.kind() == b.kind()
                    && a.rule() == b.rule()
                    && a.message() == b.message()
                    && at_a == at_b
            }
            _ => false,
        };
        if !same {
            return Err(format!(
                "namespace resolution of {src:?} (scope {sel:#04x}): fast path {fast:?} with \
                 {fast_attrs:?}, general path {general:?} with {general_attrs:?}"
            ));
        }
    }
    Ok(())
}

/// The inlined text path against the text step, for the content after every `>` of `data`
/// (put inside an element).
pub fn text(data: &[u8]) -> Result<(), String> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let starts = std::iter::once(0).chain(text.match_indices('>').map(|(i, _)| i + 1));
    for from in starts.take(MAX_STARTS) {
        let mut p = Parser::new(Options::default());
        p.feed(b"<r>");
        p.feed(&text.as_bytes()[from..]);
        p.finish();
        match p.next_event() {
            Ok(Pull::Event(Event::StartElement(_))) => {}
            _ => continue,
        }
        let Some((top, fr)) = p.top_frame() else {
            continue;
        };
        let (start, inline) = {
            let bytes = fr.text.as_bytes();
            // `step` takes the inline path only at a byte that is not markup or a reference.
            if matches!(bytes.get(fr.pos), None | Some(b'<' | b'&')) {
                continue;
            }
            (fr.pos, chars::quick_text_end(bytes, fr.pos))
        };
        let Some(end) = inline else { continue };
        match p.text() {
            Ok(Some(Ev::Text(Loc::Frame(f, a, b)))) if (f, a, b) == (top, start, end) => {}
            other => {
                return Err(format!(
                    "the inline text path ends at {end} (from {start}); the text step gave \
                     {other:?}"
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Found by the fast_paths target: a start tag longer than the 200 bytes shown in a
    /// disagreement, with a character across byte 200, panicked in the checker itself
    /// (slicing the excerpt inside the character), whatever the parser did.
    #[test]
    fn fuzz_fast_paths_1() {
        for pad in 190..200 {
            let doc = format!("<a b=\"{}\u{e9}\u{645}\u{4e00}\"/>", "x".repeat(pad));
            assert_eq!(super::start_tag(doc.as_bytes()), Ok(()), "{doc}");
        }
    }
}
