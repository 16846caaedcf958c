"""Files handed to the browser: one place for the type, the UTF-8 file name and the date stamp."""

from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(content: bytes, name: str) -> HttpResponse:
    """`name`-20261127.xlsx as an attachment (the date tells apart exports of different days)."""
    response = HttpResponse(content, content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}-{stamp}.xlsx"
    return response
