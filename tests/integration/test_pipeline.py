"""The whole pipeline in one process (`serve --roles all`): gateway -> Kafka -> enrich -> sink ->
ClickHouse -> query API."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

pytestmark = pytest.mark.integration
URL = "/api/v1/events"


async def poll(client: httpx.AsyncClient, path: str, until, timeout: float = 10, **params):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    body = None
    while time.monotonic() < deadline:
        response = await client.get(path, params=params)
        if response.status_code == 200:
            body = response.json()
            if until(body):
                return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} never satisfied the condition; last: {body}")


async def test_event_is_queryable_within_5s_with_its_cost(server_factory) -> None:
    server = server_factory(roles="all")
    event_id = str(uuid.uuid4())
    event = {
        "eventId": event_id,
        "type": "llm_call",
        "body": {
            "model": "gpt-4o-mini-2024-07-18",
            "tokens": {"input": 1000, "output": 500},
            "latencyMs": 321,
        },
    }
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as client:
        sent = time.monotonic()
        assert (await client.post(URL, json=event)).status_code == 202
        page = await poll(client, "/api/v1/events", lambda b: b["events"], timeout=5)
        elapsed = time.monotonic() - sent
        [row] = page["events"]
        assert row["eventId"] == event_id
        # gpt-4o-mini: $0.15 / 1M input, $0.60 / 1M output
        assert row["costUsd"] == pytest.approx(1000 * 0.15e-6 + 500 * 0.60e-6, rel=1e-9)
        detail = (await client.get(f"/api/v1/events/{event_id}")).json()
        assert detail["body"]["model"] == "gpt-4o-mini-2024-07-18"
        assert detail["costSource"] == "table"
    assert elapsed < 5


async def test_stats_equal_what_was_sent_and_duplicates_show_once(server_factory) -> None:
    server = server_factory(roles="all")
    now = datetime.now(UTC).replace(microsecond=0)
    events = []
    for i in range(40):
        error = i % 8 == 0  # 5 errors
        events.append(
            {
                "eventId": str(uuid.uuid4()),
                "type": "llm_call",
                "timestamp": (now - timedelta(seconds=i)).isoformat(),
                "body": {
                    "model": "claude-3-5-haiku-20241022" if i % 2 else "gpt-4o",
                    "tokens": {"input": 100 + i, "output": 20 + i},
                    "latencyMs": 100 + i,
                    "status": "error" if error else "ok",
                    **({"error": {"type": "Timeout", "message": "t"}} if error else {}),
                    **({"costUsd": 0.01} if i % 5 == 0 else {}),
                },
            }
        )
    others = [{"type": "log", "body": {"level": "info", "message": "not a request"}}]
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as client:
        assert (await client.post(URL, json={"events": events[:20] + others})).status_code == 202
        assert (await client.post(URL, json={"events": events[20:]})).status_code == 202
        # The same events again (a client retry): must not count twice anywhere.
        assert (await client.post(URL, json={"events": events[:10]})).status_code == 202
        assert (await client.post(URL, json=events[0])).status_code == 202

        expected_cost = 0.0
        for e in events:
            body = e["body"]
            if "costUsd" in body:
                expected_cost += 0.01
            elif body["model"] == "gpt-4o":  # $2.50 / $10 per 1M
                expected_cost += body["tokens"]["input"] * 2.5e-6 + body["tokens"]["output"] * 10e-6
            else:  # claude-3-5-haiku: $0.80 / $4 per 1M
                expected_cost += body["tokens"]["input"] * 0.8e-6 + body["tokens"]["output"] * 4e-6
        overview = await poll(
            client,
            "/api/v1/stats/overview",
            lambda b: b["requests"]["today"] >= 40 and b["costUsd"] > 0,
            timeout=15,
        )
        # Let any late duplicate reach storage before asserting that it did not count.
        await asyncio.sleep(2)
        overview = (await client.get("/api/v1/stats/overview")).json()
        midnight = now.replace(hour=0, minute=0, second=0)
        today = sum(
            1 for i in range(40) if now - timedelta(seconds=i) >= midnight
        )  # 40 unless near 00:00 UTC
        assert overview["requests"] == {"today": today, "last7d": 40, "last30d": 40}
        assert overview["errorRate"] == pytest.approx(5 / 40)
        assert overview["tokens"]["input"] == sum(100 + i for i in range(40))
        assert overview["tokens"]["output"] == sum(20 + i for i in range(40))
        assert overview["costUsd"] == pytest.approx(expected_cost, rel=1e-9)
        page = (await client.get("/api/v1/events", params={"limit": 500})).json()
        ids = [e["eventId"] for e in page["events"]]
        assert len(ids) == len(set(ids)) == 41
        only_calls = (await client.get("/api/v1/events", params={"type": "llm_call", "limit": 500})).json()
        assert len(only_calls["events"]) == 40
        models = (await client.get("/api/v1/stats/models")).json()
        by_model = {m["model"]: m for m in models["models"]}
        assert by_model["gpt-4o"]["requests"] == 20
        assert by_model["claude-3-5-haiku-20241022"]["requests"] == 20


async def test_another_projects_key_sees_nothing(server_factory) -> None:
    server = server_factory(roles="all")
    from core.control.store import ControlPlane  # noqa: PLC0415
    from core.database import create_engine  # noqa: PLC0415

    engine = create_engine(f"sqlite+aiosqlite:///{server.home / 'control.db'}")
    try:
        other = await ControlPlane(engine).create_project("other", project_id="other-project")
        _, other_key = await ControlPlane(engine).create_key(other.id, "k")
    finally:
        await engine.dispose()
    event_id = str(uuid.uuid4())
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as client:
        assert (
            await client.post(
                URL, json={"eventId": event_id, "type": "log", "body": {"level": "info", "message": "x"}}
            )
        ).status_code == 202
        await poll(client, "/api/v1/events", lambda b: b["events"])
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": other_key}) as intruder:
        assert (await intruder.get("/api/v1/events")).json()["events"] == []
        assert (
            await intruder.get("/api/v1/events", params={"project_id": server.project_id})
        ).status_code == 403
        assert (await intruder.get(f"/api/v1/events/{event_id}")).status_code == 404
        assert (
            await intruder.get("/api/v1/stats/overview", params={"project_id": server.project_id})
        ).status_code == 403


async def test_a_resent_event_without_a_timestamp_is_stored_once(server_factory) -> None:
    """Its timestamp is its receive time, so the second copy arrives with a later one."""
    server = server_factory(roles="all")
    plain = {"eventId": str(uuid.uuid4()), "type": "llm_call", "body": {"model": "gpt-4o", "latencyMs": 5}}
    far_future = {
        "eventId": str(uuid.uuid4()),
        "type": "llm_call",
        "timestamp": "2999-01-01T00:00:00Z",  # replaced by the receive time (timestampAdjusted)
        "body": {"model": "gpt-4o", "latencyMs": 5},
    }
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers) as client:
        assert (await client.post(URL, json={"events": [plain, far_future]})).status_code == 202
        await poll(client, "/api/v1/events", lambda b: len(b["events"]) == 2)
        await asyncio.sleep(1.1)  # the copies get receive times in a later second
        assert (await client.post(URL, json={"events": [plain, far_future]})).status_code == 202
        marker = {"type": "log", "body": {"level": "info", "message": "after the copies"}}
        assert (await client.post(URL, json=marker)).status_code == 202
        # Same project, same partition, in order: once the marker is stored, so are the copies' fates.
        page = await poll(client, "/api/v1/events", lambda b: len(b["events"]) >= 3, limit=500)
        ids = sorted(e["eventId"] for e in page["events"] if e["type"] == "llm_call")
        assert ids == sorted([plain["eventId"], far_future["eventId"]])
        overview = (await client.get("/api/v1/stats/overview")).json()
        assert overview["requests"]["last7d"] == 2
