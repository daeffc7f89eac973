"""The bridge between the native module and the Python modules: sources, batches, errors.

Private. The native module (``wary._wary``, crates/wary-py) parses on a thread of its own and
hands over batches of event tuples; this module opens sources the way ElementTree does and
turns a failure into the right exception. Event tuples (built in crates/wary-py/src/stream.rs):

- ``(0, tag, attrib, decls)``: a start tag, ``tag`` in ``{uri}local`` form, ``attrib`` a
  dict, ``decls`` ``None`` or a list of ``(prefix, uri)`` namespace declarations
- ``(1,)``: an end tag
- ``(2, text)``: character data; ``(3, text)``: a comment; ``(4, target, data)``: a PI
- ``(5, name, public_id, system_id)``: the document type declaration
- ``(6, qname, uri, local, attrs)``: a start tag with names as written (``raw_names``),
  ``attrs`` a list of ``(qname, value, uri, local)``, namespace declarations included
"""

import os
import re
import xml.etree.ElementTree as _ET
from xml.parsers.expat import errors as _errors

from . import _wary
from .defusedxml.common import (
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)

START, END, DATA, COMMENT, PI, DOCTYPE, START_RAW = range(7)

#: The limits every parse takes as keyword arguments, with their defaults: the fields of
#: ``wary_xml::Limits`` and the library's constants, as the native module reports them.
DEFAULT_LIMITS = dict(_wary.DEFAULT_LIMITS)

#: The limits' names (``LimitError.limit`` is one of them, or ``"external_entities"``).
LIMITS = tuple(DEFAULT_LIMITS)

ParseError = _ET.ParseError


class LimitError(ParseError):
    """Parsing was stopped by one of wary's limits (a ``ParseError``).

    ``limit`` names it (``"max_depth"``, ``"max_amplification"``, ...,
    ``"external_entities"``); pass a larger value as the keyword argument of that name to
    accept the document, if it is trusted.
    """

    limit = None


def _code(name):
    # ElementTree's ParseError.code is an expat error number; give the nearest one.
    msg = getattr(_errors, name, None) or _errors.XML_ERROR_SYNTAX
    return _errors.codes[msg]


_CODES = {
    "Syntax": "XML_ERROR_SYNTAX",
    "InvalidChar": "XML_ERROR_INVALID_TOKEN",
    "Encoding": "XML_ERROR_INCORRECT_ENCODING",
    "TagMismatch": "XML_ERROR_TAG_MISMATCH",
    "DuplicateAttribute": "XML_ERROR_DUPLICATE_ATTRIBUTE",
    "BadEntityReference": "XML_ERROR_UNDEFINED_ENTITY",
    "RecursiveEntity": "XML_ERROR_RECURSIVE_ENTITY_REF",
    "EntityStructure": "XML_ERROR_ASYNC_ENTITY",
    "Namespace": "XML_ERROR_UNBOUND_PREFIX",
    "Limit": "XML_ERROR_AMPLIFICATION_LIMIT_BREACH",
    "ExternalEntityRefused": "XML_ERROR_EXTERNAL_ENTITY_HANDLING",
}


def error(failure):
    """The exception for a failure tuple from the native module."""
    kind, message, rule, line, column, limit, forbidden, source_exc = failure
    if source_exc is not None:
        # A file object's read() raised: raise that, as ElementTree would.
        return source_exc
    if forbidden is not None:
        what = forbidden[0]
        if what == "dtd":
            return DTDForbidden(forbidden[1], forbidden[2], forbidden[3])
        if what == "entity":
            # defusedxml's base is the parser's xml base (expat's SetBase), never set here.
            name, value, sysid, pubid, notation = forbidden[1:]
            return EntitiesForbidden(name, value, None, sysid, pubid, notation)
        context, sysid, pubid = forbidden[1:]
        return ExternalReferenceForbidden(context, None, sysid, pubid)
    if kind == "Io":
        return OSError(message)
    # ElementTree's columns count from 0 (expat's); wary's from 1.
    col = max(column - 1, 0)
    text = "%s: line %d, column %d" % (message, line, col)
    if rule:
        text += " (%s)" % rule
    err = (LimitError if limit else ParseError)(text)
    err.code = _code(_CODES.get(kind, "XML_ERROR_SYNTAX"))
    err.position = (line, col)
    err.rule = rule
    err.kind = kind
    if limit:
        err.limit = limit
    return err


def check_options(options):
    """Refuses keyword arguments that are not wary's (a typo must not pass silently)."""
    known = set(LIMITS) | {"external_entities", "entity_root"}
    for k in options:
        if k not in known:
            raise TypeError(
                "unexpected keyword argument %r (wary's are: %s)" % (k, ", ".join(sorted(known)))
            )


def open_source(source, **options):
    """Starts parsing ``source``: a file name (str or path-like), or a binary file object.

    Returns ``(stream, close)``; ``close()`` closes what was opened here. A file name is
    checked by opening it here, so a missing file raises ``FileNotFoundError`` as in
    ElementTree, and is then read by the native module without the GIL.
    """
    if isinstance(source, (str, bytes, os.PathLike)) and not hasattr(source, "read"):
        path = os.fsdecode(source)
        with open(path, "rb"):
            pass
        return _wary.open(path, "path", **options), lambda: None
    if hasattr(source, "read"):
        return open_file(source, **options), lambda: None
    raise TypeError("source must be a file name or a binary file object, not %s" % type(source).__name__)


_DECL_ENCODING = re.compile(r"""\A\ufeff?<\?xml\s[^>]*?encoding\s*=\s*["']([^"']*)["']""")


def encode_str(text):
    """A ``str`` document as UTF-8 bytes for wary-xml, which reads the encoding declaration.

    ElementTree ignores the declaration of a ``str``; wary-xml would decode the UTF-8 bytes
    in the declared encoding and silently garble every non-ASCII character. So a ``str``
    that declares another encoding and is not pure ASCII (where the two agree) is refused
    with the reason and the fix.
    """
    data = text.encode("utf-8")
    if len(data) != len(text):
        m = _DECL_ENCODING.match(text[:1024])
        if m and m.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise ValueError(
                "this str document declares encoding=%r, but a str has no encoding: pass the "
                "document as bytes in that encoding, or remove the declaration" % m.group(1)
            )
    return data


def open_file(file, **options):
    """Starts parsing a binary file object (read in chunks from wary's parsing thread)."""
    return _wary.open(file, "file", **options)


def open_bytes(data, **options):
    """Starts parsing a document in memory (``bytes``, or ``str``, encoded as UTF-8)."""
    if isinstance(data, str):
        data = encode_str(data)
    elif not isinstance(data, bytes):
        data = bytes(data)
    return _wary.open(data, "bytes", **options)


def batches(stream):
    """Yields lists of event tuples; raises the parse's exception after its last events."""
    try:
        while True:
            events, failure, done = stream.next_batch()
            if events:
                yield events
            if failure is not None:
                raise error(failure)
            if done:
                return
    finally:
        stream.close()
