"""The gateway role in-process, over an in-memory sink and a SQLite control plane in a temp dir."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient
from prometheus_client import CollectorRegistry

from contracts.topics import Topics
from core.clickhouse import ClickHouse
from core.control.migrations import migrate
from core.control.store import ControlPlane
from core.database import create_engine
from core.roles import RoleContext
from core.server import create_app
from core.settings import load_settings
from gateway.role import build_gateway
from gateway.sink import EventSink, MemorySink


@dataclass
class InProcessGateway:
    client: AsyncTestClient[Any]
    sink: EventSink
    control: ControlPlane
    project_id: str
    secret: str
    registry: CollectorRegistry

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.secret}


@asynccontextmanager
async def inprocess_gateway(
    tmp_path: Path, sink: EventSink | None = None, **gateway: Any
) -> AsyncIterator[InProcessGateway]:
    settings = load_settings(
        {"LYNEX_HOME": str(tmp_path), "LYNEX_ENV": "test"},
        gateway={k: v for k, v in gateway.items()},
    )
    engine = create_engine(settings.database_url)
    await migrate(engine)
    control = ControlPlane(engine)
    project = await control.create_project("unit", project_id="unit-project")
    _, secret = await control.create_key(project.id, "unit")
    registry = CollectorRegistry()
    ctx = RoleContext(
        settings, registry, engine, control, Topics.with_prefix("unit."), ClickHouse(settings.clickhouse_dsn)
    )
    sink = sink or MemorySink()
    app = create_app([build_gateway(ctx, sink)], registry, settings.gateway.max_body_bytes + 64 * 1024)
    try:
        async with AsyncTestClient(app) as client:
            yield InProcessGateway(client, sink, control, project.id, secret, registry)
    finally:
        await engine.dispose()
