//! What `wary send` says about each message, and the one exit code for the run (issue 9).
//!
//! Each message ends with one [`Status`] (the library decides it from the transaction's
//! facts); the exit code is the most severe over every message, every recipient and the
//! connection's own error, by a fixed rank, so it never depends on the order of messages or
//! recipients (class 7):
//!
//! | exit | meaning | from |
//! | --- | --- | --- |
//! | 0 | delivered to every recipient | `delivered`, every recipient `accepted` |
//! | 75 | try again later | `deferred`, `not_sent`, a recipient `deferred` (4xx) |
//! | 69 | refused for good | `refused`, a recipient `refused` (5xx) |
//! | 65 | the message or an address cannot be sent as given | checks before sending |
//! | 77 | authentication failed | AUTH |
//! | 76 | protocol violation, TLS failure, or `unconfirmed` | the server, or no final reply |
//!
//! Rank, lowest to highest: 0, 75, 69, 65, 77, 76. `unconfirmed` is 76, not 75, on purpose:
//! a wrapper that retries on 75 would deliver the message twice.

use super::{EX_DATAERR, EX_NOPERM, EX_PROTOCOL, EX_TEMPFAIL, EX_UNAVAILABLE};
use wary_smtp::proto::{DeliveryReport, RecipientStatus, Status, SubmitError};

/// What became of one message of the input.
pub enum Settled {
    /// The session took it; the report says the rest.
    Report(DeliveryReport),
    /// Refused before anything of it was sent (SIZE, SMTPUTF8, 8BITMIME, DSN).
    Submit(SubmitError),
    /// Never handed to the session: the connection ended first (or never opened).
    NotSent,
}

impl Settled {
    /// The message's status.
    pub fn status(&self) -> Status {
        match self {
            Settled::Report(r) => r.status(),
            Settled::Submit(_) => Status::Refused,
            Settled::NotSent => Status::NotSent,
        }
    }

    /// The exit code this message alone calls for.
    pub fn code(&self) -> u8 {
        match self {
            Settled::Report(r) => report_code(r),
            Settled::Submit(e) => super::code_for_fault(e.fault()),
            Settled::NotSent => EX_TEMPFAIL,
        }
    }

    /// The line printed on stderr when the message was not delivered to everyone.
    pub fn problem(&self) -> Option<String> {
        match self {
            Settled::Report(r) => report_problem(r),
            Settled::Submit(e) => Some(format!("refused before sending: {e}")),
            Settled::NotSent => Some(
                "not_sent: never attempted, because the connection ended first; safe to send again"
                    .to_owned(),
            ),
        }
    }
}

/// The exit code for a report: by its status, and for a delivered message by the recipients
/// it did not reach.
pub fn report_code(r: &DeliveryReport) -> u8 {
    match r.status() {
        Status::Delivered => (0..r.recipients.len())
            .filter_map(|i| r.recipient_status(i))
            .map(|s| match s {
                RecipientStatus::Accepted => 0,
                RecipientStatus::Refused => EX_UNAVAILABLE,
                _ => EX_TEMPFAIL,
            })
            .fold(0, worst),
        Status::Refused => EX_UNAVAILABLE,
        Status::Unconfirmed => EX_PROTOCOL,
        _ => EX_TEMPFAIL,
    }
}

/// The more severe of two exit codes, by the fixed rank in the module docs. Commutative and
/// associative, so folding in any order gives the same code.
pub fn worst(a: u8, b: u8) -> u8 {
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

fn rank(code: u8) -> u8 {
    match code {
        0 => 0,
        EX_TEMPFAIL => 1,
        EX_UNAVAILABLE => 2,
        EX_DATAERR => 3,
        EX_NOPERM => 4,
        EX_PROTOCOL => 5,
        // Configuration and name errors happen before any message is tried.
        _ => 6,
    }
}

/// Describes a reply's verdict in words: 4xx is "deferred", 5xx "refused".
pub fn verdict(code: wary_smtp::proto::ReplyCode) -> &'static str {
    if code.is_positive() {
        "accepted"
    } else if code.is_transient() {
        "deferred"
    } else if code.is_permanent() {
        "refused"
    } else {
        "answered"
    }
}

fn report_problem(r: &DeliveryReport) -> Option<String> {
    let status = r.status();
    let not_reached: Vec<String> = (0..r.recipients.len())
        .filter(|&i| r.recipient_status(i) != Some(RecipientStatus::Accepted))
        .filter_map(|i| {
            let x = r.recipients.get(i)?;
            let s = r.recipient_status(i)?;
            Some(match &x.reply {
                Some(reply) => format!("{} {} (\"{reply}\")", x.mailbox, s.as_str()),
                None => format!("{} {} (no reply)", x.mailbox, s.as_str()),
            })
        })
        .collect();
    match status {
        Status::Delivered if not_reached.is_empty() => None,
        Status::Delivered => Some(format!(
            "delivered, but not to every recipient: {}",
            not_reached.join(", ")
        )),
        Status::Unconfirmed => Some(
            "unconfirmed: the whole message was sent but no final reply came; it may have been delivered, so do not send it again without checking"
                .to_owned(),
        ),
        Status::NotSent => Some(
            "not_sent: never attempted, because the connection ended first; safe to send again"
                .to_owned(),
        ),
        _ => {
            let refused = |x: &&wary_smtp::proto::Reply| {
                x.code().is_transient() || x.code().is_permanent()
            };
            let any_accepted = r.recipients.iter().any(|x| x.accepted());
            let any_answered = r.recipients.iter().any(|x| x.reply.is_some());
            // The same order as DeliveryReport::status: MAIL, the recipients, DATA, the end.
            let why = if let Some(m) = r.mail.as_ref().filter(refused) {
                format!("the server {} MAIL FROM: \"{m}\"", verdict(m.code()))
            } else if r.mail.is_some() && !any_accepted && any_answered {
                format!("no recipient was accepted: {}", not_reached.join(", "))
            } else if let Some(d) = r.data.as_ref().filter(refused) {
                format!("the server {} DATA: \"{d}\"", verdict(d.code()))
            } else if let Some(f) = r.final_reply.as_ref().filter(refused) {
                format!("the server {} the message: \"{f}\"", verdict(f.code()))
            } else {
                "the connection ended before the message's content was sent".to_owned()
            };
            let hint = if status == Status::Deferred {
                "; nothing was delivered, try again later"
            } else {
                ""
            };
            Some(format!("{status}: {why}{hint}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_is_order_independent() {
        let codes = [
            0,
            EX_TEMPFAIL,
            EX_UNAVAILABLE,
            EX_DATAERR,
            EX_NOPERM,
            EX_PROTOCOL,
        ];
        for &a in &codes {
            for &b in &codes {
                assert_eq!(worst(a, b), worst(b, a));
                for &c in &codes {
                    assert_eq!(worst(worst(a, b), c), worst(a, worst(b, c)));
                }
            }
        }
        assert_eq!(worst(EX_TEMPFAIL, EX_UNAVAILABLE), EX_UNAVAILABLE);
        assert_eq!(worst(EX_UNAVAILABLE, EX_PROTOCOL), EX_PROTOCOL);
    }
}
