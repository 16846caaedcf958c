"""What an uploaded file really is, from its first bytes, and whether its name says the same.

A program renamed 方案.pdf, or a web page saved as 花名册.xls, passes any check of the name. Every
upload door (Wagtail documents and lesson videos, roster files, question banks, score sheets,
sign-in sheets) calls `check_upload` before it stores or reads a file; it refuses content that
does not match the extension, naming the file. Wagtail's images are checked by Wagtail itself
(it opens each one and compares the format with the extension).

`kind_of` and `matches` use nothing of Django: the leading bytes decide, plus, for a zip, its
member list (an Office Open XML file is a zip with a [Content_Types].xml member).
"""

import codecs
import io
import zipfile
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # doc, xls, ppt, wps (and encrypted OOXML)
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip
# BIFF2–5 worksheets without an OLE2 wrapper (Excel 2–4); the roster reader reads them.
_BARE_BIFF = (b"\x09\x00", b"\x09\x02", b"\x09\x04")
_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (_OLE2, "ole2"),
)
_OOXML = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
# A password-protected docx/xlsx/pptx is an OLE2 file holding this stream.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# How much of a text file is read to decide it is text, and the control characters that never
# occur in one (tab, LF, FF and CR do).
_TEXT_SAMPLE = 64 * 1024
_CONTROL = (frozenset(range(0x20)) | {0x7F}) - {0x09, 0x0A, 0x0C, 0x0D}

#: extension → the kinds of content a file with that name may hold.
EXPECTED = {
    "pdf": {"pdf"},
    "doc": {"ole2"},
    "xls": {"ole2", "biff"},
    "ppt": {"ole2"},
    "wps": {"ole2"},
    "docx": {"docx", "encrypted-ooxml"},
    "xlsx": {"xlsx", "encrypted-ooxml"},
    "pptx": {"pptx", "encrypted-ooxml"},
    "zip": {"zip", "docx", "xlsx", "pptx"},
    "txt": {"text"},
    "csv": {"text"},
    "mp4": {"mp4"},
    "jpg": {"jpeg"},
    "jpeg": {"jpeg"},
    "png": {"png"},
}

#: What the spreadsheet imports (roster, question bank, score and sign-in sheets) accept.
SPREADSHEETS = ("xlsx", "xls", "csv")


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in (name or "") else ""


def kind_of(stream: IO[bytes], ext: str = "") -> str | None:
    """'pdf', 'docx', 'ole2', 'text', 'mp4' … for the content of `stream`, None if unknown.

    `ext` only settles what the bytes cannot: two-byte bare BIFF headers count for .xls only,
    and an OLE2 file is searched for an encrypted OOXML package only for docx/xlsx/pptx.
    The stream is read from its start and left at its start.
    """
    stream.seek(0)
    head = stream.read(16)
    try:
        for magic, kind in _MAGIC:
            if head.startswith(magic):
                if kind == "ole2" and ext in ("docx", "xlsx", "pptx") and _encrypted(stream):
                    return "encrypted-ooxml"
                return kind
        if head[:4] in _ZIP:
            return _zip_kind(stream)
        if head[4:8] == b"ftyp":  # the ISO media file's first box: MP4 (and its relatives)
            return "mp4"
        if ext == "xls" and head[:2] in _BARE_BIFF:
            return "biff"
        stream.seek(0)
        return "text" if _is_text(stream.read(_TEXT_SAMPLE)) else None
    finally:
        stream.seek(0)


def matches(name: str, content: bytes | IO[bytes]) -> bool:
    """Does the content of the file called `name` match its extension?"""
    stream = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    ext = extension(name)
    return ext in EXPECTED and kind_of(stream, ext) in EXPECTED[ext]


def check_upload(upload, *, allowed=None, name: str | None = None) -> None:
    """Raise ValidationError naming the file unless its extension is in `allowed` (when given)
    and its content matches the extension. `upload` is a Django UploadedFile or bytes."""
    name = name if name is not None else getattr(upload, "name", "")
    shown = name.rsplit("/", 1)[-1] or _("(no name)")
    ext = extension(name)
    if allowed is not None and ext not in allowed:
        raise ValidationError(
            _("“%(name)s” is not one of the types accepted here (%(types)s).")
            % {"name": shown, "types": ", ".join(f".{a}" for a in allowed)},
            code="extension",
        )
    if not matches(name, upload):
        raise ValidationError(
            _(
                "“%(name)s” is not really a .%(ext)s file: its content is something else "
                "(a renamed file?). Upload the original file."
            )
            % {"name": shown, "ext": ext or "?"},
            code="content",
        )


def _zip_kind(stream) -> str | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" in names:
        for prefix, kind in _OOXML.items():
            if any(n.startswith(prefix) for n in names):
                return kind
    return "zip"


def _encrypted(stream, chunk: int = 1 << 20) -> bool:
    """Whether an OLE2 file holds an EncryptedPackage stream (its name is in the directory,
    which may sit anywhere in the file: read it through, in chunks that overlap)."""
    stream.seek(0)
    tail = b""
    while block := stream.read(chunk):
        if _ENCRYPTED_PACKAGE in tail + block:
            return True
        tail = block[-len(_ENCRYPTED_PACKAGE) :]
    return False


def _is_text(sample: bytes) -> bool:
    """UTF-8 (with or without BOM), UTF-16 with BOM or GB18030 text, as spreadsheets export CSV;
    no control characters. The sample may end inside a character."""
    if not sample:
        return False
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        if 0 in sample:
            return False
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return not any(ord(c) in _CONTROL for c in text)
    return False
