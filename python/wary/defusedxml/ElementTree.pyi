import os
from typing import IO, Any, Iterable, Optional, Union
from xml.etree.ElementTree import Element, ElementTree, ParseError as ParseError, tostring as tostring

from ..etree import XMLParser as _XMLParser, _IterParse
from .common import (
    DefusedXmlException as DefusedXmlException,
    DTDForbidden as DTDForbidden,
    EntitiesForbidden as EntitiesForbidden,
    ExternalReferenceForbidden as ExternalReferenceForbidden,
    NotSupportedError as NotSupportedError,
)

_Source = Union[str, bytes, os.PathLike[str], IO[bytes]]

class DefusedXMLParser(_XMLParser):
    forbid_dtd: bool
    forbid_entities: bool
    forbid_external: bool
    def __init__(
        self,
        html: object = ...,
        target: Any = ...,
        encoding: Optional[str] = ...,
        forbid_dtd: bool = ...,
        forbid_entities: bool = ...,
        forbid_external: bool = ...,
    ) -> None: ...

XMLTreeBuilder = DefusedXMLParser
XMLParse = DefusedXMLParser
XMLParser = DefusedXMLParser

def parse(
    source: _Source,
    parser: Optional[DefusedXMLParser] = ...,
    forbid_dtd: bool = ...,
    forbid_entities: bool = ...,
    forbid_external: bool = ...,
) -> ElementTree: ...
def iterparse(
    source: _Source,
    events: Optional[Iterable[str]] = ...,
    parser: None = ...,
    forbid_dtd: bool = ...,
    forbid_entities: bool = ...,
    forbid_external: bool = ...,
) -> _IterParse: ...
def fromstring(
    text: Union[str, bytes],
    forbid_dtd: bool = ...,
    forbid_entities: bool = ...,
    forbid_external: bool = ...,
) -> Element: ...
XML = fromstring
