"""wary.smtp.SMTP and SMTP_SSL: smtplib's commonly used surface over wary.smtp.send.

Differences from :class:`smtplib.SMTP`, all toward "never weaker, never silently plain":

- The connection is opened lazily: ``SMTP(host, port)``, ``ehlo()``, ``starttls()`` and
  ``login()`` validate and record intent; each ``sendmail``/``send_message`` runs one whole
  wary-smtp session (connect, EHLO, STARTTLS, EHLO, AUTH, the message, QUIT) with the GIL
  released. So a refused STARTTLS or login raises at the first ``sendmail``, not at
  ``starttls()``/``login()``, and nothing is sent before it.
- TLS is STARTTLS by default, even when ``starttls()`` is never called: code that would
  have sent in plain text sends over verified TLS, or fails loudly. Plain text only with
  ``tls="none"``, by that name.
- ``starttls()`` always verifies the certificate and the host name. A ``context`` that
  does not verify (``CERT_NONE`` or ``check_hostname=False``) is refused with ValueError;
  its CA list cannot be read back from an ``ssl.SSLContext``, so pass ``ca_file=``.
- ``login()`` before TLS is refused by the session itself: credentials never go out in
  plain text.
"""

import re
import smtplib
import ssl

from . import smtp_send as _smtp

__all__ = ["SMTP", "SMTP_SSL"]


class SMTP:
    """An SMTP client with smtplib.SMTP's common methods; see the module docstring for how
    it differs. ``tls`` is ``"starttls"`` (default), ``"implicit"`` or ``"none"``;
    ``ca_file`` is a PEM file of trusted CAs (default: the system's)."""

    default_port = 587
    _default_tls = "starttls"

    def __init__(self, host="", port=0, local_hostname=None, timeout=None,
                 source_address=None, *, tls=None, ca_file=None, server_name=None):
        if source_address is not None:
            raise ValueError("source_address is not supported by wary.smtp")
        self._tls = tls or self._default_tls
        if self._tls not in ("starttls", "implicit", "none"):
            raise ValueError('tls must be "starttls", "implicit" or "none", got %r' % (tls,))
        self._host = None
        self._port = None
        self._local_hostname = local_hostname
        self.timeout = timeout
        self._ca_file = ca_file
        self._server_name = server_name
        self._user = None
        self._password = None
        self._closed = False
        self.last_report = None
        if host:
            self.connect(host, port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()

    def connect(self, host="localhost", port=0, source_address=None):
        """Record the server (the connection opens at the first send); returns
        smtplib's ``(220, b"...")`` shape."""
        if source_address is not None:
            raise ValueError("source_address is not supported by wary.smtp")
        if not port and ":" in host and host.count(":") == 1:
            host, p = host.split(":")
            port = int(p)
        self._host, self._port = host, int(port or self.default_port)
        self._closed = False
        return (220, b"wary.smtp: the connection opens at the first send")

    def ehlo(self, name=""):
        """Record the EHLO name; wary-smtp sends EHLO itself (again after TLS, RFC 3207
        §4.2). Returns ``(250, b"...")``."""
        if name:
            self._local_hostname = name
        return (250, b"wary.smtp: EHLO is sent by the session")

    helo = ehlo

    def ehlo_or_helo_if_needed(self):
        """Nothing to do: the session sends EHLO."""

    def starttls(self, keyfile=None, certfile=None, context=None):
        """Require STARTTLS with a verified certificate and host name (the default already).

        Raises ValueError for a ``context`` that does not verify, and for client
        certificates (not supported). Anything but a 220 followed by verified TLS raises
        :class:`wary.smtp.StartTLSError` or :class:`wary.smtp.TLSError` at the first send.
        """
        if keyfile is not None or certfile is not None:
            raise ValueError("client certificates (keyfile/certfile) are not supported")
        if context is not None and (context.verify_mode != ssl.CERT_REQUIRED
                                    or not context.check_hostname):
            raise ValueError("this SSLContext does not verify the certificate and host name; "
                             "wary.smtp always verifies (give ca_file= for a private CA)")
        if self._tls == "none":
            raise ValueError('starttls() on an SMTP(tls="none"): pick one')
        if self._tls == "implicit":
            raise smtplib.SMTPNotSupportedError("already TLS from the first byte (SMTP_SSL)")
        return (220, b"wary.smtp: STARTTLS is done by the session, verified")

    def login(self, user, password, *, initial_response_ok=True):
        """Record the credentials; they are sent only after verified TLS, at the first
        send (SCRAM-SHA-256, PLAIN or LOGIN). A refusal raises
        :class:`wary.smtp.SMTPAuthenticationError` then."""
        if self._tls == "none":
            raise smtplib.SMTPNotSupportedError(
                "login over plain text (tls=\"none\") is refused: credentials never go "
                "out unencrypted")
        self._user, self._password = user, password
        return (235, b"wary.smtp: AUTH is done by the session after TLS")

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        """Send ``msg`` (bytes or str) from ``from_addr`` to ``to_addrs``, as smtplib.

        Returns the dict of refused recipients (empty when all were accepted). Raises
        :class:`SMTPSenderRefused`, :class:`SMTPRecipientsRefused`, :class:`SMTPDataError`,
        :class:`UnconfirmedError` (sent in full, never confirmed: do not resend blindly), or
        the connection's error. The :class:`DeliveryReport` is ``self.last_report``.
        """
        if mail_options or rcpt_options:
            raise ValueError("mail_options/rcpt_options are not supported by wary.smtp")
        if isinstance(msg, str):
            # As smtplib: a str message must be ASCII, with line ends made CRLF.
            msg = re.sub(r"(?:\r\n|\n|\r(?!\n))", "\r\n", msg).encode("ascii")
        if isinstance(to_addrs, str):
            to_addrs = [to_addrs]
        return self._send(msg, from_addr, list(to_addrs))

    def send_message(self, msg, from_addr=None, to_addrs=None, mail_options=(),
                     rcpt_options=()):
        """Send an :class:`email.message.Message`, as smtplib: the sender defaults to
        From (Sender, for a resent message is not special-cased), the recipients to To, Cc
        and Bcc, and Bcc is never sent."""
        if mail_options or rcpt_options:
            raise ValueError("mail_options/rcpt_options are not supported by wary.smtp")
        if isinstance(to_addrs, str):
            to_addrs = [to_addrs]
        return self._send(msg, from_addr, list(to_addrs or []))

    def _send(self, msg, from_addr, to_addrs):
        if self._closed or self._host is None:
            raise _smtp.SMTPServerDisconnected("please run connect() first")
        report = _smtp.send(
            msg, (self._host, self._port), tls=self._tls, ca_file=self._ca_file,
            user=self._user, password=self._password, timeout=self.timeout,
            from_addr=from_addr, to_addrs=to_addrs, server_name=self._server_name,
            local_hostname=self._local_hostname,
        )
        self.last_report = report
        report.raise_for_status()
        return report.refused_recipients()

    def noop(self):
        """Returns ``(250, b"")``: there is no open connection between sends."""
        return (250, b"")

    def rset(self):
        """Nothing to reset between sends."""
        return (250, b"")

    def quit(self):
        """End the client; each send already ended its session with QUIT."""
        self._closed = True
        return (221, b"")

    def close(self):
        """Same as :meth:`quit`."""
        self._closed = True


class SMTP_SSL(SMTP):
    """:class:`SMTP` with TLS from the first byte (port 465). ``context`` must verify (see
    :meth:`SMTP.starttls`)."""

    default_port = 465
    _default_tls = "implicit"

    def __init__(self, host="", port=0, local_hostname=None, keyfile=None, certfile=None,
                 timeout=None, source_address=None, context=None, *, ca_file=None,
                 server_name=None):
        if keyfile is not None or certfile is not None:
            raise ValueError("client certificates (keyfile/certfile) are not supported")
        if context is not None and (context.verify_mode != ssl.CERT_REQUIRED
                                    or not context.check_hostname):
            raise ValueError("this SSLContext does not verify the certificate and host name; "
                             "wary.smtp always verifies (give ca_file= for a private CA)")
        super().__init__(host, port, local_hostname, timeout, source_address,
                         tls="implicit", ca_file=ca_file, server_name=server_name)
