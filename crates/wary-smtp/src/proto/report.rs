//! What goes into a transaction (the envelope, RFC 5321 §2.3.1, with RFC 3461 DSN options)
//! and what comes out (the delivery report every caller must inspect).

use super::reply::Reply;
use super::types::{Envid, Mailbox, ReversePath};

/// When to send delivery status notifications for a recipient (RFC 3461 §4.1 NOTIFY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    /// `NOTIFY=NEVER`.
    Never,
    /// `NOTIFY=SUCCESS,FAILURE,DELAY` (any non-empty subset).
    On {
        /// Notify on delivery.
        success: bool,
        /// Notify on failure.
        failure: bool,
        /// Notify on delay.
        delay: bool,
    },
}

/// How much of the message a DSN returns (RFC 3461 §4.3 RET).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ret {
    /// `RET=FULL`.
    Full,
    /// `RET=HDRS`.
    Headers,
}

/// One recipient and its DSN options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The address.
    pub mailbox: Mailbox,
    /// DSN NOTIFY (needs the server's DSN extension).
    pub notify: Option<Notify>,
    /// DSN ORCPT: the original recipient, sent as `rfc822;` + xtext (RFC 3461 §4.2).
    pub orcpt: Option<Mailbox>,
}

impl Recipient {
    /// A recipient without DSN options.
    pub fn new(mailbox: Mailbox) -> Recipient {
        Recipient {
            mailbox,
            notify: None,
            orcpt: None,
        }
    }
}

/// The envelope of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// MAIL FROM.
    pub from: ReversePath,
    /// RCPT TO, in order.
    pub recipients: Vec<Recipient>,
    /// DSN RET (needs DSN).
    pub ret: Option<Ret>,
    /// DSN ENVID, sent as xtext (needs DSN); checked on construction (RFC 3461 §4.4).
    pub envid: Option<Envid>,
}

impl Envelope {
    /// An envelope without DSN options.
    pub fn new(from: ReversePath, recipients: Vec<Mailbox>) -> Envelope {
        Envelope {
            from,
            recipients: recipients.into_iter().map(Recipient::new).collect(),
            ret: None,
            envid: None,
        }
    }
    pub(crate) fn uses_dsn(&self) -> bool {
        self.ret.is_some()
            || self.envid.is_some()
            || self
                .recipients
                .iter()
                .any(|r| r.notify.is_some() || r.orcpt.is_some())
    }
}

/// The TLS session a message went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: String,
    /// The IANA name of the cipher suite.
    pub cipher_suite: String,
    /// The peer certificate's subject (RFC 4514 form), when it could be decoded.
    pub peer_subject: Option<String>,
    /// The name the certificate was verified against.
    pub server_name: String,
}

/// What the server said about one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientResult {
    /// The recipient.
    pub mailbox: Mailbox,
    /// The reply to its RCPT, or `None` when the transaction ended before it came.
    pub reply: Option<Reply>,
}

impl RecipientResult {
    /// True when RCPT was accepted (250 or 251).
    pub fn accepted(&self) -> bool {
        self.reply.as_ref().is_some_and(|r| r.code().is_positive())
    }
}

/// Overall result of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The final reply was 2xx and every recipient was accepted.
    Delivered,
    /// The final reply was 2xx but some recipients were refused.
    PartlyDelivered,
    /// The message was not accepted for anyone.
    NotDelivered,
}

/// The result of one message, which the caller must check: a session that ends without
/// error does not mean the message was delivered to everyone.
#[must_use = "a delivery report says which recipients were refused; check outcome()"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The reply to MAIL, or `None` when the transaction ended before it came.
    pub mail: Option<Reply>,
    /// One result per recipient, in envelope order.
    pub recipients: Vec<RecipientResult>,
    /// The reply to DATA (354 or a refusal); `None` with BDAT or when DATA was not sent.
    pub data: Option<Reply>,
    /// The final reply: after the data's `.`, or to `BDAT … LAST`. Only a 2xx here means
    /// the message was accepted.
    pub final_reply: Option<Reply>,
    /// The TLS session, or `None` in plain text.
    pub tls: Option<TlsInfo>,
    /// Round trips between this message's envelope going on the wire and its final reply:
    /// 2 with PIPELINING (the envelope, with DATA when there is no CHUNKING; then the
    /// content, which never goes before the RCPT replies), one per command without it.
    /// Messages queued behind each other share round trips (the next envelope goes with this
    /// content), so n messages cost n + 1; for the cost per message on a busy connection
    /// divide [`crate::proto::Session::round_trips`] by the messages sent.
    pub round_trips: u32,
}

impl DeliveryReport {
    /// The overall result.
    pub fn outcome(&self) -> Outcome {
        let accepted_final = self
            .final_reply
            .as_ref()
            .is_some_and(|r| r.code().is_positive());
        let any = self.recipients.iter().any(RecipientResult::accepted);
        let all = self.recipients.iter().all(RecipientResult::accepted);
        match (accepted_final && any, all) {
            (true, true) => Outcome::Delivered,
            (true, false) => Outcome::PartlyDelivered,
            (false, _) => Outcome::NotDelivered,
        }
    }
    /// The first refusal that explains why the message was not delivered to everyone:
    /// MAIL's, then the recipients', then DATA's, then the final reply.
    pub fn first_refusal(&self) -> Option<(&'static str, &Reply)> {
        let refused = |r: &&Reply| !r.code().is_positive() && !r.code().is_intermediate();
        if let Some(r) = self.mail.as_ref().filter(refused) {
            return Some(("MAIL", r));
        }
        if let Some(r) = self
            .recipients
            .iter()
            .filter_map(|r| r.reply.as_ref())
            .find(refused)
        {
            return Some(("RCPT", r));
        }
        if let Some(r) = self.data.as_ref().filter(refused) {
            return Some(("DATA", r));
        }
        self.final_reply
            .as_ref()
            .filter(refused)
            .map(|r| ("end of data", r))
    }
}
