"""The streams role: the faust app (enrich) and the ClickHouse sink, run in this process's loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka.errors import KafkaError

from core.kafka import create_producer, ensure_topics, start_with_retry
from core.metrics import StreamsMetrics
from core.roles import Role, RoleContext
from streams.alert_agents import Alerting, prepare_topics, recovered
from streams.dlq import DeadLetters
from streams.enrich_agent import create_streams_app
from streams.pricing import load_price_table
from streams.sink import ClickHouseSink

log = logging.getLogger(__name__)


def build_role(ctx: RoleContext) -> Role:
    settings = ctx.settings
    metrics = StreamsMetrics(ctx.registry)
    producer = create_producer(settings.kafka, "streams-dlq")
    dead_letters = DeadLetters(producer, ctx.topics.dlq)
    app = create_streams_app(settings, ctx.topics, load_price_table(), dead_letters, metrics)
    alerting = Alerting.build(ctx)
    sink = ClickHouseSink(
        settings=settings.kafka,
        topic=ctx.topics.enriched,
        group_id=f"{settings.kafka.topic_prefix}lynex-sink",
        clickhouse=ctx.clickhouse,
        dead_letters=dead_letters,
        metrics=metrics,
    )
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    state = {"faust": False}

    async def run() -> None:
        # Kafka may come up after us: wait for it instead of exiting (faust's worker would exit).
        if not await start_with_retry(producer, stop, "streams-producer"):
            return
        while not stop.is_set():
            try:
                await ensure_topics(settings.kafka, ctx.topics, timeout_s=30)
                partitions = await prepare_topics(settings, app.conf.id, ctx.topics.enriched)
                break
            except (KafkaError, OSError) as exc:
                log.warning("topics_not_ensured", extra={"error": str(exc)})
        if stop.is_set():
            return
        # Only now: a consumer subscribing earlier would auto-create the topic with the broker's default
        # partition count instead of ours.
        tasks.append(asyncio.create_task(sink.run(), name="clickhouse-sink"))
        alerting.install(app, partitions=partitions, settings=settings, topics=ctx.topics)
        await app.start()
        state["faust"] = True
        log.info("streams_started", extra={"raw": ctx.topics.raw, "enriched": ctx.topics.enriched})

    async def start() -> None:
        tasks.append(asyncio.create_task(run(), name="streams-start"))
        tasks.append(
            asyncio.create_task(alerting.rules.run(settings.alerts.rules_reload_s, stop), name="alert-rules")
        )

    async def shutdown() -> None:
        stop.set()
        await sink.stop()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if state["faust"]:
            await app.stop()
        await producer.stop()

    async def ready() -> str | None:
        problems = []
        if not state["faust"]:
            problems.append("streams: faust app not started")
        if not sink.running:
            problems.append("streams: sink not consuming")
        if state["faust"] and not recovered(app):
            problems.append("streams: alert tables recovering")
        if not alerting.rules.loaded.is_set():
            problems.append("streams: alert rules not loaded")
        ch = await ctx.clickhouse.ping()
        if ch:
            problems.append(ch)
        return "; ".join(problems) or None

    return Role(name="streams", on_startup=[start], on_shutdown=[shutdown], readiness=[ready])
