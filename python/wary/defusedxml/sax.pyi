import os
from typing import IO, Union
from xml.sax.handler import ContentHandler, ErrorHandler
from xml.sax.xmlreader import InputSource, XMLReader

class DefusedExpatParser(XMLReader):
    forbid_dtd: bool
    forbid_entities: bool
    forbid_external: bool
    def __init__(self, forbid_dtd: bool = ..., forbid_entities: bool = ..., forbid_external: bool = ...) -> None: ...

def make_parser(parser_list: list[str] = ...) -> DefusedExpatParser: ...
def parse(
    source: Union[str, os.PathLike[str], IO[bytes], InputSource],
    handler: ContentHandler,
    errorHandler: ErrorHandler = ...,
    forbid_dtd: bool = ...,
    forbid_entities: bool = ...,
    forbid_external: bool = ...,
) -> None: ...
def parseString(
    string: Union[str, bytes],
    handler: ContentHandler,
    errorHandler: ErrorHandler = ...,
    forbid_dtd: bool = ...,
    forbid_entities: bool = ...,
    forbid_external: bool = ...,
) -> None: ...
