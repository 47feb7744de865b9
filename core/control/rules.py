"""Alert rules in the control plane: what the management API writes and the stream workers poll.

A rule is one condition over a project's last `window_minutes` (see `streams/rules.py` for what each
`kind`'s threshold means) and the Apprise channel URLs to notify. The URLs hold secrets: they are
stored encrypted (`core.crypto.SecretBox`, bound to the rule id) and only this module decrypts them.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.alerts import RuleKind
from core.control import tables
from core.control.keys import new_id
from core.crypto import SecretBox, SecretUnreadable

log = logging.getLogger(__name__)

MAX_WINDOW_MINUTES = 60
DEFAULT_COOLDOWN_S = 300
ChannelUrl = Annotated[
    str, msgspec.Meta(min_length=4, max_length=2000, pattern=r"^[A-Za-z][A-Za-z0-9+.-]*://")
]
Channels = Annotated[list[ChannelUrl], msgspec.Meta(min_length=1, max_length=10)]
RuleName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Threshold = Annotated[float, msgspec.Meta(ge=0)]
WindowMinutes = Annotated[int, msgspec.Meta(ge=1, le=MAX_WINDOW_MINUTES)]
MinRequests = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
Cooldown = Annotated[int, msgspec.Meta(ge=1, le=7 * 24 * 3600)]
Label = Annotated[str, msgspec.Meta(max_length=256)]


class RuleSpec(msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True):
    """A rule as a client writes it (POST body)."""

    name: RuleName
    kind: RuleKind
    threshold: Threshold
    window_minutes: WindowMinutes = 5
    min_requests: MinRequests = 0
    error_type: Label = ""
    model: Label = ""
    cooldown_s: Cooldown = DEFAULT_COOLDOWN_S
    enabled: bool = True
    channels: Channels


class RuleInvalid(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def check_spec(spec: RuleSpec) -> RuleSpec:
    """What the types cannot say; raises RuleInvalid naming the field."""
    if spec.kind == "error_type" and not spec.error_type:
        raise RuleInvalid("errorType", "required for an error_type rule")
    if spec.kind == "error_type" and spec.threshold < 1:
        raise RuleInvalid("threshold", "an error_type rule's threshold is a count, at least 1")
    if spec.kind == "error_rate" and spec.threshold >= 100:
        raise RuleInvalid("threshold", "an error rate is a percentage below 100")
    return spec


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    """A stored rule with its channel URLs in clear (never log or return them)."""

    id: str
    project_id: str
    name: str
    kind: RuleKind
    threshold: float
    window_minutes: int
    min_requests: int
    error_type: str
    model: str
    cooldown_s: int
    enabled: bool
    channels: list[str]
    created_at: datetime
    updated_at: datetime
    # The stored URLs could not be decrypted (the secret key changed): they must be entered again.
    channels_unreadable: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_SPEC_COLUMNS = tuple(f for f in RuleSpec.__struct_fields__ if f != "channels")


class RuleStore:
    def __init__(self, engine: AsyncEngine, box: SecretBox) -> None:
        self.engine = engine
        self.box = box

    def _seal(self, rule_id: str, channels: list[str]) -> str:
        return self.box.encrypt(msgspec.json.encode(channels).decode(), associated=rule_id)

    def _rule(self, row: Any) -> Rule:
        unreadable = False
        try:
            channels = msgspec.json.decode(self.box.decrypt(row.channels, associated=row.id), type=list[str])
        except SecretUnreadable:
            log.warning("rule_channels_unreadable", extra={"rule_id": row.id})
            channels, unreadable = [], True
        return Rule(
            id=row.id,
            project_id=row.project_id,
            name=row.name,
            kind=row.kind,
            threshold=row.threshold,
            window_minutes=row.window_minutes,
            min_requests=row.min_requests,
            error_type=row.error_type,
            model=row.model,
            cooldown_s=row.cooldown_s,
            enabled=bool(row.enabled),
            channels=channels,
            created_at=_aware(row.created_at),
            updated_at=_aware(row.updated_at),
            channels_unreadable=unreadable,
        )

    async def create(self, project_id: str, spec: RuleSpec) -> Rule:
        check_spec(spec)
        rule_id = new_id("rul")
        now = _now()
        values = {f: getattr(spec, f) for f in _SPEC_COLUMNS} | {
            "id": rule_id,
            "project_id": project_id,
            "channels": self._seal(rule_id, spec.channels),
            "created_at": now,
            "updated_at": now,
        }
        async with self.engine.begin() as conn:
            await conn.execute(tables.alert_rules.insert().values(values))
        rule = await self.get(project_id, rule_id)
        assert rule is not None
        return rule

    async def get(self, project_id: str, rule_id: str) -> Rule | None:
        r = tables.alert_rules
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(r).where(r.c.id == rule_id, r.c.project_id == project_id))
            ).first()
        return self._rule(row) if row else None

    async def for_project(self, project_id: str) -> list[Rule]:
        r = tables.alert_rules
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(sa.select(r).where(r.c.project_id == project_id).order_by(r.c.created_at))
            ).all()
        return [self._rule(row) for row in rows]

    async def list_enabled(self) -> list[Rule]:
        """Every enabled rule of every live project: what the stream workers evaluate."""
        r, p = tables.alert_rules, tables.projects
        query = (
            sa.select(r)
            .join(p, p.c.id == r.c.project_id)
            .where(r.c.enabled.is_(True), p.c.deleted_at.is_(None))
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [self._rule(row) for row in rows]

    async def update(self, project_id: str, rule_id: str, changes: dict[str, Any]) -> Rule | None:
        """Apply `changes` (RuleSpec field names; `channels` replaces the list); None if no such rule."""
        current = await self.get(project_id, rule_id)
        if current is None:
            return None
        merged = {f: getattr(current, f) for f in RuleSpec.__struct_fields__} | changes
        wire = {f.encode_name: merged[f.name] for f in msgspec.structs.fields(RuleSpec)}
        spec = check_spec(msgspec.convert(wire, RuleSpec))
        values = {f: getattr(spec, f) for f in _SPEC_COLUMNS} | {"updated_at": _now()}
        if "channels" in changes:
            values["channels"] = self._seal(rule_id, spec.channels)
        r = tables.alert_rules
        async with self.engine.begin() as conn:
            await conn.execute(
                r.update().where(r.c.id == rule_id, r.c.project_id == project_id).values(values)
            )
        return await self.get(project_id, rule_id)

    async def delete(self, project_id: str, rule_id: str) -> bool:
        r = tables.alert_rules
        async with self.engine.begin() as conn:
            result = await conn.execute(r.delete().where(r.c.id == rule_id, r.c.project_id == project_id))
        return bool(result.rowcount)
