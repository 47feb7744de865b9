"""Consumer-group lag of the streams stages: records written to a stage's input topic that the stage
has not committed yet (end offset minus committed offset).

Every Lynex record is keyed by its project id, so a project's records all wait in one partition of each
topic: `partitionRecords` is the lag of that partition (shared with the projects hashed to it), a tight
upper bound on what of this project is still on its way; `records` is the whole topic's. Read from
Kafka's admin API at most every `ttl_s` seconds, so a dashboard refreshing often does not open Kafka
connections per request. Kafka unreachable is not an error of the accounting endpoint: the lag comes
back null with the reason.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import msgspec
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from contracts.topics import Topics
from core.settings import KafkaSettings


class StageLag(msgspec.Struct, frozen=True, rename="camel"):
    # enrich (events.raw), sink (events.enriched -> ClickHouse), dead_letter_log (events.dlq).
    stage: str
    group: str
    topic: str
    # Records not yet committed by the group, all partitions; null when Kafka could not be asked.
    records: int | None
    # The partition this project's records go to (the producers' key hash), and its lag.
    partition: int | None = None
    partition_records: int | None = None
    error: str | None = None


# Per stage: the lag of each partition, or why it could not be read.
Lags = dict[str, dict[int, int] | str]


def partition_of(project_id: str, partitions: list[int]) -> int:
    """The partition Kafka's default partitioner (aiokafka's, which every Lynex producer uses) picks
    for a record keyed by `project_id`."""
    ordered = sorted(partitions)
    return int(DefaultPartitioner()(project_id.encode(), ordered, ordered))


@dataclass(frozen=True)
class Stage:
    name: str
    group: str
    topic: str


def stages(settings: KafkaSettings, topics: Topics) -> list[Stage]:
    """The groups the streams role runs (streams/role.py, streams/enrich_agent.py: faust's group is
    its app id); tests/integration/test_accounting.py checks these names against the streams code."""
    prefix = settings.topic_prefix
    return [
        Stage("enrich", f"{prefix}lynex-streams", topics.raw),
        Stage("sink", f"{prefix}lynex-sink", topics.enriched),
        Stage("dead_letter_log", f"{prefix}lynex-dead-letter-log", topics.dlq),
    ]


class ConsumerLag:
    def __init__(
        self, settings: KafkaSettings, topics: Topics, ttl_s: float = 5.0, timeout_s: float = 5.0
    ) -> None:
        self.settings = settings
        self.stages = stages(settings, topics)
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self._cached: tuple[float, Lags] | None = None
        self._lock = asyncio.Lock()

    async def read(self, project_id: str) -> list[StageLag]:
        lags = await self._lags()
        out = []
        for stage in self.stages:
            lag = lags.get(stage.name, "not read")
            if isinstance(lag, str):
                out.append(StageLag(stage.name, stage.group, stage.topic, None, error=lag))
                continue
            partition = partition_of(project_id, list(lag))
            out.append(
                StageLag(stage.name, stage.group, stage.topic, sum(lag.values()), partition, lag[partition])
            )
        return out

    async def _lags(self) -> Lags:
        async with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < self.ttl_s:
                return self._cached[1]
            try:
                lags = await asyncio.wait_for(self._read(), timeout=self.timeout_s)
            except (KafkaError, OSError, TimeoutError) as exc:
                reason = f"Kafka unreachable ({type(exc).__name__})"
                lags = {stage.name: reason for stage in self.stages}
            self._cached = (time.monotonic(), lags)
            return lags

    async def _read(self) -> Lags:
        servers = self.settings.bootstrap_servers
        admin = AIOKafkaAdminClient(bootstrap_servers=servers, client_id=f"{self.settings.client_id}-lag")
        consumer = AIOKafkaConsumer(
            bootstrap_servers=servers, client_id=f"{self.settings.client_id}-lag", group_id=None
        )
        try:
            await admin.start()
            await consumer.start()
            described = await admin.describe_topics([s.topic for s in self.stages])
            partitions = {t["topic"]: [p["partition"] for p in t["partitions"]] for t in described}
            return {
                stage.name: await _stage_lag(admin, consumer, stage, partitions.get(stage.topic, []))
                for stage in self.stages
            }
        finally:
            await consumer.stop()
            await admin.close()


async def _stage_lag(
    admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, stage: Stage, partitions: list[int]
) -> dict[int, int] | str:
    if not partitions:
        return "topic does not exist yet"
    tps = [TopicPartition(stage.topic, p) for p in sorted(partitions)]
    committed = await admin.list_consumer_group_offsets(stage.group, partitions=tps)
    ends = await consumer.end_offsets(tps)
    starts = await consumer.beginning_offsets(tps)
    lags = {}
    for tp in tps:
        meta = committed.get(tp)
        # Never committed: everything still in the topic is ahead of the group.
        done = meta.offset if meta is not None and meta.offset >= 0 else starts[tp]
        lags[tp.partition] = max(ends[tp] - done, 0)
    return lags
