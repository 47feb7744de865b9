"""End to end for the JS SDK: the built package sends to a running gateway (real Kafka) from Node and
from a page in a real Chromium, and the events are read back from the raw topic.

In the browser the page is served from the same origin as the API (a small site in this test that
serves the page and the built SDK and forwards `POST /api/v1/events` to the gateway), so no CORS is
needed; the cross-origin test runs once the gateway answers CORS preflights.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.sdk.support import LocalServer, QuietHandler
from tests.support.services import envelope_events, read_topic

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
JS = REPO / "sdk" / "js"
E2E = JS / "test" / "e2e"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def js_package() -> Path:
    """The JS SDK built from source (`npm ci` first if its dependencies are not installed)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("Node.js >= 18 and npm are needed for the JS SDK tests", pytrace=False)
    if not (JS / "node_modules" / "typescript").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, timeout=300)
    subprocess.run(["npm", "run", "build"], cwd=JS, check=True, timeout=300, capture_output=True)
    return JS / "dist" / "esm"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, driven by playwright-core (browsers are not downloaded here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    return CHROMIUM


def run_node(*args: str, timeout: float = 90) -> dict[str, Any]:
    result = subprocess.run(["node", *args], capture_output=True, text=True, timeout=timeout, cwd=JS)
    assert result.returncode == 0, f"node {args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


class SameOriginSite(LocalServer):
    """Serves the test page and the built SDK, and forwards the ingest API to the gateway."""

    def __init__(self, dist: Path, gateway_url: str) -> None:
        self.forwarded: list[dict[str, str]] = []
        target = urlsplit(gateway_url)
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                if path == "/":
                    return self.send_body(200, (E2E / "page.html").read_bytes(), "text/html")
                if path.startswith("/sdk/"):
                    file = (dist / path.removeprefix("/sdk/")).resolve()
                    if file.is_relative_to(dist) and file.is_file():
                        return self.send_body(200, file.read_bytes(), "text/javascript")
                return self.send_body(404, b"not found", "text/plain")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("x-api-key", "content-type", "content-encoding")
                }
                site.forwarded.append(headers)
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
                try:
                    conn.request("POST", self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    self.send_body(response.status, response.read(), "application/json")
                finally:
                    conn.close()

        super().__init__(Handler)


def events_of_run(records: list[tuple[bytes | None, bytes]], run: str) -> list[Any]:
    return [
        e for _, e in envelope_events(records) if e.context is not None and e.context.tags.get("run") == run
    ]


async def test_js_sdk_in_node_reaches_the_raw_topic(js_package, server_factory, kafka_bootstrap):
    server = server_factory(roles="gateway")
    run = uuid.uuid4().hex

    stats = run_node(str(E2E / "send.mjs"), server.url, server.api_key, run)

    assert stats["ok"] is True
    assert (stats["sent"], stats["rejected"], stats["failed"], stats["dropped"]) == (1502, 0, 0, 0)
    records = await read_topic(kafka_bootstrap, server.topics.raw, min_records=stats["batches"], timeout=30)
    events = events_of_run(records, run)
    assert len(events) == 1502
    assert len({e.event_id for e in events}) == 1502
    assert Counter(type(e).__name__ for e in events) == {"LogEvent": 1500, "LlmCallEvent": 1, "ErrorEvent": 1}
    assert all(e.sdk.name == "lynex-js" and e.project_id == server.project_id for e in events)
    (call,) = [e for e in events if type(e).__name__ == "LlmCallEvent"]
    assert call.body.model == "gpt-4o-mini"
    assert (call.body.tokens.input, call.body.tokens.output, call.body.latency_ms) == (12, 1, 321.5)
    (error,) = [e for e in events if type(e).__name__ == "ErrorEvent"]
    assert error.body.error_type == "TypeError"
    assert "TypeError: e2e" in error.body.stack


async def test_js_sdk_drops_only_the_event_a_422_names(js_package, server_factory, kafka_bootstrap):
    server = server_factory(roles="gateway")
    run = uuid.uuid4().hex

    stats = run_node(str(E2E / "send-invalid.mjs"), server.url, server.api_key, run)

    assert stats["ok"] is True
    assert (stats["sent"], stats["invalid"], stats["rejected"], stats["failed"]) == (5, 1, 0, 0)
    assert stats["batches"] == 1
    records = await read_topic(kafka_bootstrap, server.topics.raw, min_records=1, timeout=30)
    events = events_of_run(records, run)
    assert sorted(e.body.message for e in events) == [f"valid {i}" for i in range(5)]
    assert len({e.event_id for e in events}) == 5


@pytest.mark.parametrize("mode", ["hide", "navigate"])
async def test_js_sdk_in_chromium_sends_when_the_page_is_hidden(
    mode, js_package, chromium, server_factory, kafka_bootstrap
):
    server = server_factory(roles="gateway")
    run = uuid.uuid4().hex
    with SameOriginSite(js_package, server.url) as site:
        result = run_node(str(E2E / "browser.mjs"), f"{site.url}/?key={server.api_key}", run, mode)
        if mode == "navigate":
            records = await read_topic(kafka_bootstrap, server.topics.raw, min_records=1, timeout=20)
        forwarded = list(site.forwarded)

    assert result["before"]["queued"] == 2
    assert result["postsBeforeHide"] == 0, "nothing is sent before the page is hidden"
    if mode == "hide":
        assert result["status"] == 202
        assert result["keepalive"] is True
        assert result["after"]["sent"] == 2
        records = await read_topic(kafka_bootstrap, server.topics.raw, min_records=1, timeout=20)
    assert len(forwarded) == 1
    assert forwarded[0]["X-API-Key"] == server.api_key
    events = events_of_run(records, run)
    assert sorted(type(e).__name__ for e in events) == ["LlmCallEvent", "LogEvent"]
    assert all(e.sdk.name == "lynex-js" for e in events)


def _gateway_allows_cors(url: str, origin: str) -> bool:
    response = httpx.options(
        f"{url}/api/v1/events",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-encoding,content-type,x-api-key",
        },
        timeout=5,
    )
    allowed = response.headers.get("access-control-allow-origin")
    return response.status_code < 300 and allowed in ("*", origin)


async def test_js_sdk_in_chromium_cross_origin(js_package, chromium, server_factory, kafka_bootstrap):
    server = server_factory(roles="gateway")
    run = uuid.uuid4().hex
    with SameOriginSite(js_package, server.url) as site:  # serves the page; the API is the gateway's
        if not _gateway_allows_cors(server.url, site.url):
            pytest.skip(
                "the gateway does not answer CORS preflights yet (allow any origin on POST "
                "/api/v1/events with X-API-Key, Content-Type, Content-Encoding; expose Retry-After)"
            )
        result = run_node(
            str(E2E / "browser.mjs"), f"{site.url}/?key={server.api_key}&endpoint={server.url}", run, "hide"
        )
    assert result["status"] == 202
    records = await read_topic(kafka_bootstrap, server.topics.raw, min_records=1, timeout=20)
    assert sorted(type(e).__name__ for e in events_of_run(records, run)) == ["LlmCallEvent", "LogEvent"]
