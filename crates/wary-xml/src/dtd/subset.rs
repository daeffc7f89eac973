//! The document type declaration as the reader steps through it: XML 1.0 \[28\]
//! doctypedecl, the internal and external subsets, and parameter-entity references \[69\]
//! between and inside declarations (each through the expansion guard).

use super::cursor::DtdParser;
use super::{normalize_pubid, Entity, EntityKind, Phase};
use crate::budget::EXPANDING;
use crate::cursor::Cur;
use crate::event::{Ev, Span};
use crate::guard::EntityClass;
use crate::input::{Frame, FrameKind};
use crate::namespaces::qname_prefix_len;
use crate::{chars, Error, ErrorKind};
use std::sync::Arc;

const RULE_DOCTYPE: &str = "XML 1.0 [28] doctypedecl";

/// What one step through the DTD ([`DtdParser::step`]) asks the parser to do next: the
/// parser's state machine is the only one that knows what runs after.
#[derive(Debug)]
pub(crate) enum DtdStep {
    /// Report this event (a declaration, or a skipped entity of a default value).
    Event(Ev),
    /// The document type declaration has ended (the external subset too): report
    /// [`Ev::DoctypeEnd`] and go back to the prolog.
    End,
    /// A comment is next: read it as one is read anywhere (the parser's token).
    Comment,
    /// A processing instruction is next, as for [`DtdStep::Comment`].
    Pi,
    /// An attribute-list declaration was read: report the entities its defaults skipped
    /// (VC: Entity Declared), if any, then step again.
    Skipped,
}

impl DtdParser<'_> {
    /// `<!DOCTYPE` at the top of the document frame: its event, and whether an internal
    /// subset follows. Without one, the parser then calls
    /// [`DtdParser::after_internal_subset`] (once it is in the DTD state).
    pub(crate) fn doctype(&mut self) -> Result<(Ev, bool), Error> {
        let max = self.input.options().limits.max_name_len;
        let ((name, public, system, subset), _, _) =
            self.input
                .token("the document type declaration", RULE_DOCTYPE, |c| {
                    c.i = 9;
                    c.req_ws("expected white space after '<!DOCTYPE'")?;
                    let name = c.name(max, "the root element name")?;
                    qname_prefix_len(name, "element")
                        .map_err(|e| crate::cursor::Stop::Fail(e, c.i))?;
                    let had = c.ws();
                    let (mut public, mut system) = (None, None);
                    if c.looking_at("SYSTEM")? || c.looking_at("PUBLIC")? {
                        if !had {
                            return Err(
                                c.syntax("expected white space before the external identifier")
                            );
                        }
                        let (p, s) = external_id(c, false)?;
                        public = p;
                        system = s;
                        c.ws();
                    }
                    let subset = match c.peek()? {
                        b'[' => true,
                        b'>' => false,
                        _ => {
                            return Err(
                                c.syntax("expected '[' or '>' in the document type declaration")
                            )
                        }
                    };
                    c.i += 1;
                    Ok((
                        name.to_string(),
                        public.map(str::to_string),
                        system.map(str::to_string),
                        subset,
                    ))
                })?;
        self.dtd.has_external_subset = system.is_some();
        self.dtd.ext_subset = system.clone();
        self.dtd.phase = Phase::Internal;
        self.scratch.clear();
        let name = Span::push(self.scratch, &name);
        let public = public.map(|p| Span::push(self.scratch, &normalize_pubid(&p)));
        let system = system.map(|s| Span::push(self.scratch, &s));
        let ev = Ev::DoctypeStart {
            name,
            public,
            system,
        };
        Ok((ev, subset))
    }

    /// The internal subset is done: read the external subset if allowed.
    pub(crate) fn after_internal_subset(&mut self) -> Result<(), Error> {
        self.dtd.phase = Phase::End;
        if let Some(sys) = self.dtd.ext_subset.take() {
            let base = self.input.frame(0).base_dir.clone();
            let kind = FrameKind::ExternalSubset;
            match self
                .input
                .open_external(&sys, base.as_deref(), kind, "[dtd]")?
            {
                Some(f) => {
                    self.input.push(f);
                    self.input.external_text_decl()?;
                    self.dtd.phase = Phase::External;
                }
                None => {
                    if self.standalone != Some(true) {
                        self.dtd.ignoring = true;
                    }
                }
            }
        }
        Ok(())
    }

    /// One step inside the DTD: reads declarations up to the next thing the parser must
    /// act on (see [`DtdStep`]).
    pub(crate) fn step(&mut self) -> Result<DtdStep, Error> {
        loop {
            if self.dtd.phase == Phase::End && self.input.len() == 1 {
                return Ok(DtdStep::End);
            }
            self.skip_space_in_frame()?;
            let top = self.input.top();
            if self.input.frame(top).exhausted() {
                match self.input.frame(top).kind {
                    // A padded reference whose declaration ended inside it (only a
                    // validity error, VC: Proper Declaration/PE Nesting).
                    FrameKind::ParamInDecl | FrameKind::ParamInLiteral => {
                        self.input.pop();
                        continue;
                    }
                    FrameKind::ParamDeclSep => {
                        if self.dtd.cond_depth != self.input.frame(top).cond_at_start {
                            return Err(self.input.err_here(
                                ErrorKind::EntityStructure,
                                "XML 1.0 [62] includeSect",
                                "a conditional section is not closed in the parameter entity that opens it",
                            ));
                        }
                        self.input.pop();
                        continue;
                    }
                    FrameKind::ExternalSubset => {
                        if self.dtd.cond_depth > 0 {
                            return Err(self.input.err_here(
                                ErrorKind::Syntax,
                                "XML 1.0 [61] conditionalSect",
                                "the external subset ends inside a conditional section",
                            ));
                        }
                        self.input.pop();
                        self.dtd.phase = Phase::End;
                        continue;
                    }
                    _ => {
                        return Err(self.input.err_here(
                            ErrorKind::Syntax,
                            RULE_DOCTYPE,
                            "the input ends inside the document type declaration (missing ']>')",
                        ))
                    }
                }
            }
            self.input.ensure(10)?;
            self.whole_decl_ahead()?;
            let rest = self.input.frame(top).rest();
            let in_ext = self.input.in_external();
            if rest.starts_with('%') {
                self.pe_between_decls()?;
                continue;
            }
            if rest.starts_with("]]>") && self.dtd.cond_depth > 0 && in_ext {
                self.input.frame_mut(top).pos += 3;
                self.dtd.cond_depth -= 1;
                continue;
            }
            if rest.starts_with(']') && self.input.frame(top).kind == FrameKind::Document {
                self.input
                    .token("the end of the internal subset", RULE_DOCTYPE, |c| {
                        c.i = 1;
                        c.ws();
                        if !c.eat(b'>')? {
                            return Err(c.syntax(
                                "expected '>' after ']' to end the document type declaration",
                            ));
                        }
                        Ok(())
                    })?;
                self.after_internal_subset()?;
                continue;
            }
            // Comments and PIs of the DTD are reported like those elsewhere (canonical XML
            // keeps the PIs).
            if rest.starts_with("<!--") {
                return Ok(DtdStep::Comment);
            }
            if rest.starts_with("<?") {
                return Ok(DtdStep::Pi);
            }
            if rest.starts_with("<!ELEMENT") {
                self.element_decl()?;
                continue;
            }
            if rest.starts_with("<!ATTLIST") {
                self.attlist_decl()?;
                // A default value that refers to an undeclared entity (VC: Entity Declared)
                // is incomplete: say so, as for a reference in a start tag. A declaration
                // that is not processed (§5.1) has no default to speak of.
                if self.dtd.ignoring {
                    self.skipped.clear();
                }
                return Ok(DtdStep::Skipped);
            }
            if rest.starts_with("<!ENTITY") {
                match self.entity_decl()? {
                    Some(ev) => return Ok(DtdStep::Event(ev)),
                    None => continue,
                }
            }
            if rest.starts_with("<!NOTATION") {
                return self.notation_decl().map(DtdStep::Event);
            }
            if rest.starts_with("<![") {
                if !in_ext {
                    return Err(self.input.err_here(
                        ErrorKind::Syntax,
                        "XML 1.0 [61] conditionalSect",
                        "conditional sections are only allowed in the external subset and external parameter entities",
                    ));
                }
                self.conditional_section()?;
                continue;
            }
            let markup = self.input.markup_here()?;
            return Err(self.input.err_here(
                ErrorKind::Syntax,
                "XML 1.0 [29] markupdecl",
                format!(
                    "expected a markup declaration, a comment, a PI or a parameter-entity reference in the DTD, found {markup}"
                ),
            ));
        }
    }

    pub(super) fn skip_space_in_frame(&mut self) -> Result<(), Error> {
        let top = self.input.top();
        let fr = self.input.frame_mut(top);
        loop {
            let n = fr
                .rest()
                .bytes()
                .take_while(|&b| chars::is_space(b))
                .count();
            fr.pos += n;
            if fr.pos < fr.text.len() || !fr.more()? {
                return Ok(());
            }
        }
    }

    /// A parameter-entity reference between declarations (\[28a\] DeclSep).
    pub(super) fn pe_between_decls(&mut self) -> Result<(), Error> {
        let top = self.input.top();
        if self.input.frame(top).kind == FrameKind::Document {
            self.dtd.has_pe_refs = true;
        }
        self.pe_reference(FrameKind::ParamDeclSep)
    }

    /// Reads `%name;` at the top frame's position and pushes the entity's text as a frame of
    /// `kind`: padded with a space on each side inside declarations (§4.4.8), as it is
    /// elsewhere. An undeclared entity, or an external one that is not loaded, makes later
    /// declarations unprocessed in a document that is not standalone (§5.1).
    pub(super) fn pe_reference(&mut self, kind: FrameKind) -> Result<(), Error> {
        let name = self.pe_ref_token()?;
        let Some(ent) = self.dtd.params.get(name.as_str()).cloned() else {
            return self.undeclared_pe(&name);
        };
        self.check_pe_recursion(&ent)?;
        let padded = kind == FrameKind::ParamInDecl;
        let frame = match &ent.kind {
            EntityKind::Internal(text) => {
                self.input.count_expansion(text.len())?;
                let text = if padded {
                    format!(" {text} ")
                } else {
                    text.to_string()
                };
                // The copy is kept until the entity ends (refunded in `pop_frame`).
                self.input.charge(text.len(), EXPANDING)?;
                let mut f = Frame::fixed(text, kind);
                f.charged = f.text.len();
                Some(f)
            }
            EntityKind::External { system, base, .. } => {
                let label = format!("%{}", ent.name);
                self.input
                    .open_external(system, base.as_deref(), kind, &label)?
            }
        };
        let Some(mut f) = frame else {
            if self.standalone != Some(true) {
                self.dtd.ignoring = true;
            }
            return Ok(());
        };
        self.push_pe_frame(&mut f, &ent);
        let external = f.external;
        f.pad_end = padded && external;
        self.input.push(f);
        if external {
            self.input.external_text_decl()?;
            if padded {
                let top = self.input.top();
                let f = self.input.frame_mut(top);
                f.text.insert(f.pos, ' ');
            }
        }
        Ok(())
    }

    pub(super) fn push_pe_frame(&self, f: &mut Frame, ent: &Entity) {
        f.name = Some(ent.name.clone());
        if f.label.is_none() {
            f.label = Some(Arc::from(format!("%{};", ent.name)));
        }
        f.cond_at_start = self.dtd.cond_depth;
    }

    pub(super) fn undeclared_pe(&mut self, name: &str) -> Result<(), Error> {
        if self.dtd.must_declare(self.standalone == Some(true)) {
            let mut e = Error::undeclared_entity(&format!("%{name}"));
            if self.standalone == Some(true) {
                e = Error::new(e.kind(), "WFC: Entity Declared", e.message().to_string());
            }
            return Err(self.input.err_here(
                e.kind(),
                "WFC: Entity Declared",
                e.message().to_string(),
            ));
        }
        // A validity error only (VC: Entity Declared); later declarations may depend on it.
        if self.standalone != Some(true) {
            self.dtd.ignoring = true;
        }
        Ok(())
    }

    /// The expansion guard for a parameter entity: recursion against the parameter entities
    /// being expanded, then the depth.
    pub(super) fn check_pe_recursion(&self, ent: &Entity) -> Result<(), Error> {
        let is_pe = |k: FrameKind| {
            matches!(
                k,
                FrameKind::ParamDeclSep | FrameKind::ParamInDecl | FrameKind::ParamInLiteral
            )
        };
        let open = self
            .input
            .frames()
            .iter()
            .filter(|f| is_pe(f.kind))
            .filter_map(|f| f.name.as_deref());
        self.input
            .guard()
            .enter(&ent.name, EntityClass::Parameter, open, self.input.len())
            .map_err(|e| self.input.at_here(e))
    }

    /// Before a markup declaration of the internal subset (the document's own text, fed):
    /// makes sure the window holds all of it and [`DECL_MARGIN`] bytes more, or the rest of
    /// the input. Its parser (`dtd/`) consumes as it reads, so it could not run again after
    /// stopping for input halfway. Comments, PIs, references and `]>` are tokens, which
    /// can, and are left alone.
    ///
    /// The end is found by a scan that knows only quoted literals (XML 1.0 \[9\], \[10\],
    /// \[11\], \[12\]): any '>' outside them ends a declaration that is well-formed, and one
    /// that is not fails no later than that. A declaration longer than
    /// `Limits::max_token_len` is an error for every split (and every reader), before it
    /// is parsed. Files (the external subset and entities) are read, never fed: nothing
    /// to do there.
    pub(super) fn whole_decl_ahead(&mut self) -> Result<(), Error> {
        let top = self.input.top();
        if self.input.frame(top).kind != FrameKind::Document {
            return Ok(());
        }
        let max = self.input.options().limits.max_token_len;
        loop {
            let rest = self.input.frame(top).rest().as_bytes();
            let is_decl = rest.starts_with(b"<!") && !rest.starts_with(b"<!--");
            if !is_decl {
                return Ok(());
            }
            let have = rest.len();
            let want = match decl_end(rest) {
                Some(end) if have >= end + DECL_MARGIN => return Ok(()),
                Some(end) => end + DECL_MARGIN,
                None if have > max => {
                    let at = self.input.frame(top).pos;
                    return Err(self.input.err_at(top, at, Error::token_too_long(max)));
                }
                // As `Frame::grow`: at least twice as much before scanning again.
                None => (have * 2).max(have + 1).min(max.saturating_add(1)),
            };
            if !self.input.frame_mut(top).ensure(want)? {
                // The entity ends (or fails) first: the parser reports what is wrong.
                return Ok(());
            }
        }
    }

    /// `%name;` at the top frame's position; returns the name.
    pub(super) fn pe_ref_token(&mut self) -> Result<String, Error> {
        let max = self.input.options().limits.max_name_len;
        let (name, _, _) = self.input.token(
            "a parameter-entity reference",
            "XML 1.0 [69] PEReference",
            |c| {
                c.i = 1;
                let name = crate::attrs::entity_ref_name(c, max, '%')?;
                if !c.eat(b';')? {
                    return Err(c.syntax(format!("expected ';' after '%{name}'")));
                }
                Ok(name.to_string())
            },
        )?;
        Ok(name)
    }
}

/// Bytes the internal subset's lookahead keeps beyond a declaration's end: more than any
/// step reads past it (keywords, and the 48-byte excerpt of an error message).
const DECL_MARGIN: usize = 64;

/// Where the markup declaration at the start of `s` ends (just after its '>'), if `s` holds
/// the end: the first '>' outside quoted literals.
fn decl_end(s: &[u8]) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in s.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return Some(i + 1),
            None => {}
        }
    }
    None
}

/// \[75\] ExternalID inside one token (the DOCTYPE), after optional white space.
fn external_id<'a>(
    c: &mut Cur<'a>,
    notation: bool,
) -> crate::cursor::PResult<(Option<&'a str>, Option<&'a str>)> {
    let _ = notation;
    if c.looking_at("SYSTEM")? {
        c.i += 6;
        c.req_ws("expected white space after SYSTEM")?;
        let s = c.quoted("system identifier")?;
        return Ok((None, Some(s)));
    }
    c.expect("PUBLIC", "expected SYSTEM or PUBLIC")?;
    c.req_ws("expected white space after PUBLIC")?;
    let at = c.i;
    let p = c.quoted("public identifier")?;
    if let Some(bad) = p.chars().find(|&ch| !chars::is_pubid_char(ch)) {
        c.i = at;
        return Err(c.fail(
            ErrorKind::Syntax,
            "XML 1.0 [13] PubidChar",
            format!("character {bad:?} is not allowed in a public identifier"),
        ));
    }
    c.req_ws("expected white space between the public and system identifiers")?;
    let s = c.quoted("system identifier")?;
    Ok((Some(p), Some(s)))
}

#[cfg(test)]
mod tests {
    use super::decl_end;
    use crate::test_rows::{check, Expect};
    use crate::ErrorKind::{self, *};

    #[test]
    fn decl_end_skips_quoted_gt() {
        assert_eq!(decl_end(b"<!ENTITY a 'x>y'>rest"), Some(17));
        assert_eq!(decl_end(b"<!ENTITY a \"x'>y\">"), Some(18));
        assert_eq!(decl_end(b"<!ENTITY a 'x>"), None);
        assert_eq!(decl_end(b"<!ELEMENT a EMPTY"), None);
    }

    fn e(kind: ErrorKind, rule: &'static str, line: u64, column: u64) -> Option<Expect> {
        Some((kind, rule, line, column))
    }

    /// The DTD parser's errors, each at the byte at fault (line:column in the document).
    #[test]
    fn dtd_errors_and_their_positions() {
        check(&[
            ("<!DOCTYPE r [\n<!ELEMENT r ANY>\n]><r/>", None),
            ("<!DOCTYPE r [\n<!ELEMENT r ANY>\n]\n><r/>", None),
            // A parameter entity nobody declared, in a document with no external subset
            // but with a reference: only a validity error (VC: Entity Declared).
            ("<!DOCTYPE r [\n\n    %undeclared;\n]><r/>", None),
            (
                "<!DOCTYPE r [\n<!ELEMENT r ANY>\n<!ATTLIST r a CDATA>\n]><r/>",
                e(Syntax, "XML 1.0 [52] AttlistDecl", 3, 20),
            ),
            (
                "<!DOCTYPE r [\n<!ELEMENT r (a,|b)>\n]><r/>",
                e(Syntax, "XML 1.0 [47] children", 2, 16),
            ),
            (
                "<!DOCTYPE r [\n<!ELEMENT r (#PCDATA|a)>\n]><r/>",
                e(Syntax, "XML 1.0 [51] Mixed", 2, 24),
            ),
            (
                "<!DOCTYPE r [\n  <!ENTITY a \"x\"\n]><r/>",
                e(Syntax, "XML 1.0 [70] EntityDecl", 3, 1),
            ),
            (
                "<!DOCTYPE r [\n<!ENTITY % p \"<!ELEMENT r ANY>\">\n<!ELEMENT x %p;>\n]><r/>",
                e(Syntax, "WFC: PEs in Internal Subset", 3, 13),
            ),
            (
                "<!DOCTYPE r [\n<!ENTITY a SYSTEM>\n]><r/>",
                e(Syntax, "XML 1.0 [75] ExternalID", 2, 18),
            ),
            (
                "<!DOCTYPE r [\n<!ENTITY a PUBLIC \"a{b\" \"c\">\n]><r/>",
                e(Syntax, "XML 1.0 [13] PubidChar", 2, 21),
            ),
            (
                "<!DOCTYPE r [\n<!NOTATION n>\n]><r/>",
                e(Syntax, "XML 1.0 [82] NotationDecl", 2, 13),
            ),
            (
                "<!DOCTYPE r [\n<![INCLUDE[ <!ELEMENT r ANY> ]]>\n]><r/>",
                e(Syntax, "XML 1.0 [61] conditionalSect", 2, 1),
            ),
            (
                "<!DOCTYPE r [\n<!ELEMENT r ANY>\n<!FOO>\n]><r/>",
                e(Syntax, "XML 1.0 [29] markupdecl", 3, 1),
            ),
            (
                "<!DOCTYPE r [\n<!ENTITY lt \"<\">\n]><r/>",
                e(EntityStructure, "XML 1.0 §4.6 Predefined Entities", 2, 10),
            ),
            (
                "<!DOCTYPE r [\n<!ENTITY a:b \"x\">\n]><r/>",
                e(Namespace, "Namespaces in XML 1.0 §7", 2, 13),
            ),
            (
                "<!DOCTYPE r [\n<!ENTITY e \"&#0;\">\n]><r/>",
                e(InvalidChar, "WFC: Legal Character", 2, 15),
            ),
            (
                "<!DOCTYPE r [\n<!ATTLIST r a (x|) \"x\">\n]><r/>",
                e(Syntax, "XML 1.0 [59] Enumeration", 2, 18),
            ),
            (
                "<!DOCTYPE r [\n<!ATTLIST r a CDATA \"<\">\n]><r/>",
                e(Syntax, "WFC: No < in Attribute Values", 2, 22),
            ),
            (
                "<!DOCTYPE r [\n<!ENTITY e \"a\" \"b\">\n]><r/>",
                e(Syntax, "XML 1.0 [70] EntityDecl", 2, 16),
            ),
            (
                "<!DOCTYPE r [\n<!ENTITY e SYSTEM \"x\" NDATA>\n]><r/>",
                e(Syntax, "XML 1.0 [76] NDataDecl", 2, 28),
            ),
            // NDATA is for general entities only: a parameter entity ends before it.
            (
                "<!DOCTYPE r [\n<!ENTITY % e \"x\" NDATA n>\n]><r/>",
                e(Syntax, "XML 1.0 [70] EntityDecl", 2, 18),
            ),
            (
                "<!DOCTYPE r [\n<!ATTLIST r a NOTATION (n) #FIXED>\n]><r/>",
                e(Syntax, "XML 1.0 [60] DefaultDecl", 2, 34),
            ),
            (
                "<!DOCTYPE r [\n<!ELEMENT r EMPTY>\n<!-- -- -->\n]><r/>",
                e(Syntax, "XML 1.0 [15] Comment", 3, 6),
            ),
            (
                "<!DOCTYPE r [\n<?xml version=\"1.0\"?>\n]><r/>",
                e(Syntax, "XML 1.0 [16] PI", 2, 3),
            ),
        ]);
    }
}
