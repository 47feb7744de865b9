"""Per-key rate limiting: a token bucket in events per second, refilled continuously.

Each gateway replica keeps its own buckets: with N replicas behind a load balancer that spreads a
key's traffic evenly, a key gets up to N x the configured rate. Set the rate to (wanted / N), or
pin a key's traffic to one replica, if the limit must be global.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class Decision:
    allowed: bool
    limit: float
    remaining: int
    retry_after_s: int = 0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def take(
        self, key_id: str, cost: int, rate_per_s: float | None = None, burst: int | None = None
    ) -> Decision:
        """Spend `cost` tokens (events) of the key's bucket, or say how long to wait."""
        rate = self.rate_per_s if rate_per_s is None else rate_per_s
        capacity = self.burst if burst is None else burst
        if rate <= 0:  # limiting disabled
            return Decision(True, 0, 0)
        now = self.clock()
        bucket = self._buckets.get(key_id)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()
            bucket = self._buckets[key_id] = _Bucket(float(capacity), now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        # A request bigger than the whole burst passes when the bucket is full, never otherwise.
        need = min(cost, capacity)
        if bucket.tokens >= need:
            bucket.tokens -= need
            return Decision(True, rate, int(bucket.tokens))
        return Decision(False, rate, int(bucket.tokens), max(1, math.ceil((need - bucket.tokens) / rate)))
