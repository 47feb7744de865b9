"""The dead-letter queue: records that can never be processed, with headers saying where from and why."""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaProducer

log = logging.getLogger(__name__)


def dlq_headers(stage: str, error: str, topic: str, partition: int, offset: int) -> list[tuple[str, bytes]]:
    return [
        ("lynex-stage", stage.encode()),
        ("lynex-error", error[:1000].encode()),
        ("lynex-original-topic", topic.encode()),
        ("lynex-original-partition", str(partition).encode()),
        ("lynex-original-offset", str(offset).encode()),
    ]


class DeadLetters:
    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self.producer = producer
        self.topic = topic

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
        """Write durably (awaits the ack): the caller commits past this record only afterwards."""
        headers = dlq_headers(stage, error, topic, partition, offset)
        await (await self.producer.send(self.topic, value=value, key=key, headers=headers))
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
