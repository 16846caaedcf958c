"""CSV/Excel formula injection: people.cells makes text a spreadsheet would run inert."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from people import xlsx_writer
from people.cells import (
    FORMULA_STARTS,
    PREFIX,
    VISIBLE_STARTS,
    neutralise_cell,
    restore_cell,
    workbook_bytes,
)
from people.roster.rules import cell_text

# Text that starts with a formula character more often than chance would have it.
_TEXTS = st.one_of(
    st.text(),
    st.builds(lambda start, rest: start + rest, st.sampled_from(FORMULA_STARTS), st.text()),
    st.builds(lambda rest: PREFIX + rest, st.text()),
)


@given(_TEXTS)
def test_output_never_starts_with_a_formula_character_and_the_prefix_is_all_that_is_added(text):
    safe = neutralise_cell(text)
    assert not safe.startswith(FORMULA_STARTS)
    if safe != text:
        assert safe == PREFIX + text
        assert text.startswith(FORMULA_STARTS)  # prefixed only when it had to be
        assert safe[len(PREFIX) :] == text  # stripping the prefix restores the input
    else:
        assert not text.startswith(FORMULA_STARTS)


@given(_TEXTS)
def test_neutralising_twice_is_neutralising_once(text):
    assert neutralise_cell(neutralise_cell(text)) == neutralise_cell(text)


def _restorable(text: str) -> bool:
    # Readers trim a leading tab or return anyway; and '=… is read as a spreadsheet reads what
    # someone typed: the text =….
    return not text.startswith(("\t", "\r")) and not (
        text.startswith(PREFIX) and text[1:].startswith(VISIBLE_STARTS)
    )


@given(_TEXTS.filter(_restorable))
def test_restoring_gives_back_what_was_neutralised(text):
    assert restore_cell(neutralise_cell(text)) == text


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("张三", "张三"),
        (" =1", " =1"),  # a leading space makes it text already
        ("", ""),
        (-2, -2),  # a negative number is a number
        (Decimal("-2.5"), Decimal("-2.5")),
        (-0.5, -0.5),
        (date(2026, 1, 1), date(2026, 1, 1)),
        (None, None),
    ],
)
def test_examples(value, expected):
    assert neutralise_cell(value) == expected


def test_a_roster_cell_read_back_loses_the_apostrophe_the_export_added():
    assert cell_text("'=HYPERLINK(1)") == "=HYPERLINK(1)"
    assert cell_text("'-2+3") == "-2+3"
    assert cell_text("'张三") == "'张三"  # an apostrophe before anything else is data


def test_workbook_bytes_turns_formula_text_into_text_and_leaves_numbers_alone():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["=1+1", "-2+3", -2, 3.5, "@SUM(A1)", "名字"])
    sheet["A3"] = "+cmd"
    assert sheet["A1"].data_type == "f"  # what openpyxl would otherwise write

    loaded = load_workbook(io.BytesIO(workbook_bytes(workbook))).active
    assert [c.value for c in loaded[1]] == ["'=1+1", "'-2+3", -2, 3.5, "'@SUM(A1)", "名字"]
    assert loaded["A3"].value == "'+cmd"
    assert all(c.data_type != "f" for row in loaded.iter_rows() for c in row)


def test_the_plain_xlsx_writer_neutralises_text_but_not_numbers():
    content = xlsx_writer.workbook([("t", [["=1+1", -2, "-2", "\x01=evil", "ok"]])])
    row = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))[0]
    # The control character XML forbids is dropped first: what is left is still neutralised.
    assert row == ("'=1+1", -2, "'-2", "'=evil", "ok")
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
