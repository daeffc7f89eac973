//! Property tests of the sans-IO session (issue 9): the model of `session_model` driven by
//! many generated inputs (a deterministic generator, so a failure reproduces), plus the
//! inputs checked in under `tests/session_corpus/` (regressions the fuzzer or a review
//! found). The same model is the `smtp_session` fuzz target.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

mod session_model;

#[test]
fn session_invariants_hold_for_generated_servers() {
    let mut rng = Rng(0x1551_e009_5e55_1011);
    for round in 0..30_000 {
        let len = 8 + (rng.next() % 400) as usize;
        let input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if let Err(e) = session_model::run(&input) {
            panic!("round {round}: {e}\ninput: {input:?}");
        }
    }
}

#[test]
fn session_corpus_replays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/session_corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        if let Err(e) = session_model::run(&input) {
            panic!("{}: {e}", path.display());
        }
        n += 1;
    }
    assert!(n > 0, "no corpus in {}", dir.display());
}
