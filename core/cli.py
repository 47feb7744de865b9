"""`lynex-server`: one console script for every role (serve), migrations and settings.

Exit codes: 0 ok, 1 runtime failure, 2 bad settings or arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta

from prometheus_client import CollectorRegistry

from contracts.topics import Topics
from core.clickhouse import ClickHouse, migrate_clickhouse
from core.control.accounts import Accounts
from core.control.migrations import migrate as migrate_control_plane
from core.control.store import BootstrapConflict, ControlPlane, ControlPlaneError
from core.database import create_engine
from core.kafka import ensure_topics
from core.logging import configure_logging
from core.roles import RoleContext, UnknownRoleError, build_roles, resolve_roles
from core.settings import Settings, SettingsError, describe, load_settings

log = logging.getLogger("lynex")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lynex-server", description="Lynex observability pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run one or more roles (default: all in one process)")
    serve.add_argument("--roles", default="all", help="all, or a comma list of gateway,streams,query")
    serve.add_argument("--no-migrate", action="store_true", help="skip migrations (a separate job runs them)")
    sub.add_parser("migrate", help="apply control-plane (and storage) migrations, idempotently")
    sub.add_parser("settings", help="list every LYNEX_* setting with its default")
    return parser


async def build_context(settings: Settings) -> RoleContext:
    engine = create_engine(settings.database_url)
    return RoleContext(
        settings=settings,
        registry=CollectorRegistry(),
        engine=engine,
        control=ControlPlane(engine),
        topics=Topics.with_prefix(settings.kafka.topic_prefix),
        clickhouse=ClickHouse(settings.clickhouse_dsn),
    )


async def bootstrap(settings: Settings, control: ControlPlane) -> None:
    """The headless set-up from LYNEX_INIT__*: a project, its key, and optionally its owner (idempotent).

    It never undoes what users did through the API (a deleted project, a revoked key, a changed role):
    each such conflict is one warning line, and start-up goes on. Bad settings still stop it (exit 2).
    """
    init = settings.init
    if not init.project_id:
        return
    try:
        created = await control.ensure_init_project(init.project_id)
    except BootstrapConflict as exc:
        log.warning("init_conflicted", extra={"project_id": init.project_id, "reason": str(exc)})
        return
    try:
        created = await control.ensure_init_key(init.project_id, init.api_key) or created
    except BootstrapConflict as exc:
        log.warning("init_conflicted", extra={"project_id": init.project_id, "reason": str(exc)})
    if init.user_email:
        accounts = Accounts(
            control.engine, settings.auth.secret_key, timedelta(hours=settings.auth.session_ttl_h)
        )
        try:
            await accounts.ensure_init_owner(init.project_id, init.user_email, init.user_password)
        except BootstrapConflict as exc:
            log.warning("init_conflicted", extra={"project_id": init.project_id, "reason": str(exc)})
    log.info("init_project_ready", extra={"project_id": init.project_id, "newly_created": created})


async def migrate(settings: Settings, kafka_timeout_s: float = 60) -> None:
    """Control-plane tables, ClickHouse tables, Kafka topics: each idempotent."""
    ctx = await build_context(settings)
    try:
        applied = await migrate_control_plane(ctx.engine)
        print(f"control plane: {len(applied)} migration(s) applied {applied or ''}".rstrip())
        await bootstrap(settings, ctx.control)
        applied = await migrate_clickhouse(ctx.clickhouse, settings.clickhouse.retention_days)
        print(f"clickhouse: {len(applied)} migration(s) applied {applied or ''}".rstrip())
        await ensure_topics(settings.kafka, ctx.topics, timeout_s=kafka_timeout_s)
        print(f"kafka: topics ready ({', '.join(ctx.topics.names())})")
    finally:
        ctx.clickhouse.close()
        await ctx.engine.dispose()


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop for `auto` when it is installed (the server extras install it), else asyncio's loop.

    The profiles of the single-event ingest path put ~30 % of the CPU in the event loop itself.
    """
    if choice == "asyncio":
        return None
    try:
        import uvloop  # noqa: PLC0415 - optional: asyncio's loop when it is absent
    except ImportError:
        if choice == "uvloop":
            raise SettingsError(["LYNEX_HTTP__LOOP: uvloop is not installed"]) from None
        return None
    return uvloop.new_event_loop


async def serve(settings: Settings, role_names: Sequence[str], run_migrations: bool = True) -> None:
    import uvicorn  # noqa: PLC0415 - only `serve` needs the server

    from core.server import create_app  # noqa: PLC0415

    ctx = await build_context(settings)
    if run_migrations:
        await migrate_control_plane(ctx.engine)
        if {"streams", "query"} & set(role_names):
            await migrate_clickhouse(ctx.clickhouse, settings.clickhouse.retention_days)
    await bootstrap(settings, ctx.control)  # the same set-up as `migrate`, the owner account included
    roles = build_roles(role_names, ctx)
    app = create_app(roles, ctx.registry, settings.gateway.max_body_bytes + 64 * 1024)
    config = uvicorn.Config(
        app,
        host=settings.http.host,
        port=settings.http.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=15,
    )
    server = uvicorn.Server(config)
    log.info(
        "server_starting",
        extra={
            "roles": list(role_names),
            "url": f"http://{settings.http.host}:{settings.http.port}",
            "loop": type(asyncio.get_running_loop()).__module__.partition(".")[0],
        },
    )
    try:
        await server.serve()
    finally:
        ctx.clickhouse.close()
        await ctx.engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "settings":
        for var, default, doc in describe():
            print(f"{var:<42} {default:<24} {doc}")
        return 0
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(f"lynex-server: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log)
    try:
        factory = loop_factory(settings.http.loop)
    except SettingsError as exc:
        print(f"lynex-server: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "migrate":
            asyncio.run(migrate(settings))
        else:
            role_names = resolve_roles(args.roles)
            with asyncio.Runner(loop_factory=factory) as runner:
                runner.run(serve(settings, role_names, run_migrations=not args.no_migrate))
    except (UnknownRoleError, ControlPlaneError) as exc:
        print(f"lynex-server: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
