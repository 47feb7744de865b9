"""Alerting wired into the streams faust app (thin: logic is in aggregator.py and notify.py).

- `alerts-aggregate` consumes `events.enriched` and the app's tick topic in one agent (one record at
  a time: faust tables cannot be written from a batch), updating the `alert-windows` and
  `alert-states` tables and producing notices to `lynex.alerts` keyed by rule id.
- A timer puts a tick into each partition this worker owns every LYNEX_ALERTS__EVALUATE_EVERY_S: a
  table write needs a record of the key's partition to run under, and the tick is that record, so
  windows slide, alerts resolve and reminders go out with no events arriving. The tick topic is
  internal to the app (`<app id>-alert-ticks`, short retention), co-partitioned with the events.
- `alerts-notify` consumes `lynex.alerts` and delivers (Notifier), several rules' notices at once
  (Dispatcher), acknowledging each record once handled.

Both tables are changelogged (compacted topics `<app id>-alert-windows-changelog`, ...), so a worker
restarted inside a cooldown recovers its windows and its "last notified at" and stays silent.

One record never stops the app (streams.errors): a notice Kafka refuses for good, a value the window
arithmetic cannot take, or a notice that cannot be decoded or handled is dead-lettered (stages
`alert`, `aggregate`, `notify`) and acked; a changelog record Kafka refuses is dead-lettered by the app's
producer (stage `changelog`, streams.enrich_agent.StreamsApp); a send while Kafka is away is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import faust
import msgspec
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from contracts.alerts import AlertNotice, decode_notice, encode_notice
from contracts.enriched import decode_enriched
from contracts.topics import Topics
from core.control.rules import RuleStore
from core.crypto import SecretBox
from core.metrics import AlertMetrics
from core.roles import RoleContext
from core.settings import Settings
from streams.aggregator import Aggregator
from streams.dlq import DeadLetterBoundary, Origin
from streams.errors import SEND_ERRORS, InvalidRecord, is_permanent_produce_error, is_transient_kafka_error
from streams.notify import Dispatcher, Notifier
from streams.rule_cache import RuleCache

log = logging.getLogger(__name__)

TICK_RETENTION = timedelta(hours=1)
_TICK = struct.Struct(">d")


def tick_topic_name(app_id: str) -> str:
    return f"{app_id}-alert-ticks"


async def prepare_topics(settings: Settings, app_id: str, enriched: str) -> int:
    """The events topic's partition count, and the tick topic created with as many.

    The tables and ticks must be co-partitioned with the topic as it *is*: it may have been created
    with the broker's default count rather than ours (a consumer's metadata request can auto-create it).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    await admin.start()
    try:
        [described] = await admin.describe_topics([enriched])
        partitions = len(described["partitions"])
        if described["error_code"] or not partitions:
            raise KafkaError(f"topic {enriched} not described (error {described['error_code']})")
        topic = NewTopic(
            tick_topic_name(app_id),
            partitions,
            settings.kafka.replication_factor,
            topic_configs={"retention.ms": str(int(TICK_RETENTION.total_seconds() * 1000))},
        )
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([topic])
        return partitions
    finally:
        await admin.close()


def install_alerting(
    app: faust.App,
    *,
    partitions: int,
    settings: Settings,
    topics: Topics,
    rules: RuleCache,
    notifier: Notifier,
    metrics: AlertMetrics,
    boundary: DeadLetterBoundary,
) -> Aggregator:
    conf = settings.alerts
    ticks_name = tick_topic_name(app.conf.id)
    raw: dict[str, Any] = {"key_serializer": "raw", "value_serializer": "raw"}
    # key_type=bytes makes faust use the raw codec both ways: keys stay bytes after recovery too.
    windows = app.Table("alert-windows", key_type=bytes, value_type=bytes, partitions=partitions)
    states = app.Table("alert-states", key_type=bytes, value_type=bytes, partitions=partitions)
    source = app.topic(topics.enriched, ticks_name, **raw)
    ticks = app.topic(ticks_name, **raw)
    alerts = app.topic(topics.alerts, **raw)
    aggregator = Aggregator(
        windows, states, rules, metrics, min_gap_s=conf.min_evaluation_gap_s, flush_every_s=1.0
    )
    stale_tick_s = max(5.0, 3 * conf.evaluate_every_s)

    def notices_for(event: Any) -> list[AlertNotice]:
        message, now = event.message, time.time()
        if message.topic == ticks_name:
            sent_at = _TICK.unpack(event.value)[0] if len(event.value) == _TICK.size else 0.0
            # A backlog of ticks (after downtime) is not worth replaying.
            return [] if now - sent_at > stale_tick_s else aggregator.on_tick(message.partition, now)
        try:
            envelope = decode_enriched(event.value)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return []  # the sink dead-letters what cannot be decoded
        try:
            return aggregator.on_envelope(envelope, message.partition, now)
        except (ValueError, ArithmeticError) as exc:  # a value the window arithmetic cannot take
            raise InvalidRecord("aggregate", f"{type(exc).__name__}: {exc}") from exc

    @app.agent(source, concurrency=1, name="alerts-aggregate")
    async def aggregate(stream: Any) -> None:
        generation = -1
        # Acked only once handled (or dead-lettered): a bug stops the app before the ack, and the
        # next app reads the record again (streams.enrich_agent.StreamsApp._on_agent_error).
        manual = stream.noack()
        async for event in manual.events():
            if app.consumer_generation_id != generation:  # rebalanced: the tables are the truth
                aggregator.forget()
                generation = app.consumer_generation_id
            await boundary.guard(_origin(event), partial(_send_notices, alerts, partial(notices_for, event)))
            await manual.ack(event)

    @app.agent(alerts, concurrency=1, name="alerts-notify")
    async def notify(stream: Any) -> None:
        await notifier.warm_up()
        dispatcher = Dispatcher(notifier, boundary=boundary)
        try:
            # Manual acks: each record is acknowledged when its notice has been handled.
            async for event in stream.noack().events():
                origin = _origin(event)
                notice = await boundary.guard(origin, partial(_decode_notice, event.value))
                if notice is None:
                    event.ack()
                    continue
                await dispatcher.submit(notice, event.ack, origin)
        finally:
            dispatcher.cancel()

    @app.timer(interval=conf.evaluate_every_s)  # type: ignore[untyped-decorator]
    async def tick() -> None:
        assignor: Any = app.assignor
        partitions = {tp.partition for tp in assignor.assigned_actives() if tp.topic == ticks_name}
        stamp = _TICK.pack(time.time())
        try:
            for partition in partitions:
                await ticks.send(value=stamp, partition=partition)
        except (KafkaError, OSError) as exc:  # a raise here would stop the whole faust app
            log.warning("alert_tick_not_sent", extra={"error": type(exc).__name__})

    return aggregator


async def _send_notices(alerts: Any, decide: Callable[[], list[AlertNotice]]) -> None:
    for notice in decide():
        await send_notice(alerts, notice)


async def send_notice(alerts: Any, notice: AlertNotice) -> None:
    """Written and acknowledged; InvalidRecord if Kafka can never take it, retried while it is away."""
    log.info("alert_decided", extra={"rule_id": notice.rule_id, "state": notice.state, "value": notice.value})
    delay = 0.2
    while True:
        try:
            await (await alerts.send(key=notice.rule_id.encode(), value=encode_notice(notice)))
        except SEND_ERRORS as exc:
            if is_permanent_produce_error(exc):
                raise InvalidRecord("alert", f"{type(exc).__name__}: {exc}") from exc
            if not is_transient_kafka_error(exc):
                raise
            log.warning("alert_notice_send_retrying", extra={"error": type(exc).__name__})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        else:
            return


def _origin(event: Any) -> Origin:
    message = event.message
    return Origin(message.topic, message.partition, message.offset, event.key, event.value)


async def _decode_notice(value: bytes) -> AlertNotice:
    try:
        return decode_notice(value)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InvalidRecord("notify", f"undecodable alert notice: {exc}") from exc


@dataclass
class Alerting:
    """What the streams role builds once and installs into its faust app when topics are known."""

    rules: RuleCache
    notifier: Notifier
    metrics: AlertMetrics

    @classmethod
    def build(cls, ctx: RoleContext) -> Alerting:
        metrics = AlertMetrics(ctx.registry)
        rules = RuleCache(RuleStore(ctx.engine, SecretBox(ctx.settings.auth.secret_key)), metrics)
        return cls(rules, Notifier(rules, ctx.clickhouse, ctx.settings.alerts, metrics), metrics)

    def install(
        self,
        app: faust.App,
        *,
        partitions: int,
        settings: Settings,
        topics: Topics,
        boundary: DeadLetterBoundary,
    ) -> None:
        install_alerting(
            app,
            partitions=partitions,
            settings=settings,
            topics=topics,
            rules=self.rules,
            notifier=self.notifier,
            metrics=self.metrics,
            boundary=boundary,
        )


def recovered(app: faust.App) -> bool:
    """The tables have been recovered from their changelogs at least once."""
    tables: Any = app.tables  # the stub's TableManagerT lacks `recovery`
    return bool(tables.recovery.completed.is_set())
