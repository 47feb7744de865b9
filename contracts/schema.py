"""The JSON Schema of the wire contract, generated from the Structs; SDK tests validate against it.

`python -m contracts.schema` rewrites `contracts/schema/event.v1.json`; a unit test fails when the
committed file differs from what the Structs generate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from contracts.events import Event, EventBatch
from contracts.limits import MAX_EVENT_BYTES, MAX_JSON_DEPTH, MAX_REQUEST_BYTES

SCHEMA_PATH = Path(__file__).parent / "schema" / "event.v1.json"


def generate() -> dict[str, Any]:
    """A schema accepting one event or a batch, as `POST /api/v1/events` does."""
    (event, batch), components = msgspec.json.schema_components(
        [Event, EventBatch], ref_template="#/$defs/{name}"
    )
    schema: dict[str, Any] = {"anyOf": [event, batch], "$defs": components}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://lynex.dev/schema/event.v1.json"
    schema["title"] = "Lynex event (v1): one event or {events: [...]}"
    # JSON Schema has no keyword for nesting depth or encoded size: they are stated here and enforced
    # by the gateway (contracts.limits), and `x-` keywords are annotations validators ignore.
    schema["description"] = (
        f"A request body nests at most {MAX_JSON_DEPTH} levels of arrays and objects (the event object "
        f"is level 1, a batch's event is level 3); it is at most {MAX_REQUEST_BYTES} bytes after gzip "
        f"decompression, and each event at most {MAX_EVENT_BYTES} bytes as JSON once the gateway has "
        "stamped it. Deeper bodies get 422, larger ones 413."
    )
    schema["x-maxNestingDepth"] = MAX_JSON_DEPTH
    schema["x-maxRequestBytes"] = MAX_REQUEST_BYTES
    schema["x-maxEventBytes"] = MAX_EVENT_BYTES
    return schema


def inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `#/$defs/...` references replaced by their definitions, so that it stands alone
    where `$defs` cannot be reached (an OpenAPI request body). The contract has no recursive Struct."""
    definitions = schema.get("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {
                key: inline(value) for key, value in node.items() if key not in ("$defs", "$schema", "$id")
            }
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return dict(inline(schema))


def render() -> str:
    return json.dumps(generate(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_PATH.parent.mkdir(exist_ok=True)
    SCHEMA_PATH.write_text(render())
    print(f"wrote {SCHEMA_PATH}")


if __name__ == "__main__":
    main()
