"""ElementTree-compatible parsing of untrusted XML, returning standard ElementTree objects.

Change ``import xml.etree.ElementTree as ET`` to ``import wary.etree as ET`` for parsing;
everything else of ElementTree (``find``, ``iter``, ``tostring``, ``ElementTree``, ...) works
on the result unchanged, because the result *is* ``xml.etree.ElementTree.Element`` objects,
and this module re-exports the rest of ElementTree's names.

What differs from ElementTree, on purpose:

- wary's limits are on by default (their names and default values are in
  ``wary.etree.DEFAULT_LIMITS``; see docs/security.md); pass any of them as a keyword
  argument. A parse a limit stopped raises :class:`LimitError`, a subclass of ``ParseError``
  whose ``limit`` names it.
- External entities are never loaded, unless ``external_entities="local"`` is passed by
  name (then only files inside ``entity_root``, default the document's folder; never URLs).
  A reference to one that was not loaded is left out of the text (XML 1.0 §4.4.3 lets a
  non-validating parser skip it; ElementTree raises "undefined entity" instead).
- The parser is wary-xml: stricter than expat where XML 1.0 says a document is not
  well-formed (it passes the whole W3C conformance profile).
- ``ParseError`` is ElementTree's own; ``position`` is ``(line, column)`` with columns
  counted from 0 as in ElementTree, and ``code`` is the nearest expat error number.
- A ``str`` document is parsed as UTF-8; a non-ASCII ``str`` whose XML declaration names
  another encoding is refused with a ``ValueError`` (ElementTree ignores the declaration;
  wary would otherwise decode the text in the declared encoding and garble it).

Not yet available, because they need wary-xml's push API (issue 11), and not emulated:
``XMLPullParser``, ``XMLParser`` and its ``feed``. ``parser=`` arguments are refused.
"""

import xml.etree.ElementTree as _ET
from xml.etree.ElementTree import (  # noqa: F401  (re-exported: the rest of ElementTree)
    Comment,
    Element,
    ElementTree,
    PI,
    ProcessingInstruction,
    QName,
    SubElement,
    TreeBuilder,
    dump,
    iselement,
    register_namespace,
    tostring,
    tostringlist,
)

from . import _core
from ._core import COMMENT, DATA, END, PI as _PI, START, DEFAULT_LIMITS, LimitError, ParseError

__all__ = [
    "DEFAULT_LIMITS",
    "Comment",
    "Element",
    "ElementTree",
    "LimitError",
    "PI",
    "ParseError",
    "ProcessingInstruction",
    "QName",
    "SubElement",
    "TreeBuilder",
    "XML",
    "dump",
    "fromstring",
    "fromstringlist",
    "iselement",
    "iterparse",
    "parse",
    "register_namespace",
    "tostring",
    "tostringlist",
]

_EVENTS = ("start", "end", "start-ns", "end-ns", "comment", "pi")


def _no_parser(parser):
    if parser is not None:
        raise TypeError(
            "wary.etree does not take a parser= argument yet: XMLParser needs wary-xml's "
            "push API (issue 11)"
        )


def _tree(stream):
    """Builds the tree of a stream's events with the stdlib's (C) TreeBuilder."""
    tb = _ET.TreeBuilder()
    start, end, data = tb.start, tb.end, tb.data
    tags = []
    push, pop = tags.append, tags.pop
    for events in _core.batches(stream):
        for ev in events:
            k = ev[0]
            if k == START:
                push(ev[1])
                start(ev[1], ev[2])
            elif k == END:
                end(pop())
            elif k == DATA:
                data(ev[1])
    return tb.close()


def fromstring(text, parser=None, **limits):
    """Parses a document in memory (``bytes`` or ``str``) and returns its root ``Element``.

    Keyword arguments: wary's limits by name (``max_depth``, ``max_entity_depth``,
    ``amplification_threshold``, ``max_amplification``, ``max_attributes``,
    ``max_name_len``, ``max_token_len``, ``max_retained_bytes``; see ``DEFAULT_LIMITS``),
    ``external_entities`` (``"off"`` or ``"local"``)
    and ``entity_root``. Raises ``ParseError`` (``LimitError`` for a limit).
    """
    _no_parser(parser)
    _core.check_options(limits)
    return _fromstring(text, limits)


def XML(text, parser=None, **limits):
    """The same as :func:`fromstring` (ElementTree's alias)."""
    return fromstring(text, parser, **limits)


def fromstringlist(sequence, parser=None, **limits):
    """Parses a document given as a sequence of ``bytes`` or ``str`` pieces; returns its root.

    The pieces are joined before parsing (there is no incremental parser yet, issue 11).
    """
    pieces = list(sequence)
    if pieces and all(isinstance(p, str) for p in pieces):
        return fromstring("".join(pieces), parser, **limits)
    if any(isinstance(p, str) for p in pieces):
        raise TypeError("fromstringlist takes all str or all bytes pieces, not a mix")
    return fromstring(b"".join(bytes(p) for p in pieces), parser, **limits)


def parse(source, parser=None, **limits):
    """Parses a file (a file name or a binary file object) into an ``ElementTree``.

    The document is read in chunks on wary's parsing thread, without the GIL. Keyword
    arguments as for :func:`fromstring`.
    """
    _no_parser(parser)
    _core.check_options(limits)
    return _parse(source, limits)


def _fromstring(text, options):
    return _tree(_core.open_bytes(text, **options))


def _parse(source, options):
    stream, close = _core.open_source(source, **options)
    try:
        return _ET.ElementTree(_tree(stream))
    finally:
        close()


class _IterParse:
    """The iterator :func:`iterparse` returns; ``root`` is set once it is exhausted."""

    def __init__(self, source, events, limits):
        wanted = ("end",) if events is None else tuple(events)
        for e in wanted:
            if e not in _EVENTS:
                raise ValueError("unknown event %r" % (e,))
        self.root = None
        self._stream, self._close = _core.open_source(source, **limits)
        self._it = self._events(set(wanted))

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._it)

    def close(self):
        """Stops parsing and releases the source (as ElementTree's iterator in Python 3.13)."""
        self._it.close()
        self._stream.close()
        self._close()

    def _events(self, wanted):
        tb = _ET.TreeBuilder()
        w_start, w_end = "start" in wanted, "end" in wanted
        w_ns = "start-ns" in wanted or "end-ns" in wanted
        w_sns, w_ens = "start-ns" in wanted, "end-ns" in wanted
        w_comment, w_pi = "comment" in wanted, "pi" in wanted
        tags = []
        nsdecls = []  # per open element: how many declarations it made
        try:
            for events in _core.batches(self._stream):
                out = []
                for ev in events:
                    k = ev[0]
                    if k == START:
                        decls = ev[3]
                        if w_ns:
                            nsdecls.append(len(decls) if decls else 0)
                            if decls and w_sns:
                                for d in decls:
                                    out.append(("start-ns", d))
                        tags.append(ev[1])
                        elem = tb.start(ev[1], ev[2])
                        if w_start:
                            out.append(("start", elem))
                    elif k == END:
                        elem = tb.end(tags.pop())
                        if w_end:
                            out.append(("end", elem))
                        if w_ns:
                            n = nsdecls.pop()
                            if n and w_ens:
                                out.extend([("end-ns", None)] * n)
                    elif k == DATA:
                        tb.data(ev[1])
                    elif k == COMMENT:
                        if w_comment:
                            out.append(("comment", tb.comment(ev[1])))
                    elif k == _PI:
                        if w_pi:
                            out.append(("pi", tb.pi(ev[1], ev[2])))
                # Yield after each batch: the consumer may clear() what it has seen, so
                # memory stays bounded by one batch of elements.
                yield from out
            self.root = tb.close()
        finally:
            self._close()


def iterparse(source, events=None, parser=None, **limits):
    """Parses a file incrementally, yielding ``(event, element)`` pairs as ElementTree does.

    ``events`` is a sequence of ``"start"``, ``"end"`` (the default), ``"start-ns"``,
    ``"end-ns"``, ``"comment"`` and ``"pi"``. Memory stays bounded when the caller clears
    elements it is done with (``elem.clear()``), as with ElementTree: the document is parsed
    in batches on wary's thread, never read whole. The iterator's ``root`` is set when it is
    exhausted. Keyword arguments as for :func:`fromstring`.
    """
    _no_parser(parser)
    _core.check_options(limits)
    return _IterParse(source, events, limits)
