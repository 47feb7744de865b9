"""Real-time alerting through the running server (all roles, the real broker): rules written over the
management API, events sent through the gateway, notifications received by a real HTTP webhook
receiver and a real SMTP server on 127.0.0.1, history read back over the API."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.support.services import Server, free_port

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery"
FAST = {
    "LYNEX_ALERTS__RULES_RELOAD_S": "1",
    "LYNEX_ALERTS__DELIVERY_ATTEMPTS": "4",
    "LYNEX_ALERTS__DELIVERY_BACKOFF_S": "0.5",
    "LYNEX_ALERTS__DELIVERY_TIMEOUT_S": "5",
}


# -- receivers ------------------------------------------------------------------------------------


@dataclass
class Hit:
    at: float  # time.monotonic() when received
    path: str
    payload: dict[str, Any]

    @property
    def message(self) -> dict[str, Any]:
        return json.loads(self.payload["message"])  # type: ignore[no-any-return]


@dataclass
class Webhook:
    """An HTTP server on 127.0.0.1 recording every JSON POST (what Apprise's json:// sends)."""

    port: int = field(default_factory=free_port)
    hits: list[Hit] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> Webhook:
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                hits.append(Hit(time.monotonic(), self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == f"/{path}"]

    async def wait(self, path: str, count: int, timeout: float) -> list[Hit]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.at(path)) >= count:
                return self.at(path)
            await asyncio.sleep(0.02)
        raise AssertionError(
            f"{count} notification(s) to /{path} not received in {timeout}s: {self.at(path)}"
        )


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook().start()
    yield hook
    hook.stop()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


# -- the API --------------------------------------------------------------------------------------


@dataclass
class Project:
    id: str
    key: str


async def signed_in(server: Server) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=server.url, timeout=30)
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return client


async def new_project(user: httpx.AsyncClient, name: str) -> Project:
    project = (await user.post("/api/v1/projects", json={"name": name})).json()
    key = await user.post(f"/api/v1/projects/{project['id']}/keys", json={"name": "app"})
    assert key.status_code == 201, key.text
    return Project(project["id"], key.json()["secret"])


async def create_rule(user: httpx.AsyncClient, project: Project, **spec: Any) -> dict[str, Any]:
    body = {"name": spec.pop("name", "rule"), "windowMinutes": 1, "cooldownS": 300, **spec}
    response = await user.post(f"/api/v1/projects/{project.id}/rules", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def call(
    status: str = "ok", *, tokens: tuple[int, int] = (10, 5), error: str = "", model: str = "gpt-4o"
) -> dict:  # type: ignore[type-arg]
    body: dict[str, Any] = {
        "model": model,
        "tokens": {"input": tokens[0], "output": tokens[1]},
        "latencyMs": 120,
        "status": status,
    }
    if error:
        body["error"] = {"type": error, "message": "x"}
    return {"eventId": str(uuid.uuid4()), "type": "llm_call", "body": body}


async def send(server: Server, project: Project, events: list[dict]) -> float:  # type: ignore[type-arg]
    """Post the events through the gateway; returns the monotonic time of the 202."""
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": project.key}, timeout=30) as c:
        response = await c.post("/api/v1/events", json={"events": events})
        assert response.status_code == 202, response.text
    return time.monotonic()


async def history(server: Server, project: Project, count: int, timeout: float = 15) -> list[dict]:  # type: ignore[type-arg]
    """The project's alert history read with its API key, once it has `count` rows."""
    deadline = time.monotonic() + timeout
    rows: list[dict] = []  # type: ignore[type-arg]
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": project.key}) as c:
        while time.monotonic() < deadline:
            response = await c.get("/api/v1/alerts/history")
            assert response.status_code == 200, response.text
            rows = response.json()["alerts"]
            if len(rows) >= count:
                return rows
            await asyncio.sleep(0.3)
    raise AssertionError(f"history has {len(rows)} rows, expected {count}: {rows}")


def start_server(server_factory: Any, **env: str) -> Server:
    return server_factory(roles="all", extra_env=FAST | env)  # type: ignore[no-any-return]


# -- the tests ------------------------------------------------------------------------------------


async def test_error_rate_spike_fires_once_reminds_after_cooldown_and_resolves(
    server_factory: Any, webhook: Webhook, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, smtp_port = smtp
    server = start_server(server_factory)
    user = await signed_in(server)
    project = await new_project(user, "chatbot")
    mailto = f"mailto://127.0.0.1:{smtp_port}?from=lynex@example.com&to=oncall@example.com&mode=insecure"
    rule = await create_rule(
        user,
        project,
        name="Chatbot error rate",
        kind="error_rate",
        threshold=50,
        minRequests=5,
        cooldownS=6,
        channels=[webhook.url("errors"), mailto],
    )
    await asyncio.sleep(2)  # the workers reload rules every second
    await send(server, project, [call() for _ in range(4)])
    await asyncio.sleep(1.5)
    assert webhook.at("errors") == []  # 0 % of 4 requests: nothing

    crossed = await send(server, project, [call("error", error="Timeout") for _ in range(6)])  # 60 %
    [first] = await webhook.wait("errors", 1, timeout=15)
    latency = first.at - crossed
    print(f"\nALERT LATENCY (threshold crossed, 202 -> webhook received): {latency * 1000:.0f} ms")
    message = first.message
    assert message["state"] == "fired"
    assert message["rule"]["id"] == rule["id"]
    assert message["rule"]["name"] == "Chatbot error rate"
    assert message["value"] == pytest.approx(60.0)
    assert message["threshold"] == 50
    assert message["windowMinutes"] == 1
    assert message["repeat"] is False
    assert first.payload["type"] == "failure"
    assert latency < 5

    # More errors inside the cooldown: silence.
    await send(server, project, [call("error", error="Timeout") for _ in range(10)])
    while time.monotonic() < first.at + 6 - 1:
        await asyncio.sleep(0.1)
    assert len(webhook.at("errors")) == 1

    # Still breached once the cooldown has passed: one reminder.
    hits = await webhook.wait("errors", 2, timeout=10)
    reminder = hits[1]
    assert reminder.at - first.at >= 6 - 0.5
    assert reminder.message["state"] == "fired"
    assert reminder.message["repeat"] is True
    assert reminder.message["value"] == pytest.approx(80.0)  # 16 of 20

    # Back to normal (16 errors in 120 requests): resolved, once the cooldown allows it.
    await send(server, project, [call() for _ in range(100)])
    hits = await webhook.wait("errors", 3, timeout=15)
    resolved = hits[2]
    assert resolved.message["state"] == "resolved"
    assert resolved.message["value"] < 50
    assert resolved.payload["type"] == "success"
    assert resolved.at - reminder.at >= 6 - 0.5
    await asyncio.sleep(2)
    assert len(webhook.at("errors")) == 3

    # The same notifications reached the mailbox.
    deadline = time.monotonic() + 10
    while len(mailbox.messages) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    subjects = [m["Subject"] for m in mailbox.messages]
    assert len(subjects) == 3, subjects
    assert "FIRING: Chatbot error rate" in subjects[0]
    assert "RESOLVED: Chatbot error rate" in subjects[2]
    assert mailbox.messages[0]["To"] == "oncall@example.com"

    # History, newest first, read with the project's API key.
    rows = await history(server, project, 3)
    assert [(r["state"], r["repeat"]) for r in rows] == [
        ("resolved", False),
        ("fired", True),
        ("fired", False),
    ]
    assert rows[2]["value"] == pytest.approx(60.0)
    assert rows[2]["threshold"] == 50
    assert rows[2]["windowMinutes"] == 1
    assert rows[2]["ruleId"] == rule["id"]
    deliveries = rows[2]["deliveries"]
    assert [(d["channel"], d["ok"], d["attempts"]) for d in deliveries] == [
        (f"json://127.0.0.1:{webhook.port}/***", True, 1),
        (f"mailto://127.0.0.1:{smtp_port}/***", True, 1),
    ]
    await user.aclose()


async def test_token_and_error_type_rules_fire_on_their_own_data_only(
    server_factory: Any, webhook: Webhook
) -> None:
    server = start_server(server_factory)
    user = await signed_in(server)
    a, b = await new_project(user, "a"), await new_project(user, "b")
    await create_rule(user, a, kind="tokens", threshold=5000, channels=[webhook.url("a-tokens")])
    await create_rule(
        user,
        a,
        kind="error_type",
        errorType="RateLimitError",
        threshold=3,
        channels=[webhook.url("a-ratelimit")],
    )
    await create_rule(user, b, kind="tokens", threshold=5000, channels=[webhook.url("b-tokens")])
    await asyncio.sleep(2)

    # Other error types, few tokens: neither rule.
    await send(server, a, [call("error", error="Timeout", tokens=(100, 0)) for _ in range(5)])
    await asyncio.sleep(2.5)
    assert webhook.hits == []

    # Many tokens in A: A's token rule only (not B's, not the error-type rule).
    await send(server, a, [call(tokens=(3000, 1000)) for _ in range(2)])
    [tokens] = await webhook.wait("a-tokens", 1, timeout=10)
    assert tokens.message["value"] == 8500  # 500 from the Timeout calls
    assert tokens.message["rule"]["kind"] == "tokens"

    # Three rate-limit errors: the error-type rule, with the count seen.
    await send(server, a, [call("error", error="RateLimitError", tokens=(0, 0)) for _ in range(3)])
    [ratelimit] = await webhook.wait("a-ratelimit", 1, timeout=10)
    assert ratelimit.message["value"] == 3
    assert ratelimit.message["rule"]["errorType"] == "RateLimitError"
    await asyncio.sleep(2.5)
    assert len(webhook.at("a-tokens")) == 1
    assert webhook.at("b-tokens") == []
    await user.aclose()


async def test_rules_edited_or_disabled_through_the_api_take_effect(
    server_factory: Any, webhook: Webhook
) -> None:
    server = start_server(server_factory)
    user = await signed_in(server)
    project = await new_project(user, "p")
    secret_path = "hooks/" + uuid.uuid4().hex  # a secret in the URL, like a Slack token
    rule = await create_rule(
        user, project, name="tokens", kind="tokens", threshold=1_000_000, cooldownS=2,
        channels=[webhook.url(secret_path)],
    )  # fmt: skip
    control = await create_rule(
        user, project, name="control", kind="tokens", threshold=1000, cooldownS=2,
        channels=[webhook.url("control")],
    )  # fmt: skip
    # Read back masked; stored encrypted.
    assert rule["channels"] == [f"json://127.0.0.1:{webhook.port}/***"]
    listed = (await user.get(f"/api/v1/projects/{project.id}/rules")).json()["rules"]
    assert {r["id"] for r in listed} == {rule["id"], control["id"]}
    assert all(secret_path not in json.dumps(r) for r in listed)
    assert secret_path.encode() not in (server.home / "control.db").read_bytes()
    assert not any(secret_path.encode() in p.read_bytes() for p in server.home.glob("control.db*"))

    await asyncio.sleep(2)
    await send(server, project, [call(tokens=(4000, 1000))])
    await webhook.wait("control", 1, timeout=10)
    await asyncio.sleep(1)
    assert webhook.at(secret_path) == []  # 5,000 tokens are not above 1,000,000

    # Lower the threshold: the rule fires on the data already in its window.
    edited = await user.patch(f"/api/v1/projects/{project.id}/rules/{rule['id']}", json={"threshold": 4000})
    assert edited.status_code == 200, edited.text
    assert edited.json()["threshold"] == 4000
    changed = time.monotonic()
    [hit] = await webhook.wait(secret_path, 1, timeout=30)
    print(f"\nrule edit -> notification: {hit.at - changed:.1f} s")
    assert hit.message["threshold"] == 4000

    # Disable it: the control rule keeps reminding every 2 s, the disabled one says nothing.
    disabled = await user.patch(f"/api/v1/projects/{project.id}/rules/{rule['id']}", json={"enabled": False})
    assert disabled.json()["enabled"] is False
    await asyncio.sleep(2)  # one reload interval, and then some
    before, control_before = len(webhook.at(secret_path)), len(webhook.at("control"))
    await asyncio.sleep(5)
    assert len(webhook.at(secret_path)) == before
    assert len(webhook.at("control")) >= control_before + 2

    # The test endpoint delivers now and reports each channel.
    tested = await user.post(f"/api/v1/projects/{project.id}/rules/{rule['id']}/test")
    assert tested.status_code == 200, tested.text
    assert tested.json()["deliveries"] == [
        {
            "channel": f"json://127.0.0.1:{webhook.port}/***",
            "ok": True,
            "attempts": 1,
            "seconds": pytest.approx(0, abs=5),
            "error": "",
        }
    ]
    assert webhook.at(secret_path)[-1].message["test"] is True

    # Bad input, other people's projects, API keys writing: refused.
    bad = await user.post(
        f"/api/v1/projects/{project.id}/rules",
        json={"name": "x", "kind": "error_type", "threshold": 1, "channels": ["json://127.0.0.1:1/x"]},
    )
    assert bad.status_code == 422
    assert bad.json()["parameter"] == "errorType"
    unknown = await user.post(
        f"/api/v1/projects/{project.id}/rules",
        json={"name": "x", "kind": "tokens", "threshold": 1, "channels": ["nosuchscheme://x"]},
    )
    assert unknown.status_code == 422
    metadata = await user.post(
        f"/api/v1/projects/{project.id}/rules",
        json={"name": "x", "kind": "tokens", "threshold": 1, "channels": ["json://169.254.169.254/latest"]},
    )
    assert metadata.status_code == 422
    assert metadata.json()["parameter"] == "$.channels[0]"
    assert "link-local" in metadata.json()["message"]
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": project.key}) as key:
        assert (await key.get(f"/api/v1/projects/{project.id}/rules")).status_code == 200
        assert (
            await key.patch(f"/api/v1/projects/{project.id}/rules/{rule['id']}", json={"enabled": True})
        ).status_code == 403
    stranger = await signed_in(server)
    assert (await stranger.get(f"/api/v1/projects/{project.id}/rules")).status_code == 403
    assert (await user.delete(f"/api/v1/projects/{project.id}/rules/{rule['id']}")).status_code == 204
    assert (await user.get(f"/api/v1/projects/{project.id}/rules/{rule['id']}")).status_code == 404
    await stranger.aclose()
    await user.aclose()


async def test_worker_restarted_inside_the_cooldown_does_not_notify_again(
    server_factory: Any, webhook: Webhook
) -> None:
    cooldown = 40
    server = start_server(server_factory)
    user = await signed_in(server)
    project = await new_project(user, "p")
    await create_rule(
        user, project, kind="error_rate", threshold=50, minRequests=5, windowMinutes=5, cooldownS=cooldown,
        channels=[webhook.url("errors")],
    )  # fmt: skip
    await user.aclose()
    await asyncio.sleep(2)
    await send(server, project, [call("error", error="Timeout") for _ in range(10)])
    [first] = await webhook.wait("errors", 1, timeout=15)

    server.stop()
    await asyncio.to_thread(server.start, True, 90)
    restarted = time.monotonic()
    assert restarted - first.at < cooldown - 10, "restart too slow for this test's cooldown"
    await send(server, project, [call("error", error="Timeout") for _ in range(10)])
    await asyncio.sleep(6)
    assert len(webhook.at("errors")) == 1, "the restarted worker notified again inside the cooldown"

    # The recovered worker still knows the rule is firing: a reminder once the cooldown is over.
    hits = await webhook.wait("errors", 2, timeout=cooldown + 15)
    assert hits[1].at - first.at >= cooldown - 0.5
    assert hits[1].message["state"] == "fired"
    assert hits[1].message["repeat"] is True
    assert hits[1].message["value"] == 100.0  # 20 errors: the window came back with the worker


async def test_a_failing_channel_is_retried_and_recorded_and_the_pipeline_keeps_going(
    server_factory: Any, webhook: Webhook
) -> None:
    server = start_server(server_factory)
    user = await signed_in(server)
    project = await new_project(user, "p")
    dead = Webhook()  # never started: connection refused
    late = Webhook()  # starts after the first attempt failed
    await create_rule(
        user, project, kind="error_type", errorType="Timeout", threshold=1, cooldownS=300,
        channels=[dead.url("dead"), late.url("late"), webhook.url("good")],
    )  # fmt: skip
    await asyncio.sleep(2)
    await send(server, project, [call("error", error="Timeout")])
    await webhook.wait("good", 1, timeout=15)  # not held back by the failing channels
    late.start()
    try:
        await late.wait("late", 1, timeout=10)
    finally:
        late.stop()

    rows = await history(server, project, 1, timeout=20)
    deliveries = {d["channel"]: d for d in rows[0]["deliveries"]}
    failed = deliveries[f"json://127.0.0.1:{dead.port}/***"]
    assert failed["ok"] is False
    assert failed["attempts"] == 4
    assert failed["error"]
    retried = deliveries[f"json://127.0.0.1:{late.port}/***"]
    assert retried["ok"] is True
    assert retried["attempts"] >= 2
    assert deliveries[f"json://127.0.0.1:{webhook.port}/***"]["attempts"] == 1

    # Events still flow end to end, and later alerts still go out.
    sent = [call() for _ in range(3)]
    await send(server, project, sent)
    async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": project.key}) as c:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ids = {
                e["eventId"] for e in (await c.get("/api/v1/events", params={"limit": 50})).json()["events"]
            }
            if {e["eventId"] for e in sent} <= ids:
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError("events sent after the failed delivery are not queryable")
    await create_rule(user, project, kind="tokens", threshold=10, channels=[webhook.url("after")])
    await asyncio.sleep(2)
    await send(server, project, [call(tokens=(100, 100))])
    await webhook.wait("after", 1, timeout=15)
    await user.aclose()
