//! Declared charsets, exactly (issue 10, classes 3 and 4, and the encoding wording of 12).
//!
//! - Every byte value and byte pair of every table-decoded charset (and EUC-JP's three-byte
//!   plane, GB18030's four-byte BMP range, ISO-2022-JP's sets, and the vendor charsets) is
//!   decoded through the
//!   real reader and compared with CPython's codecs, run afresh (tests/charset_oracle.py):
//!   same characters when Python decodes it, an encoding error when Python refuses it; and
//!   the same in reads of 1, 2 and 3 bytes, so that every sequence is cut every way.
//! - The encoding declaration is found wherever it stands in the XML declaration, whatever
//!   the white space before it and however the input is split into reads, and is always
//!   compared with the encoding in use.
//! - The CJK vendor-mapping policy (docs/security.md): the standard's table under the
//!   standard's name, the vendor's under the vendor's.
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Read;
use std::process::Command;
use wary_xml::{Error, ErrorKind, Event, Limits, Options, Reader};

/// The text of a document (its character data and CDATA), or the first error.
fn text_of(input: impl Read + Send, options: Options) -> Result<String, Error> {
    let mut r = Reader::new(input, options);
    let mut out = String::new();
    while let Some(ev) = r.next_event()? {
        match ev {
            Event::Text(t) | Event::CData(t) => out.push_str(t),
            _ => {}
        }
    }
    Ok(out)
}

fn text(bytes: &[u8]) -> Result<String, Error> {
    text_of(bytes, Options::default())
}

fn declared(label: &str, body: &[u8]) -> Vec<u8> {
    let mut doc = format!("<?xml version='1.0' encoding='{label}'?><r>").into_bytes();
    doc.extend_from_slice(body);
    doc.extend_from_slice(b"</r>");
    doc
}

/// A reader that hands out at most `n` bytes per read, to split the input every way.
struct Chunks<'a> {
    rest: &'a [u8],
    n: usize,
}

impl Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.n.min(buf.len()).min(self.rest.len());
        buf[..k].copy_from_slice(&self.rest[..k]);
        self.rest = &self.rest[k..];
        Ok(k)
    }
}

/// Per declared name: each byte sequence and what Python decodes it to (`None`: refused).
type Oracle = BTreeMap<String, Vec<(Vec<u8>, Option<String>)>>;

fn oracle() -> Oracle {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/charset_oracle.py");
    let out = Command::new("python3")
        .arg(script)
        .output()
        .expect("python3 runs the charset oracle (scripts/install-deps installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut map: BTreeMap<String, Vec<_>> = BTreeMap::new();
    let mut label = String::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        if let Some(l) = line.strip_prefix("= ") {
            label = l.to_string();
            continue;
        }
        let (hex, res) = line.split_once('\t').unwrap();
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let res = (res != "ERR").then(|| {
            res.split(' ')
                .map(|c| char::from_u32(u32::from_str_radix(c, 16).unwrap()).unwrap())
                .collect::<String>()
        });
        map.entry(label.clone()).or_default().push((bytes, res));
    }
    map
}

/// Characters that can stand in CDATA and come back unchanged.
fn cdata_safe(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(c, '\t' | '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
            && c != ']'
    })
}

#[test]
fn every_byte_and_pair_decodes_as_python_codecs_do() {
    let oracle = oracle();
    assert!(oracle.len() >= 40, "the oracle lists every charset");
    let mut failures = Vec::new();
    for (label, cases) in &oracle {
        // All sequences Python decodes, in one document: each in CDATA, one per line.
        let mut body = b"<![CDATA[".to_vec();
        let mut expected = String::new();
        let mut bad = Vec::new();
        for (bytes, res) in cases {
            match res {
                Some(s) if cdata_safe(s) => {
                    body.extend_from_slice(bytes);
                    body.push(b'\n');
                    expected.push_str(s);
                    expected.push('\n');
                }
                Some(_) => {}
                None => bad.push(bytes),
            }
        }
        body.extend_from_slice(b"]]>");
        let doc = declared(label, &body);
        // Multi-byte sequences cut by every read boundary decode the same.
        if cases.len() > 128 {
            for n in [1, 2, 3] {
                let got = text_of(Chunks { rest: &doc, n }, Options::default());
                if got.as_ref().ok() != Some(&expected) {
                    failures.push(format!(
                        "{label}: in reads of {n} bytes, not as in one read"
                    ));
                }
            }
        }
        if text(&doc).ok().as_deref() != Some(expected.as_str()) {
            // Find which: each sequence on its own.
            let mut wrong = Vec::new();
            for (bytes, res) in cases {
                let Some(want) = res.as_deref().filter(|s| cdata_safe(s)) else {
                    continue;
                };
                let doc = declared(label, &[b"<![CDATA[", &bytes[..], b"]]>"].concat());
                match text(&doc) {
                    Ok(got) if got == want => {}
                    got => wrong.push(format!("{bytes:02X?} -> {got:?}, Python {want:?}")),
                }
            }
            failures.push(format!(
                "{label}: {} sequences Python decodes are decoded otherwise, e.g. {}",
                wrong.len(),
                wrong[..wrong.len().min(6)].join("; ")
            ));
        }
        // Each sequence Python refuses, on its own: an encoding error, never text.
        let mut wrong = Vec::new();
        for bytes in &bad {
            match text(&declared(label, bytes)) {
                Err(e) if e.kind() == ErrorKind::Encoding => {}
                other => wrong.push(format!("{bytes:02X?} -> {other:?}")),
            }
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{label}: {} sequences Python refuses are not encoding errors, e.g. {}",
                wrong.len(),
                wrong[..wrong.len().min(3)].join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The white space before `encoding=` is unbounded in XML 1.0 \[23\]/\[80\]: the declaration
/// is read whole wherever the encoding stands, for every way of splitting the input.
#[test]
fn declaration_found_after_any_white_space_and_any_split() {
    for n in [0, 1, 255, 4090, 4096, 4100, 65_536, 1 << 20] {
        let ws = " ".repeat(n);
        for (label, body, want) in [
            ("ISO-8859-1", &b"\xE9\x80"[..], Ok("\u{E9}\u{80}")),
            ("ISO-8859-9", b"\xD0\xFD", Ok("\u{11E}\u{131}")),
            ("KOI8-U", b"\xAE\xA4", Ok("\u{255D}\u{454}")),
            ("x-no-such-charset", b"a", Err(ErrorKind::Encoding)),
            ("UTF-16", b"a", Err(ErrorKind::Encoding)),
        ] {
            let doc = [
                format!("<?xml version='1.0'{ws} encoding='{label}'?><r>").as_bytes(),
                body,
                b"</r>",
            ]
            .concat();
            for split in [1, 7, 4096, usize::MAX] {
                if n > 70_000 && split < 4096 {
                    continue; // a megabyte a byte at a time adds nothing but time
                }
                let got = text_of(
                    Chunks {
                        rest: &doc,
                        n: split,
                    },
                    Options::default(),
                );
                match (&got, want) {
                    (Ok(g), Ok(w)) if g == w => {}
                    (Err(e), Err(k)) if e.kind() == k => {
                        // Reported at the declaration's value, not at 1:1.
                        let col = 19 + n + 10 + 1;
                        let p = e.position().expect("a position");
                        assert_eq!(
                            (p.line, p.column),
                            (1, col as u64),
                            "{label} after {n}: {e}"
                        );
                    }
                    _ => panic!("{label} after {n} spaces, reads of {split}: {got:?}"),
                }
            }
        }
    }
}

/// A declaration longer than the token limit is refused, never silently half-read.
#[test]
fn declaration_longer_than_the_token_limit_is_refused() {
    let options = || Options::new().with_limits(Limits::default().with_max_token_len(1000));
    let ws = " ".repeat(2000);
    let doc = format!("<?xml version='1.0'{ws} encoding='ISO-8859-1'?><r>\u{e9}</r>");
    let e = text_of(doc.as_bytes(), options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
}

/// The declared encoding is compared with the byte-order mark wherever it stands, and a
/// contradiction or an unknown name is reported at the name.
#[test]
fn contradictions_and_unknown_names_reported_at_the_declaration() {
    let utf16le = |s: &str| -> Vec<u8> {
        let mut b = vec![0xFF, 0xFE];
        s.encode_utf16()
            .for_each(|u| b.extend_from_slice(&u.to_le_bytes()));
        b
    };
    for ws in ["", "\n\n   ", &" ".repeat(5000)] {
        let decl = format!("<?xml version='1.0'{ws} encoding=");
        let (line, col) = match ws.rfind('\n') {
            Some(i) => (3, (ws.len() - i - 1 + 10 + 1) as u64),
            None => (1, (decl.len() + 1) as u64),
        };
        let cases: Vec<Vec<u8>> = vec![
            [
                b"\xEF\xBB\xBF",
                format!("{decl}'ISO-8859-1'?><r/>").as_bytes(),
            ]
            .concat(),
            utf16le(&format!("{decl}'ISO-8859-1'?><r/>")),
            utf16le(&format!("{decl}'UTF-16BE'?><r/>")),
            format!("{decl}'x-bogus'?><r/>").into_bytes(),
            format!("{decl}'ebcdic-cp-us'?><r/>").into_bytes(),
        ];
        for doc in cases {
            let e = text(&doc).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Encoding, "{e}");
            let p = e.position().unwrap();
            assert_eq!((p.line, p.column), (line, col), "{e}");
        }
    }
}

/// Every spelling of ISO-8859-1 is ISO-8859-1 (0x80-0x9F are C1 controls, never
/// windows-1252's letters).
#[test]
fn every_name_of_latin1_is_latin1() {
    for label in [
        "ISO-8859-1",
        "iso-8859-1",
        "ISO_8859-1",
        "iso-ir-100",
        "latin1",
        "l1",
        "IBM819",
        "CP819",
        "csISOLatin1",
        "iso8859-1",
        "iso88591",
    ] {
        assert_eq!(
            text(&declared(label, b"\x80\x93\x9F")).unwrap(),
            "\u{80}\u{93}\u{9F}"
        );
    }
}

/// Bytes the issue found accepted though illegal in the declared charset, at their place.
#[test]
fn illegal_bytes_rejected_where_they_are() {
    for (label, body, col) in [
        ("TIS-620", &b"ab\x93"[..], 3),
        ("GB18030", b"ab\x80", 3),
        ("GB18030", b"\x81\x80\x80", 2), // 81 80 is a pair; the 0x80 after it stands alone
        ("EUC-KR", b"ab\x81\x41", 3),    // a CP949 (UHC) pair
        ("Shift_JIS", b"ab\x87\x40", 3), // NEC's circled digit one
        ("Shift_JIS", b"ab\xED\x40", 3), // NEC-selected IBM extension
        ("US-ASCII", b"ab\xE9", 3),
        ("windows-1252", b"ab\x81", 3), // undefined in Microsoft's table
    ] {
        let e = text(&declared(label, body)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Encoding, "{label}: {e}");
        let p = e.position().unwrap();
        assert_eq!(
            (p.line, p.column),
            (1, 36 + label.len() as u64 + col),
            "{label}: {e}"
        );
    }
}

/// The CJK vendor-mapping policy: the standard's table under the standard's name, the
/// vendor's table (with its extensions) under the vendor's name.
#[test]
fn cjk_vendor_mappings_only_under_vendor_names() {
    let cases: &[(&str, &[u8], Result<&str, ()>)] = &[
        ("Shift_JIS", b"\x81\x60", Ok("\u{301C}")), // JIS X 0208: WAVE DASH
        ("Windows-31J", b"\x81\x60", Ok("\u{FF5E}")), // Microsoft: FULLWIDTH TILDE
        ("Shift_JIS", b"\x87\x40", Err(())),
        ("Windows-31J", b"\x87\x40", Ok("\u{2460}")),
        ("EUC-KR", b"\x81\x41", Err(())),
        ("windows-949", b"\x81\x41", Ok("\u{AC02}")),
        ("EUC-KR", b"\xB0\xA1", Ok("\u{AC00}")),
        ("GB18030", b"\x80", Err(())),
        ("GB18030", b"\x81\x30\x81\x30", Ok("\u{80}")),
        ("GB18030", b"\xA2\xE3", Ok("\u{20AC}")),
        ("GBK", b"\x80", Err(())),
        ("ISO-2022-JP", b"\x1b$B\x21\x41\x1b(B", Ok("\u{301C}")), // RFC 1468: JIS X 0208
        ("ISO-2022-JP", b"\x1b$B\x2D\x21\x1b(B", Err(())),        // NEC's row 13
        ("ISO-2022-JP", b"\x1b(I\x21\x1b(B", Err(())),            // katakana: not in RFC 1468
        ("Big5", b"\xA1\x45", Ok("\u{2022}")),                    // Unicode's BIG5.TXT
        ("Big5-HKSCS", b"\xA1\x45", Ok("\u{2027}")),              // WHATWG
        ("Big5", b"\x87\x40", Err(())),
        ("Big5-HKSCS", b"\x87\x40", Ok("\u{43F0}")), // an HKSCS extension
    ];
    for &(label, body, want) in cases {
        let got = text(&declared(label, body));
        match (got, want) {
            (Ok(g), Ok(w)) => assert_eq!(g, w, "{label} {body:02X?}"),
            (Err(e), Err(())) => assert_eq!(e.kind(), ErrorKind::Encoding, "{e}"),
            (got, _) => panic!("{label} {body:02X?}: {got:?}"),
        }
    }
}

/// UTF-16 without a byte-order mark, and a UTF-16 mark followed by 8-bit text, are named as
/// what they are, not as a stray `<` or U+3C3F.
#[test]
fn utf16_problems_named() {
    let le: Vec<u8> = "<r>hi</r>"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let be: Vec<u8> = "<r>hi</r>"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    let bom_le_utf8 = [&[0xFF, 0xFE][..], b"<?xml version='1.0'?><r/>"].concat();
    let bom_be_utf8 = [&[0xFE, 0xFF][..], b"<r/>"].concat();
    for (doc, words) in [
        (le, "UTF-16 (little-endian) without a byte-order mark"),
        (be, "UTF-16 (big-endian) without a byte-order mark"),
        (
            bom_le_utf8,
            "says UTF-16 (little-endian), but the bytes after it are 8-bit",
        ),
        (
            bom_be_utf8,
            "says UTF-16 (big-endian), but the bytes after it are 8-bit",
        ),
    ] {
        let e = text(&doc).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Encoding, "{e}");
        assert!(e.message().contains(words), "{e}");
    }
}

/// External entities too: the text declaration is read whole and checked, and a problem is
/// reported at the name, in the entity.
#[test]
fn external_entities_declare_their_encoding_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let ws = " ".repeat(5000);
    std::fs::write(
        dir.path().join("good.ent"),
        [
            format!("<?xml{ws} encoding='ISO-8859-9'?>").as_bytes(),
            b"\xD0\x80",
        ]
        .concat(),
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.ent"), "<?xml\n encoding='x-bogus'?>t").unwrap();
    let options = || {
        Options::new()
            .with_external_entities(wary_xml::ExternalEntities::local_in(dir.path()))
            .with_document_path(dir.path().join("doc.xml"))
    };
    let doc =
        |file: &str| format!("<!DOCTYPE r [<!ENTITY e SYSTEM '{file}'>]><r>&e;</r>").into_bytes();
    assert_eq!(
        text_of(&doc("good.ent")[..], options()).unwrap(),
        "\u{11E}\u{80}"
    );
    let e = text_of(&doc("bad.ent")[..], options()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Encoding, "{e}");
    let p = e.position().unwrap();
    assert_eq!((p.line, p.column), (2, 11), "{e}");
    assert!(p.entity.as_deref().unwrap_or("").contains("bad.ent"), "{e}");
}
