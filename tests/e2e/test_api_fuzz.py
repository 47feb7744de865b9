"""The live gateway and query APIs under an OpenAPI fuzzer (schemathesis): whatever a client sends,
signed in with a session cookie or with an API key, no answer is a 5xx and every answer is one the
published schema (/schema/openapi.json) declares, with the declared body.

The example count per operation and generation mode is bounded so that both runs together stay well
under three minutes on a 2-core machine; each run prints its example counts and its 5xx count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.databases import database_url
from tests.support.fuzzing import fuzz
from tests.support.services import Server

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 25  # per operation, mode and credential: ~2,900 requests, about 65 s here (load 2)
OWNER = {"email": "owner@example.com", "password": "a long fuzzing password"}
INIT_OWNER = {"LYNEX_INIT__USER_EMAIL": OWNER["email"], "LYNEX_INIT__USER_PASSWORD": OWNER["password"]}
COOKIE = "lynex_session"
DISCARD_CHANNEL = "json://127.0.0.1:9/"  # test notifications go nowhere (the discard port)


@dataclass
class Live:
    server: Server
    session_token: str
    rule_id: str

    @property
    def pinned(self) -> dict[str, str]:
        """Real ids for the second pass over operations that take them (see `fuzz`)."""
        return {"project_id": self.server.project_id, "rule_id": self.rule_id}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Live]:
    server = Server(
        home=tmp_path_factory.mktemp("fuzz") / "server",
        bootstrap=kafka_bootstrap,
        extra_env=INIT_OWNER,
    ).start()
    try:
        login = httpx.post(f"{server.url}/api/v1/auth/login", json=OWNER, timeout=10)
        assert login.status_code == 200, login.text
        token = login.cookies[COOKIE]
        rule = httpx.post(
            f"{server.url}/api/v1/projects/{server.project_id}/rules",
            json={"name": "fuzzed", "kind": "error_rate", "threshold": 50, "channels": [DISCARD_CHANNEL]},
            cookies={COOKIE: token},
            timeout=10,
        )
        assert rule.status_code == 201, rule.text
        yield Live(server, token, rule.json()["id"])
    finally:
        server.stop()


def session_run_skips(method: str, path: str, pinned: bool) -> bool:
    """Logging out would end the session the rest of the run uses, and deleting the pinned project or
    rule would leave nothing to reach; random ids cannot hit them, and the API-key run fuzzes logout."""
    deletes_pinned = pinned and method == "DELETE" and path.endswith(("{project_id}", "{rule_id}"))
    return path == "/api/v1/auth/logout" or deletes_pinned


def test_signed_in_no_5xx_and_every_response_as_published(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    tally = fuzz(
        live.server.url,
        headers={},
        cookies={COOKIE: live.session_token},
        max_examples=MAX_EXAMPLES,
        pinned=live.pinned,
        skip=session_run_skips,
    )
    report = tally.report("signed in (session cookie)")
    with capsys.disabled():  # the counts belong in every run's output, `make test` included
        print("\n" + report)
    assert tally.server_errors == 0, report
    assert not tally.failures, report
    assert tally.answers["GET /api/v1/auth/me positive", 200], "the session did not work"
    assert tally.answers["POST /api/v1/projects positive", 201], "no valid body got through"


def test_with_an_api_key_no_5xx_and_every_response_as_published(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    tally = fuzz(
        live.server.url,
        headers=live.server.headers,
        cookies={},
        max_examples=MAX_EXAMPLES,
        pinned=live.pinned,
    )
    report = tally.report("API key")
    with capsys.disabled():
        print("\n" + report)
    assert tally.server_errors == 0, report
    assert not tally.failures, report
    assert tally.answers["GET /api/v1/events positive", 200], "the key did not work"
    assert tally.answers["POST /api/v1/events positive", 202], "no event was accepted"


async def test_ids_postgresql_cannot_store_are_the_clients_422_not_a_503(
    server_factory: Callable[..., Server], tmp_path: Path
) -> None:
    """PostgreSQL refuses a NUL character in text: as a path's id it used to come back as 503
    "control plane unavailable", which a client retries forever. (The fuzz runs above use SQLite.)"""
    async with database_url("postgres", tmp_path) as url:
        server = server_factory(extra_env={"LYNEX_DATABASE__URL": url} | INIT_OWNER)
        async with httpx.AsyncClient(base_url=server.url) as client:
            assert (await client.post("/api/v1/auth/login", json=OWNER)).status_code == 200
            rule = await client.post(
                f"/api/v1/projects/{server.project_id}/rules",
                json={"name": "n", "kind": "error_rate", "threshold": 50, "channels": [DISCARD_CHANNEL]},
            )
            assert rule.status_code == 201, rule.text
            base = f"/api/v1/projects/{server.project_id}"
            for method, path in [
                ("DELETE", f"{base}/members/a%00b"),
                ("GET", f"{base}/rules/a%00b"),
                ("PATCH", f"{base}/rules/a%00b"),
                ("DELETE", f"{base}/rules/a%00b"),
                ("POST", f"{base}/rules/a%00b/test"),
            ]:
                body = {"enabled": False} if method == "PATCH" else None
                response = await client.request(method, path, json=body)
                assert response.status_code == 422, (method, path, response.status_code, response.text)
                assert response.json()["parameter"] == "request"
            assert (await client.get(f"{base}/rules/{rule.json()['id']}")).status_code == 200
