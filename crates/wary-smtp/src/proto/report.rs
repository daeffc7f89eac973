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
#[non_exhaustive]
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
    /// With DSN NOTIFY (RFC 3461 §4.1).
    pub fn with_notify(mut self, notify: Notify) -> Recipient {
        self.notify = Some(notify);
        self
    }
    /// With DSN ORCPT (RFC 3461 §4.2).
    pub fn with_orcpt(mut self, original: Mailbox) -> Recipient {
        self.orcpt = Some(original);
        self
    }
}

/// The envelope of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// An envelope whose recipients carry DSN options.
    pub fn with_recipients(from: ReversePath, recipients: Vec<Recipient>) -> Envelope {
        Envelope {
            from,
            recipients,
            ret: None,
            envid: None,
        }
    }
    /// With DSN RET (RFC 3461 §4.3).
    pub fn with_ret(mut self, ret: Ret) -> Envelope {
        self.ret = Some(ret);
        self
    }
    /// With DSN ENVID (RFC 3461 §4.4).
    pub fn with_envid(mut self, envid: Envid) -> Envelope {
        self.envid = Some(envid);
        self
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

/// A TLS protocol version. wary negotiates only TLS 1.2 and 1.3; the other cases exist so
/// that a driver with its own TLS stack can report what it got without lying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
    /// Another version, by its wire code (`0x0301` is TLS 1.0).
    Other(u16),
    /// The TLS stack did not say.
    Unknown,
}

impl TlsVersion {
    /// The version for its wire code (RFC 8446 §4.2.1: `0x0304` is TLS 1.3).
    pub fn from_code(code: u16) -> TlsVersion {
        match code {
            0x0303 => TlsVersion::Tls12,
            0x0304 => TlsVersion::Tls13,
            other => TlsVersion::Other(other),
        }
    }
    /// `TLSv1.2`, `TLSv1.3` (the names OpenSSL and `wary send --json` use), `0x0301`, or
    /// `unknown`.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self {
            TlsVersion::Tls12 => "TLSv1.2".into(),
            TlsVersion::Tls13 => "TLSv1.3".into(),
            TlsVersion::Other(code) => format!("{code:#06x}").into(),
            TlsVersion::Unknown => "unknown".into(),
        }
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// The TLS session a message went through.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The protocol version.
    pub version: TlsVersion,
    /// The IANA name of the cipher suite.
    pub cipher_suite: String,
    /// The peer certificate's subject (RFC 4514 form), when it could be decoded.
    pub peer_subject: Option<String>,
    /// The name the certificate was verified against.
    pub server_name: String,
}

impl TlsInfo {
    /// What a driver reports after a verified handshake: the version, the cipher suite's
    /// IANA name and the name the certificate was verified against.
    pub fn new(version: TlsVersion, cipher_suite: &str, server_name: &str) -> TlsInfo {
        TlsInfo {
            version,
            cipher_suite: cipher_suite.to_owned(),
            peer_subject: None,
            server_name: server_name.to_owned(),
        }
    }
    /// With the peer certificate's subject (RFC 4514 form).
    pub fn with_peer_subject(mut self, subject: Option<String>) -> TlsInfo {
        self.peer_subject = subject;
        self
    }
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

/// The one honest status of a message (issue 9). Computed in one place,
/// [`DeliveryReport::status`], from the transaction's facts, never from a single reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// A 2xx final reply arrived for an accepted transaction: MAIL was accepted, at least one
    /// RCPT was accepted, the whole content was written, and the reply to its end was 2xx.
    /// The per-recipient results say who got it.
    Delivered,
    /// Not delivered, and a later try may succeed: a 4xx reply decided it, or the session
    /// ended (timeout, close, protocol error) before the content went out.
    Deferred,
    /// Not delivered, and sending it again as it is will not help: a 5xx reply decided it.
    Refused,
    /// The whole content was written but no final reply arrived (timeout, close, broken
    /// connection). The server may have accepted it: retrying blindly may deliver it twice.
    Unconfirmed,
    /// Never attempted: an earlier failure ended the connection before its envelope went out.
    NotSent,
}

impl Status {
    /// The name used in `wary send --json` and the docs.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Delivered => "delivered",
            Status::Deferred => "deferred",
            Status::Refused => "refused",
            Status::Unconfirmed => "unconfirmed",
            Status::NotSent => "not_sent",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What became of one recipient of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecipientStatus {
    /// RCPT was accepted inside an accepted transaction (whether the message then got through
    /// is the message's [`Status`]).
    Accepted,
    /// A 4xx reply, no reply, or a MAIL refused with 4xx: a later try may reach it.
    Deferred,
    /// A 5xx reply (to its RCPT, or to a MAIL refused with 5xx).
    Refused,
}

impl RecipientStatus {
    /// The name used in `wary send --json`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientStatus::Accepted => "accepted",
            RecipientStatus::Deferred => "deferred",
            RecipientStatus::Refused => "refused",
        }
    }
}

/// Overall result of one message, by recipients (see [`DeliveryReport::status`] for the
/// message's own status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered (see [`Status::Delivered`]) and every recipient was accepted.
    Delivered,
    /// Delivered, but some recipients were refused.
    PartlyDelivered,
    /// The message was not delivered to anyone (or it is not known: [`Status::Unconfirmed`]).
    NotDelivered,
}

/// The result of one message, which the caller must check: a session that ends without
/// error does not mean the message was delivered to everyone.
#[must_use = "a delivery report says whether the message was delivered; check status()"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The reply to MAIL, or `None` when the transaction ended before it came.
    pub mail: Option<Reply>,
    /// One result per recipient, in envelope order.
    pub recipients: Vec<RecipientResult>,
    /// The reply to DATA (354 or a refusal); `None` with BDAT or when DATA was not sent.
    pub data: Option<Reply>,
    /// The final reply: after the data's `.`, or to `BDAT … LAST`. Only a 2xx here, for a
    /// transaction whose MAIL and some RCPT were accepted and whose content was written,
    /// means the message was accepted.
    pub final_reply: Option<Reply>,
    /// The TLS session, or `None` in plain text.
    pub tls: Option<TlsInfo>,
    /// True when the envelope (MAIL) went on the wire: false means the message was never
    /// attempted ([`Status::NotSent`]).
    pub attempted: bool,
    /// True when the whole content (with its final `.` or as the `BDAT … LAST` chunk) was
    /// handed to the driver to write. A lone `.` that ends an unwanted data phase (RFC 2920
    /// §3.1) is not content.
    pub content_written: bool,
    /// True when the content went as `BDAT … LAST` (RFC 3030), false for DATA.
    pub bdat: bool,
    /// Round trips between this message's envelope going on the wire and its final reply:
    /// 2 with PIPELINING (the envelope, with DATA when there is no CHUNKING; then the
    /// content, which never goes before the RCPT replies), one per command without it.
    /// Messages queued behind each other share round trips (the next envelope goes with this
    /// content), so n messages cost n + 1; for the cost per message on a busy connection
    /// divide [`crate::proto::Session::round_trips`] by the messages sent.
    pub round_trips: u32,
}

impl DeliveryReport {
    /// The message's status, from the transaction's facts (issue 9). The only place that
    /// decides "delivered": MAIL accepted, at least one RCPT accepted, the whole content
    /// written, and a 2xx final reply, all four. Otherwise the first decisive refusal in a
    /// fixed order (MAIL, DATA, the final reply, then the recipients as a set, so the order
    /// of recipients never matters), and 5xx wins over 4xx among the recipients.
    pub fn status(&self) -> Status {
        let positive = |r: &Option<Reply>| r.as_ref().is_some_and(|r| r.code().is_positive());
        let mail_ok = positive(&self.mail);
        let any_rcpt = self.recipients.iter().any(RecipientResult::accepted);
        if mail_ok && any_rcpt && self.content_written && positive(&self.final_reply) {
            return Status::Delivered;
        }
        if self.content_written && self.final_reply.is_none() {
            return Status::Unconfirmed;
        }
        if !self.attempted {
            return Status::NotSent;
        }
        // MAIL's reply decides when it refused: RCPT replies after a refused MAIL (which
        // pipelining sends anyway) say nothing about the recipients (RFC 2920 §3.1).
        if let Some(s) = self.mail.as_ref().and_then(refusal) {
            return s;
        }
        // With no recipient accepted, the recipients decide; DATA's refusal (554 "no valid
        // recipients", RFC 2920 §3.1) is only its consequence.
        if mail_ok && !any_rcpt {
            let mut status = None;
            for r in self.recipients.iter().filter_map(|r| r.reply.as_ref()) {
                match refusal(r) {
                    Some(Status::Refused) => return Status::Refused,
                    Some(s) => status = Some(s),
                    None => {}
                }
            }
            if let Some(s) = status {
                return s;
            }
        }
        for r in [&self.data, &self.final_reply].into_iter().flatten() {
            if let Some(s) = refusal(r) {
                return s;
            }
        }
        // Attempted, no decisive refusal, content not out: a timeout, a close or a protocol
        // error ended it before the content. Nothing was delivered; a retry is safe.
        Status::Deferred
    }

    /// What became of recipient `i` (in envelope order); `None` when there is no such one.
    pub fn recipient_status(&self, i: usize) -> Option<RecipientStatus> {
        let r = self.recipients.get(i)?;
        // After a refused MAIL, RCPT replies mean nothing: MAIL's refusal is every recipient's.
        let mail = self.mail.as_ref();
        let by_code = |reply: &Reply| {
            if reply.code().is_permanent() {
                RecipientStatus::Refused
            } else {
                RecipientStatus::Deferred
            }
        };
        if let Some(m) = mail.filter(|m| !m.code().is_positive()) {
            return Some(by_code(m));
        }
        Some(match &r.reply {
            Some(reply) if reply.code().is_positive() && mail.is_some() => {
                RecipientStatus::Accepted
            }
            Some(reply) if reply.code().is_permanent() => RecipientStatus::Refused,
            Some(reply) => by_code(reply),
            None => RecipientStatus::Deferred,
        })
    }

    /// The reply that decided recipient `i`'s [`recipient_status`](Self::recipient_status):
    /// MAIL's after a refused MAIL (the recipient was never considered, whatever its RCPT
    /// got back, typically a meaningless 503; issue 9, class 8), else its RCPT reply; `None`
    /// when no reply came.
    pub fn recipient_reply(&self, i: usize) -> Option<&Reply> {
        if let Some(m) = self.mail.as_ref().filter(|m| !m.code().is_positive()) {
            return Some(m);
        }
        self.recipients.get(i)?.reply.as_ref()
    }

    /// Whether recipient `i` was considered by the server: its RCPT was answered inside a
    /// transaction whose MAIL was accepted.
    pub fn recipient_tried(&self, i: usize) -> bool {
        let mail_ok = self.mail.as_ref().is_some_and(|m| m.code().is_positive());
        mail_ok && self.recipients.get(i).is_some_and(|r| r.reply.is_some())
    }

    /// The overall result by recipients.
    pub fn outcome(&self) -> Outcome {
        if self.status() != Status::Delivered {
            return Outcome::NotDelivered;
        }
        if self.recipients.iter().all(RecipientResult::accepted) {
            Outcome::Delivered
        } else {
            Outcome::PartlyDelivered
        }
    }

    /// The first refusal that explains why the message was not delivered to everyone:
    /// MAIL's, then the recipients' (in envelope order), then DATA's, then the final reply
    /// (to the data's `.` or to `BDAT … LAST`).
    pub fn first_refusal(&self) -> Option<(TxnCommand, &Reply)> {
        let refused = |r: &&Reply| !r.code().is_positive() && !r.code().is_intermediate();
        if let Some(r) = self.mail.as_ref().filter(refused) {
            return Some((TxnCommand::Mail, r));
        }
        if let Some((i, r)) = self
            .recipients
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i, r.reply.as_ref()?)))
            .find(|(_, r)| refused(r))
        {
            return Some((TxnCommand::Rcpt(i), r));
        }
        if let Some(r) = self.data.as_ref().filter(refused) {
            return Some((TxnCommand::Data, r));
        }
        let end = if self.bdat {
            TxnCommand::BdatLast
        } else {
            TxnCommand::DataEnd
        };
        self.final_reply.as_ref().filter(refused).map(|r| (end, r))
    }
}

/// A command of a mail transaction (RFC 5321 §3.3), as named by
/// [`DeliveryReport::first_refusal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TxnCommand {
    /// `MAIL FROM`.
    Mail,
    /// `RCPT TO` for the recipient at this index (envelope order).
    Rcpt(usize),
    /// `DATA` (its 354, or a refusal).
    Data,
    /// The end of the data, the lone `.` (RFC 5321 §4.1.1.4).
    DataEnd,
    /// `BDAT … LAST` (RFC 3030 §2).
    BdatLast,
}

impl TxnCommand {
    /// The command as written in messages: `MAIL`, `RCPT`, `DATA`, `end of data`, `BDAT`.
    pub fn as_str(self) -> &'static str {
        match self {
            TxnCommand::Mail => "MAIL",
            TxnCommand::Rcpt(_) => "RCPT",
            TxnCommand::Data => "DATA",
            TxnCommand::DataEnd => "end of data",
            TxnCommand::BdatLast => "BDAT",
        }
    }
}

impl std::fmt::Display for TxnCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status a refusal decides: 4xx deferred, 5xx refused; `None` for a positive or
/// intermediate reply.
fn refusal(r: &Reply) -> Option<Status> {
    if r.code().is_permanent() {
        Some(Status::Refused)
    } else if r.code().is_transient() {
        Some(Status::Deferred)
    } else {
        None
    }
}
