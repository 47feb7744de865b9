"""Python SDK batching: when a request goes out, what is in it, and that flush() waits for delivery."""

from __future__ import annotations

import logging
import threading
import time

from tests.sdk.support import Reply, assert_valid_payload


def test_a_batch_goes_out_as_soon_as_flush_at_events_are_queued(make_client, gateway, validator):
    client = make_client(flush_at=10, flush_interval=60)
    started = time.monotonic()
    for i in range(10):
        client.capture_llm_call(model="gpt-4o-mini", tokens={"input": i, "output": 1}, latency_ms=5)

    requests = gateway.wait_for_requests(1, timeout=5)

    assert len(requests) == 1
    assert requests[0].at - started < 1.0, "flush_at must not wait for the 60 s interval"
    assert [e["body"]["tokens"]["input"] for e in requests[0].body["events"]] == list(range(10))
    assert_valid_payload(validator, requests[0].body)


def test_fewer_events_go_out_after_flush_interval(make_client, gateway):
    client = make_client(flush_at=100, flush_interval=0.3)
    started = time.monotonic()
    for _ in range(3):
        client.log("info", "hello")

    requests = gateway.wait_for_requests(1, timeout=5)

    assert len(requests) == 1
    assert len(requests[0].body["events"]) == 3
    assert 0.25 <= requests[0].at - started < 2.0


def test_requests_are_gzipped_json_with_the_api_key(make_client, gateway):
    client = make_client(api_key="sk_live_abc")
    client.log("info", "hello")
    assert client.flush(5)

    (request,) = gateway.requests
    assert request.headers["Content-Encoding"] == "gzip"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-API-Key"] == "sk_live_abc"
    assert request.headers["User-Agent"].startswith("lynex-python/")


def test_batches_are_capped_at_max_batch_size(make_client, gateway):
    client = make_client(max_batch_size=50, flush_at=1000, flush_interval=60)
    for i in range(120):
        client.log("info", f"event {i}")

    assert client.flush(5)

    assert [len(r.body["events"]) for r in gateway.requests] == [50, 50, 20]
    messages = [e["body"]["message"] for e in gateway.accepted_events()]
    assert messages == [f"event {i}" for i in range(120)], "order is kept"


def test_flush_waits_for_delivery_and_reports_success(make_client, gateway):
    client = make_client(flush_at=1000, flush_interval=60)
    for _ in range(5):
        client.capture_llm_call(model="m")

    assert client.flush(timeout=5) is True
    assert len(gateway.accepted_events()) == 5
    assert client.stats()["sent"] == 5
    assert client.flush(timeout=5) is True, "a flush with nothing queued returns at once"


def test_flush_times_out_when_the_gateway_keeps_refusing(make_client, gateway):
    gateway.script(*[Reply(503, {"Retry-After": "30"})] * 5)
    client = make_client(flush_at=1000)
    client.log("info", "x")
    started = time.monotonic()

    assert client.flush(timeout=0.5) is False
    assert time.monotonic() - started < 2


def test_every_event_from_many_threads_is_delivered_exactly_once(make_client, gateway):
    client = make_client(flush_at=50, max_queue_size=100_000)
    threads = [
        threading.Thread(target=lambda n=n: [client.log("info", f"{n}-{i}") for i in range(500)])
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert client.flush(10)

    events = gateway.accepted_events()
    assert len(events) == 4000
    assert len({e["eventId"] for e in events}) == 4000
    assert {e["body"]["message"] for e in events} == {f"{n}-{i}" for n in range(8) for i in range(500)}
    assert client.stats()["dropped"] == 0


def test_no_request_at_all_without_events(make_client, gateway):
    client = make_client(flush_interval=0.05)
    time.sleep(0.3)
    assert client.flush(1)
    assert gateway.requests == []


def test_debug_logging_is_opt_in(make_client, gateway, capfd):
    logger = logging.getLogger("lynex")
    quiet = make_client()
    quiet.log("info", "x")
    assert quiet.flush(5)
    assert not logger.isEnabledFor(logging.DEBUG)
    assert "batch sent" not in capfd.readouterr().err

    try:
        loud = make_client(debug=True)
        loud.log("info", "secret prompt text")
        assert loud.flush(5)
        err = capfd.readouterr().err
        assert "lynex DEBUG lynex batch sent: 1 events" in err
        assert "secret prompt text" not in err, "event content is never logged"
    finally:
        logger.setLevel(logging.NOTSET)
        for handler in [h for h in logger.handlers if getattr(h, "_lynex_debug", False)]:
            logger.removeHandler(handler)
