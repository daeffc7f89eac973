//! The document type declaration: XML 1.0 [28]-[31] and the markup declarations [45]-[84],
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
use crate::tags::{collapse_spaces, normalize_attr, qname_prefix_len, recursion, undeclared};
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
}

impl ElementAtts {
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
    fn after_internal_subset(&mut self) -> Result<(), Error> {
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
            if rest.starts_with("<!--") {
                self.comment()?;
                continue;
            }
            if rest.starts_with("<?") {
                self.pi()?;
                continue;
            }
            if rest.starts_with("<!ELEMENT") {
                self.element_decl()?;
                continue;
            }
            if rest.starts_with("<!ATTLIST") {
                self.attlist_decl()?;
                continue;
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
            return Err(self.err_here(
                ErrorKind::Syntax,
                "XML 1.0 [29] markupdecl",
                format!(
                    "expected a markup declaration, a comment, a PI or a parameter-entity reference in the DTD, found {}",
                    crate::reader::show_markup(rest)
                ),
            ));
        }
    }

    /// Whether the text being read comes from the external subset or an external parameter
    /// entity (directly or through internal entities referenced there).
    fn in_external(&self) -> bool {
        self.frames.iter().any(|f| f.external)
    }

    fn skip_space_in_frame(&mut self) -> Result<(), Error> {
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

    /// A parameter-entity reference between declarations ([28a] DeclSep).
    fn pe_between_decls(&mut self) -> Result<(), Error> {
        let top = self.top();
        if self.frames[top].kind == FrameKind::Document {
            self.dtd.has_pe_refs = true;
        }
        let name = self.pe_ref_token()?;
        let Some(ent) = self.dtd.params.get(name.as_str()).cloned() else {
            return self.undeclared_pe(&name);
        };
        self.check_pe_recursion(&ent)?;
        match &ent.kind {
            EntityKind::Internal(text) => {
                self.count_expansion(text.len())?;
                let mut f = Frame::fixed(text.to_string(), FrameKind::ParamDeclSep);
                self.push_pe_frame(&mut f, &ent);
                self.frames.push(f);
            }
            EntityKind::External { system, base, .. } => {
                match self.open_external(
                    system,
                    base.as_deref(),
                    FrameKind::ParamDeclSep,
                    &format!("%{}", ent.name),
                )? {
                    Some(mut f) => {
                        self.push_pe_frame(&mut f, &ent);
                        self.frames.push(f);
                        self.external_text_decl()?;
                    }
                    None => {
                        if self.standalone != Some(true) {
                            self.dtd.ignoring = true;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn push_pe_frame(&self, f: &mut Frame<'r>, ent: &Entity) {
        f.name = Some(ent.name.clone());
        if f.label.is_none() {
            f.label = Some(Arc::from(format!("%{};", ent.name)));
        }
        f.cond_at_start = self.dtd.cond_depth;
    }

    fn undeclared_pe(&mut self, name: &str) -> Result<(), Error> {
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

    fn check_pe_recursion(&self, ent: &Entity) -> Result<(), Error> {
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
            return Err(self.err_here(e.kind(), e.rule(), e.message().to_string()));
        }
        Ok(())
    }

    /// `%name;` at the top frame's position; returns the name.
    fn pe_ref_token(&mut self) -> Result<String, Error> {
        let max = self.options.limits.max_name_len;
        let (name, _, _) = self.token(
            "a parameter-entity reference",
            "XML 1.0 [69] PEReference",
            |c, _| {
                c.i = 1;
                let name = c.name(max, "a parameter-entity name")?;
                if !c.eat(b';')? {
                    return Err(c.syntax(format!("expected ';' after '%{name}'")));
                }
                Ok(name.to_string())
            },
        )?;
        Ok(name)
    }

    // ----- the declaration cursor over the frame stack -----

    /// The next byte of the declaration, crossing the end of parameter entities that were
    /// referenced inside it. `None` at the end of an entity the declaration cannot leave.
    fn d_peek(&mut self) -> Result<Option<u8>, Error> {
        loop {
            let top = self.top();
            let f = &mut self.frames[top];
            if f.pos < f.text.len() {
                return Ok(Some(f.text.as_bytes()[f.pos]));
            }
            if f.more()? {
                continue;
            }
            if f.kind == FrameKind::ParamInDecl {
                if f.pad_end {
                    f.pad_end = false;
                    f.text.push(' ');
                    continue;
                }
                self.pop_frame();
                continue;
            }
            return Ok(None);
        }
    }

    /// The text from the current position in the top frame, with at least `n` bytes if the
    /// frame has them.
    fn d_rest(&mut self, n: usize) -> Result<&str, Error> {
        self.d_peek()?;
        self.ensure(n)?;
        let top = self.top();
        Ok(self.frames[top].rest())
    }

    fn d_bump(&mut self, n: usize) {
        let top = self.top();
        self.frames[top].pos += n;
    }

    fn d_err(&self, kind: ErrorKind, rule: &'static str, msg: impl Into<String>) -> Error {
        self.err_here(kind, rule, msg)
    }

    fn d_syntax(&mut self, rule: &'static str, expected: &str) -> Error {
        let found = match self.d_rest(1) {
            Ok(r) if !r.is_empty() => crate::cursor::show_next(r),
            _ => "the end of the entity".to_string(),
        };
        self.d_err(
            ErrorKind::Syntax,
            rule,
            format!("expected {expected}, found {found}"),
        )
    }

    /// Skips white space and, where allowed, parameter-entity references (each counts as
    /// white space, being padded). Returns whether anything was skipped.
    fn d_sep(&mut self) -> Result<bool, Error> {
        let mut any = false;
        loop {
            let depth = self.frames.len();
            let b = self.d_peek()?;
            if self.frames.len() < depth {
                any = true;
            }
            match b {
                Some(b) if chars::is_space(b) => {
                    let top = self.top();
                    let f = &mut self.frames[top];
                    let n = f.rest().bytes().take_while(|&b| chars::is_space(b)).count();
                    f.pos += n;
                    any = true;
                }
                Some(b'%') => {
                    let next = self.d_rest(2)?.as_bytes().get(1).copied();
                    let starts_name = next.is_some_and(|n| !chars::is_space(n));
                    if !starts_name {
                        return Ok(any);
                    }
                    if !self.in_external() {
                        return Err(self.d_err(
                            ErrorKind::Syntax,
                            "WFC: PEs in Internal Subset",
                            "a parameter-entity reference inside a markup declaration is not allowed in the internal subset",
                        ));
                    }
                    self.pe_in_decl()?;
                    any = true;
                }
                _ => return Ok(any),
            }
        }
    }

    fn d_req_sep(&mut self, rule: &'static str, what: &str) -> Result<(), Error> {
        if self.d_sep()? {
            return Ok(());
        }
        Err(self.d_syntax(rule, &format!("white space {what}")))
    }

    /// A parameter-entity reference inside a declaration (external subset only).
    fn pe_in_decl(&mut self) -> Result<(), Error> {
        let name = self.pe_ref_token()?;
        let Some(ent) = self.dtd.params.get(name.as_str()).cloned() else {
            self.undeclared_pe(&name)?;
            return Ok(());
        };
        self.check_pe_recursion(&ent)?;
        match &ent.kind {
            EntityKind::Internal(text) => {
                self.count_expansion(text.len())?;
                let mut f = Frame::fixed(format!(" {text} "), FrameKind::ParamInDecl);
                self.push_pe_frame(&mut f, &ent);
                self.frames.push(f);
            }
            EntityKind::External { system, base, .. } => {
                match self.open_external(
                    system,
                    base.as_deref(),
                    FrameKind::ParamInDecl,
                    &format!("%{}", ent.name),
                )? {
                    Some(mut f) => {
                        self.push_pe_frame(&mut f, &ent);
                        f.pad_end = true;
                        self.frames.push(f);
                        self.external_text_decl()?;
                        let top = self.top();
                        let f = &mut self.frames[top];
                        f.text.insert(f.pos, ' ');
                    }
                    None => {
                        if self.standalone != Some(true) {
                            self.dtd.ignoring = true;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// A name in the top frame (names never span entities: the padding ends them).
    fn d_name(&mut self, rule: &'static str, what: &str) -> Result<String, Error> {
        let max = self.options.limits.max_name_len;
        loop {
            self.d_peek()?;
            let top = self.top();
            let f = &mut self.frames[top];
            let rest = f.rest();
            let n = chars::name_len(rest);
            if n == rest.len() && !f.eof {
                f.grow(self.options.limits.max_token_len)?;
                continue;
            }
            if n == 0 {
                return Err(self.d_syntax(rule, what));
            }
            if n > max {
                return Err(self.d_err(ErrorKind::Limit, "Limits::max_name_len", format!("a name is longer than the limit of {max} bytes (raise it with --max-name-len)")));
            }
            let s = rest[..n].to_string();
            f.pos += n;
            return Ok(s);
        }
    }

    /// An Nmtoken ([7]) in the top frame.
    fn d_nmtoken(&mut self, rule: &'static str) -> Result<String, Error> {
        loop {
            self.d_peek()?;
            let top = self.top();
            let f = &mut self.frames[top];
            let rest = f.rest();
            let n = chars::nmtoken_len(rest);
            if n == rest.len() && !f.eof {
                f.grow(self.options.limits.max_token_len)?;
                continue;
            }
            if n == 0 {
                return Err(self.d_syntax(rule, "a name token"));
            }
            let s = rest[..n].to_string();
            f.pos += n;
            return Ok(s);
        }
    }

    /// Whether the top frame continues with `lit` (which must not span entities).
    fn d_looking_at(&mut self, lit: &str) -> Result<bool, Error> {
        Ok(self.d_rest(lit.len())?.starts_with(lit))
    }

    /// A quoted literal in one frame, without reference processing.
    fn d_quoted(&mut self, rule: &'static str, what: &str) -> Result<String, Error> {
        let q = match self.d_peek()? {
            Some(q @ (b'"' | b'\'')) => q,
            _ => return Err(self.d_syntax(rule, &format!("a quoted {what}"))),
        };
        let top = self.top();
        loop {
            let f = &mut self.frames[top];
            let body = &f.text.as_bytes()[f.pos + 1..];
            if let Some(k) = memchr::memchr(q, body) {
                let s = f.text[f.pos + 1..f.pos + 1 + k].to_string();
                f.pos += k + 2;
                return Ok(s);
            }
            if f.eof {
                return Err(self.d_err(
                    ErrorKind::Syntax,
                    rule,
                    format!("the entity ends inside a quoted {what}"),
                ));
            }
            f.grow(self.options.limits.max_token_len)?;
        }
    }

    fn d_end(&mut self, rule: &'static str) -> Result<(), Error> {
        self.d_sep()?;
        if self.d_peek()? == Some(b'>') {
            self.d_bump(1);
            return Ok(());
        }
        Err(self.d_syntax(rule, "'>' to end the declaration"))
    }

    // ----- the declarations -----

    /// [45] elementdecl.
    fn element_decl(&mut self) -> Result<(), Error> {
        const R: &str = "XML 1.0 [45] elementdecl";
        self.d_bump(9);
        self.d_req_sep(R, "after '<!ELEMENT'")?;
        let name = self.d_name(R, "an element name")?;
        qname_prefix_len(&name, "element")
            .map_err(|e| self.d_err(e.kind(), e.rule(), e.message().to_string()))?;
        self.d_req_sep(R, "after the element name")?;
        if self.d_looking_at("EMPTY")? {
            self.d_bump(5);
        } else if self.d_looking_at("ANY")? {
            self.d_bump(3);
        } else if self.d_peek()? == Some(b'(') {
            self.content_model()?;
        } else {
            return Err(self.d_syntax(R, "EMPTY, ANY or '(' (a content model)"));
        }
        self.d_end(R)
    }

    /// [46]-[51] a content model, after `(` is next; iterative, with an explicit stack.
    fn content_model(&mut self) -> Result<(), Error> {
        const R: &str = "XML 1.0 [47] children";
        self.d_bump(1);
        self.d_sep()?;
        if self.d_looking_at("#PCDATA")? {
            // [51] Mixed
            const M: &str = "XML 1.0 [51] Mixed";
            self.d_bump(7);
            let mut names = 0;
            loop {
                self.d_sep()?;
                match self.d_peek()? {
                    Some(b')') => {
                        self.d_bump(1);
                        if names > 0 {
                            if self.d_looking_at("*")? {
                                self.d_bump(1);
                            } else {
                                return Err(self.d_syntax(
                                    M,
                                    "'*' after a mixed content model with element names",
                                ));
                            }
                        } else if self.d_looking_at("*")? {
                            self.d_bump(1);
                        }
                        return Ok(());
                    }
                    Some(b'|') => {
                        self.d_bump(1);
                        self.d_sep()?;
                        self.d_name(M, "an element name")?;
                        names += 1;
                    }
                    _ => return Err(self.d_syntax(M, "'|' or ')' in a mixed content model")),
                }
            }
        }
        // [47] children: groups of choices ('|') or sequences (','), never both.
        let mut groups: Vec<u8> = vec![0];
        'cp: loop {
            // Expect a content particle.
            self.d_sep()?;
            match self.d_peek()? {
                Some(b'(') => {
                    if groups.len() > self.options.limits.max_depth {
                        return Err(self.d_err(
                            ErrorKind::Limit,
                            "Limits::max_depth",
                            "content model groups are nested too deeply",
                        ));
                    }
                    self.d_bump(1);
                    groups.push(0);
                    continue 'cp;
                }
                Some(b'#') => {
                    return Err(self.d_syntax(
                        R,
                        "an element name (#PCDATA is only allowed first in a mixed model)",
                    ))
                }
                _ => {
                    self.d_name(R, "an element name or '('")?;
                    self.occurrence()?;
                }
            }
            // After a particle: a separator or the end of the group.
            loop {
                self.d_sep()?;
                match self.d_peek()? {
                    Some(s @ (b',' | b'|')) => {
                        let Some(g) = groups.last_mut() else {
                            break 'cp;
                        };
                        if *g != 0 && *g != s {
                            return Err(self.d_err(
                                ErrorKind::Syntax,
                                R,
                                "a content model group mixes ',' and '|'; use nested groups",
                            ));
                        }
                        *g = s;
                        self.d_bump(1);
                        continue 'cp;
                    }
                    Some(b')') => {
                        self.d_bump(1);
                        groups.pop();
                        self.occurrence()?;
                        if groups.is_empty() {
                            return Ok(());
                        }
                    }
                    _ => return Err(self.d_syntax(R, "',', '|' or ')' in a content model")),
                }
            }
        }
        Ok(())
    }

    /// An optional `?`, `*` or `+` right after a particle (no white space before it).
    fn occurrence(&mut self) -> Result<(), Error> {
        let top = self.top();
        self.frames[top].ensure(1)?;
        if let Some(b'?' | b'*' | b'+') = self.frames[top].rest().as_bytes().first() {
            self.frames[top].pos += 1;
        }
        Ok(())
    }

    /// [52] AttlistDecl.
    fn attlist_decl(&mut self) -> Result<(), Error> {
        const R: &str = "XML 1.0 [52] AttlistDecl";
        self.d_bump(9);
        self.d_req_sep(R, "after '<!ATTLIST'")?;
        let elem = self.d_name(R, "an element name")?;
        qname_prefix_len(&elem, "element")
            .map_err(|e| self.d_err(e.kind(), e.rule(), e.message().to_string()))?;
        loop {
            let had = self.d_sep()?;
            if self.d_peek()? == Some(b'>') {
                self.d_bump(1);
                return Ok(());
            }
            if !had {
                return Err(self.d_syntax(R, "white space or '>'"));
            }
            let name = self.d_name(R, "an attribute name or '>'")?;
            qname_prefix_len(&name, "attribute")
                .map_err(|e| self.d_err(e.kind(), e.rule(), e.message().to_string()))?;
            self.d_req_sep(R, "after the attribute name")?;
            let ty = self.att_type()?;
            self.d_req_sep(R, "before the default declaration")?;
            let default = self.default_decl(ty)?;
            if !self.dtd.ignoring {
                let atts = self
                    .dtd
                    .attlists
                    .entry(Arc::from(elem.as_str()))
                    .or_default();
                if !atts.index.contains_key(name.as_str()) {
                    let name: Arc<str> = Arc::from(name);
                    atts.index.insert(name.clone(), atts.defs.len());
                    atts.defs.push(AttDef { name, ty, default });
                }
            }
        }
    }

    /// [54] AttType.
    fn att_type(&mut self) -> Result<AttType, Error> {
        const R: &str = "XML 1.0 [54] AttType";
        if self.d_peek()? == Some(b'(') {
            self.d_bump(1);
            self.name_list(true)?;
            return Ok(AttType::Tokenized);
        }
        let kw = self.d_name(R, "an attribute type")?;
        match kw.as_str() {
            "CDATA" => Ok(AttType::Cdata),
            "ID" | "IDREF" | "IDREFS" | "ENTITY" | "ENTITIES" | "NMTOKEN" | "NMTOKENS" => {
                Ok(AttType::Tokenized)
            }
            "NOTATION" => {
                self.d_req_sep("XML 1.0 [58] NotationType", "after NOTATION")?;
                if self.d_peek()? != Some(b'(') {
                    return Err(self.d_syntax("XML 1.0 [58] NotationType", "'('"));
                }
                self.d_bump(1);
                self.name_list(false)?;
                Ok(AttType::Tokenized)
            }
            _ => Err(self.d_err(
                ErrorKind::Syntax,
                R,
                format!("'{kw}' is not an attribute type"),
            )),
        }
    }

    /// The rest of `( a | b | c )` after `(`: Nmtokens for enumerations, Names for NOTATION.
    fn name_list(&mut self, nmtokens: bool) -> Result<(), Error> {
        const R: &str = "XML 1.0 [59] Enumeration";
        loop {
            self.d_sep()?;
            if nmtokens {
                self.d_nmtoken(R)?;
            } else {
                let n = self.d_name(R, "a notation name")?;
                if n.contains(':') {
                    return Err(self.d_err(
                        ErrorKind::Namespace,
                        "Namespaces in XML 1.0 §7",
                        format!("notation name '{n}' contains a colon"),
                    ));
                }
            }
            self.d_sep()?;
            match self.d_peek()? {
                Some(b'|') => self.d_bump(1),
                Some(b')') => {
                    self.d_bump(1);
                    return Ok(());
                }
                _ => return Err(self.d_syntax(R, "'|' or ')'")),
            }
        }
    }

    /// [60] DefaultDecl; returns the normalized default value, if any.
    fn default_decl(&mut self, ty: AttType) -> Result<Option<Arc<str>>, Error> {
        const R: &str = "XML 1.0 [60] DefaultDecl";
        if self.d_peek()? == Some(b'#') {
            self.d_bump(1);
            let kw = self.d_name(R, "REQUIRED, IMPLIED or FIXED")?;
            match kw.as_str() {
                "REQUIRED" | "IMPLIED" => return Ok(None),
                "FIXED" => self.d_req_sep(R, "after #FIXED")?,
                _ => {
                    return Err(self.d_err(
                        ErrorKind::Syntax,
                        R,
                        format!("'#{kw}' is not a default declaration"),
                    ))
                }
            }
        }
        let top = self.top();
        let at = self.frames[top].pos + 1;
        let raw = self.d_quoted("XML 1.0 [10] AttValue", "default value")?;
        let mut out = String::new();
        let standalone = self.standalone == Some(true);
        let limits = self.options.limits.clone();
        let mut expanded = self.expanded;
        let read = self.input_read();
        let r = normalize_attr(
            &raw,
            &self.dtd,
            standalone,
            &mut out,
            (&mut expanded, read),
            &limits,
        );
        self.expanded = expanded;
        if let Err((e, k)) = r {
            return Err(self.err_at(top, at + k, e));
        }
        if ty != AttType::Cdata {
            collapse_spaces(&mut out, 0);
        }
        Ok(Some(Arc::from(out)))
    }

    /// [70] EntityDecl. Returns an event for unparsed entities.
    fn entity_decl(&mut self) -> Result<Option<Ev>, Error> {
        const R: &str = "XML 1.0 [70] EntityDecl";
        self.d_bump(8);
        self.d_req_sep(R, "after '<!ENTITY'")?;
        let mut pe = false;
        if self.d_peek()? == Some(b'%') {
            let next = self.d_rest(2)?.as_bytes().get(1).copied();
            if next.is_some_and(chars::is_space) {
                self.d_bump(1);
                self.d_req_sep(R, "after '%'")?;
                pe = true;
            }
        }
        let name = self.d_name(R, "an entity name")?;
        if name.contains(':') {
            return Err(self.d_err(
                ErrorKind::Namespace,
                "Namespaces in XML 1.0 §7",
                format!("entity name '{name}' contains a colon"),
            ));
        }
        self.d_req_sep(R, "after the entity name")?;
        let external_decl = self.frames.iter().any(|f| f.kind != FrameKind::Document);
        let kind = match self.d_peek()? {
            Some(b'"' | b'\'') => EntityKind::Internal(Arc::from(self.entity_value()?)),
            _ => {
                let (_public, system) = self.d_external_id(false)?;
                let system = system.unwrap_or_default();
                let had = self.d_sep()?;
                let mut notation = None;
                if self.d_looking_at("NDATA")? {
                    if !had {
                        return Err(
                            self.d_syntax("XML 1.0 [76] NDataDecl", "white space before NDATA")
                        );
                    }
                    if pe {
                        return Err(self.d_err(
                            ErrorKind::Syntax,
                            "XML 1.0 [74] PEDef",
                            "a parameter entity cannot be unparsed (NDATA)",
                        ));
                    }
                    self.d_bump(5);
                    self.d_req_sep("XML 1.0 [76] NDataDecl", "after NDATA")?;
                    notation = Some(self.d_name("XML 1.0 [76] NDataDecl", "a notation name")?);
                }
                let base = self.frames.iter().rev().find_map(|f| f.base_dir.clone());
                EntityKind::External {
                    system,
                    base,
                    notation,
                }
            }
        };
        self.d_end(R)?;
        if self.dtd.ignoring {
            return Ok(None);
        }
        let name: Arc<str> = Arc::from(name);
        let map = if pe {
            &mut self.dtd.params
        } else {
            &mut self.dtd.general
        };
        if map.contains_key(&name) {
            return Ok(None); // the first declaration binds (§4.2)
        }
        let ev = match &kind {
            EntityKind::External {
                system,
                notation: Some(n),
                ..
            } => {
                self.scratch.clear();
                let nm = push_span(&mut self.scratch, &name);
                let sy = push_span(&mut self.scratch, system);
                let no = push_span(&mut self.scratch, n);
                Some(Ev::Unparsed {
                    name: nm,
                    public: None,
                    system: sy,
                    notation: no,
                })
            }
            _ => None,
        };
        map.insert(
            name.clone(),
            Entity {
                name,
                kind,
                external_decl,
            },
        );
        Ok(ev)
    }

    /// [9] EntityValue: parameter-entity references (external subset only) and character
    /// references are expanded; general entity references are kept as they are (§4.5).
    fn entity_value(&mut self) -> Result<String, Error> {
        const R: &str = "XML 1.0 [9] EntityValue";
        let origin = self.top();
        let Some(q) = self.d_peek()? else {
            return Err(self.d_syntax(R, "a quoted entity value"));
        };
        self.d_bump(1);
        let mut out = String::new();
        let max_token = self.options.limits.max_token_len;
        loop {
            let top = self.top();
            let f = &mut self.frames[top];
            if f.pos >= f.text.len() {
                if f.more()? {
                    continue;
                }
                if top > origin {
                    self.pop_frame();
                    continue;
                }
                return Err(self.d_err(
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
            out.push_str(&f.rest()[..stop]);
            f.pos += stop;
            if out.len() > max_token {
                return Err(self.d_err(ErrorKind::Limit, "Limits::max_token_len", format!("an entity value is longer than the limit of {max_token} bytes (raise it with --max-token-len)")));
            }
            if stop == rest_len {
                continue;
            }
            match stop_byte {
                b if b == q && top == origin => {
                    f.pos += 1;
                    return Ok(out);
                }
                b'%' => {
                    if !self.in_external() {
                        return Err(self.d_err(
                            ErrorKind::Syntax,
                            "WFC: PEs in Internal Subset",
                            "a parameter-entity reference inside an entity value is not allowed in the internal subset",
                        ));
                    }
                    let name = self.pe_ref_token()?;
                    let Some(ent) = self.dtd.params.get(name.as_str()).cloned() else {
                        self.undeclared_pe(&name)?;
                        continue;
                    };
                    self.check_pe_recursion(&ent)?;
                    match &ent.kind {
                        EntityKind::Internal(text) => {
                            self.count_expansion(text.len())?;
                            let mut f = Frame::fixed(text.to_string(), FrameKind::ParamInLiteral);
                            self.push_pe_frame(&mut f, &ent);
                            self.frames.push(f);
                        }
                        EntityKind::External { system, base, .. } => {
                            if let Some(mut f) = self.open_external(
                                system,
                                base.as_deref(),
                                FrameKind::ParamInLiteral,
                                &format!("%{}", ent.name),
                            )? {
                                self.push_pe_frame(&mut f, &ent);
                                self.frames.push(f);
                                self.external_text_decl()?;
                            } else if self.standalone != Some(true) {
                                self.dtd.ignoring = true;
                            }
                        }
                    }
                }
                _ => {
                    // '&': a character reference is expanded; an entity reference is kept.
                    let max = self.options.limits.max_name_len;
                    let (piece, _, _) =
                        self.token("a reference", "XML 1.0 [67] Reference", |c, _| {
                            c.i = 1;
                            if c.eat(b'#')? {
                                return crate::tags::char_ref(c).map(|ch| ch.to_string());
                            }
                            let name = c.name(max, "an entity name")?;
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

    /// [75] ExternalID (or, for notations, [83] PublicID): returns (public, system).
    fn d_external_id(&mut self, notation: bool) -> Result<(Option<String>, Option<String>), Error> {
        const R: &str = "XML 1.0 [75] ExternalID";
        let kw = self.d_name(R, "SYSTEM, PUBLIC or a quoted value")?;
        match kw.as_str() {
            "SYSTEM" => {
                self.d_req_sep(R, "after SYSTEM")?;
                let s = self.d_quoted("XML 1.0 [11] SystemLiteral", "system identifier")?;
                Ok((None, Some(s)))
            }
            "PUBLIC" => {
                self.d_req_sep(R, "after PUBLIC")?;
                let top = self.top();
                let at = self.frames[top].pos;
                let p = self.d_quoted("XML 1.0 [12] PubidLiteral", "public identifier")?;
                if let Some(bad) = p.chars().find(|&c| !chars::is_pubid_char(c)) {
                    return Err(self.err_at(
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
                let had = self.d_sep()?;
                let next = self.d_peek()?;
                if matches!(next, Some(b'"' | b'\'')) {
                    if !had {
                        return Err(self
                            .d_syntax(R, "white space between the public and system identifiers"));
                    }
                    let s = self.d_quoted("XML 1.0 [11] SystemLiteral", "system identifier")?;
                    return Ok((Some(p), Some(s)));
                }
                if notation {
                    return Ok((Some(p), None));
                }
                Err(self.d_syntax(R, "a system identifier after the public identifier"))
            }
            _ => Err(self.d_err(
                ErrorKind::Syntax,
                R,
                format!("expected SYSTEM, PUBLIC or a quoted value, found '{kw}'"),
            )),
        }
    }

    /// [82] NotationDecl.
    fn notation_decl(&mut self) -> Result<Ev, Error> {
        const R: &str = "XML 1.0 [82] NotationDecl";
        self.d_bump(10);
        self.d_req_sep(R, "after '<!NOTATION'")?;
        let name = self.d_name(R, "a notation name")?;
        if name.contains(':') {
            return Err(self.d_err(
                ErrorKind::Namespace,
                "Namespaces in XML 1.0 §7",
                format!("notation name '{name}' contains a colon"),
            ));
        }
        self.d_req_sep(R, "after the notation name")?;
        let (public, system) = self.d_external_id(true)?;
        self.d_end(R)?;
        self.scratch.clear();
        let name = push_span(&mut self.scratch, &name);
        let public = public.map(|p| push_span(&mut self.scratch, &p));
        let system = system.map(|s| push_span(&mut self.scratch, &s));
        Ok(Ev::Notation {
            name,
            public,
            system,
        })
    }

    /// [61] conditionalSect, at `<![`.
    fn conditional_section(&mut self) -> Result<(), Error> {
        const R: &str = "XML 1.0 [61] conditionalSect";
        self.d_bump(3);
        self.d_sep()?;
        let kw = self.d_name(R, "INCLUDE or IGNORE")?;
        self.d_sep()?;
        if self.d_peek()? != Some(b'[') {
            return Err(self.d_syntax(R, "'['"));
        }
        self.d_bump(1);
        match kw.as_str() {
            "INCLUDE" => {
                self.dtd.cond_depth += 1;
                Ok(())
            }
            "IGNORE" => self.ignore_section(),
            _ => Err(self.d_err(
                ErrorKind::Syntax,
                R,
                format!("expected INCLUDE or IGNORE, found '{kw}'"),
            )),
        }
    }

    /// [63]-[65]: skips an IGNORE section, counting nested `<![ ... ]]>`.
    fn ignore_section(&mut self) -> Result<(), Error> {
        let top = self.top();
        let mut depth = 1usize;
        loop {
            let f = &mut self.frames[top];
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
                return Err(self.d_err(
                    ErrorKind::Syntax,
                    "XML 1.0 [63] ignoreSect",
                    "the entity ends inside an IGNORE section",
                ));
            }
        }
    }
}

/// [75] ExternalID inside one token (the DOCTYPE), after optional white space.
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
