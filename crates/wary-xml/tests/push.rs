//! The sans-IO parser (issue 11): its invariant, attacked by generated documents.
//!
//! - Events and the error (kind, message, rule, position) are the same for every split of
//!   the same bytes into feeds: documents generated from a seed (elements, attributes,
//!   entities, CDATA, PIs, comments, an internal subset, BOMs, UTF-16 and ISO-8859-1, CR LF
//!   line ends, and errors put at random places) are fed whole, a byte at a time, and in
//!   random pieces with empty feeds among them.
//! - `NeedMore` is a state: asked again without a feed, it says `NeedMore` again, and the
//!   parse goes on unchanged.
//! - Feeding after `finish` is a caller error; the parser and every adapter are `Send` and
//!   `Debug`.
//! - A long token fed in small pieces is not parsed again after every piece (the cost of
//!   the whole stays linear, n vs 8n).
// Test code: a panic with a message is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "conformance/splits.rs"]
mod splits;

use splits::{fed, Outcome, Rng};
use wary_xml::{ErrorKind, Options, Parser, Pull, Reader};

/// Generates a document from `rng`: a random mix of every construct (see the module docs).
fn document(rng: &mut Rng) -> String {
    let mut d = String::new();
    if rng.below(2) == 0 {
        d.push_str("<?xml version='1.0'?>\n");
    }
    let dtd = rng.below(3) != 0;
    if dtd {
        d.push_str("<!DOCTYPE root [\n  <!ENTITY e1 'one &#60;b>x&#60;/b> >'>\n");
        d.push_str("  <!ENTITY e2 \"two 'q' &e1; \u{e9}\">\n");
        for _ in 0..rng.below(6) {
            match rng.below(7) {
                0 => d.push_str("  <!ENTITY e1 'a second declaration is ignored'>\n"),
                1 => d.push_str("  <!ATTLIST c1 p:q CDATA #FIXED 'fixed' r NMTOKENS 'a b'>\n"),
                2 => d.push_str("  <!ATTLIST root def CDATA 'dflt>v' id ID #IMPLIED>\n"),
                3 => d.push_str("  <!ELEMENT root (#PCDATA|b|c)*>\n"),
                4 => d.push_str("  <!-- a comment > in the DTD -->\n"),
                5 => d.push_str("  <?pi in dtd?>\n"),
                _ => d.push_str("  <!NOTATION n SYSTEM 'x.not'>\n"),
            }
        }
        if rng.below(2) == 0 {
            d.push_str("  <!ENTITY % pe '<!ENTITY e3 \"three\">'>\n  %pe;\n");
        }
        d.push_str("]>\n");
    }
    d.push_str("<!-- before -->\n<root a='1' b=\"&lt;&#x41;\" xmlns:p='urn:p'>");
    let mut depth = 1usize;
    for _ in 0..rng.below(40) {
        match rng.below(12) {
            0 if depth < 8 => {
                d.push_str(&format!(
                    "<c{} x='{}' xmlns:p='urn:p'>",
                    depth,
                    rng.below(100)
                ));
                depth += 1;
            }
            1 if depth > 1 => {
                depth -= 1;
                d.push_str(&format!("</c{depth}>"));
            }
            2 => d.push_str("text with \u{e9}\u{4e2d} and > and ]] "),
            3 => d.push_str("<![CDATA[cdata <not> ]] ]]>"),
            4 => d.push_str("<?target data ? > ?>"),
            5 => d.push_str("<!-- comment - with dashes -->"),
            6 => d.push_str("&amp;&#233;&#x10000;"),
            7 => d.push_str("<b/>"),
            8 => d.push_str("\r\nline\rend\r\n"),
            9 => d.push_str("<p:e p:a='v'/>"),
            10 if dtd => d.push_str("&e1;"),
            11 if dtd => d.push_str("&e2;"),
            _ => d.push_str("<c0 xmlns='urn:default'>&#xD;</c0>"),
        }
    }
    while depth > 1 {
        depth -= 1;
        d.push_str(&format!("</c{depth}>"));
    }
    d.push_str("</root>\n<?after?>\n");
    d
}

/// The document in one of the encodings, with or without a byte-order mark.
fn encode(doc: &str, rng: &mut Rng) -> Vec<u8> {
    let body = doc.trim_start_matches("<?xml version='1.0'?>\n");
    match rng.below(5) {
        0 => {
            let mut b = vec![0xEF, 0xBB, 0xBF];
            b.extend_from_slice(doc.as_bytes());
            b
        }
        1 | 2 => {
            let le = rng.below(2) == 0;
            let text = format!("<?xml version='1.0' encoding='UTF-16'?>{body}");
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
        3 => {
            // ISO-8859-1 holds only U+0000..U+00FF: the others become a character reference.
            let text = format!("<?xml version='1.0' encoding='ISO-8859-1'?>{body}");
            let mut b = Vec::new();
            for c in text.chars() {
                match u8::try_from(u32::from(c)) {
                    Ok(byte) => b.push(byte),
                    Err(_) => b.extend_from_slice(format!("&#{};", u32::from(c)).as_bytes()),
                }
            }
            b
        }
        _ => doc.as_bytes().to_vec(),
    }
}

/// Breaks the document at a random place, a few times out of ten: a byte inserted (often one
/// that is not allowed, or markup), a range deleted, or the end cut off.
fn corrupt(mut b: Vec<u8>, rng: &mut Rng) -> Vec<u8> {
    if b.is_empty() {
        return b;
    }
    match rng.below(10) {
        0 => {
            let at = rng.below(b.len());
            let bad = [0x00, 0x01, b'<', b'&', b'>', b']', 0xFF, 0xC3, b'\'', b'%'];
            b.insert(at, bad[rng.below(bad.len())]);
        }
        1 => {
            let at = rng.below(b.len());
            let n = (1 + rng.below(8)).min(b.len() - at);
            b.drain(at..at + n);
        }
        2 => {
            let at = rng.below(b.len());
            b.truncate(at);
        }
        _ => {}
    }
    b
}

#[test]
fn every_split_gives_the_same_events_and_error() {
    const DOCS: u64 = 1500;
    let (mut accepted, mut rejected) = (0, 0);
    for seed in 0..DOCS {
        let mut rng = Rng::new(seed);
        let text = document(&mut rng);
        let bytes = corrupt(encode(&text, &mut rng), &mut rng);
        let whole = fed(&bytes, Options::default(), || usize::MAX);
        if whole.error.is_none() {
            accepted += 1;
        } else {
            rejected += 1;
            if std::env::var_os("PUSH_SHOW").is_some() {
                println!("seed {seed}: {:?}", whole.error);
            }
        }
        let one = fed(&bytes, Options::default(), || 1);
        assert_eq!(one, whole, "seed {seed}: one byte per feed differs");
        for round in 0..3 {
            let max = 1 + rng.below(40);
            let mut split = Rng::new(seed * 31 + round);
            let got = fed(&bytes, Options::default(), || {
                if split.below(6) == 0 {
                    0
                } else {
                    1 + split.below(max)
                }
            });
            assert_eq!(
                got, whole,
                "seed {seed}, round {round}: pieces of up to {max} differ"
            );
        }
    }
    println!("{accepted} generated documents accepted, {rejected} rejected, every split alike");
    // The generator must exercise both outcomes, or the test proves little.
    assert!(
        accepted > DOCS / 3 && rejected > DOCS / 20,
        "{accepted} / {rejected}"
    );
}

#[test]
fn need_more_twice_changes_nothing() {
    for seed in 0..100 {
        let mut rng = Rng::new(seed);
        let bytes = encode(&document(&mut rng), &mut rng);
        let whole = fed(&bytes, Options::default(), || usize::MAX);
        // Asks twice (three times) at every NeedMore before feeding the next piece.
        let mut p = Parser::new(Options::default());
        let mut events = Vec::new();
        let mut rest = bytes.as_slice();
        let mut error = None;
        loop {
            match p.next_event() {
                Ok(Pull::Event(ev)) => splits::push_event(&mut events, &ev),
                Ok(Pull::End) => break,
                Ok(Pull::NeedMore) => {
                    for _ in 0..2 {
                        assert!(matches!(p.next_event(), Ok(Pull::NeedMore)), "seed {seed}");
                    }
                    if rest.is_empty() {
                        p.finish();
                    } else {
                        let n = (1 + rng.below(13)).min(rest.len());
                        p.feed(&rest[..n]);
                        rest = &rest[n..];
                    }
                }
                Err(e) => {
                    error = Some(format!(
                        "{:?} {:?} {:?} {:?}",
                        e.kind(),
                        e.message(),
                        e.rule(),
                        e.position()
                    ));
                    break;
                }
                Ok(other) => panic!("unknown {other:?}"),
            }
        }
        assert_eq!(Outcome { events, error }, whole, "seed {seed}");
    }
}

#[test]
fn feeding_after_finish_is_a_caller_error() {
    let mut p = Parser::new(Options::default());
    p.feed(b"<a>");
    p.finish();
    p.feed(b"</a>");
    let e = p.next_event().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Caller);
    assert!(e.message().contains("after finish()"), "{e}");
    // And the parser stays stopped.
    assert_eq!(p.next_event().unwrap_err().kind(), ErrorKind::Caller);
    // An empty feed after finish is harmless: it adds nothing.
    let mut p = Parser::new(Options::default());
    p.feed(b"<a/>");
    p.finish();
    p.feed(b"");
    assert!(matches!(p.next_event(), Ok(Pull::Event(_))));
}

#[test]
fn nothing_fed_is_need_more_and_nothing_at_all_is_an_error() {
    let mut p = Parser::new(Options::default());
    assert!(matches!(p.next_event(), Ok(Pull::NeedMore)));
    assert!(matches!(p.next_event(), Ok(Pull::NeedMore)));
    p.finish();
    let e = p.next_event().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Syntax, "{e}");
}

#[test]
fn parser_and_adapters_are_send_and_debug() {
    fn assert_send<T: Send>() {}
    fn assert_debug<T: std::fmt::Debug>() {}
    assert_send::<Parser>();
    assert_debug::<Parser>();
    assert_send::<Reader<'static>>();
    assert_debug::<Reader<'static>>();
    assert_send::<Pull<'static>>();
    #[cfg(feature = "tokio")]
    {
        assert_send::<wary_xml::AsyncReader<tokio::net::TcpStream>>();
        assert_debug::<wary_xml::AsyncReader<tokio::net::TcpStream>>();
    }
    // A reader moves to another thread and parses there.
    let mut r = Reader::from_bytes(b"<a>x</a>", Options::default());
    let n = std::thread::spawn(move || {
        let mut n = 0;
        while r.next_event().unwrap().is_some() {
            n += 1;
        }
        n
    })
    .join()
    .unwrap();
    assert_eq!(n, 3);
    let p = Parser::new(Options::default());
    assert!(format!("{p:?}").starts_with("Parser"));
}

/// CPU time of this thread: unlike the wall clock, not the time other processes take.
fn cpu_time() -> std::time::Duration {
    use nix::time::{clock_gettime, ClockId};
    let t = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).unwrap();
    std::time::Duration::new(t.tv_sec() as u64, t.tv_nsec() as u32)
}

/// Feeds a document whose one token (a comment, a start tag with a long attribute value,
/// a markup declaration) is `n` bytes long, in 16-byte pieces with a '>' in each (which
/// wakes a short waiting token), pulling after every piece.
fn feed_long_token(kind: usize, n: usize) -> std::time::Duration {
    let filler = "ab>cdefghijklmn>".repeat(n / 16);
    let doc = match kind {
        0 => format!("<r><!--{filler}--></r>"),
        1 => format!("<r a='{filler}'/>"),
        _ => format!("<!DOCTYPE r [<!ENTITY e '{filler}'>]><r/>"),
    };
    let start = cpu_time();
    let mut p = Parser::new(Options::default());
    for piece in doc.as_bytes().chunks(16) {
        p.feed(piece);
        loop {
            match p.next_event().unwrap() {
                Pull::NeedMore | Pull::End => break,
                _ => {}
            }
        }
    }
    p.finish();
    while !matches!(p.next_event().unwrap(), Pull::End) {}
    cpu_time().saturating_sub(start)
}

#[test]
fn a_long_token_fed_in_small_pieces_costs_linear_time() {
    for kind in 0..3 {
        let time = |n| (0..3).map(|_| feed_long_token(kind, n)).min().unwrap();
        let small = time(128 * 1024);
        let large = time(1024 * 1024);
        let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-6);
        println!("token kind {kind}: 128 KiB {small:?}, 1 MiB {large:?}, ratio {ratio:.1}");
        // Linear is 8; parsing the token again after every piece would be 64.
        assert!(
            ratio < 20.0,
            "kind {kind}: 8x the token took {ratio:.1}x the time"
        );
    }
}
