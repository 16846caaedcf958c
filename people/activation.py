"""Activation codes: how a worker imported from a roster gets into their account.

Imported workers have no password, and no SMS gateway can send one. Their admin issues codes
for the workers of their scope who have not set a password yet (the roster page); the workbook
of slips that comes back is the only place a code is written down — the database keeps its
SHA-256, as for API tokens: a random code of ~50 bits needs no slow hash, and tries are limited
(ACCOUNT_RATE_LIMITS["activate"]). The worker enters their mobile number, the code and a new
password at /accounts/activate/; the code is then gone. Issuing again replaces a code.
"""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

from .models import ActivationCode, User
from .phones import to_halfwidth

# No 0/O, 1/I/L: the code is read off paper and typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10  # 31**10 ≈ 2**49.5
VALID_DAYS = 30


def new_code() -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{code[:5]}-{code[5:]}"  # read in two halves


def code_hash(typed: str) -> str:
    """The stored form of a code as typed: case, spaces, dashes and full-width forms ignored."""
    plain = "".join(ch for ch in to_halfwidth(typed).upper() if ch.isalnum())
    return hashlib.sha256(plain.encode()).hexdigest()


def not_activated(users):
    """Those of `users` who have never set a password (a roster import leaves it unusable)."""
    return users.filter(password__startswith=UNUSABLE_PASSWORD_PREFIX, is_active=True)


@transaction.atomic
def issue(users, by) -> list[tuple[User, str, object]]:
    """A fresh code for each of `users` (replacing any earlier one): (user, code, valid until)."""
    users = list(users)
    expires_at = timezone.now() + timedelta(days=VALID_DAYS)
    ActivationCode.objects.filter(user__in=users).delete()
    issued = [(user, new_code()) for user in users]
    ActivationCode.objects.bulk_create(
        ActivationCode(user=user, code_hash=code_hash(code), expires_at=expires_at, issued_by=by)
        for user, code in issued
    )
    return [(user, code, expires_at) for user, code in issued]


def find(phone: str, typed_code: str) -> ActivationCode | None:
    """The valid code for this mobile number, or None (wrong, expired or used: one answer)."""
    return (
        ActivationCode.objects.select_related("user")
        .filter(
            user__phone=phone,
            user__is_active=True,
            code_hash=code_hash(typed_code),
            expires_at__gt=timezone.now(),
        )
        .first()
    )
