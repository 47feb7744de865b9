"""Numbered control-plane migrations, applied in order, each once, recorded in schema_migrations.

Each step uses SQLAlchemy Core DDL so the same step runs on SQLite and PostgreSQL. A step is never
edited after it has shipped: add a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.control import tables

log = logging.getLogger(__name__)

Step = Callable[[sa.Connection], None]


def _m001_projects_and_keys(conn: sa.Connection) -> None:
    tables.projects.create(conn, checkfirst=True)
    tables.api_keys.create(conn, checkfirst=True)


MIGRATIONS: list[tuple[int, str, Step]] = [
    (1, "projects_and_keys", _m001_projects_and_keys),
]


def _apply(conn: sa.Connection) -> list[int]:
    tables.schema_migrations.create(conn, checkfirst=True)
    done = set(conn.execute(sa.select(tables.schema_migrations.c.version)).scalars())
    applied = []
    for version, name, step in MIGRATIONS:
        if version in done:
            continue
        step(conn)
        conn.execute(
            tables.schema_migrations.insert().values(version=version, name=name, applied_at=datetime.now(UTC))
        )
        applied.append(version)
    return applied


async def migrate(engine: AsyncEngine) -> list[int]:
    """Apply every pending step in one transaction; return the versions applied."""
    async with engine.begin() as conn:
        applied = await conn.run_sync(_apply)
    if applied:
        log.info("control_plane_migrated", extra={"versions": applied})
    return applied
