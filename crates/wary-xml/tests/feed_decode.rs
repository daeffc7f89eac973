//! `Parser::feed` decodes straight from the fed bytes into the document's window, staging
//! only an incomplete sequence at the end of a feed (issue 11, the 17% on plain text). Its
//! invariant, attacked here: events and the error (kind, message, rule, position) are the
//! same for every split of the same bytes, whatever is cut by a feed's end:
//!
//! - a multi-byte UTF-8 character (2, 3 and 4 bytes) at every byte, a byte-order mark,
//!   CR LF between CR and LF, a CR at the very end;
//! - UTF-16 (a surrogate pair, an odd byte at the end, a lone surrogate), ISO-8859-1,
//!   US-ASCII, windows-1252, the table charsets (Shift_JIS, EUC-JP, Big5), ISO-2022-JP's
//!   escapes, GB18030's four-byte sequences;
//! - invalid UTF-8 and illegal bytes at a feed boundary, C0 controls, U+FFFE.
//!
//! Each document is fed in every split into two and three pieces, a byte at a time, and
//! with feeds that follow each other without a pull between them (so that bytes are fed
//! while a cut sequence is staged).
//!
//! Also: the check and line-end normalization of decoded text (`push_checked`, which skips
//! 64-byte blocks with nothing to look at) against a model, for generated text with CRs,
//! controls and U+FFFE/U+FFFF at every offset around the blocks' edges.
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "conformance/splits.rs"]
mod splits;

use splits::{fed, push_event, Outcome, Rng};
use wary_xml::{Options, Parser, Pull};

/// The body every charset's document carries (what the charset can encode of it).
const BODY: &str = "<r a='日本\r\n語 é'>x日\r\nb\rc<!-- é𝄞 -->\
                    <![CDATA[本\r]]>語&#x10000;𝄞é</r>\r\n";

/// `text` in `label` (encoded by encoding_rs), with an XML declaration naming it.
fn declared(label: &str, text: &str) -> Vec<u8> {
    let doc = format!("<?xml version='1.0' encoding='{label}'?>{text}");
    let enc = encoding_rs::Encoding::for_label(label.as_bytes()).expect("a known label");
    let (bytes, _, unmappable) = enc.encode(&doc);
    assert!(!unmappable, "{label} cannot encode the test text");
    bytes.into_owned()
}

fn utf16(text: &str, le: bool) -> Vec<u8> {
    let mut b = if le {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for u in text.encode_utf16() {
        b.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    b
}

/// The documents: (name, bytes). Well-formed ones and broken ones, in every charset kind.
fn documents() -> Vec<(&'static str, Vec<u8>)> {
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(BODY.as_bytes());
    let mut utf16_lone = utf16("<r>a", true);
    utf16_lone.extend_from_slice(&[0x00, 0xD8, b'b', 0x00]);
    utf16_lone.extend_from_slice(&utf16("</r>", true)[2..]);
    let mut utf16_odd = utf16("<r>ab</r>", false);
    utf16_odd.push(0x00);
    let latin = "<r a='é\r\n'>\u{E9}\u{FF}\r\nx\r</r>\r";
    vec![
        ("utf-8 with a BOM", bom),
        ("utf-8", BODY.as_bytes().to_vec()),
        ("utf-8 declared", declared("UTF-8", BODY)),
        ("utf-8, CR at the end", b"<r>\xc3\xa9</r>\r".to_vec()),
        (
            "utf-8, cut sequence then ASCII",
            b"<r>ab\xe6\x97cd</r>".to_vec(),
        ),
        ("utf-8, 0xFF", b"<r>\xc3\xa9\xff</r>".to_vec()),
        ("utf-8, overlong", b"<r>\xe6\x97\xa5\xc0\x80</r>".to_vec()),
        ("utf-8, surrogate", b"<r>a\xed\xa0\x80b</r>".to_vec()),
        (
            "utf-8, 4-byte cut by the end",
            b"<r>\xf0\x9d\x84\x9e\xf0\x9d\x84".to_vec(),
        ),
        ("utf-8, lead byte at the end", b"<r>ab</r>\xe6".to_vec()),
        ("utf-8, control", b"<r>\xc3\xa9\r\n\x01</r>".to_vec()),
        ("utf-8, U+FFFE", b"<r>\xe6\x97\xa5\xef\xbf\xbe</r>".to_vec()),
        ("utf-8, U+FFFF after CR", b"<r>\r\xef\xbf\xbf</r>".to_vec()),
        ("utf-16le", utf16(BODY, true)),
        ("utf-16be", utf16(BODY, false)),
        ("utf-16, lone surrogate", utf16_lone),
        ("utf-16, odd byte at the end", utf16_odd),
        ("iso-8859-1", declared("ISO-8859-1", latin)),
        (
            "windows-1252",
            declared("windows-1252", "<r>\u{20AC}\u{E9}\r\n\u{2019}</r>"),
        ),
        ("us-ascii, bad byte", {
            let mut b = declared("US-ASCII", "<r>ab\r\n");
            b.extend_from_slice(b"\xe9</r>");
            b
        }),
        (
            "shift_jis",
            declared("Shift_JIS", "<r a='日本'>語\r\nｱ本</r>"),
        ),
        ("shift_jis, bad trail byte", {
            let mut b = declared("Shift_JIS", "<r>日");
            b.extend_from_slice(b"\x81\x20</r>");
            b
        }),
        ("euc-jp", declared("EUC-JP", "<r a='日本'>語\r\n本</r>")),
        ("big5", declared("Big5", "<r a='中文'>字\r\n</r>")),
        (
            "iso-2022-jp",
            declared("ISO-2022-JP", "<r a='日本'>語x本\r\nb</r>"),
        ),
        (
            "gb18030",
            declared("GB18030", "<r a='中文'>𝄞\u{E9}\r\n字</r>"),
        ),
        ("gb18030, lone 0x80", {
            let mut b = declared("GB18030", "<r>中");
            b.extend_from_slice(b"\x80</r>");
            b
        }),
    ]
}

/// Feeds `bytes` in the pieces `cuts` marks (offsets, ascending), pulling until NeedMore
/// after the first piece and, if `pull`, after every other one; then finishes.
fn in_pieces(bytes: &[u8], cuts: &[usize], pull: bool) -> Outcome {
    let mut p = Parser::new(Options::default());
    let mut events = Vec::new();
    let mut from = 0;
    for (i, &to) in cuts.iter().chain([bytes.len()].iter()).enumerate() {
        p.feed(&bytes[from..to]);
        from = to;
        if i == 0 || pull {
            if let Some(done) = pull_all(&mut p, &mut events) {
                return Outcome {
                    events,
                    error: done,
                };
            }
        }
    }
    p.finish();
    let error = pull_all(&mut p, &mut events).expect("no NeedMore after finish()");
    Outcome { events, error }
}

/// Pulls until NeedMore (`None`), or the end (`Some(None)`), or an error (`Some(Some)`,
/// formatted as `splits::fed` does).
fn pull_all(p: &mut Parser, events: &mut Vec<String>) -> Option<Option<String>> {
    loop {
        match p.next_event() {
            Ok(Pull::Event(ev)) => push_event(events, &ev),
            Ok(Pull::NeedMore) => return None,
            Ok(Pull::End) => return Some(None),
            Err(e) => {
                return Some(Some(format!(
                    "{:?} {:?} {:?} {:?}",
                    e.kind(),
                    e.message(),
                    e.rule(),
                    e.position()
                )))
            }
            Ok(other) => panic!("a Pull this test does not know: {other:?}"),
        }
    }
}

#[test]
fn every_cut_of_every_charset_gives_the_same_events_and_error() {
    let (mut accepted, mut rejected, mut parses) = (0, 0, 0u64);
    for (name, bytes) in documents() {
        let whole = fed(&bytes, Options::default(), || usize::MAX);
        match &whole.error {
            None => accepted += 1,
            Some(_) => rejected += 1,
        }
        if std::env::var_os("FEED_SHOW").is_some() {
            println!("{name}: {} events, {:?}", whole.events.len(), whole.error);
        }
        let one = fed(&bytes, Options::default(), || 1);
        assert_eq!(one, whole, "{name}: a byte per feed differs");
        let n = bytes.len();
        for a in 0..=n {
            for pull in [true, false] {
                let got = in_pieces(&bytes, &[a], pull);
                assert_eq!(got, whole, "{name}: cut at {a} differs");
                parses += 1;
            }
            for b in a..=n {
                for pull in [true, false] {
                    let got = in_pieces(&bytes, &[a, b], pull);
                    assert_eq!(got, whole, "{name}: cuts at {a}, {b} (pull {pull}) differ");
                    parses += 1;
                }
            }
        }
    }
    println!("{accepted} accepted, {rejected} rejected, {parses} splits alike");
    assert!(accepted >= 12 && rejected >= 12, "{accepted} / {rejected}");
}

/// What `push_checked` must make of `text`: line ends normalized (XML 1.0 §2.11), or the
/// first character outside \[2\] Char with its line and column (1-based, in characters,
/// after normalization).
fn model(text: &str) -> Result<String, (u64, u64)> {
    let mut out = String::new();
    let (mut line, mut column) = (1, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let bad = matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}')
            || c == '\u{FFFE}'
            || c == '\u{FFFF}';
        if bad {
            return Err((line, column));
        }
        if c == '\r' || c == '\n' {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
            line += 1;
            column = 1;
        } else {
            out.push(c);
            column += 1;
        }
    }
    Ok(out)
}

#[test]
fn decoded_text_is_checked_and_normalized_at_every_offset() {
    // Characters of 1 to 4 bytes, 0xEF-led ones that are (U+FF01, U+FEFF, U+FFFD) and are not
    // (U+FFFE, U+FFFF) characters, CR and LF, and controls.
    const PLAIN: &[&str] = &[
        "a", "é", "日", "𝄞", "\u{FF01}", "\u{FEFF}", "\u{FFFD}", "\t",
    ];
    const SPECIAL: &[&str] = &[
        "\r", "\n", "\r\n", "\r\r", "\n\r", "\u{1}", "\u{1F}", "\u{0}", "\u{FFFE}", "\u{FFFF}",
    ];
    let mut rng = Rng::new(11);
    let mut cases = 0;
    let mut check = |body: &str| {
        // `<r>` before the body shifts it against the blocks; one feed decodes it all at once.
        let doc = format!("<r>{body}</r>");
        let got = fed(doc.as_bytes(), Options::default(), || usize::MAX);
        match model(&doc) {
            Ok(text) => {
                let inner = text
                    .strip_prefix("<r>")
                    .and_then(|t| t.strip_suffix("</r>"))
                    .unwrap_or_default();
                assert_eq!(got.error, None, "{body:?}");
                let want: Vec<String> = if inner.is_empty() {
                    vec![]
                } else {
                    vec![format!("T:{inner}")]
                };
                assert_eq!(got.events.get(1..got.events.len() - 1).unwrap(), want);
            }
            Err((line, column)) => {
                let e = got.error.expect("an error");
                let at = format!("line: {line}, column: {column},");
                assert!(e.starts_with("InvalidChar"), "{body:?}: {e}");
                assert!(e.contains(&at), "{body:?}: {e}, want {at}");
            }
        }
        cases += 1;
    };
    // One special character (or pair) at every offset across the first three blocks.
    for special in SPECIAL {
        for at in 0..200 {
            for tail in [0, 1, 2, 70] {
                check(&format!("{}{special}{}", "a".repeat(at), "b".repeat(tail)));
            }
        }
    }
    // Random mixes, mostly plain.
    for _ in 0..3000 {
        let len = rng.below(300);
        let mut body = String::new();
        for _ in 0..len {
            if rng.below(40) == 0 {
                body.push_str(SPECIAL[rng.below(SPECIAL.len())]);
            } else {
                body.push_str(PLAIN[rng.below(PLAIN.len())]);
            }
        }
        check(&body);
    }
    println!("{cases} texts checked");
}
