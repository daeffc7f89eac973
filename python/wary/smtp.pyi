# Type stubs of wary.smtp (python/wary/smtp.py): the public names of smtp_send and smtp_client.
from .smtp_client import SMTP as SMTP, SMTP_SSL as SMTP_SSL
from .smtp_send import *
from .smtp_send import STATUSES as STATUSES, send as send, DeliveryReport as DeliveryReport
