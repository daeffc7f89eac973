//! One mail transaction inside a session (RFC 5321 §3.3): MAIL, RCPT per recipient, then DATA
//! and the dot-stuffed message, or `BDAT n LAST` and the raw message (RFC 3030). With
//! PIPELINING (RFC 2920) the whole envelope and DATA/BDAT go in one batch; without it each
//! command waits for its reply. Per-recipient replies are kept; no recipient accepted means
//! the message data is never sent (or, when already pipelined behind BDAT, must be refused by
//! the server — accepting it is a protocol violation).
//!
//! With PIPELINING and CHUNKING the next message may be queued before the previous one is
//! answered (its MAIL follows `BDAT … LAST` in the same batch), up to
//! [`MAX_MESSAGES_IN_FLIGHT`]; replies are matched to transactions in order. A transaction
//! that fails while later ones are already on the wire gets no RSET (there is no place for
//! one): `BDAT … LAST` ends the transaction either way (RFC 3030 §2), and a server that
//! disagrees refuses the next MAIL, which is reported, never hidden.

use super::command::Command;
use super::error::{SessionError, SubmitError};
use super::message::Message;
use super::reply::Reply;
use super::report::{DeliveryReport, Envelope, Notify, RecipientResult, Ret};
use super::session::{Event, Expect, Phase, Session};
use super::types::{xtext, EsmtpParam, ReversePath};

/// Most messages awaiting replies at once. Their replies (a few dozen octets each) fit in
/// any socket buffer, so the client and server cannot both block writing (RFC 2920 §3.1).
pub const MAX_MESSAGES_IN_FLIGHT: usize = 32;

/// State of one transaction in flight.
pub(super) struct Txn {
    report: DeliveryReport,
    pipelined: bool,
    bdat: bool,
    rcpts: Vec<Command>,
    /// The DATA form (dot-stuffed, with `.CRLF`) or the BDAT chunk.
    payload: Vec<u8>,
    start_round_trips: u32,
    /// Replies still due for this transaction's commands.
    outstanding: usize,
}

/// True when another message can be queued behind those in flight.
pub(super) fn can_queue(s: &Session) -> bool {
    let caps = s.caps.as_ref();
    let whole_batch = s.config.pipelining
        && s.config.chunking
        && caps.is_some_and(|c| c.pipelining && c.chunking);
    whole_batch
        && s.txns.len() < MAX_MESSAGES_IN_FLIGHT
        && s.txns.iter().all(|t| t.pipelined && t.bdat)
}

fn param(keyword: &str, value: Option<&str>) -> Result<EsmtpParam, SubmitError> {
    EsmtpParam::new(keyword, value).map_err(SubmitError::Value)
}

/// Checks the message against the server's capabilities and queues the first batch.
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
        round_trips: 0,
    };
    let mut txn = Txn {
        report,
        pipelined,
        bdat,
        rcpts,
        payload,
        start_round_trips: s.round_trips,
        outstanding: 1,
    };
    s.send(Command::Mail(env.from.clone(), mail_params), Expect::Mail);
    if pipelined {
        // RFC 2920 §3.1: MAIL and RCPT may be batched; DATA or BDAT ends the batch.
        for (i, cmd) in txn.rcpts.iter().enumerate() {
            cmd.encode(&mut s.outbuf);
            s.pending.push_back(Expect::Rcpt(i));
            txn.outstanding += 1;
        }
        send_body_command(s, &mut txn);
    }
    s.txns.push_back(Box::new(txn));
    s.phase = Phase::Txn;
    Ok(())
}

/// DATA, or `BDAT n LAST` followed by the chunk (RFC 3030 §2).
fn send_body_command(s: &mut Session, txn: &mut Txn) {
    txn.outstanding += 1;
    if txn.bdat {
        let payload = std::mem::take(&mut txn.payload);
        s.send(
            Command::Bdat {
                size: payload.len(),
                last: true,
            },
            Expect::Bdat,
        );
        s.outbuf.extend_from_slice(&payload);
    } else {
        s.send(Command::Data, Expect::Data);
    }
}

/// Handles the reply to MAIL, RCPT, DATA, the end of data, or BDAT.
pub(super) fn on_reply(s: &mut Session, expect: Expect, reply: Reply) -> Result<(), SessionError> {
    // Replies come in command order, so this one belongs to the oldest transaction.
    let Some(mut txn) = s.txns.pop_front() else {
        return Err(SessionError::UnexpectedReply {
            command: expect.verb(),
            reply,
        });
    };
    txn.outstanding = txn.outstanding.saturating_sub(1);
    let code = reply.code();
    let refusal = code.is_transient() || code.is_permanent();
    let unexpected = |reply| SessionError::UnexpectedReply {
        command: expect.verb(),
        reply,
    };
    // 421: the server is closing the channel (RFC 5321 §3.8); nothing else will come.
    let closing = code.value() == 421;
    let accepted = |t: &Txn| t.report.recipients.iter().filter(|r| r.accepted()).count();
    match expect {
        Expect::Mail => {
            if !(code.is_positive() || refusal) {
                return Err(unexpected(reply));
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
                return Err(unexpected(reply));
            }
            if let Some(slot) = txn.report.recipients.get_mut(i) {
                slot.reply = Some(reply);
            }
            if !closing && !txn.pipelined {
                if let Some(next) = txn.rcpts.get(i + 1).cloned() {
                    s.send(next, Expect::Rcpt(i + 1));
                    txn.outstanding += 1;
                } else if accepted(&txn) == 0 {
                    // RFC 5321 §3.3: no recipient, no DATA.
                    return finish(s, txn, true);
                } else {
                    send_body_command(s, &mut txn);
                }
            }
        }
        Expect::Data => {
            if code.value() == 354 {
                let mail_ok = txn
                    .report
                    .mail
                    .as_ref()
                    .is_some_and(|r| r.code().is_positive());
                if !mail_ok || accepted(&txn) == 0 {
                    // RFC 2920 §3.1: with no valid recipient the server must refuse DATA.
                    // Sending the message now could deliver it nowhere or somewhere unknown.
                    return Err(SessionError::UnexpectedReply {
                        command: "DATA (no recipient was accepted)",
                        reply,
                    });
                }
                txn.report.data = Some(reply);
                let payload = std::mem::take(&mut txn.payload);
                s.outbuf.extend_from_slice(&payload);
                s.pending.push_back(Expect::DataEnd);
                txn.outstanding += 1;
            } else if refusal {
                txn.report.data = Some(reply);
                if !closing {
                    return finish(s, txn, true);
                }
            } else {
                return Err(unexpected(reply));
            }
        }
        Expect::DataEnd => {
            if !(code.is_positive() || refusal) {
                return Err(unexpected(reply));
            }
            txn.report.final_reply = Some(reply);
            if !closing {
                // After the end of data the transaction is over either way (RFC 5321 §4.1.1.4).
                return finish(s, txn, false);
            }
        }
        Expect::Bdat => {
            if code.is_positive() && accepted(&txn) == 0 {
                return Err(SessionError::UnexpectedReply {
                    command: "BDAT LAST (no recipient was accepted)",
                    reply,
                });
            }
            if !(code.is_positive() || refusal) {
                return Err(unexpected(reply));
            }
            let ok = code.is_positive();
            txn.report.final_reply = Some(reply);
            if !closing {
                // RFC 3030 §2: after a failed BDAT the transaction state is unclear; reset.
                return finish(s, txn, !ok);
            }
        }
        _ => return Err(unexpected(reply)),
    }
    if closing {
        // Every message still in flight is reported, unanswered, so none is lost silently.
        txn.report.round_trips = s.round_trips - txn.start_round_trips;
        s.clear_pending();
        s.phase = Phase::Closed;
        s.events.push_back(Event::Delivered(Box::new(txn.report)));
        while let Some(rest) = s.txns.pop_front() {
            s.events.push_back(Event::Delivered(Box::new(rest.report)));
        }
        s.events.push_back(Event::Closed);
        return Ok(());
    }
    s.txns.push_front(txn);
    s.phase = Phase::Txn;
    Ok(())
}

/// Ends the transaction: hands out the report, after an RSET when the server may still hold
/// transaction state.
fn finish(s: &mut Session, mut txn: Box<Txn>, reset: bool) -> Result<(), SessionError> {
    if txn.outstanding > 0 {
        // Pipelined replies still due: keep collecting them first.
        s.txns.push_front(txn);
        s.phase = Phase::Txn;
        return Ok(());
    }
    txn.report.round_trips = s.round_trips - txn.start_round_trips;
    if reset && s.txns.is_empty() {
        s.send(Command::Rset, Expect::Rset);
        s.phase = Phase::Reset(Box::new(txn.report));
    } else {
        s.events.push_back(Event::Delivered(Box::new(txn.report)));
        if s.txns.is_empty() {
            s.ready();
        } else {
            s.phase = Phase::Txn;
        }
    }
    Ok(())
}
