"""The query role: wires authentication and the ClickHouse repositories into the read API's routes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from core.control.accounts import Accounts
from core.control.key_cache import KeyCache
from core.control.rules import RuleStore
from core.crypto import SecretBox
from core.roles import Role, RoleContext
from query.accounting import build_accounting_routes
from query.alerts import build_alert_routes
from query.auth import ApiKeyAuthenticator, QueryAuth
from query.consumer_lag import ConsumerLag
from query.errors import QueryError, to_response
from query.management import build_management_routes
from query.repository.accounting import AccountingRepository
from query.repository.alerts import AlertRepository
from query.repository.events import EventRepository
from query.repository.reader import Reader
from query.repository.stats import StatsRepository
from query.routes import build_routes
from query.sessions import LoginThrottle, SessionAuthenticator
from query.spa import build_spa_routes, find_dashboard


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_query(ctx: RoleContext, clock: Callable[[], datetime] = _utc_now) -> Role:
    # The query role shares the gateway's key-cache TTL: one revocation delay for the whole product.
    settings = ctx.settings
    session_ttl = timedelta(hours=settings.auth.session_ttl_h)
    accounts = Accounts(ctx.engine, settings.auth.secret_key, session_ttl)
    auth = QueryAuth(
        [
            ApiKeyAuthenticator(KeyCache(ctx.control, settings.gateway.key_cache_ttl_s)),
            SessionAuthenticator(accounts),
        ]
    )
    reader = Reader(ctx.clickhouse)
    retention = timedelta(days=settings.clickhouse.retention_days)
    management = build_management_routes(
        auth,
        accounts,
        ctx.control,
        throttle=LoginThrottle(settings.auth.login_max_failures, settings.auth.login_window_s),
        session_ttl_s=int(session_ttl.total_seconds()),
        secure_cookies=settings.env == "production",
    )
    return Role(
        name="query",
        route_handlers=[
            *build_routes(auth, EventRepository(reader), StatsRepository(reader), retention, clock),
            *management,
            *build_alert_routes(
                auth,
                RuleStore(ctx.engine, SecretBox(settings.auth.secret_key)),
                AlertRepository(reader),
                clock=clock,
                test_timeout_s=settings.alerts.delivery_timeout_s,
                allow_private_channels=settings.alerts.allow_private_channels,
            ),
            *build_accounting_routes(
                auth,
                ctx.control,
                AccountingRepository(reader),
                ConsumerLag(settings.kafka, ctx.topics),
                clock,
            ),
            *build_spa_routes(find_dashboard(settings.query.dashboard_dir)),
        ],
        readiness=[ctx.clickhouse.ping],
        exception_handlers={QueryError: to_response},
    )


def build_role(ctx: RoleContext) -> Role:
    return build_query(ctx)
