"""Mainland resident ID numbers (居民身份证号, GB 11643-1999): normalise, check, mask.

18 characters: a 6-digit area code, the birth date as YYYYMMDD, a 3-digit sequence number and a
check character (0-9 or X) computed with ISO 7064 MOD 11-2.

Pure functions, no Django: the roster import and any form that takes an ID number use them.
"""

import re
from datetime import date

from .phones import to_halfwidth

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# [0-9], not \d: \d also matches Arabic-Indic and other Unicode digits.
_FORMAT = re.compile(r"[0-9]{17}[0-9X]")
# Whitespace (incl. U+3000 and NBSP) and the invisible characters that copying out of Excel,
# web pages or a UTF-8 CSV with a BOM leaves behind.
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_EARLIEST_BIRTH = date(1900, 1, 1)

ID_LENGTH = 18


def normalise_id_number(raw: str) -> str:
    """'１１０１０５ 19491231002x' → '11010519491231002X'. What is left may still be invalid."""
    text = raw or ""
    # Removing a space can let NFKC compose the characters on either side of it, so repeat
    # until nothing changes; two passes settle any real input.
    for _ in range(5):
        normalised = _INVISIBLE.sub("", to_halfwidth(text)).replace("x", "X")
        if normalised == text:
            break
        text = normalised
    return text


def check_char(first17: str) -> str:
    """The check character for the first 17 digits of an ID number."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError("the first 17 characters of an ID number must be digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def birth_date(number: str) -> date:
    """The birth date the number encodes; ValueError when it is not a real date."""
    digits = number[6:14]
    if not re.fullmatch(r"[0-9]{8}", digits):
        raise ValueError("an ID number holds its birth date as YYYYMMDD at positions 7-14")
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))


def id_number_problem(number: str, *, today: date) -> str | None:
    """None for a valid number, else 'id_length', 'id_birth_date' or 'id_check_digit'.

    `number` should come from normalise_id_number: a lower-case x is a format error here.
    Checks run in that order so the message names the first thing to fix.
    """
    if not _FORMAT.fullmatch(number):
        return "id_length"
    try:
        born = birth_date(number)
    except ValueError:
        return "id_birth_date"
    if not _EARLIEST_BIRTH <= born <= today:
        return "id_birth_date"
    if check_char(number[:17]) != number[17]:
        return "id_check_digit"
    return None


def mask_id_number(number: str) -> str:
    """'110105194912310021' → '110105********0021': the area and the last four stay readable.

    Anything that is not 18 characters long is starred entirely: it may be a number with a
    character missing, and showing most of it would show most of someone's ID number.
    """
    if len(number) != ID_LENGTH:
        return "*" * len(number)
    return f"{number[:6]}{'*' * 8}{number[14:]}"
