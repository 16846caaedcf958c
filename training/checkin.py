"""Check-in codes: short-lived signed tokens shown as a QR code on the trainer's screen.

A token names a session and a time window (WINDOW seconds long, 30 by default); it is signed
with Django's signing (a salt of its own, so no other signed value can pass for one). The
trainer's screen shows the current window's token; a token is accepted in its own window and
the next one, so for at most two windows (≤ 60 s) and never after: a photo of the code sent to
someone elsewhere stops working once the code has rotated.

No database here: the clock is a parameter so tests can move it.
"""

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.utils import timezone

SALT = "zhuangma.training.checkin"
DEFAULT_WINDOW = 30


class TokenError(Exception):
    """`code` is "forged" (not ours or tampered with), "expired" or "other_session"."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def window_seconds() -> int:
    # A setting only so the browser test can rotate codes in a few seconds.
    return int(getattr(settings, "TRAINING_CHECKIN_WINDOW_SECONDS", DEFAULT_WINDOW))


def window_of(moment: datetime | None = None) -> int:
    """The number of the window `moment` falls in (windows count from the Unix epoch)."""
    moment = moment or timezone.now()
    return int(moment.timestamp()) // window_seconds()


def seconds_left(moment: datetime | None = None) -> int:
    """Seconds until the window of `moment` ends and the screen shows a new code."""
    moment = moment or timezone.now()
    size = window_seconds()
    return max(1, size - int(moment.timestamp()) % size)


def make_token(session_id: int, window: int | None = None) -> str:
    """The token for `session_id` in `window` (the current one by default)."""
    if window is None:
        window = window_of()
    return signing.Signer(salt=SALT).sign(f"{int(session_id)}.{int(window)}")


def read_token(token: str, *, now: datetime | None = None, session_id: int | None = None) -> int:
    """The session id the token names, if it is genuine and still fresh; else TokenError.

    With `session_id`, a genuine token for another session is refused too.
    """
    try:
        value = signing.Signer(salt=SALT).unsign((token or "").strip())
        named_session, window = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        raise TokenError("forged") from None
    current = window_of(now)
    if window not in (current, current - 1):
        # A window ahead of the clock was never shown either; treat it as stale too.
        raise TokenError("expired")
    if session_id is not None and named_session != session_id:
        raise TokenError("other_session")
    return named_session
