"""wary.smtp_send: :func:`send`, the :class:`DeliveryReport` and the exceptions of
:mod:`wary.smtp` (import them from there; see its docstring)."""

import copy
import smtplib
import ssl
from email.message import Message as _EmailMessage
from email.policy import SMTP as _SMTP_POLICY

from . import _wary

__all__ = [
    "send",
    "DeliveryReport",
    "RecipientResult",
    "Reply",
    "SMTPException",
    "SMTPAuthenticationError",
    "SMTPConnectError",
    "SMTPDataError",
    "SMTPHeloError",
    "SMTPNotSupportedError",
    "SMTPRecipientsRefused",
    "SMTPResponseException",
    "SMTPSenderRefused",
    "SMTPServerDisconnected",
    "SMTPTimeoutError",
    "StartTLSError",
    "TLSError",
    "ProtocolError",
    "UnconfirmedError",
    "STATUSES",
]

#: The five statuses of a message, as in ``wary send --json`` (issue 9).
STATUSES = ("delivered", "deferred", "refused", "unconfirmed", "not_sent")

_PORTS = {"starttls": 587, "implicit": 465, "none": 25}


class Reply:
    """One SMTP reply: ``code`` (int), ``enhanced`` (RFC 3463 ``"5.1.1"`` or None),
    ``text`` (the lines joined, without the enhanced code) and ``lines``."""

    __slots__ = ("code", "enhanced", "text", "lines")

    def __init__(self, code, enhanced, text, lines):
        self.code = code
        self.enhanced = enhanced
        self.text = text
        self.lines = list(lines)

    @classmethod
    def _from(cls, d):
        return None if d is None else cls(d["code"], d["enhanced"], d["text"], d["lines"])

    def to_dict(self):
        """``{"code", "enhanced", "text"}``, the reply object of ``wary send --json``."""
        return {"code": self.code, "enhanced": self.enhanced, "text": self.text}

    def __repr__(self):
        return "Reply(%d, %r, %r)" % (self.code, self.enhanced, self.text)

    def __str__(self):
        parts = [str(self.code)] + ([self.enhanced] if self.enhanced else []) + [self.text]
        return " ".join(p for p in parts if p)


class RecipientResult:
    """What became of one recipient: ``address``, ``status`` (``accepted``, ``deferred``
    or ``refused``) and ``reply`` (the :class:`Reply` that decided it, or None). After a
    refused MAIL FROM, every recipient carries MAIL's reply: it was never considered."""

    __slots__ = ("address", "status", "reply")

    def __init__(self, address, status, reply):
        self.address = address
        self.status = status
        self.reply = reply

    def __repr__(self):
        return "RecipientResult(%r, %r, %r)" % (self.address, self.status, self.reply)


class DeliveryReport:
    """The result of one message. Check :attr:`status`: a call that returns without an
    exception does not mean the message was delivered.

    - ``status``: one of :data:`STATUSES`. ``delivered`` only when MAIL and at least one
      RCPT were accepted, the whole content was written and the final reply was 2xx;
      ``unconfirmed`` means the content was written but no final reply came (it may have
      been delivered: do not retry blindly);
    - ``recipients``: a :class:`RecipientResult` per envelope recipient, in order;
    - ``mail``, ``data``, ``final_reply``: the replies (:class:`Reply` or None);
    - ``tls``: ``{"version", "cipher", "server_name", "peer_subject"}`` or None in plain text;
    - ``error``: the exception that ended the connection, if one did (the report still
      says what happened to the message before it).
    """

    def __init__(self, status, recipients, mail=None, data=None, final_reply=None,
                 tls=None, error=None, bdat=False, round_trips=0):
        self.status = status
        self.recipients = recipients
        self.mail = mail
        self.data = data
        self.final_reply = final_reply
        self.tls = tls
        self.error = error
        self.bdat = bdat
        self.round_trips = round_trips

    @property
    def delivered(self):
        """True when :attr:`status` is ``delivered``."""
        return self.status == "delivered"

    def refused_recipients(self):
        """smtplib's dict of recipients not accepted: ``{address: (code, text bytes)}``."""
        out = {}
        for r in self.recipients:
            if r.status != "accepted":
                code, text = (r.reply.code, r.reply.text) if r.reply else (-1, "no reply")
                out[r.address] = (code, text.encode("utf-8", "replace"))
        return out

    def raise_for_status(self):
        """Raise the smtplib-style exception that explains a status other than
        ``delivered`` (as :meth:`SMTP.sendmail` does); return None when delivered."""
        if self.status == "delivered":
            return None
        if self.error is not None and self.status in ("not_sent",):
            raise self.error
        if self.status == "unconfirmed":
            raise UnconfirmedError(self)
        if self.error is not None and (
                self.mail is None or all(r.reply is None for r in self.recipients)):
            # The connection failed before the server said anything decisive: its error
            # (a timeout, a close) is the explanation, not a made-up refusal.
            raise self.error
        if self.mail is not None and self.mail.code >= 400:
            raise SMTPSenderRefused(self.mail.code, self.mail.text.encode(), self._sender,
                                    report=self)
        if self.recipients and all(r.status != "accepted" for r in self.recipients):
            raise SMTPRecipientsRefused(self.refused_recipients(), report=self)
        for reply in (self.data, self.final_reply):
            if reply is not None and reply.code >= 400:
                raise SMTPDataError(reply.code, reply.text.encode(), report=self)
        if self.error is not None:
            raise self.error
        raise SMTPDataError(-1, ("message %s" % self.status).encode(), report=self)

    _sender = None

    def to_dict(self):
        """The message object of ``wary send --json``."""
        rd = lambda r: None if r is None else r.to_dict()  # noqa: E731
        return {
            "status": self.status,
            "recipients": [
                {"address": r.address, "status": r.status, "reply": rd(r.reply)}
                for r in self.recipients
            ],
            "final_reply": rd(self.final_reply),
            "tls": self.tls,
        }

    def __repr__(self):
        return "DeliveryReport(status=%r, recipients=%r)" % (self.status, self.recipients)


# --- Exceptions ---------------------------------------------------------------------------


class SMTPException(smtplib.SMTPException):
    """Base of wary.smtp's errors (a :class:`smtplib.SMTPException`). ``report`` is the
    :class:`DeliveryReport` of the message concerned, when there is one."""

    report = None


class SMTPResponseException(smtplib.SMTPResponseException, SMTPException):
    """A server reply decided the failure: ``smtp_code`` and ``smtp_error`` as smtplib's."""

    def __init__(self, code, msg, report=None):
        super().__init__(code, msg)
        self.report = report


class SMTPSenderRefused(smtplib.SMTPSenderRefused, SMTPException):
    """MAIL FROM was refused; ``sender`` is the address, as in smtplib."""

    def __init__(self, code, msg, sender, report=None):
        super().__init__(code, msg, sender)
        self.report = report


class SMTPRecipientsRefused(smtplib.SMTPRecipientsRefused, SMTPException):
    """No recipient was accepted; ``recipients`` maps each to ``(code, text)``."""

    def __init__(self, recipients, report=None):
        super().__init__(recipients)
        self.report = report


class SMTPDataError(smtplib.SMTPDataError, SMTPException):
    """DATA or the end of the content was refused (4xx or 5xx)."""

    def __init__(self, code, msg, report=None):
        super().__init__(code, msg)
        self.report = report


class SMTPAuthenticationError(smtplib.SMTPAuthenticationError, SMTPException):
    """The server refused the login (535, 534, ...), or the SASL exchange failed."""

    def __init__(self, code, msg, report=None):
        super().__init__(code, msg)
        self.report = report


class SMTPHeloError(smtplib.SMTPHeloError, SMTPException):
    """The server refused EHLO and HELO."""

    def __init__(self, code, msg, report=None):
        super().__init__(code, msg)
        self.report = report


class SMTPConnectError(smtplib.SMTPConnectError, SMTPException):
    """No connection: the name did not resolve, the connection was refused, or the
    greeting was a refusal (``smtp_code`` -1 when no reply decided it)."""

    def __init__(self, code, msg, report=None):
        super().__init__(code, msg)
        self.report = report


class SMTPServerDisconnected(smtplib.SMTPServerDisconnected, SMTPException):
    """The connection closed or broke while a reply was due."""

    def __init__(self, msg, report=None):
        super().__init__(msg)
        self.report = report


class SMTPTimeoutError(SMTPServerDisconnected, TimeoutError):
    """No reply in time (also a :class:`TimeoutError`, as smtplib's socket timeout)."""


class SMTPNotSupportedError(smtplib.SMTPNotSupportedError, SMTPException):
    """The server lacks an extension the call needs."""

    def __init__(self, msg, report=None):
        super().__init__(msg)
        self.report = report


class StartTLSError(SMTPNotSupportedError):
    """STARTTLS was not offered, refused, answered by anything but exactly 220, or followed
    by injected bytes: the session ended before anything but EHLO and STARTTLS was sent.
    (smtplib raises SMTPNotSupportedError or SMTPResponseException here; this is both a
    :class:`SMTPNotSupportedError` and carries ``smtp_code`` when a reply decided it.)"""

    def __init__(self, msg, code=-1, report=None):
        super().__init__(msg, report)
        self.smtp_code = code


class TLSError(SMTPException, ssl.SSLError):
    """The TLS handshake failed: an untrusted, expired or wrong-name certificate, plain text
    where TLS was due, a forged record. Also an :class:`ssl.SSLError`, which is what
    smtplib raises with a verifying context."""


class ProtocolError(SMTPException):
    """The server broke the protocol (a malformed or unexpected reply, unsolicited data)."""


class UnconfirmedError(SMTPException):
    """The whole message was written but no final reply came: it may have been
    delivered, so do not send it again blindly. ``report.status`` is ``unconfirmed``."""

    def __init__(self, report):
        super().__init__(
            "the message was sent in full but the server never confirmed it: it may have "
            "been delivered; check before sending it again"
        )
        self.report = report


def _exception(err):
    """The exception for an error dict from the native module."""
    kind, msg = err["kind"], err["message"]
    reply = Reply._from(err["reply"])
    code = reply.code if reply else -1
    text = (reply.text if reply else msg).encode("utf-8", "replace")
    if kind == "auth":
        return SMTPAuthenticationError(code, msg.encode("utf-8", "replace"))
    if kind == "starttls":
        return StartTLSError(msg, code)
    if kind == "tls":
        return TLSError(msg)
    if kind == "connect":
        return SMTPConnectError(code, msg.encode("utf-8", "replace"))
    if kind == "helo":
        return SMTPHeloError(code, text)
    if kind == "timeout":
        return SMTPTimeoutError(msg)
    if kind == "disconnected":
        return SMTPServerDisconnected(msg)
    if kind == "config":
        return ValueError(msg)
    return ProtocolError(msg)


def _as_bytes(message, strip_bcc=False):
    if isinstance(message, (bytes, bytearray, memoryview)):
        return bytes(message)
    if isinstance(message, _EmailMessage):
        if strip_bcc and (message["Bcc"] is not None or message["Resent-Bcc"] is not None):
            # As smtplib.send_message: Bcc never goes on the wire, whoever picked the
            # recipients. (Without to_addrs, wary-smtp's headers module reads and removes
            # Bcc from the bytes as sent.) A copy: the caller's message is not changed.
            message = copy.copy(message)
            del message["Bcc"]
            del message["Resent-Bcc"]
        # CRLF line ends and the SMTP policy's header folding, as smtplib.send_message.
        policy = message.policy.clone(linesep="\r\n") if hasattr(message, "policy") \
            else _SMTP_POLICY
        return message.as_bytes(policy=policy)
    raise TypeError("message must be an email.message.EmailMessage or bytes, got %s"
                    % type(message).__name__)


def _split_server(server, tls):
    if isinstance(server, tuple):
        return server[0], int(server[1])
    host, port = server, _PORTS[tls] if tls in _PORTS else 587
    if server.startswith("["):
        host, _, rest = server[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif server.count(":") == 1:
        host, p = server.split(":")
        port = int(p)
    return host, port


def send(message, server, tls="starttls", ca_file=None, user=None, password=None,
         timeout=None, *, from_addr=None, to_addrs=None, server_name=None,
         local_hostname=None):
    """Send one message and return its :class:`DeliveryReport`.

    ``message`` is an :class:`email.message.EmailMessage` or bytes. ``server`` is
    ``"host"``, ``"host:port"``, ``"[v6]:port"`` or a ``(host, port)`` tuple; the port
    defaults to 587 (starttls), 465 (implicit) or 25 (none). ``tls`` is ``"starttls"``
    (the default: the server must offer STARTTLS and answer it with exactly 220),
    ``"implicit"`` (TLS from the first byte), or ``"none"`` (plain text: insecure, only by
    that name). The certificate chain is checked against ``ca_file`` (PEM; default: the
    system's roots) and the host name (or ``server_name``) is always verified.

    ``user`` and ``password`` log in (SCRAM-SHA-256, PLAIN or LOGIN), only after TLS.
    ``timeout`` (seconds) bounds every phase, the TLS handshake included. ``from_addr``
    defaults to the message's From address; ``to_addrs`` (a list) defaults to its To, Cc
    and Bcc addresses, and Bcc is removed from what is sent (from an EmailMessage it is
    removed whatever ``to_addrs`` is, as in smtplib's ``send_message``).

    Returns the report even when the message was refused: check ``report.status`` or call
    ``report.raise_for_status()``. Raises a :class:`SMTPException` subclass when the
    connection failed before the message got a report (``exc.report.status`` is then
    ``not_sent``), :class:`ValueError` for bad arguments (nothing is sent), and
    :class:`TypeError` for a message of another type.
    """
    if isinstance(to_addrs, str):
        to_addrs = [to_addrs]
    data = _as_bytes(message, strip_bcc=bool(to_addrs))
    host, port = _split_server(server, tls)
    result = _wary.smtp_send(
        data, host, port, tls=tls, sender=from_addr, recipients=list(to_addrs or []),
        ca_file=None if ca_file is None else str(ca_file), server_name=server_name,
        user=user, password=password, timeout=timeout, helo=local_hostname,
    )
    return _report(result, from_addr)


def _report(result, sender):
    error = _exception(result["error"]) if result["error"] else None
    r = result["report"]
    if r is None:
        report = DeliveryReport("not_sent", [], tls=result["tls"], error=error)
        if error is not None:
            error.report = report
            raise error
        return report
    report = DeliveryReport(
        r["status"],
        [RecipientResult(x["address"], x["status"], Reply._from(x["reply"]))
         for x in r["recipients"]],
        mail=Reply._from(r["mail"]),
        data=Reply._from(r["data"]),
        final_reply=Reply._from(r["final_reply"]),
        tls=result["tls"],
        error=error,
        bdat=r["bdat"],
        round_trips=r["round_trips"],
    )
    report._sender = sender
    if error is not None:
        error.report = report
    return report

