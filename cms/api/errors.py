"""Every refusal of the API is JSON: {"detail": a message, "code": a stable word for programs}."""

from django.http import JsonResponse


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


def error_response(status: int, code: str, detail: str, **extra) -> JsonResponse:
    body = {"detail": str(detail), "code": code, **extra}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
