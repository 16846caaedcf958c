"""Spreadsheet cells going out: text a spreadsheet would run as a formula is made inert.

A cell whose text starts with =, +, -, @ (or a tab or carriage return, which some spreadsheets
skip before reading a formula) is a formula to Excel and WPS: a name like
=HYPERLINK("http://…") typed into a roster would become a live link in every export (CSV
injection, OWASP). Such text gets a leading apostrophe, which spreadsheets show as text.
Only text is touched: numbers stay numbers (-2 is a number, "-2+3" is text).

The one home for the rule: every exporter (openpyxl workbooks, people/xlsx_writer.py, the
ranking CSV) goes through it, and the reader of the files we hand out undoes it
(`restore_cell` in people.roster.rules.cell_text), so an exported roster imports back unchanged.
No Django here.
"""

import io

VISIBLE_STARTS = ("=", "+", "-", "@")
FORMULA_STARTS = (*VISIBLE_STARTS, "\t", "\r")
PREFIX = "'"


def neutralise_cell(value):
    """`value` with an apostrophe in front if it is text a spreadsheet would read as a formula;
    anything else unchanged. Idempotent: a neutralised text starts with the apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return PREFIX + value
    return value


def restore_cell(text: str) -> str:
    """The text `neutralise_cell` was given, for a cell read back: the apostrophe before =, +, -
    or @ is dropped (as a spreadsheet does when someone types '=… in a cell). Before a tab or a
    carriage return it stays: readers trim leading whitespace, which would expose the next
    character."""
    if text.startswith(PREFIX) and text[1:].startswith(VISIBLE_STARTS):
        return text[1:]
    return text


def neutralise_workbook(workbook) -> None:
    """Neutralise every text cell of an openpyxl workbook, in place (headers and notes too)."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                safe = neutralise_cell(cell.value)
                if safe is not cell.value:
                    # Assigning again also turns a cell openpyxl took for a formula into text.
                    cell.value = safe


def workbook_bytes(workbook) -> bytes:
    """The .xlsx file of an openpyxl workbook, every text cell neutralised."""
    neutralise_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
