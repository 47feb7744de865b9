"""Every kind of event the Python SDK sends is valid against the contract's JSON Schema
(`contracts/schema/event.v1.json`) and decodes with the gateway's own decoder."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import lynex

from contracts.codec import decode_events
from tests.sdk.support import assert_valid_payload

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_every_event_type_matches_the_schema_and_the_gateway_decoder(make_client, gateway, validator):
    client = make_client(
        project_id="demo",
        environment="production",
        release="2026.11.1",
        context={"tags": {"team": "search"}},
        flush_at=1000,
    )
    client.capture_llm_call(
        model="gpt-4o",
        provider="openai",
        prompt=[{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi"}],
        response={"role": "assistant", "content": "Hello."},
        tokens={"input": 21, "output": 2, "cached": 3, "reasoning": 1},
        latency_ms=412.5,
        params={"temperature": 0.2},
        cost_usd=0.0012,
        context={"user_id": "u-42", "session_id": "s-9", "tags": {"feature": "chat"}},
        timestamp=datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
    )
    client.capture_llm_call(model="gpt-4o", prompt="plain", response="text", error=ValueError("bad"))
    client.log("warning", "slow", {"ms": 900})
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        client.capture_error(exc, handled=False)
    client.capture_error("a message")
    with client.span("work", n=1):
        pass

    assert client.flush(5)
    (request,) = gateway.requests
    assert request.status == 202
    assert_valid_payload(validator, request.body)
    decoded = decode_events(request.raw)
    assert isinstance(decoded, tuple), decoded
    events, is_batch = decoded
    assert is_batch
    assert [type(e).__name__ for e in events] == [
        "LlmCallEvent",
        "LlmCallEvent",
        "LogEvent",
        "ErrorEvent",
        "ErrorEvent",
        "SpanEvent",
    ]

    wire = request.body["events"]
    assert all(UUID4.match(e["eventId"]) for e in wire)
    assert len({e["eventId"] for e in wire}) == len(wire)
    assert all(e["sdk"] == {"name": "lynex-python", "version": lynex.__version__} for e in wire)
    assert all(e["projectId"] == "demo" for e in wire)
    first = wire[0]
    assert first["timestamp"] == "2026-11-24T12:00:00.000000Z"
    assert first["context"] == {
        "env": "production",
        "release": "2026.11.1",
        "userId": "u-42",
        "sessionId": "s-9",
        "tags": {"team": "search", "feature": "chat"},
    }
    assert first["body"]["costUsd"] == 0.0012
    assert wire[1]["body"]["status"] == "error"
    assert wire[3]["body"]["handled"] is False
    assert "RuntimeError: boom" in wire[3]["body"]["stack"]


def test_a_batch_is_within_the_gateway_limits(make_client, gateway, validator):
    client = make_client(flush_at=10_000, max_batch_size=1000, max_queue_size=5000)
    big = "x" * 20_000
    for _ in range(600):  # 600 x 20 KB = 12 MB: more than two 5 MiB requests
        client.capture_llm_call(model="m", prompt=big)

    assert client.flush(20)

    assert sum(len(r.body["events"]) for r in gateway.requests) == 600
    for request in gateway.requests:
        assert len(request.raw) <= 5 * 1024 * 1024
        assert len(request.body["events"]) <= 1000
    assert_valid_payload(validator, gateway.requests[0].body)
