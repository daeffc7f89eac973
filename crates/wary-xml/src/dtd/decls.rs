//! The markup declarations, XML 1.0 \[45\]-\[84\]: element, attribute-list, entity and notation
//! declarations, and conditional sections.

use super::cursor::DtdParser;
use super::{AttDef, AttType};
use crate::attrs::{collapse_spaces, normalize_attr};
use crate::budget::DECL_OVERHEAD;
use crate::event::{Ev, Span};
use crate::namespaces::qname_prefix_len;
use crate::{Error, ErrorKind};
use std::sync::Arc;

/// What the memory budget calls the declarations the DTD keeps.
const DTD: &str = "the declarations of the DTD";

impl DtdParser<'_> {
    /// \[45\] elementdecl.
    pub(super) fn element_decl(&mut self) -> Result<(), Error> {
        const R: &str = "XML 1.0 [45] elementdecl";
        self.bump(9);
        self.req_sep(R, "after '<!ELEMENT'")?;
        let name = self.name(R, "an element name")?;
        qname_prefix_len(&name, "element")
            .map_err(|e| self.err(e.kind(), e.rule(), e.message().to_string()))?;
        self.req_sep(R, "after the element name")?;
        if self.looking_at("EMPTY")? {
            self.bump(5);
        } else if self.looking_at("ANY")? {
            self.bump(3);
        } else if self.peek()? == Some(b'(') {
            self.content_model()?;
        } else {
            return Err(self.syntax(R, "EMPTY, ANY or '(' (a content model)"));
        }
        self.end(R)
    }

    /// \[46\]-\[51\] a content model, after `(` is next; iterative, with an explicit stack.
    pub(super) fn content_model(&mut self) -> Result<(), Error> {
        const R: &str = "XML 1.0 [47] children";
        self.bump(1);
        self.sep()?;
        if self.looking_at("#PCDATA")? {
            // [51] Mixed
            const M: &str = "XML 1.0 [51] Mixed";
            self.bump(7);
            let mut names = 0;
            loop {
                self.sep()?;
                match self.peek()? {
                    Some(b')') => {
                        self.bump(1);
                        if names > 0 {
                            if self.looking_at("*")? {
                                self.bump(1);
                            } else {
                                return Err(self.syntax(
                                    M,
                                    "'*' after a mixed content model with element names",
                                ));
                            }
                        } else if self.looking_at("*")? {
                            self.bump(1);
                        }
                        return Ok(());
                    }
                    Some(b'|') => {
                        self.bump(1);
                        self.sep()?;
                        let name = self.name(M, "an element name")?;
                        self.check_qname(&name)?;
                        names += 1;
                    }
                    _ => return Err(self.syntax(M, "'|' or ')' in a mixed content model")),
                }
            }
        }
        // [47] children: groups of choices ('|') or sequences (','), never both.
        let mut groups: Vec<u8> = vec![0];
        'cp: loop {
            // Expect a content particle.
            self.sep()?;
            match self.peek()? {
                Some(b'(') => {
                    if groups.len() > self.input.options().limits.max_depth {
                        return Err(self.input.at_here(Error::limit_exceeded(
                            crate::Limit::MaxDepth,
                            self.input.options().limits.max_depth as u64,
                            "content model groups are nested too deeply",
                        )));
                    }
                    self.bump(1);
                    groups.push(0);
                    continue 'cp;
                }
                Some(b'#') => {
                    return Err(self.syntax(
                        R,
                        "an element name (#PCDATA is only allowed first in a mixed model)",
                    ))
                }
                _ => {
                    let name = self.name(R, "an element name or '('")?;
                    self.check_qname(&name)?;
                    self.occurrence()?;
                }
            }
            // After a particle: a separator or the end of the group.
            loop {
                self.sep()?;
                match self.peek()? {
                    Some(s @ (b',' | b'|')) => {
                        let Some(g) = groups.last_mut() else {
                            break 'cp;
                        };
                        if *g != 0 && *g != s {
                            return Err(self.err(
                                ErrorKind::Syntax,
                                R,
                                "a content model group mixes ',' and '|'; use nested groups",
                            ));
                        }
                        *g = s;
                        self.bump(1);
                        continue 'cp;
                    }
                    Some(b')') => {
                        self.bump(1);
                        groups.pop();
                        self.occurrence()?;
                        if groups.is_empty() {
                            return Ok(());
                        }
                    }
                    _ => return Err(self.syntax(R, "',', '|' or ')' in a content model")),
                }
            }
        }
        Ok(())
    }

    /// Namespaces in XML 1.0 §7: an element type named in a content model is a QName, like
    /// the element types of tags and declarations.
    fn check_qname(&mut self, name: &str) -> Result<(), Error> {
        qname_prefix_len(name, "element")
            .map(|_| ())
            .map_err(|e| self.err(e.kind(), e.rule(), e.message().to_string()))
    }

    /// An optional `?`, `*` or `+` right after a particle (no white space before it).
    pub(super) fn occurrence(&mut self) -> Result<(), Error> {
        let top = self.input.top();
        self.input.frame_mut(top).ensure(1)?;
        if let Some(b'?' | b'*' | b'+') = self.input.frame(top).rest().as_bytes().first() {
            self.input.frame_mut(top).pos += 1;
        }
        Ok(())
    }

    /// \[52\] AttlistDecl.
    pub(super) fn attlist_decl(&mut self) -> Result<(), Error> {
        const R: &str = "XML 1.0 [52] AttlistDecl";
        self.bump(9);
        self.req_sep(R, "after '<!ATTLIST'")?;
        let elem = self.name(R, "an element name")?;
        qname_prefix_len(&elem, "element")
            .map_err(|e| self.err(e.kind(), e.rule(), e.message().to_string()))?;
        loop {
            let had = self.sep()?;
            if self.peek()? == Some(b'>') {
                self.bump(1);
                return Ok(());
            }
            if !had {
                return Err(self.syntax(R, "white space or '>'"));
            }
            let name = self.name(R, "an attribute name or '>'")?;
            qname_prefix_len(&name, "attribute")
                .map_err(|e| self.err(e.kind(), e.rule(), e.message().to_string()))?;
            self.req_sep(R, "after the attribute name")?;
            let ty = self.att_type()?;
            self.req_sep(R, "before the default declaration")?;
            let default = self.default_decl(ty)?;
            if !self.dtd.ignoring {
                // Kept until the end of the document: counted by the memory budget.
                let new_elem = !self.dtd.attlists.contains_key(elem.as_str());
                let kept = name.len()
                    + default.as_deref().map_or(0, str::len)
                    + DECL_OVERHEAD
                    + if new_elem {
                        elem.len() + DECL_OVERHEAD
                    } else {
                        0
                    };
                let atts = self
                    .dtd
                    .attlists
                    .entry(Arc::from(elem.as_str()))
                    .or_default();
                let name: Arc<str> = Arc::from(name);
                if atts.declare(AttDef { name, ty, default }) {
                    self.input.charge(kept, DTD)?;
                }
            }
        }
    }

    /// \[54\] AttType.
    pub(super) fn att_type(&mut self) -> Result<AttType, Error> {
        const R: &str = "XML 1.0 [54] AttType";
        if self.peek()? == Some(b'(') {
            self.bump(1);
            self.name_list(true)?;
            return Ok(AttType::Tokenized);
        }
        let kw = self.name(R, "an attribute type")?;
        match kw.as_str() {
            "CDATA" => Ok(AttType::Cdata),
            "ID" | "IDREF" | "IDREFS" | "ENTITY" | "ENTITIES" | "NMTOKEN" | "NMTOKENS" => {
                Ok(AttType::Tokenized)
            }
            "NOTATION" => {
                self.req_sep("XML 1.0 [58] NotationType", "after NOTATION")?;
                if self.peek()? != Some(b'(') {
                    return Err(self.syntax("XML 1.0 [58] NotationType", "'('"));
                }
                self.bump(1);
                self.name_list(false)?;
                Ok(AttType::Tokenized)
            }
            _ => Err(self.err(
                ErrorKind::Syntax,
                R,
                format!("'{kw}' is not an attribute type"),
            )),
        }
    }

    /// The rest of `( a | b | c )` after `(`: Nmtokens for enumerations, Names for NOTATION.
    pub(super) fn name_list(&mut self, nmtokens: bool) -> Result<(), Error> {
        const R: &str = "XML 1.0 [59] Enumeration";
        loop {
            self.sep()?;
            if nmtokens {
                self.nmtoken(R)?;
            } else {
                let n = self.name(R, "a notation name")?;
                if n.contains(':') {
                    return Err(self.err(
                        ErrorKind::Namespace,
                        "Namespaces in XML 1.0 §7",
                        format!("notation name '{n}' contains a colon"),
                    ));
                }
            }
            self.sep()?;
            match self.peek()? {
                Some(b'|') => self.bump(1),
                Some(b')') => {
                    self.bump(1);
                    return Ok(());
                }
                _ => return Err(self.syntax(R, "'|' or ')'")),
            }
        }
    }

    /// \[60\] DefaultDecl; returns the normalized default value, if any.
    pub(super) fn default_decl(&mut self, ty: AttType) -> Result<Option<Arc<str>>, Error> {
        const R: &str = "XML 1.0 [60] DefaultDecl";
        if self.peek()? == Some(b'#') {
            self.bump(1);
            let kw = self.name(R, "REQUIRED, IMPLIED or FIXED")?;
            match kw.as_str() {
                "REQUIRED" | "IMPLIED" => return Ok(None),
                "FIXED" => self.req_sep(R, "after #FIXED")?,
                _ => {
                    return Err(self.err(
                        ErrorKind::Syntax,
                        R,
                        format!("'#{kw}' is not a default declaration"),
                    ))
                }
            }
        }
        let raw = self.quoted("XML 1.0 [10] AttValue", "default value")?;
        // Where the literal's content starts, taken after reading it: reading may have
        // dropped consumed text from the window (and popped finished entities).
        let top = self.input.top();
        let at = self.input.frame(top).pos - raw.len() - 1;
        let mut out = String::new();
        let standalone = self.standalone == Some(true);
        let limits = &self.input.options().limits;
        let read = self.input.input_read();
        let r = normalize_attr(
            &raw,
            self.dtd,
            standalone,
            (&mut out, &mut *self.skipped),
            (self.input.guard_mut(), read),
            limits,
        );
        if let Err((e, k)) = r {
            return Err(self.input.err_at(top, at + k, e));
        }
        if ty != AttType::Cdata {
            collapse_spaces(&mut out, 0);
        }
        Ok(Some(Arc::from(out)))
    }

    /// \[82\] NotationDecl.
    pub(super) fn notation_decl(&mut self) -> Result<Ev, Error> {
        const R: &str = "XML 1.0 [82] NotationDecl";
        self.bump(10);
        self.req_sep(R, "after '<!NOTATION'")?;
        let name = self.name(R, "a notation name")?;
        if name.contains(':') {
            return Err(self.err(
                ErrorKind::Namespace,
                "Namespaces in XML 1.0 §7",
                format!("notation name '{name}' contains a colon"),
            ));
        }
        self.req_sep(R, "after the notation name")?;
        let (public, system) = self.external_id(true)?;
        self.end(R)?;
        // The reader keeps nothing of a notation, but the canonical form must (to write its
        // DOCTYPE): counted as kept, so that a consumer's memory stays bounded too.
        let kept = name.len()
            + public.as_ref().map_or(0, String::len)
            + system.as_ref().map_or(0, String::len)
            + DECL_OVERHEAD;
        self.input.charge(kept, DTD)?;
        self.scratch.clear();
        let name = Span::push(self.scratch, &name);
        let public = public.map(|p| Span::push(self.scratch, &p));
        let system = system.map(|s| Span::push(self.scratch, &s));
        Ok(Ev::Notation {
            name,
            public,
            system,
        })
    }

    /// \[61\] conditionalSect, at `<![`.
    pub(super) fn conditional_section(&mut self) -> Result<(), Error> {
        const R: &str = "XML 1.0 [61] conditionalSect";
        self.bump(3);
        self.sep()?;
        let kw = self.name(R, "INCLUDE or IGNORE")?;
        self.sep()?;
        if self.peek()? != Some(b'[') {
            return Err(self.syntax(R, "'['"));
        }
        self.bump(1);
        match kw.as_str() {
            "INCLUDE" => {
                self.dtd.cond_depth += 1;
                Ok(())
            }
            "IGNORE" => self.ignore_section(),
            _ => Err(self.err(
                ErrorKind::Syntax,
                R,
                format!("expected INCLUDE or IGNORE, found '{kw}'"),
            )),
        }
    }

    /// \[63\]-\[65\]: skips an IGNORE section, counting nested `<![ ... ]]>`.
    pub(super) fn ignore_section(&mut self) -> Result<(), Error> {
        let top = self.input.top();
        let mut depth = 1usize;
        loop {
            let f = self.input.frame_mut(top);
            let rest = f.rest().as_bytes();
            let mut i = 0;
            while i + 2 < rest.len() {
                if rest[i] == b'<' && rest[i + 1] == b'!' && rest[i + 2] == b'[' {
                    depth += 1;
                    i += 3;
                } else if rest[i] == b']' && rest[i + 1] == b']' && rest[i + 2] == b'>' {
                    depth -= 1;
                    i += 3;
                    if depth == 0 {
                        f.pos += i;
                        return Ok(());
                    }
                } else {
                    i += 1;
                }
            }
            f.pos += i;
            if !f.more()? {
                return Err(self.err(
                    ErrorKind::Syntax,
                    "XML 1.0 [63] ignoreSect",
                    "the entity ends inside an IGNORE section",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Event, Options, Reader};

    /// A declaration as reported: name, parameter, value, public id, system id, notation,
    /// and the offset the reader is at after it (the end of the declaration).
    type Decl = (
        String,
        bool,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        u64,
    );

    fn decls(doc: &str) -> Vec<Decl> {
        let mut r = Reader::new(doc.as_bytes(), Options::default());
        let mut out = Vec::new();
        loop {
            let got = match r.next_event() {
                Ok(Some(Event::EntityDecl(d))) => (
                    d.name.to_string(),
                    d.parameter,
                    d.value.map(str::to_string),
                    d.public_id.map(str::to_string),
                    d.system_id.map(str::to_string),
                    None,
                ),
                Ok(Some(Event::UnparsedEntity(u))) => (
                    u.name.to_string(),
                    false,
                    None,
                    u.public_id.map(str::to_string),
                    Some(u.system_id.to_string()),
                    Some(u.notation.to_string()),
                ),
                Ok(Some(_)) => continue,
                Ok(None) => return out,
                Err(e) => panic!("{doc}: {e}"),
            };
            let p = r.position().offset;
            out.push((got.0, got.1, got.2, got.3, got.4, got.5, p));
        }
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    // XML 1.0 [70] EntityDecl: every declaration that binds is reported, in document order,
    // used or not, with what it declares and where it ends.
    macro_rules! entity_decl_cases {
        ($($name:ident: $doc:expr => [$($d:expr),*];)*) => {$(
            #[test]
            fn $name() {
                let want: Vec<Decl> = vec![$($d),*];
                assert_eq!(decls($doc), want, "{}", $doc);
            }
        )*};
    }

    entity_decl_cases! {
        unused_internal: "<!DOCTYPE x [<!ENTITY a \"b\">]><x/>"
            => [("a".into(), false, s("b"), None, None, None, 28)];
        internal_keeps_general_refs_expands_char_refs:
            "<!DOCTYPE x [<!ENTITY a \"&#65;&b;\"><!ENTITY b \"\">]><x/>"
            => [("a".into(), false, s("A&b;"), None, None, None, 35),
                ("b".into(), false, s(""), None, None, None, 49)];
        external_system: "<!DOCTYPE x [<!ENTITY e SYSTEM \"e.xml\">]><x/>"
            => [("e".into(), false, None, None, s("e.xml"), None, 39)];
        external_public_normalized:
            "<!DOCTYPE x [<!ENTITY e PUBLIC \" -//A//B  C \" \"e.xml\">]><x/>"
            => [("e".into(), false, None, s("-//A//B C"), s("e.xml"), None, 54)];
        parameter_internal: "<!DOCTYPE x [<!ENTITY % p \"<!--c-->\">]><x/>"
            => [("p".into(), true, s("<!--c-->"), None, None, None, 37)];
        parameter_external: "<!DOCTYPE x [<!ENTITY % p SYSTEM \"p.dtd\">]><x/>"
            => [("p".into(), true, None, None, s("p.dtd"), None, 41)];
        unparsed_keeps_public_id:
            "<!DOCTYPE x [<!NOTATION n SYSTEM \"n\"><!ENTITY u PUBLIC \"-//U\" \"u.bin\" NDATA n>]><x/>"
            => [("u".into(), false, None, s("-//U"), s("u.bin"), s("n"), 78)];
        first_binds_only: "<!DOCTYPE x [<!ENTITY a \"1\"><!ENTITY a \"2\">]><x/>"
            => [("a".into(), false, s("1"), None, None, None, 28)];
        general_and_parameter_are_two_names:
            "<!DOCTYPE x [<!ENTITY a \"1\"><!ENTITY % a \"2\">]><x/>"
            => [("a".into(), false, s("1"), None, None, None, 28),
                ("a".into(), true, s("2"), None, None, None, 45)];
        // §5.1: after a reference to a parameter entity that was not read, later
        // declarations are not processed; the unread one itself was reported.
        not_processed_after_unread_pe:
            "<!DOCTYPE x [<!ENTITY % p SYSTEM \"p.dtd\">%p;<!ENTITY a \"1\">]><x/>"
            => [("p".into(), true, None, None, s("p.dtd"), None, 41)];
        no_dtd: "<x>&amp;</x>" => [];
    }

    /// Generated: n declarations of every kind, none used, give n events in order (the
    /// event is made per declaration, not only for the first, the used or the unparsed).
    #[test]
    fn every_declaration_of_a_large_generated_dtd_is_reported() {
        let n = 3000;
        let mut doc = String::from("<!DOCTYPE x [<!NOTATION n SYSTEM \"n\">");
        for i in 0..n {
            doc.push_str(&match i % 4 {
                0 => format!("<!ENTITY g{i} \"v{i}\">"),
                1 => format!("<!ENTITY % p{i} \"v{i}\">"),
                2 => format!("<!ENTITY g{i} PUBLIC \"-//{i}\" \"s{i}\">"),
                _ => format!("<!ENTITY g{i} SYSTEM \"s{i}\" NDATA n>"),
            });
        }
        doc.push_str("]><x/>");
        let got = decls(&doc);
        assert_eq!(got.len(), n);
        for (i, d) in got.iter().enumerate() {
            let (name, pe) = match i % 4 {
                1 => (format!("p{i}"), true),
                _ => (format!("g{i}"), false),
            };
            assert_eq!((&d.0, d.1), (&name, pe));
            assert_eq!(d.2.is_some(), i % 4 < 2, "{d:?}");
            assert_eq!(d.3.is_some(), i % 4 == 2, "{d:?}");
            assert_eq!(d.5.is_some(), i % 4 == 3, "{d:?}");
            assert!(doc[..d.6 as usize].ends_with('>'), "{d:?}");
        }
    }

    /// A skipped reference to a declared external entity tells what was not loaded.
    #[test]
    fn skipped_external_entity_has_its_identifiers() {
        let doc = "<!DOCTYPE x [<!ENTITY e PUBLIC \"-//E\" \"e.xml\"><!ENTITY s SYSTEM \"s.xml\">\
                   <!ENTITY i \"i\">]><x>&e;&s;&i;</x>";
        let mut r = Reader::new(doc.as_bytes(), Options::default());
        let mut got = Vec::new();
        loop {
            let name = match r.next_event() {
                Ok(Some(Event::SkippedEntity(n))) => n.to_string(),
                Ok(Some(_)) => continue,
                Ok(None) => break,
                Err(e) => panic!("{e}"),
            };
            let ids = r
                .entity_external_id(&name)
                .map(|(p, s)| (p.map(str::to_string), s.to_string()));
            got.push((name, ids));
        }
        assert_eq!(
            got,
            vec![
                ("e".to_string(), Some((s("-//E"), "e.xml".to_string()))),
                ("s".to_string(), Some((None, "s.xml".to_string()))),
            ]
        );
        assert_eq!(r.entity_external_id("i"), None);
        assert_eq!(r.entity_external_id("nope"), None);
    }
}
