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
    # Frozen as shipped: later steps alter these tables, tables.py shows them as they are now.
    md = sa.MetaData()
    sa.Table(
        "projects",
        md,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Table(
        "api_keys",
        md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("events_accepted", sa.BigInteger, nullable=False, server_default="0"),
    )
    md.create_all(conn, checkfirst=True)


def _m002_project_rate_limits(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE projects ADD COLUMN rate_limit_per_s FLOAT"))
    conn.execute(sa.text("ALTER TABLE projects ADD COLUMN rate_limit_burst INTEGER"))


def _m003_users_sessions_memberships(conn: sa.Connection) -> None:
    for table in (tables.users, tables.memberships, tables.sessions):
        table.create(conn, checkfirst=True)


def _m004_alert_rules(conn: sa.Connection) -> None:
    tables.alert_rules.create(conn, checkfirst=True)


def _m005_usage_accepted(conn: sa.Connection) -> None:
    tables.usage_accepted.create(conn, checkfirst=True)


MIGRATIONS: list[tuple[int, str, Step]] = [
    (1, "projects_and_keys", _m001_projects_and_keys),
    (2, "project_rate_limits", _m002_project_rate_limits),
    (3, "users_sessions_memberships", _m003_users_sessions_memberships),
    (4, "alert_rules", _m004_alert_rules),
    (5, "usage_accepted", _m005_usage_accepted),
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
