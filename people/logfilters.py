"""Log records never carry a full mobile number or ID number.

`MaskPersonalData` is a logging filter, installed on the one handler every record reaches
(settings LOGGING, base and production). It formats the record's message with its arguments,
masks what looks like a mainland mobile number (138****5678) or a resident ID number
(110105********0021) in it and in the traceback, and leaves the record holding only the masked
text. Request paths and query strings (runserver's request lines, Django's "Not Found: …")
are messages like any other. Masking reuses people.phones and people.idnumbers.
"""

import logging
import re

from .idnumbers import mask_id_number
from .phones import mask_phone

# Digits are any Unicode digits (\d), so full-width ones typed on a phone are caught too.
# 18 characters, the last a digit or X, not inside a longer number.
_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXxＸｘ](?!\d)")
# 1[3-9]x xxxx xxxx, optionally after +86 / 86 / 0086, with the spaces or dashes people type
# between the groups (also as they appear in a URL: %20, +, %2B); not inside a longer number.
_SEP = r"(?:[\s-]|%20|\+)?"
_MOBILE = re.compile(
    rf"(?<!\d)(?:(?:\+|%2[Bb]|00)?86{_SEP})?([1１][3-9３-９]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)"
)


def mask_text(text: str) -> str:
    """`text` with every mobile number and ID number in it masked."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group().upper()), text)
    return _MOBILE.sub(lambda m: mask_phone("".join(m.groups())), text)


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
