//! Attribute values and references: XML 1.0 §3.3.3 attribute-value normalization, \[66\]
//! character references, \[68\] entity references and the checks on using an entity (§4.4).
//!
//! Shared by the tag parser (values in start tags) and the DTD parser (attribute defaults);
//! every entity expanded in a value goes through the expansion guard.

use crate::cursor::{Cur, PResult, Stop};
use crate::dtd::{Dtd, Entity, EntityKind};
use crate::guard::{EntityClass, ExpansionGuard};
use crate::{chars, Error, ErrorKind, Limits};
use std::sync::Arc;

/// At most this many distinct undeclared entities skipped in one tag's attribute values are
/// reported (as [`crate::Event::SkippedEntity`]): enough to say that the values are
/// incomplete and which names are missing, without holding (or checking against) an
/// unbounded list for a tag made of millions of references.
pub(crate) const MAX_SKIPPED_PER_TAG: usize = 32;

/// Bytes that attribute-value normalization changes or rejects (§3.3.3, WFC: No < in
/// Attribute Values): a table lookup per byte is cheaper than five comparisons.
pub(crate) static ATTR_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

/// Whether a literal's content differs from its normalized value (or is not allowed).
#[inline]
pub(crate) fn needs_normalizing(raw: &str) -> bool {
    raw.bytes().any(|b| ATTR_SPECIAL[b as usize])
}

/// XML 1.0 §3.3.3 attribute-value normalization of a literal's content (CDATA rules):
/// references expanded (with an explicit stack), white space characters become spaces.
/// On error returns the byte offset in `raw` of the reference (or character) at fault.
/// Undeclared entities that XML 1.0 lets pass (VC: Entity Declared) add nothing to `out`
/// and their names to `skipped`.
pub(crate) fn normalize_attr(
    raw: &str,
    dtd: &Dtd,
    standalone: bool,
    (out, skipped): (&mut String, &mut Vec<String>),
    (guard, read): (&mut ExpansionGuard, u64),
    limits: &Limits,
) -> Result<(), (Error, usize)> {
    if !needs_normalizing(raw) {
        out.push_str(raw);
        return Ok(());
    }
    // Each level: (text, position, entity name). Level 0 is the literal itself.
    let mut stack: Vec<(Arc<str>, usize, Option<Arc<str>>)> = vec![(Arc::from(raw), 0, None)];
    let mut outer_at = 0usize;
    while let Some(level) = stack.last_mut() {
        let text = level.0.clone();
        let b = text.as_bytes();
        let mut i = level.1;
        let depth = stack.len();
        let at = |i: usize, o: usize| if depth == 1 { i } else { o };
        // Copy a run of ordinary characters at once.
        let run = b[i..]
            .iter()
            .position(|&c| matches!(c, b'&' | b'<' | b'\t' | b'\n' | b'\r'))
            .unwrap_or(b.len() - i);
        out.push_str(&text[i..i + run]);
        i += run;
        if i >= b.len() {
            stack.pop();
            continue;
        }
        match b[i] {
            b'<' => {
                let msg = if depth == 1 {
                    "'<' is not allowed in an attribute value; escape it as &lt;".to_string()
                } else {
                    "the replacement text of an entity used in an attribute value contains '<'"
                        .to_string()
                };
                return Err((
                    Error::new(ErrorKind::Syntax, "WFC: No < in Attribute Values", msg),
                    at(i, outer_at),
                ));
            }
            b'&' => {
                if depth == 1 {
                    outer_at = i;
                }
                let mut c = Cur::new(&text[i..], true, "a reference", "XML 1.0 [67] Reference");
                c.i = 1;
                let parsed: PResult<Result<char, String>> = (|| {
                    if c.eat(b'#')? {
                        return Ok(Ok(char_ref(&mut c)?));
                    }
                    let name = entity_ref_name(&mut c, limits.max_name_len, '&')?;
                    if !c.eat(b';')? {
                        return Err(c.syntax(format!("expected ';' after '&{name}'")));
                    }
                    Ok(Err(name.to_string()))
                })();
                let consumed = c.i;
                let r = match parsed {
                    Ok(r) => r,
                    Err(Stop::Fail(e, k)) => return Err((e, at(i + k, outer_at))),
                    Err(Stop::More) => {
                        return Err((
                            Error::new(
                                ErrorKind::Syntax,
                                "XML 1.0 [67] Reference",
                                "incomplete reference",
                            ),
                            at(i, outer_at),
                        ))
                    }
                };
                if let Some(l) = stack.last_mut() {
                    l.1 = i + consumed;
                }
                match r {
                    Ok(ch) => out.push(ch),
                    Err(name) => {
                        if let Some(ch) = predefined(&name) {
                            out.push(ch);
                            continue;
                        }
                        let ent = dtd.general(&name);
                        let Some(ent) = ent else {
                            // WFC: Entity Declared in a document without a DTD, with an
                            // internal subset only and no parameter-entity references, or
                            // standalone='yes'; otherwise only VC: Entity Declared (a
                            // non-validating processor may not have read the declaration),
                            // so the reference is skipped, and reported as skipped.
                            if dtd.must_declare(standalone) {
                                return Err((Error::undeclared_entity(&name), at(i, outer_at)));
                            }
                            if skipped.len() < MAX_SKIPPED_PER_TAG && !skipped.contains(&name) {
                                skipped.push(name);
                            }
                            continue;
                        };
                        check_entity_use(ent, standalone, true)
                            .map_err(|e| (e, at(i, outer_at)))?;
                        let EntityKind::Internal(rt) = &ent.kind else {
                            return Err((
                                Error::new(
                                    ErrorKind::BadEntityReference,
                                    "WFC: No External Entity References",
                                    "unreachable",
                                ),
                                at(i, outer_at),
                            ));
                        };
                        // The one expansion guard (see `guard`): recursion against the
                        // entities open in this value, its depth, and all expansion so far
                        // against all input parsed so far.
                        let open = stack.iter().filter_map(|l| l.2.as_deref());
                        guard
                            .enter(&ent.name, EntityClass::General, open, stack.len())
                            .and_then(|()| guard.expand(rt.len() as u64, || read))
                            .map_err(|e| (e, at(i, outer_at)))?;
                        if out.len() > limits.max_token_len {
                            return Err((
                                Error::token_too_long(limits.max_token_len),
                                at(i, outer_at),
                            ));
                        }
                        stack.push((rt.clone(), 0, Some(ent.name.clone())));
                    }
                }
                continue;
            }
            _ => {
                out.push(' ');
                i += 1;
            }
        }
        if let Some(l) = stack.last_mut() {
            l.1 = i;
        }
    }
    Ok(())
}

/// The name of an entity reference (XML 1.0 \[68\] EntityRef, \[69\] PEReference; `sigil`
/// is `&` or `%`), which Namespaces in XML 1.0 §7 requires to be an NCName: "No entity names
/// ... contain any colons". Checked where the reference is read, so that it holds whether or
/// not the reference is ever expanded (in an unused entity value, behind an external DTD, in
/// a default reached through a parameter entity).
pub(crate) fn entity_ref_name<'a>(c: &mut Cur<'a>, max: usize, sigil: char) -> PResult<&'a str> {
    let at = c.i;
    let (name, colon) = c.name_colon(max, "an entity name")?;
    if colon {
        c.i = at;
        return Err(c.fail(
            ErrorKind::Namespace,
            "Namespaces in XML 1.0 §7",
            format!(
                "the entity reference '{sigil}{name};' names an entity with a colon, which no \
                 entity may have; rename the entity without ':'"
            ),
        ));
    }
    Ok(name)
}

/// §3.3.3 for non-CDATA types: strip leading and trailing spaces, collapse runs to one.
pub(crate) fn collapse_spaces(buf: &mut String, from: usize) {
    let v = &buf[from..];
    if !v.starts_with(' ') && !v.ends_with(' ') && !v.contains("  ") {
        return;
    }
    let collapsed = v
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    buf.truncate(from);
    buf.push_str(&collapsed);
}

/// The character of a character reference, after `&#`, through `;` (XML 1.0 \[66\], WFC:
/// Legal Character).
pub(crate) fn char_ref(c: &mut Cur<'_>) -> PResult<char> {
    let hex = c.eat(b'x')?;
    let d0 = c.i;
    let mut v: u32 = 0;
    loop {
        let b = c.peek()?;
        let d = match b {
            b'0'..=b'9' => (b - b'0') as u32,
            b'a'..=b'f' if hex => (b - b'a' + 10) as u32,
            b'A'..=b'F' if hex => (b - b'A' + 10) as u32,
            b';' => break,
            _ => return Err(c.syntax("a character reference has digits then ';' (&#N; or &#xH;)")),
        };
        v = v
            .saturating_mul(if hex { 16 } else { 10 })
            .saturating_add(d);
        c.i += 1;
    }
    if c.i == d0 {
        return Err(c.syntax("a character reference needs at least one digit"));
    }
    // Past U+10FFFF the value saturated above: name the reference as written, not the
    // saturated number (`&#x100000041;` is not U+FFFFFFFF, nor U+41 as a wrapping u32 is).
    if v > 0x10FFFF {
        let digits = c.s.get(d0..c.i).unwrap_or("");
        let x = if hex { "x" } else { "" };
        c.i = d0;
        return Err(c.fail(
            ErrorKind::InvalidChar,
            "WFC: Legal Character",
            format!(
                "character reference &#{x}{digits}; is beyond U+10FFFF, the last Unicode code \
                 point, so it is not an XML character"
            ),
        ));
    }
    c.i += 1;
    match char::from_u32(v) {
        Some(ch) if chars::is_char(v) => Ok(ch),
        _ => {
            c.i = d0;
            Err(c.fail(
                ErrorKind::InvalidChar,
                "WFC: Legal Character",
                format!("character reference to U+{v:04X}, which is not an XML character"),
            ))
        }
    }
}

/// The five predefined entities (XML 1.0 §4.6).
pub(crate) fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// The checks on using a declared general entity in content or an attribute value.
pub(crate) fn check_entity_use(
    ent: &Entity,
    standalone: bool,
    in_attribute: bool,
) -> Result<(), Error> {
    if standalone && ent.external_decl {
        return Err(Error::new(
            ErrorKind::BadEntityReference,
            "WFC: Entity Declared",
            format!(
                "entity '{}' is declared in the external subset or a parameter entity, which a \
                 standalone='yes' document may not rely on",
                ent.name
            ),
        ));
    }
    match &ent.kind {
        EntityKind::External {
            notation: Some(_), ..
        } => Err(Error::new(
            ErrorKind::BadEntityReference,
            "WFC: Parsed Entity",
            format!(
                "'{}' is an unparsed entity; it may only be named in an ENTITY attribute",
                ent.name
            ),
        )),
        EntityKind::External { .. } if in_attribute => Err(Error::new(
            ErrorKind::BadEntityReference,
            "WFC: No External Entity References",
            format!(
                "attribute values may not refer to the external entity '{}'",
                ent.name
            ),
        )),
        _ => Ok(()),
    }
}
