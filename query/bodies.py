"""Request bodies: JSON decoded into the route's Struct, every problem a 422 naming the field at fault."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from query.errors import InvalidParameter


async def decode_body(request: Request[Any, Any, Any], kind: type[Any]) -> Any:
    """The body as a `kind`; InvalidParameter names the JSON path msgspec blames (`body` if none)."""
    try:
        return msgspec.json.decode(await request.body(), type=kind)
    except msgspec.ValidationError as exc:
        text = str(exc)
        path = text.rpartition("at `")[2].rstrip("`") if "at `" in text else "body"
        raise InvalidParameter(path, text.split(" - at ", maxsplit=1)[0]) from exc
    except msgspec.DecodeError as exc:
        raise InvalidParameter("body", f"invalid JSON: {exc}") from exc
