"""Python SDK retries: 429/503/network errors are retried with backoff (honouring Retry-After) and the
same bytes; other 4xx are dropped, not retried, and reported once."""

from __future__ import annotations

import itertools
import json
import logging
import random
import time
from email.utils import formatdate

import pytest
from lynex.retry import backoff_delay, parse_retry_after, retry_delay

from tests.sdk.support import FakeGateway, Reply, dead_url


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_is_honoured_and_the_retry_is_the_same_request(make_client, gateway, status):
    gateway.script(Reply(status, {"Retry-After": "1"}))
    client = make_client(backoff_base=0.01)
    for i in range(3):
        client.capture_llm_call(model="m", prompt=f"p{i}")

    assert client.flush(10)

    first, second = gateway.requests
    assert (first.status, second.status) == (status, 202)
    assert second.at - first.at >= 1.0, "waited at least Retry-After"
    assert second.raw == first.raw, "same bytes, hence the same event ids: the pipeline deduplicates"
    stats = client.stats()
    assert (stats["sent"], stats["retries"], stats["failed"]) == (3, 1, 0)


def test_backoff_grows_between_attempts(make_client, gateway):
    gateway.script(Reply(503), Reply(503), Reply(503))
    client = make_client(backoff_base=0.1, backoff_max=5)
    client.log("info", "x")

    assert client.flush(10)

    times = [r.at for r in gateway.requests]
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # equal jitter: attempt n waits between half and all of base * 2**n
    for n, gap in enumerate(gaps):
        assert 0.1 * 2**n / 2 - 0.02 <= gap <= 0.1 * 2**n + 0.3, gaps


def test_a_network_error_is_retried_until_the_gateway_is_back(make_client):
    url = dead_url()
    client = make_client(endpoint=url, flush_at=1, backoff_base=0.2, backoff_max=0.5)
    client.capture_llm_call(model="m")
    time.sleep(0.8)  # a few attempts against a closed port
    assert client.stats()["retries"] >= 1
    assert client.stats()["sent"] == 0

    with FakeGateway(port=int(url.rsplit(":", 1)[1])) as gateway:
        assert client.flush(10)
        assert len(gateway.accepted_events()) == 1
    assert client.stats()["failed"] == 0


@pytest.mark.parametrize("status", [400, 401, 403, 415, 422])
def test_other_client_errors_are_not_retried(make_client, gateway, status, caplog):
    gateway.script(Reply(status), Reply(status))
    client = make_client(backoff_base=0.01, flush_at=2)
    with caplog.at_level(logging.WARNING, logger="lynex"):
        for _ in range(2):  # two batches, both refused
            client.log("info", "a")
            client.log("info", "b")
            assert client.flush(5)

    assert [r.status for r in gateway.requests] == [status, status], "each batch sent once, not retried"
    assert client.stats()["rejected"] == 4
    assert client.stats()["retries"] == 0
    warnings = [r for r in caplog.records if r.name == "lynex" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, "reported once"
    assert str(status) in warnings[0].getMessage()

    client.log("info", "c")
    assert client.flush(5)
    assert gateway.requests[-1].status == 202, "the client keeps working after a refusal"


def test_a_422_naming_invalid_events_drops_only_those(make_client, gateway):
    errors = {
        "error": "invalid_events",
        "errors": [{"index": 1, "path": "$.events[1].body", "message": "bad"}],
    }
    gateway.script(Reply(422, body=json.dumps(errors).encode()))
    client = make_client(flush_at=1000)
    for i in range(3):
        client.log("info", f"m{i}")

    assert client.flush(5)

    first, second = gateway.requests
    assert first.status == 422
    assert [e["body"]["message"] for e in second.body["events"]] == ["m0", "m2"]
    assert second.status == 202
    stats = client.stats()
    assert (stats["sent"], stats["invalid"], stats["rejected"]) == (2, 1, 0)


def test_a_batch_refused_as_too_large_is_split(make_client, gateway):
    gateway.script(Reply(413))
    client = make_client(flush_at=1000)
    for i in range(10):
        client.log("info", f"m{i}")

    assert client.flush(5)

    assert [(r.status, len(r.body["events"])) for r in gateway.requests] == [(413, 10), (202, 5), (202, 5)]
    assert client.stats()["sent"] == 10


def test_retries_stop_after_max_retries_and_the_next_batch_goes_on(make_client, gateway):
    gateway.script(Reply(503), Reply(503), Reply(503))
    client = make_client(max_retries=2, backoff_base=0.01, flush_at=1000)
    client.log("info", "lost")
    assert client.flush(5)
    client.log("info", "kept")
    assert client.flush(5)

    assert [r.status for r in gateway.requests] == [503, 503, 503, 202]
    assert [e["body"]["message"] for e in gateway.accepted_events()] == ["kept"]
    assert client.stats()["failed"] == 1


# -- the backoff arithmetic ----------------------------------------------------------------------


def test_backoff_delay_is_exponential_with_equal_jitter_and_capped():
    rng = random.Random(7)
    for attempt in range(12):
        ceiling = min(30.0, 0.5 * 2**attempt)
        for _ in range(50):
            assert ceiling / 2 <= backoff_delay(attempt, 0.5, 30.0, rng) <= ceiling


def test_retry_delay_is_never_shorter_than_retry_after():
    rng = random.Random(1)
    for attempt in range(5):
        assert retry_delay(attempt, 0.5, 30.0, 7.0, rng) >= 7.0
    assert retry_delay(0, 0.5, 30.0, None, rng) <= 0.5


def test_retry_after_parsing():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("999999") == 300.0, "capped: one header must not stall a client for days"
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("nan") is None
    now = time.time()
    assert parse_retry_after(formatdate(now + 20, usegmt=True), now=now) == pytest.approx(20, abs=1)
