//! `wary send --json`: one JSON document on stdout for the whole run (issue 9). The schema is
//! documented in the README ("wary send --json"); human-readable lines stay on stderr.
//!
//! Built with serde_json's `json!` values, not by hand: every string (reply text, addresses,
//! error messages) comes from the network or the input and must be escaped correctly.

use super::outcome::Settled;
use serde_json::{json, Value};
use wary_smtp::proto::{Reply, TlsInfo};

/// Everything the document says about one run.
pub struct Run<'a> {
    /// `HOST:PORT`.
    pub server: &'a str,
    /// The TLS session, when one was established.
    pub tls: Option<&'a TlsInfo>,
    /// The AUTH mechanism and user, when AUTH succeeded.
    pub auth: Option<(String, String)>,
    /// Every message of the input, in input order, with its recipients (for `not_sent`).
    pub messages: &'a [(Vec<String>, Settled)],
    /// The error that ended the connection, if one did.
    pub error: Option<String>,
    /// The exit code.
    pub exit_code: u8,
}

/// The JSON document.
pub fn document(run: &Run<'_>) -> Value {
    let messages: Vec<Value> = run
        .messages
        .iter()
        .enumerate()
        .map(|(i, (addresses, settled))| message(i + 1, addresses, settled))
        .collect();
    json!({
        "server": run.server,
        "tls": run.tls.map(tls),
        "auth": run.auth.as_ref().map(|(mechanism, user)| json!({
            "mechanism": mechanism,
            "user": user,
        })),
        "messages": messages,
        "error": run.error,
        "exit_code": run.exit_code,
    })
}

/// Writes the document and a newline on stdout.
pub fn print(run: &Run<'_>) {
    // NOTE: a closed stdout is the reader's choice; the exit code still says what happened.
    let text = serde_json::to_string_pretty(&document(run)).unwrap_or_default();
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
}

fn tls(t: &TlsInfo) -> Value {
    json!({
        "version": t.version.to_string(),
        "cipher": t.cipher_suite,
        "verified_name": t.server_name,
        "peer_subject": t.peer_subject,
    })
}

/// `{code, enhanced, text}`.
pub fn reply(r: &Reply) -> Value {
    json!({
        "code": r.code().value(),
        "enhanced": r.enhanced().map(|e| e.to_string()),
        "text": r.text(),
    })
}

fn message(index: usize, addresses: &[String], settled: &Settled) -> Value {
    let mut m = json!({
        "index": index,
        "status": settled.status().as_str(),
        "exit_code": settled.code(),
    });
    match settled {
        Settled::Report(r) => {
            let recipients: Vec<Value> = r
                .recipients
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    json!({
                        "address": x.mailbox.to_string(),
                        "status": r.recipient_status(i).map(|s| s.as_str()),
                        // The reply that decided the status: MAIL's after a refused
                        // MAIL, never a RCPT reply the server gave outside a transaction.
                        "reply": r.recipient_reply(i).map(reply),
                        "tried": r.recipient_tried(i),
                    })
                })
                .collect();
            m["recipients"] = Value::Array(recipients);
            m["mail_reply"] = r.mail.as_ref().map(reply).unwrap_or(Value::Null);
            m["data_reply"] = r.data.as_ref().map(reply).unwrap_or(Value::Null);
            m["final_reply"] = r.final_reply.as_ref().map(reply).unwrap_or(Value::Null);
            m["transfer"] = if !r.attempted {
                Value::Null
            } else if r.bdat {
                json!("BDAT")
            } else {
                json!("DATA")
            };
            m["content_written"] = json!(r.content_written);
            m["round_trips"] = json!(r.round_trips);
            m["tls"] = r.tls.as_ref().map(tls).unwrap_or(Value::Null);
        }
        Settled::Submit(e) => {
            m["recipients"] = not_tried(addresses);
            m["final_reply"] = Value::Null;
            m["error"] = json!(e.to_string());
        }
        Settled::NotSent => {
            m["recipients"] = not_tried(addresses);
            m["final_reply"] = Value::Null;
        }
    }
    m
}

/// Recipients of a message that never reached the server: none was tried, so each is
/// deferred with no reply (never a made-up refusal).
fn not_tried(addresses: &[String]) -> Value {
    Value::Array(
        addresses
            .iter()
            .map(|a| json!({"address": a, "status": "deferred", "reply": null}))
            .collect(),
    )
}
