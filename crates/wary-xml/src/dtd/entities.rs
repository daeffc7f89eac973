//! Entity declarations, XML 1.0 \[70\]-\[76\]: general and parameter entities, internal
//! (\[9\] EntityValue, with parameter-entity references and character references expanded,
//! §4.4.5) and external (\[75\] ExternalID, \[76\] NDataDecl), and the rule on redeclaring
//! the predefined entities (§4.6).

use super::cursor::DtdParser;
use super::{normalize_pubid, Entity, EntityKind};
use crate::attrs::predefined;
use crate::budget::DECL_OVERHEAD;
use crate::chars;
use crate::event::{Ev, Span};
use crate::input::FrameKind;
use crate::{Error, ErrorKind};
use std::sync::Arc;

/// What the memory budget calls the declarations of the DTD.
const DTD: &str = "the declarations of the DTD";

impl DtdParser<'_> {
    /// \[70\] EntityDecl. Returns the event of a declaration that binds: an
    /// [`Event::UnparsedEntity`](crate::Event) for an unparsed entity, an
    /// [`Event::EntityDecl`](crate::Event) for any other.
    pub(super) fn entity_decl(&mut self) -> Result<Option<Ev>, Error> {
        const R: &str = "XML 1.0 [70] EntityDecl";
        self.bump(8);
        self.req_sep(R, "after '<!ENTITY'")?;
        let mut pe = false;
        if self.peek()? == Some(b'%') {
            let next = self.rest(2)?.as_bytes().get(1).copied();
            if next.is_some_and(chars::is_space) {
                self.bump(1);
                self.req_sep(R, "after '%'")?;
                pe = true;
            }
        }
        let name = self.name(R, "an entity name")?;
        if name.contains(':') {
            return Err(self.err(
                ErrorKind::Namespace,
                "Namespaces in XML 1.0 §7",
                format!("entity name '{name}' contains a colon"),
            ));
        }
        // Where a declaration of a predefined entity is, in case §4.6 refuses it below.
        let predefined_at = (!pe && predefined(&name).is_some()).then(|| {
            let f = self.input.frame(self.input.top());
            f.position_at(f.pos.saturating_sub(name.len()))
        });
        self.req_sep(R, "after the entity name")?;
        let external_decl = self
            .input
            .frames()
            .iter()
            .any(|f| f.kind != FrameKind::Document);
        let kind = match self.peek()? {
            Some(b'"' | b'\'') => EntityKind::Internal(Arc::from(self.entity_value()?)),
            _ => {
                let (public, system) = self.external_id(false)?;
                let system = system.unwrap_or_default();
                let had = self.sep()?;
                let mut notation = None;
                if self.looking_at("NDATA")? {
                    if !had {
                        return Err(
                            self.syntax("XML 1.0 [76] NDataDecl", "white space before NDATA")
                        );
                    }
                    if pe {
                        return Err(self.err(
                            ErrorKind::Syntax,
                            "XML 1.0 [74] PEDef",
                            "a parameter entity cannot be unparsed (NDATA)",
                        ));
                    }
                    self.bump(5);
                    self.req_sep("XML 1.0 [76] NDataDecl", "after NDATA")?;
                    notation = Some(self.name("XML 1.0 [76] NDataDecl", "a notation name")?);
                }
                let base = self
                    .input
                    .frames()
                    .iter()
                    .rev()
                    .find_map(|f| f.base_dir.clone());
                EntityKind::External {
                    public,
                    system,
                    base,
                    notation,
                }
            }
        };
        self.end(R)?;
        if self.dtd.ignoring {
            return Ok(None);
        }
        if let Some(at) = predefined_at {
            check_predefined_decl(&name, &kind).map_err(|e| e.at(at))?;
        }
        let name: Arc<str> = Arc::from(name);
        let declared = if pe {
            self.dtd.params.contains_key(&name)
        } else {
            self.dtd.general.contains_key(&name)
        };
        if declared {
            return Ok(None); // the first declaration binds (§4.2)
        }
        // Kept until the end of the document: counted by the memory budget.
        let kept = name.len()
            + DECL_OVERHEAD
            + match &kind {
                EntityKind::Internal(text) => text.len(),
                EntityKind::External {
                    public,
                    system,
                    base,
                    notation,
                } => {
                    public.as_ref().map_or(0, String::len)
                        + system.len()
                        + base.as_ref().map_or(0, |b| b.as_os_str().len())
                        + notation.as_ref().map_or(0, String::len)
                }
            };
        self.input.charge(kept, DTD)?;
        let map = if pe {
            &mut self.dtd.params
        } else {
            &mut self.dtd.general
        };
        // Every declaration that binds is reported (the first of a name, §4.2; one that is
        // not processed, §5.1, binds nothing), so that a caller can refuse entities on their
        // declaration alone, as defusedxml does, before any is referenced.
        self.scratch.clear();
        let nm = Span::push(self.scratch, &name);
        let ev = match &kind {
            EntityKind::External {
                public,
                system,
                notation: Some(n),
                ..
            } => {
                let pu = public.as_deref().map(|p| Span::push(self.scratch, p));
                let sy = Span::push(self.scratch, system);
                let no = Span::push(self.scratch, n);
                Ev::Unparsed {
                    name: nm,
                    public: pu,
                    system: sy,
                    notation: no,
                }
            }
            EntityKind::External { public, system, .. } => {
                let pu = public.as_deref().map(|p| Span::push(self.scratch, p));
                let sy = Span::push(self.scratch, system);
                Ev::EntityDecl {
                    name: nm,
                    parameter: pe,
                    value: None,
                    public: pu,
                    system: Some(sy),
                }
            }
            EntityKind::Internal(text) => {
                let va = Span::push(self.scratch, text);
                Ev::EntityDecl {
                    name: nm,
                    parameter: pe,
                    value: Some(va),
                    public: None,
                    system: None,
                }
            }
        };
        map.insert(
            name.clone(),
            Entity {
                name,
                kind,
                external_decl,
            },
        );
        Ok(Some(ev))
    }

    /// \[9\] EntityValue: parameter-entity references (external subset only) and character
    /// references are expanded; general entity references are kept as they are (§4.5).
    pub(super) fn entity_value(&mut self) -> Result<String, Error> {
        const R: &str = "XML 1.0 [9] EntityValue";
        let origin = self.input.top();
        let Some(q) = self.peek()? else {
            return Err(self.syntax(R, "a quoted entity value"));
        };
        self.bump(1);
        let mut out = String::new();
        let max_token = self.input.options().limits.max_token_len;
        loop {
            let top = self.input.top();
            let f = self.input.frame_mut(top);
            if f.pos >= f.text.len() {
                if f.more()? {
                    continue;
                }
                if top > origin {
                    self.input.pop();
                    continue;
                }
                return Err(self.err(
                    ErrorKind::Syntax,
                    R,
                    "the entity ends inside an entity value (missing closing quote)",
                ));
            }
            let rest = f.rest().as_bytes();
            let stop = rest
                .iter()
                .position(|&b| b == b'%' || b == b'&' || (b == q && top == origin))
                .unwrap_or(rest.len());
            let (rest_len, stop_byte) = (rest.len(), rest.get(stop).copied().unwrap_or(0));
            if out.len() + stop > max_token {
                // Reported at the first character past the limit, not at the end of what
                // happens to be read: the same position for every split of the input.
                let mut fits = max_token.saturating_sub(out.len());
                while !f.rest().is_char_boundary(fits) {
                    fits -= 1;
                }
                f.pos += fits;
                return Err(self.input.at_here(Error::limit_exceeded(
                    crate::Limit::MaxTokenLen,
                    max_token as u64,
                    "an entity value is too long",
                )));
            }
            out.push_str(&f.rest()[..stop]);
            f.pos += stop;
            if stop == rest_len {
                continue;
            }
            match stop_byte {
                b if b == q && top == origin => {
                    f.pos += 1;
                    return Ok(out);
                }
                b'%' => {
                    if !self.input.in_external() {
                        return Err(self.err(
                            ErrorKind::Syntax,
                            "WFC: PEs in Internal Subset",
                            "a parameter-entity reference inside an entity value is not allowed in the internal subset",
                        ));
                    }
                    self.pe_reference(FrameKind::ParamInLiteral)?;
                }
                _ => {
                    // '&': a character reference is expanded; an entity reference is kept.
                    let max = self.input.options().limits.max_name_len;
                    let (piece, _, _) =
                        self.input
                            .token("a reference", "XML 1.0 [67] Reference", |c| {
                                c.i = 1;
                                if c.eat(b'#')? {
                                    return crate::attrs::char_ref(c).map(|ch| ch.to_string());
                                }
                                let name = crate::attrs::entity_ref_name(c, max, '&')?;
                                if !c.eat(b';')? {
                                    return Err(c.syntax(format!("expected ';' after '&{name}'")));
                                }
                                Ok(format!("&{name};"))
                            })?;
                    out.push_str(&piece);
                }
            }
        }
    }

    /// \[75\] ExternalID (or, for notations, \[83\] PublicID): returns (public, system).
    pub(super) fn external_id(
        &mut self,
        notation: bool,
    ) -> Result<(Option<String>, Option<String>), Error> {
        const R: &str = "XML 1.0 [75] ExternalID";
        let kw = self.name(R, "SYSTEM, PUBLIC or a quoted value")?;
        match kw.as_str() {
            "SYSTEM" => {
                self.req_sep(R, "after SYSTEM")?;
                let s = self.quoted("XML 1.0 [11] SystemLiteral", "system identifier")?;
                Ok((None, Some(s)))
            }
            "PUBLIC" => {
                self.req_sep(R, "after PUBLIC")?;
                let p = self.quoted("XML 1.0 [12] PubidLiteral", "public identifier")?;
                if let Some((i, bad)) = p.char_indices().find(|&(_, c)| !chars::is_pubid_char(c)) {
                    let top = self.input.top();
                    let at = self.input.frame(top).pos - p.len() - 1 + i;
                    return Err(self.input.err_at(
                        top,
                        at,
                        Error::new(
                            ErrorKind::Syntax,
                            "XML 1.0 [13] PubidChar",
                            format!("character {bad:?} is not allowed in a public identifier"),
                        ),
                    ));
                }
                let p = normalize_pubid(&p);
                let had = self.sep()?;
                let next = self.peek()?;
                if matches!(next, Some(b'"' | b'\'')) {
                    if !had {
                        return Err(
                            self.syntax(R, "white space between the public and system identifiers")
                        );
                    }
                    let s = self.quoted("XML 1.0 [11] SystemLiteral", "system identifier")?;
                    return Ok((Some(p), Some(s)));
                }
                if notation {
                    return Ok((Some(p), None));
                }
                Err(self.syntax(R, "a system identifier after the public identifier"))
            }
            _ => Err(self.err(
                ErrorKind::Syntax,
                R,
                format!("expected SYSTEM, PUBLIC or a quoted value, found '{kw}'"),
            )),
        }
    }
}

/// XML 1.0 §4.6: a declaration of a predefined entity must keep its meaning. `lt` and `amp`
/// "MUST be declared as internal entities whose replacement text is a character reference
/// to the respective character", escaped twice (`<!ENTITY lt "&#38;#60;">`), so that a
/// reference still gives a character rather than markup; `gt`, `apos` and `quot` may also be
/// the character itself.
///
/// §4.6 does not call this a well-formedness constraint, so it is an "error" (§1.2) that a
/// processor may report. wary reports it, as libxml2 and Expat do: a document whose `&lt;`
/// means markup to one parser and a character to another is a way to make parsers disagree.
/// (The W3C suite's only such documents, `pr-xml-*` in japanese/, are of type "error".)
fn check_predefined_decl(name: &str, kind: &EntityKind) -> Result<(), Error> {
    let Some(ch) = predefined(name) else {
        return Ok(());
    };
    let ok = match kind {
        EntityKind::Internal(text) => {
            is_char_ref_to(text, ch) || (!matches!(ch, '<' | '&') && **text == *ch.to_string())
        }
        EntityKind::External { .. } => false,
    };
    if ok {
        return Ok(());
    }
    let form = match ch {
        '<' => "\"&#38;#60;\"",
        '&' => "\"&#38;#38;\"",
        '>' => "\">\" or \"&#62;\"",
        '\'' => "\"'\" or \"&#39;\"",
        _ => "'\"' or '&#34;'",
    };
    let what = match kind {
        EntityKind::Internal(text) => format!("replacement text '{text}'"),
        EntityKind::External { .. } => "an external entity".to_string(),
    };
    Err(Error::new(
        ErrorKind::EntityStructure,
        "XML 1.0 §4.6 Predefined Entities",
        format!(
            "the predefined entity '{name}' is redeclared as {what}, which changes its \
             meaning; declare it as {form} or leave it undeclared"
        ),
    ))
}

/// Whether `text` is exactly one character reference (XML 1.0 \[66\]) to `ch`.
fn is_char_ref_to(text: &str, ch: char) -> bool {
    let Some(body) = text.strip_prefix("&#").and_then(|t| t.strip_suffix(';')) else {
        return false;
    };
    let (digits, radix) = match body.strip_prefix('x') {
        Some(h) => (h, 16),
        None => (body, 10),
    };
    // (from_str_radix alone would also take a sign.)
    !digits.is_empty()
        && digits.bytes().all(|b| (b as char).is_digit(radix))
        && u32::from_str_radix(digits, radix).ok() == Some(ch as u32)
}
