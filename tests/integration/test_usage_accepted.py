"""Accepted events per project and minute on SQLite and PostgreSQL: the gateway's usage writer and
the control-plane table the accounting view and metering read."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.control.migrations import migrate
from core.control.store import ControlPlane, KeyIdentity
from core.database import create_engine
from gateway.usage import KeyUsage
from tests.support.databases import database_url
from tests.support.inprocess import inprocess_gateway

pytestmark = pytest.mark.integration
T0 = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
LOG = {"type": "log", "body": {"level": "info", "message": "hello"}}


@pytest.fixture
async def control(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    async with database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        await migrate(engine)
        yield ControlPlane(engine)
        await engine.dispose()


@pytest.mark.parametrize("control", ["sqlite", "postgres"], indirect=True)
async def test_counts_add_up_per_project_and_minute(control: ControlPlane) -> None:
    later = T0 + timedelta(minutes=2)
    # The same minute twice in one write (two moments in it) and again in a second write.
    await control.record_usage({}, {("a", T0): 3, ("a", T0 + timedelta(seconds=20)): 4, ("b", T0): 100})
    await control.record_usage({}, {("a", T0): 5, ("a", later): 7})
    minute = T0.replace(second=0)
    assert await control.accepted_events("a", minute, minute + timedelta(minutes=1)) == 12
    assert await control.accepted_events("a", minute, later + timedelta(minutes=1)) == 19
    # A range covers every whole minute it overlaps: one ending at a minute's start does not reach it.
    assert await control.accepted_events("a", T0, later.replace(second=0)) == 12
    assert await control.accepted_events("a", T0, later) == 19
    assert await control.accepted_events("a", later, later + timedelta(seconds=1)) == 7
    assert await control.accepted_events("b", minute, later + timedelta(minutes=1)) == 100
    assert await control.accepted_events("c", minute, later + timedelta(minutes=1)) == 0


async def test_gateway_writes_accepted_counts_in_batches(tmp_path: Path) -> None:
    async with inprocess_gateway(tmp_path, usage_flush_s=0.1) as gw:
        before = datetime.now(UTC)
        for size in (5, 1, 20):
            response = await gw.client.post(
                "/api/v1/events", json={"events": [LOG] * size}, headers=gw.headers
            )
            assert response.status_code == 202
        deadline = time.monotonic() + 10
        span = (before - timedelta(minutes=1), datetime.now(UTC) + timedelta(minutes=1))
        while (n := await gw.control.accepted_events(gw.project_id, *span)) != 26:
            assert time.monotonic() < deadline, f"{n} accepted events written, expected 26"
            await asyncio.sleep(0.1)
        assert await gw.control.accepted_events("another-project", *span) == 0
        scrape = (await gw.client.get("/metrics")).text
        assert f'lynex_gateway_events_accepted_by_project_total{{project="{gw.project_id}"}} 26.0' in scrape


async def test_a_failed_write_keeps_the_counts_for_the_next(tmp_path: Path) -> None:
    good = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'control.db'}")
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'control.db'}")
    await migrate(good)
    control = ControlPlane(broken)
    usage = KeyUsage(control, interval_s=60)
    identity = KeyIdentity(key_id="key_1", project_id="p")
    usage.record(identity, 4, T0)
    await usage.flush()  # fails: the database cannot be opened
    usage.record(identity, 6, T0 + timedelta(minutes=1))
    control.engine = good
    await usage.flush()
    minute = T0.replace(second=0)
    assert await control.accepted_events("p", minute, minute + timedelta(minutes=1)) == 4
    assert await control.accepted_events("p", minute, minute + timedelta(minutes=2)) == 10
    await good.dispose()
    await broken.dispose()
