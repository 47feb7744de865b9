"""The gateway's usage writer keeps every count it could not write (pure logic: a stand-in control plane)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.control.store import KeyIdentity
from gateway.usage import KeyUsage

T0 = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)


class Recorder:
    """Records what it is asked to write; raises `failure` once if set."""

    def __init__(self) -> None:
        self.failure: BaseException | None = None
        self.writes: list[tuple[dict[str, Any], dict[tuple[str, datetime], int]]] = []

    async def record_usage(self, keys: dict[str, Any], accepted: dict[tuple[str, datetime], int]) -> None:
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        self.writes.append((dict(keys), dict(accepted)))


def test_counts_are_bucketed_by_project_and_receive_minute() -> None:
    usage = KeyUsage(Recorder(), 60)  # type: ignore[arg-type]
    usage.record(KeyIdentity("k1", "a"), 3, T0)
    usage.record(KeyIdentity("k2", "a"), 4, T0 + timedelta(seconds=10))
    usage.record(KeyIdentity("k1", "a"), 5, T0 + timedelta(minutes=1))
    minute = T0.replace(second=0)
    assert usage._accepted == {("a", minute): 7, ("a", minute + timedelta(minutes=1)): 5}
    assert usage._keys["k1"] == (8, T0 + timedelta(minutes=1))


@pytest.mark.parametrize("failure", [RuntimeError("a bug"), KeyboardInterrupt()])
async def test_a_failed_write_that_raises_keeps_the_counts(failure: BaseException) -> None:
    control = Recorder()
    usage = KeyUsage(control, 60)  # type: ignore[arg-type]
    usage.record(KeyIdentity("k1", "a"), 3, T0)
    control.failure = failure
    with pytest.raises(type(failure)):
        await usage.flush()
    usage.record(KeyIdentity("k1", "a"), 2, T0)
    await usage.flush()
    assert control.writes == [({"k1": (5, T0)}, {("a", T0.replace(second=0)): 5})]
