"""people.uploads: the content of a file, from its bytes, against the extension of its name."""

import io
import zipfile

import pytest

from people.uploads import EXPECTED, kind_of, matches

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["姓名", "手机号"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


DOCX = zipped("[Content_Types].xml", "_rels/.rels", "word/document.xml")
PPTX = zipped("[Content_Types].xml", "ppt/presentation.xml")
PLAIN_ZIP = zipped("说明.txt", "图片/a.png")
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
CSV_UTF8 = "姓名,手机号\n张晓梅,13812345678\n".encode()
CSV_BOM = "\ufeff姓名,手机号\r\n张晓梅,13812345678\r\n".encode()
CSV_GB18030 = "姓名,手机号\n张晓梅,13812345678\n".encode("gb18030")
CSV_UTF16 = "姓名\t手机号\n张晓梅\t13812345678\n".encode("utf-16")
ENCRYPTED_XLSX = OLE2 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (OLE2, "ole2"),
        (DOCX, "docx"),
        (PPTX, "pptx"),
        (PLAIN_ZIP, "zip"),
        (MP4, "mp4"),
        (CSV_UTF8, "text"),
        (CSV_BOM, "text"),
        (CSV_GB18030, "text"),
        (CSV_UTF16, "text"),
        (EXE, None),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 50, None),
        (b"PK\x03\x04 not really a zip", None),
        (b"", None),
        (b"abc\x01\x02def", None),  # control characters: not text
        (b"\x80\xff\x80\xff abc", None),  # neither UTF-8 nor GB18030
    ],
)
def test_kind_of_content(data, kind):
    assert kind_of(io.BytesIO(data)) == kind


def test_real_spreadsheets_as_the_roster_tests_make_them():
    from tests.unit import roster_files as files

    rows = [["姓名", "手机号"], ["张晓梅", "13812345678"]]
    assert kind_of(io.BytesIO(xlsx_bytes())) == "xlsx"
    assert matches("花名册.xls", files.xls_bytes(rows))
    assert matches("花名册.xls", files.cfb_bytes({"Workbook": files.xls_biff_stream(rows)}))
    assert matches("加密.xlsx", files.encrypted_xlsx_bytes())
    assert not matches("花名册.xlsx", files.xls_bytes(rows))  # an .xls renamed .xlsx
    for encoding in ("utf-8", "utf-8-sig", "gb18030", "utf-16"):
        assert matches("花名册.csv", files.csv_bytes(rows, encoding=encoding)), encoding


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("方案.pdf", PDF),
        ("方案.PDF", PDF),
        ("讲义.docx", DOCX),
        ("汇报.pptx", PPTX),
        ("花名册.xlsx", None),  # a real workbook, made below
        ("花名册.xls", OLE2),
        ("通知.doc", OLE2),
        ("通知.wps", OLE2),
        ("课件.ppt", OLE2),
        ("材料.zip", PLAIN_ZIP),
        ("材料.zip", DOCX),  # an Office file is a zip too
        ("课程.mp4", MP4),
        ("照片.jpg", JPEG),
        ("照片.jpeg", JPEG),
        ("截图.png", PNG),
        ("花名册.csv", CSV_UTF8),
        ("花名册.csv", CSV_GB18030),
        ("花名册.csv", CSV_UTF16),
        ("说明.txt", CSV_BOM),
        ("加密.xlsx", ENCRYPTED_XLSX),  # password-protected: the reader says so
        ("旧表.xls", b"\x09\x00\x04\x00" + b"\x00" * 20),  # bare BIFF, Excel 2–4
    ],
)
def test_content_that_matches_its_name(name, data):
    assert matches(name, data if data is not None else xlsx_bytes())


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("方案.pdf", EXE),
        ("花名册.xlsx", EXE),
        ("花名册.xls", EXE),
        ("花名册.csv", EXE),
        ("课程.mp4", EXE),
        ("照片.jpg", EXE),
        ("讲义.docx", EXE),
        ("方案.pdf", DOCX),
        ("讲义.docx", PPTX),  # an Office file of another kind
        ("讲义.docx", PLAIN_ZIP),  # a zip without [Content_Types].xml
        ("花名册.xlsx", OLE2),  # an .xls renamed, not an encrypted workbook
        ("花名册.xlsx", CSV_UTF8),
        ("花名册.csv", xlsx_bytes()),
        ("照片.jpg", PNG),
        ("截图.png", JPEG),
        ("说明.txt", PDF),
        ("网页.xls", b"<html><body><table><tr><td>1</td></tr></table>"),
        ("通知.doc", b"\x09\x00\x04\x00" + b"\x00" * 20),  # bare BIFF only for .xls
        ("没有扩展名", PDF),
        ("程序.exe", EXE),
    ],
)
def test_content_that_does_not_match_its_name(name, data):
    assert not matches(name, data)


def test_every_extension_has_a_content_rule_and_the_stream_is_rewound():
    from django.conf import settings

    assert set(settings.WAGTAILDOCS_EXTENSIONS) <= set(EXPECTED)
    stream = io.BytesIO(DOCX)
    stream.seek(7)
    assert kind_of(stream) == "docx" and stream.tell() == 0


def test_text_cut_inside_a_character_is_still_text():
    text = ("张晓梅,13812345678\n" * 10_000).encode()  # far longer than the sample read
    for cut in range(64 * 1024 - 3, 64 * 1024 + 1):
        assert kind_of(io.BytesIO(text[:cut] + b"x" * 10)) == "text"
