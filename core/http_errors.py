"""The base of every service's HTTP error: a status, a code, a message, optional Retry-After, and the
one function that turns it into a JSON response; and the kinds every service shares.

ApiError
├── Unauthorized  401  no credential (WWW-Authenticate: Bearer)
├── Forbidden     403  a credential that may not do this
└── Unavailable   503  a dependency did not answer, or load was shed (Retry-After)

Each service's errors.py subclasses ApiError once (GatewayError, QueryError) and derives every kind it
raises from that base, the shared ones included (`class Forbidden(GatewayError, http_errors.Forbidden)`):
with `--roles all` the roles share one app, and the service base is what picks the service's handler.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import MediaType, Request, Response


class ErrorBody(msgspec.Struct, omit_defaults=True):
    """The JSON body of every error; a service's own ErrorBody adds its optional fields."""

    error: str
    message: str


class ApiError(Exception):
    status = 500
    code = "internal"

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}

    def body(self) -> ErrorBody:
        """The JSON body; subclasses add fields (the invalid paths, the bad parameter)."""
        return ErrorBody(error=self.code, message=self.message)


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="lynex"'}


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class Unavailable(ApiError):
    status, code = 503, "unavailable"


def error_response(_: Request[Any, Any, Any], exc: ApiError) -> Response[bytes]:
    return Response(
        msgspec.json.encode(exc.body()),
        status_code=exc.status,
        headers=exc.headers(),
        media_type=MediaType.JSON,
    )
