"""Supervised workers against the real broker and the embedded ClickHouse: a bug injected into the enrich
agent and into the sink kills each worker once; the supervisor restarts it, /ready names it meanwhile,
the restart is counted, and every accepted event is stored exactly once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prometheus_client import CollectorRegistry

import streams.enrich_agent
from contracts.topics import Topics
from core.clickhouse import ClickHouse, migrate_clickhouse
from core.control.migrations import migrate
from core.control.store import ControlPlane
from core.database import create_engine
from core.roles import RoleContext, build_roles
from core.server import create_app
from core.settings import load_settings
from core.supervise import RestartPolicy
from streams.sink import ClickHouseSink
from tests.support.services import free_port, new_prefix

pytestmark = [
    pytest.mark.integration,
    # The notify agent warms Apprise up in this process; Apprise imports the stdlib's imghdr, which
    # warns on 3.11 (the server processes of the other tests do not turn warnings into errors).
    pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning"),
]

# Long enough a backoff for /ready to be seen naming the dead worker.
POLICY = RestartPolicy(initial_backoff_s=3.0, max_backoff_s=3.0, budget=5, budget_window_s=300)


@dataclass
class Pipeline:
    client: httpx.AsyncClient
    headers: dict[str, str]
    clickhouse: ClickHouse
    registry: CollectorRegistry

    def restarts(self, worker: str) -> float:
        return self.registry.get_sample_value("lynex_worker_restarts_total", {"worker": worker}) or 0.0

    async def stored(self) -> dict[str, int]:
        rows = await self.clickhouse.query("SELECT toString(event_id), count() FROM events GROUP BY event_id")
        return {r[0]: r[1] for r in rows}


@asynccontextmanager
async def pipeline(tmp_path: Path, bootstrap: str) -> AsyncIterator[Pipeline]:
    """gateway + streams in this process and this loop, served by uvicorn as `serve --roles
    gateway,streams` does (Litestar's test client would run the app in another loop than its Kafka
    clients were made in)."""
    settings = load_settings(
        {
            "LYNEX_HOME": str(tmp_path),
            "LYNEX_ENV": "test",
            "LYNEX_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
            "LYNEX_KAFKA__TOPIC_PREFIX": new_prefix(),
            "LYNEX_KAFKA__TOPIC_PARTITIONS": "2",
        }
    )
    engine = create_engine(settings.database_url)
    clickhouse = ClickHouse("chdb://" + str(tmp_path / "ch"))
    try:
        await migrate(engine)
        await migrate_clickhouse(clickhouse, settings.clickhouse.retention_days)
        control = ControlPlane(engine)
        project = await control.create_project("supervised", project_id="supervised")
        _, secret = await control.create_key(project.id, "test")
        registry = CollectorRegistry()
        topics = Topics.with_prefix(settings.kafka.topic_prefix)
        ctx = RoleContext(settings, registry, engine, control, topics, clickhouse)
        roles = build_roles(["gateway", "streams"], ctx)
        app = create_app(roles, registry, 1024 * 1024, restart_policy=POLICY)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:
                assert not serving.done(), "uvicorn exited"
                await asyncio.sleep(0.05)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                yield Pipeline(client, {"X-API-Key": secret}, clickhouse, registry)
        finally:
            server.should_exit = True
            await serving
    finally:
        clickhouse.close()
        await engine.dispose()


def events(n: int) -> list[dict[str, object]]:
    return [
        {
            "eventId": str(uuid.uuid4()),
            "type": "llm_call",
            "body": {"model": "gpt-4o-mini", "tokens": {"input": 10, "output": 1}},
        }
        for _ in range(n)
    ]


async def wait_for(probe, what: str, timeout: float = 90) -> Any:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached within {timeout}s: {what}")


async def test_workers_killed_by_a_bug_are_restarted_reported_and_lose_nothing(
    tmp_path: Path, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bugs = {"enrich": 1, "sink": 1}
    enrich = streams.enrich_agent.enrich_envelope
    insert = ClickHouseSink._insert

    def buggy_enrich(*args: Any, **kwargs: Any) -> Any:
        if bugs["enrich"] > 0:
            bugs["enrich"] -= 1
            raise RuntimeError("injected bug in enrich")
        return enrich(*args, **kwargs)

    async def buggy_insert(self: ClickHouseSink, *args: Any, **kwargs: Any) -> int:
        if bugs["sink"] > 0 and bugs["enrich"] == 0:
            bugs["sink"] -= 1
            raise RuntimeError("injected bug in the sink")
        return await insert(self, *args, **kwargs)

    monkeypatch.setattr(streams.enrich_agent, "enrich_envelope", buggy_enrich)
    monkeypatch.setattr(ClickHouseSink, "_insert", buggy_insert)

    async with pipeline(tmp_path, kafka_bootstrap) as p:

        async def ready() -> bool:
            return (await p.client.get("/ready")).status_code == 200

        await wait_for(ready, "/ready 200 before the bugs")
        assert bugs == {"enrich": 1, "sink": 1}  # nothing has gone through either stage yet
        sent = events(30)
        response = await p.client.post("/api/v1/events", json={"events": sent}, headers=p.headers)
        assert response.status_code == 202, response.text

        async def not_ready_naming(worker: str) -> list[str] | None:
            response = await p.client.get("/ready")
            problems: list[str] = response.json()["problems"]
            named = [x for x in problems if x.startswith(f"{worker}: worker restarting")]
            return problems if response.status_code == 503 and named else None

        problems = await wait_for(lambda: not_ready_naming("streams-faust"), "/ready names streams-faust")
        assert any("injected bug in enrich" in x for x in problems), problems
        assert (await p.client.get("/live")).status_code == 200  # one death is within the budget
        problems = await wait_for(lambda: not_ready_naming("clickhouse-sink"), "/ready names the sink")
        assert any("injected bug in the sink" in x for x in problems), problems

        async def all_stored() -> dict[str, int] | None:
            stored = await p.stored()
            return stored if len(stored) >= len(sent) else None

        stored = await wait_for(all_stored, "every accepted event stored")
        await wait_for(ready, "/ready 200 again after the restarts")
        assert p.restarts("streams-faust") == 1
        assert p.restarts("clickhouse-sink") == 1
        metrics = (await p.client.get("/metrics")).text
        assert 'lynex_worker_restarts_total{worker="streams-faust"} 1.0' in metrics
    assert bugs == {"enrich": 0, "sink": 0}
    assert sorted(stored) == sorted(str(e["eventId"]) for e in sent)
    assert set(stored.values()) == {1}
