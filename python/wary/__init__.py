"""wary: parse untrusted XML with a parser built for it, and send mail with a client whose
TLS cannot silently fail.

Modules:

- :mod:`wary.etree` -- ElementTree-compatible parsing (``parse``, ``fromstring``, ``XML``,
  ``fromstringlist``, ``iterparse``) that returns standard ``xml.etree.ElementTree``
  objects, with wary's limits on by default and external entities never loaded.
- :mod:`wary.defusedxml` -- an import-for-import replacement of defusedxml's
  ``ElementTree``, ``minidom`` and ``sax`` modules.
- :mod:`wary.smtp` -- ``send()`` with one honest status per message (delivered, deferred,
  refused, unconfirmed, not_sent) and an ``smtplib.SMTP``-compatible ``SMTP`` whose
  ``starttls()`` verifies the certificate and host name or raises.

The parsing is done by wary-xml (Rust) on a thread of its own, without the GIL.

Not yet available (they need parts of wary that are still being built, and are not
emulated): ``XMLPullParser`` and ``XMLParser.feed`` (wary-xml's push API, issue 11), the
defusedxml ``XMLParser`` classes built on them.
"""

__all__ = ["etree", "defusedxml", "smtp"]
__version__ = "0.1.0"
