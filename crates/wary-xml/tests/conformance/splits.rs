//! Splitting a document into feeds, and what a parse gave, comparable across splits: shared
//! by the W3C suite's feed run (conformance/feed.rs) and the generated documents (push.rs).

use wary_xml::{Event, Options, Parser, Pull};

/// xorshift64*: a small deterministic generator (the splits must be reproducible from the
/// seed printed in a failure).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Event sequence and error of one parse, comparable across splits.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub events: Vec<String>,
    pub error: Option<String>,
}

/// Parses `bytes` through [`Parser::feed`], split by `next_len` (0 is an empty feed), pulling
/// until [`Pull::NeedMore`] after every feed.
pub fn fed(bytes: &[u8], options: Options, mut next_len: impl FnMut() -> usize) -> Outcome {
    let mut p = Parser::new(options);
    let mut events: Vec<String> = Vec::new();
    let mut rest = bytes;
    let mut finished = false;
    loop {
        match p.next_event() {
            Ok(Pull::Event(ev)) => push_event(&mut events, &ev),
            Ok(Pull::End) => {
                return Outcome {
                    events,
                    error: None,
                }
            }
            Ok(Pull::NeedMore) => {
                assert!(!finished, "NeedMore after finish()");
                if rest.is_empty() {
                    p.finish();
                    finished = true;
                } else {
                    let n = next_len().min(rest.len());
                    p.feed(&rest[..n]);
                    rest = &rest[n..];
                }
            }
            Err(e) => {
                let error = Some(format!(
                    "{:?} {:?} {:?} {:?}",
                    e.kind(),
                    e.message(),
                    e.rule(),
                    e.position()
                ));
                return Outcome { events, error };
            }
            Ok(other) => panic!("a Pull this test does not know: {other:?}"),
        }
    }
}

/// Appends an event, joining adjacent text (and adjacent CDATA) pieces.
pub fn push_event(events: &mut Vec<String>, ev: &Event<'_>) {
    let (tag, text) = match ev {
        Event::Text(t) => ("T:", *t),
        Event::CData(t) => ("C:", *t),
        other => {
            events.push(format!("{other:?}"));
            return;
        }
    };
    match events.last_mut() {
        Some(last) if last.starts_with(tag) => last.push_str(text),
        _ => events.push(format!("{tag}{text}")),
    }
}
