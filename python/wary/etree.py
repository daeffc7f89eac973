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

``XMLPullParser`` and ``XMLParser`` (with ``target=``) are fed in pieces of any size
through wary-xml's push parser; ``parse``, ``fromstring``, ``XML`` and ``fromstringlist``
accept ``parser=`` one of them (not expat's ``XMLParser``, which is refused).
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

from . import _core, _feed
from ._feed import XMLParser, XMLPullParser
from ._core import DEFAULT_LIMITS, LimitError, ParseError

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
    "XMLParser",
    "XMLPullParser",
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
# The native module's bit for each event (crates/wary-py/src/tree.rs).
_FLAGS = {"start": 1, "end": 2, "start-ns": 4, "end-ns": 8, "comment": 16, "pi": 32}


def _no_parser(parser):
    if parser is not None:
        raise TypeError("iterparse takes no parser= argument in wary.etree (pass limits instead)")


def _parser(parser, limits):
    """The ``parser=`` argument, checked: one of wary's ``XMLParser``, never expat's (which
    would parse the untrusted document with none of wary's rules)."""
    if not isinstance(parser, XMLParser):
        raise TypeError(
            "parser must be a wary.etree.XMLParser, not %s.%s"
            % (type(parser).__module__, type(parser).__qualname__)
        )
    if limits:
        raise TypeError("pass limits to the XMLParser, not with parser=")
    return parser


def _tree(stream):
    """Builds the tree of a stream's events with the stdlib's (C) TreeBuilder, driven from
    the native module a batch at a time (no Python call per event)."""
    tb = _ET.TreeBuilder()
    build = stream.build
    try:
        while True:
            _, failure, done = build(tb, 0)
            if failure is not None:
                raise _core.error(failure)
            if done:
                return tb.close()
    finally:
        stream.close()


def fromstring(text, parser=None, **limits):
    """Parses a document in memory (``bytes`` or ``str``) and returns its root ``Element``.

    Keyword arguments: wary's limits by name (``max_depth``, ``max_entity_depth``,
    ``amplification_threshold``, ``max_amplification``, ``max_attributes``,
    ``max_name_len``, ``max_token_len``, ``max_retained_bytes``; see ``DEFAULT_LIMITS``),
    ``external_entities`` (``"off"`` or ``"local"``)
    and ``entity_root``. Raises ``ParseError`` (``LimitError`` for a limit).
    """
    if parser is not None:
        return _feed.run(_parser(parser, limits), text)
    _core.check_options(limits)
    return _fromstring(text, limits)


def XML(text, parser=None, **limits):
    """The same as :func:`fromstring` (ElementTree's alias)."""
    return fromstring(text, parser, **limits)


def fromstringlist(sequence, parser=None, **limits):
    """Parses a document given as a sequence of ``bytes`` or ``str`` pieces; returns its root.

    With ``parser=``, the pieces are fed to it one by one; otherwise they are joined.
    """
    if parser is not None:
        p = _parser(parser, limits)
        for piece in sequence:
            p.feed(piece)
        return p.close()
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
    if parser is not None:
        _parser(parser, limits)
        if hasattr(source, "read"):
            return _ET.ElementTree(_feed.run(parser, source))
        with open(source, "rb") as f:
            return _ET.ElementTree(_feed.run(parser, f))
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
        flags = 0
        for name, bit in _FLAGS.items():
            if name in wanted:
                flags |= bit
        build = self._stream.build
        try:
            while True:
                # One batch's pairs at a time: the consumer may clear() what it has seen,
                # so memory stays bounded by one batch of elements.
                pairs, failure, done = build(tb, flags)
                yield from pairs
                if failure is not None:
                    raise _core.error(failure)
                if done:
                    break
            self.root = tb.close()
        finally:
            self._stream.close()
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
