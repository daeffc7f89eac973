"""defusedxml.ElementTree's parsing functions on wary's parser.

``parse``, ``iterparse``, ``fromstring`` and ``XML`` return standard
``xml.etree.ElementTree`` objects; ``tostring`` and ``ParseError`` are ElementTree's own.
"""

from xml.etree.ElementTree import ParseError, tostring

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
    "XML",
    "fromstring",
    "iterparse",
    "parse",
    "tostring",
]


def parse(source, parser=None, forbid_dtd=False, forbid_entities=True, forbid_external=True):
    """Parses a file (name or binary file object) into an ``ElementTree``."""
    _no_parser(parser)
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
