"""people.logfilters: phone and ID numbers never reach a log line in full."""

import io
import logging

import pytest

from people.logfilters import MaskPersonalData, mask_text

PHONE, MASKED_PHONE = "13812345678", "138****5678"
ID_NUMBER, MASKED_ID = "11010519491231002X", "110105********002X"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Not Found: /roster/{PHONE}/", f"Not Found: /roster/{MASKED_PHONE}/"),
        (
            f'"GET /roster/?q={PHONE}&page=2 HTTP/1.1" 200',
            f'"GET /roster/?q={MASKED_PHONE}&page=2 HTTP/1.1" 200',
        ),
        ("login 138-1234-5678 failed", f"login {MASKED_PHONE} failed"),
        ("login 138 1234 5678 failed", f"login {MASKED_PHONE} failed"),
        ("q=%2B86138%201234%205678", f"q={MASKED_PHONE}"),
        ("q=138+1234+5678", f"q={MASKED_PHONE}"),
        (f"+86{PHONE}", MASKED_PHONE),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        (f"id={ID_NUMBER}", f"id={MASKED_ID}"),
        ("id=11010519491231002x;", f"id={MASKED_ID};"),
        (f"{ID_NUMBER} and {PHONE}", f"{MASKED_ID} and {MASKED_PHONE}"),
        # Not personal data: left alone.
        ("booklet 12 built: 30 cases, 1234567 bytes", "booklet 12 built: 30 cases, 1234567 bytes"),
        ("at 1712345678901 ms", "at 1712345678901 ms"),  # 13 digits: no phone inside
        ("tel 0971-8123456", "tel 0971-8123456"),  # a landline
        ("12812345678", "12812345678"),  # no mobile starts 12
    ],
)
def test_mask_text(text, expected):
    assert mask_text(text) == expected


def logged(record_args: tuple, msg: str, *, exc=None) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPersonalData())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.log_filter")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        if exc is None:
            logger.warning(msg, *record_args)
        else:
            try:
                raise exc
            except type(exc):
                logger.exception(msg, *record_args)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_the_filter_masks_message_arguments_and_tracebacks():
    out = logged((PHONE, {"id": ID_NUMBER}), "user %s sent %r")
    assert PHONE not in out and ID_NUMBER not in out
    assert MASKED_PHONE in out and MASKED_ID in out
    out = logged((), "import failed", exc=ValueError(f"row 3: {PHONE} is taken"))
    assert "Traceback" in out and "ValueError" in out
    assert PHONE not in out and MASKED_PHONE in out


def test_a_record_with_a_bad_format_string_is_still_logged_and_masked():
    out = logged((PHONE,), "no placeholder here but an argument")
    assert "no placeholder" in out and PHONE not in out


def test_settings_install_the_filter_on_the_root_handler():
    from django.conf import settings

    config = settings.LOGGING
    assert config["filters"]["personal_data"]["()"] == "people.logfilters.MaskPersonalData"
    root_handlers = config["root"]["handlers"]
    assert root_handlers and all(
        "personal_data" in config["handlers"][h]["filters"] for h in root_handlers
    )
    # Nothing is handled beside the root handler (which would skip the filter).
    assert all(not logger.get("handlers") for logger in config["loggers"].values())
    handlers = logging.getLogger().handlers
    assert any(isinstance(f, MaskPersonalData) for h in handlers for f in h.filters)
