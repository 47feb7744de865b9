"""Where accepted events go: the `EventSink` protocol, `KafkaSink` for real, `MemorySink` for tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    UnknownProducerId,
)

from contracts.limits import KAFKA_MESSAGE_MAX_BYTES
from contracts.topics import Topics
from core.kafka import create_producer, ensure_topics, start_with_retry
from core.settings import KafkaSettings

log = logging.getLogger(__name__)

# After one of these, aiokafka's idempotent producer fails every later send to the partition (its
# sequence numbers ran ahead of what the broker stored: a record refused for its size did that, and
# every request after it got 503 for good). Only a new producer, with a new producer id, recovers.
_PRODUCER_POISONED = (
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
)


class SinkUnavailable(Exception):
    """The sink could not durably take the record in time; nothing may be acknowledged."""


class EventSink(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def send(self, key: bytes, value: bytes) -> None:
        """Return only once the record is durable; raise SinkUnavailable otherwise."""

    async def check(self) -> str | None:
        """None when the sink can take writes, else why not."""


class KafkaSink:
    """Writes each request's envelope to one topic with acks=all and the idempotent producer."""

    def __init__(self, settings: KafkaSettings, topics: Topics) -> None:
        self.settings = settings
        self.topics = topics
        self.topic = topics.raw
        self.producer = create_producer(settings, "gateway")
        self._connected = asyncio.Event()
        self._stopping = asyncio.Event()
        self._starter: asyncio.Task[None] | None = None
        self._renewal: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # Kafka may come up after the gateway: connect in the background, answer 503 until then.
        self._starter = asyncio.create_task(self._connect(), name="kafka-sink-connect")

    async def _connect(self) -> None:
        if await start_with_retry(self.producer, self._stopping, "gateway-producer"):
            try:
                await ensure_topics(self.settings, self.topics, timeout_s=10)
            except (KafkaError, OSError) as exc:  # the broker may still auto-create them
                log.warning("topics_not_ensured", extra={"error": str(exc)})
            self._connected.set()

    async def stop(self) -> None:
        self._stopping.set()
        for task in (self._starter, self._renewal):
            if task is not None:
                await task
        if self._connected.is_set():
            await self.producer.stop()  # flushes what is in flight

    async def send(self, key: bytes, value: bytes) -> None:
        if not self._connected.is_set():
            raise SinkUnavailable("Kafka is not connected yet")
        producer = self.producer
        try:
            async with asyncio.timeout(self.settings.ack_timeout_s):
                ack = await producer.send(self.topic, value=value, key=key)
                await ack
        except TimeoutError as exc:
            # The record may still be written later; the client retries with the same event ids and
            # storage deduplicates by id, so this can duplicate in Kafka but never in what users see.
            raise SinkUnavailable(f"Kafka did not acknowledge within {self.settings.ack_timeout_s}s") from exc
        except _PRODUCER_POISONED as exc:
            self._renew(producer, exc)
            raise SinkUnavailable(f"Kafka refused the write: {exc}") from exc
        except KafkaError as exc:
            raise SinkUnavailable(f"Kafka refused the write: {exc}") from exc

    def _renew(self, failed: AIOKafkaProducer, error: KafkaError) -> None:
        """Swap in a new producer; requests get 503 (Retry-After) until it is connected."""
        if failed is not self.producer or self._stopping.is_set():
            return  # another request already renewed it
        self._connected.clear()
        self.producer = create_producer(self.settings, "gateway")
        log.error(
            "kafka_producer_renewed",
            extra={"error": type(error).__name__, "value_limit_bytes": KAFKA_MESSAGE_MAX_BYTES},
        )
        too_large = isinstance(error, MessageSizeTooLargeError)
        self._renewal = asyncio.create_task(self._replace(failed, too_large), name="kafka-sink-renew")

    async def _replace(self, failed: AIOKafkaProducer, too_large: bool) -> None:
        with contextlib.suppress(KafkaError, OSError):
            await failed.stop()
        if await start_with_retry(self.producer, self._stopping, "gateway-producer"):
            if too_large:
                # Within the budget yet refused: the topic's limit is below it (created before it, or
                # auto-created while ensure_topics could not run). Raise it, so that the retry fits.
                try:
                    await ensure_topics(self.settings, self.topics, timeout_s=10)
                except (KafkaError, OSError) as exc:
                    log.warning("topics_not_ensured", extra={"error": str(exc)})
            self._connected.set()

    async def check(self) -> str | None:
        if not self._connected.is_set():
            return "kafka: not connected"
        try:
            async with asyncio.timeout(1.5):
                await self.producer.client.fetch_all_metadata()
        except (TimeoutError, KafkaError, OSError) as exc:
            return f"kafka: unreachable ({type(exc).__name__})"
        return None


class MemorySink:
    """An in-memory sink for unit tests; `fail_with` simulates an unavailable Kafka."""

    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes]] = []
        self.fail_with: str | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, key: bytes, value: bytes) -> None:
        if self.fail_with is not None:
            raise SinkUnavailable(self.fail_with)
        self.records.append((key, value))

    async def check(self) -> str | None:
        return self.fail_with
