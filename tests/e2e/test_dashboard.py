"""The dashboard in a real Chromium against the running server, with real data.

`dashboard/e2e/run.mjs` drives Debian's Chromium through playwright-core: it signs up, creates a project
and a key in the UI and tells this test the key. The test sends events over HTTP with it (the same way an
SDK does), waits until the read API shows them, and answers with what the UI must display; the browser
then checks the stat panels, charts, explorer filters, an opened event, the key's usage and a
revocation. For the members section the test signs up a second user over HTTP; the browser is refused
leaving as the only owner (409), adds that user (still listed after a reload) and removes them, and the
test checks each time what that user may read. Screenshots of every page land in the folder printed at
the start.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.services import REPO, Server

pytestmark = pytest.mark.e2e

DASHBOARD = REPO / "dashboard"
RUNNER = DASHBOARD / "e2e" / "run.mjs"
CHROMIUM = Path(os.environ.get("LYNEX_CHROMIUM", "/usr/bin/chromium"))
PROTOCOL = "LYNEX_E2E "
FIX = "`apt-get install -y chromium` and `(cd dashboard && npm ci && npm run build)`"
# Each model's calls; the first is the one the explorer filters on.
MODELS = {"gpt-4o-mini": 6, "claude-3-5-sonnet-20241022": 4, "gpt-4o": 2}
FAILED = {"gpt-4o-mini": 2, "claude-3-5-sonnet-20241022": 1}
LOGS = 40
SAMPLE_PROMPT = "What is the capital of France?"
SAMPLE_RESPONSE = "Paris, on the Seine."


def _missing(what: str) -> None:
    """Fail under CI (a CI run must never pass by skipping), skip on a laptop without the tools."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing under CI: {FIX}", pytrace=False)
    pytest.skip(f"{what} is missing: {FIX}")


def _dashboard_stale() -> bool:
    index = DASHBOARD / "dist" / "index.html"
    if not index.is_file():
        return True
    built = index.stat().st_mtime
    sources = [DASHBOARD / "index.html", DASHBOARD / "package.json", *(DASHBOARD / "src").rglob("*")]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


@pytest.fixture(scope="module")
def built_dashboard() -> Path:
    """dashboard/dist, (re)built when a source is newer: the server reads it at start-up."""
    if not CHROMIUM.exists():
        _missing(f"Chromium ({CHROMIUM})")
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _missing("Node.js")
    assert npm is not None
    if not (DASHBOARD / "node_modules" / "playwright-core").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=DASHBOARD, check=True, timeout=600)
    if _dashboard_stale():
        subprocess.run([npm, "run", "build"], cwd=DASHBOARD, check=True, timeout=600)
    return DASHBOARD / "dist"


@pytest.fixture
def screenshot_dir() -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = REPO / ".lynex" / "screenshots" / f"dashboard-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _events(now: datetime) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """LLM calls of three models (some failed), one error and many logs, all in the last few minutes."""
    events: list[dict[str, Any]] = []
    sample_id = str(uuid.uuid4())
    i = 0
    for model, count in MODELS.items():
        for n in range(count):
            failed = n < FAILED.get(model, 0)
            body: dict[str, Any] = {
                "model": model,
                "tokens": {"input": 50, "output": 20},
                "latencyMs": 150 + 40 * i,
                "status": "error" if failed else "ok",
                "prompt": f"question {i}",
                "response": None if failed else f"answer {i}",
            }
            if failed:
                body["error"] = {"type": "RateLimitError", "message": "slow down"}
            event_id = str(uuid.uuid4())
            if model == "gpt-4o" and n == 0:
                event_id = sample_id
                body["prompt"] = [
                    {"role": "system", "content": "You answer in one sentence."},
                    {"role": "user", "content": SAMPLE_PROMPT},
                ]
                body["response"] = {"role": "assistant", "content": SAMPLE_RESPONSE}
                body["params"] = {"temperature": 0.2}
            events.append(
                {
                    "eventId": event_id,
                    "type": "llm_call",
                    "timestamp": (now - timedelta(seconds=15 * i + 5)).isoformat(),
                    "context": {"env": "e2e", "userId": f"user-{i % 3}"},
                    "body": body,
                }
            )
            i += 1
    events.append(
        {
            "type": "error",
            "timestamp": (now - timedelta(seconds=7)).isoformat(),
            "body": {"errorType": "ValueError", "message": "empty completion", "stack": "Traceback…"},
        }
    )
    for n in range(LOGS):
        events.append(
            {
                "type": "log",
                "timestamp": (now - timedelta(seconds=3 * n + 1)).isoformat(),
                "body": {"level": "warning" if n % 10 == 0 else "info", "message": f"step {n} done"},
            }
        )
    sample = {"eventId": sample_id, "model": "gpt-4o", "prompt": SAMPLE_PROMPT, "response": SAMPLE_RESPONSE}
    return events, sample


def _send_and_wait(server: Server, secret: str, project_id: str) -> dict[str, Any]:
    """Send the events as an SDK would, wait until the read API has all of them; return what the UI must show."""
    events, sample = _events(datetime.now(UTC))
    headers = {"X-API-Key": secret}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        # One batch for the LLM calls and the error, the logs in a second request.
        for chunk in (events[:13], events[13:]):
            response = client.post("/api/v1/events", json={"events": chunk})
            assert response.status_code == 202, response.text
            assert response.json()["accepted"] == len(chunk)
        requests = sum(MODELS.values())
        deadline = time.monotonic() + 60
        overview: dict[str, Any] = {}
        listed: list[Any] = []
        while time.monotonic() < deadline:
            listed = client.get("/api/v1/events", params={"limit": 500}).json()["events"]
            overview = client.get("/api/v1/stats/overview").json()
            if len(listed) == len(events) and overview["requests"]["last7d"] == requests:
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"not all events queryable: {len(listed)} listed, overview {overview}")
        status_error = len(
            client.get("/api/v1/events", params={"status": "error", "limit": 500}).json()["events"]
        )
    errors = sum(FAILED.values())
    assert overview["projectId"] == project_id
    assert overview["tokens"] == {"input": 50 * requests, "output": 20 * requests, "cached": 0}
    assert overview["window"]["errors"] == errors
    assert overview["costUsd"] > 0
    assert status_error >= errors
    return {
        "total": len(events),
        "requests": requests,
        "requestsToday": overview["requests"]["today"],
        "errors": errors,
        "errorRate": overview["errorRate"],
        "inputTokens": overview["tokens"]["input"],
        "outputTokens": overview["tokens"]["output"],
        "costUsd": overview["costUsd"],
        "models": MODELS,
        "statusError": status_error,
        "logs": LOGS,
        "sample": sample,
    }


def _revoked_key_refused(server: Server, secret: str) -> bool:
    """The gateway refuses the revoked key once its cache entry expires (1 s here)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        response = httpx.post(
            f"{server.url}/api/v1/events",
            headers={"X-API-Key": secret},
            json={"type": "log", "body": {"level": "info", "message": "after revocation"}},
            timeout=10,
        )
        if response.status_code == 403:
            return True
        time.sleep(0.5)
    return False


class _SecondUser:
    """A second account, signed up over HTTP, that the browser adds to its project and removes again."""

    def __init__(self, server: Server) -> None:
        self.email = f"member-{uuid.uuid4().hex[:8]}@example.com"
        self.client = httpx.Client(base_url=server.url, timeout=10)

    def sign_up(self) -> str:
        response = self.client.post(
            "/api/v1/auth/signup", json={"email": self.email, "password": "another long password"}
        )
        assert response.status_code == 201, response.text
        return self.email

    def access(self, project_id: str) -> dict[str, Any]:
        """The role this user sees for the project (None when not a member), whether its events read, and
        the member list as this user gets it (the status code when refused)."""
        projects = self.client.get("/api/v1/projects").json()["projects"]
        role = next((p["role"] for p in projects if p["id"] == project_id), None)
        events = self.client.get("/api/v1/events", params={"project_id": project_id})
        listed = self.client.get(f"/api/v1/projects/{project_id}/members")
        members = (
            [(m["email"], m["role"]) for m in listed.json()["members"]]
            if listed.status_code == 200
            else listed.status_code
        )
        return {"role": role, "events": events.status_code, "members": members}

    def close(self) -> None:
        self.client.close()


def _pump(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line)
    lines.put(None)


def test_dashboard_in_chromium(server_factory: Any, built_dashboard: Path, screenshot_dir: Path) -> None:
    print(f"\ndashboard screenshots: {screenshot_dir}")
    server: Server = server_factory(
        roles="all",
        extra_env={
            "LYNEX_QUERY__DASHBOARD_DIR": str(built_dashboard),
            "LYNEX_GATEWAY__KEY_CACHE_TTL_S": "1",
            "LYNEX_GATEWAY__USAGE_FLUSH_S": "1",
        },
    )
    process = subprocess.Popen(
        ["node", str(RUNNER), server.url, str(screenshot_dir)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True)
    reader.start()
    transcript: list[str] = []
    secret = ""
    second = _SecondUser(server)
    deadline = time.monotonic() + 420
    try:
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("the browser run took over 7 minutes") from None
            if line is None:
                break
            transcript.append(line.rstrip())
            print(line, end="")
            if not line.startswith(PROTOCOL):
                continue
            message = json.loads(line[len(PROTOCOL) :])
            if message["step"] == "key":
                secret = message["secret"]
                reply: dict[str, Any] = {
                    "step": "sent",
                    "expect": _send_and_wait(server, secret, message["projectId"]),
                }
            elif message["step"] == "revoked":
                reply = {"step": "revoke-checked", "ok": _revoked_key_refused(server, secret)}
            elif message["step"] == "member":
                reply = {"step": "member-ready", "email": second.sign_up()}
            elif message["step"] in ("member-added", "member-removed"):
                seen = second.access(message["projectId"])
                wanted = (
                    {
                        "role": "member",
                        "events": 200,
                        "members": [(message["ownerEmail"], "owner"), (second.email, "member")],
                    }
                    if message["step"] == "member-added"
                    else {"role": None, "events": 403, "members": 403}
                )
                reply = {"step": "member-checked", "ok": seen == wanted, "seen": seen}
            else:
                continue
            process.stdin.write(f"{PROTOCOL}{json.dumps(reply)}\n")
            process.stdin.flush()
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        second.close()
        process.stdin.close()
        process.stdout.close()
    shots = sorted(p.name for p in screenshot_dir.glob("*.png"))
    print(f"dashboard screenshots ({len(shots)}): {screenshot_dir}")
    assert code == 0, (
        "the browser run failed:\n" + "\n".join(transcript[-40:]) + f"\nserver log:\n{server.log_tail(30)}"
    )
    assert len(shots) >= 12, shots
