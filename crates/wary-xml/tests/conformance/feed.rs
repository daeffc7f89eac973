//! Issue 11: the suite's 1,965 documents fed to the sans-IO [`Parser`] in random splits
//! (a seeded generator, several seeds, pieces of 1..=N bytes with empty feeds among them)
//! must give exactly what one feed of the whole document gives: the same events (adjacent
//! text and CDATA pieces joined: their split may follow the feeds) and the same error, kind,
//! message and position. And the 378 documents with an OUTPUT file must give exactly those
//! canonical bytes when read through feeds of random sizes.

use super::catalog::{Expect, Suite};
use super::splits::{fed, Rng};
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use wary_xml::{canon, ExternalEntities, Options, Reader};

/// Seeds of the split generator; each gives every document a different split.
const SEEDS: [u64; 3] = [1, 0x5eed_0011, 0xdead_beef_cafe];

fn options(root: &Path, path: &Path) -> Options {
    Options::new()
        .with_external_entities(ExternalEntities::local_in(root))
        .with_document_path(path)
}

/// Hands out the input in the sizes a generator picks (never 0, which would be the end).
struct RandomReads<'a> {
    rest: &'a [u8],
    rng: Rng,
    max: usize,
}

impl Read for RandomReads<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (1 + self.rng.below(self.max))
            .min(buf.len())
            .min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

#[test]
fn feed_splits_change_no_result() {
    let suite = Suite::load();
    let files = suite.extract();
    let mut differ = Vec::new();
    let (mut same, mut canon_same, mut canon_total) = (0usize, 0usize, 0usize);
    for (i, t) in suite.tests.iter().enumerate() {
        let path = files.root.join(&t.path);
        let bytes = std::fs::read(&path).expect("the extracted suite is readable");
        let run = |next: &mut dyn FnMut() -> usize| {
            let opts = options(&files.root, &path);
            catch_unwind(AssertUnwindSafe(|| fed(&bytes, opts, next))).map_err(|_| "PANIC")
        };
        let whole = run(&mut || usize::MAX);
        let mut all_same = true;
        for seed in SEEDS {
            let mut rng = Rng::new(seed ^ i as u64);
            // Pieces of 1..=max bytes, max itself random, and one feed in eight empty.
            let max = 1 + rng.below(64);
            let got = run(&mut || {
                if rng.below(8) == 0 {
                    0
                } else {
                    1 + rng.below(max)
                }
            });
            if got != whole {
                all_same = false;
                differ.push(format!(
                    "{} ({}), seed {seed:#x}, pieces up to {max}:\n    whole: {:?}\n    fed:   {:?}",
                    t.id,
                    t.path,
                    whole.as_ref().map(|o| (o.events.len(), &o.error)),
                    got.as_ref().map(|o| (o.events.len(), &o.error)),
                ));
                break;
            }
        }
        same += usize::from(all_same);
        // The canonical form, through a Reader whose reads (each one a feed) have random
        // sizes, against the suite's OUTPUT file.
        if let (Expect::Accept, Some(output)) = (t.expect, &t.output) {
            canon_total += 1;
            let expected = std::fs::read(files.root.join(output)).expect("OUTPUT is readable");
            let src = RandomReads {
                rest: &bytes,
                rng: Rng::new(i as u64),
                max: 1 + i % 17,
            };
            let mut reader = Reader::new(src, options(&files.root, &path));
            let mut got = Vec::new();
            let ok = canon::write_canonical(&mut reader, &mut got).is_ok();
            if ok && got == expected {
                canon_same += 1;
            } else {
                differ.push(format!(
                    "{} ({}): canonical form through feeds differs",
                    t.id, t.path
                ));
            }
        }
    }
    println!(
        "feed: {same} of {} documents give the same events and error for {} random splits as \
         one feed; {canon_same} of {canon_total} canonical outputs identical through feeds",
        suite.tests.len(),
        SEEDS.len()
    );
    for d in &differ {
        println!("{d}");
    }
    assert!(
        differ.is_empty(),
        "{} differences (see above)",
        differ.len()
    );
    assert_eq!(same, 1965);
    assert_eq!(canon_total, 378);
}
