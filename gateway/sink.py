"""Where accepted events go: the `EventSink` protocol, `KafkaSink` for real, `MemorySink` for tests."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiokafka.errors import KafkaError

from contracts.topics import Topics
from core.kafka import create_producer, ensure_topics, start_with_retry
from core.settings import KafkaSettings

log = logging.getLogger(__name__)


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
        if self._starter is not None:
            await self._starter
        if self._connected.is_set():
            await self.producer.stop()  # flushes what is in flight

    async def send(self, key: bytes, value: bytes) -> None:
        if not self._connected.is_set():
            raise SinkUnavailable("Kafka is not connected yet")
        try:
            async with asyncio.timeout(self.settings.ack_timeout_s):
                ack = await self.producer.send(self.topic, value=value, key=key)
                await ack
        except TimeoutError as exc:
            # The record may still be written later; the client retries with the same event ids and
            # storage deduplicates by id, so this can duplicate in Kafka but never in what users see.
            raise SinkUnavailable(f"Kafka did not acknowledge within {self.settings.ack_timeout_s}s") from exc
        except KafkaError as exc:
            raise SinkUnavailable(f"Kafka refused the write: {exc}") from exc

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
