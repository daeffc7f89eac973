//! Fuzz target `reader`: any bytes through the streaming reader, with the default limits and
//! with tiny ones (so that every limit's error path runs). Invariants: no panic; the reader
//! ends with `Ok(None)` or one error, after which it refuses to continue; an error about the
//! input has a position with 1-based line and column; its message is one terminal-safe line
//! of bounded length (no raw control or bidirectional character, whatever the input held);
//! a limit error, and only it, says which `Limit`, and its message names that field of
//! `Limits` with the value in force.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wary_xml::{ErrorKind, Fault, Limits, Options, Reader, MAX_SHOWN_BYTES};

fn run(data: &[u8], options: Options) {
    let limits = options.limits.clone();
    let mut reader = Reader::from_bytes(data, options);
    let mut events = 0usize;
    loop {
        match reader.next_event() {
            Ok(Some(_)) => events += 1,
            Ok(None) => {
                // The end is sticky.
                assert!(matches!(reader.next_event(), Ok(None)));
                break;
            }
            Err(e) => {
                if e.fault() == Fault::Input || e.fault() == Fault::Limit {
                    let p = e.position().expect("an input or limit error has a position");
                    assert!(p.line >= 1 && p.column >= 1, "{e}");
                }
                assert_eq!(e.limit().is_some(), e.kind() == ErrorKind::Limit, "{e}");
                if let Some(limit) = e.limit() {
                    let named = format!("{limit} is {}", limits.value(limit));
                    assert!(e.message().contains(&named), "{e}");
                }
                let shown = e.to_string();
                assert!(!shown.is_empty());
                // Issue 10: message + rule + entity label, each capped by terminal_safe.
                assert!(shown.len() <= 8 * MAX_SHOWN_BYTES, "{} bytes", shown.len());
                assert!(
                    !shown.chars().any(|c| matches!(
                        c as u32,
                        0..=0x1f | 0x7f..=0x9f | 0x202a..=0x202e | 0x2066..=0x2069
                    )),
                    "raw control character in {shown:?}"
                );
                // After an error the reader refuses to go on rather than pretend the
                // document ended.
                assert!(reader.next_event().is_err());
                break;
            }
        }
        // Every event consumes input or comes from a bounded expansion: a runaway loop
        // would be a hang, which libFuzzer's -timeout reports.
        assert!(events < 50_000_000);
    }
}

fuzz_target!(|data: &[u8]| {
    run(data, Options::default());
    run(
        data,
        Options::new().with_limits(
            Limits::default()
                .with_max_depth(4)
                .with_max_entity_depth(2)
                .with_amplification_threshold(64)
                .with_max_amplification(2)
                .with_max_attributes(3)
                .with_max_name_len(8)
                .with_max_token_len(64)
                .with_max_retained_bytes(4096),
        ),
    );
});
