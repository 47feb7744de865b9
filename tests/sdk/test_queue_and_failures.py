"""Python SDK under failure: the queue is bounded (oldest dropped, counted), a dead or hanging gateway
never raises into the application nor blocks it, and bad input never costs a batch."""

from __future__ import annotations

import math
import time

import lynex

from tests.sdk.support import SilentEndpoint, assert_valid_payload, dead_url


def test_a_full_queue_drops_the_oldest_events_and_counts_them(make_client, gateway):
    client = make_client(max_queue_size=100, flush_at=10**6, flush_interval=60)
    for i in range(150):
        client.log("info", f"m{i}")

    assert client.stats()["dropped"] == 50
    assert client.stats()["queued"] == 100
    assert client.flush(5)

    assert [e["body"]["message"] for e in gateway.accepted_events()] == [f"m{i}" for i in range(50, 150)]
    stats = client.stats()
    assert (stats["sent"], stats["dropped"], stats["queued"]) == (100, 50, 0)


def test_a_dead_gateway_never_raises_nor_blocks_the_caller(make_client):
    client = make_client(endpoint=dead_url(), flush_at=1, max_queue_size=1000, backoff_base=0.05)
    started = time.monotonic()
    for i in range(5000):
        client.capture_llm_call(model="m", prompt="p", response="r", tokens={"input": i, "output": 1})
        client.log("info", "x")
        client.capture_error(ValueError("boom"))
        with client.span("s"):
            pass
    elapsed = time.monotonic() - started

    assert elapsed < 5, "capturing never waits on the network"
    assert client.flush(timeout=0.3) is False
    stats = client.stats()
    assert stats["sent"] == 0
    assert stats["dropped"] > 0
    assert stats["internal_errors"] == 0
    assert client.shutdown(timeout=0.3) is False


def test_a_hanging_gateway_delays_shutdown_by_at_most_the_timeout(make_client):
    endpoint = SilentEndpoint()
    try:
        client = make_client(endpoint=endpoint.url, flush_at=1, request_timeout=30)
        client.log("info", "x")
        time.sleep(0.2)  # the request is now in flight, unanswered
        started = time.monotonic()
        assert client.shutdown(timeout=0.5) is False
        assert time.monotonic() - started < 1.5
    finally:
        endpoint.close()


def test_without_an_api_key_the_client_is_a_silent_no_op(gateway, caplog):
    client = lynex.Lynex(endpoint=gateway.url, environ={})
    client.capture_llm_call(model="m")
    client.log("info", "x")
    assert client.flush(1) is True
    assert client.shutdown() is True
    assert gateway.requests == []
    assert "no API key" in caplog.text


def test_module_functions_before_init_do_nothing():
    assert lynex.get_client() is None
    lynex.capture_llm_call(model="m")
    lynex.capture_error(ValueError("x"))
    lynex.log("info", "x")
    with lynex.span("s"):
        pass
    assert lynex.flush(0.1) is True
    assert lynex.shutdown(0.1) is True
    assert lynex.stats() == {}


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str for you")


def test_hostile_input_never_raises_and_still_produces_valid_events(make_client, gateway, validator):
    client = make_client(flush_at=1000)
    cyclic: dict = {}
    cyclic["self"] = cyclic
    client.capture_llm_call(
        model="x" * 1000,
        prompt=[{"role": "", "content": object()}, "plain text", {"content": [1, 2]}, Unprintable()],
        response={"role": "assistant", "content": "ok", "tool_calls": [{"id": 1}]},
        tokens={"input": -5, "output": "many", "cached": 10**20},
        latency_ms=math.nan,
        cost_usd=-1,
        params={"temperature": math.inf, "obj": object(), 3: "int key", "cycle": cyclic},
        status="weird",
        context={"user_id": 42, "tags": {"a": "b" * 1000}, "anything": {1, 2}},
    )
    client.capture_llm_call(model="", tokens=(3, 4), error=TimeoutError("slow"))
    client.capture_llm_call(model=None, prompt=Unprintable(), response=Unprintable())
    client.log(12345, Unprintable(), {"x": b"bytes"})
    client.log("WARN", "upper case level")
    client.log("nonsense", "unknown level")
    client.capture_error("just a message", error_type="")
    client.capture_error(Unprintable())  # not an exception, cannot be printed
    client.capture_llm_call(model="m", timestamp="not a time")  # refused on the hot path, counted
    with client.span("", weird=object()):
        pass

    assert client.flush(5)
    (request,) = gateway.requests
    assert request.status == 202
    assert_valid_payload(validator, request.body)
    events = request.body["events"]
    assert len(events) == 9
    first = events[0]["body"]
    assert len(first["model"]) == 256
    assert first["tokens"] == {"input": 0, "output": 0, "cached": 1_000_000_000_000}
    assert "latencyMs" not in first
    assert "costUsd" not in first
    assert first["status"] == "ok"
    second = events[1]["body"]
    assert second["model"] == "unknown"
    assert second["status"] == "error"
    assert second["error"] == {"type": "TimeoutError", "message": "slow"}
    assert events[3]["body"]["level"] == "critical"
    assert events[4]["body"]["level"] == "warn"
    assert events[5]["body"]["level"] == "info"
    assert client.stats()["internal_errors"] == 1
