//! Model-based fuzzing of wary-smtp's sans-IO `Session` (issue 9): arbitrary server
//! behaviour (replies, splits, unsolicited bytes, closes, timeouts, TLS handshakes that
//! succeed or fail) against the invariants listed in the model, failing on any violation,
//! not only on panics. The model is the one `cargo test` runs (tests/session_props.rs).
#![no_main]

#[path = "../../crates/wary-smtp/tests/session_model/mod.rs"]
mod session_model;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(violation) = session_model::run(data) {
        panic!("session invariant broken: {violation}");
    }
});
