"""defusedxml's exceptions, with its constructor fields and ``str``/``repr`` text.

Code that catches ``defusedxml.DefusedXmlException`` and friends catches these after the
import switch; the texts match defusedxml 0.7 so that logs and tests keep working.
"""

__all__ = [
    "DefusedXmlException",
    "DTDForbidden",
    "EntitiesForbidden",
    "ExternalReferenceForbidden",
    "NotSupportedError",
]


class DefusedXmlException(ValueError):
    """The base of every refusal for a security reason (a ``ValueError``, as in defusedxml)."""

    def __repr__(self):
        return str(self)


class DTDForbidden(DefusedXmlException):
    """The document has a document type declaration and ``forbid_dtd`` is true."""

    def __init__(self, name, sysid, pubid):
        super().__init__()
        self.name = name
        self.sysid = sysid
        self.pubid = pubid

    def __str__(self):
        return "DTDForbidden(name='%s', system_id=%r, public_id=%r)" % (
            self.name,
            self.sysid,
            self.pubid,
        )


class EntitiesForbidden(DefusedXmlException):
    """The document declares (or uses) an entity and ``forbid_entities`` is true."""

    def __init__(self, name, value, base, sysid, pubid, notation_name):
        super().__init__()
        self.name = name
        self.value = value
        self.base = base
        self.sysid = sysid
        self.pubid = pubid
        self.notation_name = notation_name

    def __str__(self):
        return "EntitiesForbidden(name='%s', system_id=%r, public_id=%r)" % (
            self.name,
            self.sysid,
            self.pubid,
        )


class ExternalReferenceForbidden(DefusedXmlException):
    """The document refers to an external entity and ``forbid_external`` is true."""

    def __init__(self, context, base, sysid, pubid):
        super().__init__()
        self.context = context
        self.base = base
        self.sysid = sysid
        self.pubid = pubid

    def __str__(self):
        return "ExternalReferenceForbidden(system_id='%s', public_id=%s)" % (
            self.sysid,
            self.pubid,
        )


class NotSupportedError(DefusedXmlException):
    """The operation is not supported (for example a caller-supplied ``parser``)."""
