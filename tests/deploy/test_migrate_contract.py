"""The contract compose.yaml and the Helm chart are built on: `lynex-server migrate`, run once before the
roles, leaves everything the roles need when they start with `--no-migrate` (the migrate service and the
pre-install/pre-upgrade Job run it; no role migrates in those deployments).

Run against the real local broker (`make test` starts it) and the embedded ClickHouse engine, each in a
subprocess: the embedded engine serves one data directory per process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from contracts.limits import KAFKA_MESSAGE_MAX_BYTES
from contracts.topics import Topics
from tests.support.services import new_prefix

pytestmark = pytest.mark.integration


def _environment(home: Path, bootstrap: str, prefix: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYNEX_")}
    env |= {
        "LYNEX_ENV": "test",
        "LYNEX_HOME": str(home),
        "LYNEX_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "LYNEX_KAFKA__TOPIC_PREFIX": prefix,
        "LYNEX_LOG__FORMAT": "json",
    }
    return env


def _clickhouse_tables(env: dict[str, str]) -> set[str]:
    program = (
        "import asyncio, os\n"
        "from core.clickhouse import ClickHouse\n"
        "from core.settings import load_settings\n"
        "ch = ClickHouse(load_settings(os.environ).clickhouse_dsn)\n"
        "print('\\n'.join(row[0] for row in asyncio.run(ch.query('SHOW TABLES'))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def _create_small_topic(bootstrap: str, name: str) -> None:
    """A topic as a deployment made before the size budget: the broker's default 1 MiB limit."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1, topic_configs={"max.message.bytes": "1048588"})])
    finally:
        await admin.close()


async def _message_limits(bootstrap: str, names: list[str]) -> dict[str, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
        return {
            resource["resource_name"]: entry["config_value"]
            for response in responses
            for resource in response.to_object()["resources"]
            for entry in resource["config_entries"]
            if entry["config_names"] == "max.message.bytes"
        }
    finally:
        await admin.close()


def test_migrate_leaves_what_no_migrate_roles_need(tmp_path: Path, kafka_bootstrap: str) -> None:
    prefix = new_prefix()
    env = _environment(tmp_path / "home", kafka_bootstrap, prefix)
    topics = Topics.with_prefix(prefix)
    asyncio.run(_create_small_topic(kafka_bootstrap, topics.raw))
    proc = subprocess.run(
        [sys.executable, "-m", "core.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "home" / "control.db").is_file(), "control-plane database not created"
    # Idempotent: the Job runs again on every upgrade.
    again = subprocess.run(
        [sys.executable, "-m", "core.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert again.returncode == 0, again.stderr

    assert {"events", "events_1m", "events_1m_mv"} <= _clickhouse_tables(env)

    assert set(topics.names()) <= asyncio.run(_topics(kafka_bootstrap))
    # The size budget: created with it, or raised to it when the topic was there before.
    limits = asyncio.run(_message_limits(kafka_bootstrap, list(topics.names())))
    assert limits == dict.fromkeys(topics.names(), str(KAFKA_MESSAGE_MAX_BYTES))
