"""Roles: what one process runs. A role is found by name through the `lynex.roles` entry points,
so `core` can host the gateway, streams and query without importing any of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.topics import Topics
from core.clickhouse import ClickHouse
from core.control.store import ControlPlane
from core.settings import Settings
from core.supervise import Worker

Hook = Callable[[], Awaitable[None]]
# Returns None when ready, else a short reason shown by GET /ready.
ReadinessCheck = Callable[[], Awaitable[str | None]]


@dataclass
class RoleContext:
    """Everything a role needs, built once per process and passed down."""

    settings: Settings
    registry: CollectorRegistry
    engine: AsyncEngine
    control: ControlPlane
    topics: Topics
    # Shared by the sink and the query API: the embedded engine allows one opener per directory.
    clickhouse: ClickHouse


@dataclass
class Role:
    name: str
    route_handlers: Sequence[Any] = ()
    on_startup: Sequence[Hook] = ()
    on_shutdown: Sequence[Hook] = ()
    readiness: Sequence[ReadinessCheck] = ()
    # Background work the host supervises (core.supervise): restarted when it dies, reported by /ready
    # and /live. Started after every role's on_startup hooks, stopped before their on_shutdown hooks.
    workers: Sequence[Worker] = ()
    # Litestar exception handlers this role's routes need, by exception type.
    exception_handlers: dict[int | type[Exception], Any] = field(default_factory=dict)


RoleFactory = Callable[[RoleContext], Role]
ALL_ROLES = ("gateway", "streams", "query")


class UnknownRoleError(Exception):
    pass


def available_roles() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group="lynex.roles")}


def resolve_roles(spec: str) -> list[str]:
    """`all` or a comma list -> the role names, in pipeline order; unknown names raise."""
    names = ALL_ROLES if spec.strip() == "all" else tuple(n.strip() for n in spec.split(",") if n.strip())
    installed = available_roles()
    if spec.strip() == "all":
        names = tuple(n for n in ALL_ROLES if n in installed)
    unknown = [n for n in names if n not in installed]
    if unknown or not names:
        raise UnknownRoleError(
            f"unknown role(s) {unknown or spec!r}; installed: {', '.join(sorted(installed))}"
        )
    return list(names)


def build_roles(names: Sequence[str], ctx: RoleContext) -> list[Role]:
    installed = available_roles()
    factories: list[RoleFactory] = [installed[name].load() for name in names]
    return [factory(ctx) for factory in factories]
