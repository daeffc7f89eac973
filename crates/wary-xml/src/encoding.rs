//! Turning an entity's bytes into checked UTF-8 text (XML 1.0 §4.3.3 and Appendix F).
//!
//! The decoder sniffs the byte-order mark and first bytes, reads the encoding declaration,
//! and then delivers text that is already (a) valid UTF-8, (b) made only of \[2\] Char, and
//! (c) end-of-line normalized (§2.11: CR LF and lone CR become LF). Doing all three once, at
//! the edge, lets the tokenizer work on plain bytes and never look at a CR or a control
//! character again.
//!
//! encoding_rs does the conversion for legacy encodings. ISO-8859-1 and US-ASCII are decoded
//! here because encoding_rs, following the WHATWG Encoding Standard, maps both labels to
//! windows-1252, which differs from ISO-8859-1 in 0x80..0x9F.

use crate::chars;
use crate::{Error, ErrorKind};
use encoding_rs::{DecoderResult, Encoding};
use std::io::Read;

/// How many raw bytes one fill reads.
const CHUNK: usize = 64 * 1024;
/// The longest XML or text declaration looked at while sniffing.
const MAX_DECL: usize = 4096;

enum Kind {
    Utf8,
    Latin1,
    Ascii,
    Other(Box<encoding_rs::Decoder>),
}

/// A streaming decoder for one entity.
pub(crate) struct Decoder<'r> {
    raw: Box<dyn Read + 'r>,
    kind: Kind,
    /// Raw bytes read but not yet decoded (an incomplete sequence, or the sniffed prefix).
    staging: Vec<u8>,
    raw_eof: bool,
    /// The last character delivered was a CR turned into LF: drop a following LF.
    after_cr: bool,
    /// An error found after the text already delivered; reported when the reader gets there.
    pending: Option<Error>,
    /// Raw bytes read so far (for the amplification limit).
    pub bytes_read: u64,
    /// Name of the encoding in use.
    pub encoding: &'static str,
    scratch: String,
    /// Where raw bytes are read to (allocated once).
    raw_buf: Vec<u8>,
}

impl<'r> Decoder<'r> {
    /// Sniffs the encoding of an entity (§4.3.3, Appendix F) and prepares to decode it.
    /// `external` is true for external parsed entities and the external subset, whose
    /// declaration is a text declaration.
    pub fn new(mut raw: Box<dyn Read + 'r>) -> Result<Decoder<'r>, Error> {
        let mut head = Vec::with_capacity(512);
        let mut bytes_read = 0u64;
        let eof = read_at_least(&mut raw, &mut head, 4, &mut bytes_read)?;
        let mut d = Decoder {
            raw,
            kind: Kind::Utf8,
            staging: Vec::new(),
            raw_eof: eof,
            after_cr: false,
            pending: None,
            bytes_read,
            encoding: "UTF-8",
            scratch: String::new(),
            raw_buf: Vec::new(),
        };
        let (family, bom_len) = match head.as_slice() {
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
            _ => (Family::Ascii, 0),
        };
        head.drain(..bom_len);
        // Read the declaration, if there is one, in the family's code units.
        let unit = match family {
            Family::Utf16Be | Family::Utf16Le | Family::Utf16LeNoBom | Family::Utf16BeNoBom => 2,
            _ => 1,
        };
        let le = matches!(family, Family::Utf16Le | Family::Utf16LeNoBom);
        let mut decl = String::new();
        if !d.raw_eof {
            d.raw_eof = read_at_least(&mut d.raw, &mut head, 6 * unit, &mut d.bytes_read)?;
        }
        if ascii_of(&head, unit, le, 6)
            .as_deref()
            .is_some_and(is_decl_start)
        {
            // Read until "?>" or the cap.
            loop {
                let text = ascii_of(&head, unit, le, head.len() / unit).unwrap_or_default();
                if let Some(end) = text.find("?>") {
                    decl = text[..end].to_string();
                    break;
                }
                if d.raw_eof || head.len() >= MAX_DECL * unit {
                    decl = text;
                    break;
                }
                let want = head.len() + 256;
                d.raw_eof = read_at_least(&mut d.raw, &mut head, want, &mut d.bytes_read)?;
            }
        }
        let declared = declared_encoding(&decl);
        d.kind = d.choose(family, declared.as_deref())?;
        d.staging = head;
        Ok(d)
    }

    fn choose(&mut self, family: Family, declared: Option<&str>) -> Result<Kind, Error> {
        let label = declared.map(|s| s.trim().to_ascii_lowercase());
        let utf16 = |be: bool, this: &mut Self| {
            let enc = if be {
                encoding_rs::UTF_16BE
            } else {
                encoding_rs::UTF_16LE
            };
            this.encoding = enc.name();
            Ok(Kind::Other(Box::new(
                enc.new_decoder_without_bom_handling(),
            )))
        };
        match family {
            Family::Utf8Bom => match label.as_deref() {
                None | Some("utf-8") | Some("utf8") => Ok(Kind::Utf8),
                Some(l) => Err(contradiction(l, "a UTF-8 byte-order mark")),
            },
            Family::Utf16Be | Family::Utf16Le | Family::Utf16LeNoBom | Family::Utf16BeNoBom => {
                let be = matches!(family, Family::Utf16Be | Family::Utf16BeNoBom);
                match label.as_deref() {
                    None
                    | Some("utf-16")
                    | Some("utf16")
                    | Some("iso-10646-ucs-2")
                    | Some("ucs-2")
                    | Some("csunicode") => utf16(be, self),
                    Some("utf-16le") if !be => utf16(be, self),
                    Some("utf-16be") if be => utf16(be, self),
                    Some(l) => Err(contradiction(l, "UTF-16 bytes")),
                }
            }
            Family::Ascii => match label.as_deref() {
                None | Some("utf-8") | Some("utf8") => Ok(Kind::Utf8),
                Some(
                    "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "l1" | "cp819"
                    | "ibm819" | "iso-ir-100" | "csisolatin1" | "iso_8859-1:1987",
                ) => {
                    self.encoding = "ISO-8859-1";
                    Ok(Kind::Latin1)
                }
                Some(
                    "us-ascii" | "ascii" | "iso646-us" | "ansi_x3.4-1968" | "us" | "csascii"
                    | "iso-ir-6" | "cp367" | "ibm367",
                ) => {
                    self.encoding = "US-ASCII";
                    Ok(Kind::Ascii)
                }
                Some(l) if l.starts_with("utf-16") || l.starts_with("utf16") || l == "ucs-2" => {
                    Err(contradiction(
                        l,
                        "bytes that are not UTF-16 (no byte-order mark)",
                    ))
                }
                Some(l) => match Encoding::for_label_no_replacement(l.as_bytes()) {
                    Some(enc) if enc.is_ascii_compatible() || enc == encoding_rs::ISO_2022_JP => {
                        self.encoding = enc.name();
                        Ok(Kind::Other(Box::new(
                            enc.new_decoder_without_bom_handling(),
                        )))
                    }
                    _ => Err(unsupported(l)),
                },
            },
        }
    }

    /// Decodes more text onto the end of `out`, checked and normalized. Returns `false` when
    /// the entity has ended (nothing more will ever come). An error found in the input is
    /// held back until everything before it has been delivered.
    pub fn fill(&mut self, out: &mut String) -> Result<bool, Error> {
        loop {
            if let Some(e) = self.pending.take() {
                return Err(e);
            }
            if self.staging.is_empty() && self.raw_eof {
                if self.after_cr {
                    self.after_cr = false;
                }
                return Ok(false);
            }
            if !self.raw_eof {
                if self.raw_buf.len() < CHUNK {
                    self.raw_buf.resize(CHUNK, 0);
                }
                let n = loop {
                    match self.raw.read(&mut self.raw_buf) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(Error::io(e, "cannot read input")),
                    }
                };
                self.bytes_read += n as u64;
                if n == 0 {
                    self.raw_eof = true;
                }
                let before = out.len();
                if self.staging.is_empty() && n > 0 && matches!(self.kind, Kind::Utf8) {
                    // Hot path: decode straight from the read buffer (saves a copy of every
                    // byte); only a sequence cut by the end of the read waits in staging.
                    // Invalid input takes the general path below, which reports it.
                    let buf = std::mem::take(&mut self.raw_buf);
                    let cut = complete_utf8_prefix(&buf[..n]);
                    match simdutf8::basic::from_utf8(&buf[..cut]) {
                        Ok(text) => {
                            push_checked(out, text, &mut self.after_cr, &mut self.pending);
                            self.staging.extend_from_slice(&buf[cut..n]);
                        }
                        Err(_) => self.staging.extend_from_slice(&buf[..n]),
                    }
                    self.raw_buf = buf;
                    if out.len() > before || self.pending.is_some() {
                        return Ok(true);
                    }
                } else {
                    self.staging.extend_from_slice(&self.raw_buf[..n]);
                }
            }
            let before = out.len();
            self.decode_staging(out)?;
            if out.len() > before || self.pending.is_some() {
                return Ok(true);
            }
        }
    }

    fn decode_staging(&mut self, out: &mut String) -> Result<(), Error> {
        let last = self.raw_eof;
        match &mut self.kind {
            Kind::Utf8 => {
                // Validate once, up to the last complete character (a sequence cut by the
                // chunk boundary waits for the next read).
                let cut = if last {
                    self.staging.len()
                } else {
                    complete_utf8_prefix(&self.staging)
                };
                // simdutf8 validates non-ASCII text several times faster than std (on
                // freedesktop.org.xml, std's validation was an eighth of all the time).
                match simdutf8::compat::from_utf8(&self.staging[..cut]) {
                    Ok(text) => {
                        push_checked(out, text, &mut self.after_cr, &mut self.pending);
                        self.staging.drain(..cut);
                    }
                    Err(e) => {
                        let valid = e.valid_up_to();
                        let text = std::str::from_utf8(&self.staging[..valid]).unwrap_or_default();
                        push_checked(out, text, &mut self.after_cr, &mut self.pending);
                        if self.pending.is_none() {
                            self.pending = Some(Error::new(
                                ErrorKind::Encoding,
                                "XML 1.0 §4.3.3",
                                format!(
                                    "invalid UTF-8: byte 0x{:02X} does not start a valid sequence; \
                                     declare the document's real encoding or fix the byte",
                                    self.staging.get(valid).copied().unwrap_or(0)
                                ),
                            ));
                        }
                        self.staging.clear();
                        self.raw_eof = true;
                    }
                }
            }
            Kind::Latin1 => {
                self.scratch.clear();
                self.scratch.extend(self.staging.iter().map(|&b| b as char));
                self.staging.clear();
                push_checked(out, &self.scratch, &mut self.after_cr, &mut self.pending);
            }
            Kind::Ascii => {
                let valid = self.staging.iter().position(|&b| b >= 0x80);
                let n = valid.unwrap_or(self.staging.len());
                let text = std::str::from_utf8(&self.staging[..n]).unwrap_or_default();
                push_checked(out, text, &mut self.after_cr, &mut self.pending);
                if let Some(i) = valid {
                    if self.pending.is_none() {
                        self.pending = Some(Error::new(
                            ErrorKind::Encoding,
                            "XML 1.0 §4.3.3",
                            format!(
                                "byte 0x{:02X} is not US-ASCII, the declared encoding",
                                self.staging[i]
                            ),
                        ));
                    }
                    self.raw_eof = true;
                }
                self.staging.clear();
            }
            Kind::Other(dec) => {
                self.scratch.clear();
                let need = dec
                    .max_utf8_buffer_length_without_replacement(self.staging.len())
                    .unwrap_or(self.staging.len() * 4 + 16);
                self.scratch.reserve(need);
                let (res, read) = dec.decode_to_string_without_replacement(
                    &self.staging,
                    &mut self.scratch,
                    last,
                );
                let bad = matches!(res, DecoderResult::Malformed(..));
                self.staging.drain(..read);
                push_checked(out, &self.scratch, &mut self.after_cr, &mut self.pending);
                if bad {
                    if self.pending.is_none() {
                        self.pending = Some(Error::new(
                            ErrorKind::Encoding,
                            "XML 1.0 §4.3.3",
                            format!("bytes that are not valid {}", self.encoding),
                        ));
                    }
                    self.staging.clear();
                    self.raw_eof = true;
                }
            }
        }
        Ok(())
    }
}

/// The length of `b` without a trailing incomplete UTF-8 sequence.
fn complete_utf8_prefix(b: &[u8]) -> usize {
    let n = b.len();
    for back in 1..=3.min(n) {
        let c = b[n - back];
        if c & 0xC0 != 0x80 {
            // A lead byte (or ASCII): how long is its sequence?
            let need = match c {
                0xF0..=0xFF => 4,
                0xE0..=0xEF => 3,
                0xC0..=0xDF => 2,
                _ => 1,
            };
            return if need > back { n - back } else { n };
        }
    }
    n
}

#[derive(Clone, Copy)]
enum Family {
    Utf8Bom,
    Utf16Be,
    Utf16Le,
    Utf16LeNoBom,
    Utf16BeNoBom,
    Ascii,
}

/// Appends `s` to `out`, normalizing line ends and stopping at the first character that
/// is not an XML 1.0 \[2\] Char (recording the error in `pending`).
fn push_checked(out: &mut String, s: &str, after_cr: &mut bool, pending: &mut Option<Error>) {
    if pending.is_some() {
        return;
    }
    let bytes = s.as_bytes();
    // Fast path: no control byte and no CR (a branch-free loop the compiler vectorizes), and
    // no U+FFFE or U+FFFF (EF BF BE / EF BF BF, found with memchr on their rare first byte).
    let ctrl = bytes.chunks(256).any(|c| {
        c.iter().fold(false, |a, &b| {
            a | ((b < 0x20) & (b != b'\n') & (b != b'\t'))
        })
    });
    let special = ctrl
        || memchr::memchr_iter(0xEF, bytes).any(|i| {
            bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF))
        });
    if !special {
        let rest = if *after_cr {
            s.strip_prefix('\n').unwrap_or(s)
        } else {
            s
        };
        // Any character after a CR ends its pending state, the LF it swallowed included:
        // otherwise a lone LF read on its own after CR LF would be dropped too.
        if !s.is_empty() {
            *after_cr = false;
        }
        out.push_str(rest);
        return;
    }
    // Byte by byte, which is exact here: in valid UTF-8 the only code points outside [2]
    // Char are the C0 controls (single bytes) and U+FFFE/U+FFFF (EF BF BE, EF BF BF); CR
    // and LF are single bytes. (Decoding characters here cost several times as much on
    // CRLF documents.)
    let mut i = 0;
    if *after_cr && !bytes.is_empty() {
        if bytes[0] == b'\n' {
            i = 1;
        }
        *after_cr = false;
    }
    let mut start = i;
    while let Some(k) = bytes[i..].iter().position(|&b| EOL_SPECIAL[b as usize]) {
        let j = i + k;
        match bytes[j] {
            b'\r' => {
                out.push_str(&s[start..j]);
                out.push('\n');
                i = j + 1;
                match bytes.get(i) {
                    Some(b'\n') => i += 1,
                    Some(_) => {}
                    // The LF of a CR LF may come with the next chunk.
                    None => *after_cr = true,
                }
                start = i;
            }
            0xEF => {
                if bytes.get(j + 1) == Some(&0xBF) && matches!(bytes.get(j + 2), Some(0xBE | 0xBF))
                {
                    out.push_str(&s[start..j]);
                    let c = if bytes[j + 2] == 0xBE { 0xFFFE } else { 0xFFFF };
                    *pending = Some(not_a_char(c));
                    return;
                }
                i = j + 1;
            }
            c => {
                out.push_str(&s[start..j]);
                *pending = Some(not_a_char(c as u32));
                return;
            }
        }
    }
    out.push_str(&s[start..]);
}

/// Bytes that [`push_checked`]'s slow path must look at: CR, the C0 controls other than
/// tab and LF, and 0xEF (the first byte of U+FFFE and U+FFFF).
static EOL_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b != b'\t' as usize && b != b'\n' as usize;
        b += 1;
    }
    t[0xEF] = true;
    t
};

fn not_a_char(c: u32) -> Error {
    Error::new(
        ErrorKind::InvalidChar,
        "XML 1.0 [2] Char",
        format!("character U+{c:04X} is not allowed in XML"),
    )
}

fn read_at_least(
    raw: &mut Box<dyn Read + '_>,
    buf: &mut Vec<u8>,
    n: usize,
    count: &mut u64,
) -> Result<bool, Error> {
    let mut tmp = [0u8; 512];
    while buf.len() < n {
        let want = (n - buf.len()).min(tmp.len());
        match raw.read(&mut tmp[..want]) {
            Ok(0) => return Ok(true),
            Ok(k) => {
                buf.extend_from_slice(&tmp[..k]);
                *count += k as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(e, "cannot read input")),
        }
    }
    Ok(false)
}

/// The first `units` code units of `bytes` as ASCII, if they are all ASCII.
fn ascii_of(bytes: &[u8], unit: usize, le: bool, units: usize) -> Option<String> {
    let mut s = String::new();
    for i in 0..units {
        let b = if unit == 1 {
            *bytes.get(i)?
        } else {
            let (a, b) = (*bytes.get(2 * i)?, *bytes.get(2 * i + 1)?);
            let (lo, hi) = if le { (a, b) } else { (b, a) };
            if hi != 0 {
                return Some(s);
            }
            lo
        };
        if b >= 0x80 {
            return Some(s);
        }
        s.push(b as char);
    }
    Some(s)
}

fn is_decl_start(s: &str) -> bool {
    s.len() >= 6 && s.starts_with("<?xml") && chars::is_space(s.as_bytes()[5])
}

/// The value of the `encoding` pseudo-attribute of a declaration (checked fully later).
fn declared_encoding(decl: &str) -> Option<String> {
    let i = decl.find("encoding")?;
    let rest = decl[i + 8..].trim_start_matches(|c| chars::is_space(c as u8));
    let rest = rest
        .strip_prefix('=')?
        .trim_start_matches(|c| chars::is_space(c as u8));
    let q = rest.chars().next()?;
    if q != '"' && q != '\'' {
        return None;
    }
    let v = &rest[1..];
    let end = v.find(q)?;
    Some(v[..end].to_string())
}

fn unsupported(what: &str) -> Error {
    Error::new(
        ErrorKind::Encoding,
        "XML 1.0 §4.3.3",
        format!("unsupported encoding {what:?}; convert the document to UTF-8"),
    )
}

fn contradiction(declared: &str, found: &str) -> Error {
    Error::new(
        ErrorKind::Encoding,
        "XML 1.0 §4.3.3",
        format!("the declared encoding {declared:?} contradicts {found}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<String, Error> {
        let mut d = Decoder::new(Box::new(bytes))?;
        let mut out = String::new();
        while d.fill(&mut out)? {}
        Ok(out)
    }

    #[test]
    fn utf8_and_line_ends() {
        assert_eq!(decode(b"a\r\nb\rc\n").unwrap(), "a\nb\nc\n");
        assert_eq!(decode(b"\xEF\xBB\xBFx").unwrap(), "x");
    }

    #[test]
    fn latin1_is_not_windows_1252() {
        let s = decode(b"<?xml version='1.0' encoding='ISO-8859-1'?>\x80\xE9").unwrap();
        assert!(s.ends_with("\u{80}\u{E9}"));
    }

    #[test]
    fn utf16_with_bom() {
        let mut b = vec![0xFF, 0xFE];
        for c in "<a/>".encode_utf16() {
            b.extend_from_slice(&c.to_le_bytes());
        }
        assert_eq!(decode(&b).unwrap(), "<a/>");
    }

    #[test]
    fn errors() {
        assert_eq!(decode(b"a\x01").unwrap_err().kind(), ErrorKind::InvalidChar);
        assert_eq!(decode(b"a\xFF").unwrap_err().kind(), ErrorKind::Encoding);
        assert_eq!(
            decode(b"\xEF\xBB\xBF<?xml version='1.0' encoding='latin1'?>")
                .unwrap_err()
                .kind(),
            ErrorKind::Encoding
        );
        assert_eq!(
            decode("\u{FFFE}".as_bytes()).unwrap_err().kind(),
            ErrorKind::InvalidChar
        );
    }
}
