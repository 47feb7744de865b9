"""Kafka client factories: the durable producer (acks=all, idempotent), consumer fetch sizes, and topic
creation with the size budget's `max.message.bytes` (contracts/limits.py) on every Lynex topic."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from contracts.limits import KAFKA_MESSAGE_MAX_BYTES
from contracts.topics import Topics
from core.settings import KafkaSettings

log = logging.getLogger(__name__)


def create_producer(settings: KafkaSettings, client_id: str) -> AIOKafkaProducer:
    """A producer that loses nothing it acknowledged: every replica has it, retries never duplicate."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=f"{settings.client_id}-{client_id}",
        acks="all",
        enable_idempotence=True,
        compression_type=None if settings.compression == "none" else settings.compression,
        linger_ms=settings.linger_ms,
        # The largest record any Lynex producer writes is MAX_RECORD_BYTES; this is its headroom.
        max_request_size=KAFKA_MESSAGE_MAX_BYTES,
        # One request's envelope (~100 KB for 100 events) must fit a batch: with the 16 KiB default a
        # partition carries one record per broker round trip (measured: 33k -> 51-58k events/s).
        max_batch_size=1024 * 1024,
        request_timeout_ms=10_000,
        retry_backoff_ms=100,
    )


# aiokafka's own default for a whole fetch: kept when it is already above the message size.
_DEFAULT_FETCH_MAX_BYTES = 50 * 1024 * 1024


def consumer_fetch_sizes() -> dict[str, int]:
    """Fetch-size kwargs for an AIOKafkaConsumer: any record within the size budget can be fetched.

    aiokafka's 1 MiB per-partition default is below what Lynex writes; the broker would still hand
    over one oversized batch, but a consumer must not depend on that leniency.
    """
    return {
        "max_partition_fetch_bytes": KAFKA_MESSAGE_MAX_BYTES,
        "fetch_max_bytes": max(KAFKA_MESSAGE_MAX_BYTES, _DEFAULT_FETCH_MAX_BYTES),
    }


class _Client(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


C = TypeVar("C", bound=_Client)


async def start_client(
    make: Callable[[], C], stop: asyncio.Event, what: str, max_delay: float = 5.0
) -> C | None:
    """Start a Kafka client, retrying while Kafka is unreachable; None if `stop` was set first.

    `make` gives the client for each attempt: a producer can be started again after a failed start,
    a consumer cannot (`make` then builds and subscribes a new one).
    """
    delay = 0.2
    attempt = 0
    while not stop.is_set():
        attempt += 1
        client = make()
        try:
            await client.start()
        except (KafkaError, OSError) as exc:
            log.warning("kafka_unreachable", extra={"client": what, "attempt": attempt, "error": str(exc)})
            await client.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, max_delay)
        else:
            log.info("kafka_connected", extra={"client": what, "attempts": attempt})
            return client
    return None


async def start_with_retry(
    producer: AIOKafkaProducer, stop: asyncio.Event, what: str = "producer", max_delay: float = 5.0
) -> bool:
    """Start a producer, retrying while Kafka is unreachable; False if `stop` was set first."""
    return await start_client(lambda: producer, stop, what, max_delay) is not None


async def ensure_topics(settings: KafkaSettings, topics: Topics, timeout_s: float = 30.0) -> None:
    """Create Lynex's topics if absent and raise a lower `max.message.bytes` on those that exist
    (idempotent); retries until Kafka answers or the deadline. `migrate` and `serve` both call it."""
    deadline = time.monotonic() + timeout_s
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id="lynex-admin")
        try:
            await admin.start()
            await _create_missing(admin, settings, topics)
            await _raise_message_limits(admin, topics.names())
        except (KafkaError, OSError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
        else:
            return
        finally:
            await admin.close()


_TOPIC_ALREADY_EXISTS = 36
_DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source: set on this topic, not inherited
_NOT_AUTHORIZED = (29, 31)  # TOPIC_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED


async def _create_missing(admin: AIOKafkaAdminClient, settings: KafkaSettings, topics: Topics) -> None:
    existing = set(await admin.list_topics())
    config = {"max.message.bytes": str(KAFKA_MESSAGE_MAX_BYTES)}
    wanted = [
        NewTopic(name, settings.topic_partitions, settings.replication_factor, topic_configs=config)
        for name in topics.names()
        if name not in existing
    ]
    if wanted:
        with contextlib.suppress(TopicAlreadyExistsError):
            response = await admin.create_topics(wanted)
            for error in response.to_object()["topic_errors"]:
                if error["error_code"] not in (0, _TOPIC_ALREADY_EXISTS):
                    raise for_code(error["error_code"])(f"{error['topic']}: {error['error_message']}")
        log.info("topics_created", extra={"topics": [t.name for t in wanted]})


async def _raise_message_limits(admin: AIOKafkaAdminClient, names: Sequence[str]) -> None:
    """Topics created before the size budget (or by a broker's auto-create) keep a lower limit, and a
    record over it would be refused at every retry: raise it, keeping the topic's other overrides
    (AlterConfigs replaces a topic's whole set of overrides)."""
    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    changes: list[ConfigResource] = []
    for response in responses:
        for resource in response.to_object()["resources"]:
            if resource["error_code"] in _NOT_AUTHORIZED:
                # A client without DescribeConfigs/AlterConfigs rights (a locked-down cluster whose
                # operator configures topics): say so once, loudly, rather than fail start-up or migrate.
                log.warning(
                    "topic_message_limit_unchecked",
                    extra={"topic": resource["resource_name"], "required_bytes": KAFKA_MESSAGE_MAX_BYTES},
                )
                continue
            if resource["error_code"] != 0:
                raise for_code(resource["error_code"])(
                    f"{resource['resource_name']}: {resource['error_message']}"
                )
            entries: list[dict[str, Any]] = resource["config_entries"]
            limit = next((e for e in entries if e["config_names"] == "max.message.bytes"), None)
            if limit is not None and int(limit["config_value"]) >= KAFKA_MESSAGE_MAX_BYTES:
                continue
            overrides = {
                e["config_names"]: e["config_value"]
                for e in entries
                if e["config_source"] == _DYNAMIC_TOPIC_CONFIG and e["config_value"] is not None
            }
            overrides["max.message.bytes"] = str(KAFKA_MESSAGE_MAX_BYTES)
            changes.append(ConfigResource(ConfigResourceType.TOPIC, resource["resource_name"], overrides))
    if not changes:
        return
    raised: list[str] = []
    for response in await admin.alter_configs(changes):
        for resource in response.to_object()["resources"]:
            if resource["error_code"] in _NOT_AUTHORIZED:
                log.warning(
                    "topic_message_limit_not_raised",
                    extra={"topic": resource["resource_name"], "required_bytes": KAFKA_MESSAGE_MAX_BYTES},
                )
            elif resource["error_code"] != 0:
                raise for_code(resource["error_code"])(
                    f"{resource['resource_name']}: {resource['error_message']}"
                )
            else:
                raised.append(resource["resource_name"])
    log.info(
        "topic_message_limit_raised", extra={"topics": raised, "max_message_bytes": KAFKA_MESSAGE_MAX_BYTES}
    )
