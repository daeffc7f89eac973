//! Which charset an entity is in (XML 1.0 §4.3.3 and Appendix F): the byte-order mark or
//! first bytes, then the encoding its XML or text declaration names, read whole, however
//! much white space it holds, up to the token limit. The reader checks the declaration it
//! parses against the result ([`InUse::confirm`]).

use crate::chars;
use crate::charset::{self, Charset, How};
use crate::cursor::Cur;
use crate::{Error, ErrorKind};
use std::io::Read;

/// What sniffing an entity decided.
pub(crate) struct Sniffed {
    /// Length of the byte-order mark, which is not text.
    pub bom_len: usize,
    pub in_use: InUse,
}

/// Decides the charset of an entity from its first bytes, `head` (`ended`: the entity has
/// no more). Returns `None` when the decision needs more bytes than `head` holds.
///
/// A pure function of the bytes, whatever their split into reads or feeds (issue 11): the
/// byte-order mark or first four bytes (§4.3.3, Appendix F), then the first six code units,
/// then, for `<?xml`, the XML or text declaration read whole, however much white space it
/// holds, up to `max_decl` units (the token limit, which the reader then enforces on it).
/// `document` is true for the document entity, which must start with `<` or white space.
pub(crate) fn sniff(
    head: &[u8],
    ended: bool,
    max_decl: usize,
    document: bool,
) -> Result<Option<Sniffed>, Error> {
    if head.len() < 4 && !ended {
        return Ok(None);
    }
    let (family, bom_len) = match head {
        [0xEF, 0xBB, 0xBF, ..] => (Family::Utf8Bom, 3),
        [0xFF, 0xFE, 0, 0, ..]
        | [0, 0, 0xFE, 0xFF, ..]
        | [0, 0, 0, 0x3C, ..]
        | [0x3C, 0, 0, 0, ..] => {
            return Err(unsupported("UTF-32 (or UCS-4)"));
        }
        [0xFE, 0xFF, ..] => (Family::Utf16Be, 2),
        [0xFF, 0xFE, ..] => (Family::Utf16Le, 2),
        [0x3C, 0, 0x3F, 0, ..] => (Family::Utf16LeNoBom, 0),
        [0, 0x3C, 0, 0x3F, ..] => (Family::Utf16BeNoBom, 0),
        [0x4C, 0x6F, 0xA7, 0x94, ..] => return Err(unsupported("EBCDIC")),
        // A zero byte is never text in an ASCII-based encoding (U+0000 is not a [2]
        // Char): one among the first two bytes means UTF-16 without its byte-order mark.
        [a, 0, ..] if *a != 0 => return Err(utf16_without_bom("little-endian", head)),
        [0, b, ..] if *b != 0 => return Err(utf16_without_bom("big-endian", head)),
        _ => (Family::Ascii, 0),
    };
    let rest = head.get(bom_len..).unwrap_or_default();
    let unit = family.unit();
    let le = matches!(family, Family::Utf16Le | Family::Utf16LeNoBom);
    if rest.len() < 6 * unit && !ended {
        return Ok(None);
    }
    if matches!(family, Family::Utf16Be | Family::Utf16Le) {
        check_utf16_after_bom(&rest[..rest.len().min(6 * unit)], le, document)?;
    }
    let mut decl = String::new();
    if ascii_of(rest, unit, le, 0, 6, &mut decl) && is_decl_start(&decl) {
        // The declaration ends at the first "?>", a unit that cannot be in a declaration,
        // the end, or the cap; bytes beyond the cap are never looked at, so that the
        // decision is the same however many bytes arrived at once.
        let cap = max_decl.saturating_add(2).saturating_mul(unit);
        let view = &rest[..rest.len().min(cap)];
        let whole = ascii_of(view, unit, le, 6, view.len() / unit, &mut decl);
        match decl[5..].find("?>") {
            Some(end) => decl.truncate(5 + end + 2),
            None if whole && !ended && rest.len() < cap => return Ok(None),
            None => {}
        }
    }
    let declared = declared_encoding(&decl);
    let (charset, problem) = match resolve(family, declared.as_deref()) {
        Ok(c) => (c, None),
        // Decode the declaration in the family's own encoding, so that the reader can
        // parse it and report the problem where the declaration names the encoding.
        Err(e) => (resolve(family, None)?, Some(e)),
    };
    Ok(Some(Sniffed {
        bom_len,
        in_use: InUse {
            family,
            charset,
            problem,
        },
    }))
}

/// Reads the start of an entity from `raw` until [`sniff`] decides; returns the decision,
/// the bytes read (byte-order mark included) and whether `raw` ended. Reads grow the head
/// at least twice each time, so this is linear in the declaration's length.
pub(crate) fn sniff_read(
    raw: &mut dyn Read,
    max_decl: usize,
    document: bool,
) -> Result<(Sniffed, Vec<u8>, bool), Error> {
    let mut head = Vec::with_capacity(512);
    let mut ended = false;
    loop {
        if let Some(s) = sniff(&head, ended, max_decl, document)? {
            return Ok((s, head, ended));
        }
        let want = (head.len() * 2).max(head.len() + 512);
        ended = read_at_least(raw, &mut head, want)?;
    }
}

/// The charset an entity is read in, and the check of its declaration against it.
pub(crate) struct InUse {
    family: Family,
    charset: Charset,
    /// A problem with the declared encoding (unsupported, or contradicting the byte-order
    /// mark), reported by [`InUse::confirm`] at the declaration, once the reader has parsed it.
    problem: Option<Error>,
}

impl InUse {
    /// The charset the entity is decoded in.
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// Whether UTF-16 is read big-endian.
    pub fn big_endian(&self) -> bool {
        matches!(self.family, Family::Utf16Be | Family::Utf16BeNoBom)
    }

    /// Compares the encoding the entity's declaration names (as parsed by the reader, wherever
    /// in the declaration it stands) with the charset the entity is being decoded in
    /// (XML 1.0 §4.3.3). The error has no position: the caller puts it at the declaration.
    pub fn confirm(&mut self, declared: Option<&str>) -> Result<(), Error> {
        if let Some(e) = self.problem.take() {
            return Err(e);
        }
        let c = resolve(self.family, declared)?;
        if !c.same(&self.charset) {
            return Err(Error::new(
                ErrorKind::Encoding,
                "XML 1.0 §4.3.3",
                format!(
                    "the declaration names the encoding {:?}, but the entity was read as {}; \
                     put the encoding declaration in the XML declaration at the very start",
                    declared.unwrap_or("(none)"),
                    self.charset.name
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug)]
enum Family {
    Utf8Bom,
    Utf16Be,
    Utf16Le,
    Utf16LeNoBom,
    Utf16BeNoBom,
    Ascii,
}

impl Family {
    /// Bytes per code unit.
    fn unit(self) -> usize {
        match self {
            Family::Utf16Be | Family::Utf16Le | Family::Utf16LeNoBom | Family::Utf16BeNoBom => 2,
            Family::Utf8Bom | Family::Ascii => 1,
        }
    }
}

fn read_at_least(raw: &mut dyn Read, buf: &mut Vec<u8>, n: usize) -> Result<bool, Error> {
    let mut tmp = [0u8; 512];
    while buf.len() < n {
        let want = (n - buf.len()).min(tmp.len());
        match raw.read(&mut tmp[..want]) {
            Ok(0) => return Ok(true),
            Ok(k) => {
                buf.extend_from_slice(&tmp[..k]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(e, "cannot read input")),
        }
    }
    Ok(false)
}

/// Appends code units `from..to` of `bytes` to `s` while they are ASCII; returns whether all
/// of them were (a declaration is ASCII: a unit that is not ends what can be read of it).
fn ascii_of(bytes: &[u8], unit: usize, le: bool, from: usize, to: usize, s: &mut String) -> bool {
    for i in from..to {
        let b = if unit == 1 {
            bytes.get(i).copied()
        } else {
            match (bytes.get(2 * i), bytes.get(2 * i + 1)) {
                (Some(&a), Some(&b)) if (if le { b } else { a }) == 0 => {
                    Some(if le { a } else { b })
                }
                (Some(_), Some(_)) => return false,
                _ => None,
            }
        };
        match b {
            Some(b) if b < 0x80 => s.push(char::from(b)),
            Some(_) => return false,
            None => return true,
        }
    }
    true
}

fn is_decl_start(s: &str) -> bool {
    s.len() >= 6 && s.starts_with("<?xml") && chars::is_space(s.as_bytes()[5])
}

/// The encoding a declaration names, read by the reader's own declaration parser (XML 1.0
/// \[23\] XMLDecl, or \[77\] TextDecl for external entities), so that the encoding chosen
/// here is the one the reader will see, wherever `encoding=` stands. A declaration that
/// does not parse names none here; the reader reports what is wrong with it.
fn declared_encoding(decl: &str) -> Option<String> {
    if decl.is_empty() {
        return None;
    }
    [false, true].into_iter().find_map(|text_decl| {
        let mut c = Cur::new(decl, true, "the XML declaration", "XML 1.0 [23] XMLDecl");
        crate::decl::parse(&mut c, text_decl)
            .ok()
            .map(|d| d.encoding.map(str::to_string))
    })?
}

/// The charset to read an entity in: the declared one, checked against the byte-order mark
/// or first bytes (XML 1.0 §4.3.3, Appendix F).
fn resolve(family: Family, declared: Option<&str>) -> Result<Charset, Error> {
    let utf16 = |name| Charset {
        name,
        how: How::Utf16,
    };
    let Some(label) = declared else {
        return Ok(match family {
            Family::Utf8Bom | Family::Ascii => charset::UTF_8,
            _ => utf16("UTF-16"),
        });
    };
    let c = charset::lookup(label).ok_or_else(|| unsupported(label))?;
    let be = matches!(family, Family::Utf16Be | Family::Utf16BeNoBom);
    match (family, c.how) {
        (Family::Utf8Bom, How::Utf8) => Ok(c),
        (Family::Utf8Bom, _) => Err(contradiction(label, "a UTF-8 byte-order mark")),
        (Family::Ascii, How::Utf16) => Err(contradiction(
            label,
            "bytes that are not UTF-16 (no byte-order mark)",
        )),
        (Family::Ascii, _) => Ok(c),
        (_, How::Utf16) if c.name == "UTF-16LE" && be => {
            Err(contradiction(label, "big-endian UTF-16 bytes"))
        }
        (_, How::Utf16) if c.name == "UTF-16BE" && !be => {
            Err(contradiction(label, "little-endian UTF-16 bytes"))
        }
        // All names of UTF-16 are one charset here: the byte order comes from the bytes.
        (_, How::Utf16) => Ok(utf16("UTF-16")),
        _ => Err(contradiction(label, "UTF-16 bytes")),
    }
}

fn utf16_without_bom(order: &str, head: &[u8]) -> Error {
    let hex: Vec<String> = head.iter().take(4).map(|b| format!("{b:02X}")).collect();
    Error::new(
        ErrorKind::Encoding,
        "XML 1.0 §4.3.3",
        format!(
            "the input starts with bytes {} that look like UTF-16 ({order}) without a \
             byte-order mark, which UTF-16 entities must begin with; add the mark (FE FF or \
             FF FE) or convert the document to UTF-8",
            hex.join(" ")
        ),
    )
}

/// After a UTF-16 byte-order mark, 8-bit text (`<?xml` in single bytes, or for a document,
/// whose first character is `<` or white space, any first unit without a zero byte) means
/// the mark is wrong: say so, rather than report the odd characters it decodes to.
fn check_utf16_after_bom(rest: &[u8], le: bool, document: bool) -> Result<(), Error> {
    let eight_bit =
        rest.starts_with(b"<?xml") || (document && rest.len() >= 2 && rest[0] != 0 && rest[1] != 0);
    if !eight_bit {
        return Ok(());
    }
    let shown: String = rest
        .iter()
        .take(5)
        .map(|&b| {
            if b.is_ascii_graphic() {
                char::from(b)
            } else {
                '.'
            }
        })
        .collect();
    Err(Error::new(
        ErrorKind::Encoding,
        "XML 1.0 §4.3.3",
        format!(
            "the byte-order mark {} says UTF-16 ({}), but the bytes after it are 8-bit text \
             ({shown:?}); remove the mark, or convert the document to UTF-16",
            if le { "FF FE" } else { "FE FF" },
            if le { "little-endian" } else { "big-endian" },
        ),
    ))
}

fn unsupported(what: &str) -> Error {
    Error::new(
        ErrorKind::Encoding,
        "XML 1.0 §4.3.3",
        format!(
            "unsupported encoding {what:?}: wary-xml reads UTF-8, UTF-16, ISO-8859-1 to -16, \
             US-ASCII, TIS-620, KOI8-R/U, windows-874 and -1250 to -1258, IBM866, macintosh, \
             Shift_JIS, EUC-JP, ISO-2022-JP, EUC-KR, GB2312, GBK, GB18030, Big5 and their \
             vendor variants (see docs/security.md); convert the document to UTF-8"
        ),
    )
}

fn contradiction(declared: &str, found: &str) -> Error {
    Error::new(
        ErrorKind::Encoding,
        "XML 1.0 §4.3.3",
        format!("the declared encoding {declared:?} contradicts {found}"),
    )
}
