"""Watching the running pipeline from outside: poison written past the gateway, consumer-group lag,
topic offsets and the dead-letter topic, all read from the real broker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from contracts.topics import Topics
from tests.support.ledger import InjectedPoison
from tests.support.services import group_lag, read_records
from tests.support.traffic import Poison


def stage_groups(prefix: str, topics: Topics) -> dict[str, str]:
    """Consumer group -> the topic it consumes: the faust app's enrich stage and the ClickHouse sink."""
    return {f"{prefix}lynex-streams": topics.raw, f"{prefix}lynex-sink": topics.enriched}


async def recorder_groups(bootstrap: str, prefix: str, topics: Topics) -> dict[str, str]:
    """The dead-letter recorder's group (DLQ -> ClickHouse `dead_letters`), if it has joined the broker."""
    group = f"{prefix}lynex-dead-letter-log"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        groups = {name for name, *_ in await admin.list_consumer_groups()}
    finally:
        await admin.close()
    return {group: topics.dlq} if group in groups else {}


async def inject_poison(
    bootstrap: str, topics: Topics, key: str, poison: Poison, phase: str
) -> InjectedPoison:
    """Write `poison` straight to its topic, keyed like the project's events (so it shares their partition)."""
    topic = topics.raw if poison.topic == "raw" else topics.enriched
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, poison.value, key=key.encode())
    finally:
        await producer.stop()
    return InjectedPoison(phase, poison.kind, poison.stage, topic, meta.partition, meta.offset, poison.value)


async def stages_lag(
    bootstrap: str, prefix: str, topics: Topics, more: dict[str, str] | None = None
) -> dict[str, int | str]:
    """Consumer group -> records of its input topic it has not committed yet (the stages', and `more`)."""
    lags: dict[str, int | str] = {}
    for group, topic in (stage_groups(prefix, topics) | (more or {})).items():
        try:
            lags[group] = await group_lag(bootstrap, group, topic)
        except (KafkaError, OSError) as exc:  # the broker may be coming back: not known yet
            lags[group] = f"unknown ({type(exc).__name__})"
    return lags


async def wait_drained(
    bootstrap: str, prefix: str, topics: Topics, timeout: float, log_tail: Callable[[], str]
) -> float:
    """Wait until every stage (and the dead-letter recorder, where it runs) committed everything on its
    input topic; the seconds it took."""
    started = time.monotonic()
    recorder = await recorder_groups(bootstrap, prefix, topics)
    lags: dict[str, int | str] = {}
    while time.monotonic() - started < timeout:
        lags = await stages_lag(bootstrap, prefix, topics, recorder)
        if all(lag == 0 for lag in lags.values()):
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    raise AssertionError(
        f"the stages did not drain within {timeout}s (lag per group {lags}); log:\n{log_tail()}"
    )


async def topic_offsets(bootstrap: str, topic: str, timeout: float = 30) -> dict[int, tuple[int, int]]:
    """partition -> (first offset, end offset) of `topic`, retried while the broker (re)starts."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await _offsets(bootstrap, topic)
        except (KafkaError, OSError):  # e.g. no partition leader yet, right after a restart
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _offsets(bootstrap: str, topic: str) -> dict[int, tuple[int, int]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        starts = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        return {tp.partition: (starts[tp], ends[tp]) for tp in tps}
    finally:
        await consumer.stop()


async def dead_letters(bootstrap: str, topic: str, at_least: int, timeout: float = 20) -> list[Any]:
    """Every record on the dead-letter topic (waiting for `at_least` of them)."""
    return await read_records(bootstrap, topic, min_records=at_least, timeout=timeout)
