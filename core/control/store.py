"""Projects and API keys: the queries the gateway and the management API run on the control plane."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core.control import tables
from core.control.keys import display_prefix, generate_key, hash_key, is_well_formed, new_id
from core.control.usage import AcceptedCounts, accepted_between, add_accepted


class Project(msgspec.Struct, frozen=True):
    id: str
    name: str
    created_at: datetime


class ApiKey(msgspec.Struct, frozen=True):
    id: str
    project_id: str
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    events_accepted: int = 0


class KeyIdentity(msgspec.Struct, frozen=True):
    """What the gateway learns from a valid key."""

    key_id: str
    project_id: str
    # The project's rate-limit override, None = the gateway's default.
    rate_per_s: float | None = None
    burst: int | None = None


class ControlPlaneError(Exception):
    """A control-plane request that cannot be carried out (bad key format, unknown project...)."""


class BootstrapConflict(ControlPlaneError):
    """The LYNEX_INIT__* settings disagree with what users did through the API (a deleted project, a
    revoked key...). The bootstrap leaves their state as it is; the message says what and why."""


def _now() -> datetime:
    return datetime.now(UTC)


class ControlPlane:
    """Async access to projects and keys over one SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create_project(self, name: str, project_id: str | None = None) -> Project:
        project = Project(id=project_id or new_id("prj"), name=name, created_at=_now())
        async with self.engine.begin() as conn:
            await conn.execute(tables.projects.insert().values(msgspec.structs.asdict(project)))
        return project

    async def get_project(self, project_id: str) -> Project | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(
                        tables.projects.c.id, tables.projects.c.name, tables.projects.c.created_at
                    ).where(tables.projects.c.id == project_id, tables.projects.c.deleted_at.is_(None))
                )
            ).first()
        return Project(id=row.id, name=row.name, created_at=row.created_at) if row else None

    async def create_key(self, project_id: str, name: str, secret: str | None = None) -> tuple[ApiKey, str]:
        """Create a key; the secret is returned here once and stored only as a hash."""
        secret = secret or generate_key()
        if not is_well_formed(secret):
            raise ControlPlaneError("an API key looks like sk_live_ followed by 20-128 url-safe characters")
        if await self.get_project(project_id) is None:
            raise ControlPlaneError(f"unknown project {project_id!r}")
        key = ApiKey(
            id=new_id("key"),
            project_id=project_id,
            name=name,
            prefix=display_prefix(secret),
            created_at=_now(),
        )
        values = msgspec.structs.asdict(key) | {"key_hash": hash_key(secret)}
        async with self.engine.begin() as conn:
            await conn.execute(tables.api_keys.insert().values(values))
        return key, secret

    async def find_key(self, secret: str) -> KeyIdentity | None:
        """The identity behind a live key of a live project, or None."""
        k, p = tables.api_keys, tables.projects
        query = (
            sa.select(k.c.id, k.c.project_id, p.c.rate_limit_per_s, p.c.rate_limit_burst)
            .join(p, p.c.id == k.c.project_id)
            .where(k.c.key_hash == hash_key(secret), k.c.revoked_at.is_(None), p.c.deleted_at.is_(None))
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return KeyIdentity(
            key_id=row.id,
            project_id=row.project_id,
            rate_per_s=row.rate_limit_per_s,
            burst=row.rate_limit_burst,
        )

    async def set_rate_limit(self, project_id: str, rate_per_s: float | None, burst: int | None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                tables.projects.update()
                .where(tables.projects.c.id == project_id)
                .values(rate_limit_per_s=rate_per_s, rate_limit_burst=burst)
            )

    async def record_usage(
        self, usage: dict[str, tuple[int, datetime]], accepted: AcceptedCounts | None = None
    ) -> None:
        """Add accepted-event counts and last-used times per key (one statement per key), and the
        per-project, per-minute accepted counts, in one transaction: a failed write changes nothing."""
        k = tables.api_keys
        async with self.engine.begin() as conn:
            await add_accepted(conn, accepted or {})
            for key_id, (count, last_used) in usage.items():
                await conn.execute(
                    k.update()
                    .where(k.c.id == key_id)
                    .values(
                        events_accepted=k.c.events_accepted + count,
                        last_used_at=sa.case(
                            (k.c.last_used_at.is_(None), last_used),
                            (k.c.last_used_at < last_used, last_used),
                            else_=k.c.last_used_at,
                        ),
                    )
                )

    async def accepted_events(self, project_id: str, start: datetime, end: datetime) -> int:
        """Events of the project the gateway accepted in the whole minutes from `start` to `end`."""
        return await accepted_between(self.engine, project_id, start, end)

    async def list_keys(self, project_id: str) -> list[ApiKey]:
        k = tables.api_keys
        query = sa.select(*(k.c[f] for f in ApiKey.__struct_fields__)).where(k.c.project_id == project_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(k.c.created_at))).all()
        return [ApiKey(**row._asdict()) for row in rows]

    async def revoke_key(self, key_id: str) -> bool:
        k = tables.api_keys
        async with self.engine.begin() as conn:
            result = await conn.execute(
                k.update().where(k.c.id == key_id, k.c.revoked_at.is_(None)).values(revoked_at=_now())
            )
        return bool(result.rowcount)

    # -- the headless bootstrap (LYNEX_INIT__*): what users did since wins, as a BootstrapConflict ----

    async def ensure_bootstrap(self, project_id: str, secret: str) -> bool:
        """Make sure `project_id` and the key `secret` exist (headless set-up); True if created."""
        created = await self.ensure_init_project(project_id)
        return await self.ensure_init_key(project_id, secret) or created

    async def ensure_init_project(self, project_id: str) -> bool:
        """Create the init project unless it exists; True if created. One a user deleted stays
        deleted (BootstrapConflict): its id is taken, and re-creating it would undo their choice."""
        row = await self._project_state(project_id)
        if row is None:
            try:
                await self.create_project(project_id, project_id=project_id)
            except IntegrityError:  # another process (a `migrate` job, a replica) created it meanwhile
                row = await self._project_state(project_id)
                if row is None:
                    raise
            else:
                return True
        if row.deleted_at is not None:
            raise BootstrapConflict(
                f"the init project {project_id!r} was deleted by a user: not re-created, nothing"
                " bootstrapped (set another LYNEX_INIT__PROJECT_ID for a new one)"
            )
        return False

    async def ensure_init_key(self, project_id: str, secret: str) -> bool:
        """Create the init key on the init project unless it exists; True if created. A key a user
        revoked stays revoked, and one that belongs to another project stays there (BootstrapConflict)."""
        if not is_well_formed(secret):
            raise ControlPlaneError(
                "LYNEX_INIT__API_KEY must look like sk_live_ + 20-128 url-safe characters"
            )
        row = await self._key_state(secret)
        if row is None:
            try:
                await self.create_key(project_id, "bootstrap", secret=secret)
            except IntegrityError:  # created meanwhile by another process
                row = await self._key_state(secret)
                if row is None:
                    raise
            else:
                return True
        if row.project_id != project_id:
            raise BootstrapConflict(
                f"LYNEX_INIT__API_KEY belongs to project {row.project_id!r}, not {project_id!r}: left there"
            )
        if row.revoked_at is not None:
            raise BootstrapConflict(
                f"the init API key of {project_id!r} was revoked by a user: it stays revoked"
                " (set a new LYNEX_INIT__API_KEY to get a working one)"
            )
        return False

    async def _project_state(self, project_id: str) -> sa.Row[Any, Any] | None:
        p = tables.projects
        async with self.engine.connect() as conn:
            return (await conn.execute(sa.select(p.c.deleted_at).where(p.c.id == project_id))).first()

    async def _key_state(self, secret: str) -> sa.Row[Any, Any] | None:
        k = tables.api_keys
        query = sa.select(k.c.project_id, k.c.revoked_at).where(k.c.key_hash == hash_key(secret))
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).first()
