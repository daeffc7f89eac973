import os
from typing import IO, Optional, Union
from xml.dom.minidom import Document

def parse(
    file: Union[str, bytes, os.PathLike[str], IO[bytes]],
    parser: None = ...,
    bufsize: Optional[int] = ...,
    forbid_dtd: bool = ...,
    forbid_entities: bool = ...,
    forbid_external: bool = ...,
) -> Document: ...
def parseString(
    string: Union[str, bytes],
    parser: None = ...,
    forbid_dtd: bool = ...,
    forbid_entities: bool = ...,
    forbid_external: bool = ...,
) -> Document: ...
