"""Encryption at rest for personal data (ID numbers, uploaded rosters) and a keyed hash to match.

One secret, PERSONAL_DATA_KEY from the environment, gives two independent keys: one to
encrypt (Fernet: AES-128-CBC with HMAC), one to hash. The hash lets the import find a person
by ID number without decrypting every row; being keyed, it cannot be reversed by trying all
possible ID numbers without the secret.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _keys(secret: str) -> tuple[Fernet, bytes]:
    if not secret:
        raise ImproperlyConfigured("PERSONAL_DATA_KEY is not set (ZHUANGMA_PERSONAL_DATA_KEY)")
    material = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=None, info=b"zhuangma personal data"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(material[:32])), material[32:]


def encrypt_bytes(data: bytes) -> bytes:
    return _keys(settings.PERSONAL_DATA_KEY)[0].encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _keys(settings.PERSONAL_DATA_KEY)[0].decrypt(bytes(token))
    except InvalidToken as error:
        raise ValueError("cannot decrypt: wrong PERSONAL_DATA_KEY or damaged data") from error


def encrypt(text: str) -> str:
    return encrypt_bytes(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    return decrypt_bytes(token.encode()).decode() if token else ""


def keyed_hash(text: str) -> str:
    if not text:
        return ""
    return hmac.new(_keys(settings.PERSONAL_DATA_KEY)[1], text.encode(), hashlib.sha256).hexdigest()
