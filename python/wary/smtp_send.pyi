# Type stubs of wary.smtp_send (python/wary/smtp_send.py), re-exported by wary.smtp.
import smtplib
import ssl
from email.message import Message
from os import PathLike
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, Union


STATUSES: Tuple[str, ...]
_Status = Literal["delivered", "deferred", "refused", "unconfirmed", "not_sent"]

class Reply:
    code: int
    enhanced: Optional[str]
    text: str
    lines: List[str]
    def __init__(self, code: int, enhanced: Optional[str], text: str, lines: Sequence[str]) -> None: ...
    def to_dict(self) -> Dict[str, Any]: ...

class RecipientResult:
    address: str
    status: Literal["accepted", "deferred", "refused"]
    reply: Optional[Reply]

class DeliveryReport:
    status: _Status
    recipients: List[RecipientResult]
    mail: Optional[Reply]
    data: Optional[Reply]
    final_reply: Optional[Reply]
    tls: Optional[Dict[str, Any]]
    error: Optional[BaseException]
    bdat: bool
    round_trips: int
    @property
    def delivered(self) -> bool: ...
    def refused_recipients(self) -> Dict[str, Tuple[int, bytes]]: ...
    def raise_for_status(self) -> None: ...
    def to_dict(self) -> Dict[str, Any]: ...

class SMTPException(smtplib.SMTPException):
    report: Optional[DeliveryReport]

class SMTPResponseException(smtplib.SMTPResponseException, SMTPException):
    def __init__(self, code: int, msg: bytes, report: Optional[DeliveryReport] = ...) -> None: ...

class SMTPSenderRefused(smtplib.SMTPSenderRefused, SMTPException):
    def __init__(self, code: int, msg: bytes, sender: Optional[str], report: Optional[DeliveryReport] = ...) -> None: ...

class SMTPRecipientsRefused(smtplib.SMTPRecipientsRefused, SMTPException):
    def __init__(self, recipients: Dict[str, Tuple[int, bytes]], report: Optional[DeliveryReport] = ...) -> None: ...

class SMTPDataError(smtplib.SMTPDataError, SMTPException):
    def __init__(self, code: int, msg: bytes, report: Optional[DeliveryReport] = ...) -> None: ...

class SMTPAuthenticationError(smtplib.SMTPAuthenticationError, SMTPException):
    def __init__(self, code: int, msg: bytes, report: Optional[DeliveryReport] = ...) -> None: ...

class SMTPHeloError(smtplib.SMTPHeloError, SMTPException):
    def __init__(self, code: int, msg: bytes, report: Optional[DeliveryReport] = ...) -> None: ...

class SMTPConnectError(smtplib.SMTPConnectError, SMTPException):
    def __init__(self, code: int, msg: bytes, report: Optional[DeliveryReport] = ...) -> None: ...

class SMTPServerDisconnected(smtplib.SMTPServerDisconnected, SMTPException):
    def __init__(self, msg: str, report: Optional[DeliveryReport] = ...) -> None: ...

class SMTPTimeoutError(SMTPServerDisconnected, TimeoutError): ...

class SMTPNotSupportedError(smtplib.SMTPNotSupportedError, SMTPException):
    def __init__(self, msg: str, report: Optional[DeliveryReport] = ...) -> None: ...

class StartTLSError(SMTPNotSupportedError):
    smtp_code: int
    def __init__(self, msg: str, code: int = ..., report: Optional[DeliveryReport] = ...) -> None: ...

class TLSError(SMTPException, ssl.SSLError): ...
class ProtocolError(SMTPException): ...

class UnconfirmedError(SMTPException):
    def __init__(self, report: DeliveryReport) -> None: ...

def send(
    message: Union[Message, bytes],
    server: Union[str, Tuple[str, int]],
    tls: Literal["starttls", "implicit", "none"] = ...,
    ca_file: Optional[Union[str, PathLike[str]]] = ...,
    user: Optional[str] = ...,
    password: Optional[str] = ...,
    timeout: Optional[float] = ...,
    *,
    from_addr: Optional[str] = ...,
    to_addrs: Optional[Union[str, Sequence[str]]] = ...,
    server_name: Optional[str] = ...,
    local_hostname: Optional[str] = ...,
) -> DeliveryReport: ...
