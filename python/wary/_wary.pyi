# Type stubs of the native module (crates/wary-py). Private: use wary.etree / wary.defusedxml.
from typing import Any, Dict, List, Optional, Tuple

class EventStream:
    def next_batch(self) -> Tuple[List[Tuple[Any, ...]], Optional[Tuple[Any, ...]], bool]: ...
    def build(
        self, builder: Any, wanted: int
    ) -> Tuple[List[Tuple[str, Any]], Optional[Tuple[Any, ...]], bool]: ...
    def close(self) -> None: ...

# The limit keyword arguments of open() and open_push() and their defaults
# (wary_xml::Limits::DEFAULT_*): the names are wary_xml::Limit::field_name(), plus
# amplification_threshold.
DEFAULT_LIMITS: Dict[str, int]

class PushStream:
    def feed(self, data: bytes) -> None: ...
    def finish(self) -> None: ...
    def build(
        self, builder: Any, wanted: int
    ) -> Tuple[List[Tuple[str, Any]], Optional[Tuple[Any, ...]], bool]: ...
    def next_batch(self) -> Tuple[List[Tuple[Any, ...]], Optional[Tuple[Any, ...]], bool]: ...

# Keyword arguments: each name of DEFAULT_LIMITS (an int >= 0, or None for the default),
# external_entities ("off" or "local"), entity_root, forbid_dtd, forbid_entities,
# forbid_external (bools), and for open() raw_names (a bool). Any other name is a TypeError.
def open(source: Any, kind: str, **options: Any) -> EventStream: ...
def open_push(**options: Any) -> PushStream: ...

def smtp_send(
    message: bytes,
    host: str,
    port: int,
    *,
    tls: str,
    sender: Optional[str] = ...,
    recipients: List[str] = ...,
    ca_file: Optional[str] = ...,
    server_name: Optional[str] = ...,
    user: Optional[str] = ...,
    password: Optional[str] = ...,
    timeout: Optional[float] = ...,
    helo: Optional[str] = ...,
) -> Dict[str, Any]: ...
