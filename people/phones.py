"""Mainland mobile numbers: normalise what people type, check what is left.

Pure functions, no Django: the roster import, the login form and the user model all use them.
"""

import re
import unicodedata

# Mainland mobile numbers: 11 digits, starting 13–19 (numbering plan of the MIIT).
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# What people put around a number: spaces (incl. full-width), dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-‐–—.()（）]")


def to_halfwidth(text: str) -> str:
    """Full-width digits, letters and spaces to their ASCII forms (NFKC does exactly that)."""
    return unicodedata.normalize("NFKC", text)


def normalise_phone(raw: str) -> str:
    """'+86 138-1234-5678' → '13812345678'. Returns what is left; it may still be invalid."""
    text = _SEPARATORS.sub("", to_halfwidth(raw or "").strip())
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    else:
        if text.startswith("86") and len(text) == 13:
            text = text[2:]
    return text


def is_mainland_mobile(number: str) -> bool:
    return bool(_MOBILE.match(number))


def looks_like_phone(raw: str) -> bool:
    """True when the text is made only of what a phone number is made of.

    Usernames may not be all digits, so such input is meant as a phone number.
    """
    text = _SEPARATORS.sub("", to_halfwidth(raw or "").strip())
    return bool(text) and bool(re.fullmatch(r"\+?\d+", text))


def mask_phone(number: str) -> str:
    """'13812345678' → '138****5678', for lists shown to people without the right to see it."""
    if len(number) != 11:
        return "*" * len(number)
    return f"{number[:3]}****{number[7:]}"
