"""End to end: the Python SDK sends to a running gateway (real Kafka); the events are read back from
the raw topic. Also: events captured while the gateway is down arrive once it is up."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import lynex
import pytest

from tests.support.services import envelope_events, free_port, new_api_key, read_topic

pytestmark = pytest.mark.e2e


async def test_python_sdk_events_reach_the_raw_topic(server_factory, kafka_bootstrap):
    server = server_factory(roles="gateway")
    run = uuid.uuid4().hex
    client = lynex.Lynex(
        api_key=server.api_key, endpoint=server.url, flush_at=1000, context={"tags": {"run": run}}, environ={}
    )
    try:
        with client.span("e2e", run=run):
            client.capture_llm_call(
                model="gpt-4o-mini",
                prompt=[{"role": "user", "content": "hi"}],
                response="hello",
                tokens={"input": 3, "output": 1},
                latency_ms=12.5,
            )
            client.capture_error(ValueError("e2e"))
        for i in range(1200):  # more than one request
            client.log("info", f"m{i}")
        assert client.flush(30)
        stats = client.stats()
    finally:
        client.shutdown()
    assert (stats["sent"], stats["rejected"], stats["failed"], stats["dropped"]) == (1203, 0, 0, 0)

    records = await read_topic(kafka_bootstrap, server.topics.raw, min_records=stats["batches"], timeout=30)
    events = [event for _, event in envelope_events(records)]

    assert len(events) == 1203
    assert len({e.event_id for e in events}) == 1203
    assert Counter(type(e).__name__ for e in events) == {
        "LogEvent": 1200,
        "LlmCallEvent": 1,
        "ErrorEvent": 1,
        "SpanEvent": 1,
    }
    assert {key for key, _ in records} == {server.project_id.encode()}
    assert all(e.project_id == server.project_id for e in events)
    assert all(e.sdk.name == "lynex-python" for e in events)
    assert all(e.context.tags == {"run": run} for e in events)
    (call,) = [e for e in events if type(e).__name__ == "LlmCallEvent"]
    (span,) = [e for e in events if type(e).__name__ == "SpanEvent"]
    assert call.body.model == "gpt-4o-mini"
    assert call.body.tokens.input == 3
    assert call.body.trace_id == span.body.trace_id
    assert call.body.parent_span_id == span.body.span_id
    assert sorted(e.body.message for e in events if type(e).__name__ == "LogEvent") == sorted(
        f"m{i}" for i in range(1200)
    )


async def test_events_captured_while_the_gateway_is_down_arrive_once_it_is_up(
    server_factory, kafka_bootstrap
):
    port, key = free_port(), new_api_key()
    client = lynex.Lynex(
        api_key=key, endpoint=f"http://127.0.0.1:{port}", backoff_base=0.2, backoff_max=1.0, environ={}
    )
    try:
        for i in range(50):
            client.log("info", f"while down {i}")
        await asyncio.sleep(1.5)
        assert client.stats()["retries"] >= 1
        assert client.stats()["sent"] == 0

        server = server_factory(roles="gateway", port=port, api_key=key)
        assert client.flush(30)
        stats = client.stats()
    finally:
        client.shutdown()
    assert (stats["sent"], stats["failed"], stats["dropped"]) == (50, 0, 0)

    records = await read_topic(kafka_bootstrap, server.topics.raw, min_records=stats["batches"], timeout=30)
    messages = [e.body.message for _, e in envelope_events(records)]
    assert sorted(messages) == sorted(f"while down {i}" for i in range(50))
