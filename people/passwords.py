"""The password rules (等保 identity authentication: complexity). No Django here.

A password is at least MIN_LENGTH characters, uses at least MIN_CLASSES of the four character
classes, and does not contain the account's mobile number (nor its last 8 digits) or username.
`problems()` names every rule broken; people/validators.py turns the names into messages.
"""

import re
import unicodedata

MIN_LENGTH = 10
MIN_CLASSES = 3
CLASSES = ("upper", "lower", "digit", "symbol")
# The tail of a mobile number people reuse (the subscriber part, without the carrier prefix).
PHONE_TAIL = 8
# Shorter usernames occur by chance inside good passwords; the similarity check covers them.
MIN_USERNAME_CHECKED = 3

TOO_SHORT = "too_short"
TOO_FEW_CLASSES = "too_few_classes"
CONTAINS_PHONE = "contains_phone"
CONTAINS_USERNAME = "contains_username"

# Written between groups of digits or letters: 138-1234-5678, 138 1234 5678, zhang.xm.
_SEPARATORS = re.compile(r"[\s\-_.·]+")


def _fold(text: str) -> str:
    """Full-width digits and letters as ASCII, lower case: what a person reads as the same."""
    return unicodedata.normalize("NFKC", text).casefold()


def character_class(char: str) -> str:
    if char.isupper():
        return "upper"
    if char.islower():
        return "lower"
    if char.isdigit():
        return "digit"
    # Punctuation, spaces, and letters without case (汉字) are all "other than the three".
    return "symbol"


def character_classes(password: str) -> set[str]:
    return {character_class(char) for char in unicodedata.normalize("NFKC", password)}


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", _fold(text or ""))


def contains_phone(password: str, phone: str) -> bool:
    digits = "".join(ch for ch in _fold(phone or "") if ch.isdigit())
    if len(digits) < PHONE_TAIL:
        return False
    # The tail is inside the whole number too, so one test covers both.
    return digits[-PHONE_TAIL:] in _compact(password)


def contains_username(password: str, username: str) -> bool:
    name = _compact(username)
    return len(name) >= MIN_USERNAME_CHECKED and name in _compact(password)


def problems(password: str, *, phone: str = "", username: str = "") -> list[str]:
    """The names of the rules `password` breaks, in a fixed order; empty when it is good."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(TOO_SHORT)
    if len(character_classes(password)) < MIN_CLASSES:
        found.append(TOO_FEW_CLASSES)
    if contains_phone(password, phone):
        found.append(CONTAINS_PHONE)
    if contains_username(password, username):
        found.append(CONTAINS_USERNAME)
    return found
