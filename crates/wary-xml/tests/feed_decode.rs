//! The check and line-end normalization of decoded text (`push_checked`, which passes over
//! 64-byte blocks with nothing to look at; issue 11, the 17% on plain text with CR LF line
//! ends) against a model, for generated text with CRs, controls and U+FFFE/U+FFFF at every
//! offset around the blocks' edges.
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "conformance/splits.rs"]
mod splits;

use splits::{fed, Rng};
use wary_xml::Options;

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
