"""Per-key token bucket; the 429 path; per-key usage counts written without a write per request."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.ratelimit import RateLimiter
from tests.support.inprocess import inprocess_gateway

LOG = {"type": "log", "body": {"level": "info", "message": "hello"}}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_burst_then_refills_at_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_s=10, burst=20, clock=clock)
    assert limiter.take("k", 15).allowed
    decision = limiter.take("k", 10)
    assert not decision.allowed
    assert decision.remaining == 5
    assert decision.retry_after_s == 1  # 5 missing tokens at 10/s: 0.5 s, rounded up
    clock.now = 0.5
    assert limiter.take("k", 10).allowed
    assert limiter.take("k", 1).allowed is False


def test_keys_have_separate_buckets_and_overrides() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=1, clock=Clock())
    assert limiter.take("a", 1).allowed
    assert not limiter.take("a", 1).allowed
    assert limiter.take("b", 1).allowed
    assert limiter.take("c", 500, rate_per_s=100, burst=1000).allowed


def test_request_larger_than_burst_passes_only_on_a_full_bucket() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_s=10, burst=50, clock=clock)
    assert limiter.take("k", 1000).allowed  # full bucket: drained
    assert not limiter.take("k", 1000).allowed
    clock.now = 5.0
    assert limiter.take("k", 1000).allowed


def test_zero_rate_disables_limiting() -> None:
    limiter = RateLimiter(rate_per_s=0, burst=1, clock=Clock())
    assert all(limiter.take("k", 10_000).allowed for _ in range(100))


async def test_over_the_limit_is_429_with_retry_after_and_recovers(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path, rate_limit_per_s=20, rate_limit_burst=3) as gw:
        responses = [await gw.client.post("/api/v1/events", json=LOG, headers=gw.headers) for _ in range(4)]
        assert [r.status_code for r in responses] == [202, 202, 202, 429]
        assert responses[0].headers["x-ratelimit-limit"] == "20"
        assert responses[2].headers["x-ratelimit-remaining"] == "0"
        limited = responses[3]
        assert limited.headers["retry-after"] == "1"
        assert limited.json()["error"] == "rate_limited"
        assert len(gw.sink.records) == 3  # type: ignore[attr-defined]
        await asyncio.sleep(0.1)  # 20/s refills 2 tokens
        assert (await gw.client.post("/api/v1/events", json=LOG, headers=gw.headers)).status_code == 202


async def test_project_override_of_the_rate_limit(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path, rate_limit_per_s=20, rate_limit_burst=1) as gw:
        await gw.control.set_rate_limit(gw.project_id, 1000, 50)
        _, secret = await gw.control.create_key(gw.project_id, "fresh")  # not cached yet
        batch = {"events": [LOG] * 40}
        response = await gw.client.post("/api/v1/events", json=batch, headers={"X-API-Key": secret})
        assert response.status_code == 202
        assert response.headers["x-ratelimit-limit"] == "1000"


async def test_usage_per_key_is_counted_and_written_periodically(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path, usage_flush_s=0.1) as gw:
        for _ in range(3):
            await gw.client.post("/api/v1/events", json={"events": [LOG] * 5}, headers=gw.headers)
        await asyncio.sleep(0.4)
        [key] = await gw.control.list_keys(gw.project_id)
        assert key.events_accepted == 15
        assert key.last_used_at is not None
