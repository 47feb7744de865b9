"""The accounting endpoint over the real embedded ClickHouse engine, a SQLite control plane and the real
Kafka broker: accepted, stored and dead-lettered counts per project, their reasons, freshness, lag, and
never another project's figures.

Time is pinned (`NOW`) so that ranges and minute buckets are deterministic.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from contracts.codec import decode_events, encode
from contracts.events import RawEnvelope
from contracts.topics import Topics
from core.kafka import create_producer, ensure_topics
from core.settings import load_settings
from query.consumer_lag import ConsumerLag, stages
from query.repository.accounting import ALERT_STAGES
from streams.dead_letter_rows import ROW_COLUMNS, to_row
from streams.dlq import dlq_headers
from tests.support.query_app import InProcessQuery, enriched, inprocess_query
from tests.support.services import new_prefix

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(hour=12, minute=0, second=30, microsecond=0)
MIN = timedelta(minutes=1)
PASSWORD = "correct horse battery"


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[InProcessQuery]:
    async with inprocess_query(tmp_path, clock=lambda: NOW) as q:
        yield q


def raw_value(project_id: str, n: int, received_at: datetime) -> bytes:
    events = [{"type": "log", "body": {"level": "info", "message": f"m{i}"}} for i in range(n)]
    decoded = decode_events(encode({"events": events}))
    assert isinstance(decoded, tuple)
    return encode(RawEnvelope(project_id=project_id, key_id="k", received_at=received_at, events=decoded[0]))


async def dead_letter(
    api: InProcessQuery,
    project_id: str,
    stage: str,
    error: str,
    value: bytes,
    offset: int,
    dlq_offset: int | None = None,
) -> None:
    """A `dead_letters` row exactly as the recorder writes it for such a DLQ record."""
    row = to_row(
        key=project_id.encode(),
        value=value,
        headers=dlq_headers(stage, error, "lynex.events.raw", 0, offset),
        timestamp_ms=int((NOW - MIN).timestamp() * 1000),
        partition=0,
        offset=offset if dlq_offset is None else dlq_offset,
    )
    await api.clickhouse.insert_columns("dead_letters", [[v] for v in row.values()], ROW_COLUMNS)


async def accounting(api: InProcessQuery, project_id: str, headers: dict[str, str], **query: Any) -> Any:
    url = f"/api/v1/projects/{project_id}/accounting"
    return await api.client.get(url, params=query, headers=headers)


async def fill(api: InProcessQuery) -> None:
    a, b = api.a.project_id, api.b.project_id
    t = NOW - 10 * MIN
    await api.control.record_usage({}, {(a, t): 6, (a, t + MIN): 6, (b, t): 500, (a, NOW - 3 * 60 * MIN): 40})
    # a: 9 of its 12 accepted events stored in the range (one received 3 hours ago, out of the range).
    rows = [enriched(a, t + i * timedelta(seconds=10)) for i in range(9)]
    rows.append(enriched(a, NOW - 3 * 60 * MIN))
    rows += [enriched(b, t) for _ in range(480)]
    await api.insert(rows)
    # a: 2 events dead-lettered at enrich, 1 record that does not decode, 4 events refused by the alert
    # aggregator (stored all the same, so not part of the gap); b: 20 events.
    await dead_letter(api, a, "enrich", "ValidationError: bad event", raw_value(a, 2, t), 1)
    await dead_letter(api, a, "enrich", "DecodeError: malformed", b"\x00garbage", 2)
    await dead_letter(api, a, "aggregate", "window too large", raw_value(a, 4, t), 3)
    await dead_letter(api, b, "sink", "clickhouse refused the row", raw_value(b, 20, t), 4)


async def test_accepted_stored_dead_lettered_and_the_gap(api: InProcessQuery) -> None:
    await fill(api)
    response = await accounting(api, api.a.project_id, api.a.headers, **{"from": iso(NOW - 60 * MIN)})
    assert response.status_code == 200, response.text
    body = response.json()
    # Whole minutes: from 11:00:30 down to 11:00, to (now, 12:00:30) up to 12:01.
    whole = (NOW - 60 * MIN).replace(second=0)
    assert (body["start"], body["end"]) == (iso(whole), iso(whole + 61 * MIN))
    assert (body["accepted"], body["stored"], body["deadLettered"]) == (12, 9, 2)
    assert (body["deadLetteredRecords"], body["undecodedRecords"], body["missing"]) == (2, 1, 1)
    reasons = {(r["stage"], r["error"]): r for r in body["reasons"]}
    assert set(reasons) == {
        ("enrich", "ValidationError: bad event"),
        ("enrich", "DecodeError: malformed"),
        ("aggregate", "window too large"),
    }
    assert reasons["aggregate", "window too large"]["events"] == 4
    assert reasons["aggregate", "window too large"]["affectsStorage"] is False
    assert reasons["enrich", "DecodeError: malformed"]["undecoded"] == 1
    assert body["reasons"][0]["error"] == "window too large"  # most events first
    newest = datetime.fromisoformat(body["freshness"]["newestStoredAt"])
    assert newest == NOW - 10 * MIN + 80 * timedelta(seconds=1)
    assert body["freshness"]["ageSeconds"] == (NOW - newest).total_seconds()
    assert [s["stage"] for s in body["lag"]] == ["enrich", "sink", "dead_letter_log"]


async def test_a_record_dead_lettered_twice_counts_once(api: InProcessQuery) -> None:
    """After a crash a stage may dead-letter the same record again: two DLQ copies, one record. Two
    different rows refused out of one record (same origin, other content) stay two."""
    a = api.a.project_id
    t = NOW - 10 * MIN
    poison = raw_value(a, 3, t)
    await dead_letter(api, a, "enrich", "ValidationError: bad", poison, offset=7, dlq_offset=10)
    await dead_letter(api, a, "enrich", "ValidationError: bad", poison, offset=7, dlq_offset=11)
    await dead_letter(api, a, "sink", "refused", raw_value(a, 1, t), offset=8, dlq_offset=12)
    await dead_letter(api, a, "sink", "refused", raw_value(a, 1, t + MIN), offset=8, dlq_offset=13)
    response = await accounting(api, a, api.a.headers, **{"from": iso(NOW - 60 * MIN)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["deadLettered"], body["deadLetteredRecords"]) == (5, 3)
    reasons = {(r["stage"], r["error"]): r["records"] for r in body["reasons"]}
    assert reasons == {("enrich", "ValidationError: bad"): 1, ("sink", "refused"): 2}


async def test_the_default_range_is_the_last_24_hours(api: InProcessQuery) -> None:
    await fill(api)
    body = (await accounting(api, api.a.project_id, api.a.headers)).json()
    assert (body["accepted"], body["stored"], body["deadLettered"], body["missing"]) == (52, 10, 2, 40)


async def test_nothing_stored_means_no_freshness(api: InProcessQuery) -> None:
    body = (await accounting(api, api.a.project_id, api.a.headers)).json()
    assert (body["accepted"], body["stored"], body["deadLettered"], body["missing"]) == (0, 0, 0, 0)
    assert body["freshness"] == {"newestStoredAt": None, "ageSeconds": None}
    assert body["reasons"] == []


async def test_a_key_reads_only_its_own_project(api: InProcessQuery) -> None:
    await fill(api)
    other = await accounting(api, api.b.project_id, api.a.headers)
    assert other.status_code == 403
    own_b = (await accounting(api, api.b.project_id, api.b.headers)).json()
    assert (own_b["accepted"], own_b["stored"], own_b["deadLettered"], own_b["missing"]) == (500, 480, 20, 0)
    assert [r["stage"] for r in own_b["reasons"]] == ["sink"]
    assert (await accounting(api, api.a.project_id, {})).status_code == 401


async def test_a_signed_in_member_reads_their_project_and_no_other(api: InProcessQuery) -> None:
    await fill(api)
    signup = await api.client.post(
        "/api/v1/auth/signup", json={"email": "m@example.com", "password": PASSWORD}
    )
    assert signup.status_code == 201, signup.text
    created = await api.client.post("/api/v1/projects", json={"name": "mine"})
    assert created.status_code == 201, created.text
    mine = created.json()["id"]
    body = (await accounting(api, mine, {})).json()
    assert (body["projectId"], body["accepted"], body["stored"]) == (mine, 0, 0)
    assert (await accounting(api, api.a.project_id, {})).status_code == 403


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-01-01T00:00:00"}, "to"),
        ({"from": iso(NOW), "to": iso(NOW)}, "from"),
    ],
)
async def test_bad_ranges_are_422(api: InProcessQuery, query: dict[str, str], parameter: str) -> None:
    response = await accounting(api, api.a.project_id, api.a.headers, **query)
    assert response.status_code == 422, response.text
    assert response.json()["parameter"] == parameter


async def test_the_endpoint_is_in_the_openapi_schema(api: InProcessQuery) -> None:
    schema = (await api.client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/v1/projects/{project_id}/accounting"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"project_id", "from", "to"}
    assert {"200", "401", "403", "422", "503"} <= set(operation["responses"])


async def test_lag_counts_what_each_group_has_not_committed(kafka_bootstrap: str) -> None:
    prefix = new_prefix()
    settings = load_settings(
        {"LYNEX_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap, "LYNEX_KAFKA__TOPIC_PREFIX": prefix}
    )
    topics = Topics.with_prefix(prefix)
    await ensure_topics(settings.kafka, topics)
    producer = create_producer(settings.kafka, "test")
    await producer.start()
    try:
        raw = [await (await producer.send(topics.raw, b"r", key=f"p{i}".encode())) for i in range(7)]
        sent = [await (await producer.send(topics.enriched, b"e", key=b"p")) for _ in range(3)]
    finally:
        await producer.stop()
    # The sink group has processed the first of its 3 records.
    tp = TopicPartition(topics.enriched, sent[0].partition)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=stages(settings.kafka, topics)[1].group,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.commit({tp: sent[0].offset + 1})
    finally:
        await consumer.stop()
    lags = {lag.stage: lag for lag in await ConsumerLag(settings.kafka, topics).read("p")}
    assert lags["enrich"].records == 7  # never committed: all of it
    assert lags["sink"].records == 2
    assert lags["dead_letter_log"].records == 0
    # Project "p"'s own partition: where the producer put its records, and what waits there.
    assert (lags["sink"].partition, lags["sink"].partition_records) == (tp.partition, 2)
    p0 = {lag.stage: lag for lag in await ConsumerLag(settings.kafka, topics).read("p0")}["enrich"]
    assert p0.partition == raw[0].partition
    assert p0.partition_records == sum(1 for m in raw if m.partition == raw[0].partition)
    assert lags["enrich"].group == f"{prefix}lynex-streams"


async def test_lag_without_kafka_is_null_with_a_reason() -> None:
    settings = load_settings({"LYNEX_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    lags = await ConsumerLag(settings.kafka, Topics.with_prefix("x."), timeout_s=3).read("p")
    assert [(lag.records, lag.partition_records) for lag in lags] == [(None, None)] * 3
    assert all(lag.error and "Kafka unreachable" in lag.error for lag in lags)


def test_lag_names_the_groups_the_streams_role_runs() -> None:
    # The query role cannot import streams: check its copy of the group names against the source.
    source = "".join(p.read_text() for p in (Path(__file__).parents[2] / "streams").rglob("*.py"))
    settings = load_settings({"LYNEX_KAFKA__TOPIC_PREFIX": "px."})
    for stage in stages(settings.kafka, Topics.with_prefix("px.")):
        assert f'topic_prefix}}{stage.group.removeprefix("px.")}"' in source, stage


def test_alert_stages_are_the_stages_off_the_storage_path() -> None:
    # A stage on the storage path counted as "alert" would hide lost events; check against the source.
    streams = Path(__file__).parents[2] / "streams"
    named = re.compile(r'InvalidRecord\(\s*"(\w+)"')

    def stages_in(*names: str) -> set[str]:
        return {m for name in names for m in named.findall((streams / name).read_text())}

    off_path = stages_in("alert_agents.py", "notify.py") | {"changelog"}
    assert "changelog" in stages_in("enrich_agent.py")
    assert set(ALERT_STAGES) == off_path
    assert not set(ALERT_STAGES) & stages_in("enrich.py", "sink.py")


ODD_TIMES = [
    "",
    "Z",
    "2026-13-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "2099-12-31T23:59:59.999999+00:00",
    "2100-01-01T00:00:00Z",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "2026-01-01T00:00:00 05:00",
    "2026-01-01",
    "2026-01-01T00:00:00+24:00",
    "\x00",
    "9" * 5000,
]


async def test_odd_ranges_get_200_or_422_never_5xx(api: InProcessQuery) -> None:
    await fill(api)
    for start in ODD_TIMES:
        for end in ("", "2099-12-31T23:59:59.999999+00:00", "1970-01-01T00:01:00Z"):
            response = await accounting(api, api.a.project_id, api.a.headers, **{"from": start, "to": end})
            assert response.status_code in (200, 422), (start, end, response.text)
            if response.status_code == 200:
                assert (
                    response.json()["missing"]
                    == response.json()["accepted"]
                    - response.json()["stored"]
                    - response.json()["deadLettered"]
                )
