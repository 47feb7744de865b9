"""The event contract: golden examples, invalid events with their JSON paths, the generated schema."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import msgspec
import pytest

from contracts import schema
from contracts.codec import FieldError, decode_events, encode
from contracts.depth import exceeds_depth
from contracts.events import EVENT_TYPES, CustomEvent, LlmCallEvent
from contracts.limits import (
    KAFKA_MESSAGE_MAX_BYTES,
    MAX_EVENT_BYTES,
    MAX_JSON_DEPTH,
    MAX_RECORD_BYTES,
    MAX_REQUEST_BYTES,
)

CONTRACTS = Path(schema.__file__).parent
EXAMPLES = sorted((CONTRACTS / "examples").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_golden_example_decodes_and_round_trips(path: Path) -> None:
    decoded = decode_events(path.read_bytes())
    assert isinstance(decoded, tuple), decoded
    events, is_batch = decoded
    assert is_batch == (path.stem == "batch")
    original = json.loads(path.read_bytes())
    originals = original["events"] if is_batch else [original]
    for event, sent in zip(events, originals, strict=True):
        again = json.loads(encode(event))
        assert again["type"] == sent["type"]
        if "eventId" in sent:
            assert again["eventId"] == sent["eventId"]
        assert again["body"].keys() <= sent["body"].keys() | {"tokens"}


def test_examples_cover_every_event_type() -> None:
    seen = set()
    for path in EXAMPLES:
        doc = json.loads(path.read_bytes())
        seen.update(e["type"] for e in doc.get("events", [doc]))
    assert seen == set(EVENT_TYPES)


def test_missing_event_id_is_generated() -> None:
    decoded = decode_events(b'{"type": "llm_call", "body": {"model": "m"}}')
    assert isinstance(decoded, tuple)
    event = decoded[0][0]
    assert isinstance(event, LlmCallEvent)
    assert event.event_id.version == 4


INVALID = [
    (b'{"type": "llm_call", "body": {}}', "$.body", "missing required field `model`"),
    (b'{"type": "llm_call", "body": {"model": ""}}', "$.body.model", "length >= 1"),
    (b'{"type": "llm_call", "body": {"model": "m", "tokens": {"input": -1}}}', "$.body.tokens.input", ">= 0"),
    (b'{"type": "llm_call", "body": {"model": "m", "tokens": {"input": "3"}}}', "$.body.tokens.input", "int"),
    (b'{"type": "llm_call", "body": {"model": "m", "status": "maybe"}}', "$.body.status", "Invalid enum"),
    (b'{"type": "llm_call", "body": {"model": "m", "latencyMs": -5}}', "$.body.latencyMs", ">= 0"),
    (b'{"type": "llm_call", "body": {"model": "m", "prompt": 5}}', "$.body.prompt", "Expected"),
    (b'{"type": "log", "body": {"level": "loud", "message": "x"}}', "$.body.level", "Invalid enum"),
    (b'{"type": "error", "body": {"message": "x"}}', "$.body", "`errorType`"),
    (
        b'{"type": "span", "body": {"traceId": "t", "spanId": "s", "name": "n", "startTime": "2026-01-01T00:00:00",'
        b' "endTime": "2026-01-01T00:00:01Z"}}',
        "$.body.startTime",
        "timezone",
    ),
    (b'{"type": "nope", "body": {}}', "$.type", "Invalid value 'nope'"),
    (b'{"body": {}}', "$", "missing required field `type`"),
    (
        b'{"type": "log", "eventId": "not-a-uuid", "body": {"level": "info", "message": "x"}}',
        "$.eventId",
        "uuid",
    ),
    (
        b'{"type": "log", "timestamp": "yesterday", "body": {"level": "info", "message": "x"}}',
        "$.timestamp",
        "",
    ),
    (
        b'{"type": "log", "projectId": "has space", "body": {"level": "info", "message": "x"}}',
        "$.projectId",
        "",
    ),
    (b'{"type": "custom", "body": []}', "$.body", "object"),
    (b'{"events": []}', "$.events", "length >= 1"),
    (b'{"events": 3}', "$.events", "array"),
    (b"[]", "$", "JSON object"),
    (b"{not json", "$", "invalid JSON"),
    (b"", "$", "invalid JSON"),
    # Hostile input: each of these raised past the codec (a 500 at the gateway) before.
    (b'{"type": "log", "body": {"level": "info", "message": "\xff"}}', "$", "not UTF-8"),
    (b'{"type": "custom", "body": {"\xc3": 1}}', "$", "not UTF-8"),
    (b'{"events": [{"type": "log", "body": {"level": "info", "message": "\xed\xa0\x80"}}]}', "$", "UTF-8"),
    (b'"\xff"', "$", "not UTF-8"),
    (b'{"type": "log", "body": {"level": "info", "message": "\\ud800"}}', "$", "invalid JSON"),
    (b'{"type": "log", "body": {"level": "info", "message": "\\udc00x"}}', "$", "invalid JSON"),
    (b'{"type": "custom", "body": {"n": 1e999}}', "$.body[...]", "out of range"),
    (b'{"type": "custom", "body": {"n": ' + b"9" * 5000 + b"}}", "$.body[...]", "out of range"),
    (b'{"type": "custom", "body": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}", "$", "deeper than 64"),
    (b"[" * 100_000, "$", "deeper than 64"),
    (
        b'{"type": "log", "timestamp": "0001-01-01T00:30:00+01:00", "body": {"level": "info", "message": "x"}}',
        "$.timestamp",
        "UTC",
    ),
    (
        b'{"events": [{"type": "log", "timestamp": "9999-12-31T23:00:00-02:00", "body": {"level": "info", "message": "x"}}]}',
        "$.events[0].timestamp",
        "UTC",
    ),
    (b'{"events": [{"type": "custom", "body": {"a": ' + b"{" * 2000, "$", "deeper than 64"),
]


@pytest.mark.parametrize(("payload", "path", "fragment"), INVALID)
def test_invalid_event_names_the_json_path(payload: bytes, path: str, fragment: str) -> None:
    errors = decode_events(payload)
    assert isinstance(errors, list)
    assert [e.path for e in errors] == [path]
    assert fragment.lower() in errors[0].message.lower()


def test_batch_reports_every_invalid_event_with_its_index() -> None:
    payload = json.dumps(
        {
            "events": [
                {"type": "log", "body": {"level": "info", "message": "fine"}},
                {"type": "llm_call", "body": {"model": "m", "tokens": {"output": -2}}},
                {"type": "log", "body": {"level": "info", "message": "fine"}},
                {"type": "error", "body": {"errorType": "E"}},
                7,
            ]
        }
    ).encode()
    errors = decode_events(payload)
    assert errors == [
        FieldError(path="$.events[1].body.tokens.output", message="Expected `int` >= 0", index=1),
        FieldError(path="$.events[3].body", message="Object missing required field `message`", index=3),
        FieldError(path="$.events[4]", message="Expected `object`, got `int`", index=4),
    ]


def nested(depth: int) -> bytes:
    """A custom event whose request body nests exactly `depth` levels (the event is 1, its body 2)."""
    inner = depth - 2
    return b'{"type": "custom", "body": {"a": ' + b"[" * inner + b'"[{\\"x"' + b"]" * inner + b"}}"


def test_nesting_depth_limit_is_exact_and_independent_of_the_stack() -> None:
    accepted = decode_events(nested(MAX_JSON_DEPTH))
    assert isinstance(accepted, tuple), accepted
    assert isinstance(accepted[0][0], CustomEvent)
    assert decode_events(nested(MAX_JSON_DEPTH + 1)) == [
        FieldError(path="$", message=f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels")
    ]

    def deep_stack(levels: int) -> object:
        # Called with most of the recursion limit used up: msgspec alone would fail here.
        return deep_stack(levels - 1) if levels else decode_events(nested(MAX_JSON_DEPTH))

    assert isinstance(deep_stack(sys.getrecursionlimit() - 150), tuple)


@pytest.mark.parametrize(
    ("document", "depth"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [1, {"b": []}], "c": {}}', 4),
        (b'["]]]]", "[[[[[[", "\\\\", "\\"[[["]', 1),  # brackets inside strings, escapes
        (b'[[["\\\\"], ["\\"]"]]]', 3),
        (b"[" * 70 + b"]" * 70, 70),
        (b"[[], " * 40 + b"[]" + b"]" * 40, 41),
    ],
)
def test_depth_is_measured_outside_strings(document: bytes, depth: int) -> None:
    assert exceeds_depth(document, depth) is False
    assert exceeds_depth(document, depth - 1) is (depth > 0)
    assert json.loads(document) is not None or document == b"null"


def test_a_batch_is_recognised_whatever_the_order_of_its_keys() -> None:
    event = {"type": "log", "body": {"level": "info", "message": "x"}}
    decoded = decode_events(json.dumps({"sdk": {"name": "py"}, "events": [event, event]}).encode())
    assert isinstance(decoded, tuple), decoded
    assert decoded[1] is True
    assert len(decoded[0]) == 2
    errors = decode_events(json.dumps({"x": 1, "events": [event, {"type": "log"}]}).encode())
    assert errors == [FieldError(path="$.events[1]", message="Object missing required field `body`", index=1)]
    # `type` decides: an event may carry an `events` key of its own, even first.
    decoded = decode_events(json.dumps({"events": 1, "type": "custom", "body": {"a": 1}}).encode())
    assert isinstance(decoded, tuple), decoded
    assert decoded[1] is False
    assert isinstance(decoded[0][0], CustomEvent)


def test_batch_over_1000_events_is_refused() -> None:
    event = {"type": "log", "body": {"level": "info", "message": "x"}}
    errors = decode_events(json.dumps({"events": [event] * 1001}).encode())
    assert isinstance(errors, list)
    assert errors[0].path == "$.events"
    assert "<= 1000" in errors[0].message


def test_committed_json_schema_is_up_to_date() -> None:
    assert schema.SCHEMA_PATH.read_text() == schema.render(), "run `make schema` and commit the result"


def test_json_schema_accepts_the_examples_shape() -> None:
    doc = json.loads(schema.SCHEMA_PATH.read_text())
    assert {"LlmCallEvent", "EventBatch", "Tokens"} <= set(doc["$defs"])
    assert doc["$defs"]["LlmCallEvent"]["properties"]["type"]["enum"] == ["llm_call"]
    assert doc["x-maxNestingDepth"] == MAX_JSON_DEPTH
    assert f"{MAX_JSON_DEPTH} levels" in doc["description"]


def test_structs_are_frozen() -> None:
    decoded = decode_events((CONTRACTS / "examples" / "llm_call.json").read_bytes())
    assert isinstance(decoded, tuple)
    with pytest.raises(AttributeError):
        decoded[0][0].project_id = "other"  # type: ignore[misc]


def test_contracts_imports_only_stdlib_and_msgspec() -> None:
    allowed = set(sys.stdlib_module_names) | {"msgspec", "contracts", "__future__"}
    offenders = []
    for path in CONTRACTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] not in allowed]
    assert offenders == []


def test_decode_error_type_is_msgspec() -> None:
    # The gateway relies on these two exception types only.
    assert issubclass(msgspec.ValidationError, msgspec.DecodeError)


def test_readme_states_the_size_budget_of_contracts_limits() -> None:
    readme = (CONTRACTS.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("**Size budget.**") : readme.index("| answer | when |")]
    for limit in (MAX_REQUEST_BYTES, MAX_EVENT_BYTES, MAX_RECORD_BYTES, KAFKA_MESSAGE_MAX_BYTES):
        assert f"({limit:,} bytes)" in table, limit
    assert f"| {MAX_JSON_DEPTH} levels" in table
