//! Start tags, end tags and references in content, as the reader drives them: XML 1.0
//! \[39\]-\[44\], \[66\]-\[68\]. The tag's text is parsed by the tag parser (`tag_parser`), its
//! attribute values by `attrs`, its DTD defaults (§3.3.2) and unique names by `tag_attrs`,
//! its names resolved by the namespace scope (`namespaces`); this module puts the parts
//! together, keeps the stack of open elements, and pushes entity frames for references in
//! content (through the expansion guard). End tags and references stay methods of the
//! parser: they read and change the open elements, the frames and the skipped entities
//! together, so a view of them would be the parser again.

use crate::attrs::{char_ref, check_entity_use, entity_ref_name, predefined};
use crate::budget::{ELEMENT_OVERHEAD, EXPANDING};
use crate::dtd::EntityKind;
use crate::event::Span;
use crate::guard::EntityClass;
use crate::input::{Frame, FrameKind};
use crate::namespaces::TagNames;
use crate::reader::{Ev, Loc, Open, Parser};
use crate::tag_attrs::TagAttrs;
use crate::tag_parser::{parse_start_tag, scan_simple_start_tag, tag_text};
use crate::{chars, Error, ErrorKind};
use std::sync::Arc;

impl Parser {
    /// A start tag or empty-element tag at the top frame's position; returns whether it was
    /// an empty-element tag. (The caller makes the event: a `bool` comes back in a register,
    /// while an `Ev` came back through memory at the cost of a store-forwarding stall.)
    pub(crate) fn start_tag(&mut self) -> Result<bool, Error> {
        if self.open.len() >= self.options.limits.max_depth {
            let max = self.options.limits.max_depth;
            return Err(self.at_here(Error::limit_exceeded(
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
            self.add_defaults(top, start)?;
        }
        // An error about one attribute is reported where its name is (`at` is an offset in
        // the tag); one about the element, or an attribute defaulted from the DTD, at '<'.
        if self.attrs.len() > 1 {
            let src = tag_text(&self.frames, self.tag_src);
            TagAttrs::new(src, &mut self.attr_buf, &mut self.attrs, &mut self.tag)
                .check_unique()
                .map_err(|(e, at)| self.err_at(top, start + at, e))?;
        }
        let mark = self.ns.mark();
        let names = TagNames {
            src: tag_text(&self.frames, self.tag_src),
            buf: &self.attr_buf,
            attrs: &mut self.attrs,
            scan: self.tag,
        };
        match self.ns.resolve_tag(names) {
            Ok((prefix_len, ns)) => {
                self.tag_prefix_len = prefix_len;
                self.tag_ns = ns;
            }
            Err((e, at)) => {
                self.ns.unwind(mark);
                return Err(self.err_at(top, start + at, e));
            }
        }
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
        let name_span = Span::push(&mut self.names, name);
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

    /// The DTD's defaults for the start tag just read (at `start` of frame `top`), added by
    /// the tag's attribute view; what they add is counted as expansion.
    fn add_defaults(&mut self, top: usize, start: usize) -> Result<(), Error> {
        let src = tag_text(&self.frames, self.tag_src);
        let elem = src.get(1..1 + self.tag.name_len as usize).unwrap_or("");
        let Some(decls) = self.dtd.attlist(elem) else {
            return Ok(());
        };
        let max = self.options.limits.max_attributes;
        let added = TagAttrs::new(src, &mut self.attr_buf, &mut self.attrs, &mut self.tag)
            .add_defaults(decls, max)
            .map_err(|e| self.err_at(top, start, e))?;
        if added > 0 {
            self.count_expansion(added)?;
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
                let e = Error::undeclared_entity(&self.scratch);
                return Err(self.err_at(top, start, e));
            }
            return self.skipped_here(top, start);
        };
        if let Err(e) = check_entity_use(&ent, standalone, false) {
            return Err(self.err_at(top, start, e));
        }
        // The expansion guard: recursion against the general entities being expanded, then
        // the depth (the amplification is counted below, by `count_expansion`).
        let open = self
            .frames
            .iter()
            .filter(|f| f.kind == FrameKind::General)
            .filter_map(|f| f.name.as_deref());
        if let Err(e) = self
            .guard
            .enter(&ent.name, EntityClass::General, open, self.frames.len())
        {
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
                let frame = self.entity_stack().open_external(
                    system,
                    base.as_deref(),
                    FrameKind::General,
                    &ent.name,
                )?;
                match frame {
                    Some(mut f) => {
                        f.depth_at_start = self.open.len();
                        self.frames.push(f);
                        self.entity_stack().external_text_decl()?;
                        Ok(None)
                    }
                    None => self.skipped_here(top, start),
                }
            }
        }
    }
}
