"""An import-for-import replacement of defusedxml, on wary's parser.

Change ``import defusedxml.ElementTree as ET`` to ``import wary.defusedxml.ElementTree as
ET`` (likewise ``minidom`` and ``sax``) and nothing else. The ``forbid_dtd`` (default
false), ``forbid_entities`` (default true) and ``forbid_external`` (default true) keyword
arguments keep defusedxml's defaults and are checked in the Rust core, not in Python
callbacks; the exceptions are defusedxml's, with its fields and text. On top of them,
wary's limits are always on (see docs/security.md).

Differences from defusedxml:

- ``forbid_entities`` refuses the first entity declaration, used or not, as defusedxml
  does; only the first declaration of a name is seen (it is the one that binds, XML 1.0
  §4.2, and the one expat reports), and ``base`` is always ``None``.
- ``ExternalReferenceForbidden`` carries the entity's name as ``context`` and its
  ``sysid``/``pubid`` from its declaration; ``base`` is ``None``.
- ``ElementTree.XMLParser`` (and its aliases ``DefusedXMLParser``, ``XMLParse``,
  ``XMLTreeBuilder``) is wary's, fed through wary-xml's push parser; a ``parser=`` argument
  must be one of them (anything else, expat's parser included, is refused with
  ``NotSupportedError``), and ``iterparse`` takes none.
"""

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
]


def _options(forbid_dtd, forbid_entities, forbid_external):
    return {
        "forbid_dtd": bool(forbid_dtd),
        "forbid_entities": bool(forbid_entities),
        "forbid_external": bool(forbid_external),
    }


def _no_parser(parser):
    if parser is not None:
        raise NotSupportedError("iterparse takes no parser= argument here")
