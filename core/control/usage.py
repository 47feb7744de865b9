"""Accepted events per project and UTC minute (`usage_accepted`): written by the gateway's usage writer
in batches, read by the accounting view. Plans, quotas and billing meter from this table too, so it is
the one place an accepted count comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.control import tables

# (project id, start of the UTC minute) -> events accepted in it.
AcceptedCounts = Mapping[tuple[str, datetime], int]


def minute_of(moment: datetime) -> datetime:
    """The start of the UTC minute holding `moment` (the bucket an accepted event is counted in)."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _upsert(dialect: str) -> type[sqlite.Insert] | type[postgresql.Insert]:
    if dialect == "postgresql":
        return postgresql.Insert
    if dialect == "sqlite":
        return sqlite.Insert
    raise NotImplementedError(f"usage counts need an upsert; no support for {dialect!r}")


async def add_accepted(conn: AsyncConnection, counts: AcceptedCounts) -> None:
    """Add counts to their buckets in one statement (insert, or add to a bucket that exists).

    An upsert rather than read-then-write: several gateway processes add to the same minute at once.
    """
    # One row per bucket: PostgreSQL refuses an upsert that touches the same row twice.
    buckets: dict[tuple[str, datetime], int] = {}
    for (project_id, moment), events in counts.items():
        key = (project_id, minute_of(moment))
        buckets[key] = buckets.get(key, 0) + events
    if not buckets:
        return
    t = tables.usage_accepted
    insert = _upsert(conn.dialect.name)(t).values(
        [{"project_id": p, "minute": m, "events": n} for (p, m), n in buckets.items()]
    )
    await conn.execute(
        insert.on_conflict_do_update(
            index_elements=[t.c.project_id, t.c.minute], set_={"events": t.c.events + insert.excluded.events}
        )
    )


async def accepted_between(engine: AsyncEngine, project_id: str, start: datetime, end: datetime) -> int:
    """Events of `project_id` accepted in the minutes `[minute_of(start), end)`."""
    t = tables.usage_accepted
    query = sa.select(sa.func.coalesce(sa.func.sum(t.c.events), 0)).where(
        t.c.project_id == project_id,
        t.c.minute >= minute_of(start),
        t.c.minute < end.astimezone(UTC),
    )
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())
