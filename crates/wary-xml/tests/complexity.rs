//! The promise "time is linear in the input, for every construct" (issue 10, class 1), attacked
//! by a generated sweep: for each construct of the grammar and each kind of declaration, a
//! generator makes a document of n items and one of `GROWTH` x n, and the time of the second
//! may be at most `MAX_RATIO` times the first (16 for linear, 256 for quadratic).
//!
//! n is found per construct (doubled until one run takes `TARGET`), so that fixed costs do not
//! hide the growth and the whole sweep stays within seconds on a loaded 2-core machine. Each
//! time is the thread's CPU time, the minimum of `RUNS` runs, to fight noise from other
//! processes. Every construct is
//! read through the reader (as `wary xml check` does, skipped entities included), and the
//! constructs where a consumer keeps state (skipped entities, notations) also through
//! `canon::write_canonical` and `tree::Document`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nix::time::{clock_gettime, ClockId};
use std::fmt::Write as _;
use std::time::Duration;
use wary_xml::{canon, tree, Event, Limits, Options, Reader};

/// How many times more items the second document has. 16, not 8: what is not the algorithm
/// (the larger document falls out of the caches) multiplies a linear construct's ratio by up
/// to 4 on the CI machine (x31 at 8x for one long PI, from a parser whose time per MiB is
/// flat from 1 to 64 MiB), which left 8x too little room between linear and quadratic.
const GROWTH: usize = 16;
/// `GROWTH`x the items may cost at most this many times the time: 16 is linear, 256
/// quadratic. The margin over 16 is for what is not the algorithm: the bytes fall out of the caches
/// (measured on the 2-core CI machine: linear constructs reach x18 under load).
const MAX_RATIO: f64 = GROWTH as f64 * 4.0;
/// Each time is the minimum of this many runs.
const RUNS: usize = 3;
/// A construct over the limit is measured this many times before it fails.
const ATTEMPTS: usize = 3;
/// n is doubled until one run of n items takes this long (in CPU time) ...
const TARGET: Duration = Duration::from_millis(4);
/// ... or its document is this long: it keeps the sweep within seconds, and a single token
/// (a comment, a PI) of `GROWTH` times it near the default `max_token_len`.
const MAX_SMALL_DOC: usize = 1 << 20;

#[derive(Clone, Copy, Debug)]
enum Path {
    /// Every event read, and the distinct skipped entities asked for at the end.
    Check,
    Canon,
    Tree,
}

const CHECK: &[Path] = &[Path::Check];
const ALL: &[Path] = &[Path::Check, Path::Canon, Path::Tree];

/// One construct: its name, the generator of a document with `n` of it, and the paths read.
struct Construct {
    name: &'static str,
    make: fn(usize) -> String,
    paths: &'static [Path],
}

/// `n` copies of `item(i)`, each numbered so that names are distinct.
fn many(n: usize, item: impl Fn(usize, &mut String)) -> String {
    let mut s = String::new();
    for i in 0..n {
        item(i, &mut s);
    }
    s
}

fn doc_with_dtd(subset: &str, body: &str) -> String {
    format!("<!DOCTYPE r [{subset}]><r>{body}</r>")
}

/// A document with an external subset that is not loaded, so undeclared entities are skipped.
fn doc_with_external_dtd(subset: &str, body: &str) -> String {
    format!("<!DOCTYPE r SYSTEM 'missing.dtd' [{subset}]><r>{body}</r>")
}

fn constructs() -> Vec<Construct> {
    vec![
        Construct {
            name: "sibling elements",
            make: |n| format!("<r>{}</r>", "<a/>".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "nested elements",
            make: |n| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "attributes in one tag",
            make: |n| format!("<r {}/>", many(n, |i, s| write!(s, "a{i}='v' ").unwrap())),
            paths: CHECK,
        },
        Construct {
            name: "attributes needing normalization",
            make: |n| {
                format!(
                    "<r {}/>",
                    many(n, |i, s| write!(s, "a{i}='v&#9;&amp;' ").unwrap())
                )
            },
            paths: CHECK,
        },
        Construct {
            name: "prefixed attributes in one tag",
            make: |n| {
                format!(
                    "<r xmlns:p='urn:p' {}/>",
                    many(n, |i, s| write!(s, "p:a{i}='v' ").unwrap())
                )
            },
            paths: CHECK,
        },
        Construct {
            name: "namespace declarations in one tag",
            make: |n| {
                format!(
                    "<r {}/>",
                    many(n, |i, s| write!(s, "xmlns:p{i}='urn:{i}' ").unwrap())
                )
            },
            paths: CHECK,
        },
        Construct {
            name: "namespace declarations on nested elements",
            make: |n| {
                let open = many(n, |i, s| {
                    write!(s, "<p{i}:a xmlns:p{i}='urn:{i}'>").unwrap()
                });
                let close = many(n, |i, s| write!(s, "</p{}:a>", n - 1 - i).unwrap());
                format!("{open}{close}")
            },
            paths: ALL,
        },
        Construct {
            name: "namespace declarations on sibling elements",
            make: |n| {
                let items = many(n, |i, s| {
                    write!(s, "<p{i}:a xmlns:p{i}='urn:{i}'/>").unwrap()
                });
                format!("<r>{items}</r>")
            },
            paths: CHECK,
        },
        Construct {
            name: "default namespace redeclared on nested elements",
            make: |n| {
                let open = many(n, |i, s| write!(s, "<a xmlns='urn:{i}'>").unwrap());
                format!("{open}{}", "</a>".repeat(n))
            },
            paths: CHECK,
        },
        Construct {
            name: "text",
            make: |n| format!("<r>{}</r>", "some text ".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "']' in text",
            make: |n| format!("<r>{}</r>", "a]".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "character references in text",
            make: |n| format!("<r>{}</r>", "&#65;&#x42;".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "predefined entity references in text",
            make: |n| format!("<r>{}</r>", "&lt;&amp;".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "entity references in text",
            make: |n| doc_with_dtd("<!ENTITY e 'value'>", &"&e;".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "references to distinct entities in text",
            make: |n| {
                let decls = many(n, |i, s| write!(s, "<!ENTITY e{i} 'v'>").unwrap());
                let refs = many(n, |i, s| write!(s, "&e{i};").unwrap());
                doc_with_dtd(&decls, &refs)
            },
            paths: CHECK,
        },
        Construct {
            name: "entity references in attribute values",
            make: |n| {
                doc_with_dtd(
                    "<!ENTITY e 'value'>",
                    &format!("<a v='{}'/>", "&e;".repeat(n)),
                )
            },
            paths: CHECK,
        },
        Construct {
            name: "attribute values with references, many tags",
            make: |n| doc_with_dtd("<!ENTITY e 'value'>", &"<a v='x&e;y'/>".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "comments",
            make: |n| format!("<r>{}</r>", "<!-- a comment -->".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "one long comment",
            make: |n| format!("<r><!--{}--></r>", "- a comment ".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "processing instructions",
            make: |n| format!("<r>{}</r>", "<?pi some data?>".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "one long processing instruction",
            make: |n| format!("<r><?pi {}?></r>", "? data ".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "CDATA sections",
            make: |n| format!("<r>{}</r>", "<![CDATA[a<b]]>".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "one long CDATA section",
            make: |n| format!("<r><![CDATA[{}]]></r>", "]a]]".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "one long attribute value",
            make: |n| format!("<r a='{}'/>", "value ".repeat(n)),
            paths: CHECK,
        },
        Construct {
            name: "general entity declarations",
            make: |n| {
                doc_with_dtd(
                    &many(n, |i, s| write!(s, "<!ENTITY e{i} 'v{i}'>").unwrap()),
                    "",
                )
            },
            paths: CHECK,
        },
        Construct {
            name: "external entity declarations",
            make: |n| {
                let decls = many(n, |i, s| {
                    write!(s, "<!ENTITY e{i} SYSTEM 'e{i}.xml'>").unwrap()
                });
                doc_with_dtd(&decls, "")
            },
            paths: CHECK,
        },
        Construct {
            name: "parameter entity declarations",
            make: |n| {
                let decls = many(n, |i, s| write!(s, "<!ENTITY % p{i} 'v{i}'>").unwrap());
                doc_with_dtd(&decls, "")
            },
            paths: CHECK,
        },
        Construct {
            name: "parameter entity references between declarations",
            make: |n| {
                let subset = format!("<!ENTITY % p '<!-- c -->'>{}", "%p;".repeat(n));
                doc_with_dtd(&subset, "")
            },
            paths: CHECK,
        },
        Construct {
            name: "distinct parameter entities referenced",
            make: |n| {
                let subset = many(n, |i, s| {
                    write!(s, "<!ENTITY % p{i} '<!--{i}-->'>%p{i};").unwrap()
                });
                doc_with_dtd(&subset, "")
            },
            paths: CHECK,
        },
        Construct {
            name: "one long entity value",
            make: |n| doc_with_dtd(&format!("<!ENTITY e '{}'>", "val&#38;".repeat(n)), ""),
            paths: CHECK,
        },
        Construct {
            name: "entity value with many references kept",
            make: |n| doc_with_dtd(&format!("<!ENTITY e '{}'>", "&x;".repeat(n)), ""),
            paths: CHECK,
        },
        Construct {
            name: "element declarations",
            make: |n| {
                let decls = many(n, |i, s| write!(s, "<!ELEMENT e{i} (a,(b|c)*)>").unwrap());
                doc_with_dtd(&decls, "")
            },
            paths: CHECK,
        },
        Construct {
            name: "one long content model",
            make: |n| {
                let model = many(n, |i, s| {
                    write!(s, "{}e{i}", if i > 0 { "|" } else { "" }).unwrap()
                });
                doc_with_dtd(&format!("<!ELEMENT r (#PCDATA|{model})*>"), "")
            },
            paths: CHECK,
        },
        Construct {
            name: "notation declarations",
            make: |n| {
                let decls = many(n, |i, s| {
                    write!(s, "<!NOTATION n{i} SYSTEM 'n{i}'>").unwrap()
                });
                doc_with_dtd(&decls, "")
            },
            paths: ALL,
        },
        Construct {
            name: "attribute-list declarations for distinct elements",
            make: |n| {
                let decls = many(n, |i, s| write!(s, "<!ATTLIST e{i} a CDATA 'd'>").unwrap());
                let tags = many(n, |i, s| write!(s, "<e{i}/>").unwrap());
                doc_with_dtd(&decls, &tags)
            },
            paths: ALL,
        },
        Construct {
            name: "attributes without default, applied to many tags",
            make: |n| {
                let atts = many(n, |i, s| write!(s, " a{i} CDATA #IMPLIED").unwrap());
                doc_with_dtd(&format!("<!ATTLIST a{atts}>"), &"<a/>".repeat(n))
            },
            paths: ALL,
        },
        Construct {
            name: "attributes without default, tags that specify some",
            make: |n| {
                let atts = many(n, |i, s| write!(s, " a{i} NMTOKEN #IMPLIED").unwrap());
                doc_with_dtd(
                    &format!("<!ATTLIST a{atts}>"),
                    &"<a a0=' x ' a1='y'/>".repeat(n),
                )
            },
            paths: CHECK,
        },
        Construct {
            name: "attribute defaults in one declaration",
            make: |n| {
                let atts = many(n, |i, s| write!(s, " a{i} CDATA 'd'").unwrap());
                doc_with_dtd(&format!("<!ATTLIST a{atts}>"), "<a/>")
            },
            paths: ALL,
        },
        Construct {
            name: "attribute defaults with references",
            make: |n| {
                let atts = many(n, |i, s| write!(s, " a{i} CDATA 'x&e;&#65;'").unwrap());
                doc_with_dtd(&format!("<!ENTITY e 'v'><!ATTLIST a{atts}>"), "<a/>")
            },
            paths: CHECK,
        },
        Construct {
            name: "skipped references to one entity",
            make: |n| doc_with_external_dtd("", &"&skipped;".repeat(n)),
            paths: ALL,
        },
        Construct {
            name: "skipped references to distinct entities",
            make: |n| doc_with_external_dtd("", &many(n, |i, s| write!(s, "&s{i};").unwrap())),
            paths: ALL,
        },
        Construct {
            name: "skipped external entities, declared",
            make: |n| {
                let decls = many(n, |i, s| {
                    write!(s, "<!ENTITY x{i} SYSTEM 'x{i}.xml'>").unwrap()
                });
                let refs = many(n, |i, s| write!(s, "&x{i};").unwrap());
                doc_with_dtd(&decls, &refs)
            },
            paths: ALL,
        },
    ]
}

/// Generous limits: the sweep measures time, and `GROWTH` x n items must not trip a limit.
fn options() -> Options {
    Options::new().with_limits(
        Limits::default()
            .with_max_depth(usize::MAX)
            .with_max_attributes(usize::MAX)
            .with_max_token_len(usize::MAX)
            .with_max_retained_bytes(usize::MAX),
    )
}

/// Reads `doc` through `path`; returns how many skipped entities it reported (so the work
/// cannot be optimised away).
fn read(doc: &[u8], path: Path) -> usize {
    let mut reader = Reader::from_bytes(doc, options());
    match path {
        Path::Check => {
            let mut events = 0usize;
            while let Some(ev) = reader.next_event().unwrap() {
                events += usize::from(matches!(ev, Event::SkippedEntity(_)));
            }
            events + reader.skipped_entities().count()
        }
        Path::Canon => {
            let summary = canon::write_canonical(&mut reader, std::io::sink()).unwrap();
            summary.skipped_entities.len()
        }
        Path::Tree => {
            let doc = tree::Document::parse(&mut reader).unwrap();
            doc.skipped_entities().len() + doc.len()
        }
    }
}

/// CPU time of this thread (CLOCK_THREAD_CPUTIME_ID, nanoseconds): unlike the wall clock,
/// it does not count the time other processes on a loaded machine take from the test.
fn cpu_time() -> Duration {
    let t = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).unwrap();
    Duration::new(t.tv_sec() as u64, t.tv_nsec() as u32)
}

/// The fastest of `runs` runs.
fn time(doc: &[u8], path: Path, runs: usize) -> Duration {
    (0..runs)
        .map(|_| {
            let t = cpu_time();
            std::hint::black_box(read(doc, path));
            cpu_time().saturating_sub(t)
        })
        .min()
        .unwrap_or_default()
}

#[test]
fn every_construct_is_linear() {
    let mut failures = Vec::new();
    let mut worst = (0.0f64, "");
    for c in constructs() {
        for &path in c.paths {
            // Find n where n items take TARGET, timed as the comparison below times them
            // (the fastest of RUNS): a single first run pays for cold caches and fresh pages,
            // and stopped the doubling at an n whose real time was a sixth of TARGET, where
            // noise decided the ratio (x31 for one long PI, 0.6 ms -> 20 ms, in CI).
            let mut n = 256;
            let small = loop {
                let doc = (c.make)(n);
                if doc.len() >= MAX_SMALL_DOC || time(doc.as_bytes(), path, RUNS) >= TARGET {
                    break doc;
                }
                n *= 2;
            };
            let big = (c.make)(GROWTH * n);
            // Same shape: GROWTH x n items is about GROWTH times the bytes.
            assert!(
                big.len() >= (GROWTH - 1) * small.len(),
                "{}: generator is not linear in n",
                c.name
            );
            // A row over the limit is measured again (up to `ATTEMPTS` times in all): another
            // process's burst can slow one measurement, but a quadratic construct is over
            // the limit every time.
            let (mut t1, mut t8, mut ratio) = (Duration::ZERO, Duration::ZERO, f64::MAX);
            for _ in 0..ATTEMPTS {
                let a = time(small.as_bytes(), path, RUNS);
                let b = time(big.as_bytes(), path, RUNS);
                let r = b.as_secs_f64() / a.as_secs_f64().max(1e-9);
                if r < ratio {
                    (t1, t8, ratio) = (a, b, r);
                }
                if ratio <= MAX_RATIO {
                    break;
                }
            }
            eprintln!(
                "{:<55} {:<6} n={n:<7} {:>8.2?} -> {:>9.2?}  x{ratio:.1}",
                c.name,
                format!("{path:?}"),
                t1,
                t8
            );
            if ratio > worst.0 {
                worst = (ratio, c.name);
            }
            if ratio > MAX_RATIO {
                failures.push(format!(
                    "{} ({path:?}): n={n} took {t1:?}, {GROWTH}n took {t8:?} (x{ratio:.1}, limit x{MAX_RATIO})",
                    c.name
                ));
            }
        }
    }
    eprintln!("worst growth: x{:.1} ({})", worst.0, worst.1);
    assert!(failures.is_empty(), "not linear:\n{}", failures.join("\n"));
}
