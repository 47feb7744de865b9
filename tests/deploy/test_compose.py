"""compose.yaml, .env.example and the files they mount (ClickHouse, Prometheus, Grafana), checked statically.

No container engine: the Compose specification schema (the one `docker compose` validates with, from
the compose-go module; scripts/check-deploy.sh also runs the compose-go loader itself) plus the
contracts between the files: start order, hardening, every variable documented, scrape targets and
dashboard metrics that exist.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from core.metrics import GatewayMetrics, StreamsMetrics
from core.settings import describe, load_settings
from tests.deploy.conftest import REPO, ROLES, TOOLS, missing, require_module

COMPOSE_FILE = REPO / "compose.yaml"
ENV_EXAMPLE = REPO / ".env.example"
DEPLOY = REPO / "deploy"
SECRETS = {"POSTGRES_PASSWORD", "CLICKHOUSE_PASSWORD", "LYNEX_AUTH__SECRET_KEY", "GRAFANA_ADMIN_PASSWORD"}
_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?:[:?\-+][^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))  # merge keys (<<) resolved


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def test_valid_against_the_compose_specification_schema(compose: dict[str, Any]) -> None:
    jsonschema = require_module("jsonschema")
    schema_file = TOOLS / "schemas" / "compose-spec.json"
    if not schema_file.is_file():
        missing(f"the Compose specification schema ({schema_file})")
    checker = jsonschema.FormatChecker()
    # compose-go registers one custom format: Go durations ("10s", "1m30s").
    checker.checks("duration")(
        lambda v: not isinstance(v, str) or bool(re.fullmatch(r"(\d+(\.\d+)?(ns|us|ms|s|m|h))+", v))
    )
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
    errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_roles_start_after_a_successful_migration_and_healthy_backends(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    for backend in ("kafka", "clickhouse", "postgres"):
        assert migrate["depends_on"][backend] == {"condition": "service_healthy"}
    for role in ROLES:
        service = services[role]
        assert service["command"] == ["serve", "--roles", role, "--no-migrate"]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["restart"] == "unless-stopped"


def test_every_healthy_condition_points_at_a_healthcheck(services: dict[str, Any]) -> None:
    waited_on = {
        target
        for service in services.values()
        for target, dep in service.get("depends_on", {}).items()
        if dep["condition"] == "service_healthy"
    }
    assert waited_on >= {"kafka", "clickhouse", "postgres"}
    for name in waited_on:
        assert "test" in services[name]["healthcheck"], f"{name} is waited on but has no healthcheck"
    for role in ROLES:
        test = services[role]["healthcheck"]["test"]
        assert "http://127.0.0.1:8000/ready" in test[-1]
        compile(test[-1], f"{role} healthcheck", "exec")  # the python -c program parses


def test_lynex_containers_are_hardened(services: dict[str, Any]) -> None:
    for name in (*ROLES, "migrate"):
        service = services[name]
        assert service["user"] == "10001:10001"
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]
        assert any(t.startswith("/tmp") for t in service["tmpfs"])
        writable = [t.split(":")[0] for t in service["tmpfs"]] + [
            v.split(":")[1] for v in service.get("volumes", [])
        ]
        assert "/var/lib/lynex" in writable, f"{name}: LYNEX_HOME is not writable on a read-only root"
    assert services["streams"]["volumes"] == ["streams-data:/var/lib/lynex"]


def test_lynex_environment_uses_only_known_settings(services: dict[str, Any]) -> None:
    known = {name for name, _, _ in describe()}
    for name in (*ROLES, "migrate"):
        env = services[name]["environment"]
        unknown = {k for k in env if k.startswith("LYNEX_")} - known
        assert not unknown, f"{name}: the server rejects {sorted(unknown)}"
        assert env["LYNEX_ENV"] == "production"
        assert env["LYNEX_KAFKA__BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert env["LYNEX_DATABASE__URL"].startswith("postgresql+asyncpg://lynex:${POSTGRES_PASSWORD:?")
        assert env["LYNEX_DATABASE__URL"].endswith("@postgres:5432/lynex")
        assert env["LYNEX_CLICKHOUSE__DSN"].endswith("@clickhouse:8123/lynex")


def _interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} (the forms compose.yaml uses)."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2) or "", match.group(3) or ""
        if variables.get(name):
            return variables[name]
        assert op != ":?", f"{name} is required: {arg}"
        return arg if op == ":-" else ""

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", one, value)


def test_the_server_accepts_the_environment_compose_gives_it(services: dict[str, Any]) -> None:
    # .env.example as a user fills it in: the secrets set (hex, as it suggests), every default kept.
    variables = _documented_variables() | {secret: "0123456789abcdef" * 3 for secret in SECRETS}
    for name in (*ROLES, "migrate"):
        env = {k: _interpolate(str(v), variables) for k, v in services[name]["environment"].items()}
        settings = load_settings(env)
        assert settings.env == "production"
        assert settings.kafka.topic_partitions == 4
        assert (
            settings.database_url
            == f"postgresql+asyncpg://lynex:{'0123456789abcdef' * 3}@postgres:5432/lynex"
        )


def test_published_ports_stay_on_localhost_by_default(services: dict[str, Any]) -> None:
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert set(published) == {"gateway", "query", "prometheus", "grafana"}
    for ports in published.values():
        assert all(p.startswith("${LYNEX_BIND_ADDRESS:-127.0.0.1}:") for p in ports)


def _documented_variables() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines())
    return {k: v for k, v in (p for p in pairs if len(p) == 2) if not k.startswith("#")}


def test_env_example_documents_exactly_the_variables_compose_uses() -> None:
    lines = COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
    used = set(_VARIABLE.findall("\n".join(line for line in lines if not line.lstrip().startswith("#"))))
    documented = _documented_variables()
    assert used - set(documented) == set(), "used in compose.yaml but not in .env.example"
    assert set(documented) - used == set(), "in .env.example but unused by compose.yaml"


def test_env_example_ships_no_secret_and_compose_requires_them() -> None:
    documented = _documented_variables()
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for secret in SECRETS:
        assert documented[secret] == "", f"{secret} must be empty in .env.example"
    for secret in SECRETS - {"GRAFANA_ADMIN_PASSWORD"}:
        assert f"${{{secret}:?" in text, f"compose.yaml must refuse to start without {secret}"
    # Compose interpolates every service whatever the profile, so Grafana's check runs at its start.
    assert "${GRAFANA_ADMIN_PASSWORD:?" not in text
    assert 'test -n "$$GF_SECURITY_ADMIN_PASSWORD"' in text


def test_kafka_runs_kraft_with_a_valid_cluster_id(services: dict[str, Any]) -> None:
    kafka = services["kafka"]
    env = kafka["environment"]
    assert kafka["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert "kafka-data:/var/lib/kafka/data" in kafka["volumes"]
    default_id = re.fullmatch(r"\$\{KAFKA_CLUSTER_ID:-(.+)\}", env["CLUSTER_ID"])
    assert default_id
    for cluster_id in (default_id.group(1), _documented_variables()["KAFKA_CLUSTER_ID"]):
        # Kafka's Uuid: 16 bytes, URL-safe base64 without padding.
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_clickhouse_mounts_the_small_box_settings(services: dict[str, Any]) -> None:
    mounts = [v.split(":") for v in services["clickhouse"]["volumes"] if v.startswith("./")]
    assert len(mounts) == 2
    for source, target, mode in mounts:
        assert (REPO / source).is_file()
        assert target.startswith(("/etc/clickhouse-server/config.d/", "/etc/clickhouse-server/users.d/"))
        assert mode == "ro"
    assert services["clickhouse"]["mem_limit"] == "${CLICKHOUSE_MEMORY_LIMIT:-2g}"


def test_clickhouse_system_logs_are_capped_by_ttl() -> None:
    root = ET.parse(DEPLOY / "clickhouse" / "config.d" / "lynex-small-box.xml").getroot()
    logs = [el for el in root if el.tag.endswith("_log")]
    assert {el.tag for el in logs} >= {"query_log", "part_log", "metric_log", "trace_log", "text_log"}
    for el in logs:
        if el.get("remove") == "1":
            continue
        ttl = el.findtext("ttl")
        assert ttl, f"{el.tag} has no TTL"
        assert re.fullmatch(r"event_date \+ INTERVAL [1-7] DAY DELETE", ttl), f"{el.tag}: {ttl!r}"
    assert float(root.findtext("max_server_memory_usage_to_ram_ratio") or 0) <= 0.8
    assert root.findtext("prometheus/port") == "9363"
    users = ET.parse(DEPLOY / "clickhouse" / "users.d" / "lynex-small-box.xml").getroot()
    assert int(users.findtext("profiles/default/max_memory_usage") or 0) > 0


def test_prometheus_scrapes_every_role_and_clickhouse(services: dict[str, Any]) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    lynex_targets = {cfg["labels"]["role"]: cfg["targets"] for cfg in jobs["lynex"]["static_configs"]}
    assert lynex_targets == {role: [f"{role}:8000"] for role in ROLES}
    assert jobs["lynex"]["metrics_path"] == "/metrics"
    assert jobs["clickhouse"]["static_configs"][0]["targets"] == ["clickhouse:9363"]
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert (
        "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"
        in services["prometheus"]["volumes"]
    )


def _dashboard() -> dict[str, Any]:
    return json.loads((DEPLOY / "grafana" / "dashboards" / "lynex-overview.json").read_text(encoding="utf-8"))


def test_grafana_dashboard_uses_provisioned_datasources() -> None:
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "lynex.yaml").read_text(encoding="utf-8")
    )
    uids = {ds["uid"]: ds["type"] for ds in provisioned["datasources"]}
    assert uids == {"lynex-prometheus": "prometheus", "lynex-clickhouse": "grafana-clickhouse-datasource"}
    clickhouse = next(ds for ds in provisioned["datasources"] if ds["uid"] == "lynex-clickhouse")
    assert clickhouse["secureJsonData"]["password"] == "${CLICKHOUSE_PASSWORD}"  # from Grafana's environment
    panels = [p for p in _dashboard()["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    for panel in panels:
        assert uids[panel["datasource"]["uid"]] == panel["datasource"]["type"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] in uids


def test_grafana_dashboard_queries_metrics_lynex_exports() -> None:
    registry = CollectorRegistry()
    GatewayMetrics(registry)
    StreamsMetrics(registry)
    # The series names Prometheus sees: a counter gains _total, a histogram _bucket/_sum/_count.
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    exported = {f.name + suffix for f in registry.collect() for suffix in suffixes[f.type]}
    queried = {
        name
        for panel in _dashboard()["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"\blynex_[a-z_]+", target.get("expr", ""))
    }
    assert {n.split("_")[1] for n in queried} == {"gateway", "streams"}
    assert queried <= exported, f"not exported by core.metrics: {sorted(queried - exported)}"


def test_grafana_provisioning_mounts(services: dict[str, Any]) -> None:
    grafana = services["grafana"]
    assert grafana["profiles"] == ["monitoring"]
    assert grafana["environment"]["GF_PLUGINS_PREINSTALL_SYNC"] == "grafana-clickhouse-datasource"
    for volume in grafana["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./"):
            assert Path(REPO / source).is_dir()
    provider = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "dashboards" / "lynex.yaml").read_text(encoding="utf-8")
    )
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana["volumes"]


def test_grafana_clickhouse_panels_read_tables_the_migrations_create() -> None:
    created = {
        name
        for sql in (REPO / "contracts" / "clickhouse").glob("*.sql")
        for name in re.findall(
            r"CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS (\w+)", sql.read_text(encoding="utf-8")
        )
    }
    read = {
        name
        for panel in _dashboard()["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"\blynex\.(\w+)", target.get("rawSql", ""))
    }
    assert read, "the dashboard should chart Lynex's own tables"
    assert read <= created, f"not created by contracts/clickhouse: {sorted(read - created)}"
