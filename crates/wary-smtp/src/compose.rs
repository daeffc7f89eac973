//! Building a message (feature `mime`): text and HTML alternatives, attachments, and header
//! fields encoded per RFC 2047 (Subject, display names) and RFC 2231 (non-ASCII file names),
//! with Date and Message-ID generated. The output goes to [`Message::new`], so what is sent
//! passes the same checks as any other message.
//!
//! MIME is not written here: [`mail_builder`] (by the authors of the Stalwart mail server)
//! does the multipart structure, boundaries, transfer encodings and header encodings, and
//! [`mime_guess`] maps file extensions to media types. This module only validates what the
//! caller gives it (a CR or LF in a subject or display name would be header injection, so it
//! is refused rather than left to an encoder's judgement) and picks the Message-ID's domain.

use crate::proto::{Mailbox, Message, MessageError};
use mail_builder::headers::address::Address;
use mail_builder::MessageBuilder;
use std::fmt;

/// Why a message cannot be built. The caller's values are at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComposeError {
    /// A header value (Subject, a display name, a file name) holds a control character:
    /// CR or LF would end the header field (RFC 5322 §2.2), NUL is never allowed.
    ControlCharacter {
        /// Which value (`subject`, `display name`, `file name`).
        field: &'static str,
    },
    /// A content type is not `type/subtype` (RFC 2045 §5.1).
    ContentType {
        /// The value given.
        value: String,
    },
    /// The built message was refused by [`Message::new`] (a line too long for SMTP cannot
    /// come out of the encoder; reported rather than assumed).
    Message(MessageError),
}

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComposeError::ControlCharacter { field } => write!(
                f,
                "the {field} holds a control character (CR, LF, NUL...): it would break the header field (RFC 5322 §2.2); remove it"
            ),
            ComposeError::ContentType { value } => write!(
                f,
                "content type {value:?} is not type/subtype (RFC 2045 §5.1), e.g. application/pdf"
            ),
            ComposeError::Message(e) => write!(f, "the built message: {e}"),
        }
    }
}

impl std::error::Error for ComposeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ComposeError::Message(e) => Some(e),
            _ => None,
        }
    }
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    filename: String,
    content_type: String,
    data: Vec<u8>,
}

impl Attachment {
    /// An attachment whose content type is guessed from the file name's extension
    /// (`application/octet-stream` when unknown).
    pub fn new(filename: impl Into<String>, data: Vec<u8>) -> Result<Attachment, ComposeError> {
        let filename = filename.into();
        check_text("file name", &filename)?;
        let content_type = guess_content_type(&filename);
        Ok(Attachment {
            filename,
            content_type,
            data,
        })
    }

    /// Replaces the guessed content type.
    pub fn with_content_type(mut self, content_type: &str) -> Result<Attachment, ComposeError> {
        let ok = content_type.split_once('/').is_some_and(|(t, s)| {
            let token = |x: &str| {
                !x.is_empty()
                    && x.bytes()
                        .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
            };
            token(t) && token(s)
        });
        if !ok {
            return Err(ComposeError::ContentType {
                value: content_type.to_owned(),
            });
        }
        self.content_type = content_type.to_ascii_lowercase();
        Ok(self)
    }

    /// The file name, as given.
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The content type.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }
}

/// The media type for a file name's extension, `application/octet-stream` when unknown.
pub fn guess_content_type(filename: &str) -> String {
    mime_guess::from_path(filename)
        .first()
        .map_or_else(|| "application/octet-stream".to_owned(), |m| m.to_string())
}

/// A message to build: `From`, `To`/`Cc`, `Subject`, a text and/or HTML body, attachments.
#[derive(Debug, Clone)]
pub struct Compose {
    from: Mailbox,
    from_name: Option<String>,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
    attachments: Vec<Attachment>,
}

impl Compose {
    /// A message from `from`.
    pub fn new(from: Mailbox) -> Compose {
        Compose {
            from,
            from_name: None,
            to: Vec::new(),
            cc: Vec::new(),
            subject: None,
            text: None,
            html: None,
            attachments: Vec::new(),
        }
    }

    /// The sender's display name (RFC 2047-encoded when not ASCII).
    pub fn from_name(mut self, name: impl Into<String>) -> Result<Compose, ComposeError> {
        let name = name.into();
        check_text("display name", &name)?;
        self.from_name = Some(name);
        Ok(self)
    }

    /// Adds a `To:` address.
    pub fn to(mut self, m: Mailbox) -> Compose {
        self.to.push(m);
        self
    }

    /// Adds a `Cc:` address.
    pub fn cc(mut self, m: Mailbox) -> Compose {
        self.cc.push(m);
        self
    }

    /// The subject (RFC 2047-encoded when not ASCII).
    pub fn subject(mut self, subject: impl Into<String>) -> Result<Compose, ComposeError> {
        let subject = subject.into();
        check_text("subject", &subject)?;
        self.subject = Some(subject);
        Ok(self)
    }

    /// The text/plain body.
    pub fn text(mut self, body: impl Into<String>) -> Compose {
        self.text = Some(body.into());
        self
    }

    /// The text/html body (with a text body too, the two are multipart/alternative).
    pub fn html(mut self, body: impl Into<String>) -> Compose {
        self.html = Some(body.into());
        self
    }

    /// Adds an attachment.
    pub fn attach(mut self, a: Attachment) -> Compose {
        self.attachments.push(a);
        self
    }

    /// The message's bytes (CRLF line ends), with a fresh Date and Message-ID.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = MessageBuilder::new();
        let from = self.from.to_string();
        b = match &self.from_name {
            Some(n) => b.from((n.as_str(), from.as_str())),
            None => b.from(from.as_str()),
        };
        if !self.to.is_empty() {
            b = b.to(addresses(&self.to));
        }
        if !self.cc.is_empty() {
            b = b.cc(addresses(&self.cc));
        }
        if let Some(s) = &self.subject {
            b = b.subject(s.as_str());
        }
        // RFC 5322 §3.6.4: the id's right side is a domain; the sender's, rather than the
        // local host name mail-builder would use (which may say more than the user wants).
        let id = format!(
            "{}@{}",
            mail_builder::mime::make_boundary("."),
            self.from.domain().as_str()
        );
        b = b.message_id(id);
        // Without any body, an empty text part: a message with attachments only still has
        // a first part that mail readers show as the body.
        if let Some(t) = &self.text {
            b = b.text_body(t.as_str());
        } else if self.html.is_none() {
            b = b.text_body("");
        }
        if let Some(h) = &self.html {
            b = b.html_body(h.as_str());
        }
        for a in &self.attachments {
            b = b.attachment(
                a.content_type.as_str(),
                a.filename.as_str(),
                a.data.as_slice(),
            );
        }
        let mut out = Vec::new();
        b.serialize(&mut out);
        out
    }

    /// The message, ready for [`crate::Client`].
    pub fn to_message(&self) -> Result<Message, ComposeError> {
        Message::new(&self.to_bytes()).map_err(ComposeError::Message)
    }
}

/// `Date: ` with the current time (RFC 5322 §3.6.1), one header field with its CRLF: what
/// sendmail and msmtp (`set_date_header auto`) add to a message that has no Date field.
pub fn date_field() -> Vec<u8> {
    use mail_builder::headers::{date::Date, Header};
    let mut out = b"Date: ".to_vec();
    Date::now().write_header(&mut out, "Date: ".len());
    out
}

/// `Message-ID: <RANDOM@DOMAIN>` (RFC 5322 §3.6.4), one header field with its CRLF: what
/// sendmail and msmtp (`set_msgid_header auto`) add to a message that has none. The right
/// side is the sender's domain, as in a built message, not the local host name.
pub fn message_id_field(sender: &Mailbox) -> Vec<u8> {
    use mail_builder::headers::{message_id::MessageId, Header};
    let id = format!(
        "{}@{}",
        mail_builder::mime::make_boundary("."),
        sender.domain().as_str()
    );
    let mut out = b"Message-ID: ".to_vec();
    MessageId::new(id).write_header(&mut out, "Message-ID: ".len());
    out
}

/// `From: NAME <ADDR>` (or `From: ADDR`), one header field with its CRLF, encoded as in a
/// built message (RFC 2047 for a non-ASCII name, quoting for specials). sendmail's `-F`.
pub fn from_field(name: Option<&str>, addr: &Mailbox) -> Result<Vec<u8>, ComposeError> {
    use mail_builder::headers::Header;
    if let Some(n) = name {
        check_text("display name", n)?;
    }
    let a = addr.to_string();
    let header: Address<'_> = match name {
        Some(n) => (n, a.as_str()).into(),
        None => a.as_str().into(),
    };
    let mut out = b"From: ".to_vec();
    header.write_header(&mut out, "From: ".len());
    Ok(out)
}

fn addresses(list: &[Mailbox]) -> Address<'static> {
    Address::new_list(list.iter().map(|m| Address::from(m.to_string())).collect())
}

/// Refuses control characters (TAB aside) in a value that becomes a header field.
fn check_text(field: &'static str, s: &str) -> Result<(), ComposeError> {
    if s.chars().any(|c| c.is_control() && c != '\t') {
        return Err(ComposeError::ControlCharacter { field });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
