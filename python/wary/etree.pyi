import os
from typing import IO, Any, Iterable, Iterator, Literal, Optional, Sequence, Tuple, Union
from xml.etree.ElementTree import (
    PI as PI,
    Comment as Comment,
    Element as Element,
    ElementTree as ElementTree,
    ParseError as ParseError,
    ProcessingInstruction as ProcessingInstruction,
    QName as QName,
    SubElement as SubElement,
    TreeBuilder as TreeBuilder,
    dump as dump,
    iselement as iselement,
    register_namespace as register_namespace,
    tostring as tostring,
    tostringlist as tostringlist,
)

_Source = Union[str, bytes, os.PathLike[str], IO[bytes]]
_Event = Literal["start", "end", "start-ns", "end-ns", "comment", "pi"]

# The limit keyword arguments and their defaults (wary_xml::Limits::DEFAULT_*).
DEFAULT_LIMITS: Dict[str, int]

class LimitError(ParseError):
    limit: Optional[str]
    position: Tuple[int, int]
    code: int

# Keyword arguments of every function: the limits of wary_xml::Limits by name, and
# external_entities ("off" | "local") with entity_root.
class XMLPullParser:
    def __init__(self, events: Optional[Iterable[_Event]] = ..., **limits: object) -> None: ...
    def feed(self, data: Union[str, bytes]) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> Optional[Element]: ...
    def read_events(self) -> Iterator[Tuple[str, Any]]: ...

class XMLParser:
    target: Any
    version: str
    def __init__(self, *, target: Any = ..., encoding: Optional[str] = ..., **limits: object) -> None: ...
    def feed(self, data: Union[str, bytes]) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> Any: ...

def fromstring(
    text: Union[str, bytes],
    parser: Optional[XMLParser] = ...,
    *,
    max_depth: int = ...,
    max_entity_depth: int = ...,
    amplification_threshold: int = ...,
    max_amplification: int = ...,
    max_attributes: int = ...,
    max_name_len: int = ...,
    max_token_len: int = ...,
    max_retained_bytes: int = ...,
    external_entities: Literal["off", "local"] = ...,
    entity_root: Optional[Union[str, os.PathLike[str]]] = ...,
) -> Element: ...
def XML(text: Union[str, bytes], parser: Optional[XMLParser] = ..., **limits: object) -> Element: ...
def fromstringlist(
    sequence: Sequence[Union[str, bytes]], parser: Optional[XMLParser] = ..., **limits: object
) -> Element: ...
def parse(source: _Source, parser: Optional[XMLParser] = ..., **limits: object) -> ElementTree: ...

class _IterParse(Iterator[Tuple[str, object]]):
    root: Optional[Element]
    def __next__(self) -> Tuple[str, object]: ...
    def close(self) -> None: ...

def iterparse(
    source: _Source,
    events: Optional[Iterable[_Event]] = ...,
    parser: None = ...,
    **limits: object,
) -> _IterParse: ...
