//! The attributes of one start tag once its text is parsed: the defaults the DTD declares
//! for the attributes the tag leaves out (XML 1.0 §3.3.2), then WFC: Unique Att Spec
//! (\[40\]-\[41\]). A narrow view ([`TagAttrs`]) of the parser's attribute buffers, lent for one
//! tag by `tags` (as `tag_parser`'s `TokenCtx` is for one token): nothing here needs the
//! frames, the open elements or the rest of the parser.

use crate::dtd::ElementAtts;
use crate::event::{AttrRec, Span};
use crate::tag_parser::TagScan;
use crate::{Error, ErrorKind};
use std::collections::HashSet;

/// Above this many attributes, duplicate detection uses a hash set instead of comparing pairs.
const SMALL: usize = 8;

/// One start tag's attributes: a view of the parser's buffers.
pub(crate) struct TagAttrs<'a> {
    /// The tag's text (names of specified attributes are spans into it).
    src: &'a str,
    /// Normalized values and defaulted names and values.
    buf: &'a mut String,
    attrs: &'a mut Vec<AttrRec>,
    /// What the scan learned about the tag's names (a defaulted name may add a colon or an
    /// `xmlns`).
    scan: &'a mut TagScan,
}

impl<'a> TagAttrs<'a> {
    pub(crate) fn new(
        src: &'a str,
        buf: &'a mut String,
        attrs: &'a mut Vec<AttrRec>,
        scan: &'a mut TagScan,
    ) -> Self {
        TagAttrs {
            src,
            buf,
            attrs,
            scan,
        }
    }

    /// Adds the declared defaults of the attributes the tag does not specify (XML 1.0
    /// §3.3.2), in declaration order. Returns how many bytes they add: output made from no
    /// input, which the caller counts as expansion (a long attribute list applied to many
    /// empty tags is an amplification attack even when the values are empty). The error
    /// (`Limits::max_attributes`) has no position: the caller puts it at the tag.
    pub(crate) fn add_defaults(
        &mut self,
        decls: &ElementAtts,
        max_attributes: usize,
    ) -> Result<usize, Error> {
        let src = self.src;
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
            if self.attrs.len() + missing.len() > max_attributes {
                return Err(Error::too_many_attributes(max_attributes));
            }
        }
        for (name, value) in missing {
            let colon = has_colon(name);
            self.scan.colon |= colon;
            self.scan.xmlns |= name.starts_with("xmlns");
            let name = Span::push(self.buf, name);
            let value = Span::push(self.buf, value);
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
        Ok(added)
    }

    /// WFC: Unique Att Spec, in linear time. On error, the offset of the second attribute
    /// in the tag.
    #[inline]
    pub(crate) fn check_unique(&self) -> Result<(), (Error, usize)> {
        let (src, buf) = (self.src, &**self.buf);
        let attrs = &**self.attrs;
        let n = attrs.len();
        let dup = |name: &str| {
            Error::new(
                ErrorKind::DuplicateAttribute,
                "WFC: Unique Att Spec",
                format!("attribute '{name}' appears more than once in the same tag"),
            )
        };
        if n <= SMALL {
            for i in 1..n {
                let a = attrs[i].name(src, buf);
                for j in 0..i {
                    if a == attrs[j].name(src, buf) {
                        return Err((dup(a), attrs[i].offset()));
                    }
                }
            }
        } else {
            let mut seen = HashSet::with_capacity(n);
            for a in attrs {
                let s = a.name(src, buf);
                if !seen.insert(s) {
                    return Err((dup(s), a.offset()));
                }
            }
        }
        Ok(())
    }
}

/// Whether a (short) name has a colon: a plain loop beats a memchr call here.
#[inline]
fn has_colon(name: &str) -> bool {
    name.bytes().any(|b| b == b':')
}

#[cfg(test)]
mod tests {
    use crate::test_rows::first_error;
    use crate::{ErrorKind, Event, Options, Reader};

    /// Generated: for every tag size on both sides of `SMALL` (pairs compared below it, a
    /// hash set above) and every pair of attributes, a repeated name is reported at the
    /// second one, whichever path ran.
    #[test]
    fn a_duplicate_is_found_at_the_second_name_on_both_paths() {
        for n in 2..=20 {
            for first in 0..n {
                for second in first + 1..n {
                    let mut doc = String::from("<r");
                    let mut at = 0;
                    for k in 0..n {
                        let name = if k == second { first } else { k };
                        if k == second {
                            at = doc.len() + 1;
                        }
                        doc.push_str(&format!(" a{name}='v'"));
                    }
                    doc.push_str("/>");
                    let got = first_error(doc.as_bytes(), Options::default());
                    let want = (
                        ErrorKind::DuplicateAttribute,
                        "WFC: Unique Att Spec",
                        1,
                        at as u64 + 1,
                    );
                    assert_eq!(got, Some(want), "{doc}");
                }
            }
        }
    }

    /// The attributes of the first start tag: (name, value, specified).
    fn attributes(doc: &str) -> Vec<(String, String, bool)> {
        let mut r = Reader::new(doc.as_bytes(), Options::default());
        loop {
            match r.next_event() {
                Ok(Some(Event::StartElement(s))) => {
                    return s
                        .attributes()
                        .map(|a| (a.name.to_string(), a.value.to_string(), a.specified))
                        .collect()
                }
                Ok(Some(_)) => {}
                other => panic!("{doc}: {other:?}"),
            }
        }
    }

    /// Generated: m declared attributes, every other one with a default, against tags that
    /// specify the first k of them (on both sides of `SMALL`): the specified ones come first
    /// as written, then each default not specified, once, in declaration order; #IMPLIED
    /// ones never appear.
    #[test]
    fn defaults_fill_exactly_the_unspecified_declared_attributes() {
        for m in [1, 5, 12, 30] {
            for k in [0, 1, 4, 9, 20, 30] {
                let k: usize = k.min(m);
                let mut doc = String::from("<!DOCTYPE r [<!ATTLIST r");
                for i in 0..m {
                    if i % 2 == 0 {
                        doc.push_str(&format!(" a{i} CDATA 'd{i}'"));
                    } else {
                        doc.push_str(&format!(" a{i} CDATA #IMPLIED"));
                    }
                }
                doc.push_str(">]><r");
                for i in 0..k {
                    doc.push_str(&format!(" a{i}='s{i}'"));
                }
                doc.push_str("/>");
                let mut want: Vec<(String, String, bool)> = (0..k)
                    .map(|i| (format!("a{i}"), format!("s{i}"), true))
                    .collect();
                want.extend(
                    (k..m)
                        .filter(|i| i % 2 == 0)
                        .map(|i| (format!("a{i}"), format!("d{i}"), false)),
                );
                assert_eq!(attributes(&doc), want, "{doc}");
            }
        }
    }

    /// A default that would take the tag over `Limits::max_attributes` is refused at '<'.
    #[test]
    fn defaults_count_towards_the_attribute_limit() {
        let options =
            Options::default().with_limits(crate::Limits::default().with_max_attributes(3));
        let doc = "<!DOCTYPE r [<!ATTLIST r a CDATA 'x' b CDATA 'y'>]>\n  <r c='1' d='2'/>";
        let got = first_error(doc.as_bytes(), options).map(|e| (e.0, e.2, e.3));
        assert_eq!(got, Some((ErrorKind::Limit, 2, 3)));
    }
}
