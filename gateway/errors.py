"""Every way a request can fail, each mapped to exactly one HTTP status (in `to_response`).

GatewayError
├── Unauthorized        401  no API key
├── Forbidden           403  unknown/revoked key, or an event for another project
├── BadBody             400  corrupt gzip
├── PayloadTooLarge     413  over the request size before or after gzip, an event or the record as written
├── UnsupportedEncoding 415  a Content-Encoding other than gzip/identity
├── InvalidEvents       422  invalid JSON, UTF-8 or events, nesting too deep; index + JSON path of each
├── RateLimited         429  over the key's rate (Retry-After)
└── Unavailable         503  Kafka or the control plane unreachable, or load shed (Retry-After)

Unauthorized, Forbidden and Unavailable are core.http_errors' kinds, on this service's base.
"""

from __future__ import annotations

from collections.abc import Sequence

from contracts.codec import FieldError
from core import http_errors
from core.http_errors import ApiError, error_response


class ErrorBody(http_errors.ErrorBody, omit_defaults=True):
    errors: list[FieldError] = []


class GatewayError(ApiError):
    """The gateway's errors: the gateway role's handler counts each rejection, then answers it."""


class Unauthorized(GatewayError, http_errors.Unauthorized):
    pass


class Forbidden(GatewayError, http_errors.Forbidden):
    pass


class BadBody(GatewayError):
    status, code = 400, "bad_body"


class PayloadTooLarge(GatewayError):
    """Over a size limit; `errors` names each event over the event limit (path and index)."""

    status, code = 413, "payload_too_large"

    def __init__(self, message: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)

    def body(self) -> ErrorBody:
        return ErrorBody(error=self.code, message=self.message, errors=self.errors)


class UnsupportedEncoding(GatewayError):
    status, code = 415, "unsupported_encoding"


class InvalidEvents(GatewayError):
    status, code = 422, "invalid_events"

    def __init__(self, errors: Sequence[FieldError]) -> None:
        bad = len({e.index for e in errors})
        super().__init__(f"{bad} invalid event(s); nothing was accepted" if errors else "invalid request")
        self.errors = list(errors)

    def body(self) -> ErrorBody:
        return ErrorBody(error=self.code, message=self.message, errors=self.errors)


class RateLimited(GatewayError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int, limit: float = 0) -> None:
        super().__init__(message, retry_after=retry_after)
        self.limit = limit

    def headers(self) -> dict[str, str]:
        return super().headers() | {"X-RateLimit-Limit": f"{self.limit:g}", "X-RateLimit-Remaining": "0"}


class Unavailable(GatewayError, http_errors.Unavailable):
    pass


to_response = error_response
