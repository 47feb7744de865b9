"""The dead-letter recorder against the real broker and the embedded ClickHouse engine: every DLQ record
becomes one `dead_letters` row, offsets are committed only after the insert, nothing is counted twice."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from contracts.codec import decode_events, encode
from contracts.enriched import encode_enriched
from contracts.events import RawEnvelope
from contracts.topics import Topics
from core.clickhouse import ClickHouse, migrate_clickhouse
from core.kafka import create_producer, ensure_topics
from core.metrics import StreamsMetrics
from core.settings import load_settings
from streams.dead_letter_log import DeadLetterLog
from streams.dlq import DeadLetters
from streams.enrich import enrich_envelope
from streams.pricing import load_price_table
from tests.support.services import group_lag, new_prefix

pytestmark = pytest.mark.integration
RECEIVED = datetime(2026, 11, 24, 12, 0, 10, 250000, tzinfo=UTC)
ROWS_SQL = (
    "SELECT project_id, stage, events, decoded, original_topic, original_partition, original_offset, received_at"
    " FROM dead_letters FINAL ORDER BY project_id, original_offset"
)


class FlakyClickHouse(ClickHouse):
    """The real embedded engine behind a switch that makes inserts fail like a refused connection."""

    down = False
    failures = 0

    async def insert_columns(self, table, columns, column_names, settings=None):  # type: ignore[no-untyped-def,override]
        if self.down:
            self.failures += 1
            raise ConnectionRefusedError("clickhouse: connection refused (simulated outage)")
        await super().insert_columns(table, columns, column_names, settings)


def raw_envelope(project_id: str, n: int) -> RawEnvelope:
    events = [{"type": "log", "body": {"level": "info", "message": f"m{i}"}} for i in range(n)]
    decoded = decode_events(encode({"events": events}))
    assert isinstance(decoded, tuple)
    return RawEnvelope(project_id=project_id, key_id="key_1", received_at=RECEIVED, events=decoded[0])


async def wait_until(probe, expected, timeout: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while (value := await probe()) != expected:
        assert time.monotonic() < deadline, f"{value!r} != {expected!r}"
        await asyncio.sleep(0.2)


async def test_every_dlq_record_is_recorded_once_and_committed_after_the_insert(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    settings = load_settings({"LYNEX_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap})
    topics = Topics.with_prefix(new_prefix())
    await ensure_topics(settings.kafka, topics)
    clickhouse = FlakyClickHouse(f"chdb://{tmp_path / 'ch'}")
    await migrate_clickhouse(clickhouse, 90)
    producer = create_producer(settings.kafka, "test")
    await producer.start()
    dead_letters = DeadLetters(producer, topics.dlq)
    registry = CollectorRegistry()
    metrics = StreamsMetrics(registry)
    group = f"{topics.raw}-dead-letter-log"

    def recorder() -> DeadLetterLog:
        return DeadLetterLog(
            settings=settings.kafka,
            topic=topics.dlq,
            group_id=group,
            clickhouse=clickhouse,
            metrics=metrics,
        )

    async def count() -> int:
        return int((await clickhouse.query("SELECT count() FROM dead_letters FINAL"))[0][0])

    enriched, _ = enrich_envelope(raw_envelope("a", 4), load_price_table(), 90)
    log = recorder()
    task = asyncio.create_task(log.run())
    try:
        await dead_letters.send(
            stage="enrich", error="DecodeError: x", topic=topics.raw, partition=0, offset=10,
            key=b"a", value=encode(raw_envelope("a", 5)),
        )  # fmt: skip
        await dead_letters.send(
            stage="enrich", error="DecodeError: y", topic=topics.raw, partition=1, offset=11,
            key=b"b", value=b"\x00not an envelope",
        )  # fmt: skip
        await wait_until(count, 2)
        await wait_until(lambda: group_lag(kafka_bootstrap, group, topics.dlq), 0)
        # ClickHouse down: the record is read but neither stored nor committed.
        clickhouse.down = True
        await dead_letters.send(
            stage="sink", error="clickhouse refused the row", topic=topics.enriched, partition=0, offset=12,
            key=b"a", value=encode_enriched(enriched),
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while clickhouse.failures < 2:
            assert time.monotonic() < deadline, "the recorder never tried to insert"
            await asyncio.sleep(0.1)
        assert await group_lag(kafka_bootstrap, group, topics.dlq) == 1
        clickhouse.down = False
        await wait_until(count, 3)
        await wait_until(lambda: group_lag(kafka_bootstrap, group, topics.dlq), 0)
    finally:
        await log.stop()
        await task
    # A second reader of the whole topic (a lost commit, a new group): rows collapse, none is counted twice.
    group = f"{topics.raw}-dead-letter-log-again"
    again = recorder()
    task = asyncio.create_task(again.run())
    try:
        await wait_until(lambda: group_lag(kafka_bootstrap, group, topics.dlq), 0)
    finally:
        await again.stop()
        await task
        await producer.stop()
    rows = await clickhouse.query(ROWS_SQL)
    clickhouse.close()
    received = [r[7].replace(tzinfo=UTC) for r in rows]
    assert [r[:7] for r in rows] == [
        ("a", "enrich", 5, 1, topics.raw, 0, 10),
        ("a", "sink", 4, 1, topics.enriched, 0, 12),
        ("b", "enrich", 0, 0, topics.raw, 1, 11),
    ]
    assert received[:2] == [RECEIVED, RECEIVED]  # the gateway's stamp, not the DLQ time
    assert received[2] > RECEIVED
    # Counters count what each reader recorded (both readers here); the table holds each record once.
    stored = registry.get_sample_value
    assert stored("lynex_streams_dead_lettered_by_project_total", {"project": "a", "stage": "enrich"}) == 10
    assert stored("lynex_streams_dead_lettered_by_project_total", {"project": "a", "stage": "sink"}) == 8
    assert (
        stored("lynex_streams_dead_letter_records_recorded_total", {"project": "b", "stage": "enrich"}) == 2
    )


async def test_dead_letters_follow_the_retention_setting(tmp_path: Path) -> None:
    clickhouse = ClickHouse(f"chdb://{tmp_path / 'ch'}")
    try:
        await migrate_clickhouse(clickhouse, 90)
        await migrate_clickhouse(clickhouse, 7)
        [(ddl,)] = await clickhouse.query("SHOW CREATE TABLE dead_letters")
    finally:
        clickhouse.close()
    assert "toDateTime(received_at) + toIntervalDay(7)" in ddl
