"""Read an uploaded roster file (xlsx, xls or csv) into a table keyed by column.

Pure: no Django. The caller passes the header matcher (``rules.match_header``) and the required
column keys, and maps the error codes of :class:`RosterFileError` to messages.

What this module decides, and nothing else:

- the format, from the bytes (the file name only breaks ties): an OOXML workbook (zip),
  an OLE2 compound file (xls), or text (CSV in UTF-8, UTF-8 with BOM, UTF-16 with BOM or
  GB18030, delimiter comma, tab or semicolon);
- which sheet and which row hold the header: the first visible sheet that has, within its first
  ``header_search_rows`` rows, a row where at least two cells match a column and every required
  column is present;
- the raw value of every matched cell below it (str, int, float, bool, datetime …; an empty
  cell is ``None`` in every format).

Normalising values (phones, ID numbers, Excel serial dates) is the rules module's job.

Limits: the file size (``max_bytes``) and the unpacked size of a workbook
(``_UNPACKED_FACTOR`` × ``max_bytes``, against zip bombs) are checked before anything is parsed;
the number of non-empty data rows (``max_rows``) while reading. xlsx sheets are streamed
(openpyxl's worksheet parser, the one its read-only mode uses, not a full load), so refusing a
sheet with too many rows costs parsing ``max_rows`` rows, not the whole sheet. What cannot be
refused early: a sheet of cells that hold only formatting (borders drawn down to row 300,000)
is parsed to its end, ~2 µs per empty cell: at most ~10 s within the unpacked-size limit.
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import openpyxl
import xlrd
from openpyxl.utils.cell import get_column_letter, range_boundaries

# The private worksheet parser is what ReadOnlyWorksheet iterates; using it directly gives the
# merged ranges of the sheet (read-only mode drops them) in the same single streaming pass.
# openpyxl is pinned (3.1.5); tests/unit/test_roster_reader.py covers every use.
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import XLSM, XLSX, XLTM, XLTX

#: Every ``RosterFileError.code``; the Django side has a message for each.
ERROR_CODES = (
    "empty_file",  # no bytes, or no cell with a value
    "too_large",  # max_mb, size_mb; unpacked=True when the workbook inflates past the limit
    "not_spreadsheet",  # kind: image, pdf, archive, office, ods, xlsb, numbers, html, xml,
    #                     binary, encoding
    "encrypted",  # a password-protected workbook (xlsx or xls)
    "corrupt",  # format: xlsx / xls / csv — looks like that format but cannot be read
    "no_header",  # searched_rows: no row with at least two known column headers
    "missing_columns",  # columns: [required keys missing], row: the best header candidate
    "duplicate_column",  # column, first_column: header texts of two columns with the same key
    "merged_header",  # row, ref: a merged range (e.g. "A2:A3") overlapping the header row
    "formula",  # row, column (header text), count: formulas in matched columns (xlsx only)
    "control_character",  # row, column (header text): a matched cell holds one (xls, csv)
    "no_rows",  # raised by the roster's importer.read: headers, but no filled row below them
    "too_many_rows",  # max_rows, rows, exact: rows is a lower bound / estimate when not exact
)

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# BIFF2–BIFF5 worksheets saved without an OLE2 wrapper (Excel 2.x–4.x); xlrd reads them.
_BARE_BIFF_MAGICS = (b"\x09\x00", b"\x09\x02", b"\x09\x04")
_BINARY_MAGICS = (
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"RIFF", "image"),
    (b"%PDF", "pdf"),
    (b"Rar!", "archive"),
    (b"7z\xbc\xaf", "archive"),
    (b"\x1f\x8b", "archive"),
)
_WORKBOOK_TYPES = tuple(t.encode() for t in (XLSX, XLSM, XLTX, XLTM))
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# A workbook may inflate to this many times max_bytes (roster XML deflates about tenfold,
# and a roster within max_rows is far below 10 MB); beyond, a zip bomb or not a roster.
_UNPACKED_FACTOR = 10
# Control characters that do not occur in text files (tab, LF, FF and CR do).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Control characters XML 1.0 cannot hold: a value with one could never be written to an .xlsx
# export (openpyxl refuses it), and PostgreSQL refuses NUL. An xls or a CSV can carry them.
_CELL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DELIMITERS = ",\t;"
# csv.Sniffer is quadratic on some inputs (1.4 s for 16 KB of ',"'); 4 KB is ~40 rows, plenty.
_SNIFF_SAMPLE = 4096

Matcher = Callable[[str], str | None]
Cells = Sequence[object]
# (spreadsheet row number, cell values by 0-based column, 0-based columns holding a formula)
SourceRow = tuple[int, Cells, frozenset[int] | None]


class RosterFileError(Exception):
    """A problem with the whole file. `code` is a machine code (one of ``ERROR_CODES``);
    `params` fill the message (the Django side maps codes to Chinese messages)."""

    def __init__(self, code: str, **params):
        super().__init__(code, params)
        self.code = code
        self.params = params

    def __str__(self):
        return f"{self.code} {self.params}" if self.params else self.code

    def __reduce__(self):
        # Background tasks pickle exceptions; keyword-only params need help.
        return _rebuild_error, (self.code, self.params)


def _rebuild_error(code, params):
    return RosterFileError(code, **params)


@dataclass
class Table:
    header_row: int  # the spreadsheet's own 1-based row number of the header
    columns: dict[str, int]  # column key -> 0-based column index
    # (spreadsheet row number, {key: raw cell value}) for every row after the header up to the
    # last non-empty one; blank rows included (the caller skips them), see read_table.
    rows: list[tuple[int, dict[str, object]]]
    headers: dict[str, str]  # column key -> header text as written in the file (for messages)
    sheet: str | None = None  # worksheet title; None for CSV
    format: str = ""  # "xlsx", "xls" or "csv"


def read_table(
    data: bytes,
    filename: str,
    *,
    match_header: Matcher,
    required: Iterable[str],
    max_bytes: int = 10 * 1024 * 1024,
    max_rows: int = 20_000,
    header_search_rows: int = 20,
) -> Table:
    """Read the roster in `data` (the uploaded file's bytes; `filename` is only a hint).

    `match_header(text)` gets the text of a cell exactly as written (``str`` of its value) and
    returns a column key or None. Only matched columns appear in the rows; extra columns are
    ignored. Raises RosterFileError for anything wrong with the file as a whole.

    Rows: every row after the header up to the last one with a value in a matched column
    (a row whose matched cells are all empty or whitespace counts as blank, so a template's
    pre-numbered 序号 column does not make rows). Blank rows between data rows are included,
    at most ``max_rows`` of them (beyond that they are left out: they carry nothing, and row
    numbers travel with each row). A vertically merged cell below the header (a 所属社区 merged
    over the rows of its workers) gives its value to every non-blank row it spans.
    """
    data = bytes(data)
    if not data:
        raise RosterFileError("empty_file")
    if len(data) > max_bytes:
        raise RosterFileError(
            "too_large", max_mb=_megabytes(max_bytes), size_mb=_megabytes(len(data))
        )
    limits = _Limits(
        match_header=match_header,
        required=list(dict.fromkeys(required)),
        max_rows=max_rows,
        header_search_rows=header_search_rows,
    )
    name = (filename or "").lower()
    ext = name.rsplit(".", 1)[1] if "." in name else ""

    if data.startswith(_OLE2_MAGIC) or (data[:2] in _BARE_BIFF_MAGICS and ext in ("xls", "xlt")):
        return _read_xls(data, limits)
    if data[:4] in _ZIP_MAGICS:
        return _read_xlsx(data, limits, max_bytes)
    for magic, kind in _BINARY_MAGICS:
        if data.startswith(magic):
            raise RosterFileError("not_spreadsheet", kind=kind)
    return _read_csv(data, ext, limits)


def _megabytes(size: int) -> float | int:
    mb = round(size / (1024 * 1024), 1)
    return int(mb) if mb == int(mb) else mb


# --------------------------------------------------------------------------- table building


@dataclass
class _Limits:
    match_header: Matcher
    required: list[str]
    max_rows: int
    header_search_rows: int


class _Merge(NamedTuple):
    first_row: int  # 1-based, inclusive
    first_col: int  # 0-based, inclusive
    last_row: int
    last_col: int

    @property
    def ref(self) -> str:
        start = f"{get_column_letter(self.first_col + 1)}{self.first_row}"
        end = f"{get_column_letter(self.last_col + 1)}{self.last_row}"
        return start if start == end else f"{start}:{end}"


class _Sheet:
    """One sheet of a file: its rows, streamed, and its merged ranges."""

    name: str | None = None
    format: str = ""
    # Whether counting the rows beyond max_rows is cheap (the whole sheet is in memory).
    exact_count: bool = True

    def rows(self) -> Iterator[SourceRow]:
        raise NotImplementedError

    def merges(self) -> list[_Merge]:
        """Merged ranges; for a streamed sheet, valid once rows() has been exhausted."""
        return []

    def estimated_last_row(self) -> int | None:
        return None


@dataclass
class _Search:
    """What the header search found in one sheet."""

    sheet: _Sheet
    rows: Iterator[SourceRow]
    header_row: int | None = None
    matches: list[tuple[int, str, str]] = field(default_factory=list)  # (col, key, text)
    missing: list[str] = field(default_factory=list)
    saw_value: bool = False

    @property
    def found(self) -> bool:
        return self.header_row is not None and not self.missing

    @property
    def score(self) -> int:
        return len({key for _, key, _ in self.matches})


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _search_header(sheet: _Sheet, limits: _Limits) -> _Search:
    """Scan the first rows of `sheet` for the header; stop right after it."""
    rows = sheet.rows()
    result = _Search(sheet=sheet, rows=rows)
    for row_number, values, _formulas in rows:
        if row_number > limits.header_search_rows:
            result.saw_value = True  # something lies below the rows searched
            break
        matches = []
        for col, value in enumerate(values):
            if _is_blank(value):
                continue
            result.saw_value = True
            text = value if isinstance(value, str) else str(value)
            key = limits.match_header(text)
            if key is not None:
                matches.append((col, key, text))
        keys = {key for _, key, _ in matches}
        if len(keys) < 2:
            continue
        missing = [key for key in limits.required if key not in keys]
        if not missing:
            result.header_row, result.matches, result.missing = row_number, matches, []
            return result
        if len(keys) > result.score:
            result.header_row, result.matches, result.missing = row_number, matches, missing
    return result


def _build(sheets: Iterable[_Sheet], limits: _Limits) -> Table:
    best: _Search | None = None
    saw_value = False
    for sheet in sheets:
        search = _search_header(sheet, limits)
        if search.found:
            return _read_rows(search, limits)
        search.rows.close()
        saw_value = saw_value or search.saw_value
        if search.header_row is not None and (best is None or search.score > best.score):
            best = search
    if best is not None:
        # A header whose cells are merged (a two-level header) usually misses columns because
        # of the merge: say so rather than "missing columns".
        _check_merged_header(best.sheet.merges(), best.header_row)
        raise RosterFileError("missing_columns", columns=best.missing, row=best.header_row)
    if saw_value:
        raise RosterFileError("no_header", searched_rows=limits.header_search_rows)
    raise RosterFileError("empty_file")


def _check_merged_header(merges: list[_Merge], header_row: int) -> None:
    for merge in sorted(merges):  # the leftmost first, whatever order the file lists them in
        if merge.first_row <= header_row <= merge.last_row:
            raise RosterFileError("merged_header", row=header_row, ref=merge.ref)


def _read_rows(search: _Search, limits: _Limits) -> Table:
    sheet, header_row = search.sheet, search.header_row
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for col, key, text in search.matches:
        if key in columns:
            raise RosterFileError(
                "duplicate_column", column=text, first_column=headers[key], row=header_row
            )
        columns[key] = col
        headers[key] = text
    cols = list(columns.items())

    rows: list[tuple[int, dict[str, object]]] = []
    filled: set[int] = set()  # row numbers of non-blank rows, for merged fill-down
    # Blank rows seen since the last non-blank one: (first, stop, values or None when the file
    # omits them). Kept only up to blank_budget rows; trailing ones are dropped at the end.
    pending: list[tuple[int, int, Cells | None]] = []
    pending_size = 0
    blank_budget = limits.max_rows
    count = 0
    formula_at: tuple[int, str] | None = None
    formula_count = 0
    expected = header_row + 1

    it = search.rows
    for row_number, values, formulas in it:
        if row_number > expected and pending_size < blank_budget:
            stop = min(row_number, expected + blank_budget - pending_size)
            pending.append((expected, stop, None))  # rows absent from the file (xlsx)
            pending_size += stop - expected
        expected = row_number + 1
        record = _record(values, cols)
        if all(_is_blank(value) for value in record.values()):
            if pending_size < blank_budget:
                pending.append((row_number, row_number + 1, values))
                pending_size += 1
            continue
        count += 1
        if count > limits.max_rows:
            _too_many_rows(sheet, it, cols, count, header_row, limits.max_rows)
        for key, value in record.items():
            if isinstance(value, str) and _CELL_CONTROL.search(value):
                raise RosterFileError("control_character", row=row_number, column=headers[key])
        for first, stop, blank_values in pending:
            for number in range(first, stop):
                rows.append((number, _record(blank_values or (), cols)))
        blank_budget -= pending_size
        pending.clear()
        pending_size = 0
        rows.append((row_number, record))
        filled.add(row_number)
        if formulas:
            for key, col in cols:
                if col in formulas:
                    formula_count += 1
                    if formula_at is None:
                        formula_at = (row_number, headers[key])

    merges = sheet.merges()
    _check_merged_header(merges, header_row)
    if formula_at is not None:
        raise RosterFileError(
            "formula", row=formula_at[0], column=formula_at[1], count=formula_count
        )
    _fill_merged(rows, merges, filled, header_row, columns)
    return Table(
        header_row=header_row,
        columns=columns,
        rows=rows,
        headers=headers,
        sheet=sheet.name,
        format=sheet.format,
    )


def _record(values: Cells, cols: list[tuple[str, int]]) -> dict[str, object]:
    """The matched cells of a row; an empty string is an empty cell (None) in every format."""
    width = len(values)
    record = {}
    for key, col in cols:
        value = values[col] if col < width else None
        record[key] = None if value == "" else value
    return record


def _too_many_rows(sheet, it, cols, count, header_row, max_rows):
    if sheet.exact_count:
        for _row_number, values, _formulas in it:
            width = len(values)
            if not all(_is_blank(values[col]) for _, col in cols if col < width):
                count += 1
        raise RosterFileError("too_many_rows", max_rows=max_rows, rows=count, exact=True)
    it.close()
    last = sheet.estimated_last_row()
    estimate = max(count, last - header_row) if last else count
    raise RosterFileError("too_many_rows", max_rows=max_rows, rows=estimate, exact=False)


def _fill_merged(rows, merges, filled, header_row, columns):
    """A merged range below the header gives its value to the rows it spans, in its column."""
    key_of = {col: key for key, col in columns.items()}
    by_number = None
    for merge in merges:
        key = key_of.get(merge.first_col)
        if merge.first_row <= header_row or merge.last_row == merge.first_row or key is None:
            continue
        if by_number is None:
            by_number = dict(rows)
        top = by_number.get(merge.first_row)
        if top is None or _is_blank(top[key]):
            continue
        for number in range(merge.first_row + 1, merge.last_row + 1):
            record = by_number.get(number)
            if record is not None and number in filled and record[key] is None:
                record[key] = top[key]


# --------------------------------------------------------------------------- xlsx


def _read_xlsx(data: bytes, limits: _Limits, max_bytes: int) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception as exc:  # BadZipFile, NotImplementedError (odd versions), OSError …
        # Truncated or damaged: the central directory is gone, the local headers remain.
        names = _local_zip_names(data)
        if not names or any(n.startswith(("xl/", "[Content_Types].xml")) for n in names):
            raise RosterFileError("corrupt", format="xlsx") from exc
        raise RosterFileError("not_spreadsheet", kind=_zip_kind(names, None)) from exc

    names = {info.filename for info in infos}
    content_types = b""
    if "[Content_Types].xml" in names:
        info = archive.getinfo("[Content_Types].xml")
        if info.file_size > 1024 * 1024:
            raise RosterFileError("corrupt", format="xlsx")
        try:
            content_types = archive.read(info)
        except Exception as exc:  # CRC error, bad compression …
            raise RosterFileError("corrupt", format="xlsx") from exc
    if not any(t in content_types for t in _WORKBOOK_TYPES):
        if "xl/workbook.xml" in names:
            raise RosterFileError("corrupt", format="xlsx")
        raise RosterFileError("not_spreadsheet", kind=_zip_kind(names, archive))
    if sum(info.file_size for info in infos) > _UNPACKED_FACTOR * max_bytes:
        raise RosterFileError(
            "too_large", max_mb=_megabytes(max_bytes), size_mb=_megabytes(len(data)), unpacked=True
        )

    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=False, keep_links=False
        )
    except Exception as exc:  # openpyxl raises anything from KeyError to XML errors
        raise RosterFileError("corrupt", format="xlsx") from exc
    try:
        worksheets = workbook.worksheets
        visible = [ws for ws in worksheets if ws.sheet_state == "visible"] or worksheets
        return _build((_XlsxSheet(workbook, ws) for ws in visible), limits)
    finally:
        workbook.close()


class _XlsxSheet(_Sheet):
    format = "xlsx"
    exact_count = False  # counting beyond max_rows means parsing the whole sheet

    def __init__(self, workbook, worksheet):
        self.workbook = workbook
        self.worksheet = worksheet
        self.name = worksheet.title
        self._merges: list[_Merge] | None = None  # known once the sheet has been streamed

    def rows(self) -> Iterator[SourceRow]:
        workbook, worksheet = self.workbook, self.worksheet
        try:
            with worksheet._get_source() as source:
                parser = _SheetParser(
                    source,
                    worksheet._shared_strings,
                    data_only=False,
                    epoch=workbook.epoch,
                    date_formats=workbook._date_formats,
                    timedelta_formats=workbook._timedelta_formats,
                )
                for row_number, cells in parser.parse():
                    if not cells:
                        continue
                    values: list[object] = [None] * max(cell["column"] for cell in cells)
                    formulas = None
                    for cell in cells:
                        col = cell["column"] - 1
                        values[col] = cell["value"]
                        if cell["data_type"] == "f":  # "=…", ArrayFormula, DataTableFormula
                            formulas = (formulas or frozenset()) | {col}
                    yield row_number, values, formulas
                merged = parser.merged_cells.mergeCell if parser.merged_cells else []
                self._merges = [_merge_from_ref(m.ref) for m in merged if m.ref]
        except Exception as exc:  # damaged XML or zip member, bad shared string index …
            raise RosterFileError("corrupt", format="xlsx") from exc

    def merges(self) -> list[_Merge]:
        if self._merges is None:  # <mergeCells> follows <sheetData>: stream to the end
            for _row in self.rows():
                pass
        return self._merges

    def estimated_last_row(self) -> int | None:
        return self.worksheet.max_row  # from the sheet's <dimension>, when present


class _SheetParser(WorkSheetParser):
    """openpyxl's parser, with a fast path for rows whose cells are all empty.

    Formatting a range (borders down to row 100,000) writes a <c s="1"/> per cell; parsing
    each of them costs ~5 µs. A cell with no child element (<v>, <f>, <is>) has no value.
    """

    def parse_row(self, row):
        if any(len(cell) for cell in row):
            return super().parse_row(row)
        number = row.get("r")
        if number is None or not number.isdigit():
            return super().parse_row(row)
        self.row_counter = int(number)
        return self.row_counter, []


def _merge_from_ref(ref: str) -> _Merge:
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return _Merge(min_row, min_col - 1, max_row, max_col - 1)


def _local_zip_names(data: bytes, limit: int = 64) -> list[str]:
    names = []
    position = data.find(b"PK\x03\x04")
    while position != -1 and len(names) < limit:
        header = data[position : position + 30]
        if len(header) < 30:
            break
        length = int.from_bytes(header[26:28], "little")
        name = data[position + 30 : position + 30 + length]
        if len(name) == length:
            names.append(name.decode("utf-8", "replace"))
        position = data.find(b"PK\x03\x04", position + 30)
    return names


def _zip_kind(names, archive: zipfile.ZipFile | None) -> str:
    names = set(names)
    if "mimetype" in names and archive is not None:
        try:
            mimetype = archive.read("mimetype")[:100]
        except Exception:
            mimetype = b""
        return "ods" if b"spreadsheet" in mimetype else "office"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if any(n.startswith("Index/") for n in names):
        return "numbers"
    if any(n.startswith(("word/", "ppt/", "content.xml")) for n in names):
        return "office"
    return "archive"


# --------------------------------------------------------------------------- xls


def _read_xls(data: bytes, limits: _Limits) -> Table:
    sink = io.StringIO()  # xlrd writes warnings to a log file
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, logfile=sink)
    except xlrd.XLRDError as exc:
        message = str(exc)
        if "encrypted" in message.lower():
            raise RosterFileError("encrypted") from exc
        if "Can't find workbook" in message:
            # An OLE2 file without a workbook stream: a .doc, a .ppt — or an xlsx saved with a
            # password, which Office wraps in OLE2 as an EncryptedPackage stream.
            if _ENCRYPTED_PACKAGE in data:
                raise RosterFileError("encrypted") from exc
            raise RosterFileError("not_spreadsheet", kind="office") from exc
        raise RosterFileError("corrupt", format="xls") from exc
    except Exception as exc:  # CompDocError, struct.error, IndexError … on damaged files
        raise RosterFileError("corrupt", format="xls") from exc
    try:
        sheets = [book.sheet_by_index(i) for i in range(book.nsheets)]
        visible = [s for s in sheets if s.visibility == 0] or sheets
        return _build((_XlsSheet(book, s) for s in visible), limits)
    finally:
        book.release_resources()


_XLRD_ERRORS = xlrd.error_text_from_code


class _XlsSheet(_Sheet):
    format = "xls"

    def __init__(self, book, sheet):
        self.book = book
        self.sheet = sheet
        self.name = sheet.name

    def rows(self) -> Iterator[SourceRow]:
        sheet, datemode = self.sheet, self.book.datemode
        for r in range(sheet.nrows):
            types = sheet.row_types(r)
            raw = sheet.row_values(r)
            values: list[object] = [None] * len(raw)
            for c, (kind, value) in enumerate(zip(types, raw, strict=True)):
                if kind == xlrd.XL_CELL_TEXT:
                    values[c] = value or None
                elif kind == xlrd.XL_CELL_NUMBER:
                    values[c] = float(value)
                elif kind == xlrd.XL_CELL_DATE:
                    try:
                        values[c] = xlrd.xldate_as_datetime(value, datemode)
                    except (ValueError, OverflowError):
                        values[c] = float(value)
                elif kind == xlrd.XL_CELL_BOOLEAN:
                    values[c] = bool(value)
                elif kind == xlrd.XL_CELL_ERROR:
                    values[c] = _XLRD_ERRORS.get(value, "#ERROR")
            yield r + 1, values, None

    def merges(self) -> list[_Merge]:
        return [
            _Merge(rlo + 1, clo, rhi, chi - 1)
            for rlo, rhi, clo, chi in self.sheet.merged_cells
            if rhi > rlo and chi > clo
        ]


# --------------------------------------------------------------------------- csv


def _read_csv(data: bytes, ext: str, limits: _Limits) -> Table:
    text = _decode(data)
    if text is None:
        texty = b"\x00" not in data[:4096]
        kind = "encoding" if texty and ext in ("csv", "txt", "tsv") else "binary"
        raise RosterFileError("not_spreadsheet", kind=kind)
    head = text[:4096].lstrip().lower()
    if head.startswith("<"):
        # "xls" files exported by web systems are often an HTML table or Excel 2003 XML.
        markup = "html" if ("<html" in head or "<table" in head or "<!doctype" in head) else "xml"
        raise RosterFileError("not_spreadsheet", kind=markup)
    if not text.strip():
        raise RosterFileError("empty_file")

    sample = text[:_SNIFF_SAMPLE]
    if len(text) > _SNIFF_SAMPLE and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ","
    # The sniffer guesses from character counts; a title row or commas inside quoted fields
    # can fool it. The header settles it: take the first delimiter under which it is found.
    delimiters = [sniffed] + [d for d in _DELIMITERS if d != sniffed]
    return _build((_CsvSheet(text, d) for d in delimiters), limits)


def _decode(data: bytes) -> str | None:
    """Text in UTF-8 (with or without BOM), UTF-16 with BOM or GB18030; None if binary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    elif data.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:65536]
        if "\x00" in text or len(_CONTROL.findall(sample)) > len(sample) // 200:
            return None
        return text
    return None


class _CsvSheet(_Sheet):
    format = "csv"

    def __init__(self, text: str, delimiter: str):
        self.text = text
        self.delimiter = delimiter

    def rows(self) -> Iterator[SourceRow]:
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        try:
            # A record, not a line, is a row: Excel shows a quoted multi-line cell in one row.
            for number, values in enumerate(reader, 1):
                if any(values):  # an empty row is left out: the caller sees it as blank
                    yield number, values, None
        except csv.Error as exc:  # e.g. a field over csv.field_size_limit()
            raise RosterFileError("corrupt", format="csv") from exc


__all__ = ["ERROR_CODES", "RosterFileError", "Table", "read_table"]
