"""The size budget is configured alike everywhere Kafka is: the local broker script, compose, the chart.

A limit that holds at one hop but not the next loses records silently (ARCHITECTURE invariant 7), so each
deployment's Kafka settings are compared with contracts/limits.py, the one place the budget is decided.
"""

from __future__ import annotations

import json
import re

import yaml

from contracts.limits import KAFKA_MESSAGE_MAX_BYTES, MAX_RECORD_BYTES
from core.kafka import consumer_fetch_sizes, create_producer
from core.settings import KafkaSettings
from tests.deploy.conftest import CHART, REPO


def test_the_message_limit_has_headroom_over_the_largest_record() -> None:
    assert KAFKA_MESSAGE_MAX_BYTES >= MAX_RECORD_BYTES + 1024 * 1024


def test_kafka_sh_gives_the_broker_the_budget() -> None:
    script = (REPO / "scripts" / "kafka.sh").read_text(encoding="utf-8")
    [value] = re.findall(r"^KAFKA_MESSAGE_MAX_BYTES=(\d+)$", script, re.MULTILINE)
    assert int(value) == KAFKA_MESSAGE_MAX_BYTES
    properties = script[script.index('cat >"$SERVER_PROPERTIES.tmp"') :]
    for key in ("message.max.bytes", "replica.fetch.max.bytes"):
        assert re.search(rf"^{re.escape(key)}=\$KAFKA_MESSAGE_MAX_BYTES$", properties, re.MULTILINE), key


def test_compose_gives_the_broker_the_budget() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    broker = compose["services"]["kafka"]["environment"]
    assert int(broker["KAFKA_MESSAGE_MAX_BYTES"]) == KAFKA_MESSAGE_MAX_BYTES
    assert int(broker["KAFKA_REPLICA_FETCH_MAX_BYTES"]) == KAFKA_MESSAGE_MAX_BYTES


def test_the_chart_states_the_budget_and_allows_no_other_value() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert values["kafka"]["messageMaxBytes"] == KAFKA_MESSAGE_MAX_BYTES
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["kafka"]["properties"]["messageMaxBytes"]["const"] == KAFKA_MESSAGE_MAX_BYTES
    notes = (CHART / "templates" / "NOTES.txt").read_text(encoding="utf-8")
    assert "max.message.bytes={{ .Values.kafka.messageMaxBytes }}" in notes
    readme = " ".join((CHART / "README.md").read_text(encoding="utf-8").split())
    assert (
        f"`message.max.bytes` and `replica.fetch.max.bytes` to at least 8 MiB too ({KAFKA_MESSAGE_MAX_BYTES})"
        in readme
    )


async def test_lynex_clients_take_the_budget() -> None:
    producer = create_producer(KafkaSettings(), "limits-test")
    try:
        assert producer._max_request_size == KAFKA_MESSAGE_MAX_BYTES
    finally:
        await producer.stop()  # never started: releases its client
    sizes = consumer_fetch_sizes()
    assert sizes["max_partition_fetch_bytes"] == KAFKA_MESSAGE_MAX_BYTES
    assert sizes["fetch_max_bytes"] >= KAFKA_MESSAGE_MAX_BYTES
