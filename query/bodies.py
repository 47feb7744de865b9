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

from contracts.depth import exceeds_depth
from contracts.limits import MAX_JSON_DEPTH
from contracts.schema import inlined
from query.errors import InvalidParameter

_TOO_DEEP = f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels"


async def decode_body(request: Request[Any, Any, Any], kind: type[Any]) -> Any:
    """The body as a `kind`; InvalidParameter names the JSON path msgspec blames (`body` if none)."""
    return decode_json(await request.body(), kind)


def decode_json(payload: bytes, kind: type[Any]) -> Any:
    """`payload` as a `kind`, or InvalidParameter saying what is wrong with it."""
    if exceeds_depth(payload, MAX_JSON_DEPTH):
        raise InvalidParameter("body", _TOO_DEEP)
    try:
        value = msgspec.json.decode(payload, type=kind)
    except msgspec.ValidationError as exc:
        text = str(exc)
        path = text.rpartition("at `")[2].rstrip("`") if "at `" in text else "body"
        raise InvalidParameter(path, text.split(" - at ", maxsplit=1)[0]) from exc
    except msgspec.DecodeError as exc:
        raise InvalidParameter("body", f"invalid JSON: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidParameter("body", f"invalid JSON: not UTF-8 at byte {exc.start}") from exc
    except RecursionError as exc:  # kept out by the depth check; caught so that nothing reaches a 5xx
        raise InvalidParameter("body", _TOO_DEEP) from exc
    except ValueError as exc:
        raise InvalidParameter("body", f"invalid JSON: {exc}") from exc
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
