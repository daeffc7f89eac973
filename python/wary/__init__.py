"""wary: parse untrusted XML with a parser built for it, and send mail with a client whose
TLS cannot silently fail.

Modules:

- :mod:`wary.etree` -- ElementTree-compatible parsing (``parse``, ``fromstring``, ``XML``,
  ``fromstringlist``, ``iterparse``, ``XMLPullParser``, ``XMLParser(target=...)``) that
  returns standard ``xml.etree.ElementTree`` objects, with wary's limits on by default and
  external entities never loaded.
- :mod:`wary.defusedxml` -- an import-for-import replacement of defusedxml's
  ``ElementTree``, ``minidom`` and ``sax`` modules.
- :mod:`wary.smtp` -- ``send()`` with one honest status per message (delivered, deferred,
  refused, unconfirmed, not_sent) and an ``smtplib.SMTP``-compatible ``SMTP`` whose
  ``starttls()`` verifies the certificate and host name or raises.

The parsing is done by wary-xml (Rust) without the GIL: on a thread of its own for whole
sources, in ``feed()`` (wary-xml's sans-IO push parser) for ``XMLPullParser`` and
``XMLParser``.
"""

__all__ = ["etree", "defusedxml", "smtp"]
__version__ = "0.1.0"
