//! The document type declaration: XML 1.0 \[28\]-\[31\] and the markup declarations \[45\]-\[84\],
//! with parameter entities and conditional sections, and the store of what they declare.
//!
//! Declarations are read through a small cursor over the frame stack (`d_*` methods), so a
//! declaration in the external subset may continue through parameter-entity references
//! (whose replacement text is padded with a space on each side, XML 1.0 §4.4.8). In the
//! internal subset, parameter-entity references may only stand between declarations
//! (WFC: PEs in Internal Subset).

use crate::chars;
use crate::cursor::Cur;
use crate::input::{Frame, FrameKind};
use crate::reader::{push_span, Ev, Reader, State};
use crate::tags::{qname_prefix_len, recursion, undeclared};

mod cursor;
mod decls;
use crate::{Error, ErrorKind};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// A declared entity.
#[derive(Clone, Debug)]
pub(crate) struct Entity {
    pub name: Arc<str>,
    pub kind: EntityKind,
    /// Declared in the external subset or inside a parameter entity (WFC: Entity Declared
    /// forbids standalone documents from relying on such declarations).
    pub external_decl: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum EntityKind {
    /// An internal entity and its replacement text.
    Internal(Arc<str>),
    /// An external entity; `notation` is set for unparsed entities.
    External {
        /// The public identifier, kept to be reported with the declaration and with a
        /// reference that is skipped (XML 1.0 \[75\] ExternalID).
        public: Option<String>,
        system: String,
        base: Option<PathBuf>,
        notation: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AttType {
    Cdata,
    /// Any tokenized or enumerated type: values are space-collapsed (§3.3.3).
    Tokenized,
}

#[derive(Debug)]
pub(crate) struct AttDef {
    pub name: Arc<str>,
    pub ty: AttType,
    /// The normalized default value (`None` for #REQUIRED and #IMPLIED).
    pub default: Option<Arc<str>>,
}

impl AttDef {
    pub fn default_value(&self) -> Option<&str> {
        self.default.as_deref()
    }
}

#[derive(Debug, Default)]
pub(crate) struct ElementAtts {
    pub defs: Vec<AttDef>,
    index: HashMap<Arc<str>, usize>,
    /// Where in `defs` the attributes with a default value are: only these are looked at
    /// for each start tag (a long list of #IMPLIED attributes walked on every tag made
    /// 100,000 of them quadratic, issue 10).
    defaulted: Vec<usize>,
}

impl ElementAtts {
    /// The declared attributes that have a default value, in declaration order.
    pub fn defaulted(&self) -> impl Iterator<Item = &AttDef> {
        self.defaulted.iter().filter_map(|&i| self.defs.get(i))
    }

    /// Adds a declaration unless the attribute is declared already (the first binds,
    /// XML 1.0 §3.3); returns whether it was added.
    pub fn declare(&mut self, def: AttDef) -> bool {
        if self.index.contains_key(&def.name) {
            return false;
        }
        let i = self.defs.len();
        if def.default.is_some() {
            self.defaulted.push(i);
        }
        self.index.insert(def.name.clone(), i);
        self.defs.push(def);
        true
    }

    pub fn get(&self, name: &str) -> Option<&AttDef> {
        self.index.get(name).and_then(|&i| self.defs.get(i))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Phase {
    #[default]
    Internal,
    External,
    End,
}

/// What the DTD declared, and what the reader needs to know about it.
#[derive(Default)]
pub(crate) struct Dtd {
    general: HashMap<Arc<str>, Entity>,
    params: HashMap<Arc<str>, Entity>,
    attlists: HashMap<Arc<str>, ElementAtts>,
    /// The document has an external subset.
    pub has_external_subset: bool,
    /// The internal subset contains a parameter-entity reference.
    pub has_pe_refs: bool,
    /// An external parameter entity (or the subset) was not read, in a document that is not
    /// standalone: later entity and attribute-list declarations are not processed (§5.1).
    pub ignoring: bool,
    phase: Phase,
    ext_subset: Option<String>,
    /// Open INCLUDE sections.
    cond_depth: usize,
}

impl Dtd {
    pub fn general(&self, name: &str) -> Option<&Entity> {
        self.general.get(name)
    }

    /// `(public, system)` of the general entity `name` when it is external.
    pub fn external_id(&self, name: &str) -> Option<(Option<&str>, &str)> {
        match &self.general.get(name)?.kind {
            EntityKind::External { public, system, .. } => Some((public.as_deref(), system)),
            EntityKind::Internal(_) => None,
        }
    }

    /// Whether no attribute-list declaration was read (then no tag has defaults).
    #[inline]
    pub fn attlists_empty(&self) -> bool {
        self.attlists.is_empty()
    }

    pub fn attlist(&self, elem: &str) -> Option<&ElementAtts> {
        if self.attlists.is_empty() {
            return None;
        }
        self.attlists.get(elem)
    }

    /// Whether WFC: Entity Declared applies (rather than only the validity constraint).
    pub fn must_declare(&self, standalone: bool) -> bool {
        standalone || (!self.has_external_subset && !self.has_pe_refs)
    }
}

const RULE_DOCTYPE: &str = "XML 1.0 [28] doctypedecl";

impl<'r> Reader<'r> {
    /// `<!DOCTYPE` at the top of the document frame.
    pub(crate) fn doctype(&mut self) -> Result<Ev, Error> {
        let max = self.options.limits.max_name_len;
        let ((name, public, system, subset), _, _) =
            self.token("the document type declaration", RULE_DOCTYPE, |c, _| {
                c.i = 9;
                c.req_ws("expected white space after '<!DOCTYPE'")?;
                let name = c.name(max, "the root element name")?;
                qname_prefix_len(name, "element").map_err(|e| crate::cursor::Stop::Fail(e, c.i))?;
                let had = c.ws();
                let (mut public, mut system) = (None, None);
                if c.looking_at("SYSTEM")? || c.looking_at("PUBLIC")? {
                    if !had {
                        return Err(c.syntax("expected white space before the external identifier"));
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
                        return Err(c.syntax("expected '[' or '>' in the document type declaration"))
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
        self.state = State::Dtd;
        if !subset {
            self.after_internal_subset()?;
        }
        self.scratch.clear();
        let name = push_span(&mut self.scratch, &name);
        let public = public.map(|p| push_span(&mut self.scratch, &normalize_pubid(&p)));
        let system = system.map(|s| push_span(&mut self.scratch, &s));
        Ok(Ev::DoctypeStart {
            name,
            public,
            system,
        })
    }

    /// The internal subset is done: read the external subset if allowed.
    pub(super) fn after_internal_subset(&mut self) -> Result<(), Error> {
        self.dtd.phase = Phase::End;
        if let Some(sys) = self.dtd.ext_subset.take() {
            let base = self.frames[0].base_dir.clone();
            match self.open_external(&sys, base.as_deref(), FrameKind::ExternalSubset, "[dtd]")? {
                Some(f) => {
                    self.frames.push(f);
                    self.external_text_decl()?;
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

    /// One step inside the DTD.
    pub(crate) fn dtd_step(&mut self) -> Result<Option<Ev>, Error> {
        loop {
            if self.dtd.phase == Phase::End && self.frames.len() == 1 {
                self.state = State::Prolog;
                return Ok(Some(Ev::DoctypeEnd));
            }
            self.skip_space_in_frame()?;
            let top = self.top();
            if self.frames[top].exhausted() {
                match self.frames[top].kind {
                    // A padded reference whose declaration ended inside it (only a
                    // validity error, VC: Proper Declaration/PE Nesting).
                    FrameKind::ParamInDecl | FrameKind::ParamInLiteral => {
                        self.pop_frame();
                        continue;
                    }
                    FrameKind::ParamDeclSep => {
                        if self.dtd.cond_depth != self.frames[top].cond_at_start {
                            return Err(self.err_here(
                                ErrorKind::EntityStructure,
                                "XML 1.0 [62] includeSect",
                                "a conditional section is not closed in the parameter entity that opens it",
                            ));
                        }
                        self.pop_frame();
                        continue;
                    }
                    FrameKind::ExternalSubset => {
                        if self.dtd.cond_depth > 0 {
                            return Err(self.err_here(
                                ErrorKind::Syntax,
                                "XML 1.0 [61] conditionalSect",
                                "the external subset ends inside a conditional section",
                            ));
                        }
                        self.pop_frame();
                        self.dtd.phase = Phase::End;
                        continue;
                    }
                    _ => {
                        return Err(self.err_here(
                            ErrorKind::Syntax,
                            RULE_DOCTYPE,
                            "the input ends inside the document type declaration (missing ']>')",
                        ))
                    }
                }
            }
            self.ensure(10)?;
            let rest = self.frames[top].rest();
            let in_ext = self.in_external();
            if rest.starts_with('%') {
                self.pe_between_decls()?;
                continue;
            }
            if rest.starts_with("]]>") && self.dtd.cond_depth > 0 && in_ext {
                self.frames[top].pos += 3;
                self.dtd.cond_depth -= 1;
                continue;
            }
            if rest.starts_with(']') && self.frames[top].kind == FrameKind::Document {
                self.token("the end of the internal subset", RULE_DOCTYPE, |c, _| {
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
                return self.comment().map(Some);
            }
            if rest.starts_with("<?") {
                return self.pi().map(Some);
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
                    self.skipped_queue.clear();
                }
                match self.next_skipped()? {
                    Some(ev) => return Ok(Some(ev)),
                    None => continue,
                }
            }
            if rest.starts_with("<!ENTITY") {
                match self.entity_decl()? {
                    Some(ev) => return Ok(Some(ev)),
                    None => continue,
                }
            }
            if rest.starts_with("<!NOTATION") {
                return self.notation_decl().map(Some);
            }
            if rest.starts_with("<![") {
                if !in_ext {
                    return Err(self.err_here(
                        ErrorKind::Syntax,
                        "XML 1.0 [61] conditionalSect",
                        "conditional sections are only allowed in the external subset and external parameter entities",
                    ));
                }
                self.conditional_section()?;
                continue;
            }
            let markup = self.markup_here();
            return Err(self.err_here(
                ErrorKind::Syntax,
                "XML 1.0 [29] markupdecl",
                format!(
                    "expected a markup declaration, a comment, a PI or a parameter-entity reference in the DTD, found {markup}"
                ),
            ));
        }
    }

    /// Whether the text being read comes from the external subset or an external parameter
    /// entity (directly or through internal entities referenced there).
    pub(super) fn in_external(&self) -> bool {
        self.frames.iter().any(|f| f.external)
    }

    pub(super) fn skip_space_in_frame(&mut self) -> Result<(), Error> {
        let top = self.top();
        let fr = &mut self.frames[top];
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
        let top = self.top();
        if self.frames[top].kind == FrameKind::Document {
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
                self.count_expansion(text.len())?;
                let text = if padded {
                    format!(" {text} ")
                } else {
                    text.to_string()
                };
                // The copy is kept until the entity ends (refunded in `pop_frame`).
                self.charge(text.len(), crate::tags::EXPANDING)?;
                let mut f = Frame::fixed(text, kind);
                f.charged = f.text.len();
                Some(f)
            }
            EntityKind::External { system, base, .. } => {
                let label = format!("%{}", ent.name);
                self.open_external(system, base.as_deref(), kind, &label)?
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
        self.frames.push(f);
        if external {
            self.external_text_decl()?;
            if padded {
                let top = self.top();
                let f = &mut self.frames[top];
                f.text.insert(f.pos, ' ');
            }
        }
        Ok(())
    }

    pub(super) fn push_pe_frame(&self, f: &mut Frame<'r>, ent: &Entity) {
        f.name = Some(ent.name.clone());
        if f.label.is_none() {
            f.label = Some(Arc::from(format!("%{};", ent.name)));
        }
        f.cond_at_start = self.dtd.cond_depth;
    }

    pub(super) fn undeclared_pe(&mut self, name: &str) -> Result<(), Error> {
        if self.dtd.must_declare(self.standalone == Some(true)) {
            let mut e = undeclared(&format!("%{name}"));
            if self.standalone == Some(true) {
                e = Error::new(e.kind(), "WFC: Entity Declared", e.message().to_string());
            }
            return Err(self.err_here(e.kind(), "WFC: Entity Declared", e.message().to_string()));
        }
        // A validity error only (VC: Entity Declared); later declarations may depend on it.
        if self.standalone != Some(true) {
            self.dtd.ignoring = true;
        }
        Ok(())
    }

    pub(super) fn check_pe_recursion(&self, ent: &Entity) -> Result<(), Error> {
        let is_pe = |k: FrameKind| {
            matches!(
                k,
                FrameKind::ParamDeclSep | FrameKind::ParamInDecl | FrameKind::ParamInLiteral
            )
        };
        if self
            .frames
            .iter()
            .any(|f| is_pe(f.kind) && f.name.as_deref() == Some(&*ent.name))
        {
            return Err(self.err_here(
                ErrorKind::RecursiveEntity,
                "WFC: No Recursion",
                recursion(&format!("%{}", ent.name)).message().to_string(),
            ));
        }
        if self.frames.len() > self.options.limits.max_entity_depth {
            let e = crate::tags::entity_depth(&self.options.limits);
            return Err(self.err_here_e(e));
        }
        Ok(())
    }

    /// Charges `bytes` kept for `what` to the memory budget; the error is at the current
    /// position.
    pub(crate) fn charge(&mut self, bytes: usize, what: &str) -> Result<(), Error> {
        match self.budget.charge(bytes, what) {
            Ok(()) => Ok(()),
            Err(e) => {
                let top = self.frames.len().saturating_sub(1);
                let at = self.frames.get(top).map_or(0, |f| f.pos);
                Err(self.err_at(top, at, e))
            }
        }
    }

    /// `%name;` at the top frame's position; returns the name.
    pub(super) fn pe_ref_token(&mut self) -> Result<String, Error> {
        let max = self.options.limits.max_name_len;
        let (name, _, _) = self.token(
            "a parameter-entity reference",
            "XML 1.0 [69] PEReference",
            |c, _| {
                c.i = 1;
                let name = crate::tags::entity_ref_name(c, max, '%')?;
                if !c.eat(b';')? {
                    return Err(c.syntax(format!("expected ';' after '%{name}'")));
                }
                Ok(name.to_string())
            },
        )?;
        Ok(name)
    }
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

/// XML 1.0 §4.2.2: runs of white space in a public identifier become one space, and
/// leading and trailing white space is removed.
pub(crate) fn normalize_pubid(p: &str) -> String {
    p.split(|c: char| chars::is_space(c as u8) && c.is_ascii())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
