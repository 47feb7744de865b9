"""The streams role: the faust app (enrich, alerts), the ClickHouse sink and the alert rule reloader, each a
supervised worker (core.supervise) in this process's loop.

A faust app that crashed cannot be started again, so its worker builds a new app on every start: the
new one joins the group and re-reads from the last committed offsets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from functools import partial

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from contracts.topics import Topics
from core.kafka import create_producer, ensure_topics, start_with_retry
from core.metrics import StreamsMetrics
from core.roles import Role, RoleContext
from core.settings import Settings
from core.supervise import Worker
from streams.alert_agents import Alerting, prepare_topics, recovered
from streams.dead_letter_log import dead_letter_worker
from streams.dlq import DeadLetterBoundary, DeadLetters
from streams.enrich_agent import StreamsApp, create_streams_app, streams_app_id
from streams.pricing import load_price_table
from streams.sink import ClickHouseSink

log = logging.getLogger(__name__)

APP_STOP_TIMEOUT_S = 30.0


class FaustAppCrashedError(Exception):
    """The faust app crashed (faust's own crash state); the supervisor starts a new one."""


class Setup:
    """What every worker waits for once: the DLQ producer connected, the topics created, and the
    enriched topic's partition count (the alert tables are co-partitioned with it)."""

    def __init__(self, settings: Settings, topics: Topics, producer: AIOKafkaProducer, stop: asyncio.Event):
        self.settings = settings
        self.topics = topics
        self.producer = producer
        self.stop = stop
        self.partitions: int | None = None
        self._lock = asyncio.Lock()

    async def ready(self) -> int | None:
        """The partition count once set up; None if the role is stopping first."""
        async with self._lock:
            if self.partitions is None:
                self.partitions = await self._prepare()
            return self.partitions

    async def _prepare(self) -> int | None:
        # Kafka may come up after us: wait for it instead of exiting.
        if not await start_with_retry(self.producer, self.stop, "streams-producer"):
            return None
        while not self.stop.is_set():
            try:
                await ensure_topics(self.settings.kafka, self.topics, timeout_s=30)
                # Only now may a consumer subscribe: earlier, it would auto-create the topic with the
                # broker's default partition count instead of ours.
                return await prepare_topics(
                    self.settings, streams_app_id(self.settings), self.topics.enriched
                )
            except (KafkaError, OSError) as exc:
                log.warning("topics_not_ensured", extra={"error": str(exc)})
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), timeout=1.0)
        return None


class FaustWorker:
    """Runs one faust app at a time: builds it, starts it, and ends (raising) when it crashes."""

    def __init__(self, build: Callable[[int], StreamsApp], setup: Setup) -> None:
        self.build = build
        self.setup = setup
        self.app: StreamsApp | None = None
        self.started = False

    async def run(self) -> None:
        partitions = await self.setup.ready()
        if partitions is None:
            return  # stopping
        app = self.app = self.build(partitions)
        try:
            await app.start()
            self.started = True
            log.info("streams_started", extra={"app": app.conf.id})
            await app.wait_until_stopped()  # returns when the app stops or crashes
            reason = app.bug or app.crash_reason
            raise FaustAppCrashedError(f"faust app {app.state}: {reason!r}") from reason
        finally:
            self.started = False
            if self.crashed():  # its in-flight records will never be acked: do not wait for them
                app.conf.stream_wait_empty = False
            with contextlib.suppress(Exception):  # a crashed app may fail to stop cleanly: it is dropped
                await asyncio.wait_for(asyncio.shield(app.stop_completely()), APP_STOP_TIMEOUT_S)

    def crashed(self) -> bool:
        return self.app is not None and (self.app.crashed or self.app.bug is not None)


def build_role(ctx: RoleContext) -> Role:
    settings = ctx.settings
    metrics = StreamsMetrics(ctx.registry)
    producer = create_producer(settings.kafka, "streams-dlq")
    boundary = DeadLetterBoundary(DeadLetters(producer, ctx.topics.dlq, metrics.dead_lettered))
    prices = load_price_table()
    alerting = Alerting.build(ctx)
    sink = ClickHouseSink(
        settings=settings.kafka,
        topic=ctx.topics.enriched,
        group_id=f"{settings.kafka.topic_prefix}lynex-sink",
        clickhouse=ctx.clickhouse,
        dead_letters=boundary.dead_letters,
        metrics=metrics,
    )
    stop = asyncio.Event()
    setup = Setup(settings, ctx.topics, producer, stop)

    def build_app(partitions: int) -> StreamsApp:
        app = create_streams_app(settings, ctx.topics, prices, boundary, metrics)
        alerting.install(app, partitions=partitions, settings=settings, topics=ctx.topics, boundary=boundary)
        return app

    faust = FaustWorker(build_app, setup)

    async def run_sink() -> None:
        if await setup.ready() is not None:
            await sink.run()

    async def stop_sink() -> None:
        stop.set()
        await sink.stop()

    async def shutdown() -> None:
        stop.set()
        await producer.stop()

    async def ready() -> str | None:
        problems = []
        if faust.crashed():
            problems.append("streams: faust app crashed")
        elif not faust.started:
            problems.append("streams: faust app not started")
        elif faust.app is not None and not recovered(faust.app):
            problems.append("streams: alert tables recovering")
        if not sink.running:
            problems.append("streams: sink not consuming")
        elif sink.insert_failing:
            # A ping answers while inserts fail (a full disk, too many parts): say so.
            problems.append(f"streams: {sink.insert_failing}")
        if not alerting.rules.loaded.is_set():
            problems.append("streams: alert rules not loaded")
        ch = await ctx.clickhouse.ping()
        if ch:
            problems.append(ch)
        return "; ".join(problems) or None

    return Role(
        name="streams",
        on_shutdown=[shutdown],
        readiness=[ready],
        workers=[
            Worker("streams-faust", faust.run),
            Worker("clickhouse-sink", run_sink, stop=stop_sink),
            Worker("alert-rules", partial(alerting.rules.run, settings.alerts.rules_reload_s, stop)),
            dead_letter_worker(ctx, metrics, setup.ready),
        ],
    )
