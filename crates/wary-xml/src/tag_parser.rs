//! The tag parser: start tags and their attributes, XML 1.0 \[40\] STag, \[41\] Attribute,
//! \[44\] EmptyElemTag, as token parsers over a [`Cur`] and a [`TokenCtx`], the narrow view
//! of the reader's state that a token may touch.
//!
//! Two parsers answer for one tag: [`scan_simple_start_tag`], a one-pass scan of the common
//! tag (ASCII names, values that need no normalizing, no DTD attribute lists), and
//! [`parse_start_tag`], the full parser, which alone reports errors. The fast one answers only
//! when it agrees with the full one (the `fast_paths` fuzz target checks it); otherwise the
//! reader runs the full one.

use crate::attrs::{self, collapse_spaces, needs_normalizing, normalize_attr};
use crate::cursor::{Cur, PResult, Stop};
use crate::dtd::{AttType, Dtd};
use crate::event::{AttrRec, Span};
use crate::guard::ExpansionGuard;
use crate::input::Frame;
use crate::{chars, Error, Limits};

/// What a token parser may use besides the text: a view of the reader's state, borrowed
/// field by field for the length of one token.
pub(crate) struct TokenCtx<'a> {
    pub dtd: &'a Dtd,
    pub limits: &'a Limits,
    pub attr_buf: &'a mut String,
    pub attrs: &'a mut Vec<AttrRec>,
    pub scratch: &'a mut String,
    /// Entity expansion in attribute values is counted and checked here.
    pub guard: &'a mut ExpansionGuard,
    /// Raw input bytes read so far (for the amplification limit).
    pub read: u64,
    pub tag: &'a mut TagScan,
    pub standalone: bool,
    /// Undeclared entities skipped in attribute values (see `Reader::skipped_queue`).
    pub skipped: &'a mut Vec<String>,
}

/// What the scan of a start tag learned besides its attributes, so that the steps after it
/// need not look at the names again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TagScan {
    /// Length of the element name, which starts at byte 1 of the tag.
    pub name_len: u32,
    /// The element name has a colon.
    pub name_colon: bool,
    /// Some name in the tag (the element's or an attribute's) has a colon.
    pub colon: bool,
    /// Some attribute name starts with "xmlns" (a namespace declaration, or a name that
    /// must be checked as one).
    pub xmlns: bool,
}

/// The text of the current start tag: names and unnormalized values are spans into it. It
/// stays in its frame's window until the next event is asked for.
#[inline]
pub(crate) fn tag_text(frames: &[Frame], (f, a, b): (usize, usize, usize)) -> &str {
    frames.get(f).and_then(|f| f.text.get(a..b)).unwrap_or("")
}

/// The token parser of a start tag: records the element name's length and each attribute
/// as spans into the tag's text; only values that normalization changes are written to
/// `ctx.attr_buf`. Returns whether the tag was an empty-element tag.
pub(crate) fn parse_start_tag(c: &mut Cur<'_>, ctx: &mut TokenCtx<'_>) -> PResult<bool> {
    ctx.attr_buf.clear();
    ctx.attrs.clear();
    ctx.skipped.clear();
    c.i = 1;
    let (name, colon) = c.name_colon(ctx.limits.max_name_len, "an element name")?;
    *ctx.tag = TagScan {
        name_len: name.len() as u32,
        name_colon: colon,
        colon,
        xmlns: false,
    };
    let decls = ctx.dtd.attlist(name);
    loop {
        let had_ws = c.ws();
        match c.peek()? {
            b'>' => {
                c.i += 1;
                return Ok(false);
            }
            b'/' => {
                c.i += 1;
                if !c.eat(b'>')? {
                    return Err(c.syntax("expected '>' after '/' in an empty-element tag"));
                }
                return Ok(true);
            }
            _ => {}
        }
        if !had_ws {
            return Err(c.syntax(format!(
                "expected white space, '>' or '/>' in the start tag of <{name}>, found {}",
                crate::cursor::show_next(c.rest())
            )));
        }
        let n0 = c.i;
        let (aname, acolon) = c.name_colon(ctx.limits.max_name_len, "an attribute name")?;
        let name_span = Span {
            start: n0 as u32,
            end: c.i as u32,
        };
        ctx.tag.colon |= acolon;
        ctx.tag.xmlns |= aname.as_bytes().starts_with(b"xmlns");
        c.ws();
        if !c.eat(b'=')? {
            return Err(c.syntax(format!("expected '=' after the attribute name '{aname}'")));
        }
        c.ws();
        let vat = c.i + 1;
        let raw = c.quoted("attribute value")?;
        if ctx.attrs.len() >= ctx.limits.max_attributes {
            return Err(Stop::Fail(
                Error::too_many_attributes(ctx.limits.max_attributes),
                vat,
            ));
        }
        // A declared type other than CDATA collapses spaces (§3.3.3).
        let tokenized = decls
            .and_then(|d| d.get(aname))
            .is_some_and(|d| d.ty != AttType::Cdata);
        let (value, value_owned) = if !tokenized && !needs_normalizing(raw) {
            // The value is the literal as written: leave it in the tag's text.
            let v = Span {
                start: vat as u32,
                end: (vat + raw.len()) as u32,
            };
            (v, false)
        } else {
            let v0 = ctx.attr_buf.len();
            normalize_attr(
                raw,
                ctx.dtd,
                ctx.standalone,
                (ctx.attr_buf, ctx.skipped),
                (&mut *ctx.guard, ctx.read),
                ctx.limits,
            )
            .map_err(|(e, at)| Stop::Fail(e, vat + at))?;
            // Expanded values are held whole with the tag: they count against the token
            // limit.
            if ctx.attr_buf.len() > ctx.limits.max_token_len {
                return Err(Stop::Fail(
                    Error::token_too_long(ctx.limits.max_token_len),
                    vat,
                ));
            }
            if tokenized {
                collapse_spaces(ctx.attr_buf, v0);
            }
            let v = Span {
                start: v0 as u32,
                end: ctx.attr_buf.len() as u32,
            };
            (v, true)
        };
        ctx.attrs.push(AttrRec {
            name: name_span,
            prefix_len: 0,
            value,
            ns: None,
            specified: true,
            value_owned,
            colon: acolon,
        });
    }
}

/// The common start tag, scanned in one pass: the whole tag is in `b` (which starts at its
/// '<'), names are ASCII, no value needs normalizing, and the caller has checked that the
/// DTD declares no attribute lists (so no value is tokenized and no default applies).
/// Fills `attrs` and `tag` as [`parse_start_tag`] would and returns the tag's length and
/// whether it is an empty-element tag.
///
/// Anything else, including every error, returns `None`, and the caller runs
/// [`parse_start_tag`], which alone reports errors: so this path accepts only what that
/// parser accepts. It exists for speed: without the token machinery (cursor, results that
/// may ask for more input, re-entry) a typical tag costs about half the instructions.
#[inline]
pub(crate) fn scan_simple_start_tag(
    b: &[u8],
    limits: &Limits,
    attrs: &mut Vec<AttrRec>,
    tag: &mut TagScan,
) -> Option<(usize, bool)> {
    attrs.clear();
    let (n, colon) = chars::ascii_name_len(b.get(1..)?)?;
    if n > limits.max_name_len {
        return None;
    }
    *tag = TagScan {
        name_len: n as u32,
        name_colon: colon,
        colon,
        xmlns: false,
    };
    let mut i = 1 + n;
    loop {
        let ws = i;
        while chars::is_space(*b.get(i)?) {
            i += 1;
        }
        match *b.get(i)? {
            b'>' => return Some((i + 1, false)),
            b'/' => return (*b.get(i + 1)? == b'>').then_some((i + 2, true)),
            _ if i == ws => return None,
            _ => {}
        }
        let n0 = i;
        let (n, colon) = chars::ascii_name_len(&b[i..])?;
        if n > limits.max_name_len || attrs.len() >= limits.max_attributes {
            return None;
        }
        i += n;
        let name = Span {
            start: n0 as u32,
            end: i as u32,
        };
        tag.colon |= colon;
        tag.xmlns |= b[n0..].starts_with(b"xmlns");
        while chars::is_space(*b.get(i)?) {
            i += 1;
        }
        if *b.get(i)? != b'=' {
            return None;
        }
        i += 1;
        while chars::is_space(*b.get(i)?) {
            i += 1;
        }
        let q = *b.get(i)?;
        if q != b'"' && q != b'\'' {
            return None;
        }
        // One pass finds the closing quote and any byte that normalization would change
        // (values are short: a table loop beats a memchr call plus a second pass).
        let v0 = i + 1;
        let mut j = v0;
        loop {
            let c = *b.get(j)?;
            if VALUE_STOP[c as usize] {
                if c == q {
                    break;
                }
                if c != b'"' && c != b'\'' {
                    return None;
                }
            }
            j += 1;
        }
        let k = j - v0;
        i = j + 1;
        attrs.push(AttrRec {
            name,
            prefix_len: 0,
            value: Span {
                start: v0 as u32,
                end: (v0 + k) as u32,
            },
            ns: None,
            specified: true,
            value_owned: false,
            colon,
        });
    }
}

/// [`ATTR_SPECIAL`] and both quotes: where the one-pass value scan must stop and look.
static VALUE_STOP: [bool; 256] = {
    let mut t = attrs::ATTR_SPECIAL;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t
};

/// A start tag parsed by the full parser on its own, outside any document (no DTD, nothing
/// read before it), as the unit tests below and the `fast_paths` fuzz target run it.
#[cfg(any(test, feature = "fuzzing"))]
// The unit tests read the result and the attributes; the fuzz target everything.
#[cfg_attr(not(feature = "fuzzing"), allow(dead_code))]
pub(crate) struct Alone {
    /// The tag's length and whether it is empty, or where the parser stopped.
    pub result: Result<(usize, bool), Stop>,
    pub attrs: Vec<AttrRec>,
    pub attr_buf: String,
    pub tag: TagScan,
}

/// Runs [`parse_start_tag`] over all of `text` (so it never gets more) with its own buffers.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn parse_start_tag_alone(text: &str, limits: &Limits) -> Alone {
    let dtd = Dtd::default();
    let mut guard = ExpansionGuard::new(limits);
    let (mut attr_buf, mut attrs, mut scratch) = (String::new(), Vec::new(), String::new());
    let (mut tag, mut skipped) = (TagScan::default(), Vec::new());
    let mut ctx = TokenCtx {
        dtd: &dtd,
        limits,
        attr_buf: &mut attr_buf,
        attrs: &mut attrs,
        scratch: &mut scratch,
        guard: &mut guard,
        read: text.len() as u64,
        tag: &mut tag,
        standalone: false,
        skipped: &mut skipped,
    };
    let mut cur = Cur::new(text, true, "a start tag", "XML 1.0 [40] STag");
    let result = parse_start_tag(&mut cur, &mut ctx).map(|empty| (cur.i, empty));
    Alone {
        result,
        attrs,
        attr_buf,
        tag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rows::{check, Expect};
    use crate::ErrorKind::{self, *};

    /// The full parser over `tag` (all of the input, so it never asks for more): the tag's
    /// length, whether it is empty and its attribute count, or the error with its offset.
    fn parse(
        tag: &str,
        limits: &Limits,
    ) -> Result<(usize, bool, usize), (ErrorKind, &'static str, usize)> {
        let alone = parse_start_tag_alone(tag, limits);
        match alone.result {
            Ok((len, empty)) => Ok((len, empty, alone.attrs.len())),
            Err(Stop::Fail(e, at)) => Err((e.kind(), e.rule(), at)),
            Err(Stop::More) => panic!("{tag:?}: asked for more at the end of the input"),
        }
    }

    type Row = (
        &'static str,
        Result<(usize, bool, usize), (ErrorKind, &'static str, usize)>,
    );

    const STAG: &str = "XML 1.0 [40] STag";

    /// The tag parser on its own: each row a tag and what it makes of it, errors at the
    /// offset in the tag of the byte at fault. Wherever the one-pass scan answers, it must
    /// answer the same.
    #[test]
    fn start_tags_and_their_errors() {
        let rows: &[Row] = &[
            ("<a>", Ok((3, false, 0))),
            ("<a/>", Ok((4, true, 0))),
            ("<a b='1' c=\"2\">", Ok((15, false, 2))),
            ("<a  b = '1' />", Ok((14, true, 1))),
            ("<a b='&lt;&#x41;'>", Ok((18, false, 1))),
            ("<a\tb='x\ny'\r\n>rest", Ok((13, false, 1))),
            ("<é b='1'>", Ok((10, false, 1))),
            ("<a p:b='1' xmlns:p='u'>", Ok((23, false, 2))),
            // Duplicates are for the checks after the parser (WFC: Unique Att Spec).
            ("<a b='1' b='2'>", Ok((15, false, 2))),
            ("<a b>", Err((Syntax, STAG, 4))),
            ("<a b='1'c='2'/>", Err((Syntax, STAG, 8))),
            (
                "<a b='<'/>",
                Err((Syntax, "WFC: No < in Attribute Values", 6)),
            ),
            (
                "<a b='&x;'/>",
                Err((BadEntityReference, "WFC: Entity Declared", 6)),
            ),
            (
                "<a b='&#0;'/>",
                Err((InvalidChar, "WFC: Legal Character", 8)),
            ),
            (
                "<a b='&#x110000;'/>",
                Err((InvalidChar, "WFC: Legal Character", 9)),
            ),
            ("<a b='&#;'/>", Err((Syntax, "XML 1.0 [67] Reference", 8))),
            ("<a/ >", Err((Syntax, STAG, 3))),
            ("<1a/>", Err((Syntax, STAG, 1))),
            ("<a b='1", Err((Syntax, STAG, 5))),
            ("<a", Err((Syntax, STAG, 2))),
        ];
        let limits = Limits::default();
        for (tag, want) in rows {
            let got = parse(tag, &limits);
            assert_eq!(&got, want, "{tag:?}");
            let (mut attrs, mut scan) = (Vec::new(), TagScan::default());
            if let Some((len, empty)) =
                scan_simple_start_tag(tag.as_bytes(), &limits, &mut attrs, &mut scan)
            {
                assert_eq!(Ok((len, empty, attrs.len())), got, "fast path on {tag:?}");
            }
        }
    }

    #[test]
    fn the_attribute_limit_bites_at_the_value_over_it() {
        let limits = Limits {
            max_attributes: 2,
            ..Limits::default()
        };
        assert_eq!(parse("<a b='1' c='2'>", &limits), Ok((15, false, 2)));
        assert_eq!(
            parse("<a b='1' c='2' d='3'>", &limits),
            Err((Limit, "Limits::max_attributes", 18))
        );
        // The fast path declines what it cannot decide, for the full parser to report.
        let (mut attrs, mut scan) = (Vec::new(), TagScan::default());
        let fast = scan_simple_start_tag(b"<a b='1' c='2' d='3'>", &limits, &mut attrs, &mut scan);
        assert_eq!(fast, None);
    }

    fn e(kind: ErrorKind, rule: &'static str, line: u64, column: u64) -> Option<Expect> {
        Some((kind, rule, line, column))
    }

    /// The same errors in documents: the position is the byte at fault, in lines and columns.
    #[test]
    fn tag_errors_in_documents_and_their_positions() {
        check(&[
            ("<r>\n  <a b='1'/>\n</r>", None),
            ("<r>\n  <a b>\n</r>", e(Syntax, STAG, 2, 7)),
            ("<r>\n  <a b='1'c='2'/>\n</r>", e(Syntax, STAG, 2, 11)),
            (
                "<r>\n<a b='<'/></r>",
                e(Syntax, "WFC: No < in Attribute Values", 2, 7),
            ),
            (
                "<r>\n <a b='&x;'/></r>",
                e(BadEntityReference, "WFC: Entity Declared", 2, 8),
            ),
            (
                "<r>\n<a b='&#0;'/></r>",
                e(InvalidChar, "WFC: Legal Character", 2, 9),
            ),
            ("<r>\n<a/ ></r>", e(Syntax, STAG, 2, 4)),
            ("<r>\n<1a/></r>", e(Syntax, STAG, 2, 2)),
            (
                "<r>\n<a b=\"1\" b=\"2\"/></r>",
                e(DuplicateAttribute, "WFC: Unique Att Spec", 2, 10),
            ),
            (
                "<r>\n<a xml:lang=\"en\" xml:lang=\"fr\"/></r>",
                e(DuplicateAttribute, "WFC: Unique Att Spec", 2, 18),
            ),
            (
                "<r xmlns:p=\"u\">\n<a/><p:a/></r>\n<p:b/>",
                e(Syntax, "XML 1.0 [1] document", 3, 1),
            ),
            (
                "<r>\n<a>\n</b></r>",
                e(TagMismatch, "WFC: Element Type Match", 3, 1),
            ),
        ]);
    }
}
