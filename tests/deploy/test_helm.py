"""The Helm chart, rendered with `helm template`: the fields a cluster operator relies on.

kubeconform (scripts/check-deploy.sh) proves the manifests are valid Kubernetes objects; these tests
prove they say the right things: probes, hardening, Secret references, hook order, scaling bounds.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import describe, load_settings
from tests.deploy.conftest import CHART, REPO, ROLES, SCENARIOS, Manifests, containers, env_of

Render = Callable[..., Manifests]
ALL_SCENARIOS = [None, *SCENARIOS]


def pod_owners(m: Manifests) -> list[dict[str, Any]]:
    return m.of_kind("Deployment") + m.of_kind("Job")


def test_default_render_has_a_deployment_service_and_pdb_per_role(render: Render) -> None:
    m = render()
    for role in ROLES:
        deployment = m.deployment(role)
        service = m.get("Service", f"lynex-{role}")
        pdb = m.get("PodDisruptionBudget", f"lynex-{role}")
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        # Each Service and PDB selects exactly this role's pods.
        assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
        assert pdb["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert service["spec"]["selector"]["app.kubernetes.io/component"] == role
        assert pdb["spec"]["maxUnavailable"] == 1
    assert m.kinds() == sorted(
        ["Deployment"] * 3
        + ["Service"] * 3
        + ["PodDisruptionBudget"] * 3
        + ["ServiceAccount", "Secret", "Job"]
    )


def test_optional_objects_are_off_by_default(render: Render) -> None:
    kinds = set(render().kinds())
    assert not kinds & {"Ingress", "HorizontalPodAutoscaler", "ScaledObject", "ServiceMonitor"}


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_probes_and_port(render: Render, scenario: str | None) -> None:
    m = render(scenario)
    for role in ROLES:
        (container,) = containers(m.deployment(role))
        assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
        # /live: restarts a pod whose workers keep dying (core.supervise), never for an outage.
        assert container["livenessProbe"]["httpGet"] == {"path": "/live", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
        assert container["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
        service = m.get("Service", f"lynex-{role}")
        assert service["spec"]["ports"] == [
            {"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}
        ]
        env = env_of(container)
        assert env["LYNEX_HTTP__HOST"]["value"] == "0.0.0.0"
        assert env["LYNEX_HTTP__PORT"]["value"] == "8000"


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_every_pod_is_hardened(render: Render, scenario: str | None) -> None:
    m = render(scenario)
    owners = pod_owners(m)
    assert len(owners) >= 3
    for owner in owners:
        pod = owner["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001  # the uid the Dockerfile creates
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        # Service links would inject LYNEX_<SERVICE>_SERVICE_HOST..., which the server rejects.
        assert pod["enableServiceLinks"] is False
        for container in pod["containers"]:
            ctx = container["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True
            assert ctx["allowPrivilegeEscalation"] is False
            assert ctx["runAsNonRoot"] is True
            assert ctx["capabilities"]["drop"] == ["ALL"]
            assert "add" not in ctx["capabilities"]
            # The only writable paths: LYNEX_HOME and /tmp, both emptyDirs.
            mounts = {v["mountPath"]: v["name"] for v in container["volumeMounts"]}
            assert mounts == {"/var/lib/lynex": "home", "/tmp": "tmp"}
            assert env_of(container)["LYNEX_HOME"]["value"] == "/var/lib/lynex"
            assert container["resources"]["requests"]["memory"]
            assert container["resources"]["limits"]["memory"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert set(volumes) == {"home", "tmp"}
        assert all("emptyDir" in v for v in volumes.values())


def test_roles_skip_migrations_and_the_hook_job_runs_them_first(render: Render) -> None:
    m = render()
    for role in ROLES:
        (container,) = containers(m.deployment(role))
        assert container["args"] == ["serve", "--roles", role, "--no-migrate"]
    job = m.get("Job", "lynex-migrate")
    (container,) = containers(job)
    assert container["args"] == ["migrate"]
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] == 3
    # The chart-created Secret is a hook too, weighted before the Job, so the Job can read it.
    secret = m.get("Secret", "lynex-secrets")
    assert secret["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        annotations["helm.sh/hook-weight"]
    )
    # A pre-install hook runs before the chart's ServiceAccount exists: the Job must not name it.
    assert "serviceAccountName" not in job["spec"]["template"]["spec"]


def test_migrate_job_can_be_disabled(render: Render) -> None:
    m = render("minimal")
    assert not m.of_kind("Job")
    (container,) = containers(m.deployment("gateway"))
    assert container["args"][-1] == "--no-migrate"


def _secret_refs(container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for e in container["env"]
        if "secretKeyRef" in e.get("valueFrom", {})
    }


def test_secrets_come_from_the_existing_secret_by_reference(render: Render) -> None:
    m = render(values={"secrets": {"existingSecret": "my-lynex-secret"}, "init": {"projectId": "ops"}})
    assert not m.of_kind("Secret"), "the chart must not create a Secret when existingSecret is set"
    expected = {
        "DATABASE_PASSWORD": ("my-lynex-secret", "postgresql-password"),
        "CLICKHOUSE_PASSWORD": ("my-lynex-secret", "clickhouse-password"),
        "LYNEX_AUTH__SECRET_KEY": ("my-lynex-secret", "auth-secret-key"),
        "LYNEX_INIT__API_KEY": ("my-lynex-secret", "init-api-key"),
    }
    for owner in pod_owners(m):
        for container in containers(owner):
            assert _secret_refs(container) == expected
            env = env_of(container)
            # Passwords are spliced in by Kubernetes, never written into the manifest.
            assert env["LYNEX_DATABASE__URL"]["value"] == (
                "postgresql+asyncpg://lynex:$(DATABASE_PASSWORD)@postgresql:5432/lynex"
            )
            assert (
                env["LYNEX_CLICKHOUSE__DSN"]["value"]
                == "http://lynex:$(CLICKHOUSE_PASSWORD)@clickhouse:8123/lynex"
            )
            assert env["LYNEX_INIT__PROJECT_ID"]["value"] == "ops"
            names = [e["name"] for e in container["env"]]
            # $(VAR) expands only variables defined earlier in the list.
            assert names.index("DATABASE_PASSWORD") < names.index("LYNEX_DATABASE__URL")
            assert names.index("CLICKHOUSE_PASSWORD") < names.index("LYNEX_CLICKHOUSE__DSN")


def test_secret_key_names_are_configurable(render: Render) -> None:
    m = render(values={"secrets": {"existingSecret": "vault-synced", "keys": {"authSecretKey": "LYNEX_KEY"}}})
    (container,) = containers(m.deployment("query"))
    assert _secret_refs(container)["LYNEX_AUTH__SECRET_KEY"] == ("vault-synced", "LYNEX_KEY")


def test_chart_created_secret_holds_the_given_values(render: Render) -> None:
    m = render("keda")
    secret = m.get("Secret", "lynex-secrets")
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data["postgresql-password"] == "pg-password"
    assert data["clickhouse-password"] == "ch-password"
    assert len(data["auth-secret-key"]) == 48  # generated
    (container,) = containers(m.deployment("gateway"))
    assert {name for name, _ in _secret_refs(container).values()} == {"lynex-secrets"}


def _resolved_env(container: dict[str, Any]) -> dict[str, str]:
    """The LYNEX_* environment as the container sees it, Secret values replaced by 48-character
    placeholders (what `openssl rand -hex 24` or the chart's generated key give)."""
    values = {
        e["name"]: e.get("value", f"secret-{e['name'].lower()}".ljust(48, "x")) for e in container["env"]
    }
    expand = re.compile(r"\$\((\w+)\)")
    return {
        name: expand.sub(lambda ref: values[ref.group(1)], value)
        for name, value in values.items()
        if name.startswith("LYNEX_")
    }


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_the_server_accepts_the_rendered_environment(render: Render, scenario: str | None) -> None:
    known = {name for name, _, _ in describe()}
    m = render(scenario)
    for owner in pod_owners(m):
        for container in containers(owner):
            env = _resolved_env(container)
            unknown = set(env) - known
            assert not unknown, f"{owner['metadata']['name']}: the server rejects {sorted(unknown)}"
            # The real settings parser: every value the chart renders has the right type and range,
            # and production's own checks (the auth key) pass.
            settings = load_settings(env)
            assert settings.http.host == "0.0.0.0"
            assert settings.auth.secret_key.startswith("secret-lynex_auth__secret_key")
            assert settings.database_url.startswith("postgresql+asyncpg://")
            assert settings.clickhouse_dsn.startswith(("http://", "https://"))


def test_hpa_bounds_for_gateway_and_query(render: Render) -> None:
    m = render("production")
    expected = {"gateway": (3, 20, 65), "query": (2, 8, 70)}
    assert {h["metadata"]["name"] for h in m.of_kind("HorizontalPodAutoscaler")} == {
        "lynex-gateway",
        "lynex-query",
    }
    for role, (low, high, cpu) in expected.items():
        hpa = m.get("HorizontalPodAutoscaler", f"lynex-{role}")
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": f"lynex-{role}",
        }
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (low, high)
        (metric,) = hpa["spec"]["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": cpu}
        # The autoscaler owns the replica count; a fixed one would fight it on every upgrade.
        assert "replicas" not in m.deployment(role)["spec"]


def test_keda_scales_streams_on_lag_up_to_the_partition_count(render: Render) -> None:
    m = render("keda")
    so = m.get("ScaledObject", "lynex-streams")
    assert so["spec"]["scaleTargetRef"] == {"name": "lynex-streams"}
    assert (so["spec"]["minReplicaCount"], so["spec"]["maxReplicaCount"]) == (1, 4)
    triggers = {(t["metadata"]["consumerGroup"], t["metadata"]["topic"]) for t in so["spec"]["triggers"]}
    # The server prefixes consumer groups with the topic prefix too.
    assert triggers == {
        ("staging.lynex-streams", "staging.lynex.events.raw"),
        ("staging.lynex-sink", "staging.lynex.events.enriched"),
        ("staging.lynex-dead-letter-log", "staging.lynex.events.dlq"),
    }
    for trigger in so["spec"]["triggers"]:
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["allowIdleConsumers"] == "false"
        assert trigger["metadata"]["bootstrapServers"] == "kafka:9092"
    assert "replicas" not in m.deployment("streams")["spec"]
    assert m.deployment("gateway")["spec"]["replicas"] == 2  # HPA off: a fixed count


def test_keda_triggers_name_the_consumer_groups_the_streams_role_uses() -> None:
    # A trigger on a group that does not exist reads as the whole topic's lag and pins streams at
    # maxReplicas; a group without a trigger is never scaled for. Both sides must name the same groups.
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "streams").glob("*.py"))
    in_code = set(re.findall(r"topic_prefix\}(lynex-[a-z-]+)", source))
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    in_chart = {t["consumerGroup"] for t in values["streams"]["keda"]["triggers"]}
    assert in_code, "no consumer group found in streams/: update this test's pattern"
    assert in_chart == in_code


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_streams_never_exceed_the_partition_count(render: Render, scenario: str | None) -> None:
    m = render(scenario)
    streams = m.deployment("streams")
    partitions = int(env_of(containers(streams)[0])["LYNEX_KAFKA__TOPIC_PARTITIONS"]["value"])
    for so in m.of_kind("ScaledObject"):
        assert so["spec"]["maxReplicaCount"] <= partitions
    if not m.of_kind("ScaledObject"):
        assert streams["spec"]["replicas"] <= partitions


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"streams": {"keda": {"enabled": True, "maxReplicas": 5}}}, "exceeds kafka.topicPartitions (4)"),
        ({"streams": {"replicas": 6}}, "streams.replicas (6) exceeds kafka.topicPartitions (4)"),
        (
            {"streams": {"keda": {"enabled": True, "minReplicas": 4, "maxReplicas": 2}}},
            "minReplicas must not exceed",
        ),
        (
            {"gateway": {"autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 3}}},
            "must not exceed",
        ),
        (
            {"query": {"autoscaling": {"enabled": True}, "resources": {"requests": {"cpu": None}}}},
            "needs query.resources.requests.cpu",
        ),
        ({"init": {"projectId": "p"}}, "init.projectId needs an API key"),
    ],
)
def test_impossible_settings_are_refused_with_a_reason(
    render_error: Callable[..., str], values: dict[str, Any], message: str
) -> None:
    assert message in render_error(values)


def test_more_partitions_allow_more_stream_workers(render: Render) -> None:
    m = render(
        values={"kafka": {"topicPartitions": 12}, "streams": {"keda": {"enabled": True, "maxReplicas": 12}}}
    )
    assert m.get("ScaledObject", "lynex-streams")["spec"]["maxReplicaCount"] == 12


@pytest.mark.parametrize(
    ("values", "where"),
    [
        ({"gateway": {"replica": 3}}, "additional properties 'replica' not allowed"),
        ({"kafka": {"topicPartitions": "four"}}, "/kafka/topicPartitions"),
        ({"config": {"env": "prod"}}, "/config/env"),
        ({"image": {"digest": "latest"}}, "/image/digest"),
        ({"streams": {"keda": {"triggers": []}}}, "/streams/keda/triggers"),
        ({"secrets": {"values": {"authSecretKey": "too-short"}}}, "/secrets/values/authSecretKey"),
    ],
)
def test_values_schema_rejects_typos_and_wrong_types(
    render_error: Callable[..., str], values: dict[str, Any], where: str
) -> None:
    assert where in render_error(values)


def test_ingress_routes_ingest_to_gateway_and_the_rest_to_query(render: Render) -> None:
    m = render("production")
    (ingress,) = m.of_kind("Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"secretName": "lynex-tls", "hosts": ["lynex.example.com"]}]
    (rule,) = ingress["spec"]["rules"]
    routes = {p["path"]: (p["pathType"], p["backend"]["service"]["name"]) for p in rule["http"]["paths"]}
    assert routes == {"/api/v1/events": ("Prefix", "lynex-gateway"), "/": ("Prefix", "lynex-query")}


def test_service_monitor_scrapes_metrics_of_every_role(render: Render) -> None:
    m = render("production")
    (sm,) = m.of_kind("ServiceMonitor")
    (endpoint,) = sm["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"], endpoint["interval"]) == ("http", "/metrics", "15s")
    assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    selector = sm["spec"]["selector"]
    for role in ROLES:
        labels = m.get("Service", f"lynex-{role}")["metadata"]["labels"]
        assert selector["matchLabels"].items() <= labels.items()
    assert selector["matchExpressions"][0]["values"] == list(ROLES)


def test_image_reference(render: Render) -> None:
    app_version = yaml.safe_load((CHART / "Chart.yaml").read_text())["appVersion"]
    (container,) = containers(render().deployment("gateway"))
    assert container["image"] == f"docker.io/lynex/lynex-server:{app_version}"
    (container,) = containers(render("production").deployment("gateway"))
    assert (
        container["image"]
        == "registry.example.com/observability/lynex-server@sha256:" + "0123456789abcdef" * 4
    )


def test_production_scenario_scheduling_and_external_endpoints(render: Render) -> None:
    m = render("production")
    pod = m.deployment("streams")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "lynex-runtime"
    assert pod["priorityClassName"] == "observability-high"
    (spread,) = pod["topologySpreadConstraints"]
    assert spread["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "streams"
    env = env_of(pod["containers"][0])
    assert env["LYNEX_DATABASE__URL"]["value"] == (
        "postgresql+asyncpg://lynex_app:$(DATABASE_PASSWORD)@lynex-db.rds.example.com:5432/lynex_prod?ssl=require"
    )
    assert env["LYNEX_CLICKHOUSE__DSN"]["value"] == (
        "https://lynex_writer:$(CLICKHOUSE_PASSWORD)@clickhouse.analytics.svc:8443/lynex_prod"
    )
    assert env["LYNEX_GATEWAY__MAX_BODY_BYTES"]["value"] == "2097152"


def test_preStop_sleep_lets_load_balancers_drain(render: Render) -> None:
    m = render()
    for role, seconds in (("gateway", "5"), ("query", "5")):
        (container,) = containers(m.deployment(role))
        assert container["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", seconds]
    (container,) = containers(m.deployment("streams"))
    assert "lifecycle" not in container
    assert m.deployment("gateway")["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def _render_notes(render: Render, chart_copy: Path, scenario: str | None) -> str:
    # `helm template` does not render NOTES.txt, and `helm install --dry-run` needs a cluster: render
    # the same text as a ConfigMap from a copy of the chart instead.
    notes = (chart_copy / "templates" / "NOTES.txt").read_text(encoding="utf-8")
    (chart_copy / "templates" / "NOTES.txt").unlink()
    body = "".join(f"    {line}\n" for line in notes.splitlines())
    wrapper = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |\n" + body
    (chart_copy / "templates" / "zz-notes.yaml").write_text(wrapper, encoding="utf-8")
    return str(render(scenario, chart=chart_copy).get("ConfigMap", "notes")["data"]["notes"])


def test_notes_by_default(render: Render, chart_copy: Path) -> None:
    notes = _render_notes(render, chart_copy, None)
    assert "kubectl --namespace lynex port-forward svc/lynex-query 8000:8000" in notes
    assert "http://lynex-gateway.lynex.svc:8000/api/v1/events" in notes
    assert "WARNING: secrets.existingSecret is empty" in notes
    assert "never more than the 4 topic partitions" in notes


def test_notes_in_production(render: Render, chart_copy: Path) -> None:
    notes = _render_notes(render, chart_copy, "production")
    assert "https://lynex.example.com/" in notes
    assert "KEDA 2-12 replicas on consumer lag" in notes
    assert "HPA 3-20 replicas on CPU" in notes
    assert "WARNING" not in notes


def test_readme_values_table_matches_values_yaml() -> None:
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.spec_from_file_location(
        "helm_values_table", CHART.parents[1] / "deploy/ci/helm_values_table.py"
    )
    assert spec is not None
    assert spec.loader is not None
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    assert table.undocumented(CHART) == []
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    assert table.splice(readme, table.render_table(CHART)) == readme, (
        "run deploy/ci/helm_values_table.py --write"
    )


def _paren_block(text: str, start: str) -> list[str]:
    """The lines of the parenthesised column list after `start`, whitespace-normalised."""
    i = text.index("(", text.index(start))
    depth = 0
    for k in range(i, len(text)):
        depth += {"(": 1, ")": -1}.get(text[k], 0)
        if depth == 0:
            return [" ".join(line.split()) for line in text[i : k + 1].splitlines() if line.strip()]
    raise AssertionError(f"unbalanced parentheses after {start!r}")


def test_readme_cluster_ddl_matches_the_migrations() -> None:
    # The replicated variant must keep the single-node tables' columns; a new migration needs its
    # cluster variant in the README too (shipped migration files never change, so this fails only then).
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A ClickHouse cluster") : readme.index("## Validation")]
    migrations = sorted((REPO / "contracts" / "clickhouse").glob("[0-9][0-9][0-9][0-9]_*.sql"))
    for migration in migrations:
        assert migration.name[:4] in section, (
            f"add the cluster variant of {migration.name} to {CHART}/README.md"
        )
    events = (REPO / "contracts/clickhouse/0001_events.sql").read_text(encoding="utf-8")
    rollup = (REPO / "contracts/clickhouse/0002_minute_rollup.sql").read_text(encoding="utf-8")
    assert _paren_block(section, "lynex.events_local ON CLUSTER") == _paren_block(
        events, "TABLE IF NOT EXISTS events"
    )
    assert _paren_block(section, "lynex.events_1m_local ON CLUSTER") == _paren_block(
        rollup, "TABLE IF NOT EXISTS events_1m"
    )
    dead_letters = (REPO / "contracts/clickhouse/0004_dead_letters.sql").read_text(encoding="utf-8")
    assert _paren_block(section, "lynex.dead_letters_local ON CLUSTER") == _paren_block(
        dead_letters, "TABLE IF NOT EXISTS dead_letters"
    )
