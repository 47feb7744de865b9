"""The faust app and its enrich agent: `events.raw` -> `events.enriched` (thin: logic is in enrich.py).

Each batch of records taken from the stream is enriched, produced, and every produce is awaited
before the batch is acknowledged, so faust never commits an offset whose output is not in Kafka.
Agent concurrency stays 1 (with more, commits can overtake in-flight messages).

Per record (streams.errors): an undecodable record, or an output Kafka refuses for good (too large,
invalid), raises InvalidRecord and the dead-letter boundary writes the record to the DLQ; either way it
is acknowledged, because faust commits only contiguous acks and one record left unacked would stop its
partition for good. A send that fails while Kafka is unreachable is retried. Anything else is a bug:
the app crashes (StreamsApp._on_agent_error) and the supervisor starts a new one, which re-reads from
the last commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from functools import partial
from typing import Any

import faust
import msgspec

from contracts.codec import decode_envelope
from contracts.limits import KAFKA_MESSAGE_MAX_BYTES, MAX_RECORD_BYTES
from contracts.topics import Topics
from core.metrics import StreamsMetrics
from core.settings import Settings
from streams.dlq import DeadLetterBoundary, Origin
from streams.enrich import encode_records, enrich_envelope
from streams.errors import (
    SEND_ERRORS,
    InvalidRecord,
    is_permanent_produce_error,
    is_transient_kafka_error,
)
from streams.pricing import PriceTable

log = logging.getLogger(__name__)

TAKE_MAX = 200
TAKE_WITHIN_S = 0.05
MAX_SEND_BACKOFF_S = 5.0


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

    # Set by create_streams_app: where a table's changelog record that Kafka refuses for good goes.
    dead_letter_boundary: DeadLetterBoundary | None = None

    def _new_producer(self) -> Any:
        """The producer, whose buffer (table changelog writes) cannot be stopped by one record.

        faust sends changelog records from a buffer task; a send refused at once (a record over the
        producer's limit) raises there and crashes the whole app. Here such a record is dead-lettered
        (stage `changelog`) and its future fails, as faust does for a record the broker refuses later;
        a send that fails while Kafka is unreachable is retried.
        """
        producer: Any = super()._new_producer()
        buffer = producer.buffer
        send_pending = buffer._send_pending

        async def guarded_send_pending(fut: Any) -> None:
            delay = 0.2
            while True:
                try:
                    await send_pending(fut)
                except Exception as exc:
                    if is_permanent_produce_error(exc):
                        await self._reject_changelog(fut, exc)
                        return
                    if not is_transient_kafka_error(exc):
                        raise
                    log.warning("changelog_send_retrying", extra={"error": type(exc).__name__})
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_SEND_BACKOFF_S)
                else:
                    return

        buffer._send_pending = guarded_send_pending
        return producer

    async def _reject_changelog(self, fut: Any, exc: BaseException) -> None:
        message = fut.message
        if not fut.done():
            fut.set_exception(exc)
        if self.dead_letter_boundary is None:
            raise exc
        topic = message.channel.get_topic_name() if hasattr(message.channel, "get_topic_name") else "?"
        await self.dead_letter_boundary.reject(
            Origin(
                topic, -1 if message.partition is None else message.partition, -1, message.key, message.value
            ),
            InvalidRecord("changelog", f"{type(exc).__name__}: {exc}"),
        )

    # The bug that stopped this app (an agent raised), for the supervisor to report.
    bug: BaseException | None = None
    _stopping: asyncio.Task[None] | None = None

    async def _on_agent_error(self, agent: Any, exc: BaseException) -> None:
        """A bug in an agent stops the app, not only the agent's actor.

        faust would restart the actor alone, but the records it had taken are never acked and faust
        commits only contiguous acks: the partition would stop. The app is stopped the ordinary way
        (crashing it leaves a consumer thread that cannot be stopped cleanly), and the supervisor
        (streams.role) builds a new one, which re-reads from the last commit.
        """
        await super()._on_agent_error(agent, exc)
        log.error(
            "streams_agent_crashed", extra={"agent": agent.name, "error": f"{type(exc).__name__}: {exc}"}
        )
        if self.bug is None:
            self.bug = exc
            # Stop without waiting for the records the bug left unacked (they never will be): commit
            # what was acked, and the next app reads those records again.
            self.conf.stream_wait_empty = False
            # Not awaited here: stopping the app cancels this very agent.
            self._stopping = asyncio.get_running_loop().create_task(self.stop(), name="streams-app-stop")

    async def stop_completely(self) -> None:
        """Stop, or wait for the stop a bug began to finish."""
        if self._stopping is not None:
            await self._stopping
        else:
            await self.stop()


def streams_app_id(settings: Settings) -> str:
    """The faust app id, which is also the enrich consumer group and the tables' topic prefix."""
    return f"{settings.kafka.topic_prefix}lynex-streams"


def faust_broker(bootstrap_servers: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server.strip()]


def create_streams_app(
    settings: Settings,
    topics: Topics,
    prices: PriceTable,
    boundary: DeadLetterBoundary,
    metrics: StreamsMetrics,
) -> StreamsApp:
    app = StreamsApp(
        streams_app_id(settings),
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
        # The size budget (contracts.limits): records up to MAX_RECORD_BYTES, with headroom for the
        # key, headers and batch overhead, both ways.
        producer_max_request_size=KAFKA_MESSAGE_MAX_BYTES,
        consumer_max_fetch_size=KAFKA_MESSAGE_MAX_BYTES,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        # A crashed worker's partitions move after 10 s, not faust's default 60 s.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        key_serializer="raw",
        value_serializer="raw",
    )
    app.dead_letter_boundary = boundary
    raw = app.topic(topics.raw, key_serializer="raw", value_serializer="raw")
    enriched = app.topic(topics.enriched, key_serializer="raw", value_serializer="raw")
    retention_days = settings.clickhouse.retention_days

    async def send(key: bytes | None, value: bytes) -> Awaitable[Any]:
        """Hand one record to the producer: InvalidRecord if Kafka can never take it."""
        delay = 0.2
        while True:
            try:
                return await enriched.send(key=key, value=value)
            except SEND_ERRORS as exc:
                _raise_if_not_transient(exc)
                log.warning("enriched_send_retrying", extra={"error": type(exc).__name__, "delay_s": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_SEND_BACKOFF_S)

    async def enrich_one(event: Any) -> list[tuple[bytes, Awaitable[Any]]]:
        """Enrich and hand the outputs to the producer; InvalidRecord if the record is poison."""
        try:
            envelope = decode_envelope(event.value)
            out, stats = enrich_envelope(envelope, prices, retention_days)
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError, OverflowError) as exc:
            raise InvalidRecord("enrich", f"{type(exc).__name__}: {exc}") from exc
        values = encode_records(out, MAX_RECORD_BYTES)
        metrics.events_enriched.inc(stats.events)
        metrics.unknown_model.inc(stats.unknown_model)
        metrics.timestamps_adjusted.inc(stats.timestamps_adjusted)
        return [(value, await send(event.key, value)) for value in values]

    async def confirm(event: Any, pending: list[tuple[bytes, Awaitable[Any]]]) -> None:
        """Every output acknowledged by Kafka; one that failed while Kafka was away is sent again."""
        for value, first in pending:
            acked, delay = first, 0.2
            while True:
                try:
                    await acked
                except SEND_ERRORS as exc:
                    _raise_if_not_transient(exc)
                    log.warning("enriched_send_retrying", extra={"error": type(exc).__name__})
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_SEND_BACKOFF_S)
                    acked = await send(event.key, value)
                else:
                    break

    @app.agent(raw, concurrency=1, name="enrich")
    async def enrich(stream: Any) -> AsyncIterator[None]:  # a faust Stream; its stub lacks take_events
        # noack_take, acked below: take_events acks what it yielded even when the agent raised, and the
        # records a bug interrupted would be committed unprocessed instead of read again.
        async for events in stream.noack_take(TAKE_MAX, within=TAKE_WITHIN_S):
            sent = [(e, await boundary.guard(_origin(e), partial(enrich_one, e))) for e in events]
            # Every output acknowledged by Kafka (or its input dead-lettered) before faust may commit.
            await asyncio.gather(
                *(boundary.guard(_origin(e), partial(confirm, e, pending)) for e, pending in sent if pending)
            )
            for event in events:
                await stream.ack(event)
            yield None

    return app


def _origin(event: Any) -> Origin:
    message = event.message
    return Origin(message.topic, message.partition, message.offset, event.key, event.value)


def _raise_if_not_transient(exc: BaseException) -> None:
    if is_permanent_produce_error(exc):
        raise InvalidRecord("produce", f"{type(exc).__name__}: {exc}") from exc
    if not is_transient_kafka_error(exc):
        raise exc
