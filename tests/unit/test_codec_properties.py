"""Properties of the contract decoder and of the gateway's HTTP error mapping, over generated input.

The decoder is the first thing every byte a client sends goes through: whatever it is given, it returns
events or errors with a JSON path, never an exception; what it accepts survives encoding unchanged. The
gateway, given any body, answers 202 or a 4xx, never a 5xx, and writes exactly when it answers 202.
Example counts are bounded so that the whole file runs in well under a minute.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from contracts.codec import FieldError, decode_events, encode
from contracts.depth import exceeds_depth
from contracts.limits import MAX_JSON_DEPTH
from gateway.sink import MemorySink
from tests.support.inprocess import InProcessGateway, inprocess_gateway

URL = "/api/v1/events"
EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "contracts" / "examples").glob("*.json"))

# -- strategies ------------------------------------------------------------------------------------

# Any JSON value; floats are finite (JSON has no NaN) and integers reach past 64 bits.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
names = st.text(min_size=1, max_size=40)
counts = st.integers(min_value=0, max_value=10**12)
uuids = st.uuids().map(str)
# RFC 3339 offsets are whole minutes (historical zones with second offsets are not valid on the wire).
offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# Within a day of the calendar's ends an offset can push the UTC time outside it: the decoder refuses those.
timestamps = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=offsets
).map(lambda t: t.isoformat())
chat = st.fixed_dictionaries(
    {
        "role": st.text(min_size=1, max_size=10),
        "content": st.text(max_size=50) | st.lists(json_values, max_size=2),
    }
)
bodies = {
    "llm_call": st.fixed_dictionaries(
        {"model": names, "tokens": st.fixed_dictionaries({"input": counts, "output": counts})},
        optional={
            "provider": names,
            "prompt": st.text(max_size=200) | st.lists(chat, min_size=1, max_size=3),
            "response": st.text(max_size=200) | chat,
            "latencyMs": st.floats(min_value=0, allow_infinity=False),
            "status": st.just("error"),
            "params": st.dictionaries(st.text(max_size=8), json_values, max_size=3),
        },
    ),
    "token_usage": st.fixed_dictionaries(
        {"model": names, "tokens": st.fixed_dictionaries({"input": counts})}
    ),
    "log": st.fixed_dictionaries(
        {"level": st.sampled_from(["debug", "info", "warn", "error"]), "message": st.text(max_size=200)},
        optional={"attributes": st.dictionaries(st.text(max_size=8), json_values, max_size=3)},
    ),
    "error": st.fixed_dictionaries({"errorType": names, "message": st.text(max_size=200)}),
    "custom": st.dictionaries(st.text(max_size=8), json_values, max_size=5),
}


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(bodies)))
    event = {"type": kind, "eventId": draw(uuids), "timestamp": draw(timestamps), "body": draw(bodies[kind])}
    if draw(st.booleans()):
        event["context"] = {
            "tags": draw(st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3))
        }
    return event


def payload_of(events: list[dict[str, Any]], as_batch: bool) -> bytes:
    return json.dumps({"events": events} if as_batch else events[0]).encode()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid payload, damaged: truncated, a byte replaced or inserted, a value nested deep."""
    events = draw(st.lists(valid_events(), min_size=1, max_size=3))
    data = bytearray(payload_of(events, draw(st.booleans())))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        action = draw(st.sampled_from(["truncate", "replace", "insert", "nest"]))
        at = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if action == "truncate":
            del data[at:]
        elif action == "replace" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif action == "insert":
            data[at:at] = draw(
                st.sampled_from([b"\xff", b"\xed\xa0\x80", b"\\ud800", b"\x00", b"[", b"}", b'"'])
            )
        else:
            depth = draw(st.integers(min_value=MAX_JSON_DEPTH - 3, max_value=3000))
            data[at:at] = b"[" * depth + b"]" * depth + b","
    return bytes(data)


any_bytes = (
    st.binary(max_size=300)
    | mutated()
    | st.builds(payload_of, st.lists(valid_events(), min_size=1), st.booleans())
)

BOUNDED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the decoder -----------------------------------------------------------------------------------


def check_errors(errors: list[FieldError]) -> None:
    assert errors, "an invalid payload must say why"
    for error in errors:
        assert error.path.startswith("$"), error
        assert error.message, error
        if error.index is not None:
            assert error.path.startswith(f"$.events[{error.index}]"), error


@BOUNDED
@given(any_bytes)
@example(b"[" * 100_000)
@example(b'{"type": "log", "body": {"level": "info", "message": "\xff"}}')
@example(b'{"events": [{"type": "custom", "body": {"a": ' + b"{" * 5000 + b"}")
def test_decode_events_never_raises_and_every_error_has_a_path(payload: bytes) -> None:
    result = decode_events(payload)
    if isinstance(result, list):
        check_errors(result)
    else:
        events, _ = result
        assert events


@BOUNDED
@given(st.lists(valid_events(), min_size=1, max_size=5), st.booleans())
def test_valid_events_round_trip_intact(events: list[dict[str, Any]], as_batch: bool) -> None:
    as_batch = as_batch or len(events) > 1
    decoded = decode_events(payload_of(events, as_batch))
    assert isinstance(decoded, tuple), decoded
    structs, is_batch = decoded
    assert is_batch == as_batch
    for sent, struct in zip(events, structs, strict=True):
        written = json.loads(encode(struct))
        assert written["eventId"] == sent["eventId"]
        assert written["type"] == sent["type"]
        if sent["type"] == "custom":
            assert written["body"] == sent["body"]
        for field in ("model", "prompt", "response", "message", "errorType", "params", "attributes"):
            if field in sent["body"]:
                assert written["body"][field] == sent["body"][field], field
        again = decode_events(encode(struct))
        assert isinstance(again, tuple)
        assert again[0] == [struct]


@BOUNDED
@given(st.lists(valid_events(), min_size=2, max_size=5), st.data())
def test_a_batch_names_the_index_of_its_invalid_event(
    events: list[dict[str, Any]], data: st.DataObject
) -> None:
    bad = data.draw(st.integers(min_value=0, max_value=len(events) - 1))
    events[bad] = {**events[bad], "type": data.draw(st.text(max_size=10).filter(lambda t: t not in bodies))}
    errors = decode_events(payload_of(events, as_batch=True))
    assert isinstance(errors, list)
    check_errors(errors)
    assert {e.index for e in errors} == {bad}


def nesting(value: object) -> int:
    """The depth of a decoded JSON value: the reference `exceeds_depth` is held to."""
    if isinstance(value, dict):
        return 1 + max((nesting(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((nesting(v) for v in value), default=0)
    return 0


tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\ab\n'), max_size=8)
deep_values = st.recursive(
    st.none() | st.integers() | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=40,
)


@BOUNDED
@given(deep_values, st.integers(min_value=0, max_value=12), st.booleans())
def test_depth_scan_agrees_with_the_parsed_depth(value: object, limit: int, ascii_only: bool) -> None:
    # Strings full of brackets, quotes and backslashes must not count; escaped or raw non-ASCII alike.
    document = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert exceeds_depth(document, limit) is (nesting(value) > limit)


# -- the gateway's HTTP error mapping --------------------------------------------------------------


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[asyncio.Runner, InProcessGateway]]:
    """The in-process gateway over a MemorySink, on a loop of its own (hypothesis drives it synchronously)."""
    with asyncio.Runner() as runner:
        context = inprocess_gateway(tmp_path)
        gw = runner.run(context.__aenter__())
        try:
            yield runner, gw
        finally:
            runner.run(context.__aexit__(None, None, None))


def test_any_body_gets_202_or_4xx_and_is_written_only_on_202(
    gateway: tuple[asyncio.Runner, InProcessGateway],
) -> None:
    runner, gw = gateway
    sink = gw.sink
    assert isinstance(sink, MemorySink)
    statuses: dict[int, int] = {}

    @BOUNDED
    @given(any_bytes, st.sampled_from([None, "gzip", "deflate"]))
    @example(b"[" * 100_000, None)
    @example(b'{"type": "log", "body": {"level": "info", "message": "\xff"}}', None)
    def post(payload: bytes, encoding: str | None) -> None:
        headers = dict(gw.headers)
        if encoding is not None:
            headers["Content-Encoding"] = encoding
        before = len(sink.records)
        response = runner.run(gw.client.post(URL, content=payload, headers=headers))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code == 202 or 400 <= response.status_code < 500, response.text
        assert len(sink.records) == before + (response.status_code == 202)
        if response.status_code != 202:
            assert response.json()["error"]

    post()
    print(f"gateway fuzz: {sum(statuses.values())} requests, by status {dict(sorted(statuses.items()))}")
    assert not any(status >= 500 for status in statuses)
