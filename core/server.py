"""The HTTP host: one Litestar app for whatever roles this process runs, plus health and metrics, and the
supervisor of every role's background workers.

- `/health`: the HTTP server answers (no checks).
- `/ready` (readiness probe): 503 naming each problem: a role's check failed, or a worker is dead or
  waiting to be restarted.
- `/live` (liveness probe): 503 only when restarting in place has not helped: a worker died more often
  than its restart budget allows, so the process should be replaced.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import msgspec
from litestar import Litestar, MediaType, Response, get
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from core.metrics import WorkerMetrics
from core.roles import Role
from core.supervise import RestartPolicy, Supervisor

log = logging.getLogger(__name__)


class Health(msgspec.Struct):
    status: str
    roles: list[str]
    problems: list[str] = []


def create_app(
    roles: Sequence[Role],
    registry: CollectorRegistry,
    max_body_bytes: int,
    restart_policy: RestartPolicy | None = None,
) -> Litestar:
    names = [r.name for r in roles]
    supervisor = Supervisor(
        [worker for role in roles for worker in role.workers], WorkerMetrics(registry), restart_policy
    )

    @get("/health", media_type=MediaType.JSON, include_in_schema=False, sync_to_thread=False)
    def health() -> Health:
        return Health(status="ok", roles=names)

    @get("/ready", media_type=MediaType.JSON, include_in_schema=False)
    async def ready() -> Response[Health]:
        checks = [check for role in roles for check in role.readiness]
        results = await asyncio.gather(*(check() for check in checks))
        problems = [*supervisor.problems(), *(r for r in results if r is not None)]
        status = 503 if problems else 200
        return Response(Health("unavailable" if problems else "ready", names, problems), status_code=status)

    @get("/live", media_type=MediaType.JSON, include_in_schema=False, sync_to_thread=False)
    def live() -> Response[Health]:
        problems = supervisor.fatal()
        status = 503 if problems else 200
        return Response(Health("dead" if problems else "live", names, problems), status_code=status)

    @get("/metrics", include_in_schema=False, sync_to_thread=False)
    def metrics() -> Response[bytes]:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def startup() -> None:
        for role in roles:
            for hook in role.on_startup:
                await hook()
        supervisor.start()
        log.info("roles_started", extra={"roles": names})

    async def shutdown() -> None:
        await supervisor.stop()
        for role in reversed(roles):
            for hook in role.on_shutdown:
                try:
                    await hook()
                except Exception:  # one failing hook must not keep the others from draining
                    log.exception("shutdown_hook_failed", extra={"role": role.name})

    handlers: dict[int | type[Exception], Any] = {}
    for role in roles:
        handlers.update(role.exception_handlers)
    return Litestar(
        route_handlers=[health, ready, live, metrics, *(h for role in roles for h in role.route_handlers)],
        on_startup=[startup],
        on_shutdown=[shutdown],
        exception_handlers=handlers,
        request_max_body_size=max_body_bytes,
        openapi_config=OpenAPIConfig(title="Lynex", version="1", path="/schema"),
        debug=False,
        logging_config=None,  # core.logging configures the process; Litestar must not replace it
        # SDKs in browsers post events from any origin with an API key. Credentials (cookies) are never
        # allowed cross-origin, so the dashboard's session cookie cannot be used by a foreign page.
        cors_config=CORSConfig(
            allow_origins=["*"],
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "Content-Encoding", "X-API-Key", "Authorization"],
            expose_headers=["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"],
            allow_credentials=False,
            max_age=86400,
        ),
    )
