"""Notices of different rules are delivered concurrently, one rule's in order, each acked once handled."""

from __future__ import annotations

import asyncio
from typing import Any

from contracts.alerts import AlertNotice
from streams.dlq import DeadLetterBoundary, Origin
from streams.notify import Dispatcher


def notice(rule_id: str, alert_id: str) -> AlertNotice:
    return AlertNotice(
        alert_id=alert_id, project_id="p", rule_id=rule_id, rule_name="n", kind="tokens", state="fired",
        at=0.0, value=1.0, threshold=0.0, window_minutes=1,
    )  # fmt: skip


class SlowForRuleA:
    def __init__(self) -> None:
        self.order: list[str] = []
        self.release_a = asyncio.Event()

    async def handle(self, n: AlertNotice) -> list[Any]:
        if n.alert_id == "a1":
            await self.release_a.wait()  # a channel of rule a is retrying
        self.order.append(n.alert_id)
        return []


async def test_a_slow_rule_holds_back_only_itself() -> None:
    notifier = SlowForRuleA()
    dispatcher = Dispatcher(notifier)  # type: ignore[arg-type]
    acked: list[str] = []
    for rule_id, alert_id in [("a", "a1"), ("b", "b1"), ("a", "a2"), ("b", "b2")]:
        await dispatcher.submit(notice(rule_id, alert_id), lambda a=alert_id: acked.append(a))
    await asyncio.sleep(0.05)
    assert notifier.order == ["b1", "b2"]  # rule b went ahead
    assert acked == ["b1", "b2"]  # a1 and a2 are not acknowledged yet
    notifier.release_a.set()
    await asyncio.sleep(0.05)
    assert notifier.order == ["b1", "b2", "a1", "a2"]  # rule a in its own order
    assert sorted(acked) == ["a1", "a2", "b1", "b2"]


async def test_in_flight_is_bounded_and_cancel_leaves_unacked() -> None:
    notifier = SlowForRuleA()
    dispatcher = Dispatcher(notifier, max_inflight=1)  # type: ignore[arg-type]
    acked: list[str] = []
    await dispatcher.submit(notice("a", "a1"), lambda: acked.append("a1"))
    blocked = asyncio.create_task(dispatcher.submit(notice("b", "b1"), lambda: acked.append("b1")))
    await asyncio.sleep(0.05)
    assert not blocked.done()  # waits for a free slot
    dispatcher.cancel()
    await asyncio.sleep(0.05)
    await blocked
    await asyncio.sleep(0.05)
    assert "a1" not in acked


class Failing:
    async def handle(self, n: AlertNotice) -> list[Any]:
        raise RuntimeError(f"cannot handle {n.alert_id}")


class RecordingDeadLetters:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, **record: Any) -> None:
        self.sent.append(record)


async def test_a_notice_that_fails_is_dead_lettered_then_acked() -> None:
    dead_letters = RecordingDeadLetters()
    dispatcher = Dispatcher(Failing(), boundary=DeadLetterBoundary(dead_letters))  # type: ignore[arg-type]
    acked: list[str] = []
    origin = Origin("lynex.alerts", 2, 41, b"rule-a", b"notice bytes")
    await dispatcher.submit(notice("a", "a1"), lambda: acked.append("a1"), origin)
    await asyncio.sleep(0.05)
    assert acked == ["a1"]  # the partition moves on
    [record] = dead_letters.sent
    assert record["stage"] == "notify"
    assert record["error"] == "RuntimeError: cannot handle a1"
    assert (record["topic"], record["partition"], record["offset"]) == ("lynex.alerts", 2, 41)
    assert (record["key"], record["value"]) == (b"rule-a", b"notice bytes")
