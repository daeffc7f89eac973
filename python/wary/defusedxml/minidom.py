"""defusedxml.minidom on wary's parser: ``parse`` and ``parseString`` return standard
``xml.dom.minidom`` Documents, built from wary's events."""

import xml.dom.minidom as _minidom

from .. import _core
from ..defusedxml import _no_parser, _options

__all__ = ["parse", "parseString"]


def _build(stream):
    impl = _minidom.getDOMImplementation()
    doc = impl.createDocument(None, None, None)
    stack = [doc]
    for events in _core.batches(stream):
        for ev in events:
            k = ev[0]
            parent = stack[-1]
            if k == _core.START_RAW:
                _, qname, uri, _local, attrs = ev
                el = doc.createElementNS(uri, qname)
                for aq, value, auri, _alocal in attrs:
                    el.setAttributeNS(auri, aq, value)
                parent.appendChild(el)
                stack.append(el)
            elif k == _core.END:
                stack.pop()
            elif k == _core.DATA:
                last = parent.lastChild
                # One Text node per run of text, as minidom's own builder makes.
                if last is not None and last.nodeType == last.TEXT_NODE:
                    last.appendData(ev[1])
                else:
                    parent.appendChild(doc.createTextNode(ev[1]))
            elif k == _core.COMMENT:
                parent.appendChild(doc.createComment(ev[1]))
            elif k == _core.PI:
                parent.appendChild(doc.createProcessingInstruction(ev[1], ev[2]))
            elif k == _core.DOCTYPE:
                dt = impl.createDocumentType(ev[1], ev[2], ev[3])
                doc.appendChild(dt)
    return doc


def parse(file, parser=None, bufsize=None, forbid_dtd=False, forbid_entities=True, forbid_external=True):
    """Parses a file (name or binary file object) into an ``xml.dom.minidom.Document``.

    ``bufsize`` is accepted for compatibility and ignored (wary reads in its own chunks).
    """
    _no_parser(parser)
    opts = _options(forbid_dtd, forbid_entities, forbid_external)
    stream, close = _core.open_source(file, raw_names=True, **opts)
    try:
        return _build(stream)
    finally:
        close()


def parseString(string, parser=None, forbid_dtd=False, forbid_entities=True, forbid_external=True):
    """Parses a document in memory (``bytes`` or ``str``) into an ``xml.dom.minidom.Document``."""
    _no_parser(parser)
    opts = _options(forbid_dtd, forbid_entities, forbid_external)
    return _build(_core.open_bytes(string, raw_names=True, **opts))
