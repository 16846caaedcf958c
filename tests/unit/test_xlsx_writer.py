"""The plain .xlsx writer for big exports: what openpyxl reads back is what was written."""

import io
import warnings
from datetime import date, datetime
from decimal import Decimal

import openpyxl

from people import xlsx_writer


def read(content: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a malformed part makes openpyxl warn
        return openpyxl.load_workbook(io.BytesIO(content))


def rows(sheet):
    return list(sheet.iter_rows(values_only=True))


def test_values_of_each_type_read_back():
    book = read(
        xlsx_writer.workbook(
            [
                (
                    "明细",
                    [
                        ["姓名", "学时", "完成日期"],
                        ["张晓梅", 12, date(2026, 3, 1)],
                        ["王二", Decimal("2.5"), datetime(2026, 11, 27, 15, 30)],
                        ["", None, True],
                    ],
                )
            ]
        )
    )
    assert book.sheetnames == ["明细"]
    assert rows(book.active) == [
        ("姓名", "学时", "完成日期"),
        ("张晓梅", 12, datetime(2026, 3, 1)),
        ("王二", 2.5, datetime(2026, 11, 27)),
        (None, None, True),  # an empty text is an empty cell
    ]


def test_text_is_escaped_and_control_characters_are_dropped():
    book = read(xlsx_writer.workbook([("a", [["<b>&amp;</b>", "前\x01后\x1f", " 空格 "]])]))
    assert rows(book.active) == [("<b>&amp;</b>", "前后", " 空格 ")]


def test_several_sheets_keep_their_order_and_get_legal_names():
    title = "一个很长很长的工作表名称：有冒号/斜杠[方括号]?*，超过三十一个字符的部分会被截掉"
    book = read(xlsx_writer.workbook([("汇总", [["x"]]), (title, [[1], [], [2]])]))
    assert book.sheetnames[0] == "汇总"
    name = book.sheetnames[1]
    assert len(name) == 31 and not set(name) & set("[]:*?/\\")
    assert rows(book.worksheets[1]) == [(1,), (None,), (2,)]


def test_a_hundred_thousand_rows_are_written():
    content = xlsx_writer.workbook([("big", ([n, f"第{n}行"] for n in range(100_000)))])
    sheet = read(content).active
    assert sheet.max_row == 100_000
    assert sheet.cell(row=100_000, column=2).value == "第99999行"
