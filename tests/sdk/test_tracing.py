"""Python SDK spans: `with span()`, `@trace` (sync and async), nesting, errors, and the link from an
LLM call, a log or an error to the span around it; the logging handler."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import lynex
import pytest

from tests.sdk.support import assert_valid_payload


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def client(gateway):
    return lynex.init(api_key="k", endpoint=gateway.url, flush_at=1000, instrument=False, environ={})


def sent(client, gateway, validator):
    assert client.flush(5)
    body = {"events": gateway.accepted_events()}
    assert_valid_payload(validator, body)
    return body["events"]


def test_nested_spans_share_a_trace_and_link_parents(client, gateway, validator):
    with lynex.span("request", route="/chat") as outer:
        with lynex.span("retrieve") as inner:
            inner.set_attribute("k", 5)
        lynex.capture_llm_call(model="m", tokens={"input": 1, "output": 1})
        lynex.log("info", "inside")

    events = sent(client, gateway, validator)
    by_type = {}
    for event in events:
        by_type.setdefault(event["type"], []).append(event["body"])
    retrieve, request = by_type["span"]  # a span is sent when it ends: the inner one first
    assert request["name"] == "request"
    assert request["attributes"] == {"route": "/chat"}
    assert "parentSpanId" not in request
    assert retrieve["traceId"] == request["traceId"] == outer.trace_id
    assert retrieve["parentSpanId"] == request["spanId"] == outer.span_id
    assert retrieve["attributes"] == {"k": 5}
    assert _time(request["startTime"]) <= _time(retrieve["startTime"]) <= _time(retrieve["endTime"])
    assert _time(retrieve["endTime"]) <= _time(request["endTime"])
    (call,) = by_type["llm_call"]
    assert call["traceId"] == outer.trace_id
    assert call["parentSpanId"] == outer.span_id
    log_event = next(e for e in events if e["type"] == "log")
    assert log_event["context"]["attributes"] == {"traceId": outer.trace_id, "spanId": outer.span_id}
    assert lynex.current_span_context() is None, "the context is restored after the block"


def test_a_span_that_raises_is_an_error_span_and_the_exception_propagates(client, gateway, validator):
    with pytest.raises(KeyError), lynex.span("lookup"):
        raise KeyError("x")

    (event,) = sent(client, gateway, validator)
    assert event["body"]["status"] == "error"
    assert event["body"]["attributes"] == {"error.type": "KeyError"}


def test_trace_decorator_sync_and_named(client, gateway, validator):
    @lynex.trace
    def plain(x):
        return x * 2

    @lynex.trace("custom-name")
    def named():
        return plain(1)

    assert named() == 2
    assert plain.__name__ == "plain"

    spans = [e["body"] for e in sent(client, gateway, validator)]
    assert [s["name"] for s in spans] == [
        "test_trace_decorator_sync_and_named.<locals>.plain",
        "custom-name",
    ]
    assert spans[0]["parentSpanId"] == spans[1]["spanId"]


async def test_trace_decorator_async_keeps_concurrent_tasks_apart(client, gateway, validator):
    @lynex.trace(name="job")
    async def job(n):
        await asyncio.sleep(0.01 * n)
        with lynex.span(f"step-{n}"):
            await asyncio.sleep(0.01)
        return n

    assert await asyncio.gather(job(1), job(2), job(3)) == [1, 2, 3]

    spans = [e["body"] for e in sent(client, gateway, validator)]
    jobs = {s["spanId"]: s for s in spans if s["name"] == "job"}
    steps = [s for s in spans if s["name"].startswith("step-")]
    assert len(jobs) == 3
    assert len(steps) == 3
    assert len({s["traceId"] for s in jobs.values()}) == 3, "each task is its own trace"
    for step in steps:
        assert jobs[step["parentSpanId"]]["traceId"] == step["traceId"]


def test_span_on_a_client_and_async_with(gateway, validator):
    client = lynex.Lynex(api_key="k", endpoint=gateway.url, flush_at=1000, environ={})
    try:

        async def main():
            async with client.span("async-block"):
                await asyncio.sleep(0)

        asyncio.run(main())
        (event,) = sent(client, gateway, validator)
        assert event["body"]["name"] == "async-block"
    finally:
        client.shutdown()


def test_logging_handler_forwards_records_and_exceptions(client, gateway, validator):
    logger = logging.getLogger("tests.sdk.app")
    handler = lynex.LynexHandler(level=logging.INFO)
    logger.addHandler(handler)
    try:
        logger.debug("below the level")
        logger.warning("disk %d%% full", 91)
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            logger.exception("failed")
        logging.getLogger("lynex").warning("the SDK's own records are not sent back")
    finally:
        logger.removeHandler(handler)

    events = sent(client, gateway, validator)
    assert [(e["type"], e["body"].get("level")) for e in events] == [
        ("log", "warning"),
        ("log", "error"),
        ("error", None),
    ]
    assert events[0]["body"]["message"] == "disk 91% full"
    assert events[0]["body"]["attributes"]["logger"] == "tests.sdk.app"
    assert events[2]["body"]["errorType"] == "ZeroDivisionError"
    assert "Traceback" in events[2]["body"]["stack"]
