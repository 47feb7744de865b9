"""The notify stage: an alert notice in, delivered to the rule's channels, one history row out.

Channel URLs come from the rule cache (the notice carries none: they are secrets); a rule disabled
or deleted since the notice was decided is recorded with no deliveries. Delivery retries and
backoff are bounded (core.notify: about 15 s with the defaults), and notices of different rules are
handled concurrently (`Dispatcher`), so a dead channel delays nothing but its own rule's notices. The history row is written to
ClickHouse with a few retries; if ClickHouse stays down the notice is not lost from Kafka, but its
row is (logged as `alert_history_not_written`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec

from contracts.alerts import AlertNotice
from core.clickhouse import TRANSIENT_ERRORS, ClickHouse
from core.metrics import AlertMetrics
from core.notify import Delivery, deliver, is_channel_url
from core.settings import AlertsSettings
from streams.dlq import DeadLetterBoundary, Origin
from streams.errors import InvalidRecord
from streams.rule_cache import RuleCache

log = logging.getLogger(__name__)

HISTORY_COLUMNS = (
    "project_id",
    "alert_id",
    "rule_id",
    "rule_name",
    "kind",
    "state",
    "repeat",
    "at",
    "notified_at",
    "value",
    "threshold",
    "window_minutes",
    "model",
    "error_type",
    "deliveries",
)
HISTORY_WRITE_ATTEMPTS = 3
_encoder = msgspec.json.Encoder()


class Notifier:
    def __init__(
        self, rules: RuleCache, clickhouse: ClickHouse, settings: AlertsSettings, metrics: AlertMetrics
    ) -> None:
        self.rules = rules
        self.clickhouse = clickhouse
        self.settings = settings
        self.metrics = metrics

    async def warm_up(self) -> None:
        """Load Apprise's plugins now (about half a second), not on the first alert's clock."""
        await asyncio.to_thread(is_channel_url, "json://localhost")

    async def handle(self, notice: AlertNotice) -> list[Delivery]:
        await self.rules.loaded.wait()  # after a restart, never mistake "not loaded yet" for "deleted"
        rule = self.rules.by_id.get(notice.rule_id)
        deliveries: list[Delivery] = []
        if rule is not None:
            deliveries = await deliver(
                rule.channels,
                notice,
                attempts=self.settings.delivery_attempts,
                backoff_s=self.settings.delivery_backoff_s,
                timeout_s=self.settings.delivery_timeout_s,
                allow_private=self.settings.allow_private_channels,
            )
        for delivery in deliveries:
            self.metrics.deliveries.labels("ok" if delivery.ok else "failed").inc()
            self.metrics.delivery_seconds.observe(delivery.seconds)
        log.info(
            "alert_notified",
            extra={
                "alert_id": notice.alert_id,
                "rule_id": notice.rule_id,
                "state": notice.state,
                "delivered": sum(d.ok for d in deliveries),
                "failed": sum(not d.ok for d in deliveries),
                "lag_s": round(time.time() - notice.at, 3),
            },
        )
        await self._record(notice, deliveries)
        return deliveries

    async def _record(self, notice: AlertNotice, deliveries: list[Delivery]) -> None:
        row = [
            notice.project_id,
            notice.alert_id,
            notice.rule_id,
            notice.rule_name,
            notice.kind,
            notice.state,
            int(notice.repeat),
            datetime.fromtimestamp(notice.at, UTC),
            datetime.now(UTC),
            notice.value,
            notice.threshold,
            notice.window_minutes,
            notice.model,
            notice.error_type,
            _encoder.encode(deliveries).decode(),
        ]
        for attempt in range(1, HISTORY_WRITE_ATTEMPTS + 1):
            try:
                await self.clickhouse.insert_columns(
                    "alert_history", [[value] for value in row], HISTORY_COLUMNS
                )
            except TRANSIENT_ERRORS as exc:
                if attempt == HISTORY_WRITE_ATTEMPTS:
                    log.error(  # noqa: TRY400 - a known outage, not a bug: no traceback
                        "alert_history_not_written",
                        extra={"alert_id": notice.alert_id, "error": type(exc).__name__},
                    )
                    return
                await asyncio.sleep(attempt)
            else:
                return


class Dispatcher:
    """Runs notices concurrently (up to `max_inflight`), one rule's notices in order, and acks each
    record only when its notice is handled.

    faust commits only up to the first unacknowledged offset of a partition, so a notice still being
    retried holds back the commit (a crash redelivers it; its history row deduplicates on alert_id)
    but not the delivery of other rules' notices.
    """

    def __init__(
        self, notifier: Notifier, max_inflight: int = 32, boundary: DeadLetterBoundary | None = None
    ) -> None:
        self.notifier = notifier
        # Where a notice whose handling failed goes (stage `notify`), before it is acked.
        self.boundary = boundary
        self._slots = asyncio.Semaphore(max_inflight)
        self._last: dict[str, asyncio.Task[None]] = {}

    async def submit(
        self, notice: AlertNotice, ack: Callable[[], object], origin: Origin | None = None
    ) -> None:
        """Start handling `notice`; waits only while `max_inflight` notices are in flight."""
        await self._slots.acquire()
        before = self._last.get(notice.rule_id)
        task = asyncio.create_task(self._run(notice, ack, before, origin), name=f"notify-{notice.alert_id}")
        self._last[notice.rule_id] = task
        task.add_done_callback(lambda done: self._forget(notice.rule_id, done))

    def _forget(self, rule_id: str, task: asyncio.Task[None]) -> None:
        if self._last.get(rule_id) is task:
            del self._last[rule_id]

    async def _run(
        self,
        notice: AlertNotice,
        ack: Callable[[], object],
        before: asyncio.Task[None] | None,
        origin: Origin | None,
    ) -> None:
        try:
            if before is not None:
                await asyncio.wait([before])  # in order per rule; its outcome is its own business
            await self.notifier.handle(notice)
            ack()
        except Exception as exc:  # a background task: what escaped is kept in the DLQ, never lost silently
            log.exception("alert_notice_failed", extra={"alert_id": notice.alert_id})
            if self.boundary is not None and origin is not None:
                await self.boundary.reject(origin, InvalidRecord("notify", f"{type(exc).__name__}: {exc}"))
            ack()
        finally:
            self._slots.release()

    def cancel(self) -> None:
        """On shutdown: what is in flight is not acknowledged and is redelivered after a restart."""
        for task in list(self._last.values()):
            task.cancel()
