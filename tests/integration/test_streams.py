"""The stream stages against the real broker and the embedded ClickHouse engine."""

from __future__ import annotations

import asyncio
import base64
import os
import random
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError
from prometheus_client import CollectorRegistry

from contracts.codec import decode_events, encode
from contracts.enriched import EnrichedEnvelope, encode_enriched
from contracts.events import RawEnvelope
from contracts.topics import Topics
from core.clickhouse import (
    PERMANENT_CODES,
    TRANSIENT_ERRORS,
    ClickHouse,
    error_code,
    is_permanent,
    migrate_clickhouse,
)
from core.kafka import create_producer, ensure_topics
from core.metrics import StreamsMetrics
from core.settings import load_settings
from streams.dlq import DeadLetters
from streams.enrich import enrich_envelope
from streams.pricing import load_price_table
from streams.sink import ClickHouseSink
from tests.support.services import Server, group_lag, new_prefix, read_records
from tests.support.storage import stored_rows

pytestmark = pytest.mark.integration
URL = "/api/v1/events"


def llm_event(i: int, **body: object) -> dict[str, object]:
    return {
        "eventId": str(uuid.uuid4()),
        "type": "llm_call",
        "body": {
            "model": "gpt-4o-mini",
            "tokens": {"input": 100 + i % 7, "output": 10},
            "latencyMs": 50 + i % 13,
            **body,
        },
    }


async def wait_for_drain(server: Server, bootstrap: str, timeout: float = 90) -> None:
    """Both stages have committed everything that was written to their input topics."""
    deadline = time.monotonic() + timeout
    raw_lag = sink_lag = -1
    while time.monotonic() < deadline:
        raw_lag = await group_lag(bootstrap, f"{server.prefix}lynex-streams", server.topics.raw)
        sink_lag = await group_lag(bootstrap, f"{server.prefix}lynex-sink", server.topics.enriched)
        if raw_lag == 0 and sink_lag == 0:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(
        f"streams did not drain within {timeout}s (enrich lag {raw_lag}, sink lag {sink_lag}); "
        f"log:\n{server.log_tail()}"
    )


async def test_poison_record_goes_to_dlq_and_later_events_arrive(
    server_factory, kafka_bootstrap: str
) -> None:
    server = server_factory(roles="gateway,streams")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        meta = await (
            await producer.send(server.topics.raw, b"\x00not an envelope", key=server.project_id.encode())
        )
    finally:
        await producer.stop()
    events = [llm_event(i) for i in range(3)]
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as client:
        response = await client.post(URL, json={"events": events})
        assert response.status_code == 202
    [dead] = await read_records(kafka_bootstrap, server.topics.dlq, min_records=1)
    headers = dict(dead.headers)
    assert headers["lynex-stage"] == b"enrich"
    assert headers["lynex-original-topic"] == server.topics.raw.encode()
    assert headers["lynex-original-partition"] == str(meta.partition).encode()
    assert headers["lynex-original-offset"] == str(meta.offset).encode()
    assert b"DecodeError" in headers["lynex-error"] or b"ValidationError" in headers["lynex-error"]
    assert dead.value == b"\x00not an envelope"
    await wait_for_drain(server, kafka_bootstrap)
    server.stop()
    rows = stored_rows(server.home, "SELECT toString(event_id) FROM events")
    assert sorted(r[0] for r in rows) == sorted(e["eventId"] for e in events)


async def test_an_enriched_record_kafka_refuses_is_dead_lettered_and_the_partition_moves_on(
    server_factory, kafka_bootstrap: str
) -> None:
    """A produce error for one record used to leave it unacked forever: faust commits only contiguous
    acks, so nothing after it on its partition was ever stored."""
    server = server_factory(roles="gateway,streams")
    # The enriched topic refuses records over 64 KiB, as one made before the size budget would.
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        limit = {"max.message.bytes": "65536"}
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, server.topics.enriched, limit)])
    finally:
        await admin.close()
    # Incompressible: ~200 KB of base64 stays over 64 KiB after zstd.
    big = llm_event(0, prompt=base64.b64encode(os.urandom(150_000)).decode())
    later = [llm_event(i) for i in range(1, 31)]
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=30) as client:
        response = await client.post(URL, json={"events": [big]})
        assert response.status_code == 202, response.text
        for start in range(0, len(later), 10):  # several records after it, on the same partition (key)
            response = await client.post(URL, json={"events": later[start : start + 10]})
            assert response.status_code == 202, response.text
    [dead] = await read_records(kafka_bootstrap, server.topics.dlq, min_records=1, timeout=60)
    headers = dict(dead.headers)
    assert headers["lynex-stage"] == b"produce"
    assert b"MessageSizeTooLarge" in headers["lynex-error"]
    assert headers["lynex-original-topic"] == server.topics.raw.encode()
    [raw_record] = [
        r
        for r in await read_records(kafka_bootstrap, server.topics.raw, min_records=4)
        if str(big["eventId"]).encode() in r.value
    ]
    assert headers["lynex-original-partition"] == str(raw_record.partition).encode()
    assert headers["lynex-original-offset"] == str(raw_record.offset).encode()
    assert dead.value == raw_record.value  # the raw record as it was, to replay once the topic is fixed
    await wait_for_drain(server, kafka_bootstrap)  # the partition moved on past it
    server.stop()
    rows = stored_rows(server.home, "SELECT toString(event_id) FROM events")
    assert sorted(r[0] for r in rows) == sorted(str(e["eventId"]) for e in later)


async def test_streams_killed_mid_stream_loses_and_duplicates_nothing(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    prefix = new_prefix()
    gateway = Server(
        home=tmp_path / "gateway", bootstrap=kafka_bootstrap, roles="gateway", prefix=prefix
    ).start()
    streams_home = tmp_path / "streams"
    streams = Server(
        home=streams_home,
        bootstrap=kafka_bootstrap,
        roles="streams",
        prefix=prefix,
        project_id=gateway.project_id,
        api_key=gateway.api_key,
    )
    streams.start()
    accepted: list[str] = []
    total_batches = 100  # x 100 events = 10,000
    killed = asyncio.Event()

    async def send_all() -> None:
        async with httpx.AsyncClient(base_url=gateway.url, headers=gateway.headers, timeout=30) as client:
            for b in range(total_batches):
                if b == 60:  # on a fast machine the stream could end before the kill: half goes after it
                    await killed.wait()
                batch = [llm_event(b * 100 + i) for i in range(100)]
                response = await client.post(URL, json={"events": batch})
                assert response.status_code == 202, response.text
                accepted.extend(e["eventId"] for e in batch)

    try:
        sender = asyncio.create_task(send_all())
        while len(accepted) < 3_000:
            await asyncio.sleep(0.05)
        await asyncio.sleep(random.uniform(0.0, 0.5))
        streams.kill()  # SIGKILL: no flush, no commit
        killed_at = len(accepted)
        killed.set()
        await asyncio.to_thread(streams.start)
        await sender
        await wait_for_drain(streams, kafka_bootstrap)
    finally:
        streams.stop()
        gateway.stop()
    assert killed_at < 10_000
    rows = stored_rows(streams_home, "SELECT toString(event_id), count() FROM events GROUP BY event_id")
    counts = dict(rows)
    assert len(accepted) == 10_000
    missing = set(accepted) - set(counts)
    duplicated = {k: v for k, v in counts.items() if v > 1}
    assert not missing, f"{len(missing)} accepted events missing"
    assert not duplicated, f"{len(duplicated)} events stored more than once"
    assert len(counts) == 10_000
    [(rollup,)] = stored_rows(streams_home, "SELECT sum(requests) FROM events_1m")
    assert rollup == 10_000  # the per-minute rollup saw every event exactly once too


class FlakyClickHouse(ClickHouse):
    """The real embedded engine behind a switch that makes every call fail like a refused connection."""

    down = False
    failures = 0

    async def query(self, sql, parameters=None, settings=None):  # type: ignore[no-untyped-def,override]
        self._fail()
        return await super().query(sql, parameters, settings)

    async def insert_columns(self, table, columns, column_names, settings=None):  # type: ignore[no-untyped-def,override]
        self._fail()
        await super().insert_columns(table, columns, column_names, settings)

    def _fail(self) -> None:
        if self.down:
            self.failures += 1
            raise ConnectionRefusedError("clickhouse: connection refused (simulated outage)")


@dataclass
class SinkRig:
    """A ClickHouseSink on fresh topics and a fresh embedded ClickHouse, with a producer to feed it."""

    topics: Topics
    clickhouse: ClickHouse
    registry: CollectorRegistry
    producer: AIOKafkaProducer
    sink: ClickHouseSink

    @property
    def group(self) -> str:
        return self.sink.group_id


async def sink_rig(
    bootstrap: str, clickhouse: ClickHouse, partitions: int, dlq_producer: Any = None
) -> SinkRig:
    settings = load_settings(
        {"LYNEX_KAFKA__BOOTSTRAP_SERVERS": bootstrap, "LYNEX_KAFKA__TOPIC_PARTITIONS": str(partitions)}
    )
    topics = Topics.with_prefix(new_prefix())
    await ensure_topics(settings.kafka, topics)
    await migrate_clickhouse(clickhouse, 90)
    registry = CollectorRegistry()
    metrics = StreamsMetrics(registry)
    producer = create_producer(settings.kafka, "test")
    await producer.start()
    if dlq_producer is not None:
        dlq_producer.real = producer
    sink = ClickHouseSink(
        settings=settings.kafka,
        topic=topics.enriched,
        group_id=f"{topics.raw}-sink",
        clickhouse=clickhouse,
        dead_letters=DeadLetters(dlq_producer or producer, topics.dlq, metrics.dead_lettered),
        metrics=metrics,
        max_age_s=0.2,
    )
    return SinkRig(topics, clickhouse, registry, producer, sink)


async def test_clickhouse_outage_loses_nothing_and_sends_nothing_to_dlq(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    clickhouse = FlakyClickHouse(f"chdb://{tmp_path / 'ch'}")
    rig = await sink_rig(kafka_bootstrap, clickhouse, partitions=2)
    topics, registry, producer, sink, group = rig.topics, rig.registry, rig.producer, rig.sink, rig.group
    prices = load_price_table()
    ids: list[str] = []

    async def produce(n: int) -> None:
        for _ in range(n):
            decoded = decode_events(encode({"events": [llm_event(i) for i in range(50)]}))
            assert isinstance(decoded, tuple)
            raw = RawEnvelope(project_id="p", key_id="k", received_at=_now(), events=decoded[0])
            enriched, _ = enrich_envelope(raw, prices, 90)
            ids.extend(e.event_id for e in enriched.events)
            await (await producer.send(topics.enriched, encode(enriched), key=b"p"))

    task = asyncio.create_task(sink.run())
    try:
        await produce(4)
        await _wait(lambda: registry.get_sample_value("lynex_streams_sink_rows_inserted_total") == 200)
        clickhouse.down = True
        await produce(6)
        await _wait(lambda: clickhouse.failures >= 3)
        assert sink.insert_failing is not None
        assert "retrying" in sink.insert_failing
        assert await group_lag(kafka_bootstrap, group, topics.enriched) == 6  # nothing committed while down
        clickhouse.down = False
        await _wait(
            lambda: registry.get_sample_value("lynex_streams_sink_rows_inserted_total") == 500, timeout=30
        )
        await _wait_async(lambda: group_lag(kafka_bootstrap, group, topics.enriched), 0)
        assert sink.insert_failing is None
    finally:
        await sink.stop()
        await task
        await producer.stop()
    rows = await clickhouse.query("SELECT toString(event_id), count() FROM events GROUP BY event_id")
    clickhouse.close()
    assert sorted(r[0] for r in rows) == sorted(ids)
    assert {r[1] for r in rows} == {1}
    assert registry.get_sample_value("lynex_streams_sink_insert_retries_total") >= 1
    assert registry.get_sample_value("lynex_streams_dead_lettered_records_total", {"stage": "sink"}) is None
    assert await read_records(kafka_bootstrap, topics.dlq, min_records=1, timeout=2) == []


async def test_sink_drops_ids_already_stored_from_later_records(tmp_path: Path, kafka_bootstrap: str) -> None:
    """A client re-sending stored events (new offsets, so a new insert token): only the check stops them."""
    clickhouse = ClickHouse(f"chdb://{tmp_path / 'ch'}")
    rig = await sink_rig(kafka_bootstrap, clickhouse, partitions=1)
    topics, registry, producer, sink = rig.topics, rig.registry, rig.producer, rig.sink
    # Client timestamps, as the SDKs send: an event without one gets each receive time as its own.
    sent = [{**llm_event(i), "timestamp": _now().isoformat()} for i in range(300)]
    decoded = decode_events(encode({"events": sent}))
    assert isinstance(decoded, tuple)
    events = decoded[0]

    async def produce(batch: list[Any]) -> None:
        raw = RawEnvelope(project_id="p", key_id="k", received_at=_now(), events=batch)
        enriched, _ = enrich_envelope(raw, load_price_table(), 90)
        await (await producer.send(topics.enriched, encode(enriched), key=b"p"))

    def inserted() -> float | None:
        return registry.get_sample_value("lynex_streams_sink_rows_inserted_total")

    task = asyncio.create_task(sink.run())
    try:
        await produce(events[:200])
        await _wait(lambda: inserted() == 200)
        # Stored ones from the start, the middle and the end of the first batch, among new ones.
        await produce(events[:50] + events[200:250] + events[120:180] + events[250:] + events[199:200])
        await _wait(lambda: registry.get_sample_value("lynex_streams_sink_duplicates_dropped_total") == 111)
    finally:
        await sink.stop()
        await task
        await producer.stop()
    rows = await clickhouse.query("SELECT toString(event_id), count() FROM events GROUP BY event_id")
    clickhouse.close()
    assert inserted() == 300
    assert sorted(r[0] for r in rows) == sorted(str(e.event_id) for e in events)
    assert {r[1] for r in rows} == {1}


def enriched_rows(project_id: str, events: list[dict[str, object]]) -> list[Any]:
    decoded = decode_events(encode({"events": events}))
    assert isinstance(decoded, tuple)
    raw = RawEnvelope(project_id=project_id, key_id="k", received_at=_now(), events=decoded[0])
    out, _ = enrich_envelope(raw, load_price_table(), 90)
    return list(out.events)


async def send_rows(producer: AIOKafkaProducer, topic: str, project_id: str, rows: list[Any]) -> None:
    envelope = EnrichedEnvelope(project_id=project_id, events=rows)
    await (await producer.send(topic, encode_enriched(envelope), key=project_id.encode()))


async def test_the_same_event_id_in_two_projects_is_stored_for_both(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    """Ids come from clients: one tenant's id must not hide another's event, in a batch or once stored."""
    clickhouse = ClickHouse(f"chdb://{tmp_path / 'ch'}")
    rig = await sink_rig(kafka_bootstrap, clickhouse, partitions=1)
    topics, registry, producer, sink = rig.topics, rig.registry, rig.producer, rig.sink
    sent = [{**llm_event(i), "timestamp": _now().isoformat()} for i in range(50)]
    ids = sorted(str(e["eventId"]) for e in sent)
    task = asyncio.create_task(sink.run())
    try:
        # One batch: both projects' records before the sink's first flush.
        await send_rows(producer, topics.enriched, "tenant-a", enriched_rows("tenant-a", sent))
        await send_rows(producer, topics.enriched, "tenant-b", enriched_rows("tenant-b", sent))
        await _wait(lambda: registry.get_sample_value("lynex_streams_sink_rows_inserted_total") == 100)
        # Stored for tenant-a only: tenant-c's events with these ids are new, tenant-b's are repeats.
        await send_rows(producer, topics.enriched, "tenant-c", enriched_rows("tenant-c", sent[:10]))
        await send_rows(producer, topics.enriched, "tenant-b", enriched_rows("tenant-b", sent[:10]))
        await _wait(lambda: registry.get_sample_value("lynex_streams_sink_rows_inserted_total") == 110)
        await _wait_async(lambda: group_lag(kafka_bootstrap, rig.group, topics.enriched), 0)
    finally:
        await sink.stop()
        await task
        await producer.stop()
    rows = await clickhouse.query(
        "SELECT project_id, toString(event_id), count() FROM events GROUP BY project_id, event_id"
    )
    clickhouse.close()
    by_project: dict[str, list[str]] = {}
    for project_id, event_id, count in rows:
        assert count == 1
        by_project.setdefault(project_id, []).append(event_id)
    assert sorted(by_project["tenant-a"]) == ids
    assert sorted(by_project["tenant-b"]) == ids
    assert sorted(by_project["tenant-c"]) == sorted(str(e["eventId"]) for e in sent[:10])
    assert registry.get_sample_value("lynex_streams_sink_duplicates_dropped_total") == 10
    stored_by_project = {
        p: registry.get_sample_value("lynex_streams_events_stored_by_project_total", {"project": p})
        for p in ("tenant-a", "tenant-b", "tenant-c")
    }
    assert stored_by_project == {"tenant-a": 50, "tenant-b": 50, "tenant-c": 10}


async def test_permanent_codes_are_clickhouse_s_and_real_errors_are_classified_by_code(
    tmp_path: Path,
) -> None:
    clickhouse = ClickHouse(f"chdb://{tmp_path / 'ch'}")
    try:
        names = await clickhouse.query(
            "SELECT c, errorCodeToName(c) FROM (SELECT arrayJoin({codes:Array(UInt32)}) AS c)",
            {"codes": list(PERMANENT_CODES)},
        )
        assert dict(names) == PERMANENT_CODES
        with pytest.raises(TRANSIENT_ERRORS) as unparsable:
            await clickhouse.query("SELECT toInt32('abc')")
        assert error_code(unparsable.value) == 6
        assert is_permanent(unparsable.value)
        with pytest.raises(TRANSIENT_ERRORS) as missing:  # before a migration: retried, not the data's fault
            await clickhouse.query("SELECT * FROM no_such_table")
        assert error_code(missing.value) == 60
        assert not is_permanent(missing.value)
    finally:
        clickhouse.close()


class OutageAfterRefusal(ClickHouse):
    """The real engine; right after its first refusal of the data, an outage of a few calls."""

    outage = 0
    tripped = False
    failures = 0

    async def query(self, sql, parameters=None, settings=None):  # type: ignore[no-untyped-def,override]
        return await self._guard(super().query(sql, parameters, settings))

    async def insert_columns(self, table, columns, column_names, settings=None):  # type: ignore[no-untyped-def,override]
        return await self._guard(super().insert_columns(table, columns, column_names, settings))

    async def _guard(self, call):  # type: ignore[no-untyped-def]
        if self.outage > 0:
            call.close()
            self.outage -= 1
            self.failures += 1
            raise ConnectionRefusedError("clickhouse: connection refused (simulated outage)")
        try:
            return await call
        except TRANSIENT_ERRORS as exc:
            if is_permanent(exc) and not self.tripped:
                self.tripped, self.outage = True, 3
            raise


class FlakyDlqProducer:
    """The real producer, failing its first sends as if the broker were unreachable."""

    real: Any = None

    def __init__(self, failures: int) -> None:
        self.failures = failures

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise KafkaConnectionError("simulated: broker unreachable")
        return await self.real.send(*args, **kwargs)


async def test_rows_clickhouse_refuses_are_dead_lettered_and_the_sink_survives_outages_around_them(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    """Row by row after a refusal: an outage there is retried, a failed DLQ write is retried, the
    refused rows reach the DLQ with the reason, every other row is stored, and the offsets move on."""
    clickhouse = OutageAfterRefusal(f"chdb://{tmp_path / 'ch'}")
    dlq_producer = FlakyDlqProducer(failures=2)
    rig = await sink_rig(kafka_bootstrap, clickhouse, partitions=1, dlq_producer=dlq_producer)
    topics, registry, producer, sink = rig.topics, rig.registry, rig.producer, rig.sink
    rows = enriched_rows("p", [{**llm_event(i), "timestamp": _now().isoformat()} for i in range(20)])
    # ClickHouse refuses these: an id it cannot parse as a UUID (server-side code), and a token count
    # the client cannot serialize into UInt64.
    bad_id = msgspec.structs.replace(rows[3], event_id="not-a-uuid")
    bad_tokens = msgspec.structs.replace(rows[11], input_tokens=-1)
    rows[3], rows[11] = bad_id, bad_tokens
    good = sorted(r.event_id for i, r in enumerate(rows) if i not in (3, 11))
    task = asyncio.create_task(sink.run())
    try:
        await send_rows(producer, topics.enriched, "p", rows[:10])
        await send_rows(producer, topics.enriched, "p", rows[10:])
        dead = await read_records(kafka_bootstrap, topics.dlq, min_records=2, timeout=30)
        await _wait_async(lambda: group_lag(kafka_bootstrap, rig.group, topics.enriched), 0)
        await _wait(lambda: registry.get_sample_value("lynex_streams_sink_rows_inserted_total") == 18)
        assert not task.done()  # neither the outage nor the DLQ failures ended the sink
    finally:
        await sink.stop()
        await task
        await producer.stop()
    stored = await clickhouse.query("SELECT toString(event_id), count() FROM events GROUP BY event_id")
    clickhouse.close()
    assert sorted(r[0] for r in stored) == good
    assert {r[1] for r in stored} == {1}
    assert clickhouse.failures == 3  # the outage happened on the row-by-row path and was retried
    assert dlq_producer.failures == 0  # the failed DLQ writes were retried
    assert len(dead) == 2
    headers = [dict(d.headers) for d in dead]
    assert {h["lynex-stage"] for h in headers} == {b"sink"}
    # Each names the record its row came from: the first record held row 3, the second row 11.
    origins = {
        msgspec.json.decode(d.value)[1]: (h["lynex-original-partition"], h["lynex-original-offset"])
        for d, h in zip(dead, headers, strict=True)
    }
    assert origins == {"not-a-uuid": (b"0", b"0"), bad_tokens.event_id: (b"0", b"1")}
    assert {h["lynex-original-topic"] for h in headers} == {topics.enriched.encode()}
    assert sorted(msgspec.json.decode(d.value)[1] for d in dead) == sorted(
        ["not-a-uuid", bad_tokens.event_id]
    )
    errors = b" | ".join(h["lynex-error"] for h in headers)
    assert b"clickhouse refused the row (code " in errors
    assert registry.get_sample_value("lynex_streams_dead_lettered_records_total", {"stage": "sink"}) == 2


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime.now(UTC)


async def _wait(predicate, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.1)


async def _wait_async(probe, expected, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while (value := await probe()) != expected:
        assert time.monotonic() < deadline, f"{value} != {expected}"
        await asyncio.sleep(0.2)
