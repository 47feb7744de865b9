"""When to retry a request and how long to wait: exponential backoff with jitter, and Retry-After."""

from __future__ import annotations

import math
import random
import time
from email.utils import parsedate_to_datetime
from typing import Callable

# 429 and 503 are the gateway's "come back later"; 408/500/502/504 come from proxies and restarts.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Never wait longer than this, whatever a Retry-After says: a stuck batch would hold the queue.
MAX_RETRY_AFTER = 300.0


def _uniform(rng: random.Random | None) -> Callable[[float, float], float]:
    # The module-level generator is reseeded in a forked child, so forked workers do not retry in step.
    return random.uniform if rng is None else rng.uniform


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` (0-based): "equal jitter", between half and all of
    min(cap, base * 2**attempt), so that many clients restarted together do not retry in lockstep."""
    ceiling = min(cap, base * float(2 ** min(attempt, 30)))
    return ceiling / 2 + _uniform(rng)(0, ceiling / 2)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:  # Python < 3.10 returns None on a bad date
            return None  # type: ignore[unreachable, unused-ignore]
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds):
        return None
    return min(MAX_RETRY_AFTER, max(0.0, seconds))


def retry_delay(
    attempt: int, base: float, cap: float, retry_after: float | None, rng: random.Random | None = None
) -> float:
    """Honour the server's Retry-After (plus a little jitter), never going below our own backoff."""
    own = backoff_delay(attempt, base, cap, rng)
    if retry_after is None:
        return own
    return max(own, retry_after + _uniform(rng)(0, min(1.0, retry_after * 0.1)))
