"""The query role in-process over the real embedded ClickHouse engine and a SQLite control plane.

Two projects with one key each, so that every test can check tenant isolation. Rows go straight into
`events` (the materialized view fills the `events_1m` rollup, as it does behind the sink).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient
from prometheus_client import CollectorRegistry

from contracts.enriched import COLUMNS, EnrichedEvent
from contracts.topics import Topics
from core.clickhouse import ClickHouse, migrate_clickhouse
from core.control.migrations import migrate
from core.control.store import ControlPlane
from core.database import create_engine
from core.roles import Role, RoleContext
from core.server import create_app
from core.settings import load_settings
from query.role import build_query


@dataclass
class Tenant:
    project_id: str
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.secret}


@dataclass
class InProcessQuery:
    client: AsyncTestClient[Any]
    clickhouse: ClickHouse
    control: ControlPlane
    a: Tenant
    b: Tenant

    async def insert(self, events: Sequence[EnrichedEvent]) -> None:
        await insert_events(self.clickhouse, events)


def enriched(project_id: str, timestamp: datetime, **fields: Any) -> EnrichedEvent:
    """An llm_call row with neutral defaults; any column can be overridden."""
    row: dict[str, Any] = {
        "project_id": project_id,
        "event_id": str(uuid.uuid4()),
        "type": "llm_call",
        "timestamp": timestamp,
        "received_at": timestamp,
        "timestamp_adjusted": 0,
        "key_id": "key_test",
        "model": "gpt-4o-mini",
        "provider": "openai",
        "input_tokens": 0,
        "output_tokens": 0,
        "cached_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": None,
        "cost_source": "",
        "latency_ms": None,
        "status": "ok",
        "error_type": "",
        "level": "",
        "trace_id": "",
        "span_id": "",
        "parent_span_id": "",
        "env": "",
        "user_id": "",
        "session_id": "",
        "release": "",
        "sdk": "lynex-python/0.1.0",
        "context": "{}",
        "body": "{}",
    }
    row.update(fields)
    return EnrichedEvent(**row)


async def insert_events(clickhouse: ClickHouse, events: Sequence[EnrichedEvent]) -> None:
    rows = [msgspec.structs.astuple(event) for event in events]
    await clickhouse.insert_columns("events", [list(column) for column in zip(*rows, strict=True)], COLUMNS)


@asynccontextmanager
async def inprocess_query(
    tmp_path: Path,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    other_roles: Sequence[Callable[[RoleContext], Role]] = (),
) -> AsyncIterator[InProcessQuery]:
    """`other_roles` share the app, as in `--roles all` (e.g. the gateway's POST on /api/v1/events)."""
    settings = load_settings({"LYNEX_HOME": str(tmp_path), "LYNEX_ENV": "test"})
    engine = create_engine(settings.database_url)
    clickhouse = ClickHouse("chdb://" + str(tmp_path / "ch"))
    try:
        await migrate(engine)
        await migrate_clickhouse(clickhouse, settings.clickhouse.retention_days)
        control = ControlPlane(engine)
        tenants = []
        for name in ("project-a", "project-b"):
            project = await control.create_project(name, project_id=name)
            _, secret = await control.create_key(project.id, "test")
            tenants.append(Tenant(project.id, secret))
        registry = CollectorRegistry()
        ctx = RoleContext(settings, registry, engine, control, Topics.with_prefix("test."), clickhouse)
        roles = [build_query(ctx, clock=clock), *(build(ctx) for build in other_roles)]
        app = create_app(roles, registry, 1024 * 1024)
        async with AsyncTestClient(app) as client:
            yield InProcessQuery(client, clickhouse, control, *tenants)
    finally:
        clickhouse.close()
        await engine.dispose()
