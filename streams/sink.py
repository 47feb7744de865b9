"""The ClickHouse sink: `events.enriched` -> `events`, in batches of up to 10k rows or 1 s.

Written as a plain aiokafka consumer rather than a faust agent: faust acknowledges (and may commit) a
message once the agent moves past it, and with concurrency or batching a commit can overtake rows that
are not stored yet. Here the order is explicit: insert, then commit the batch's offsets. A transient
ClickHouse failure pauses and retries the same batch (same rows, same deduplication token) without
committing; a record that can never be stored goes to the DLQ and the partition moves on.

Failures (streams.errors): an undecodable record, or a row ClickHouse refuses for its content (an
error code in core.clickhouse.PERMANENT_CODES), is dead-lettered through the one boundary; ClickHouse
unreachable is retried, in the batch and in the row-by-row path alike; a failed DLQ write is retried by
DeadLetters. Anything else is a bug that ends `run()`, and the supervisor restarts it: the new consumer
re-reads from the last commit, and the id check drops what the dead one had stored already.

Duplicates are recognised by (project_id, event_id): ids come from clients, so one project's id must
never hide another project's event.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from functools import partial
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError

from contracts.enriched import COLUMNS, EnrichedEnvelope, EnrichedEvent, decode_enriched
from core.clickhouse import TRANSIENT_ERRORS, ClickHouse, error_code, is_permanent
from core.kafka import consumer_fetch_sizes, start_client
from core.metrics import StreamsMetrics
from core.settings import KafkaSettings
from streams.batcher import Batch, EventKey, to_columns, unique_rows, uuid_array_sql
from streams.dlq import DeadLetterBoundary, DeadLetters, Origin
from streams.errors import InvalidRecord

log = logging.getLogger(__name__)

MAX_ROWS = 10_000
MAX_AGE_S = 1.0
MAX_BACKOFF_S = 10.0
# How far back a re-sent event whose timestamp is its receive time is looked for (client retries come
# within minutes; the lookup's cost grows with the range, so not further).
RESTAMPED_LOOKBACK = timedelta(hours=1)


class ClickHouseSink:
    def __init__(
        self,
        *,
        settings: KafkaSettings,
        topic: str,
        group_id: str,
        clickhouse: ClickHouse,
        dead_letters: DeadLetters,
        metrics: StreamsMetrics,
        max_rows: int = MAX_ROWS,
        max_age_s: float = MAX_AGE_S,
    ) -> None:
        self.topic = topic
        self.clickhouse = clickhouse
        self.dead_letters = dead_letters
        self.boundary = DeadLetterBoundary(dead_letters)
        self.metrics = metrics
        self.max_rows = max_rows
        self.max_age_s = max_age_s
        self.settings = settings
        self.group_id = group_id
        self.consumer: Any = None  # an AIOKafkaConsumer, made fresh by each start attempt in run()
        self.batch = self._new_batch()
        self.stopping = asyncio.Event()
        self.running = False
        # Why the current batch cannot be stored yet (readiness says it), None while inserts succeed.
        self.insert_failing: str | None = None
        self._flush_lock = asyncio.Lock()

    def _make_consumer(self) -> AIOKafkaConsumer:
        settings = self.settings
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            group_id=self.group_id,
            client_id=f"{settings.client_id}-sink",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=5_000,
            # The size budget (contracts.limits): any record Lynex writes fits one fetch.
            **consumer_fetch_sizes(),
            # A long ClickHouse outage keeps us retrying one batch; don't get evicted for it.
            max_poll_interval_ms=30 * 60 * 1000,
        )
        consumer.subscribe([self.topic], listener=_FlushOnRevoke(self))
        return consumer

    def _new_batch(self) -> Batch:
        return Batch(topic=self.topic, started_at=time.monotonic())

    async def run(self) -> None:
        """Consume until `stopping` is set; flush what is pending, then leave the group.

        Raises on a bug; run again (by the supervisor) it starts from the last committed offsets.
        """
        self.batch = self._new_batch()  # what a dead run held uncommitted is read again
        self.consumer = await start_client(self._make_consumer, self.stopping, "sink")
        if self.consumer is None:
            return
        self.running = True
        try:
            while not self.stopping.is_set():
                wait_ms = max(10, int((self.batch.started_at + self.max_age_s - time.monotonic()) * 1000))
                polled = await self.consumer.getmany(timeout_ms=min(wait_ms, 500), max_records=self.max_rows)
                if not self.batch.offsets:
                    self.batch.started_at = time.monotonic()
                for tp, messages in polled.items():
                    for message in messages:
                        await self._add(tp, message)
                if self.batch.is_due(time.monotonic(), self.max_rows, self.max_age_s):
                    await self.flush()
            await self.flush()
        finally:
            self.running = False
            await self.consumer.stop()

    async def _add(self, tp: TopicPartition, message: Any) -> None:
        origin = Origin(tp.topic, tp.partition, message.offset, message.key, message.value)
        envelope = await self.boundary.guard(origin, partial(_decode, message.value))
        self.batch.add(tp.partition, message.offset, envelope.events if envelope is not None else [])

    async def flush(self) -> None:
        async with self._flush_lock:
            batch = self.batch
            if not batch.offsets:
                return
            if batch.rows:
                await self._store(batch)
            await self._commit(batch)
            self.metrics.batch_rows.observe(len(batch.rows))
            self.batch = self._new_batch()

    async def _store(self, batch: Batch) -> None:
        delay = 0.5
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.metrics.insert_seconds.time():
                    inserted = await self._insert(batch)
            except TRANSIENT_ERRORS as exc:
                if is_permanent(exc):
                    await self._store_one_by_one(batch)
                    return
                self.metrics.insert_retries.inc()
                self.insert_failing = f"ClickHouse inserts failing, retrying: {str(exc)[:200]}"
                log.warning(
                    "clickhouse_insert_retrying",
                    extra={
                        "attempt": attempt,
                        "rows": len(batch.rows),
                        "error": str(exc)[:300],
                        "delay_s": delay,
                    },
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
            else:
                self.insert_failing = None
                self.metrics.rows_inserted.inc(inserted)
                self.metrics.duplicates_dropped.inc(len(batch.rows) - inserted)
                if attempt > 1:
                    log.info("clickhouse_insert_recovered", extra={"attempts": attempt})
                return

    async def _insert(
        self, batch: Batch, rows: list[EnrichedEvent] | None = None, token: str | None = None
    ) -> int:
        rows = batch.rows if rows is None else rows
        stored = await self._stored_ids(rows)
        fresh = unique_rows(rows, stored)
        if fresh:
            await self.clickhouse.insert_columns(
                "events",
                to_columns(fresh),
                COLUMNS,
                settings={"insert_deduplication_token": token or batch.dedup_token()},
            )
            self.metrics.count_stored(row.project_id for row in fresh)
        return len(fresh)

    async def _stored_ids(self, rows: list[EnrichedEvent]) -> set[EventKey]:
        """Ids of these rows already in ClickHouse. A project's events share one partition (the key),
        so no other sink can be inserting the same id concurrently.

        Looked up in the rows' own time range (the table is ordered by project, timestamp). A row whose
        timestamp is its receive time (sent without one, or replaced as implausible) would get a new
        timestamp if the client re-sent it, so those ids are looked up over the hour before too.
        """
        by_project: dict[str, list[EnrichedEvent]] = {}
        for row in rows:
            by_project.setdefault(row.project_id, []).append(row)
        stored: set[EventKey] = set()
        for project_id, group in by_project.items():
            own: list[EnrichedEvent] = []
            restamped: list[EnrichedEvent] = []
            for row in group:
                (restamped if row.timestamp_adjusted or row.timestamp == row.received_at else own).append(row)
            if own:
                stored |= await self._stored_in(project_id, own, timedelta(0))
            if restamped:
                stored |= await self._stored_in(project_id, restamped, RESTAMPED_LOOKBACK)
        return stored

    async def _stored_in(
        self, project_id: str, group: list[EnrichedEvent], lookback: timedelta
    ) -> set[EventKey]:
        ids = [r.event_id for r in group]
        parameters: dict[str, Any] = {
            "p": project_id,
            "lo": min(r.timestamp for r in group) - lookback,
            "hi": max(r.timestamp for r in group),
        }
        in_ids = uuid_array_sql(ids)
        if in_ids is None:  # an id that is not a canonical UUID text: let the client bind them
            in_ids = "{ids:Array(UUID)}"
            parameters["ids"] = ids
        # S608: in_ids is canonical UUID texts only (checked), or the name of a bound parameter.
        sql = (
            "SELECT toString(event_id) FROM events WHERE project_id = {p:String}"  # noqa: S608
            " AND timestamp BETWEEN {lo:DateTime64(3, 'UTC')} AND {hi:DateTime64(3, 'UTC')}"
            f" AND event_id IN {in_ids}"
        )
        # The ids are in the text: allow it past the default max_query_size (256 KiB).
        found = await self.clickhouse.query(
            sql, parameters, settings={"max_query_size": max(len(sql) + 4096, 262_144)}
        )
        return {(project_id, row[0]) for row in found}

    async def _store_one_by_one(self, batch: Batch) -> None:
        """A batch ClickHouse refuses for its content: store what it takes, dead-letter the rest."""
        for index, row in enumerate(batch.rows):
            # The DLQ gets the row alone (its record's other rows are stored), naming that record.
            partition, offset = batch.origins[index]
            origin = Origin(self.topic, partition, offset, row.project_id.encode(), msgspec.json.encode(row))
            token = f"{batch.dedup_token()}-{index}"
            inserted = await self.boundary.guard(origin, partial(self._store_row, batch, row, token))
            if inserted:
                self.metrics.rows_inserted.inc(inserted)

    async def _store_row(self, batch: Batch, row: EnrichedEvent, token: str) -> int:
        """Insert one row, retrying while ClickHouse is unreachable; InvalidRecord if it refuses it."""
        delay = 0.5
        while True:
            try:
                inserted = await self._insert(batch, [row], token=token)
            except TRANSIENT_ERRORS as exc:
                if is_permanent(exc):
                    code = error_code(exc)
                    raise InvalidRecord(
                        "sink", f"clickhouse refused the row (code {code}): {str(exc)[:500]}"
                    ) from exc
                self.metrics.insert_retries.inc()
                self.insert_failing = f"ClickHouse inserts failing, retrying: {str(exc)[:200]}"
                log.warning(
                    "clickhouse_row_insert_retrying", extra={"error": str(exc)[:300], "delay_s": delay}
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
            else:
                self.insert_failing = None
                return inserted

    async def _commit(self, batch: Batch) -> None:
        offsets = {TopicPartition(self.topic, p): o for p, o in batch.commit_offsets().items()}
        assigned = self.consumer.assignment()
        offsets = {tp: o for tp, o in offsets.items() if tp in assigned}
        if offsets:
            try:
                await self.consumer.commit(offsets)
            except CommitFailedError as exc:
                # A rebalance took the partitions: the rows are stored; whoever gets them next
                # re-reads from the last commit and the dedup check drops what is already there.
                log.warning("sink_commit_failed", extra={"error": str(exc)})

    async def stop(self) -> None:
        self.stopping.set()


async def _decode(value: bytes) -> EnrichedEnvelope:
    try:
        return decode_enriched(value)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InvalidRecord("sink", f"undecodable enriched record: {exc}") from exc


class _FlushOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Store and commit what we hold before partitions move to another sink."""

    def __init__(self, sink: ClickHouseSink) -> None:
        self.sink = sink

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        if revoked and self.sink.batch.offsets:
            await self.sink.flush()

    async def on_partitions_assigned(self, _assigned: list[TopicPartition]) -> None:
        return None
