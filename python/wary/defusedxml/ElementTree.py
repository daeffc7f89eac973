"""defusedxml.ElementTree's parsing functions on wary's parser.

``parse``, ``iterparse``, ``fromstring`` and ``XML`` return standard
``xml.etree.ElementTree`` objects; ``tostring`` and ``ParseError`` are ElementTree's own.
"""

import warnings
from xml.etree.ElementTree import ParseError, tostring

from .. import _feed
from .. import etree as _etree
from . import _no_parser, _options
from .common import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
    NotSupportedError,
)

__all__ = [
    "DefusedXmlException",
    "DTDForbidden",
    "EntitiesForbidden",
    "ExternalReferenceForbidden",
    "NotSupportedError",
    "ParseError",
    "XMLParse",
    "XMLParser",
    "XMLTreeBuilder",
    "DefusedXMLParser",
    "XML",
    "fromstring",
    "iterparse",
    "parse",
    "tostring",
]


_UNSET = object()


class DefusedXMLParser(_feed.XMLParser):
    """defusedxml's ``XMLParser``: wary's ``XMLParser`` with defusedxml's switches.

    ``forbid_dtd`` (default false), ``forbid_entities`` and ``forbid_external`` (default
    true) are checked in the Rust core as the document is fed; a refusal raises
    ``DTDForbidden``, ``EntitiesForbidden`` or ``ExternalReferenceForbidden`` from ``feed``
    or ``close``. ``html`` is accepted and ignored with a ``DeprecationWarning``, as in
    defusedxml. The switches are readable as attributes of the same names.
    """

    def __init__(
        self,
        html=_UNSET,
        target=None,
        encoding=None,
        forbid_dtd=False,
        forbid_entities=True,
        forbid_external=True,
    ):
        if html is not _UNSET:
            warnings.warn(
                "the html argument of XMLParser() is deprecated and ignored",
                DeprecationWarning,
                stacklevel=2,
            )
        self.forbid_dtd = forbid_dtd
        self.forbid_entities = forbid_entities
        self.forbid_external = forbid_external
        self._open(target, encoding, _options(forbid_dtd, forbid_entities, forbid_external))


# defusedxml's aliases.
XMLTreeBuilder = XMLParse = XMLParser = DefusedXMLParser


def parse(source, parser=None, forbid_dtd=False, forbid_entities=True, forbid_external=True):
    """Parses a file (name or binary file object) into an ``ElementTree``.

    ``parser``, if given, is one of this module's ``XMLParser`` (its own switches apply);
    any other parser is refused with ``NotSupportedError``.
    """
    if parser is not None:
        if not isinstance(parser, _feed.XMLParser):
            raise NotSupportedError(
                "parser must be wary.defusedxml.ElementTree.XMLParser, not %s"
                % type(parser).__name__
            )
        return _etree.parse(source, parser=parser)
    return _etree._parse(source, _options(forbid_dtd, forbid_entities, forbid_external))


def iterparse(
    source,
    events=None,
    parser=None,
    forbid_dtd=False,
    forbid_entities=True,
    forbid_external=True,
):
    """Parses a file incrementally, yielding ``(event, element)`` pairs (see ``wary.etree``)."""
    _no_parser(parser)
    return _etree._IterParse(source, events, _options(forbid_dtd, forbid_entities, forbid_external))


def fromstring(text, forbid_dtd=False, forbid_entities=True, forbid_external=True):
    """Parses a document in memory and returns its root ``Element``."""
    return _etree._fromstring(text, _options(forbid_dtd, forbid_entities, forbid_external))


XML = fromstring
