"""The dead-letter recorder: `lynex.events.dlq` -> ClickHouse `dead_letters`, one row per record.

The DLQ topic alone tells nobody anything; this table lets the accounting view show, per project, how
many accepted events were dead-lettered and why. A plain aiokafka consumer, like the sink, because the
order matters: insert the rows of one poll, then commit its offsets. ClickHouse down: retry the same
rows (same deduplication token) without committing. A record re-read after a crash collapses on merge.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError

from core.clickhouse import TRANSIENT_ERRORS, ClickHouse
from core.kafka import consumer_fetch_sizes, start_client
from core.metrics import StreamsMetrics
from core.roles import RoleContext
from core.settings import KafkaSettings
from core.supervise import Worker
from streams.dead_letter_rows import ROW_COLUMNS, DeadLetterRow, to_row

log = logging.getLogger(__name__)

MAX_RECORDS = 500
MAX_BACKOFF_S = 10.0


class DeadLetterLog:
    def __init__(
        self,
        *,
        settings: KafkaSettings,
        topic: str,
        clickhouse: ClickHouse,
        metrics: StreamsMetrics,
        group_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.topic = topic
        # The query role reports this group's lag under the same name (query/consumer_lag.py).
        self.group_id = group_id or f"{settings.topic_prefix}lynex-dead-letter-log"
        self.clickhouse = clickhouse
        self.metrics = metrics
        self.consumer: Any = None  # an AIOKafkaConsumer, made fresh by each start attempt
        self.stopping = asyncio.Event()
        self.running = False

    def _make_consumer(self) -> AIOKafkaConsumer:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.bootstrap_servers,
            group_id=self.group_id,
            client_id=f"{self.settings.client_id}-dead-letter-log",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A dead-lettered record can be as large as any record Lynex writes.
            **consumer_fetch_sizes(),
            # A long ClickHouse outage keeps us retrying one poll's rows; don't get evicted for it.
            max_poll_interval_ms=30 * 60 * 1000,
        )
        consumer.subscribe([self.topic])
        return consumer

    async def run(self) -> None:
        """Record until `stopping` is set, then leave the group."""
        self.consumer = await start_client(self._make_consumer, self.stopping, "dead-letter-log")
        if self.consumer is None:
            return
        self.running = True
        try:
            while not self.stopping.is_set():
                polled = await self.consumer.getmany(timeout_ms=500, max_records=MAX_RECORDS)
                rows = [
                    to_row(
                        key=m.key,
                        value=m.value,
                        headers=m.headers,
                        timestamp_ms=m.timestamp,
                        partition=tp.partition,
                        offset=m.offset,
                    )
                    for tp, messages in polled.items()
                    for m in messages
                ]
                if rows:
                    await self._store(rows)
                    await self._commit(rows)
        finally:
            self.running = False
            await self.consumer.stop()

    async def _store(self, rows: list[DeadLetterRow]) -> None:
        columns = [list(column) for column in zip(*(r.values() for r in rows), strict=True)]
        # The same rows re-inserted after an attempt that failed late are dropped by ClickHouse.
        token = (
            "dlq-"
            + hashlib.sha256(",".join(f"{r.dlq_partition}:{r.dlq_offset}" for r in rows).encode()).hexdigest()
        )
        delay = 0.5
        while True:
            try:
                await self.clickhouse.insert_columns(
                    "dead_letters", columns, ROW_COLUMNS, settings={"insert_deduplication_token": token}
                )
            except TRANSIENT_ERRORS as exc:
                log.warning(
                    "dead_letters_insert_retrying",
                    extra={"rows": len(rows), "error": str(exc)[:300], "delay_s": delay},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
            else:
                break
        for row in rows:
            self.metrics.dead_letter_records_recorded.labels(row.project_id, row.stage).inc()
            if row.events:
                self.metrics.dead_lettered_by_project.labels(row.project_id, row.stage).inc(row.events)
        log.info("dead_letters_recorded", extra={"rows": len(rows)})

    async def _commit(self, rows: list[DeadLetterRow]) -> None:
        offsets: dict[TopicPartition, int] = {}
        for row in rows:
            tp = TopicPartition(self.topic, row.dlq_partition)
            offsets[tp] = max(offsets.get(tp, 0), row.dlq_offset + 1)
        assigned = self.consumer.assignment()
        offsets = {tp: o for tp, o in offsets.items() if tp in assigned}
        if not offsets:
            return
        try:
            await self.consumer.commit(offsets)
        except CommitFailedError as exc:
            # A rebalance took the partitions: the rows are stored; their next reader's copies
            # collapse into them (same DLQ partition and offset).
            log.warning("dead_letter_log_commit_failed", extra={"error": str(exc)})

    async def stop(self) -> None:
        self.stopping.set()


def dead_letter_worker(
    ctx: RoleContext, metrics: StreamsMetrics, ready: Callable[[], Awaitable[object | None]]
) -> Worker:
    """The recorder as a supervised worker of the streams role. It subscribes only once `ready()` says
    the topics exist (None: the role is stopping), so it never auto-creates the DLQ topic itself."""
    recorder = DeadLetterLog(
        settings=ctx.settings.kafka, topic=ctx.topics.dlq, clickhouse=ctx.clickhouse, metrics=metrics
    )

    async def run() -> None:
        if await ready() is not None:
            await recorder.run()

    return Worker("dead-letter-log", run, stop=recorder.stop)
