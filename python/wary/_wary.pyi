# Type stubs of the native module (crates/wary-py). Private: use wary.etree / wary.defusedxml.
from typing import Any, Dict, List, Optional, Tuple

class EventStream:
    def next_batch(self) -> Tuple[List[Tuple[Any, ...]], Optional[Tuple[Any, ...]], bool]: ...
    def build(
        self, builder: Any, wanted: int
    ) -> Tuple[List[Tuple[str, Any]], Optional[Tuple[Any, ...]], bool]: ...
    def close(self) -> None: ...

# The limit keyword arguments of open() and their defaults (wary_xml::Limits::DEFAULT_*).
DEFAULT_LIMITS: Dict[str, int]

def open(
    source: Any,
    kind: str,
    *,
    max_depth: Optional[int] = ...,
    max_entity_depth: Optional[int] = ...,
    amplification_threshold: Optional[int] = ...,
    max_amplification: Optional[int] = ...,
    max_attributes: Optional[int] = ...,
    max_name_len: Optional[int] = ...,
    max_token_len: Optional[int] = ...,
    max_retained_bytes: Optional[int] = ...,
    external_entities: Optional[str] = ...,
    entity_root: Optional[str] = ...,
    forbid_dtd: bool = ...,
    forbid_entities: bool = ...,
    forbid_external: bool = ...,
    raw_names: bool = ...,
) -> EventStream: ...

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
