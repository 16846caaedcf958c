"""The roster file reader, on real files built in memory (tests/unit/roster_files.py)."""

import io
import pickle
import re
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.formula import ArrayFormula

from people.roster import reader
from people.roster.reader import ERROR_CODES, RosterFileError, Table, read_table

from . import roster_files as rf

ROOT = Path(__file__).resolve().parents[2]
FULL_KEYS = list(rf.HEADER_KEYS.values())


def read(data: bytes, filename: str, **kwargs) -> Table:
    kwargs.setdefault("match_header", rf.match_header)
    kwargs.setdefault("required", rf.REQUIRED)
    return read_table(data, filename, **kwargs)


def refused(data: bytes, filename: str, **kwargs) -> RosterFileError:
    with pytest.raises(RosterFileError) as caught:
        read(data, filename, **kwargs)
    assert caught.value.code in ERROR_CODES
    return caught.value


def make(fmt: str, rows: list[list], **kwargs) -> tuple[bytes, str]:
    """The same rows as an xlsx, an xls or a CSV (values as text, as Excel writes them)."""
    if fmt == "xlsx":
        return rf.xlsx_bytes(rows, **kwargs), "花名册.xlsx"
    if fmt == "xls":
        return rf.xls_bytes(rows, **kwargs), "花名册.xls"
    assert not kwargs, "CSV has no merged cells"
    return rf.csv_bytes(rows), "花名册.csv"


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def data_rows(table: Table) -> list[tuple[int, dict]]:
    """What the caller keeps: rows with a value in some matched column."""
    return [(n, row) for n, row in table.rows if not all(map(is_blank, row.values()))]


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_header_in_row_one(fmt):
    data, name = make(fmt, [rf.HEADERS, *rf.workers(3, as_text=fmt == "csv")])
    table = read(data, name)
    assert table.header_row == 1
    assert table.columns == {key: i for i, key in enumerate(FULL_KEYS)}
    assert table.headers == {key: text for text, key in rf.HEADER_KEYS.items()}
    assert [n for n, _ in table.rows] == [2, 3, 4]
    assert [row["name"] for _, row in table.rows] == ["工作者1", "工作者2", "工作者3"]
    assert table.format == fmt
    assert table.sheet == (None if fmt == "csv" else "花名册")


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_header_below_a_merged_title_row(fmt):
    data, name = make(fmt, [[rf.TITLE], rf.HEADERS, *rf.workers(2)], merges=("A1:G1",))
    table = read(data, name)
    assert table.header_row == 2
    assert [n for n, _ in table.rows] == [3, 4]
    assert table.rows[0][1]["id_number"] == "110101199001010001"


def test_csv_title_row_with_the_trailing_commas_excel_writes():
    rows = [
        [rf.TITLE, "", "", ""],
        ["制表单位：东湖街道"],
        rf.HEADERS,
        *rf.workers(1, as_text=True),
    ]
    table = read(rf.csv_bytes(rows), "花名册.csv")
    assert table.header_row == 3
    assert table.rows == [(4, dict(zip(FULL_KEYS, rf.worker(1, as_text=True), strict=True)))]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_reordered_headers_and_extra_columns(fmt):
    rows = [
        ["序号", "手机号", "备注", "姓名", "性别", "身份证号"],
        [1, "13812345678", "新入职", "李四", "女", "110101199001011234"],
    ]
    data, name = make(fmt, rows)
    table = read(data, name)
    assert table.columns == {"phone": 1, "name": 3, "id_number": 5}
    assert table.rows == [
        (2, {"phone": "13812345678", "name": "李四", "id_number": "110101199001011234"})
    ]


def test_the_matcher_gets_the_header_text_as_written():
    seen = []

    def matcher(text):
        seen.append(text)
        return rf.match_header(text)

    rows = [[" 姓名 ", "手机号\n", "身份证号"], ["王五", "13812345678", "x"]]
    table = read(rf.xlsx_bytes(rows), "r.xlsx", match_header=matcher)
    assert " 姓名 " in seen and "手机号\n" in seen
    assert table.headers["name"] == " 姓名 "


def test_header_is_searched_in_the_first_rows_only():
    rows = [["说明"]] * 24 + [rf.HEADERS, rf.worker(1)]
    assert refused(rf.xlsx_bytes(rows), "r.xlsx").code == "no_header"
    assert read(rf.xlsx_bytes(rows), "r.xlsx", header_search_rows=30).header_row == 25


def test_the_first_visible_sheet_with_a_header_is_read():
    instructions = ("填表说明", [["请按模板填写"], ["身份证号请填写 18 位"]], "visible")
    old_roster = ("旧名单", [rf.HEADERS, rf.worker(99)], "hidden")
    data = rf.xlsx_bytes([rf.HEADERS, rf.worker(1)], before=(instructions, old_roster))
    table = read(data, "r.xlsx")
    assert table.sheet == "花名册"
    assert [row["name"] for _, row in table.rows] == ["工作者1"]


def test_the_name_does_not_decide_the_format():
    xlsx = rf.xlsx_bytes([rf.HEADERS, rf.worker(1)])
    assert read(xlsx, "花名册.csv").format == "xlsx"
    assert read(xlsx, "花名册.xlsm").format == "xlsx"
    # Web systems often export a CSV and call it .xls.
    csv_data = rf.csv_bytes([rf.HEADERS, rf.worker(1, as_text=True)])
    assert read(csv_data, "导出.xls").format == "csv"


# --------------------------------------------------------------------------- CSV encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(encoding):
    name = "㐀欣" if encoding in ("utf-8", "utf-8-sig", "gb18030") else "欧阳欣"
    rows = [rf.HEADERS, [name, "13812345678", "11010119900101123X", "东湖社区"]]
    data = rf.csv_bytes(rows, encoding=encoding)
    table = read(data, "r.csv")
    assert table.rows[0][1]["name"] == name
    assert table.rows[0][1]["id_number"] == "11010119900101123X"
    assert table.headers["name"] == "姓名"  # no BOM left on the first header


def test_gb18030_is_needed_for_rare_characters():
    # The point of trying GB18030 rather than GBK: GBK cannot write 㐀 (CJK Extension A).
    with pytest.raises(UnicodeEncodeError):
        "㐀".encode("gbk")
    data = rf.csv_bytes([rf.HEADERS, ["㐀", "13812345678", "x"]], encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read(data, "r.csv").rows[0][1]["name"] == "㐀"


def test_utf16_text_as_excel_saves_unicode_text():
    data = rf.csv_bytes([rf.HEADERS, rf.worker(1, as_text=True)], encoding="utf-16", delimiter="\t")
    assert data[:2] == b"\xff\xfe"
    assert read(data, "r.txt").rows[0][1]["name"] == "工作者1"


@pytest.mark.parametrize("delimiter", ["\t", ";", ","])
def test_csv_delimiters(delimiter):
    rows = [rf.HEADERS, ["赵六", "13812345678", "x", "东湖社区, 二组"], rf.worker(2, as_text=True)]
    table = read(rf.csv_bytes(rows, delimiter=delimiter), "r.csv")
    assert table.columns["community"] == 3
    assert table.rows[0][1]["community"] == "东湖社区, 二组"
    assert len(table.rows) == 2


def test_delimiter_the_sniffer_gets_wrong_is_settled_by_the_header():
    # Many semicolons inside quoted cells and a single header row: the header decides.
    rows = [["姓名", "手机号", "身份证号"]] + [[f"甲;乙;丙;{i}", "1", "2"] for i in range(5)]
    table = read(rf.csv_bytes(rows), "r.csv")
    assert table.rows[0][1]["name"] == "甲;乙;丙;0"


def test_csv_cells_stay_text_and_empty_cells_are_none():
    data = "姓名,手机号,身份证号,入职日期\r\n周七,013800000000,,2024-03-01\r\n吴八\r\n".encode()
    table = read(data, "r.csv", required=["name"])
    assert table.rows == [
        (2, {"name": "周七", "phone": "013800000000", "id_number": None, "joined": "2024-03-01"}),
        (3, {"name": "吴八", "phone": None, "id_number": None, "joined": None}),
    ]


# --------------------------------------------------------------------------- cell values


def test_xlsx_keeps_datetimes_and_numbers():
    rows = [
        rf.HEADERS,
        [
            "郑九",
            13812345678,
            110101199001011234,
            "东湖社区",
            "网格员",
            7.5,
            datetime(2023, 9, 1, 8, 30),
        ],
    ]
    row = read(rf.xlsx_bytes(rows), "r.xlsx").rows[0][1]
    assert row["phone"] == 13812345678 and isinstance(row["phone"], int)
    # An ID number typed as a number is a float past 15 digits: precision is already lost in
    # the file, and the rules module has to refuse it.
    assert isinstance(row["id_number"], float)
    assert row["staff_no"] == 7.5
    assert row["joined"] == datetime(2023, 9, 1, 8, 30)


def test_xls_converts_date_cells_and_keeps_numbers_as_float():
    rows = [
        rf.HEADERS,
        ["钱十", 13812345678, "110101199001011234", None, "网格员", 12, datetime(2021, 6, 30)],
    ]
    row = read(rf.xls_bytes(rows), "r.xls").rows[0][1]
    assert row["joined"] == datetime(2021, 6, 30)
    assert row["phone"] == 13812345678.0 and isinstance(row["phone"], float)
    assert row["staff_no"] == 12.0
    assert row["community"] is None
    assert row["id_number"] == "110101199001011234"


# --------------------------------------------------------------------------- rows


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_blank_rows_inside_are_kept_and_trailing_ones_dropped(fmt):
    blank = [None] * 7
    numbered_only = [None] * 7 + [42]  # a template's pre-filled 序号 in an extra column
    rows = [
        rf.HEADERS + ["序号"],
        rf.worker(1, as_text=True),
        blank,
        [" ", "\u3000"] + [None] * 5,  # whitespace only counts as blank
        rf.worker(2, as_text=True),
        numbered_only,
        blank,
        numbered_only,
    ]
    data, name = make(fmt, rows)
    table = read(data, name)
    assert [n for n, _ in table.rows] == [2, 3, 4, 5]
    assert [n for n, _ in data_rows(table)] == [2, 5]
    assert set(table.rows[1][1].values()) == {None}
    assert table.rows[2][1]["name"] == " "  # raw values, even in a blank row


def test_rows_missing_from_the_xlsx_are_blank_rows():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(rf.HEADERS)
    sheet.append(rf.worker(1))
    for col, value in enumerate(rf.worker(2), 1):
        sheet.cell(row=6, column=col, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read(buffer.getvalue(), "r.xlsx")
    assert [n for n, _ in table.rows] == [2, 3, 4, 5, 6]
    assert table.rows[1] == (3, dict.fromkeys(FULL_KEYS))


def test_blank_rows_kept_are_capped_but_no_data_is_lost():
    rows = [rf.HEADERS, rf.worker(1, as_text=True)] + [[]] * 30 + [rf.worker(2, as_text=True)]
    table = read(rf.csv_bytes(rows), "r.csv", max_rows=10)
    assert [n for n, _ in data_rows(table)] == [2, 33]
    assert len(table.rows) == 2 + 10


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_vertically_merged_cell_gives_its_value_to_the_rows_it_spans(fmt):
    rows = [rf.HEADERS, *rf.workers(4), [None] * 7, rf.worker(5)]
    rows[1][3] = "西湖社区"
    for row in rows[2:4]:
        row[3] = None
    rows[4][3] = "北湖社区"
    # D2:D4: 西湖社区 for three workers. D5:D6 runs into a blank row, which stays blank.
    data, name = make(fmt, rows, merges=("D2:D4", "D5:D6"))
    table = read(data, name)
    communities = [row["community"] for _, row in table.rows]
    assert communities == ["西湖社区"] * 3 + ["北湖社区", None, "东湖社区"]
    assert [n for n, _ in data_rows(table)] == [2, 3, 4, 5, 7]


# --------------------------------------------------------------------------- whole-file errors


def test_empty_file():
    assert refused(b"", "r.xlsx").code == "empty_file"
    assert refused(b"\xef\xbb\xbf\r\n \r\n", "r.csv").code == "empty_file"
    assert refused(rf.xlsx_bytes([]), "r.xlsx").code == "empty_file"


@pytest.mark.parametrize(
    "data, filename, kind",
    [
        (rf.png_bytes(), "花名册.xlsx", "image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "花名册.xlsx", "pdf"),
        (rf.random_bytes(), "花名册.xls", "binary"),
        (rf.random_bytes(), "花名册.xlsx", "binary"),
        (rf.random_bytes(), "花名册.csv", "binary"),
        (rf.zip_bytes({"花名册.txt": "姓名,手机号".encode()}), "花名册.xlsx", "archive"),
        (
            rf.zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
            "花名册.xlsx",
            "office",
        ),
        (
            rf.zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
            "花名册.ods",
            "ods",
        ),
        (rf.zip_bytes({"Index/Document.iwa": b"\x00" * 10}), "花名册.numbers", "numbers"),
        (rf.cfb_bytes({"WordDocument": b"\x00" * 100}), "花名册.xls", "office"),
        (b"<html><body><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table>", "r.xls", "html"),
        (
            b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
            "r.xls",
            "xml",
        ),
    ],
)
def test_not_a_spreadsheet(data, filename, kind):
    error = refused(data, filename)
    assert (error.code, error.params) == ("not_spreadsheet", {"kind": kind})


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_xlsx_is_corrupt(fraction):
    data = rf.xlsx_bytes([rf.HEADERS, *rf.workers(50)])
    error = refused(data[: int(len(data) * fraction)], "r.xlsx")
    assert (error.code, error.params) == ("corrupt", {"format": "xlsx"})


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.9])
def test_truncated_xls_is_corrupt(fraction):
    data = rf.xls_bytes([rf.HEADERS, *rf.workers(200)])
    error = refused(data[: int(len(data) * fraction)], "r.xls")
    assert (error.code, error.params) == ("corrupt", {"format": "xls"})


def test_xlsx_with_a_damaged_sheet_is_corrupt():
    source = zipfile.ZipFile(io.BytesIO(rf.xlsx_bytes([rf.HEADERS, rf.worker(1)])))
    members = {name: source.read(name) for name in source.namelist()}
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"][:-40]
    assert refused(rf.zip_bytes(members), "r.xlsx").code == "corrupt"


def test_zip_with_a_workbook_part_but_no_content_types_is_corrupt():
    source = zipfile.ZipFile(io.BytesIO(rf.xlsx_bytes([rf.HEADERS, rf.worker(1)])))
    members = {n: source.read(n) for n in source.namelist() if n != "[Content_Types].xml"}
    assert refused(rf.zip_bytes(members), "r.xlsx").code == "corrupt"


def test_password_protected_workbooks():
    assert refused(rf.encrypted_xlsx_bytes(), "花名册.xlsx").code == "encrypted"
    assert refused(rf.encrypted_xls_bytes([rf.HEADERS, rf.worker(1)]), "花名册.xls").code == (
        "encrypted"
    )
    # The same OLE2 writer around an unencrypted stream is a readable xls: the test file is real.
    plain = rf.cfb_bytes({"Workbook": rf.xls_biff_stream([rf.HEADERS, rf.worker(1)])})
    assert read(plain, "r.xls").rows[0][1]["name"] == "工作者1"


def test_too_large():
    data = rf.csv_bytes([rf.HEADERS, *rf.workers(100, as_text=True)])
    error = refused(data, "r.csv", max_bytes=len(data) - 1)
    assert error.code == "too_large"
    assert set(error.params) == {"max_mb", "size_mb"}
    assert read(data, "r.csv", max_bytes=len(data)).rows


def test_xlsx_that_unpacks_to_far_more_than_the_limit_is_too_large():
    source = zipfile.ZipFile(io.BytesIO(rf.xlsx_bytes([rf.HEADERS, rf.worker(1)])))
    members = {name: source.read(name) for name in source.namelist()}
    members["xl/media/padding.bin"] = b"\x00" * (25 * 1024 * 1024)  # deflates to ~25 KB
    data = rf.zip_bytes(members)
    error = refused(data, "r.xlsx", max_bytes=1024 * 1024)
    assert error.code == "too_large" and error.params["unpacked"] is True
    assert read(data, "r.xlsx", max_bytes=3 * 1024 * 1024).rows


# --------------------------------------------------------------------------- header errors


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_no_header(fmt):
    data, name = make(fmt, [["社区工作者名单"], ["张三", "13812345678"], ["姓名"]])
    error = refused(data, name)
    assert (error.code, error.params) == ("no_header", {"searched_rows": 20})


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_missing_required_columns(fmt):
    rows = [[rf.TITLE], ["姓名", "所属社区"], ["姓名", "手机号", "岗位"], ["张三", "138", "网格员"]]
    data, name = make(fmt, rows)
    error = refused(data, name)
    assert error.code == "missing_columns"
    assert error.params == {"columns": ["id_number"], "row": 3}


def test_missing_columns_are_listed_in_the_order_required():
    data = rf.csv_bytes([["岗位", "所属社区"], ["网格员", "东湖社区"]])
    error = refused(data, "r.csv", required=["id_number", "name", "community"])
    assert error.params["columns"] == ["id_number", "name"]


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_duplicate_column(fmt):
    def matcher(text):
        return "phone" if text == "联系电话" else rf.match_header(text)

    rows = [["姓名", "手机号", "身份证号", "联系电话"], ["张三", "138", "x", "139"]]
    data, name = make(fmt, rows)
    error = refused(data, name, match_header=matcher)
    assert error.code == "duplicate_column"
    assert error.params == {"column": "联系电话", "first_column": "手机号", "row": 1}


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_merged_header_cell(fmt):
    rows = [[rf.TITLE], rf.HEADERS, rf.worker(1)]
    # 姓名 merged down over two rows, as in a two-level header.
    data, name = make(fmt, rows + [rf.worker(2)], merges=("A1:G1", "A2:A3"))
    error = refused(data, name)
    assert (error.code, error.params) == ("merged_header", {"row": 2, "ref": "A2:A3"})


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_two_level_header_is_reported_as_merged_not_as_missing_columns(fmt):
    rows = [
        ["姓名", "手机号", "证件信息", None],
        [None, None, "身份证号", "护照号"],
        ["张三", "13812345678", "110101199001011234", None],
    ]
    data, name = make(fmt, rows, merges=("A1:A2", "B1:B2", "C1:D1"))
    error = refused(data, name)
    assert (error.code, error.params) == ("merged_header", {"row": 1, "ref": "A1:A2"})


def test_merged_cells_below_the_header_row_are_fine():
    rows = [rf.HEADERS, rf.worker(1), ["以下空白"]]
    table = read(rf.xlsx_bytes(rows, merges=("A3:G3",)), "r.xlsx")
    assert [row["name"] for _, row in table.rows] == ["工作者1", "以下空白"]


# --------------------------------------------------------------------------- formulas


def test_formula_cell_is_refused():
    rows = [rf.HEADERS, rf.worker(1), rf.worker(2)]
    workbook = openpyxl.load_workbook(io.BytesIO(rf.xlsx_bytes(rows)))
    workbook.active["B3"] = "=A1&A2"
    workbook.active["F3"] = "=ROW()"
    buffer = io.BytesIO()
    workbook.save(buffer)
    error = refused(buffer.getvalue(), "r.xlsx")
    assert (error.code, error.params) == ("formula", {"row": 3, "column": "手机号", "count": 2})


def test_array_formula_is_refused():
    rows = [rf.HEADERS, rf.worker(1)]
    workbook = openpyxl.load_workbook(io.BytesIO(rf.xlsx_bytes(rows)))
    workbook.active["C2"] = ArrayFormula("C2", "=UPPER(A2:A2)")
    buffer = io.BytesIO()
    workbook.save(buffer)
    error = refused(buffer.getvalue(), "r.xlsx")
    assert (error.code, error.params["row"], error.params["column"]) == ("formula", 2, "身份证号")


def test_formula_outside_the_matched_columns_is_ignored():
    rows = [rf.HEADERS + ["备注"], rf.worker(1) + ["=LEN(A2)"]]
    assert read(rf.xlsx_bytes(rows), "r.xlsx").rows[0][1]["name"] == "工作者1"


# --------------------------------------------------------------------------- row limit


def test_200000_row_csv_is_refused_with_the_exact_count():
    error = refused(rf.big_csv_bytes(200_000), "big.csv")
    assert error.code == "too_many_rows"
    assert error.params == {"max_rows": 20_000, "rows": 200_000, "exact": True}


def test_big_xlsx_is_refused_before_it_is_read_to_the_end():
    data = rf.xlsx_bytes([rf.HEADERS, *rf.workers(60)])
    error = refused(data, "big.xlsx", max_rows=50)
    # Streaming stops at row 51; the count comes from the sheet's own dimension record.
    assert error.params == {"max_rows": 50, "rows": 60, "exact": False}


def test_big_xls_is_refused_with_the_exact_count():
    error = refused(rf.xls_bytes([rf.HEADERS, *rf.workers(60)]), "big.xls", max_rows=50)
    assert error.params == {"max_rows": 50, "rows": 60, "exact": True}


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv"])
def test_blank_rows_do_not_count_towards_the_limit(fmt):
    rows = [rf.HEADERS, *rf.workers(25, as_text=True), [], *rf.workers(25, as_text=True)]
    data, name = make(fmt, rows + [[None] * 7] * 40)
    table = read(data, name, max_rows=50)
    assert len(data_rows(table)) == 50
    assert len(table.rows) == 51


# --------------------------------------------------------------------------- robustness


FILENAMES = st.sampled_from(["r.xlsx", "r.xls", "r.csv", "r.et", "r"])


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=2048), filename=FILENAMES)
def test_arbitrary_bytes_give_a_table_or_a_roster_file_error(data, filename):
    try:
        read(data, filename)
    except RosterFileError as error:
        assert error.code in ERROR_CODES


GOOD_FILES = {
    "xlsx": rf.xlsx_bytes([[rf.TITLE], rf.HEADERS, *rf.workers(5)], merges=("A1:G1",)),
    "xls": rf.xls_bytes([[rf.TITLE], rf.HEADERS, *rf.workers(5)], merges=("A1:G1",)),
    "csv": rf.csv_bytes([rf.HEADERS, *rf.workers(5, as_text=True)], encoding="gbk"),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(sorted(GOOD_FILES)), st_data=st.data())
def test_damaged_real_files_give_a_table_or_a_roster_file_error(fmt, st_data):
    data = bytearray(GOOD_FILES[fmt])
    for _ in range(st_data.draw(st.integers(1, 8))):
        position = st_data.draw(st.integers(0, len(data) - 1))
        data[position] = st_data.draw(st.integers(0, 255))
    cut = st_data.draw(st.integers(1, len(data)))
    try:
        read(bytes(data[:cut]), f"r.{fmt}")
    except RosterFileError as error:
        assert error.code in ERROR_CODES


CELL_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)


@settings(max_examples=100, deadline=None)
@given(
    cells=st.lists(
        st.tuples(CELL_TEXT.filter(lambda s: s.strip()), CELL_TEXT, CELL_TEXT),
        min_size=1,
        max_size=8,
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    delimiter=st.sampled_from([",", "\t", ";"]),
)
def test_csv_round_trip(cells, encoding, delimiter):
    data = rf.csv_bytes(
        [["姓名", "手机号", "身份证号"], *cells], encoding=encoding, delimiter=delimiter
    )
    table = read(data, "r.csv")
    expected = [{"name": a, "phone": b or None, "id_number": c or None} for a, b, c in cells]
    assert [row for _, row in table.rows] == expected
    assert [n for n, _ in table.rows] == list(range(2, 2 + len(cells)))


# --------------------------------------------------------------------------- the error type


def test_roster_file_error_carries_code_and_params_and_survives_pickling():
    error = RosterFileError("formula", row=3, column="手机号", count=1)
    assert (error.code, error.params) == ("formula", {"row": 3, "column": "手机号", "count": 1})
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.params) == (error.code, error.params)
    assert "formula" in str(error)


def test_reader_does_not_import_django():
    source = Path(reader.__file__).read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+django\b", source, re.MULTILINE)
    probe = "import sys, people.roster.reader; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], cwd=ROOT).returncode == 0
