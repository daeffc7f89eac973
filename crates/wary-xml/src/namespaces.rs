//! Namespace bindings in scope (Namespaces in XML 1.0 §5). The default namespace has its own
//! stack (most elements are unprefixed, so their lookup is one read); prefixes map to a stack
//! each, so a lookup costs the same however many declarations are in force. The map's hasher
//! is keyed per process (foldhash's `RandomState`), so a document cannot choose prefixes that
//! collide.

use crate::event::{AttrRec, Span};
use crate::tag_parser::TagScan;
use crate::{chars, Error, ErrorKind};
use std::collections::{HashMap, HashSet};

/// Above this many candidates, NSC: Attributes Unique uses a hash set instead of comparing
/// pairs.
const SMALL: usize = 8;

/// `http://www.w3.org/XML/1998/namespace`, bound to `xml` by definition.
pub(crate) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// `http://www.w3.org/2000/xmlns/`, the namespace of `xmlns` attributes.
pub(crate) const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// The names of one start tag, as namespace resolution sees them: a view borrowed from the
/// reader (the tag's text, the buffer of normalized values, the attributes) for one call.
pub(crate) struct TagNames<'a> {
    pub src: &'a str,
    pub buf: &'a str,
    pub attrs: &'a mut [AttrRec],
    pub scan: TagScan,
}

/// An element's prefix length and namespace (a span in [`Namespaces`]'s buffer).
pub(crate) type Resolved = (u32, Option<Span>);

pub(crate) struct Namespaces {
    /// URIs (and the prefixes of the undo log), back to back.
    buf: String,
    /// URIs bound to the default namespace, innermost last; an empty span undeclares it.
    default: Vec<Span>,
    /// For each prefix, the URIs bound to it, innermost last.
    map: HashMap<Box<str>, Vec<Span>, foldhash::fast::RandomState>,
    /// Prefixes bound, in order (an empty span for the default namespace), so that an
    /// element's bindings can be undone.
    undo: Vec<Span>,
}

impl Default for Namespaces {
    fn default() -> Self {
        let mut ns = Namespaces {
            buf: String::new(),
            default: Vec::new(),
            map: HashMap::default(),
            undo: Vec::new(),
        };
        Span::push(&mut ns.buf, XMLNS_NS);
        ns.bind("xml", XML_NS);
        // The built-in binding is never unwound: forget its undo entry.
        ns.undo.clear();
        ns
    }
}

impl Namespaces {
    /// The buffer the spans this scope hands out point into (events borrow it).
    #[inline]
    pub fn uris(&self) -> &str {
        &self.buf
    }

    /// Where `http://www.w3.org/2000/xmlns/` is in `buf`.
    pub fn xmlns_span(&self) -> Span {
        Span {
            start: 0,
            end: XMLNS_NS.len() as u32,
        }
    }

    /// Where `http://www.w3.org/XML/1998/namespace` is in `buf` (bound to `xml` first).
    pub fn xml_span(&self) -> Span {
        let start = XMLNS_NS.len() as u32 + 3;
        Span {
            start,
            end: start + XML_NS.len() as u32,
        }
    }

    /// The current mark, to unwind to when the element ends.
    pub fn mark(&self) -> (usize, usize) {
        (self.undo.len(), self.buf.len())
    }

    /// Binds `prefix` ("" for the default namespace) to `uri` until the current element ends.
    pub fn bind(&mut self, prefix: &str, uri: &str) {
        let p = Span::push(&mut self.buf, prefix);
        let u = Span::push(&mut self.buf, uri);
        if prefix.is_empty() {
            self.default.push(u);
        } else if let Some(v) = self.map.get_mut(prefix) {
            v.push(u);
        } else {
            self.map.insert(prefix.into(), vec![u]);
        }
        self.undo.push(p);
    }

    /// The default namespace in scope.
    #[inline]
    pub fn default_ns(&self) -> Option<Span> {
        match self.default.last() {
            Some(s) if s.start != s.end => Some(*s),
            _ => None,
        }
    }

    /// The URI bound to `prefix` (`None` if unbound, or the default namespace undeclared).
    pub fn resolve(&self, prefix: &str) -> Option<Span> {
        if prefix.is_empty() {
            return self.default_ns();
        }
        self.map.get(prefix).and_then(|v| v.last()).copied()
    }

    /// The bytes kept for the bindings made since `mark` (their text, and bookkeeping per
    /// binding), as the memory budget counts them.
    #[inline]
    pub fn retained_since(&self, mark: (usize, usize)) -> usize {
        self.buf.len().saturating_sub(mark.1)
            + self.undo.len().saturating_sub(mark.0) * crate::budget::BINDING_OVERHEAD
    }

    /// Undoes the bindings made since `mark`.
    #[inline]
    pub fn unwind(&mut self, mark: (usize, usize)) {
        // Most elements bind nothing: nothing to undo.
        if self.undo.len() == mark.0 && self.buf.len() == mark.1 {
            return;
        }
        self.unwind_bindings(mark);
    }

    fn unwind_bindings(&mut self, mark: (usize, usize)) {
        while self.undo.len() > mark.0 {
            let Some(p) = self.undo.pop() else { break };
            if p.start == p.end {
                self.default.pop();
            } else {
                let prefix = p.of(&self.buf);
                if let Some(v) = self.map.get_mut(prefix) {
                    v.pop();
                    // Forget prefixes no longer bound, so that a long document declaring a
                    // new prefix on each element does not grow the map without end.
                    if v.is_empty() {
                        self.map.remove(prefix);
                    }
                }
            }
        }
        self.buf.truncate(mark.1);
    }
}

/// Resolving one start tag's names (Namespaces in XML 1.0 §5, §6).
impl Namespaces {
    /// Namespaces in XML 1.0: binds this tag's declarations, resolves the element's and the
    /// attributes' prefixes, and checks NSC: Attributes Unique. On error, the offset in the
    /// tag of the attribute at fault (0 for the element); the caller unwinds the bindings to
    /// its [`Namespaces::mark`]. Returns the element's prefix length and namespace.
    #[inline]
    pub fn resolve_tag(&mut self, t: TagNames<'_>) -> Result<Resolved, (Error, usize)> {
        // Most tags have no colon in any name and declare nothing: then only the default
        // namespace applies, and no name needs to be looked at (the scan told us).
        if !t.scan.colon && !t.scan.xmlns {
            return Ok((0, self.default_ns()));
        }
        if !t.scan.xmlns {
            return self.resolve_prefixes(t);
        }
        self.resolve_declaring(t)
    }

    /// [`Namespaces::resolve_tag`] for a tag with a namespace declaration (or an attribute
    /// name that must be checked as one): the general path.
    pub fn resolve_declaring(&mut self, t: TagNames<'_>) -> Result<Resolved, (Error, usize)> {
        let TagNames {
            src,
            buf,
            attrs,
            scan,
        } = t;
        // 1. Declarations (skipped at once when no attribute name starts with "xmlns").
        let mut prefixed_attrs = false;
        for slot in attrs.iter_mut() {
            let a = *slot;
            let here = |e: Error| (e, a.offset());
            let name = a.name(src, buf);
            if !name.as_bytes().starts_with(b"xmlns") {
                if a.colon {
                    slot.prefix_len = qname_prefix_len(name, "attribute").map_err(here)?;
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
                slot.prefix_len = pl;
                prefixed_attrs |= pl > 0;
                continue;
            };
            let uri = a.value(src, buf);
            check_binding(prefix, uri).map_err(here)?;
            slot.prefix_len = if prefix.is_empty() { 0 } else { 5 };
            slot.ns = Some(self.xmlns_span());
            if prefix != "xml" {
                self.bind(prefix, uri);
            }
        }
        // 2. The element.
        let name = src.get(1..1 + scan.name_len as usize).unwrap_or("");
        let pl = if scan.name_colon {
            qname_prefix_len(name, "element").map_err(|e| (e, 0))?
        } else {
            0
        };
        let prefix = &name[..pl as usize];
        let ns = if prefix == "xmlns" {
            return Err((
                ns_err(format!("element '{name}' uses the reserved prefix 'xmlns'")),
                0,
            ));
        } else if pl == 0 {
            self.resolve("")
        } else {
            match self.resolve(prefix) {
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
            return Ok((pl, ns));
        }
        let mut prefixed = 0;
        for slot in attrs.iter_mut() {
            let a = *slot;
            if a.prefix_len == 0 || a.ns.is_some() {
                continue;
            }
            prefixed += 1;
            let name = a.name(src, buf);
            let prefix = &name[..a.prefix_len as usize];
            let resolved = if prefix == "xml" {
                Some(self.xml_span())
            } else {
                self.resolve(prefix)
            };
            match resolved {
                Some(s) => slot.ns = Some(s),
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
            self.check_unique_expanded(src, buf, attrs)?;
        }
        Ok((pl, ns))
    }

    /// [`Namespaces::resolve_declaring`] for a tag that declares nothing (no attribute name
    /// starts with "xmlns") but has prefixed names, such as `xml:lang`: the same checks in
    /// the same order, looking only at the names that have a colon. (The general path
    /// cost about 300 instructions per such tag, an eighth of all the work on
    /// freedesktop.org.xml.)
    pub fn resolve_prefixes(&mut self, t: TagNames<'_>) -> Result<Resolved, (Error, usize)> {
        let TagNames {
            src,
            buf,
            attrs,
            scan,
        } = t;
        let mut prefixed = 0;
        for a in attrs.iter_mut().filter(|a| a.colon) {
            a.prefix_len =
                qname_prefix_len(a.name(src, buf), "attribute").map_err(|e| (e, a.offset()))?;
            prefixed += 1;
        }
        let name = src.get(1..1 + scan.name_len as usize).unwrap_or("");
        let mut resolved_element = (0, self.default_ns());
        if scan.name_colon {
            let pl = qname_prefix_len(name, "element").map_err(|e| (e, 0))?;
            let prefix = &name[..pl as usize];
            if prefix == "xmlns" {
                return Err((
                    ns_err(format!("element '{name}' uses the reserved prefix 'xmlns'")),
                    0,
                ));
            }
            let Some(ns) = self.resolve(prefix) else {
                return Err((
                    ns_err(format!(
                        "the prefix '{prefix}' of element '{name}' is not declared"
                    )),
                    0,
                ));
            };
            resolved_element = (pl, Some(ns));
        }
        for a in attrs.iter_mut().filter(|a| a.colon) {
            let name = a.name(src, buf);
            let prefix = &name[..a.prefix_len as usize];
            let resolved = if prefix == "xml" {
                Some(self.xml_span())
            } else {
                self.resolve(prefix)
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
            self.check_unique_expanded(src, buf, attrs)?;
        }
        Ok(resolved_element)
    }

    /// NSC: Attributes Unique, in linear time. On error, the offset of the second attribute.
    fn check_unique_expanded(
        &self,
        src: &str,
        buf: &str,
        attrs: &[AttrRec],
    ) -> Result<(), (Error, usize)> {
        let nsb = &self.buf;
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
        let count = attrs.iter().filter(candidate).count();
        if count < 2 {
            return Ok(());
        }
        if count <= SMALL {
            let list = attrs.iter().filter(candidate);
            for (i, a) in list.clone().enumerate() {
                if list.clone().take(i).any(|b| key(b) == key(a)) {
                    return Err(err(a));
                }
            }
            return Ok(());
        }
        let mut seen = HashSet::with_capacity(count);
        for a in attrs.iter().filter(candidate) {
            if !seen.insert(key(a)) {
                return Err(err(a));
            }
        }
        Ok(())
    }
}

pub(crate) fn ns_err(msg: String) -> Error {
    Error::new(ErrorKind::Namespace, "Namespaces in XML 1.0", msg)
}

pub(crate) fn is_xmlns_decl(n: &str) -> bool {
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
pub(crate) fn check_binding(prefix: &str, uri: &str) -> Result<(), Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rows::{check, Expect};

    const NS: &str = "Namespaces in XML 1.0";

    fn e(kind: ErrorKind, rule: &'static str, line: u64, column: u64) -> Option<Expect> {
        Some((kind, rule, line, column))
    }

    /// Namespace constraints, each reported at the name at fault: the attribute's name, or
    /// the element's '<'.
    #[test]
    fn namespace_errors_and_their_positions() {
        use ErrorKind::*;
        check(&[
            ("<r xmlns:p='u'>\n<p:a p:b='1' xml:lang='en'/></r>", None),
            ("<r xmlns='u'>\n<a xmlns=''/></r>", None),
            ("<r>\n<a p:b=\"1\"/></r>", e(Namespace, NS, 2, 4)),
            ("<r>\n<p:a/></r>", e(Namespace, NS, 2, 1)),
            ("<r>\n<a xmlns:p=\"\"/></r>", e(Namespace, NS, 2, 4)),
            ("<r>\n<a xmlns:xmlns=\"u\"/></r>", e(Namespace, NS, 2, 4)),
            ("<r>\n<a xmlns:xml=\"u\"/></r>", e(Namespace, NS, 2, 4)),
            (
                "<r>\n<a xmlns:p=\"http://www.w3.org/XML/1998/namespace\"/></r>",
                e(Namespace, NS, 2, 4),
            ),
            (
                "<r>\n<a xmlns=\"http://www.w3.org/2000/xmlns/\"/></r>",
                e(Namespace, NS, 2, 4),
            ),
            (
                "<r>\n<a xmlns:p=\"u\" xmlns:q=\"u\" p:x=\"1\" q:x=\"2\"/></r>",
                e(
                    DuplicateAttribute,
                    "Namespaces in XML 1.0 §6.3 (NSC: Attributes Unique)",
                    2,
                    36,
                ),
            ),
            ("<r>\n<xmlns:a/></r>", e(Namespace, NS, 2, 1)),
            ("<r>\n<a:b:c/></r>", e(Namespace, NS, 2, 1)),
            ("<r>\n<a b:=\"1\"/></r>", e(Namespace, NS, 2, 4)),
            (
                "<r xmlns:p=\"u\">\n<p:a><q:b/></p:a></r>",
                e(Namespace, NS, 2, 6),
            ),
            ("<r>\n<a xmlns:1p=\"u\"/></r>", e(Namespace, NS, 2, 4)),
            // A binding ends with its element: the prefix is unknown after it.
            ("<r>\n<a xmlns:p='u'/><p:b/></r>", e(Namespace, NS, 2, 17)),
            // Through the fast path (no declaration in the tag) and the general one alike.
            (
                "<r xmlns:p='u'>\n<a p:x='1' p:x='2'/></r>",
                e(DuplicateAttribute, "WFC: Unique Att Spec", 2, 12),
            ),
        ]);
    }

    /// The scope on its own: bindings, lookups and unwinding to a mark.
    #[test]
    fn scope_binds_resolves_and_unwinds() {
        let mut ns = Namespaces::default();
        let uri = |ns: &Namespaces, p: &str| ns.resolve(p).map(|s| s.of(ns.uris()).to_string());
        assert_eq!(uri(&ns, "xml").as_deref(), Some(XML_NS));
        assert_eq!(uri(&ns, ""), None);
        let outer = ns.mark();
        ns.bind("", "urn:d");
        ns.bind("p", "urn:p");
        let inner = ns.mark();
        ns.bind("p", "urn:q");
        ns.bind("", "");
        assert_eq!(uri(&ns, "p").as_deref(), Some("urn:q"));
        // An empty default namespace undeclares it.
        assert_eq!(ns.default_ns().map(|s| s.of(ns.uris()).to_string()), None);
        assert!(ns.retained_since(inner) > 0);
        ns.unwind(inner);
        assert_eq!(uri(&ns, "p").as_deref(), Some("urn:p"));
        assert_eq!(
            ns.default_ns()
                .map(|s| s.of(ns.uris()).to_string())
                .as_deref(),
            Some("urn:d")
        );
        ns.unwind(outer);
        assert_eq!(uri(&ns, "p"), None);
        assert_eq!(ns.retained_since(outer), 0);
    }

    /// Qualified names (Namespaces in XML 1.0 \[7\]): the prefix length or an error.
    #[test]
    fn qualified_names() {
        let rows: &[(&str, Option<u32>)] = &[
            ("a", Some(0)),
            ("a:b", Some(1)),
            ("abc:d", Some(3)),
            ("a:b:c", None),
            (":a", None),
            ("a:", None),
            ("a:1", None),
            ("a:-b", None),
            ("a:é", Some(1)),
            ("é:a", Some(2)),
            ("xmlns:a", Some(5)),
            ("a::b", None),
            ("a:b.c", Some(1)),
            ("a:_", Some(1)),
            ("a:.", None),
        ];
        for &(name, want) in rows {
            assert_eq!(qname_prefix_len(name, "element").ok(), want, "{name}");
        }
    }
}
