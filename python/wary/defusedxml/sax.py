"""defusedxml.sax on wary's parser: ``parse``, ``parseString`` and ``make_parser`` drive
standard ``xml.sax`` handlers (``ContentHandler``, ``ErrorHandler``) from wary's events."""

import os
from xml.sax import SAXNotRecognizedException, SAXNotSupportedException, SAXParseException
from xml.sax import handler as _handler
from xml.sax import saxutils as _saxutils
from xml.sax import xmlreader as _xmlreader
from xml.sax.handler import ErrorHandler

from .. import _core
from . import _options

__all__ = ["DefusedExpatParser", "make_parser", "parse", "parseString"]

_XMLNS = "http://www.w3.org/2000/xmlns/"


class _Locator(_xmlreader.Locator):
    """Where an error was found (SAX's locator interface)."""

    def __init__(self, system_id, line, column):
        self._sid, self._line, self._col = system_id, line, column

    def getColumnNumber(self):
        return self._col

    def getLineNumber(self):
        return self._line

    def getPublicId(self):
        return None

    def getSystemId(self):
        return self._sid


class DefusedExpatParser(_xmlreader.XMLReader):
    """A SAX ``XMLReader`` on wary's parser, with defusedxml's ``forbid_*`` attributes.

    Supports ``feature_namespaces`` (``startElementNS`` and prefix mappings, or
    ``startElement`` with names as written). External general and parameter entities are
    never loaded: ``feature_external_ges`` and ``feature_external_pes`` can only be false,
    and validation is not offered.
    """

    def __init__(self, forbid_dtd=False, forbid_entities=True, forbid_external=True):
        super().__init__()
        self.forbid_dtd = forbid_dtd
        self.forbid_entities = forbid_entities
        self.forbid_external = forbid_external
        self._namespaces = False

    def getFeature(self, name):
        """The value of a SAX feature."""
        if name == _handler.feature_namespaces:
            return self._namespaces
        if name in (
            _handler.feature_namespace_prefixes,
            _handler.feature_external_ges,
            _handler.feature_external_pes,
            _handler.feature_validation,
        ):
            return False
        raise SAXNotRecognizedException("feature %s not recognized" % name)

    def setFeature(self, name, state):
        """Sets a SAX feature; only namespaces can be switched on."""
        if name == _handler.feature_namespaces:
            self._namespaces = bool(state)
            return
        if name in (
            _handler.feature_namespace_prefixes,
            _handler.feature_external_ges,
            _handler.feature_external_pes,
            _handler.feature_validation,
        ):
            if state:
                raise SAXNotSupportedException(
                    "feature %s is not supported by wary (external entities are never "
                    "loaded this way; there is no validation)" % name
                )
            return
        raise SAXNotRecognizedException("feature %s not recognized" % name)

    def parse(self, source):
        """Parses a system id (file name), a binary file object or an ``InputSource``."""
        opened_here = isinstance(source, (str, os.PathLike))
        src = _saxutils.prepare_input_source(source)
        stream = src.getByteStream()
        opts = _options(self.forbid_dtd, self.forbid_entities, self.forbid_external)
        try:
            if stream is not None:
                events = _core.open_file(stream, raw_names=True, **opts)
            else:
                text = src.getCharacterStream().read()
                events = _core.open_bytes(text, raw_names=True, **opts)
            self._run(events, src.getSystemId())
        finally:
            if opened_here and stream is not None:
                stream.close()

    def _run(self, stream, system_id):
        ch = self._cont_handler
        ns = self._namespaces
        ch.startDocument()
        open_ = []
        try:
            for events in _core.batches(stream):
                for ev in events:
                    k = ev[0]
                    if k == _core.START_RAW:
                        _, qname, uri, local, attrs = ev
                        if ns:
                            prefixes = []
                            values, qnames = {}, {}
                            for aq, value, auri, alocal in attrs:
                                if auri == _XMLNS:
                                    p = alocal if aq.startswith("xmlns:") else None
                                    prefixes.append(p)
                                    ch.startPrefixMapping(p, value)
                                    continue
                                values[(auri, alocal)] = value
                                qnames[(auri, alocal)] = aq
                            ch.startElementNS(
                                (uri, local), None, _xmlreader.AttributesNSImpl(values, qnames)
                            )
                            open_.append(((uri, local), prefixes))
                        else:
                            ch.startElement(
                                qname, _xmlreader.AttributesImpl({a[0]: a[1] for a in attrs})
                            )
                            open_.append(qname)
                    elif k == _core.END:
                        top = open_.pop()
                        if ns:
                            ch.endElementNS(top[0], None)
                            for p in reversed(top[1]):
                                ch.endPrefixMapping(p)
                        else:
                            ch.endElement(top)
                    elif k == _core.DATA:
                        ch.characters(ev[1])
                    elif k == _core.PI:
                        ch.processingInstruction(ev[1], ev[2])
        except _core.ParseError as e:
            line, col = getattr(e, "position", (0, 0))
            self._err_handler.fatalError(
                SAXParseException(str(e), e, _Locator(system_id, line, col))
            )
            return
        ch.endDocument()


def make_parser(parser_list=[]):  # noqa: B006 (defusedxml's signature; the list is unused)
    """A new :class:`DefusedExpatParser` (``parser_list`` is accepted and ignored)."""
    return DefusedExpatParser()


def parse(source, handler, errorHandler=ErrorHandler(), forbid_dtd=False, forbid_entities=True, forbid_external=True):
    """Parses ``source`` (file name or binary file object), calling ``handler``'s methods."""
    parser = DefusedExpatParser(forbid_dtd, forbid_entities, forbid_external)
    parser.setContentHandler(handler)
    parser.setErrorHandler(errorHandler)
    parser.parse(source)


def parseString(string, handler, errorHandler=ErrorHandler(), forbid_dtd=False, forbid_entities=True, forbid_external=True):
    """Parses a document in memory (``bytes`` or ``str``), calling ``handler``'s methods."""
    from io import BytesIO

    if isinstance(string, str):
        string = _core.encode_str(string)
    parser = DefusedExpatParser(forbid_dtd, forbid_entities, forbid_external)
    parser.setContentHandler(handler)
    parser.setErrorHandler(errorHandler)
    parser.parse(BytesIO(string))
