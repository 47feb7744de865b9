"""The query role: wires authentication and the ClickHouse repositories into the read API's routes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from core.control.key_cache import KeyCache
from core.roles import Role, RoleContext
from query.auth import ApiKeyAuthenticator, QueryAuth
from query.errors import QueryError, to_response
from query.repository.events import EventRepository
from query.repository.reader import Reader
from query.repository.stats import StatsRepository
from query.routes import build_routes


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_query(ctx: RoleContext, clock: Callable[[], datetime] = _utc_now) -> Role:
    # The query role shares the gateway's key-cache TTL: one revocation delay for the whole product.
    auth = QueryAuth([ApiKeyAuthenticator(KeyCache(ctx.control, ctx.settings.gateway.key_cache_ttl_s))])
    reader = Reader(ctx.clickhouse)
    retention = timedelta(days=ctx.settings.clickhouse.retention_days)
    return Role(
        name="query",
        route_handlers=build_routes(auth, EventRepository(reader), StatsRepository(reader), retention, clock),
        readiness=[ctx.clickhouse.ping],
        exception_handlers={QueryError: to_response},
    )


def build_role(ctx: RoleContext) -> Role:
    return build_query(ctx)
