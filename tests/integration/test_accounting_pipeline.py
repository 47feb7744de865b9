"""Accounting end to end: a real server (gateway, streams, query in one process) on the real broker and
the embedded ClickHouse engine. Events sent through the gateway are accepted and stored; records written
around it onto the topics are dead-lettered, recorded with their reasons, and show in the accounting
endpoint and on /metrics.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts.codec import encode
from tests.support.services import Server

pytestmark = pytest.mark.integration


def log_event(i: int) -> dict[str, Any]:
    return {"eventId": str(uuid.uuid4()), "type": "log", "body": {"level": "info", "message": f"m{i}"}}


async def accounting_when(
    client: httpx.AsyncClient, server: Server, done: Any, timeout: float = 90
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = await client.get(f"/api/v1/projects/{server.project_id}/accounting")
        assert response.status_code == 200, response.text
        body = response.json()
        if done(body):
            return body
        await asyncio.sleep(0.5)
    raise AssertionError(f"accounting never settled: {body}\nlog:\n{server.log_tail()}")


async def test_accepted_stored_and_dead_lettered_add_up(server_factory, kafka_bootstrap: str) -> None:
    server = server_factory(roles="all", extra_env={"LYNEX_GATEWAY__USAGE_FLUSH_S": "0.5"})
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, timeout=30) as client:
        for size in (10, 15, 5):
            response = await client.post(
                "/api/v1/events", json={"events": [log_event(i) for i in range(size)]}
            )
            assert response.status_code == 202, response.text
        # Written around the gateway (not accepted): poison on the raw topic, a raw envelope whose
        # second event is invalid (3 events), and poison on the enriched topic.
        invalid = {
            "projectId": server.project_id,
            "keyId": "key_x",
            "receivedAt": datetime.now(UTC).isoformat(),
            "events": [log_event(0), {"type": "log", "body": {"level": 42}}, log_event(2)],
        }
        key = server.project_id.encode()
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            await (await producer.send(server.topics.raw, b"\x00not an envelope", key=key))
            await (await producer.send(server.topics.raw, encode(invalid), key=key))
            await (await producer.send(server.topics.enriched, b"\xc1 not msgpack", key=key))
        finally:
            await producer.stop()
        body = await accounting_when(
            client,
            server,
            lambda b: b["accepted"] == 30 and b["stored"] == 30 and b["deadLetteredRecords"] == 3,
        )
        assert (body["deadLettered"], body["undecodedRecords"], body["missing"]) == (3, 2, -3)
        reasons = sorted((r["stage"], r["records"], r["events"], r["undecoded"]) for r in body["reasons"])
        assert reasons == [("enrich", 1, 0, 1), ("enrich", 1, 3, 0), ("sink", 1, 0, 1)]
        assert any("ValidationError" in r["error"] for r in body["reasons"])
        assert 0 <= body["freshness"]["ageSeconds"] < 120
        settled = await accounting_when(
            client, server, lambda b: all(s["records"] == s["partitionRecords"] == 0 for s in b["lag"]), 30
        )
        assert [s["stage"] for s in settled["lag"]] == ["enrich", "sink", "dead_letter_log"]
        metrics = (await client.get("/metrics")).text
    project = f'project="{server.project_id}"'
    assert f"lynex_gateway_events_accepted_by_project_total{{{project}}} 30.0" in metrics
    assert f"lynex_streams_events_stored_by_project_total{{{project}}} 30.0" in metrics
    assert f'lynex_streams_dead_lettered_by_project_total{{{project},stage="enrich"}} 3.0' in metrics
    assert f'lynex_streams_dead_letter_records_recorded_total{{{project},stage="sink"}} 1.0' in metrics
