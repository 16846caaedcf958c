"""Real roster files, built in memory, for the reader tests.

xlsx through openpyxl, xls through xlwt, CSV through the csv module in any encoding, plus the
odd things people upload (a PNG, a zip, a password-protected workbook). Merged ranges are given
as A1 references ("A1:G1") for both spreadsheet formats.
"""

import csv
import io
import random
import struct
import zipfile
from datetime import date, datetime

import openpyxl
import xlwt
from openpyxl.utils.cell import range_boundaries

# The stand-in for rules.match_header: the reader takes the matcher as a parameter.
HEADER_KEYS = {
    "姓名": "name",
    "手机号": "phone",
    "身份证号": "id_number",
    "所属社区": "community",
    "岗位": "position",
    "工号": "staff_no",
    "入职日期": "joined",
}
HEADERS = list(HEADER_KEYS)
REQUIRED = ("name", "phone", "id_number")
TITLE = "青禾市东湖区社区工作者花名册"


def match_header(text: str) -> str | None:
    return HEADER_KEYS.get(text.strip())


def worker(i: int, *, as_text: bool = False) -> list:
    """One worker's row in HEADERS order; typed values unless as_text (CSV)."""
    row = [
        f"工作者{i}",
        13800000000 + i,
        f"11010119900101{i % 10000:04d}",
        "东湖社区",
        "网格员",
        f"W{i:06d}",
        datetime(2020, 1, 1),
    ]
    if as_text:
        row[1] = str(row[1])
        row[6] = "2020-01-01"
    return row


def workers(n: int, *, as_text: bool = False) -> list[list]:
    return [worker(i, as_text=as_text) for i in range(1, n + 1)]


# --------------------------------------------------------------------------- xlsx


def xlsx_bytes(
    rows: list[list],
    *,
    merges: tuple[str, ...] = (),
    title: str = "花名册",
    before: tuple[tuple[str, list[list], str], ...] = (),
) -> bytes:
    """A workbook whose roster sheet holds `rows` (row 1 first; None leaves a cell empty).

    `before` adds sheets in front of it: (title, rows, state) with state "visible" or "hidden".
    A str value starting with "=" becomes a formula (openpyxl's rule).
    """
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for sheet_title, sheet_rows, state in before:
        sheet = workbook.create_sheet(sheet_title)
        sheet.sheet_state = state
        _fill_xlsx(sheet, sheet_rows)
    sheet = workbook.create_sheet(title)
    _fill_xlsx(sheet, rows)
    for ref in merges:
        sheet.merge_cells(ref)
    workbook.active = len(before)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fill_xlsx(sheet, rows):
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)


# --------------------------------------------------------------------------- xls


def xls_bytes(rows: list[list], *, merges: tuple[str, ...] = (), title: str = "花名册") -> bytes:
    """An Excel 97–2003 workbook; dates and datetimes get a date format, as Excel writes them."""
    workbook = xlwt.Workbook(encoding="utf-8")
    _fill_xls(workbook.add_sheet(title), rows, merges)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls_biff_stream(rows: list[list]) -> bytes:
    """The raw BIFF8 'Workbook' stream of an xls, before xlwt wraps it in an OLE2 file."""
    workbook = xlwt.Workbook(encoding="utf-8")
    _fill_xls(workbook.add_sheet("花名册"), rows, ())
    return workbook.get_biff_data()


def _fill_xls(sheet, rows, merges):
    """Like openpyxl's merge_cells, a merged range keeps only its top-left value."""
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")

    def value_at(r, c):
        return rows[r][c] if r < len(rows) and c < len(rows[r]) else None

    def style_for(value):
        return date_style if isinstance(value, (date, datetime)) else xlwt.Style.default_style

    covered = set()
    for ref in merges:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        r1, r2, c1, c2 = min_row - 1, max_row - 1, min_col - 1, max_col - 1
        top_left = value_at(r1, c1)
        sheet.write_merge(r1, r2, c1, c2, "" if top_left is None else top_left, style_for(top_left))
        covered.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None and (r, c) not in covered:
                sheet.write(r, c, value, style_for(value))


# --------------------------------------------------------------------------- csv


def csv_bytes(rows: list[list], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    """CSV as Excel writes it; encoding "utf-8-sig" gives the BOM, "gbk" what Excel in China
    writes by default."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(
        [["" if v is None else str(v) for v in row] for row in rows]
    )
    return buffer.getvalue().encode(encoding)


def big_csv_bytes(n: int) -> bytes:
    """A header and `n` short data rows, built fast (the 200,000-row refusal test)."""
    lines = ["姓名,手机号,身份证号"]
    lines.extend(f"张{i},{13800000000 + i},110101199001011234" for i in range(n))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


# --------------------------------------------------------------------------- not spreadsheets


def png_bytes() -> bytes:
    """A valid 1×1 PNG."""
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def random_bytes(n: int = 4096, seed: int = 20261126) -> bytes:
    return random.Random(seed).randbytes(n)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def cfb_bytes(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (version 3) holding `streams`, like Office writes.

    Each stream is padded to 4096 bytes so that all live in regular sectors (no mini stream).
    Enough for xlrd, and for shapes Office produces around a workbook: a password-protected
    xlsx is an OLE2 file with EncryptionInfo and EncryptedPackage streams.
    """
    end, free, fat_mark, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    datas = [content.ljust(4096, b"\x00") for content in streams.values()]
    datas = [d.ljust(-(-len(d) // 512) * 512, b"\x00") for d in datas]
    entries = 1 + len(datas)
    dir_sectors = -(-entries * 128 // 512)
    data_sectors = sum(len(d) // 512 for d in datas)
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + data_sectors:
        fat_sectors += 1
    assert fat_sectors <= 109, "too big for a header-only DIFAT"

    fat = [fat_mark] * fat_sectors
    first_dir = len(fat)
    fat += list(range(first_dir + 1, first_dir + dir_sectors)) + [end]
    starts = []
    for d in datas:
        start, count = len(fat), len(d) // 512
        starts.append(start)
        fat += list(range(start + 1, start + count)) + [end]
    fat += [free] * (fat_sectors * 128 - len(fat))

    def entry(name, kind, right, child, start, size):
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded),
            kind,
            1,  # black
            none,
            right,
            child,
            b"\x00" * 16,
            0,
            0,
            0,
            start,
            size,
        )

    directory = entry("Root Entry", 5, none, 1 if datas else none, end, 0)
    for i, ((name, content), start) in enumerate(zip(streams.items(), starts, strict=True)):
        right = i + 2 if i + 1 < len(datas) else none
        directory += entry(name, 2, right, none, start, max(len(content), 4096))
    while len(directory) < dir_sectors * 512:
        directory += entry("", 0, none, none, 0, 0)

    difat = list(range(fat_sectors)) + [free] * (109 - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\x00" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\x00" * 6,
        0,
        fat_sectors,
        first_dir,
        0,
        4096,
        end,
        0,
        end,
        0,
    ) + struct.pack("<109I", *difat)
    body = struct.pack(f"<{len(fat)}I", *fat) + directory + b"".join(datas)
    return header + body


def encrypted_xlsx_bytes() -> bytes:
    """The shape of a password-protected xlsx: OLE2 with the encrypted package inside."""
    return cfb_bytes(
        {"EncryptionInfo": b"\x04\x00\x04\x00" + b"\x00" * 200, "EncryptedPackage": random_bytes()}
    )


def encrypted_xls_bytes(rows: list[list]) -> bytes:
    """An xls with a FILEPASS record after its first BOF: how Excel marks a workbook whose
    contents are encrypted with a password."""
    stream = xls_biff_stream(rows)
    bof_length = struct.unpack("<H", stream[2:4])[0]
    position = 4 + bof_length
    filepass = struct.pack("<HHH", 0x002F, 2, 0)
    return cfb_bytes({"Workbook": stream[:position] + filepass + stream[position:]})
