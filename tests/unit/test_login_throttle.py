"""Login throttling: per account and per address, and bounded memory whatever emails a client makes up."""

from __future__ import annotations

import pytest

from query.errors import TooManyRequests
from query.sessions import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_account_and_an_address_are_throttled_for_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, window_s=60, clock=clock)
    for _ in range(3):
        throttle.check("a@example.com", "10.0.0.1")
        throttle.failed("a@example.com", "10.0.0.1")
    with pytest.raises(TooManyRequests) as raised:
        throttle.check("A@example.com ", "10.0.0.2")  # the account, from elsewhere
    assert raised.value.retry_after == 60
    with pytest.raises(TooManyRequests):
        throttle.check("b@example.com", "10.0.0.1")  # the address, for another account
    clock.now += 60
    throttle.check("a@example.com", "10.0.0.1")


def test_refused_attempts_with_made_up_emails_store_nothing() -> None:
    throttle = LoginThrottle(max_failures=1, window_s=60, clock=Clock())
    throttle.failed("a@example.com", "10.0.0.1")
    for n in range(10_000):
        with pytest.raises(TooManyRequests):
            throttle.check(f"made-up-{n}@example.com", "10.0.0.1")
    assert len(throttle._failures) == 2


def test_past_its_key_budget_it_drops_expired_then_oldest_entries_not_everything() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=2, window_s=60, clock=clock, max_keys=100)
    throttle.failed("victim@example.com", "10.0.0.1")
    throttle.failed("victim@example.com", "10.0.0.1")
    clock.now += 1
    for n in range(200):  # many addresses, one failure each
        throttle.failed(f"u{n}@example.com", f"10.1.{n // 250}.{n % 250}")
    assert len(throttle._failures) <= 100
    clock.now += 60  # everything so far expires
    throttle.failed("late@example.com", "10.9.9.9")
    for n in range(60):
        throttle.failed(f"w{n}@example.com", "10.9.9.8")
    assert len(throttle._failures) <= 100
    with pytest.raises(TooManyRequests):
        throttle.check("x@example.com", "10.9.9.8")  # the flooding address is still throttled
