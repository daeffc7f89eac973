"""wary.smtp: an SMTP submission client whose TLS can never silently fail.

Two ways in:

- :func:`send` sends one message and returns a :class:`DeliveryReport` with one honest
  status (``delivered``, ``deferred``, ``refused``, ``unconfirmed``, ``not_sent``) and a
  result per recipient.
- :class:`SMTP` (and :class:`SMTP_SSL`) has the commonly used surface of
  :class:`smtplib.SMTP`, so code written for smtplib works after changing its import, or
  fails loudly where smtplib would have leaked.

Everything on the wire is wary-smtp's (Rust), run with the GIL released: the certificate
and the host name are always verified, STARTTLS must be answered by exactly ``220`` with
nothing behind it, credentials never go out before TLS, and nothing is sent in plain text
unless ``tls="none"`` was asked for by that name.

Errors are exceptions that subclass smtplib's where the meaning matches
(:class:`SMTPAuthenticationError`, :class:`SMTPRecipientsRefused`,
:class:`SMTPSenderRefused`, :class:`SMTPDataError`, :class:`SMTPServerDisconnected`, ...),
so existing ``except smtplib.SMTPException`` handlers keep working.
"""

from . import smtp_send as _smtp_send
from .smtp_client import SMTP, SMTP_SSL
from .smtp_send import *  # noqa: F401,F403  (the names of smtp_send.__all__, listed once there)

__all__ = [*_smtp_send.__all__, "SMTP", "SMTP_SSL"]
