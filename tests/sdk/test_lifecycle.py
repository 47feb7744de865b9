"""Python SDK process lifecycle, in real child interpreters: flush at exit (bounded by a timeout),
configuration from LYNEX_* variables, and fork safety."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest
from lynex.config import Config

from tests.sdk.support import SilentEndpoint, dead_url


def run_script(source: str, *args: str, env: dict[str, str] | None = None, timeout: float = 30):
    base = {k: v for k, v in os.environ.items() if not k.startswith("LYNEX_")}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source), *args],
        env=base | (env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result, time.monotonic() - started


def test_events_queued_at_exit_are_flushed(gateway):
    result, _ = run_script(
        """
        import sys, lynex
        lynex.init(api_key="k", endpoint=sys.argv[1], flush_at=1000, flush_interval=60)
        for i in range(25):
            lynex.log("info", f"m{i}")
        # no flush(), no shutdown(): the interpreter exits with 25 events queued
        """,
        gateway.url,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert [e["body"]["message"] for e in gateway.accepted_events()] == [f"m{i}" for i in range(25)]


def test_events_captured_before_the_worker_started_are_flushed_at_exit(gateway):
    # A client made and used in the same breath: no reference kept, exit follows at once.
    result, _ = run_script(
        """
        import sys, lynex
        lynex.Lynex(api_key="k", endpoint=sys.argv[1]).log("info", "only one")
        """,
        gateway.url,
    )
    assert result.returncode == 0, result.stderr
    assert [e["body"]["message"] for e in gateway.accepted_events()] == ["only one"]


@pytest.mark.parametrize("kind", ["dead", "hanging"])
def test_exit_with_an_unreachable_gateway_waits_at_most_shutdown_timeout(kind):
    silent = SilentEndpoint() if kind == "hanging" else None
    url = silent.url if silent else dead_url()
    try:
        result, elapsed = run_script(
            """
            import sys, lynex
            lynex.init(api_key="k", endpoint=sys.argv[1], shutdown_timeout=1.0, request_timeout=30)
            for i in range(100):
                lynex.capture_llm_call(model="m", tokens={"input": 1, "output": 1})
            print("done")
            """,
            url,
        )
    finally:
        if silent:
            silent.close()
    assert result.returncode == 0
    assert result.stdout == "done\n"
    assert "Traceback" not in result.stderr
    assert elapsed < 1.0 + 3.0, f"exit took {elapsed:.1f}s"  # interpreter start-up + the 1 s timeout


def test_configuration_from_environment_variables(gateway):
    result, _ = run_script(
        """
        import lynex
        lynex.init()
        lynex.log("info", "from env")
        """,
        env={"LYNEX_API_KEY": "sk_env", "LYNEX_ENDPOINT": gateway.url, "LYNEX_PROJECT_ID": "proj-env"},
    )
    assert result.returncode == 0, result.stderr
    (request,) = gateway.requests
    assert request.headers["X-API-Key"] == "sk_env"
    assert request.body["events"][0]["projectId"] == "proj-env"


def test_arguments_win_over_environment_variables():
    environ = {"LYNEX_API_KEY": "env-key", "LYNEX_ENDPOINT": "http://env:1", "LYNEX_DEBUG": "1"}
    config = Config.build(environ, api_key="arg-key", endpoint=None, flush_at=0, max_batch_size=5000)
    assert config.api_key == "arg-key"
    assert config.endpoint == "http://env:1"
    assert config.events_url == "http://env:1/api/v1/events"
    assert config.debug is True
    assert config.flush_at == 1, "out-of-range numbers are clamped, not fatal"
    assert config.max_batch_size == 1000
    assert Config.build({}, endpoint="https://x.example/api/v1/events/").events_url == (
        "https://x.example/api/v1/events"
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
def test_after_fork_parent_and_child_each_send_their_own_events_once(gateway):
    result, _ = run_script(
        """
        import os, sys, lynex
        lynex.init(api_key="k", endpoint=sys.argv[1], flush_at=1000, flush_interval=60)
        lynex.log("info", "parent before fork")     # queued in the parent, worker running
        pid = os.fork()
        if pid == 0:
            lynex.log("info", "child")
            with lynex.span("child span"):
                pass
            sys.exit(0)                              # the child's exit flush sends its own events
        _, status = os.waitpid(pid, 0)
        lynex.log("info", "parent after fork")
        assert lynex.flush(5)
        sys.exit(os.waitstatus_to_exitcode(status))
        """,
        gateway.url,
    )
    assert result.returncode == 0, result.stderr
    events = gateway.accepted_events()
    names = Counter(e["body"].get("message") or e["body"].get("name") for e in events)
    assert names == Counter(["parent before fork", "child", "child span", "parent after fork"])
    assert len({e["eventId"] for e in events}) == len(events)
