"""Request bodies: JSON decoded into the route's Struct, every problem a 422 naming the field at fault.

Every failure of the bytes is the client's, so each maps to InvalidParameter (422), never a 5xx:
nesting deeper than `MAX_JSON_DEPTH` (measured before msgspec recurses, which would otherwise raise
RecursionError at a depth that depends on the caller's stack), invalid UTF-8 inside a string (msgspec
raises UnicodeDecodeError, a ValueError), malformed JSON, values of the wrong type or range, and
strings holding a NUL character (`\\u0000`): no field needs one, and PostgreSQL refuses them in text
columns, which would surface as a 503 "control plane unavailable" for the client's own mistake.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request
from litestar.openapi.spec import Operation

from contracts.codec import DECODE_FAILURES, TOO_DEEP, split_error
from contracts.depth import exceeds_depth
from contracts.limits import MAX_JSON_DEPTH
from contracts.schema import inlined
from query.errors import InvalidParameter


async def decode_body(request: Request[Any, Any, Any], kind: type[Any]) -> Any:
    """The body as a `kind`; InvalidParameter names the JSON path msgspec blames (`body` if none)."""
    return decode_json(await request.body(), kind)


def decode_json(payload: bytes, kind: type[Any]) -> Any:
    """`payload` as a `kind`, or InvalidParameter saying what is wrong with it."""
    if exceeds_depth(payload, MAX_JSON_DEPTH):
        raise InvalidParameter("body", TOO_DEEP)
    try:
        value = msgspec.json.decode(payload, type=kind)
    except DECODE_FAILURES as exc:
        path, message = split_error(exc)
        raise InvalidParameter("body" if path == "$" else path, message) from exc
    if b"\\u0000" in payload and _has_nul(msgspec.json.decode(payload)):
        raise InvalidParameter("body", "a string holds a NUL character (\\u0000), which no field accepts")
    return value


def _has_nul(value: Any) -> bool:
    """Whether any string in a decoded document (keys included) holds a NUL; depth is bounded above."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def documented_body(kind: type[Any]) -> type[Operation]:
    """An OpenAPI operation that declares `kind` as the route's JSON request body.

    The routes read the raw body through `decode_body` (one error mapping, the depth check), so
    Litestar cannot see the body's type; without this the published schema would say the route takes
    no body, and clients and fuzzers could not know what to send.
    """
    schema = inlined(msgspec.json.schema(kind))

    class JsonBodyOperation(Operation):
        def to_schema(self) -> dict[str, Any]:
            document = super().to_schema()
            document["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
            return document

    return JsonBodyOperation
