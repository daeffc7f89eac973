//! Start tags, end tags and references in content: XML 1.0 \[40\]-\[44\], \[66\]-\[68\], attribute
//! value normalization (§3.3.3), and the namespace constraints of Namespaces in XML 1.0.

use crate::budget::ELEMENT_OVERHEAD;
use crate::cursor::{Cur, PResult, Stop};
use crate::dtd::{AttType, Dtd, Entity, EntityKind};
use crate::event::{AttrRec, Span};
use crate::input::{Frame, FrameKind};
use crate::namespaces::{XMLNS_NS, XML_NS};
use crate::reader::{push_span, Ev, Loc, Open, Reader, TokenCtx};
use crate::{chars, Error, ErrorKind, Limits};
use std::collections::HashSet;
use std::sync::Arc;

/// What the memory budget calls the text of entity frames.
pub(crate) const EXPANDING: &str = "the replacement text of entities being expanded";

/// Above this many attributes, duplicate detection uses a hash set instead of comparing pairs.
const SMALL: usize = 8;

/// At most this many distinct undeclared entities skipped in one tag's attribute values are
/// reported (as [`crate::Event::SkippedEntity`]): enough to say that the values are
/// incomplete and which names are missing, without holding (or checking against) an
/// unbounded list for a tag made of millions of references.
pub(crate) const MAX_SKIPPED_PER_TAG: usize = 32;

/// What the scan of a start tag learned besides its attributes, so that the steps after it
/// need not look at the names again.
#[derive(Clone, Copy, Debug, Default)]
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
pub(crate) fn tag_text<'a>(frames: &'a [Frame<'_>], (f, a, b): (usize, usize, usize)) -> &'a str {
    frames.get(f).and_then(|f| f.text.get(a..b)).unwrap_or("")
}

impl Reader<'_> {
    /// A start tag or empty-element tag at the top frame's position; returns whether it was
    /// an empty-element tag. (The caller makes the event: a `bool` comes back in a register,
    /// while an `Ev` came back through memory at the cost of a store-forwarding stall.)
    pub(crate) fn start_tag(&mut self) -> Result<bool, Error> {
        if self.open.len() >= self.options.limits.max_depth {
            let max = self.options.limits.max_depth;
            return Err(self.err_here_e(Error::limit_exceeded(
                crate::Limit::MaxDepth,
                max as u64,
                "elements are nested too deeply",
            )));
        }
        let top = self.top();
        let fr = &self.frames[top];
        let start = fr.pos;
        let simple = if self.dtd.attlists_empty() {
            let limits = &self.options.limits;
            scan_simple_start_tag(
                &fr.text.as_bytes()[start..],
                limits,
                &mut self.attrs,
                &mut self.tag,
            )
            // Too long a tag is for the full parser to report.
            .filter(|&(len, _)| len <= limits.max_token_len)
        } else {
            None
        };
        // (The full parser may read more input, which moves the window: it says where
        // the tag starts.)
        let (empty, start, len) = match simple {
            Some((len, empty)) => {
                self.attr_buf.clear();
                self.frames[top].pos += len;
                (empty, start, len)
            }
            None => self.token("a start tag", "XML 1.0 [40] STag", parse_start_tag)?,
        };
        self.tag_src = (top, start, start + len);
        // Attribute defaults from the DTD (XML 1.0 §3.3.2).
        if !self.dtd.attlists_empty() {
            self.add_defaults()
                .map_err(|e| self.err_at(top, start, e))?;
        }
        // An error about one attribute is reported where its name is (`at` is an offset in
        // the tag); one about the element, or an attribute defaulted from the DTD, at '<'.
        if self.attrs.len() > 1 {
            self.check_unique_qnames()
                .map_err(|(e, at)| self.err_at(top, start + at, e))?;
        }
        let mark = self.ns.mark();
        self.resolve_namespaces().map_err(|(e, at)| {
            self.ns.unwind(mark);
            self.err_at(top, start + at, e)
        })?;
        let src = tag_text(&self.frames, self.tag_src);
        let name = src.get(1..1 + self.tag.name_len as usize).unwrap_or("");
        // The element's name and its namespace bindings are kept until it closes: count
        // them (refunded in `pop_element`).
        let kept = name.len() + ELEMENT_OVERHEAD + self.ns.retained_since(mark);
        if let Err(e) = self
            .budget
            .charge(kept, "the names and namespace bindings of open elements")
        {
            return Err(self.err_at(top, start, e));
        }
        let name_span = push_span(&mut self.names, name);
        self.open.push(Open {
            name: name_span,
            prefix_len: self.tag_prefix_len,
            ns: self.tag_ns,
            ns_mark: mark,
        });
        if empty {
            self.set_pending_end();
        }
        self.queue_skipped();
        Ok(empty)
    }

    fn add_defaults(&mut self) -> Result<(), Error> {
        let src = tag_text(&self.frames, self.tag_src);
        let elem = src.get(1..1 + self.tag.name_len as usize).unwrap_or("");
        let Some(decls) = self.dtd.attlist(elem) else {
            return Ok(());
        };
        let mut added = 0usize;
        // Only specified attributes are here yet: their names are in the tag's text.
        // Which attributes were specified: a set when there are many, so that a long
        // attribute-list declaration against a long tag stays linear.
        let specified: Option<HashSet<&str>> =
            (self.attrs.len() > SMALL).then(|| self.attrs.iter().map(|a| a.name.of(src)).collect());
        let mut missing = Vec::new();
        // Only the attributes that have a default: a long list of #IMPLIED attributes must
        // not be walked on every start tag (issue 10).
        for def in decls.defaulted() {
            let Some(value) = def.default_value() else {
                continue;
            };
            let present = match &specified {
                Some(set) => set.contains(def.name.as_ref()),
                None => self
                    .attrs
                    .iter()
                    .any(|a| a.name.of(src) == def.name.as_ref()),
            };
            if !present {
                missing.push((&def.name, value));
            }
            if self.attrs.len() + missing.len() > self.options.limits.max_attributes {
                return Err(too_many_attrs(&self.options.limits));
            }
        }
        for (name, value) in missing {
            let colon = has_colon(name);
            self.tag.colon |= colon;
            self.tag.xmlns |= name.starts_with("xmlns");
            let name = push_span(&mut self.attr_buf, name);
            let value = push_span(&mut self.attr_buf, value);
            // Every defaulted attribute is output made from no input: its name and value
            // count as expansion (a long attribute list applied to many empty tags is an
            // amplification attack even when the values are empty).
            added += (name.end - name.start + value.end - value.start) as usize + 1;
            self.attrs.push(AttrRec {
                name,
                prefix_len: 0,
                value,
                ns: None,
                specified: false,
                value_owned: true,
                colon,
            });
        }
        if added > 0 {
            self.count_expansion(added)?;
        }
        Ok(())
    }

    /// WFC: Unique Att Spec, in linear time. On error, the offset of the second attribute.
    fn check_unique_qnames(&self) -> Result<(), (Error, usize)> {
        let src = tag_text(&self.frames, self.tag_src);
        let buf = &self.attr_buf;
        let n = self.attrs.len();
        let dup = |name: &str| {
            Error::new(
                ErrorKind::DuplicateAttribute,
                "WFC: Unique Att Spec",
                format!("attribute '{name}' appears more than once in the same tag"),
            )
        };
        if n <= SMALL {
            for i in 1..n {
                let a = self.attrs[i].name(src, buf);
                for j in 0..i {
                    if a == self.attrs[j].name(src, buf) {
                        return Err((dup(a), self.attrs[i].offset()));
                    }
                }
            }
        } else {
            let mut seen = HashSet::with_capacity(n);
            for a in &self.attrs {
                let s = a.name(src, buf);
                if !seen.insert(s) {
                    return Err((dup(s), a.offset()));
                }
            }
        }
        Ok(())
    }

    /// Namespaces in XML 1.0: binds this tag's declarations, resolves the element's and the
    /// attributes' prefixes, and checks NSC: Attributes Unique. On error, the offset in the
    /// tag of the attribute at fault (0 for the element).
    fn resolve_namespaces(&mut self) -> Result<(), (Error, usize)> {
        // Most tags have no colon in any name and declare nothing: then only the default
        // namespace applies, and no name needs to be looked at (the scan told us).
        if !self.tag.colon && !self.tag.xmlns {
            self.tag_prefix_len = 0;
            self.tag_ns = self.ns.default_ns();
            return Ok(());
        }
        if !self.tag.xmlns {
            return self.resolve_prefixes();
        }
        let src = tag_text(&self.frames, self.tag_src);
        let buf = &self.attr_buf;
        // 1. Declarations (skipped at once when no attribute name starts with "xmlns").
        let mut prefixed_attrs = false;
        for i in 0..self.attrs.len() {
            let a = self.attrs[i];
            let here = |e: Error| (e, a.offset());
            let name = a.name(src, buf);
            if !name.as_bytes().starts_with(b"xmlns") {
                if a.colon {
                    self.attrs[i].prefix_len = qname_prefix_len(name, "attribute").map_err(here)?;
                    prefixed_attrs = true;
                }
                continue;
            }
            let prefix = if name.len() == 5 {
                ""
            } else if let Some(p) = name.strip_prefix("xmlns:") {
                if !chars::is_ncname(p) {
                    return Err(here(ns_err(format!(
                        "'{name}' is not a valid namespace declaration name"
                    ))));
                }
                p
            } else {
                let pl = qname_prefix_len(name, "attribute").map_err(here)?;
                self.attrs[i].prefix_len = pl;
                prefixed_attrs |= pl > 0;
                continue;
            };
            let uri = a.value(src, buf);
            check_binding(prefix, uri).map_err(here)?;
            self.attrs[i].prefix_len = if prefix.is_empty() { 0 } else { 5 };
            self.attrs[i].ns = Some(self.ns.xmlns_span());
            if prefix != "xml" {
                self.ns.bind(prefix, uri);
            }
        }
        // 2. The element.
        let name = src.get(1..1 + self.tag.name_len as usize).unwrap_or("");
        let pl = if self.tag.name_colon {
            qname_prefix_len(name, "element").map_err(|e| (e, 0))?
        } else {
            0
        };
        self.tag_prefix_len = pl;
        let prefix = &name[..pl as usize];
        self.tag_ns = if prefix == "xmlns" {
            return Err((
                ns_err(format!("element '{name}' uses the reserved prefix 'xmlns'")),
                0,
            ));
        } else if pl == 0 {
            self.ns.resolve("")
        } else {
            match self.ns.resolve(prefix) {
                Some(s) => Some(s),
                None => {
                    return Err((
                        ns_err(format!(
                            "the prefix '{prefix}' of element '{name}' is not declared"
                        )),
                        0,
                    ))
                }
            }
        };
        // 3. Prefixed attributes, and NSC: Attributes Unique.
        if !prefixed_attrs {
            return Ok(());
        }
        let mut prefixed = 0;
        for i in 0..self.attrs.len() {
            let a = self.attrs[i];
            if a.prefix_len == 0 || a.ns.is_some() {
                continue;
            }
            prefixed += 1;
            let name = a.name(src, buf);
            let prefix = &name[..a.prefix_len as usize];
            let resolved = if prefix == "xml" {
                Some(self.ns.xml_span())
            } else {
                self.ns.resolve(prefix)
            };
            match resolved {
                Some(s) => self.attrs[i].ns = Some(s),
                None => {
                    return Err((
                        ns_err(format!(
                            "the prefix '{prefix}' of attribute '{name}' is not declared"
                        )),
                        a.offset(),
                    ))
                }
            }
        }
        // Two attributes can only collide under different qualified names when both are
        // prefixed (unprefixed ones are in no namespace).
        if prefixed > 1 {
            self.check_unique_expanded()?;
        }
        Ok(())
    }

    /// [`Reader::resolve_namespaces`] for a tag that declares nothing (no attribute name
    /// starts with "xmlns") but has prefixed names, such as `xml:lang`: the same checks in
    /// the same order, looking only at the names that have a colon. (The general path
    /// cost about 300 instructions per such tag, an eighth of all the work on
    /// freedesktop.org.xml.)
    fn resolve_prefixes(&mut self) -> Result<(), (Error, usize)> {
        let src = tag_text(&self.frames, self.tag_src);
        let buf = &self.attr_buf;
        let mut prefixed = 0;
        for a in self.attrs.iter_mut().filter(|a| a.colon) {
            a.prefix_len =
                qname_prefix_len(a.name(src, buf), "attribute").map_err(|e| (e, a.offset()))?;
            prefixed += 1;
        }
        let name = src.get(1..1 + self.tag.name_len as usize).unwrap_or("");
        self.tag_prefix_len = 0;
        self.tag_ns = self.ns.default_ns();
        if self.tag.name_colon {
            let pl = qname_prefix_len(name, "element").map_err(|e| (e, 0))?;
            let prefix = &name[..pl as usize];
            if prefix == "xmlns" {
                return Err((
                    ns_err(format!("element '{name}' uses the reserved prefix 'xmlns'")),
                    0,
                ));
            }
            let Some(ns) = self.ns.resolve(prefix) else {
                return Err((
                    ns_err(format!(
                        "the prefix '{prefix}' of element '{name}' is not declared"
                    )),
                    0,
                ));
            };
            self.tag_prefix_len = pl;
            self.tag_ns = Some(ns);
        }
        for a in self.attrs.iter_mut().filter(|a| a.colon) {
            let name = a.name(src, buf);
            let prefix = &name[..a.prefix_len as usize];
            let resolved = if prefix == "xml" {
                Some(self.ns.xml_span())
            } else {
                self.ns.resolve(prefix)
            };
            let Some(ns) = resolved else {
                return Err((
                    ns_err(format!(
                        "the prefix '{prefix}' of attribute '{name}' is not declared"
                    )),
                    a.offset(),
                ));
            };
            a.ns = Some(ns);
        }
        if prefixed > 1 {
            self.check_unique_expanded()?;
        }
        Ok(())
    }

    fn check_unique_expanded(&self) -> Result<(), (Error, usize)> {
        let src = tag_text(&self.frames, self.tag_src);
        let buf = &self.attr_buf;
        let nsb = &self.ns.buf;
        let key = |a: &AttrRec| {
            let n = a.name(src, buf);
            (a.ns.map(|s| s.of(nsb)), &n[a.prefix_len as usize + 1..])
        };
        let err = |a: &AttrRec| {
            let e = Error::new(
                ErrorKind::DuplicateAttribute,
                "Namespaces in XML 1.0 §6.3 (NSC: Attributes Unique)",
                format!(
                    "attribute '{}' has the same namespace and local name as another attribute of the tag",
                    a.name(src, buf)
                ),
            );
            (e, a.offset())
        };
        // Only prefixed attributes other than namespace declarations can collide under
        // different qualified names (unprefixed ones are in no namespace).
        let candidate =
            |a: &&AttrRec| a.prefix_len > 0 && a.ns.is_some() && !is_xmlns_decl(a.name(src, buf));
        let count = self.attrs.iter().filter(candidate).count();
        if count < 2 {
            return Ok(());
        }
        if count <= SMALL {
            let list = self.attrs.iter().filter(candidate);
            for (i, a) in list.clone().enumerate() {
                if list.clone().take(i).any(|b| key(b) == key(a)) {
                    return Err(err(a));
                }
            }
            return Ok(());
        }
        let mut seen = HashSet::with_capacity(count);
        for a in self.attrs.iter().filter(candidate) {
            if !seen.insert(key(a)) {
                return Err(err(a));
            }
        }
        Ok(())
    }

    /// An end tag, XML 1.0 \[42\]; the caller reports the element's end.
    pub(crate) fn end_tag(&mut self) -> Result<(), Error> {
        let top = self.top();
        let Some(open) = self.open.last() else {
            return Err(self.err_here(
                ErrorKind::Syntax,
                "XML 1.0 [39] element",
                "an end tag with no open element",
            ));
        };
        let expected = open.name.of(&self.names);
        // Fast path: `</name>` exactly as opened (no rescanning of the name).
        let fr = &self.frames[top];
        let rest = fr.rest().as_bytes();
        let n = expected.len();
        let matched = if rest.len() >= n + 3 && &rest[2..2 + n] == expected.as_bytes() {
            match rest[2 + n] {
                b'>' => Some(n + 3),
                c if chars::is_space(c) => {
                    let ws = rest[2 + n..]
                        .iter()
                        .take_while(|&&c| chars::is_space(c))
                        .count();
                    (rest.get(2 + n + ws) == Some(&b'>')).then_some(2 + n + ws + 1)
                }
                _ => None,
            }
        } else {
            None
        };
        let mut start = fr.pos;
        match matched {
            Some(len) => self.frames[top].pos += len,
            None => {
                let max = self.options.limits.max_name_len;
                // `token` may read more and drop consumed text, moving the window: the tag
                // starts where it says.
                (_, start, _) = self.token("an end tag", "XML 1.0 [42] ETag", |c, ctx| {
                    c.i = 2;
                    let name = c.name(max, "an element name")?;
                    ctx.scratch.clear();
                    ctx.scratch.push_str(name);
                    c.ws();
                    if !c.eat(b'>')? {
                        return Err(c.syntax(format!("expected '>' to close the end tag </{name}")));
                    }
                    Ok(())
                })?;
                let expected = self
                    .open
                    .last()
                    .map(|o| o.name.of(&self.names))
                    .unwrap_or("");
                if expected != self.scratch {
                    let e = Error::new(
                        ErrorKind::TagMismatch,
                        "WFC: Element Type Match",
                        format!(
                            "end tag </{}> does not match the open element <{expected}>",
                            self.scratch
                        ),
                    );
                    return Err(self.err_at(top, start, e));
                }
            }
        }
        if self.frames[top].kind == FrameKind::General
            && self.open.len() == self.frames[top].depth_at_start
        {
            let expected = self
                .open
                .last()
                .map(|o| o.name.of(&self.names))
                .unwrap_or("");
            let e = Error::new(
                ErrorKind::EntityStructure,
                "XML 1.0 §4.3.2 (WF parsed entities)",
                format!(
                    "the end tag </{expected}> in an entity closes an element opened outside it"
                ),
            );
            return Err(self.err_at(top, start, e));
        }
        Ok(())
    }

    /// A character or entity reference in content, XML 1.0 \[66\]-\[68\].
    pub(crate) fn reference(&mut self) -> Result<Option<Ev>, Error> {
        let top = self.top();
        let max = self.options.limits.max_name_len;
        let (r, start, _) = self.token("a reference", "XML 1.0 [67] Reference", |c, ctx| {
            c.i = 1;
            ctx.scratch.clear();
            if c.eat(b'#')? {
                let ch = char_ref(c)?;
                ctx.scratch.push(ch);
                return Ok(false);
            }
            let name = entity_ref_name(c, max, '&')?;
            if !c.eat(b';')? {
                return Err(c.syntax(format!("expected ';' after '&{name}'")));
            }
            ctx.scratch.push_str(name);
            Ok(true)
        })?;
        if !r {
            let len = self.scratch.len();
            return Ok(Some(Ev::Text(Loc::Scratch(0, len))));
        }
        if let Some(c) = predefined(&self.scratch) {
            self.scratch.clear();
            self.scratch.push(c);
            return Ok(Some(Ev::Text(Loc::Scratch(0, 1))));
        }
        let standalone = self.standalone == Some(true);
        let ent = self.dtd.general(&self.scratch).cloned();
        let Some(ent) = ent else {
            if self.dtd.must_declare(standalone) {
                let e = undeclared(&self.scratch);
                return Err(self.err_at(top, start, e));
            }
            return self.skipped_here(top, start);
        };
        if let Err(e) = check_entity_use(&ent, standalone, false) {
            return Err(self.err_at(top, start, e));
        }
        if self
            .frames
            .iter()
            .any(|f| f.kind == FrameKind::General && f.name.as_deref() == Some(&ent.name))
        {
            let e = recursion(&ent.name);
            return Err(self.err_at(top, start, e));
        }
        if self.frames.len() > self.options.limits.max_entity_depth {
            let e = entity_depth(&self.options.limits);
            return Err(self.err_at(top, start, e));
        }
        match &ent.kind {
            EntityKind::Internal(text) => {
                self.count_expansion(text.len())?;
                // The copy of the replacement text is kept until the entity ends.
                if let Err(e) = self.budget.charge(text.len(), EXPANDING) {
                    return Err(self.err_at(top, start, e));
                }
                let mut f = Frame::fixed(text.to_string(), FrameKind::General);
                f.charged = text.len();
                f.name = Some(ent.name.clone());
                f.label = Some(Arc::from(format!("&{};", ent.name)));
                f.depth_at_start = self.open.len();
                self.frames.push(f);
                Ok(None)
            }
            EntityKind::External { system, base, .. } => {
                let frame =
                    self.open_external(system, base.as_deref(), FrameKind::General, &ent.name)?;
                match frame {
                    Some(mut f) => {
                        f.depth_at_start = self.open.len();
                        self.frames.push(f);
                        self.external_text_decl()?;
                        Ok(None)
                    }
                    None => self.skipped_here(top, start),
                }
            }
        }
    }
}

/// The token parser of a start tag: records the element name's length and each attribute
/// as spans into the tag's text; only values that normalization changes are written to
/// `ctx.attr_buf`. Returns whether the tag was an empty-element tag.
fn parse_start_tag(c: &mut Cur<'_>, ctx: &mut TokenCtx<'_>) -> PResult<bool> {
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
            return Err(Stop::Fail(too_many_attrs(ctx.limits), vat));
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
                (ctx.expanded, ctx.read),
                ctx.limits,
            )
            .map_err(|(e, at)| Stop::Fail(e, vat + at))?;
            // Expanded values are held whole with the tag: they count against the token
            // limit.
            if ctx.attr_buf.len() > ctx.limits.max_token_len {
                return Err(Stop::Fail(
                    crate::reader::token_too_long(ctx.limits.max_token_len),
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
fn scan_simple_start_tag(
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

/// Bytes that attribute-value normalization changes or rejects (§3.3.3, WFC: No < in
/// Attribute Values): a table lookup per byte is cheaper than five comparisons.
static ATTR_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

/// [`ATTR_SPECIAL`] and both quotes: where the one-pass value scan must stop and look.
static VALUE_STOP: [bool; 256] = {
    let mut t = ATTR_SPECIAL;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
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
    (expanded, read): (&mut u64, u64),
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
                                return Err((undeclared(&name), at(i, outer_at)));
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
                        if stack.iter().any(|l| l.2.as_deref() == Some(&*ent.name)) {
                            return Err((recursion(&ent.name), at(i, outer_at)));
                        }
                        if stack.len() > limits.max_entity_depth {
                            return Err((entity_depth(limits), at(i, outer_at)));
                        }
                        // The same measure as Reader::check_amplification: all expansion
                        // so far against all input read so far.
                        *expanded += rt.len() as u64;
                        if *expanded > limits.amplification_threshold
                            && *expanded > read.max(1).saturating_mul(limits.max_amplification)
                        {
                            return Err((
                                crate::reader::amplification(*expanded, read, limits),
                                at(i, outer_at),
                            ));
                        }
                        if out.len() > limits.max_token_len {
                            return Err((
                                crate::reader::token_too_long(limits.max_token_len),
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

pub(crate) fn undeclared(name: &str) -> Error {
    Error::new(
        ErrorKind::BadEntityReference,
        "WFC: Entity Declared",
        format!("reference to the undeclared entity '{name}'"),
    )
}

pub(crate) fn recursion(name: &str) -> Error {
    Error::new(
        ErrorKind::RecursiveEntity,
        "WFC: No Recursion",
        format!("entity '{name}' refers to itself, directly or through other entities"),
    )
}

pub(crate) fn entity_depth(l: &Limits) -> Error {
    Error::limit_exceeded(
        crate::Limit::MaxEntityDepth,
        l.max_entity_depth as u64,
        "entity references are nested too deeply",
    )
}

fn too_many_attrs(l: &Limits) -> Error {
    Error::limit_exceeded(
        crate::Limit::MaxAttributes,
        l.max_attributes as u64,
        "a tag has too many attributes",
    )
}

fn ns_err(msg: String) -> Error {
    Error::new(ErrorKind::Namespace, "Namespaces in XML 1.0", msg)
}

/// Whether a (short) name has a colon: a plain loop beats a memchr call here.
#[inline]
fn has_colon(name: &str) -> bool {
    name.bytes().any(|b| b == b':')
}

fn is_xmlns_decl(n: &str) -> bool {
    n == "xmlns" || n.starts_with("xmlns:")
}

/// Namespaces in XML 1.0 \[7\] QName: the prefix length (0 when unprefixed). `name` is
/// already a valid \[5\] Name, so it is a QName when it has at most one colon, not first or
/// last, and the local part starts with a name-start character.
#[inline]
pub(crate) fn qname_prefix_len(name: &str, what: &str) -> Result<u32, Error> {
    // Names are short: plain loops find the colons (a memchr call costs more here).
    let b = name.as_bytes();
    let mut k = 0;
    while k < b.len() && b[k] != b':' {
        k += 1;
    }
    if k == b.len() {
        return Ok(0);
    }
    let mut j = k + 1;
    while j < b.len() && b[j] != b':' {
        j += 1;
    }
    if k > 0 && j == b.len() && chars::starts_ncname(&name[k + 1..]) {
        return Ok(k as u32);
    }
    Err(not_qname(name, what))
}

#[cold]
fn not_qname(name: &str, what: &str) -> Error {
    ns_err(format!(
        "{what} name '{name}' is not a qualified name (prefix:local, one colon, both parts names)"
    ))
}

/// The rules for binding a prefix (Namespaces in XML 1.0 §3, NSC: Reserved Prefixes and
/// Namespace Names, NSC: No Prefix Undeclaring).
fn check_binding(prefix: &str, uri: &str) -> Result<(), Error> {
    if prefix == "xmlns" {
        return Err(ns_err("the prefix 'xmlns' must not be declared".into()));
    }
    if prefix == "xml" {
        if uri != XML_NS {
            return Err(ns_err(format!(
                "the prefix 'xml' may only be bound to {XML_NS}"
            )));
        }
        return Ok(());
    }
    if uri == XML_NS {
        return Err(ns_err(format!(
            "{XML_NS} may only be bound to the prefix 'xml'"
        )));
    }
    if uri == XMLNS_NS {
        return Err(ns_err(format!("{XMLNS_NS} must not be declared")));
    }
    if !prefix.is_empty() && uri.is_empty() {
        return Err(ns_err(format!(
            "xmlns:{prefix}=\"\" is not allowed: Namespaces in XML 1.0 cannot undeclare a prefix"
        )));
    }
    Ok(())
}
