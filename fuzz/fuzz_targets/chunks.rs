//! Fuzz target `chunks` (differential, issue 11): the same document fed to the sans-IO
//! `Parser` whole and in the splits the fuzzer chooses (the first bytes of the input are the
//! piece sizes, cycling: 0 is an empty feed, up to 16 bytes) must give identical events
//! (adjacent text and CDATA pieces joined, since their split may follow the feeds) and the
//! identical error: kind, message, rule and position. It also asks again at every
//! `NeedMore` (which must say `NeedMore` again) and bounds the pulls, so that a parser that
//! makes no progress fails here rather than hangs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wary_xml::{Event, Options, Parser, Pull};

#[derive(Debug, PartialEq)]
enum Ev {
    Text(String),
    CData(String),
    Other(String),
}

/// Feeds `data` in pieces whose sizes cycle through `sizes` (byte % 17; 0 is an empty
/// feed), pulling until `NeedMore` after each.
fn events(data: &[u8], sizes: &[u8]) -> (Vec<Ev>, Option<String>) {
    let mut p = Parser::new(Options::default());
    let mut out: Vec<Ev> = Vec::new();
    let mut rest = data;
    let mut next = 0usize;
    let mut finished = false;
    // Every pull either makes an event (at most a few per input byte), consumes a feed, or
    // ends: more than this is a parser stuck in a loop.
    let mut budget = 64 * (data.len() + 16) + 16 * (data.len() + 1) * 2;
    loop {
        budget = budget.checked_sub(1).expect("the parser makes no progress");
        match p.next_event() {
            Ok(Pull::End) => return (out, None),
            Ok(Pull::NeedMore) => {
                assert!(!finished, "NeedMore after finish()");
                assert!(
                    matches!(p.next_event(), Ok(Pull::NeedMore)),
                    "NeedMore asked again changed the parser"
                );
                if rest.is_empty() {
                    p.finish();
                    finished = true;
                    continue;
                }
                let n = if sizes.is_empty() {
                    rest.len()
                } else {
                    usize::from(sizes[next % sizes.len()] % 17)
                };
                next += 1;
                let n = n.min(rest.len());
                p.feed(&rest[..n]);
                rest = &rest[n..];
            }
            Err(e) => {
                let err = format!("{:?} {} {:?} {:?}", e.kind(), e, e.rule(), e.position());
                return (out, Some(err));
            }
            Ok(Pull::Event(Event::Text(t))) => match out.last_mut() {
                Some(Ev::Text(s)) => s.push_str(t),
                _ => out.push(Ev::Text(t.to_owned())),
            },
            Ok(Pull::Event(Event::CData(t))) => match out.last_mut() {
                Some(Ev::CData(s)) => s.push_str(t),
                _ => out.push(Ev::CData(t.to_owned())),
            },
            Ok(Pull::Event(other)) => out.push(Ev::Other(format!("{other:?}"))),
            Ok(other) => panic!("a Pull this target does not know: {other:?}"),
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&n, rest)) = input.split_first() else {
        return;
    };
    let n = usize::from(n % 8).min(rest.len());
    let (sizes, data) = rest.split_at(n);
    // A split made only of empty feeds would never end: one size at least is not 0.
    if !sizes.is_empty() && sizes.iter().all(|s| s % 17 == 0) {
        return;
    }
    let whole = events(data, &[]);
    let fed = events(data, sizes);
    assert_eq!(whole, fed, "piece sizes {sizes:?}");
});
