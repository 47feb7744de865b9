"""The dead-letter queue and the one boundary that writes to it.

Stages raise `streams.errors.InvalidRecord`; each consumer runs its per-record work inside
`DeadLetterBoundary.guard`, which writes the record to `lynex.events.dlq` with headers naming the stage,
the error and the original topic/partition/offset, and returns so the caller acks it and the partition
moves on. The DLQ write itself retries while Kafka is unreachable (the caller must not commit past a
record that is neither processed nor dead-lettered), and a value too large for the DLQ is cut to fit
(`lynex-truncated: 1`) rather than lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from contracts.limits import MAX_RECORD_BYTES
from streams.errors import InvalidRecord, is_permanent_produce_error, is_transient_kafka_error

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BACKOFF_S = 5.0


def dlq_headers(stage: str, error: str, topic: str, partition: int, offset: int) -> list[tuple[str, bytes]]:
    return [
        ("lynex-stage", stage.encode()),
        ("lynex-error", error[:1000].encode()),
        ("lynex-original-topic", topic.encode()),
        ("lynex-original-partition", str(partition).encode()),
        ("lynex-original-offset", str(offset).encode()),
    ]


@dataclass(frozen=True)
class Origin:
    """Where a record came from (partition/offset -1 when it has none, e.g. one row of a batch)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


class DeadLetters:
    def __init__(self, producer: AIOKafkaProducer, topic: str, counter: Counter | None = None) -> None:
        self.producer = producer
        self.topic = topic
        # lynex_streams_dead_lettered_records{stage}; None in tests that do not look at it.
        self.counter = counter

    async def send(
        self,
        *,
        stage: str,
        error: str,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes,
    ) -> None:
        """Write durably (awaits the ack): the caller commits past this record only afterwards.

        Retries with backoff while Kafka is unreachable; never raises for that. A value the DLQ cannot
        take is truncated to MAX_RECORD_BYTES (the headers still say where the whole record is).
        """
        headers = dlq_headers(stage, error, topic, partition, offset)
        delay = 0.2
        attempt = 0
        while True:
            attempt += 1
            try:
                await (await self.producer.send(self.topic, value=value, key=key, headers=headers))
            except Exception as exc:
                if is_permanent_produce_error(exc) and len(value) > 1024:
                    value = value[: min(len(value) // 2, MAX_RECORD_BYTES)]
                    headers = [
                        *dlq_headers(stage, error, topic, partition, offset),
                        ("lynex-truncated", b"1"),
                    ]
                    continue
                if not is_transient_kafka_error(exc):
                    raise
                log.warning(
                    "dead_letter_retrying",
                    extra={"stage": stage, "attempt": attempt, "error": type(exc).__name__, "delay_s": delay},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
            else:
                break
        if self.counter is not None:
            self.counter.labels(stage).inc()
        log.warning(
            "event_dead_lettered",
            extra={
                "stage": stage,
                "topic": topic,
                "partition": partition,
                "offset": offset,
                "error": error[:200],
            },
        )


class DeadLetterBoundary:
    """The one place a consumer turns an InvalidRecord into a DLQ record (and nothing else)."""

    def __init__(self, dead_letters: DeadLetters) -> None:
        self.dead_letters = dead_letters

    async def guard(self, origin: Origin, work: Callable[[], Awaitable[T]]) -> T | None:
        """`work()`'s result, or None once an InvalidRecord from it is dead-lettered: ack either way.

        Any other exception propagates (a transient error the stage did not retry, or a bug).
        """
        try:
            return await work()
        except InvalidRecord as exc:
            await self.reject(origin, exc)
            return None

    async def reject(self, origin: Origin, exc: InvalidRecord) -> None:
        await self.dead_letters.send(
            stage=exc.stage,
            error=exc.reason,
            topic=origin.topic,
            partition=origin.partition,
            offset=origin.offset,
            key=origin.key,
            value=origin.value,
        )
