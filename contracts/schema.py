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
    return schema


def render() -> str:
    return json.dumps(generate(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_PATH.parent.mkdir(exist_ok=True)
    SCHEMA_PATH.write_text(render())
    print(f"wrote {SCHEMA_PATH}")


if __name__ == "__main__":
    main()
