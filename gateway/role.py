"""The gateway role: wires the key cache, the ingestor and the Kafka sink into HTTP routes."""

from __future__ import annotations

import asyncio

from core.control.key_cache import KeyCache
from core.metrics import GatewayMetrics
from core.roles import Role, RoleContext
from core.supervise import Worker
from gateway.auth import GatewayKeys
from gateway.errors import GatewayError, to_response
from gateway.ingest import Ingestor
from gateway.ratelimit import RateLimiter
from gateway.routes import build_routes
from gateway.sink import EventSink, KafkaSink
from gateway.usage import KeyUsage


def build_gateway(ctx: RoleContext, sink: EventSink) -> Role:
    settings = ctx.settings.gateway
    metrics = GatewayMetrics(ctx.registry)
    # Label children resolved once: .labels() is a dict lookup under a lock on every request otherwise.
    hits, misses = metrics.key_cache_lookups.labels("hit"), metrics.key_cache_lookups.labels("miss")
    keys = GatewayKeys(
        KeyCache(
            ctx.control,
            settings.key_cache_ttl_s,
            on_lookup=lambda hit: (hits if hit else misses).inc(),
        )
    )
    usage = KeyUsage(ctx.control, settings.usage_flush_s)
    ingestor = Ingestor(
        sink,
        metrics,
        settings.max_inflight_requests,
        settings.max_inflight_events,
        limiter=RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst),
        usage=usage,
    )

    async def write_usage() -> None:
        """The usage writer's loop, run by the host's supervisor: restarted if a flush raises."""
        while True:
            await asyncio.sleep(settings.usage_flush_s)
            await usage.flush()

    def count_rejection(request: object, exc: GatewayError) -> object:
        metrics.requests_rejected.labels(exc.code).inc()
        return to_response(request, exc)  # type: ignore[arg-type]

    return Role(
        name="gateway",
        route_handlers=build_routes(keys, ingestor, settings.max_body_bytes),
        on_startup=[sink.start],
        on_shutdown=[sink.stop, usage.stop],  # stop() writes what is left
        readiness=[sink.check],
        workers=[Worker("usage-writer", write_usage)],
        exception_handlers={GatewayError: count_rejection},
    )


def build_role(ctx: RoleContext) -> Role:
    return build_gateway(ctx, KafkaSink(ctx.settings.kafka, ctx.topics))
