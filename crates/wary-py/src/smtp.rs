//! `wary._wary.smtp_send`: one message over one wary-smtp connection, for `wary.smtp`.
//!
//! All SMTP behaviour is wary-smtp's (the STARTTLS proof, certificate and host-name checks,
//! the five honest statuses of issue 9); this module only converts values across the
//! language boundary. Every argument is checked *before* any traffic (a bad address, CA
//! file or timeout raises `ValueError` with nothing sent), and the network I/O runs with
//! the GIL released.
//!
//! The result is a plain dict (not a class) so that the Python side owns the public types
//! (`wary.smtp.DeliveryReport` and the smtplib-compatible exceptions) and their docstrings.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::PathBuf;
use std::time::Duration;
use wary_smtp::proto::{
    AuthConfig, Credentials, Domain, Envelope, Mailbox, Message, Reply, ReversePath, SessionError,
    Timeouts, TlsInfo, TlsMode,
};
use wary_smtp::{headers, Client, ClientConfig, DeliveryReport, Error, Trust};

/// The longest timeout accepted, in seconds (a day): longer is a caller's mistake, and the
/// value must convert to a `Duration` without overflow (issue 9, class 6).
const MAX_TIMEOUT_SECS: f64 = 86_400.0;

/// Sends one message; returns a dict `{"report": ..., "error": ..., "tls": ...}`.
///
/// `tls` is `"starttls"`, `"implicit"` or `"none"` (plain text, only when asked for by that
/// name). `sender` `None` takes the first From address of the message; an empty
/// `recipients` takes To, Cc and Bcc from the message as it will be sent, and removes Bcc
/// (wary-smtp's `headers`, which reads the header section exactly as it goes on the wire).
/// `report` is `None` when the message never got a report (the connection failed first);
/// `error` is `None` or `{"kind", "message", "reply"}`.
#[pyfunction]
#[pyo3(signature = (
    message, host, port, *, tls, sender=None, recipients=Vec::new(), ca_file=None,
    server_name=None, user=None, password=None, timeout=None, helo=None
))]
#[allow(clippy::too_many_arguments)]
pub fn smtp_send<'py>(
    py: Python<'py>,
    message: Vec<u8>,
    host: String,
    port: u16,
    tls: &str,
    sender: Option<String>,
    recipients: Vec<String>,
    ca_file: Option<PathBuf>,
    server_name: Option<String>,
    user: Option<String>,
    password: Option<String>,
    timeout: Option<f64>,
    helo: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let value_error = |what: &str, e: &dyn std::fmt::Display| {
        PyValueError::new_err(format!("{what}: {e}; nothing was sent"))
    };
    let mut config = ClientConfig::builder(&host, port);
    config = config.tls(match tls {
        "starttls" => TlsMode::StartTls,
        "implicit" => TlsMode::Implicit,
        "none" => TlsMode::DangerPlainText,
        other => {
            return Err(PyValueError::new_err(format!(
                "tls must be \"starttls\", \"implicit\" or \"none\" (plain text, insecure), got {other:?}"
            )))
        }
    });
    if let Some(ca) = ca_file {
        config = config.trust(Trust::CaFile(ca));
    }
    if let Some(name) = server_name {
        config = config.tls_server_name(name);
    }
    if let Some(secs) = timeout {
        if !(secs.is_finite() && secs > 0.0 && secs <= MAX_TIMEOUT_SECS) {
            return Err(PyValueError::new_err(format!(
                "timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT_SECS}, got {secs}"
            )));
        }
        config = config.timeouts(Timeouts::uniform(Duration::from_secs_f64(secs)));
    }
    if let Some(h) = helo {
        config = config.helo(Domain::parse(&h).map_err(|e| value_error("local_hostname", &e))?);
    }
    match (user, password) {
        (Some(user), Some(password)) => {
            config = config.auth(AuthConfig::new(Credentials::Password { user, password }))
        }
        (None, None) => {}
        _ => {
            return Err(PyValueError::new_err(
                "user and password go together: give both or neither",
            ))
        }
    }
    let mut message = Message::new(&message).map_err(|e| value_error("message", &e))?;
    let mut rcpts = Vec::new();
    if recipients.is_empty() {
        let (found, stripped) =
            headers::take_recipients(&message).map_err(|e| value_error("message", &e))?;
        rcpts = found;
        message = stripped;
    }
    for r in &recipients {
        let m = Mailbox::parse(r).map_err(|e| value_error(&format!("recipient {r:?}"), &e))?;
        if !rcpts.contains(&m) {
            rcpts.push(m);
        }
    }
    if rcpts.is_empty() {
        return Err(PyValueError::new_err(
            "no recipients: the message has no To, Cc or Bcc address and none was given; nothing was sent",
        ));
    }
    let from = match sender.as_deref() {
        Some("") | Some("<>") => ReversePath::Null,
        Some(s) => ReversePath::Mailbox(
            Mailbox::parse(s).map_err(|e| value_error(&format!("sender {s:?}"), &e))?,
        ),
        None => match headers::sender(&message).map_err(|e| value_error("message", &e))? {
            Some(m) => ReversePath::Mailbox(m),
            None => {
                return Err(PyValueError::new_err(
                    "no sender: the message has no From address and from_addr was not given; nothing was sent",
                ))
            }
        },
    };
    let envelope = Envelope::new(from, rcpts);
    let config = config.build();

    // The network part, without the GIL: Rust values only.
    let (report, error, tls_info) = py.detach(move || deliver(&config, &envelope, &message));

    let out = PyDict::new(py);
    out.set_item(
        "report",
        match &report {
            Some(r) => Some(report_dict(py, r)?),
            None => None,
        },
    )?;
    out.set_item(
        "error",
        match &error {
            Some(e) => Some(error_dict(py, e)?),
            None => None,
        },
    )?;
    out.set_item(
        "tls",
        match tls_info.as_ref() {
            Some(t) => Some(tls_dict(py, t)?),
            None => None,
        },
    )?;
    Ok(out)
}

/// Connects, sends, quits. A report that arrived before an error is kept (issue 9 class 2):
/// a delivered message followed by a failed QUIT is still delivered.
fn deliver(
    config: &ClientConfig,
    envelope: &Envelope,
    message: &Message,
) -> (Option<DeliveryReport>, Option<Error>, Option<TlsInfo>) {
    let mut client = match Client::connect(config) {
        Ok(c) => c,
        Err(e) => return (None, Some(e), None),
    };
    let tls = client.tls().cloned();
    let mut report = None;
    let mut error = None;
    let sent = client.send_many_then_quit([(envelope, message)], |_, r| match r {
        Ok(r) => report = Some(r),
        Err(e) => error = Some(Error::Submit(e)),
    });
    if let Err(e) = sent {
        error.get_or_insert(e);
    }
    if let Err(e) = client.quit() {
        error.get_or_insert(e);
    }
    (report, error, tls)
}

fn reply_dict<'py>(py: Python<'py>, reply: &Reply) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("code", reply.code().value())?;
    d.set_item("enhanced", reply.enhanced().map(|e| e.to_string()))?;
    d.set_item("text", reply.text())?;
    d.set_item("lines", reply.lines().to_vec())?;
    Ok(d)
}

fn opt_reply<'py>(py: Python<'py>, reply: Option<&Reply>) -> PyResult<Option<Bound<'py, PyDict>>> {
    reply.map(|r| reply_dict(py, r)).transpose()
}

fn tls_dict<'py>(py: Python<'py>, tls: &TlsInfo) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("version", tls.version.to_string())?;
    d.set_item("cipher", &tls.cipher_suite)?;
    d.set_item("server_name", &tls.server_name)?;
    d.set_item("peer_subject", &tls.peer_subject)?;
    Ok(d)
}

fn report_dict<'py>(py: Python<'py>, r: &DeliveryReport) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("status", r.status().as_str())?;
    d.set_item("mail", opt_reply(py, r.mail.as_ref())?)?;
    d.set_item("data", opt_reply(py, r.data.as_ref())?)?;
    d.set_item("final_reply", opt_reply(py, r.final_reply.as_ref())?)?;
    d.set_item("content_written", r.content_written)?;
    d.set_item("bdat", r.bdat)?;
    d.set_item("round_trips", r.round_trips)?;
    let recipients = PyList::empty(py);
    for (i, rcpt) in r.recipients.iter().enumerate() {
        let e = PyDict::new(py);
        e.set_item("address", rcpt.mailbox.to_string())?;
        // recipient_status is Some for every index of `recipients`.
        e.set_item("status", r.recipient_status(i).map(|s| s.as_str()))?;
        e.set_item("reply", opt_reply(py, r.recipient_reply(i))?)?;
        recipients.append(e)?;
    }
    d.set_item("recipients", recipients)?;
    Ok(d)
}

/// The error's kind (which Python exception), its message, and the server's reply if one
/// decided it.
fn error_dict<'py>(py: Python<'py>, e: &Error) -> PyResult<Bound<'py, PyDict>> {
    let (kind, reply): (&str, Option<&Reply>) = match e {
        Error::Resolve { .. } | Error::Connect { .. } => ("connect", None),
        Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => ("timeout", None),
            _ => ("disconnected", None),
        },
        Error::Tls { .. } | Error::PlainTextNotTls { .. } => ("tls", None),
        Error::TlsConfig(_) => ("config", None),
        Error::Submit(_) => ("submit", None),
        Error::Session(s) => match s {
            SessionError::AuthFailed(r) => ("auth", Some(r)),
            SessionError::Sasl(_) | SessionError::AuthWithoutTls => ("auth", None),
            SessionError::StartTlsRefused { reply, .. } => ("starttls", Some(reply)),
            SessionError::StartTlsWrongReply(r) => ("starttls", Some(r)),
            SessionError::StartTlsNotOffered | SessionError::StartTlsInjection { .. } => {
                ("starttls", None)
            }
            SessionError::Refused { command, reply } if *command == "greeting" => {
                ("connect", Some(reply))
            }
            SessionError::Refused { reply, .. } => ("helo", Some(reply)),
            SessionError::Closed { .. } | SessionError::Aborted => ("disconnected", None),
            SessionError::Timeout { .. } => ("timeout", None),
            SessionError::UnexpectedReply { reply, .. } => ("protocol", Some(reply)),
            _ => ("protocol", None),
        },
        _ => ("error", None),
    };
    let d = PyDict::new(py);
    d.set_item("kind", kind)?;
    d.set_item("message", e.to_string())?;
    d.set_item("reply", opt_reply(py, reply)?)?;
    Ok(d)
}
