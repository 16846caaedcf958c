"""What several journeys do the same way."""

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
