from typing import Optional

class DefusedXmlException(ValueError): ...

class DTDForbidden(DefusedXmlException):
    name: str
    sysid: Optional[str]
    pubid: Optional[str]
    def __init__(self, name: str, sysid: Optional[str], pubid: Optional[str]) -> None: ...

class EntitiesForbidden(DefusedXmlException):
    name: Optional[str]
    value: Optional[str]
    base: Optional[str]
    sysid: Optional[str]
    pubid: Optional[str]
    notation_name: Optional[str]
    def __init__(
        self,
        name: Optional[str],
        value: Optional[str],
        base: Optional[str],
        sysid: Optional[str],
        pubid: Optional[str],
        notation_name: Optional[str],
    ) -> None: ...

class ExternalReferenceForbidden(DefusedXmlException):
    context: Optional[str]
    base: Optional[str]
    sysid: Optional[str]
    pubid: Optional[str]
    def __init__(
        self, context: Optional[str], base: Optional[str], sysid: Optional[str], pubid: Optional[str]
    ) -> None: ...

class NotSupportedError(DefusedXmlException): ...
