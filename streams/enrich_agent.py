"""The faust app and its enrich agent: `events.raw` -> `events.enriched` (thin: logic is in enrich.py).

Each batch of records taken from the stream is enriched, produced, and every produce is awaited
before the batch is acknowledged, so faust never commits an offset whose output is not in Kafka.
Agent concurrency stays 1 (with more, commits can overtake in-flight messages).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import faust
import msgspec

from contracts.codec import decode_envelope
from contracts.enriched import encode_enriched
from contracts.topics import Topics
from core.metrics import StreamsMetrics
from core.settings import Settings
from streams.dlq import DeadLetters
from streams.enrich import enrich_envelope
from streams.pricing import PriceTable

log = logging.getLogger(__name__)

TAKE_MAX = 200
TAKE_WITHIN_S = 0.05


class StreamsApp(faust.App):
    """faust.App whose consumer stops delivering records while it seeks to the committed offsets.

    After a rebalance that restores tables from their changelogs, faust resumes the stream partitions,
    seeks them to the committed offsets and only then resumes flow control, which clears the agents'
    queues. The fetcher keeps running through that window, so records read after the seek can be
    cleared from the queues while the fetcher counts them as read: they are never processed or acked,
    and as faust commits only contiguous acks, the partition's offset never moves again
    (faust-streaming/faust#596; here a worker killed and restarted under load hit it about one time in
    ten). Stopping the consumer's flow before the seek closes the window: the fetcher fetches nothing
    until faust resumes the flow, after the queues were cleared, and reads on from the seeked offsets.
    Every caller of `perform_seek` resumes the flow afterwards (or had it stopped already).
    """

    def _new_consumer(self) -> Any:
        consumer: Any = super()._new_consumer()
        seek = consumer.perform_seek

        async def perform_seek() -> None:
            consumer.stop_flow()
            # Let the fetcher see the stop (it abandons the record in hand; the seek rewinds past it).
            await asyncio.sleep(0)
            await seek()

        consumer.perform_seek = perform_seek
        return consumer


def faust_broker(bootstrap_servers: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server.strip()]


def create_streams_app(
    settings: Settings, topics: Topics, prices: PriceTable, dead_letters: DeadLetters, metrics: StreamsMetrics
) -> faust.App:
    app = StreamsApp(
        f"{settings.kafka.topic_prefix}lynex-streams",
        broker=faust_broker(settings.kafka.bootstrap_servers),
        web_enabled=False,
        store="memory://",
        # faust keeps a directory per app (table state, a lock); under LYNEX_HOME, not the cwd.
        datadir=str(settings.home_path / "streams"),
        topic_partitions=settings.kafka.topic_partitions,
        topic_replication_factor=settings.kafka.replication_factor,
        producer_acks=-1,
        producer_compression_type=None
        if settings.kafka.compression == "none"
        else settings.kafka.compression,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        # A crashed worker's partitions move after 10 s, not faust's default 60 s.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        key_serializer="raw",
        value_serializer="raw",
    )
    raw = app.topic(topics.raw, key_serializer="raw", value_serializer="raw")
    enriched = app.topic(topics.enriched, key_serializer="raw", value_serializer="raw")
    retention_days = settings.clickhouse.retention_days

    async def enrich_one(event: Any) -> Awaitable[Any] | None:
        message = event.message
        try:
            envelope = decode_envelope(event.value)
            out, stats = enrich_envelope(envelope, prices, retention_days)
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError, OverflowError) as exc:
            await dead_letters.send(
                stage="enrich",
                error=f"{type(exc).__name__}: {exc}",
                topic=message.topic,
                partition=message.partition,
                offset=message.offset,
                key=event.key,
                value=event.value,
            )
            metrics.dead_lettered.labels("enrich").inc()
            return None
        metrics.events_enriched.inc(stats.events)
        metrics.unknown_model.inc(stats.unknown_model)
        metrics.timestamps_adjusted.inc(stats.timestamps_adjusted)
        return await enriched.send(key=event.key, value=encode_enriched(out))

    @app.agent(raw, concurrency=1, name="enrich")
    async def enrich(stream: Any) -> AsyncIterator[None]:  # a faust Stream; its stub lacks take_events
        async for events in stream.take_events(TAKE_MAX, within=TAKE_WITHIN_S):
            pending = [f for f in [await enrich_one(e) for e in events] if f is not None]
            # Every output acknowledged by Kafka before faust may commit these inputs.
            await asyncio.gather(*pending)
            yield None

    return app
