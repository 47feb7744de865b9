"""A structural test of the Dockerfile and .dockerignore (not a build: there is no container engine here).

hadolint lints the Dockerfile in scripts/check-deploy.sh. This test reads the file as text and checks
the contracts the other deployment files rely on: the stages, the non-root uid the chart and compose
use, the state directory, the entry point, and that the build context holds exactly what is copied.
Whether the image builds and runs is checked by neither.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import CHART, REPO

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    result = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            result.append((word.upper(), rest.strip()))
    return result


def stages() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for word, rest in instructions():
        if word == "FROM":
            current = []
            found[rest.split(" AS ")[-1].strip()] = current
        else:
            current.append((word, rest))
    return found


def test_multi_stage_with_a_dashboard_a_build_and_a_runtime_stage() -> None:
    assert list(stages()) == ["dashboard", "build", "runtime"]
    froms = [rest for word, rest in instructions() if word == "FROM"]
    assert froms[0].startswith("${NODE_IMAGE}")
    assert froms[1].startswith("${PYTHON_IMAGE}")
    assert froms[2].startswith("${PYTHON_IMAGE}")
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in DOCKERFILE  # pyproject pins Python 3.11


def test_dashboard_is_built_with_npm_ci_and_copied_into_the_runtime() -> None:
    dashboard = " ".join(rest for _, rest in stages()["dashboard"])
    assert "npm ci" in dashboard
    assert "npm run build" in dashboard
    runtime = stages()["runtime"]
    assert ("COPY", "--from=dashboard /src/dashboard/dist /opt/lynex/dashboard") in runtime


def test_the_server_is_installed_with_every_extra() -> None:
    build = " ".join(rest for _, rest in stages()["build"])
    assert "pip install '.[all]'" in build
    assert "pip check" in build
    runtime = stages()["runtime"]
    assert ("COPY", "--from=build /opt/lynex /opt/lynex") in runtime


def test_runtime_runs_as_the_uid_the_chart_and_compose_expect() -> None:
    runtime = stages()["runtime"]
    users = [rest for word, rest in runtime if word == "USER"]
    assert users == ["10001:10001"], "the last USER must be the numeric, non-root lynex user"
    assert "--uid 10001" in DOCKERFILE
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert values["podSecurityContext"]["runAsUser"] == 10001
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    assert compose["services"]["gateway"]["user"] == "10001:10001"


def test_runtime_environment_state_dir_and_entry_point() -> None:
    runtime = stages()["runtime"]
    env = " ".join(rest for word, rest in runtime if word == "ENV")
    for setting in ("LYNEX_HOME=/var/lib/lynex", "LYNEX_HTTP__HOST=0.0.0.0", "LYNEX_LOG__FORMAT=json"):
        assert setting in env
    # The working directory is the (volume-mounted) state directory, writable on a read-only root.
    assert [rest for word, rest in runtime if word == "WORKDIR"] == ["/var/lib/lynex"]
    assert ("EXPOSE", "8000") in runtime
    assert ("ENTRYPOINT", '["lynex-server"]') in runtime
    assert ("CMD", '["serve", "--roles", "all"]') in runtime


def test_healthcheck_probes_health_with_the_python_in_the_image() -> None:
    (check,) = [rest for word, rest in stages()["runtime"] if word == "HEALTHCHECK"]
    command = json.loads(check.split("CMD", 1)[1])
    assert command[:2] == ["python", "-c"]
    assert "/health" in command[2]
    compile(command[2], "HEALTHCHECK", "exec")


def _matches(parts: list[str], pattern: str) -> bool:
    """A .dockerignore pattern against a path: `**/` matches any depth, a directory covers its content."""
    pattern_parts = pattern.split("/")
    if pattern_parts[0] == "**":
        rest = "/".join(pattern_parts[1:])
        return any(_matches(parts[i:], rest) for i in range(len(parts)))
    n = len(pattern_parts)
    return len(parts) >= n and all(
        fnmatch.fnmatchcase(p, q) for p, q in zip(parts[:n], pattern_parts, strict=False)
    )


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins, `!` re-includes."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        if _matches(path.split("/"), pattern.lstrip("!").rstrip("/")):
            ignored = not negate
    return ignored


def test_dockerignore_sends_only_what_the_dockerfile_copies() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", ".dockerignore is an allow-list"
    sources = [
        src
        for word, rest in instructions()
        if word == "COPY" and "--from=" not in rest
        for src in rest.split()[:-1]
    ]
    assert sources, "no COPY from the build context found"
    for source in sources:
        probe = source if "." in Path(source).name else source.rstrip("/") + "/module.py"
        assert not _ignored(probe, patterns), f"{source} is copied but excluded by .dockerignore"
    never_sent = (
        ".env",
        ".git/config",
        ".venv/bin/python",
        ".lynex/control.db",
        "dashboard/dist/index.js",
        "dashboard/node_modules/react/index.js",
        "core/__pycache__/cli.cpython-311.pyc",
        "tests/unit/test_body.py",
        "deploy/docker/notes.txt",
    )
    for path in never_sent:
        assert _ignored(path, patterns), f"{path} would be sent to the build"
    assert not _ignored("core/cli.py", patterns)
    assert not _ignored("deploy/docker/requirements.py", patterns)


def test_every_copied_source_exists() -> None:
    sources = [
        src.rstrip("/")
        for word, rest in instructions()
        if word == "COPY" and "--from=" not in rest
        for src in rest.split()[:-1]
    ]
    absent = [s for s in sources if not (REPO / s).exists()]
    if absent and all(s.startswith("dashboard") for s in absent):
        pytest.xfail(
            f"dashboard/ is not written yet, so the image build stops at the dashboard stage: {absent}"
        )
    assert absent == []


def test_dependency_layer_installs_what_pip_would_for_all_extras() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "deploy/docker/requirements.py"), str(REPO / "pyproject.toml"), "all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    expected = set(project["dependencies"])
    for extra in ("gateway", "streams", "query", "postgres"):
        expected |= set(project["optional-dependencies"][extra])
    assert set(out) == expected
    assert all("==" in requirement for requirement in out), "every dependency is pinned"
