//! One mail transaction inside a session (RFC 5321 §3.3): MAIL, RCPT per recipient, then DATA
//! and the dot-stuffed message, or `BDAT n LAST` and the raw message (RFC 3030).
//!
//! The rule this module exists for: **the message content leaves the client only after every
//! RCPT of its transaction was answered and at least one recipient was accepted** (and MAIL
//! was). With none accepted, no BDAT is sent at all and DATA's content never follows; the
//! transaction is reset and reported with every refusal. Pipelining therefore never sends
//! `BDAT … LAST` and the content in the same batch as the envelope.
//!
//! Round trips stay low by pipelining *across* messages instead (RFC 2920 §3.1: message
//! content may be the first "command" of a group, and MAIL, RCPT and RSET may appear anywhere
//! in it). Transactions are queued with `start`; the envelope of the next one goes on the
//! wire as soon as the previous one is closed on the wire (its `BDAT … LAST` and chunk, its
//! content and final dot, or its RSET), in the same write:
//!
//! ```text
//! C: MAIL 1, RCPT 1…   [, DATA 1]                    S: replies to the envelope of 1
//! C: content 1, MAIL 2, RCPT 2… [, DATA 2]           S: final reply 1, envelope replies of 2
//! C: content 2, MAIL 3, …                             …
//! ```
//!
//! so n messages cost n + 1 round trips on one connection, and one message alone costs two.
//! Fewer is impossible without sending content ahead of its RCPT replies: SMTP has one
//! transaction open at a time (RFC 5321 §4.1.4: MAIL, RCPT…, then the data, in that order; a
//! MAIL inside an open transaction is refused with 503, "nested MAIL command" in Exim and
//! Postfix), and a transaction can only be closed by its content or by RSET, which must wait
//! for that transaction's RCPT replies. So at most two transactions are on the
//! wire at once: one whose final reply is due, and the next, whose envelope replies are due.
//!
//! A transaction whose final reply is a refusal while the next envelope is already on the
//! wire gets no RSET (there is no place for one): `BDAT … LAST` and the final dot end the
//! transaction either way (RFC 3030 §2, RFC 5321 §4.1.1.4), and a server that disagrees
//! refuses the next MAIL, which is reported, never hidden.

use super::command::Command;
use super::error::{SessionError, SubmitError};
use super::message::Message;
use super::reply::Reply;
use super::report::{DeliveryReport, Envelope, Notify, RecipientResult, Ret};
use super::session::{Event, Expect, Phase, Session};
use super::types::{xtext, EsmtpParam, ReversePath};

/// Most messages a session holds at once (queued or on the wire, reports not yet handed
/// out). At most two are on the wire at a time (see the module docs); the rest are queued so
/// the next envelope is ready to go in the same write as the previous content. More would
/// only hold more copies of messages in memory without saving a round trip.
pub const MAX_MESSAGES_IN_FLIGHT: usize = 4;

/// Where a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Accepted by [`start`]; nothing on the wire yet, because an earlier transaction is
    /// still open on the wire.
    Queued,
    /// MAIL and RCPT (with PIPELINING and DATA, also DATA) are on the wire; their replies
    /// decide whether the content goes.
    Envelope,
    /// The content is on the wire (`BDAT … LAST` and the chunk, or the content and its final
    /// dot): the transaction is closed on the wire and its final reply is due.
    Content,
    /// RSET is on the wire; the report goes out when it is answered.
    Reset,
}

/// State of one transaction.
pub(super) struct Txn {
    report: DeliveryReport,
    stage: Stage,
    pipelined: bool,
    bdat: bool,
    mail: Command,
    rcpts: Vec<Command>,
    /// The DATA form (dot-stuffed, with `.CRLF`) or the BDAT chunk. Leaves only through
    /// [`send_content`].
    payload: Vec<u8>,
    start_round_trips: u32,
    /// Replies still due for this transaction's commands.
    outstanding: usize,
    /// The content is in the session's `outbuf`, not yet handed to the driver: it becomes
    /// `report.content_written` at the next `poll_transmit` ([`on_transmit`]).
    content_queued: bool,
}

/// True when another message can be queued: with PIPELINING in use, up to
/// [`MAX_MESSAGES_IN_FLIGHT`]; without it, one at a time (the session must be idle).
pub(super) fn can_queue(s: &Session) -> bool {
    let pipelined = s.config.pipelining && s.caps.as_ref().is_some_and(|c| c.pipelining);
    pipelined && s.txns.len() < MAX_MESSAGES_IN_FLIGHT
}

fn param(keyword: &str, value: Option<&str>) -> Result<EsmtpParam, SubmitError> {
    EsmtpParam::new(keyword, value).map_err(SubmitError::Value)
}

/// Checks the message against the server's capabilities and queues it; its envelope goes on
/// the wire at once when no earlier transaction is open on the wire.
pub(super) fn start(s: &mut Session, env: &Envelope, msg: &Message) -> Result<(), SubmitError> {
    let caps = s.caps.clone().unwrap_or_default();
    if env.recipients.is_empty() {
        return Err(SubmitError::NoRecipients);
    }
    // RFC 6531 §3.2: a non-ASCII address may only be sent with SMTPUTF8.
    let from_mailbox = match &env.from {
        ReversePath::Mailbox(m) => Some(m),
        ReversePath::Null => None,
    };
    let mut utf8 = false;
    for m in from_mailbox
        .into_iter()
        .chain(env.recipients.iter().map(|r| &r.mailbox))
    {
        if m.needs_smtputf8() {
            if !caps.smtputf8 {
                return Err(SubmitError::Utf8NotOffered(m.clone()));
            }
            utf8 = true;
        }
    }
    if msg.is_8bit() && !caps.eight_bit_mime {
        return Err(SubmitError::EightBitNotOffered);
    }
    if let Some(limit) = caps.size.filter(|&l| l > 0) {
        if msg.len() as u64 > limit {
            return Err(SubmitError::TooLarge {
                size: msg.len(),
                limit,
            });
        }
    }
    if env.uses_dsn() && !caps.dsn {
        return Err(SubmitError::DsnNotOffered);
    }

    let mut mail_params = Vec::new();
    if caps.size.is_some() {
        mail_params.push(param("SIZE", Some(&msg.len().to_string()))?);
    }
    if msg.is_8bit() {
        mail_params.push(param("BODY", Some("8BITMIME"))?);
    }
    if utf8 {
        mail_params.push(param("SMTPUTF8", None)?);
    }
    match env.ret {
        Some(Ret::Full) => mail_params.push(param("RET", Some("FULL"))?),
        Some(Ret::Headers) => mail_params.push(param("RET", Some("HDRS"))?),
        None => {}
    }
    if let Some(envid) = &env.envid {
        mail_params.push(param("ENVID", Some(&xtext(envid)))?);
    }
    let mut rcpts = Vec::with_capacity(env.recipients.len());
    for r in &env.recipients {
        let mut params = Vec::new();
        match r.notify {
            Some(Notify::Never) => params.push(param("NOTIFY", Some("NEVER"))?),
            Some(Notify::On {
                success,
                failure,
                delay,
            }) => {
                let on: Vec<&str> = [(success, "SUCCESS"), (failure, "FAILURE"), (delay, "DELAY")]
                    .iter()
                    .filter(|(yes, _)| *yes)
                    .map(|(_, name)| *name)
                    .collect();
                let value = if on.is_empty() {
                    "NEVER".to_owned()
                } else {
                    on.join(",")
                };
                params.push(param("NOTIFY", Some(&value))?);
            }
            None => {}
        }
        if let Some(orcpt) = &r.orcpt {
            params.push(param(
                "ORCPT",
                Some(&format!("rfc822;{}", xtext(&orcpt.to_string()))),
            )?);
        }
        rcpts.push(Command::Rcpt(r.mailbox.clone(), params));
    }

    let pipelined = s.config.pipelining && caps.pipelining;
    let bdat = s.config.chunking && caps.chunking;
    let payload = if bdat {
        msg.as_bytes().to_vec()
    } else {
        let mut out = Vec::new();
        msg.encode_data(&mut out);
        out
    };
    let report = DeliveryReport {
        mail: None,
        recipients: env
            .recipients
            .iter()
            .map(|r| RecipientResult {
                mailbox: r.mailbox.clone(),
                reply: None,
            })
            .collect(),
        data: None,
        final_reply: None,
        tls: s.tls.clone(),
        attempted: false,
        content_written: false,
        bdat,
        round_trips: 0,
    };
    s.txns.push_back(Box::new(Txn {
        report,
        stage: Stage::Queued,
        pipelined,
        bdat,
        mail: Command::Mail(env.from.clone(), mail_params),
        rcpts,
        payload,
        start_round_trips: s.round_trips,
        outstanding: 0,
        content_queued: false,
    }));
    s.phase = Phase::Txn;
    pump(s);
    Ok(())
}

/// Puts the envelope of the first queued transaction on the wire, when every earlier one is
/// closed on the wire (RFC 5321 §4.1.4: no nested MAIL). Without PIPELINING only one
/// transaction exists at a time, so this starts it.
fn pump(s: &mut Session) {
    if s.txns.iter().any(|t| t.stage == Stage::Envelope) {
        // Its RCPT replies decide between content and RSET; nothing may go before that.
        return;
    }
    let Some(txn) = s.txns.iter_mut().find(|t| t.stage == Stage::Queued) else {
        return;
    };
    txn.stage = Stage::Envelope;
    txn.report.attempted = true;
    txn.start_round_trips = s.round_trips;
    txn.mail.encode(&mut s.outbuf);
    s.pending.push_back(Expect::Mail);
    txn.outstanding = 1;
    if txn.pipelined {
        // RFC 2920 §3.1: MAIL and RCPT may be batched; DATA may end the batch, because the
        // server must answer it only after the RCPT replies and the content waits for 354.
        // BDAT may not: its chunk follows the command line unasked.
        for (i, cmd) in txn.rcpts.iter().enumerate() {
            cmd.encode(&mut s.outbuf);
            s.pending.push_back(Expect::Rcpt(i));
            txn.outstanding += 1;
        }
        if !txn.bdat {
            Command::Data.encode(&mut s.outbuf);
            s.pending.push_back(Expect::Data);
            txn.outstanding += 1;
        }
    }
}

/// True when the content may be sent: MAIL and at least one RCPT were accepted.
fn deliverable(txn: &Txn) -> bool {
    let mail_ok = txn
        .report
        .mail
        .as_ref()
        .is_some_and(|r| r.code().is_positive());
    mail_ok && txn.report.recipients.iter().any(RecipientResult::accepted)
}

/// True when the server may hold transaction state: some envelope command was accepted.
fn opened(txn: &Txn) -> bool {
    let mail_ok = txn
        .report
        .mail
        .as_ref()
        .is_some_and(|r| r.code().is_positive());
    mail_ok || txn.report.recipients.iter().any(RecipientResult::accepted)
}

/// The only place message content is written. `BDAT n LAST` and the chunk (RFC 3030 §2), or
/// after 354 the dot-stuffed content with its final `.CRLF`.
fn send_content(s: &mut Session, txn: &mut Txn) {
    debug_assert!(deliverable(txn), "content without an accepted recipient");
    let payload = std::mem::take(&mut txn.payload);
    if txn.bdat {
        Command::Bdat {
            size: payload.len(),
            last: true,
        }
        .encode(&mut s.outbuf);
        s.outbuf.extend_from_slice(&payload);
        s.pending.push_back(Expect::Bdat);
    } else {
        s.outbuf.extend_from_slice(&payload);
        s.pending.push_back(Expect::DataEnd);
    }
    txn.outstanding += 1;
    txn.stage = Stage::Content;
    txn.content_queued = true;
}

/// `poll_transmit` handed `outbuf` to the driver: content in it counts as written from now
/// on (a report says "unconfirmed", never "not sent", once it may have reached the server).
pub(super) fn on_transmit(s: &mut Session) {
    for t in s.txns.iter_mut().filter(|t| t.content_queued) {
        t.content_queued = false;
        t.report.content_written = true;
    }
}

/// True when every transaction held is closed on the wire (its content or RSET is out), so
/// a QUIT may follow in the same write (RFC 2920 §3.1).
pub(super) fn all_closed_on_wire(s: &Session) -> bool {
    s.txns
        .iter()
        .all(|t| matches!(t.stage, Stage::Content | Stage::Reset))
}

/// The session failed: every transaction still held is reported as it stands, in order,
/// after the events already queued. Its status follows from its facts: unconfirmed when
/// its content was written, deferred when its envelope was, not sent when neither.
pub(super) fn abandon(s: &mut Session) {
    while let Some(mut t) = s.txns.pop_front() {
        t.report.round_trips = s.round_trips.saturating_sub(t.start_round_trips);
        s.events.push_back(Event::Delivered(Box::new(t.report)));
    }
}

/// Handles the reply to MAIL, RCPT, DATA, the end of data, BDAT, or the RSET that ended a
/// transaction.
pub(super) fn on_reply(s: &mut Session, expect: Expect, reply: Reply) -> Result<(), SessionError> {
    let unexpected = |reply| SessionError::UnexpectedReply {
        command: expect.verb(),
        reply,
    };
    // Replies come in command order, and a transaction's commands all go before the next
    // one's, so this reply belongs to the oldest transaction.
    let Some(mut txn) = s.txns.pop_front() else {
        return Err(unexpected(reply));
    };
    if txn.outstanding == 0 {
        return Err(keep(s, txn, unexpected(reply)));
    }
    txn.outstanding -= 1;
    let code = reply.code();
    let refusal = code.is_transient() || code.is_permanent();
    // 421: the server is closing the channel (RFC 5321 §3.8); nothing else will come.
    let closing = code.value() == 421;
    match expect {
        Expect::Mail => {
            if !(code.is_positive() || refusal) {
                return Err(keep(s, txn, unexpected(reply)));
            }
            txn.report.mail = Some(reply);
            if !closing && !txn.pipelined {
                if refusal {
                    // No transaction was opened; nothing to reset.
                    return finish(s, txn, false);
                }
                let first = txn.rcpts[0].clone();
                s.send(first, Expect::Rcpt(0));
                txn.outstanding += 1;
            }
        }
        Expect::Rcpt(i) => {
            if !(code.is_positive() || refusal) {
                return Err(keep(s, txn, unexpected(reply)));
            }
            if let Some(slot) = txn.report.recipients.get_mut(i) {
                slot.reply = Some(reply);
            }
            if !closing {
                if !txn.pipelined && i + 1 < txn.rcpts.len() {
                    let next = txn.rcpts[i + 1].clone();
                    s.send(next, Expect::Rcpt(i + 1));
                    txn.outstanding += 1;
                } else if txn.outstanding == 0 {
                    // Every envelope reply is in (with PIPELINING and DATA, DATA's reply is
                    // still due and decides instead).
                    return envelope_answered(s, txn);
                }
            }
        }
        Expect::Data => {
            if code.value() == 354 {
                txn.report.data = Some(reply);
                if deliverable(&txn) {
                    send_content(s, &mut txn);
                } else {
                    // DATA was pipelined and accepted although no recipient was: the content
                    // stays here. RFC 2920 §3.1: "if the DATA command was accepted the client
                    // SMTP should send a single dot", an empty body that ends data mode.
                    s.outbuf.extend_from_slice(b".\r\n");
                    s.pending.push_back(Expect::DataEnd);
                    txn.outstanding += 1;
                    txn.stage = Stage::Content;
                }
                s.txns.push_front(txn);
                pump(s);
                return Ok(());
            } else if refusal {
                txn.report.data = Some(reply);
                if !closing {
                    // RFC 5321 §4.1.1.4: after a refused DATA the content must not be sent.
                    let reset = opened(&txn);
                    return finish(s, txn, reset);
                }
            } else {
                return Err(keep(s, txn, unexpected(reply)));
            }
        }
        Expect::DataEnd => {
            if !(code.is_positive() || refusal) {
                return Err(keep(s, txn, unexpected(reply)));
            }
            txn.report.final_reply = Some(reply);
            if !closing {
                // After the end of data the transaction is over either way (RFC 5321 §4.1.1.4).
                return finish(s, txn, false);
            }
        }
        Expect::Bdat => {
            if !(code.is_positive() || refusal) {
                return Err(keep(s, txn, unexpected(reply)));
            }
            txn.report.final_reply = Some(reply);
            if !closing {
                // RFC 3030 §2: after a failed BDAT the transaction state is unclear; reset.
                return finish(s, txn, refusal);
            }
        }
        Expect::Rset => {
            if code.is_positive() {
                return finish(s, txn, false);
            }
            // The transaction is settled and reported; a server that cannot reset cannot take
            // another message, so the session ends here.
            close(s, txn);
            return Ok(());
        }
        _ => return Err(keep(s, txn, unexpected(reply))),
    }
    if closing {
        close(s, txn);
        return Ok(());
    }
    s.txns.push_front(txn);
    Ok(())
}

/// Puts a transaction back before the session fails on its reply, so the failure reports it
/// like every other one still held (issue 9 class 2: no message is lost without a report).
fn keep(s: &mut Session, txn: Box<Txn>, e: SessionError) -> SessionError {
    s.txns.push_front(txn);
    e
}

/// Every reply to MAIL and RCPT is in (no DATA pending): the content goes, or it never does.
fn envelope_answered(s: &mut Session, mut txn: Box<Txn>) -> Result<(), SessionError> {
    if !deliverable(&txn) {
        // RFC 5321 §3.3: no recipient, no DATA (nor BDAT).
        let reset = opened(&txn);
        return finish(s, txn, reset);
    }
    if txn.bdat {
        send_content(s, &mut txn);
    } else {
        // Without PIPELINING DATA was not sent with the envelope; it is now.
        s.send(Command::Data, Expect::Data);
        txn.outstanding += 1;
    }
    s.txns.push_front(txn);
    pump(s);
    Ok(())
}

/// Ends the transaction: hands out the report, after an RSET when the server may still hold
/// transaction state and no later transaction is on the wire yet.
fn finish(s: &mut Session, mut txn: Box<Txn>, reset: bool) -> Result<(), SessionError> {
    if txn.outstanding > 0 {
        // Pipelined replies still due: keep collecting them first.
        s.txns.push_front(txn);
        return Ok(());
    }
    let later_on_wire = s.txns.iter().any(|t| t.stage != Stage::Queued);
    // After a pipelined QUIT nothing more may go (RFC 5321 §4.1.1.10): the session ends
    // with QUIT's reply, which resets any transaction state anyway.
    if reset && !later_on_wire && !s.quit_is_sent() {
        s.send(Command::Rset, Expect::Rset);
        txn.outstanding = 1;
        txn.stage = Stage::Reset;
        s.txns.push_front(txn);
        // RSET may be followed by the next MAIL in the same batch (RFC 2920 §3.1).
        pump(s);
        return Ok(());
    }
    txn.report.round_trips = s.round_trips.saturating_sub(txn.start_round_trips);
    s.events.push_back(Event::Delivered(Box::new(txn.report)));
    pump(s);
    if s.txns.is_empty() {
        s.ready();
    }
    Ok(())
}

/// The server is closing (421) or cannot reset: this transaction and every other one held
/// are reported as they stand (unanswered ones with no replies), so none is lost silently.
fn close(s: &mut Session, mut txn: Box<Txn>) {
    txn.report.round_trips = s.round_trips.saturating_sub(txn.start_round_trips);
    s.clear_pending();
    s.outbuf.clear();
    s.phase = Phase::Closed;
    s.events.push_back(Event::Delivered(Box::new(txn.report)));
    while let Some(mut rest) = s.txns.pop_front() {
        rest.report.round_trips = s.round_trips.saturating_sub(rest.start_round_trips);
        s.events.push_back(Event::Delivered(Box::new(rest.report)));
    }
    s.events.push_back(Event::Closed);
}
