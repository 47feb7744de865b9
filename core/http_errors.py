"""The base of every service's HTTP error: a status, a code, a message, optional Retry-After, and the
one function that turns it into a JSON response. Each service subclasses it in its own errors.py."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import MediaType, Request, Response


class ApiError(Exception):
    status = 500
    code = "internal"

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}

    def body(self) -> msgspec.Struct:
        """The JSON body; subclasses add fields (the invalid paths, the bad parameter)."""
        return _Basic(error=self.code, message=self.message)


class _Basic(msgspec.Struct):
    error: str
    message: str


def error_response(_: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    return Response(
        msgspec.json.encode(exc.body()),
        status_code=exc.status,
        headers=exc.headers(),
        media_type=MediaType.JSON,
    )
