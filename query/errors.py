"""Every way a read request can fail, each mapped to exactly one HTTP status (in `to_response`).

QueryError
├── Unauthorized      401  no credential (API key) at all
├── Forbidden         403  unknown/revoked key, or a project_id the caller may not read
├── NotFound          404  no such event in the caller's project (another project's id is "not found")
├── Conflict          409  e.g. an account with this email exists
├── InvalidParameter  422  a bad query/path parameter or body field; the body names it
├── TooManyRequests   429  login throttled (Retry-After)
└── Unavailable       503  ClickHouse or the control plane did not answer (Retry-After)

Unauthorized, Forbidden and Unavailable are core.http_errors' kinds, on this service's base.
"""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy.exc import DataError, SQLAlchemyError

from core import http_errors
from core.http_errors import ApiError, error_response


class ErrorBody(http_errors.ErrorBody, omit_defaults=True):
    # The query or path parameter at fault (422 only).
    parameter: str | None = None


class QueryError(ApiError):
    """The query service's errors: the query role's handler answers them."""


class Unauthorized(QueryError, http_errors.Unauthorized):
    pass


class Forbidden(QueryError, http_errors.Forbidden):
    pass


class NotFound(QueryError):
    status, code = 404, "not_found"


class InvalidParameter(QueryError):
    status, code = 422, "invalid_parameter"

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter

    def body(self) -> ErrorBody:
        return ErrorBody(error=self.code, message=self.message, parameter=self.parameter)


class Conflict(QueryError):
    status, code = 409, "conflict"


class TooManyRequests(QueryError):
    status, code = 429, "too_many_requests"


class Unavailable(QueryError, http_errors.Unavailable):
    pass


to_response = error_response


def control_plane_failure(exc: SQLAlchemyError | OSError) -> QueryError:
    """What a failed control-plane call means to the client. The database refusing a value (PostgreSQL
    takes no NUL character in text, e.g. in a path's id) is the request's fault: 422, not a 503 that
    a client would retry forever. Anything else is the database unreachable or failing: 503."""
    if _refused_value(exc):
        return InvalidParameter("request", "holds a value the database cannot store (e.g. a NUL character)")
    return Unavailable("control plane unavailable", retry_after=2)


def _refused_value(exc: SQLAlchemyError | OSError) -> bool:
    """SQLSTATE class 22 ("data exception"): asyncpg's errors reach SQLAlchemy as a plain DBAPIError
    whose `orig` carries the code (22021 for a NUL, 22000 for an integer out of range)."""
    if isinstance(exc, DataError):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(code, str) and code.startswith("22")


_MEANINGS = {
    401: "Not signed in (no session cookie) or no API key; or a wrong email or password.",
    403: "A credential that may not do this (an API key where a user is needed, a member where an owner is).",
    404: "No such thing in this project.",
    409: "Conflicts with the current state (an email already taken, the last owner).",
    422: "A bad parameter or body field; `parameter` names it.",
    429: "Too many failed logins; see Retry-After.",
    503: "The control plane or ClickHouse did not answer; see Retry-After.",
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The OpenAPI declaration of the errors a route can answer (each with the ErrorBody shape)."""
    return {status: ResponseSpec(ErrorBody, description=_MEANINGS[status]) for status in statuses}
