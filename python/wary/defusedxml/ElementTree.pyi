import os
from typing import IO, Iterable, Optional, Union
from xml.etree.ElementTree import Element, ElementTree, ParseError as ParseError, tostring as tostring

from ..etree import _IterParse
from .common import (
    DefusedXmlException as DefusedXmlException,
    DTDForbidden as DTDForbidden,
    EntitiesForbidden as EntitiesForbidden,
    ExternalReferenceForbidden as ExternalReferenceForbidden,
    NotSupportedError as NotSupportedError,
)

_Source = Union[str, bytes, os.PathLike[str], IO[bytes]]

def parse(
    source: _Source,
    parser: None = ...,
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
