//! ONE table of driver tests, run against both drivers (the blocking `Client` always, the
//! tokio `AsyncClient` with the `tokio` feature): scripted servers on 127.0.0.1 in plain
//! text and TLS, the issue 9 classes, bring-your-own transport and TLS configuration. Each
//! case is a `fn(Drv)`; `both_drivers!` makes one test per case per driver, so the two
//! drivers cannot drift.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod api;
mod issue9;
mod loopback;
mod own;
mod table;

use api::*;
use issue9::*;
use loopback::*;
use own::*;
use support::Drv;
use table::*;

both_drivers! {
    scripted_table,
    reset_then_send,
    reset_answered_421_closes,
    closed_by_421_is_visible,
    debug_redacts_secrets,
    own_tcp_stream_for_starttls,
    any_stream_for_starttls,
    own_rustls_config,
    own_verifier_accepting_anything_still_checks_the_name,
    own_verifier_with_danger_accepts_a_wrong_name,
    danger_hostnames_with_wary_roots_still_checks_the_chain,
    scripted_table_checks_its_expectations,
    starttls_auth_and_pipelined_bdat,
    implicit_tls_with_data,
    wrong_host_name_is_refused,
    untrusted_certificate_is_refused,
    silence_times_out,
    many_messages_with_chunking_content_only_after_rcpt_replies,
    many_messages_with_data_content_only_after_354,
    issue_9_class_2_tls_250_then_forged_record,
    issue_9_class_3_handshake_has_a_deadline,
    issue_9_class_4_reply_clock_starts_after_the_upload,
    issue_9_class_9_quit_and_close_notify_after_failed_auth,
}

/// The async client and its futures are `Send`, so a pool can spawn them on a
/// multi-threaded runtime (checked at compile time).
#[cfg(feature = "tokio")]
#[test]
fn async_client_and_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let cfg = wary_smtp::ClientConfig::new("localhost", 1);
    let connect = wary_smtp::AsyncClient::connect(&cfg);
    send(&connect);
    drop(connect);
    fn client_futures(
        c: &mut wary_smtp::AsyncClient,
        e: &support_types::Envelope,
        m: &support_types::Message,
    ) {
        send(&c.send(e, m));
        send(&c.reset());
        send(&c.send_many([(e, m)], |_, _| {}));
    }
    let _ = client_futures;
}

#[cfg(feature = "tokio")]
mod support_types {
    pub use wary_smtp::proto::{Envelope, Message};
}
