"""``XMLPullParser`` and ``XMLParser``: documents fed in pieces, over wary-xml's push parser.

Private; the public names are in ``wary.etree`` (and ``wary.defusedxml.ElementTree``). Each
``feed`` parses what it was given as far as it goes (crates/wary-py/src/push.rs); events and
errors are the same whatever the split (wary-xml's push parser guarantees it), so feeding a
document byte by byte gives what ``fromstring`` gives.
"""

import collections
import xml.etree.ElementTree as _ET

from . import _core, _wary

# The native module's bit for each iterparse event (crates/wary-py/src/tree.rs).
FLAGS = {"start": 1, "end": 2, "start-ns": 4, "end-ns": 8, "comment": 16, "pi": 32}


def _bytes(data):
    """A piece of the document as bytes: ``str`` pieces are UTF-8 (as ElementTree's feed)."""
    if isinstance(data, str):
        return _core.encode_str(data)
    return bytes(data)


class XMLPullParser:
    """ElementTree's ``XMLPullParser``: ``feed()`` pieces of a document, ``read_events()``.

    ``events`` is a sequence of ``"start"``, ``"end"`` (the default), ``"start-ns"``,
    ``"end-ns"``, ``"comment"`` and ``"pi"``. Keyword arguments: wary's limits, as for
    ``fromstring``. A parse error is raised by ``read_events()`` after the events before it,
    as in ElementTree; ``close()`` raises it too.
    """

    def __init__(self, events=None, **limits):
        wanted = ("end",) if events is None else tuple(events)
        flags = 0
        for e in wanted:
            if e not in FLAGS:
                raise ValueError("unknown event %r" % (e,))
            flags |= FLAGS[e]
        _core.check_options(limits)
        self._flags = flags
        self._stream = _wary.open_push(**limits)
        self._tb = _ET.TreeBuilder()
        self._queue = collections.deque()
        self._failed = None
        self._closed = False
        self._root = None

    def _take(self):
        pairs, failure, done = self._stream.build(self._tb, self._flags)
        self._queue.extend(pairs)
        if failure is not None and self._failed is None:
            self._failed = _core.error(failure)
            self._queue.append(self._failed)
        if done and failure is None and self._root is None:
            self._root = self._tb.close()

    def feed(self, data):
        """Parses more of the document (``bytes`` or ``str``)."""
        if self._closed:
            raise ValueError("feed() called after end of stream")
        if data and self._failed is None:
            self._stream.feed(_bytes(data))
            self._take()

    def flush(self):
        """Does nothing: wary never holds back events it could report (ElementTree 3.13's
        ``flush`` turns off expat's reparse deferral, which wary does not have)."""

    def close(self):
        """Ends the document: raises ``ParseError`` if it is unfinished or was not well-formed."""
        if not self._closed:
            self._closed = True
            if self._failed is None:
                self._stream.finish()
                self._take()
        if self._failed is not None:
            raise self._failed
        return self._root

    def read_events(self):
        """Yields the ``(event, object)`` pairs parsed so far; raises the parse error after
        the events before it."""
        queue = self._queue
        while queue:
            item = queue.popleft()
            if isinstance(item, Exception):
                raise item
            yield item


class XMLParser:
    """ElementTree's ``XMLParser``: ``feed()`` pieces of a document, ``close()`` for the result.

    ``target`` receives the document as ElementTree's parser calls it: ``start(tag, attrib)``,
    ``end(tag)``, ``data(text)``, ``comment(text)``, ``pi(target, data)``,
    ``start_ns(prefix, uri)``, ``end_ns(prefix)``, ``doctype(name, pubid, system)`` and
    ``close()``, each only if the target has it. The default target is a ``TreeBuilder``,
    whose ``close()`` returns the root element. ``encoding`` is accepted for compatibility
    and ignored unless it differs from the document's own declaration, which wary always
    follows (an override would decode the bytes as something they say they are not).
    Keyword arguments: wary's limits, as for ``fromstring``.
    """

    def __init__(self, *, target=None, encoding=None, **limits):
        _core.check_options(limits)
        self._open(target, encoding, limits)

    def _open(self, target, encoding, options):
        self.target = _ET.TreeBuilder() if target is None else target
        if encoding is not None:
            try:
                "".encode(encoding)
            except LookupError:
                raise LookupError("unknown encoding: %r" % (encoding,)) from None
        self._stream = _wary.open_push(**options)
        # The stdlib's own TreeBuilder is driven from Rust; any other target through calls.
        self._fast = type(self.target) is _ET.TreeBuilder
        t = self.target
        self._calls = {
            name: getattr(t, name, None)
            for name in ("start", "end", "data", "comment", "pi", "start_ns", "end_ns", "doctype")
        }
        self._tags = []
        self._decls = []
        self._closed = False
        self.version = "wary"

    def _deliver(self):
        if self._fast:
            _, failure, _ = self._stream.build(self.target, 0)
        else:
            events, failure, _ = self._stream.next_batch()
            self._call(events)
        if failure is not None:
            raise _core.error(failure)

    def _call(self, events):
        c = self._calls
        start, end, data = c["start"], c["end"], c["data"]
        tags, decls = self._tags, self._decls
        for ev in events:
            k = ev[0]
            if k == _core.START:
                d = ev[3] or ()
                if c["start_ns"] is not None:
                    for prefix, uri in d:
                        c["start_ns"](prefix, uri)
                tags.append(ev[1])
                decls.append(d)
                if start is not None:
                    start(ev[1], ev[2])
            elif k == _core.END:
                tag = tags.pop()
                if end is not None:
                    end(tag)
                d = decls.pop()
                if c["end_ns"] is not None:
                    # expat ends the declarations last made first.
                    for prefix, _ in reversed(d):
                        c["end_ns"](prefix)
            elif k == _core.DATA:
                if data is not None:
                    data(ev[1])
            elif k == _core.COMMENT:
                if c["comment"] is not None:
                    c["comment"](ev[1])
            elif k == _core.PI:
                if c["pi"] is not None:
                    c["pi"](ev[1], ev[2])
            elif k == _core.DOCTYPE:
                if c["doctype"] is not None:
                    c["doctype"](ev[1], ev[2], ev[3])

    def feed(self, data):
        """Parses more of the document (``bytes`` or ``str``); raises ``ParseError`` as soon
        as it is known not to be well-formed."""
        if self._closed:
            raise ValueError("feed() called after close()")
        self._stream.feed(_bytes(data))
        self._deliver()

    def flush(self):
        """Does nothing: wary never holds back events (see ``XMLPullParser.flush``)."""

    def close(self):
        """Ends the document; returns the target's ``close()`` (the root for a
        ``TreeBuilder``). Raises ``ParseError`` if the document is unfinished."""
        if self._closed:
            raise ValueError("close() called twice")
        self._closed = True
        self._stream.finish()
        self._deliver()
        close = getattr(self.target, "close", None)
        return close() if close is not None else None


def run(parser, source):
    """Feeds a whole source (bytes, str, or a binary file object) to ``parser`` and closes it,
    as ElementTree's ``parse`` and ``fromstring`` do with a ``parser=`` argument."""
    if hasattr(source, "read"):
        while True:
            chunk = source.read(65536)
            if not chunk:
                break
            parser.feed(chunk)
    else:
        parser.feed(source)
    return parser.close()
