"""Drive schemathesis over every operation of a live server's OpenAPI document and tally what came back.

One hypothesis run per (operation, generation mode) with a bounded example count; failures are
collected rather than raised, so that one run reports every operation that misbehaves, with a curl
command to reproduce each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# No 5xx; a status the operation declares; the declared media type; a body that matches its schema.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass
class Tally:
    """What one credential's fuzzing run saw."""

    examples: Counter[str] = field(default_factory=Counter)  # per "METHOD /path mode"
    statuses: Counter[int] = field(default_factory=Counter)
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)  # per (operation/mode, status)
    failures: Counter[str] = field(default_factory=Counter)  # distinct failures, with how often

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def report(self, title: str) -> str:
        lines = [
            f"{title}: {sum(self.examples.values())} examples over {len(self.examples)} operation/mode pairs,"
            f" {self.server_errors} 5xx, {sum(self.failures.values())} failing checks",
            "  statuses: " + ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items())),
        ]
        lines += [f"  {n:4} {name}" for name, n in sorted(self.examples.items())]
        lines += [f"  FAILED x{n}: {failure}" for failure, n in sorted(self.failures.items())]
        return "\n".join(lines)


def fuzz(
    base_url: str,
    *,
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
    max_examples: int,
    pinned: Mapping[str, str] | None = None,
    skip: Callable[[str, str, bool], bool] = lambda method, path, pinned: False,
) -> Tally:
    """Every operation of `{base_url}/schema/openapi.json`, in positive and negative mode.

    Random path parameters mostly name nothing the caller may touch (403/404), so an operation whose
    path has a parameter in `pinned` runs a second time with it pinned to that value (a real project),
    which reaches the code behind the permission checks. `skip(method, path, pinned)` leaves
    operations out (one that would end the run's own session or delete its project).
    """
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    tally = Tally()
    session = requests.Session()
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the published document itself is wrong: that is a failure too
            raise AssertionError(f"invalid OpenAPI operation: {result.err()}")
        operation = result.ok()
        method = operation.method.upper()
        names = {p.name for p in operation.path_parameters}
        fixed = {name: value for name, value in (pinned or {}).items() if name in names}
        for path_parameters in [None, fixed] if fixed else [None]:
            if skip(method, operation.path, path_parameters is not None):
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                label = f"{method} {operation.path} {mode.value}" + (" pinned" if path_parameters else "")
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
                _run(strategy, label, base_url, session, headers, cookies, max_examples, tally)
    return tally


def _run(
    strategy: Any,
    name: str,
    base_url: str,
    session: requests.Session,
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
    max_examples: int,
    tally: Tally,
) -> None:
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is recorded, not raised
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(
            base_url=base_url, session=session, headers=dict(headers), cookies=dict(cookies), timeout=30
        )
        tally.examples[name] += 1
        tally.statuses[response.status_code] += 1
        tally.answers[name, response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=dict(headers))
        except (FailureGroup, Failure) as exc:
            failures = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
            for failure in failures:
                first_line = failure.message.strip().splitlines()[:1]
                tally.failures[
                    f"{name} -> {response.status_code}: {failure.title}: {''.join(first_line)}"
                ] += 1

    try:
        run()
    except Unsatisfiable:
        if "negative" not in name:
            raise
        # Nothing of this operation can be made invalid (no parameters, no body): nothing to send.
