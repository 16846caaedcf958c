"""What several journeys do the same way."""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from tests.factories import PASSWORD


def log_in(page, base_url: str, login: str, password: str = PASSWORD, *, tap=False, wait=True):
    """Log in through the form; unless `wait` is off (a refused login), until it has left it."""
    page.goto(base_url + "/accounts/login/")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(password)
    # The footer's language switch is a form too: pick the login form's button.
    button = page.locator("main button[type=submit]")
    button.tap() if tap else button.click()
    if wait:
        page.wait_for_url(lambda url: "/accounts/login/" not in url)


def current_totp(secret: str) -> str:
    """What an authenticator app shows now, computed with allauth's own HOTP code."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def enter_totp(page, base_url: str, secret: str):
    """Answer the two-factor step that follows the password for admins and chief judges."""
    page.wait_for_url(base_url + "/accounts/2fa/authenticate/")
    page.locator("input[name=code]").fill(current_totp(secret))
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(lambda url: "/accounts/2fa/" not in url)
