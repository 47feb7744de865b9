"""Fixtures for the deployment tests: the helm binary, chart rendering, the tool caches.

The tools come from `scripts/check-deploy.sh` (which `make test` runs first). A missing tool fails the
test when `CI` is set, so a CI run can never pass by skipping; on a laptop it skips with the fix.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "lynex"
SCENARIOS = sorted(p.name.removesuffix("-values.yaml") for p in (CHART / "ci").glob("*-values.yaml"))
TOOLS = Path(os.environ.get("LYNEX_DEPLOY_TOOLS", Path.home() / ".cache" / "lynex" / "deploy-tools"))
# Rendered for the newest schemas check-deploy.sh validates against (it also checks the oldest, 1.25).
KUBE_VERSION = "1.37.0"
ROLES = ("gateway", "streams", "query")
FIX = "run `bash scripts/check-deploy.sh` (it installs the deployment tools)"


def missing(what: str) -> None:
    """A tool or file the test needs is absent: fail under CI, skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing under CI: {FIX}", pytrace=False)
    pytest.skip(f"{what} is missing: {FIX}")


def require_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"the Python package {name}")
        raise  # unreachable: missing() fails or skips


@dataclass
class Manifests:
    docs: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [d for d in self.of_kind(kind) if d["metadata"]["name"] == name]
        assert len(found) == 1, (
            f"expected one {kind} {name}, found {[d['metadata']['name'] for d in self.of_kind(kind)]}"
        )
        return found[0]

    def deployment(self, role: str) -> dict[str, Any]:
        return self.get("Deployment", f"lynex-{role}")

    def kinds(self) -> list[str]:
        return sorted(d["kind"] for d in self.docs)


@pytest.fixture(scope="session")
def helm_bin() -> str:
    candidates = [shutil.which("helm"), str(Path.home() / "go" / "bin" / "helm")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    missing("helm (PATH or ~/go/bin/helm)")
    raise AssertionError  # unreachable


def _helm_args(
    scenario: str | None, values: dict[str, Any] | None, tmp: Path, chart: Path, release: str
) -> list[str]:
    args = ["template", release, str(chart), "--namespace", "lynex", "--kube-version", KUBE_VERSION]
    if scenario:
        args += ["--values", str(CHART / "ci" / f"{scenario}-values.yaml")]
    if values:
        extra = tmp / f"values-{len(list(tmp.glob('values-*.yaml')))}.yaml"
        extra.write_text(yaml.safe_dump(values), encoding="utf-8")
        args += ["--values", str(extra)]
    return args


@pytest.fixture
def render(helm_bin: str, tmp_path: Path) -> Callable[..., Manifests]:
    """render(scenario=None, values=None) -> the parsed manifests; fails the test if helm fails."""

    def run(
        scenario: str | None = None,
        values: dict[str, Any] | None = None,
        chart: Path = CHART,
        release: str = "lynex",
    ) -> Manifests:
        proc = subprocess.run(
            [helm_bin, *_helm_args(scenario, values, tmp_path, chart, release)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, f"helm template failed:\n{proc.stderr}"
        return Manifests([d for d in yaml.safe_load_all(proc.stdout) if d])

    return run


@pytest.fixture
def render_error(helm_bin: str, tmp_path: Path) -> Callable[..., str]:
    """render_error(values) -> helm's error message; fails the test if the render succeeds."""

    def run(values: dict[str, Any], scenario: str | None = None) -> str:
        proc = subprocess.run(
            [helm_bin, *_helm_args(scenario, values, tmp_path, CHART, "lynex")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode != 0, "helm template accepted values it must refuse"
        return proc.stderr

    return run


@pytest.fixture
def chart_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "chart"
    shutil.copytree(CHART, copy)
    return copy


def containers(pod_owner: dict[str, Any]) -> list[dict[str, Any]]:
    return pod_owner["spec"]["template"]["spec"]["containers"]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container["env"]}
