//! Declared charsets: which charset an encoding name means, and the tables that decode the
//! ones encoding_rs decodes differently from their definition (XML 1.0 §4.3.3).
//!
//! XML 1.0 §4.3.3 says encoding names are those registered with IANA, and that bytes
//! illegal in the declared encoding are a fatal error. encoding_rs implements the WHATWG
//! Encoding Standard, which is right for the web but maps many names to a *different*
//! charset: `ISO-8859-1`, `ISO-8859-9` and `TIS-620` become windows-1252/1254/874 (letters
//! in 0x80–0x9F), `KOI8-U` becomes KOI8-RU, `EUC-KR` becomes Microsoft's CP949 (UHC),
//! `Shift_JIS` becomes Windows-31J (NEC and IBM extensions), `GB18030` reads a lone 0x80 as
//! €. So the policy is:
//!
//! - A name is looked up in [`LABELS`] (IANA names and aliases, plus a few common spellings
//!   of the same charset such as `iso88591`); anything else is unsupported, reported at the
//!   declaration. WHATWG's label list is not used.
//! - Single-byte charsets and the national CJK standards (Shift_JIS = JIS X 0208 + JIS X
//!   0201 katakana, EUC-JP, EUC-KR = KS X 1001, GB2312, GBK, Big5) are decoded with tables
//!   generated from their standard definitions by `scripts/gen-charsets` (source: CPython's
//!   codecs; TIS-620 as TIS 620-2533 defines it). Bytes a table does not define are an error.
//! - CJK vendor mappings: a vendor's extensions are accepted only under the vendor's own name
//!   (`Windows-31J`/`cp932`, `windows-949`/`ks_c_5601-1987`, `Big5-HKSCS`), decoded by
//!   encoding_rs, whose tables for those names are the vendors' (WHATWG's). Under the
//!   standard's name, the standard's table: Shift_JIS 0x8160 is U+301C WAVE DASH (JIS), while
//!   Windows-31J 0x8160 is U+FF5E (Microsoft), and NEC's 0x8740 ① is an error in Shift_JIS.
//! - ISO-2022-JP is RFC 1468's (see `iso2022jp`), not WHATWG's, which adds katakana and
//!   Microsoft's rows.
//! - encoding_rs is kept for what it does right: UTF-16, the vendor charsets
//!   above, and GB18030 as GB 18030-2022 defines it (its four-byte ranges, and the 18
//!   two-byte codes that moved from private use to standard characters in 2022), except two
//!   WHATWG compatibility choices undone here: a one-byte 0x80 is refused, and A3 A0 is
//!   U+E5E5 (not U+3000). (UTF-8 is validated by simdutf8.)

use encoding_rs::Encoding;

mod iso2022jp;
pub(crate) use iso2022jp::Iso2022Jp;

/// The EUC-JP tables, also used for ISO-2022-JP's JIS X 0208.
static EUC_JP: &[u8] = include_bytes!("data/euc-jp.bin");
static EUC_JP_8F: &[u8] = include_bytes!("data/euc-jp-8f.bin");

/// How a charset is decoded.
#[derive(Clone, Copy, Debug)]
pub(crate) enum How {
    Utf8,
    /// UTF-16; the byte order comes from the byte-order mark or the first bytes.
    Utf16,
    /// ISO-8859-1: each byte is the code point of the same number.
    Latin1,
    /// US-ASCII: bytes above 0x7F are errors.
    Ascii,
    /// A generated table (see [`Table`]).
    Table(Table),
    /// encoding_rs's decoder, which is this charset's definition.
    EncodingRs(&'static Encoding),
    /// RFC 1468, decoded here (see [`Iso2022Jp`]).
    Iso2022Jp,
    /// encoding_rs's GB18030 decoder, after a check for a lone 0x80 (GB 18030 has no
    /// one-byte 0x80; WHATWG reads it as € for compatibility with old GBK documents).
    Gb18030,
}

/// A charset an encoding declaration can name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Charset {
    /// Its IANA preferred name (as reported in messages and by the reader).
    pub name: &'static str,
    pub how: How,
}

impl Charset {
    /// Whether two names mean the same charset.
    pub fn same(&self, other: &Charset) -> bool {
        self.name == other.name
    }
}

/// The charset an encoding name (XML 1.0 \[81\] EncName, any case) means, if supported.
pub(crate) fn lookup(label: &str) -> Option<Charset> {
    let label = label.trim();
    LABELS
        .iter()
        .find(|(names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(label)))
        .map(|&(_, c)| c)
}

const fn table(name: &'static str, t: Table) -> Charset {
    Charset {
        name,
        how: How::Table(t),
    }
}

const fn rs(name: &'static str, e: &'static Encoding) -> Charset {
    Charset {
        name,
        how: How::EncodingRs(e),
    }
}

macro_rules! single {
    ($file:literal) => {
        Table::Single(include_bytes!(concat!("data/", $file, ".bin")))
    };
}

macro_rules! multi {
    ($file:literal) => {
        Table::Multi {
            data: include_bytes!(concat!("data/", $file, ".bin")),
            three: None,
        }
    };
    ($file:literal, $prefix:literal, $suffix:literal) => {
        Table::Multi {
            data: include_bytes!(concat!("data/", $file, ".bin")),
            three: Some((
                $prefix,
                include_bytes!(concat!("data/", $file, "-", $suffix, ".bin")),
            )),
        }
    };
}

pub(crate) const UTF_8: Charset = Charset {
    name: "UTF-8",
    how: How::Utf8,
};

/// Every supported name (IANA's Character Sets registry: the name, its aliases and `cs`
/// names; a few unregistered spellings of the same charset that documents use, marked *).
/// Aliases with a colon (`ISO_8859-1:1987`) are left out: \[81\] EncName cannot hold one.
#[rustfmt::skip]
pub(crate) static LABELS: &[(&[&str], Charset)] = &[
    (&["UTF-8", "utf8" /* * */, "csUTF8"], UTF_8),
    (&["UTF-16", "utf16" /* * */, "ISO-10646-UCS-2", "csUnicode", "UCS-2" /* * */],
        Charset { name: "UTF-16", how: How::Utf16 }),
    (&["UTF-16LE", "csUTF16LE"], Charset { name: "UTF-16LE", how: How::Utf16 }),
    (&["UTF-16BE", "csUTF16BE"], Charset { name: "UTF-16BE", how: How::Utf16 }),
    (&["ISO-8859-1", "iso-ir-100", "ISO_8859-1", "latin1", "l1", "IBM819",
       "CP819", "csISOLatin1", "iso8859-1" /* * */, "iso88591" /* * */],
        Charset { name: "ISO-8859-1", how: How::Latin1 }),
    (&["US-ASCII", "iso-ir-6", "ANSI_X3.4-1968", "ANSI_X3.4-1986",
       "ISO646-US", "us", "IBM367", "cp367", "csASCII", "ascii" /* * */],
        Charset { name: "US-ASCII", how: How::Ascii }),
    (&["ISO-8859-2", "iso-ir-101", "ISO_8859-2", "latin2", "l2",
       "csISOLatin2", "iso8859-2", "iso88592"], table("ISO-8859-2", single!("iso-8859-2"))),
    (&["ISO-8859-3", "iso-ir-109", "ISO_8859-3", "latin3", "l3",
       "csISOLatin3", "iso8859-3", "iso88593"], table("ISO-8859-3", single!("iso-8859-3"))),
    (&["ISO-8859-4", "iso-ir-110", "ISO_8859-4", "latin4", "l4",
       "csISOLatin4", "iso8859-4", "iso88594"], table("ISO-8859-4", single!("iso-8859-4"))),
    (&["ISO-8859-5", "iso-ir-144", "ISO_8859-5", "cyrillic",
       "csISOLatinCyrillic", "iso8859-5", "iso88595"], table("ISO-8859-5", single!("iso-8859-5"))),
    (&["ISO-8859-6", "iso-ir-127", "ISO_8859-6", "ECMA-114", "ASMO-708",
       "arabic", "csISOLatinArabic", "iso8859-6", "iso88596"],
        table("ISO-8859-6", single!("iso-8859-6"))),
    (&["ISO-8859-7", "iso-ir-126", "ISO_8859-7", "ELOT_928", "ECMA-118",
       "greek", "greek8", "csISOLatinGreek", "iso8859-7", "iso88597"],
        table("ISO-8859-7", single!("iso-8859-7"))),
    (&["ISO-8859-8", "iso-ir-138", "ISO_8859-8", "hebrew",
       "csISOLatinHebrew", "iso8859-8", "iso88598"], table("ISO-8859-8", single!("iso-8859-8"))),
    // Same characters as ISO-8859-8; "I" (implicit/logical order) is about display only.
    (&["ISO-8859-8-I", "ISO_8859-8-I", "csISO88598I"],
        table("ISO-8859-8-I", single!("iso-8859-8"))),
    (&["ISO-8859-9", "iso-ir-148", "ISO_8859-9", "latin5", "l5",
       "csISOLatin5", "iso8859-9", "iso88599"], table("ISO-8859-9", single!("iso-8859-9"))),
    (&["ISO-8859-10", "iso-ir-157", "l6", "csISOLatin6", "latin6",
       "iso8859-10", "iso885910"], table("ISO-8859-10", single!("iso-8859-10"))),
    // Not in IANA's registry; defined by ISO/IEC 8859-11 (TIS-620 plus NBSP and C1).
    (&["ISO-8859-11", "ISO_8859-11", "iso8859-11", "iso885911"],
        table("ISO-8859-11", single!("iso-8859-11"))),
    (&["TIS-620", "csTIS620", "tis620"], table("TIS-620", single!("tis-620"))),
    (&["ISO-8859-13", "csISO885913", "iso8859-13", "iso885913"],
        table("ISO-8859-13", single!("iso-8859-13"))),
    (&["ISO-8859-14", "iso-ir-199", "ISO_8859-14", "latin8", "iso-celtic",
       "l8", "csISO885914", "iso8859-14", "iso885914"],
        table("ISO-8859-14", single!("iso-8859-14"))),
    (&["ISO-8859-15", "ISO_8859-15", "Latin-9", "csISO885915", "iso8859-15", "iso885915",
       "latin9"], table("ISO-8859-15", single!("iso-8859-15"))),
    (&["ISO-8859-16", "iso-ir-226", "ISO_8859-16", "latin10", "l10",
       "csISO885916", "iso8859-16", "iso885916"], table("ISO-8859-16", single!("iso-8859-16"))),
    (&["KOI8-R", "csKOI8R"], table("KOI8-R", single!("koi8-r"))),
    (&["KOI8-U", "csKOI8U"], table("KOI8-U", single!("koi8-u"))),
    (&["IBM866", "cp866", "866", "csIBM866"], table("IBM866", single!("ibm866"))),
    (&["macintosh", "mac", "csMacintosh"], table("macintosh", single!("macintosh"))),
    (&["x-mac-cyrillic"], table("x-mac-cyrillic", single!("x-mac-cyrillic"))),
    (&["windows-874", "csWindows874", "cp874"], table("windows-874", single!("windows-874"))),
    (&["windows-1250", "cswindows1250", "cp1250"], table("windows-1250", single!("windows-1250"))),
    (&["windows-1251", "cswindows1251", "cp1251"], table("windows-1251", single!("windows-1251"))),
    (&["windows-1252", "cswindows1252", "cp1252"], table("windows-1252", single!("windows-1252"))),
    (&["windows-1253", "cswindows1253", "cp1253"], table("windows-1253", single!("windows-1253"))),
    (&["windows-1254", "cswindows1254", "cp1254"], table("windows-1254", single!("windows-1254"))),
    (&["windows-1255", "cswindows1255", "cp1255"], table("windows-1255", single!("windows-1255"))),
    (&["windows-1256", "cswindows1256", "cp1256"], table("windows-1256", single!("windows-1256"))),
    (&["windows-1257", "cswindows1257", "cp1257"], table("windows-1257", single!("windows-1257"))),
    (&["windows-1258", "cswindows1258", "cp1258"], table("windows-1258", single!("windows-1258"))),
    // CJK national standards: the standard's table, vendor extensions rejected.
    (&["Shift_JIS", "MS_Kanji", "csShiftJIS", "shift-jis", "sjis", "x-sjis"],
        table("Shift_JIS", multi!("shift_jis"))),
    (&["EUC-JP", "Extended_UNIX_Code_Packed_Format_for_Japanese", "csEUCPkdFmtJapanese",
       "x-euc-jp"], table(
        "EUC-JP",
        Table::Multi { data: EUC_JP, three: Some((0x8F, EUC_JP_8F)) },
    )),
    (&["EUC-KR", "csEUCKR"], table("EUC-KR", multi!("euc-kr"))),
    (&["GB2312", "csGB2312", "GB_2312-80", "iso-ir-58", "chinese", "csISO58GB231280",
       "EUC-CN", "x-euc-cn"], table("GB2312", multi!("gb2312"))),
    (&["GBK", "CP936", "MS936", "windows-936", "csGBK"], table("GBK", multi!("gbk"))),
    (&["Big5", "csBig5"], table("Big5", multi!("big5"))),
    (&["GB18030", "csGB18030"], Charset { name: "GB18030", how: How::Gb18030 }),
    (&["ISO-2022-JP", "csISO2022JP"], Charset { name: "ISO-2022-JP", how: How::Iso2022Jp }),
    // CJK vendor charsets, under the vendor's own names only: encoding_rs's tables.
    (&["Windows-31J", "csWindows31J", "cp932", "ms932"], rs("Windows-31J", encoding_rs::SHIFT_JIS)),
    (&["windows-949", "cp949", "KS_C_5601-1987", "iso-ir-149", "KS_C_5601-1989", "KSC_5601",
       "korean", "csKSC56011987", "ks_c_5601"], rs("windows-949", encoding_rs::EUC_KR)),
    (&["Big5-HKSCS", "csBig5HKSCS"], rs("Big5-HKSCS", encoding_rs::BIG5)),
];

/// A generated decoding table (format: see `scripts/gen-charsets`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Table {
    /// 128 little-endian u16: the characters of bytes 0x80..=0xFF (0: not a character).
    Single(&'static [u8]),
    /// A multi-byte table; `three` is the first byte of three-byte sequences and their table
    /// (EUC-JP's 0x8F, JIS X 0212).
    Multi {
        data: &'static [u8],
        three: Option<(u8, &'static [u8])>,
    },
}

/// What [`Table::decode`] found.
pub(crate) struct Decoded {
    /// Bytes of the input decoded (or left for more input).
    pub read: usize,
    /// The length of an illegal sequence starting at `read`, if one was found.
    pub bad: Option<usize>,
}

impl Table {
    /// Decodes `bytes` onto `out`, stopping before an illegal sequence or, unless `last`, a
    /// sequence cut by the end of `bytes`.
    pub fn decode(&self, bytes: &[u8], last: bool, out: &mut String) -> Decoded {
        if let Table::Single(t) = *self {
            // One byte, one character: a single pass (a third faster than finding ASCII
            // runs first on mostly-ASCII text).
            out.reserve(bytes.len());
            for (i, &b) in bytes.iter().enumerate() {
                if b.is_ascii() {
                    out.push(char::from(b));
                } else {
                    match entry(t, usize::from(b - 0x80)) {
                        Some(c) => out.push(c),
                        None => {
                            return Decoded {
                                read: i,
                                bad: Some(1),
                            }
                        }
                    }
                }
            }
            return Decoded {
                read: bytes.len(),
                bad: None,
            };
        }
        let Table::Multi { data, three } = *self else {
            return Decoded { read: 0, bad: None };
        };
        // The headers are read once per call, not once per character.
        let main = Plane::of(data);
        let three = three.map(|(prefix, plane)| (prefix, Plane::of(plane)));
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            if b.is_ascii() {
                // Every table maps 0x00..=0x7F to ASCII.
                out.push(char::from(b));
                i += 1;
                continue;
            }
            match multi_step(&main, three.as_ref(), &bytes[i..]) {
                Step::Char(Some(c), n) => {
                    out.push(c);
                    i += n;
                }
                Step::Char(None, n) => {
                    return Decoded {
                        read: i,
                        bad: Some(n),
                    }
                }
                Step::Short if last => {
                    return Decoded {
                        read: i,
                        bad: Some(bytes.len() - i),
                    }
                }
                Step::Short => return Decoded { read: i, bad: None },
            }
        }
        Decoded { read: i, bad: None }
    }
}

/// A multi-byte table with its header read: lead and trail ranges, then its entries.
struct Plane<'a> {
    lead: std::ops::RangeInclusive<u8>,
    trail: std::ops::RangeInclusive<u8>,
    width: usize,
    /// The 128 single-byte entries (0x80..=0xFF).
    singles: &'a [u8],
    pairs: &'a [u8],
}

impl<'a> Plane<'a> {
    fn of(data: &'a [u8]) -> Plane<'a> {
        // A table without its header (never generated) has empty ranges: no pairs.
        let (&[lo, hi, tlo, thi], rest) = data.split_first_chunk().unwrap_or((&[1, 0, 1, 0], &[]));
        let (singles, pairs) = rest.split_at(rest.len().min(256));
        Plane {
            lead: lo..=hi,
            trail: tlo..=thi,
            width: usize::from(thi.wrapping_sub(tlo)) + 1,
            singles,
            pairs,
        }
    }

    fn pair(&self, lead: u8, trail: u8) -> Option<char> {
        if !self.lead.contains(&lead) || !self.trail.contains(&trail) {
            return None;
        }
        let i = usize::from(lead - self.lead.start()) * self.width
            + usize::from(trail - self.trail.start());
        entry(self.pairs, i)
    }
}

enum Step {
    /// A character (or `None`: an illegal sequence) of this many bytes.
    Char(Option<char>, usize),
    /// The sequence continues past the input.
    Short,
}

/// Entry `i` of a little-endian u16 array; 0 means no character.
fn entry(t: &[u8], i: usize) -> Option<char> {
    let lo = *t.get(2 * i)?;
    let hi = *t.get(2 * i + 1)?;
    match u16::from_le_bytes([lo, hi]) {
        0 => None,
        c => char::from_u32(u32::from(c)),
    }
}

/// Looks up the pair `lead trail` in a multi-byte table.
pub(crate) fn pair(data: &[u8], lead: u8, trail: u8) -> Option<char> {
    Plane::of(data).pair(lead, trail)
}

fn multi_step(main: &Plane<'_>, three: Option<&(u8, Plane<'_>)>, s: &[u8]) -> Step {
    let b = s[0];
    if let Some(c) = entry(main.singles, usize::from(b - 0x80)) {
        return Step::Char(Some(c), 1);
    }
    match three {
        Some((prefix, plane)) if b == *prefix => match (s.get(1), s.get(2)) {
            (Some(&l), Some(&t)) => Step::Char(plane.pair(l, t), 3),
            // A byte that cannot continue the sequence makes it illegal at once.
            (Some(&l), None) if l < 0xA1 => Step::Char(None, 2),
            _ => Step::Short,
        },
        _ => match s.get(1) {
            Some(&t) => match main.pair(b, t) {
                Some(c) => Step::Char(Some(c), 2),
                // An ASCII byte after a bad lead is not part of the bad sequence.
                None if t.is_ascii() => Step::Char(None, 1),
                None => Step::Char(None, 2),
            },
            None => Step::Short,
        },
    }
}

/// Where [`gb18030_whole`] stopped walking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gb18030Stop {
    /// At a one-byte 0x80 or 0xFF: illegal (GB 18030 has no such one-byte character;
    /// WHATWG reads 0x80 as € for old GBK documents).
    Lone,
    /// At the pair A3 A0, which GB 18030 (every edition, 2022 included) maps to U+E5E5 and
    /// WHATWG, so encoding_rs, to U+3000.
    A3A0,
}

/// Walks GB18030 text by its structure (one, two or four bytes, told by the first two
/// bytes' ranges, GB 18030-2022 §6) and returns how many bytes hold whole sequences, and what
/// stands right there if the walk stopped before the end for a reason of its own. Whether a
/// sequence is defined is encoding_rs's to check; if the walk loses step at an ill-formed
/// sequence, encoding_rs reports that one first.
pub(crate) fn gb18030_whole(bytes: &[u8]) -> (usize, Option<Gb18030Stop>) {
    let mut i = 0;
    while i < bytes.len() {
        let len = match bytes[i] {
            0x00..=0x7F => 1,
            0x80 | 0xFF => return (i, Some(Gb18030Stop::Lone)),
            lead => match bytes.get(i + 1) {
                Some(0x30..=0x39) => 4,
                Some(0xA0) if lead == 0xA3 => return (i, Some(Gb18030Stop::A3A0)),
                Some(_) => 2,
                None => break,
            },
        };
        if i + len > bytes.len() {
            break;
        }
        i += len;
    }
    (i, None)
}
