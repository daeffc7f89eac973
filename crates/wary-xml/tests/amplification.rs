//! The amplification limit's verdict is a function of the document, not of how its bytes
//! arrive (`Limits::max_amplification`; issue 10 follow-up).
//!
//! The guard compares the bytes produced by entity expansion with the input parsed so far.
//! It used to compare with the bytes *read*, summed over the open frames' decoders: read-ahead
//! depends on the read sizes, and a decoder dropped at the end of the source took its count
//! with it, so a document whose source was exhausted (one read of everything) was measured
//! against almost no input, while the same document read a byte at a time was not. Here a
//! generator builds entity fan-outs of many sizes around the limit, parses each one read
//! whole, one byte at a time and in random splits, and requires one verdict (error, message
//! with its counts, and position) for all three, equal to what the documented rule computes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use wary_xml::{ErrorKind, Limits, Options, Reader};

/// Small deterministic generator (xorshift64*): the cases are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A source that returns its bytes in the given read sizes (cycled).
struct Split<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    n: usize,
}

impl Read for Split<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let want = self.sizes[self.n % self.sizes.len()].max(1);
        self.n += 1;
        let take = want.min(buf.len()).min(self.data.len());
        buf[..take].copy_from_slice(&self.data[..take]);
        self.data = &self.data[take..];
        Ok(take)
    }
}

const THRESHOLD: u64 = 2_000;
const FACTOR: u64 = 3;

fn options() -> Options {
    Options::new().with_limits(
        Limits::default()
            .with_amplification_threshold(THRESHOLD)
            .with_max_amplification(FACTOR),
    )
}

/// The outcome of a parse, as compared across splits: `ok`, or the error's kind, rule,
/// message and position.
fn verdict(src: impl Read + Send) -> String {
    let mut reader = Reader::new(src, options());
    loop {
        match reader.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => return "ok".to_string(),
            Err(e) => {
                return format!(
                    "{:?} {} {} at {:?}",
                    e.kind(),
                    e.rule(),
                    e.message(),
                    e.position()
                )
            }
        }
    }
}

/// One generated fan-out: entity `a` is `k` bytes, `b` holds `m` references to `a`, and the
/// root holds `p` bytes of text then `r` references to `b`, followed by a comment of `q`
/// bytes after the root (input that read-ahead sees before the references are expanded).
struct Case {
    k: usize,
    m: usize,
    r: usize,
    p: usize,
    q: usize,
}

impl Case {
    fn doc(&self) -> (String, usize) {
        let head = format!(
            "<!DOCTYPE d [<!ENTITY a '{}'><!ENTITY b '{}'>]><d>{}",
            "x".repeat(self.k),
            "&a;".repeat(self.m),
            "p".repeat(self.p)
        );
        let base = head.len();
        let doc = format!(
            "{head}{}</d><!--{}-->",
            "&b;".repeat(self.r),
            "q".repeat(self.q)
        );
        (doc, base)
    }

    /// The documented rule, computed independently of the reader: each reference in content
    /// adds its replacement text to the expansion (b's, then a's for each reference in it),
    /// and after each addition, once the expansion is past the threshold, it may not exceed
    /// FACTOR times the input parsed so far, which is the document up to the end of the
    /// reference to `b` being expanded. Returns the counts the error must report, if any.
    fn expected(&self, base: usize) -> Option<(u64, u64)> {
        let mut expanded = 0u64;
        for i in 0..self.r {
            let read = (base + 3 * (i + 1)) as u64;
            let mut add = |n: usize| {
                expanded += n as u64;
                expanded > THRESHOLD && expanded > read.max(1) * FACTOR
            };
            if add(3 * self.m) {
                return Some((expanded, read));
            }
            for _ in 0..self.m {
                if add(self.k) {
                    return Some((expanded, read));
                }
            }
        }
        None
    }
}

#[test]
fn verdict_is_the_same_for_every_split_and_follows_the_rule() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut tripped, mut passed) = (0, 0);
    for n in 0..400 {
        let case = Case {
            k: 1 + rng.below(120) as usize,
            m: 1 + rng.below(30) as usize,
            r: 1 + rng.below(30) as usize,
            p: rng.below(1_500) as usize,
            // Sometimes much more after the root than before: one read of everything then
            // sees far more input than has been parsed.
            q: if n % 2 == 0 {
                rng.below(40_000) as usize
            } else {
                0
            },
        };
        let (doc, base) = case.doc();
        let bytes = doc.as_bytes();
        let whole = verdict(bytes);
        let one = verdict(Split {
            data: bytes,
            sizes: vec![1],
            n: 0,
        });
        let sizes: Vec<usize> = (0..17).map(|_| 1 + rng.below(700) as usize).collect();
        let random = verdict(Split {
            data: bytes,
            sizes: sizes.clone(),
            n: 0,
        });
        let what = format!(
            "case {n}: k={} m={} r={} p={} q={}",
            case.k, case.m, case.r, case.p, case.q
        );
        assert_eq!(whole, one, "{what}: whole read vs one byte at a time");
        assert_eq!(whole, random, "{what}: whole read vs reads of {sizes:?}");
        match case.expected(base) {
            Some((expanded, read)) => {
                tripped += 1;
                let kind = format!("{:?}", ErrorKind::Limit);
                let counts = format!("produced {expanded} bytes from {read} bytes of input");
                assert!(
                    whole.starts_with(&kind)
                        && whole.contains("max_amplification")
                        && whole.contains(&counts),
                    "{what}: expected the limit with '{counts}', got {whole}"
                );
            }
            None => {
                passed += 1;
                assert_eq!(whole, "ok", "{what}: the rule allows it");
            }
        }
    }
    // The generator must exercise both sides of the limit, or it proves nothing.
    assert!(
        tripped > 50 && passed > 50,
        "tripped {tripped}, passed {passed}"
    );
}

/// The same with an external entity read once (its text is input, like the document's) and
/// read again (its size, at least 1 KiB, is expansion: issue 10, class 7): `&e;` comes
/// first, then `r1` references to `b`, `&e;` again, then `r2` references to `b`.
#[test]
fn external_first_reads_count_as_input_whatever_the_split() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let (mut tripped, mut passed) = (0, 0);
    for n in 0..200 {
        let s = 1 + rng.below(3_000) as usize;
        std::fs::write(dir.path().join("e.ent"), "y".repeat(s)).unwrap();
        let (k, m) = (1 + rng.below(100) as usize, 1 + rng.below(20) as usize);
        let (r1, r2) = (rng.below(20) as usize, rng.below(20) as usize);
        let q = if n % 2 == 0 {
            rng.below(20_000) as usize
        } else {
            0
        };
        let head = format!(
            "<!DOCTYPE d [<!ENTITY a '{}'><!ENTITY b '{}'><!ENTITY e SYSTEM 'e.ent'>]><d>&e;",
            "x".repeat(k),
            "&a;".repeat(m)
        );
        let mid = format!("{head}{}&e;", "&b;".repeat(r1));
        let doc = format!("{mid}{}</d><!--{}-->", "&b;".repeat(r2), "q".repeat(q));

        // The documented rule: after the first `&e;`, its `s` bytes are input; the second
        // read adds max(s, 1024) to the expansion when it is opened.
        let mut expanded = 0u64;
        let check = |expanded: u64, read: u64| expanded > THRESHOLD && expanded > read * FACTOR;
        let mut expected = None;
        // The end of each reference in turn; usize::MAX stands for the second `&e;`.
        'rule: for at in (0..r1)
            .map(|i| head.len() + 3 * (i + 1))
            .chain([usize::MAX])
            .chain((0..r2).map(|i| mid.len() + 3 * (i + 1)))
        {
            if at == usize::MAX {
                let read = (mid.len() + s) as u64;
                expanded += s.max(1024) as u64;
                if check(expanded, read) {
                    expected = Some((expanded, read));
                    break 'rule;
                }
                continue;
            }
            let read = (at + s) as u64;
            for add in std::iter::once(3 * m).chain(std::iter::repeat_n(k, m)) {
                expanded += add as u64;
                if check(expanded, read) {
                    expected = Some((expanded, read));
                    break 'rule;
                }
            }
        }

        let run = |src: &mut (dyn Read + Send)| {
            let opts = options()
                .with_external_entities(wary_xml::ExternalEntities::local_in(dir.path()))
                .with_document_path(dir.path().join("doc.xml"));
            let mut reader = Reader::new(src, opts);
            loop {
                match reader.next_event() {
                    Ok(Some(_)) => {}
                    Ok(None) => return "ok".to_string(),
                    Err(e) => {
                        return format!(
                            "{:?} {} {} at {:?}",
                            e.kind(),
                            e.rule(),
                            e.message(),
                            e.position()
                        )
                    }
                }
            }
        };
        let bytes = doc.as_bytes();
        let whole = run(&mut { bytes });
        let sizes: Vec<usize> = (0..13).map(|_| 1 + rng.below(500) as usize).collect();
        let one = run(&mut Split {
            data: bytes,
            sizes: vec![1],
            n: 0,
        });
        let random = run(&mut Split {
            data: bytes,
            sizes: sizes.clone(),
            n: 0,
        });
        let what = format!("case {n}: s={s} k={k} m={m} r1={r1} r2={r2} q={q}");
        assert_eq!(whole, one, "{what}: whole read vs one byte at a time");
        assert_eq!(whole, random, "{what}: whole read vs reads of {sizes:?}");
        match expected {
            Some((expanded, read)) => {
                tripped += 1;
                let counts = format!("produced {expanded} bytes from {read} bytes of input");
                assert!(
                    whole.contains("max_amplification") && whole.contains(&counts),
                    "{what}: expected the limit with '{counts}', got {whole}"
                );
            }
            None => {
                passed += 1;
                assert_eq!(whole, "ok", "{what}: the rule allows it");
            }
        }
    }
    assert!(
        tripped > 30 && passed > 30,
        "tripped {tripped}, passed {passed}"
    );
}
