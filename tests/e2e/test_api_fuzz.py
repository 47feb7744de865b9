"""The live gateway and query APIs under an OpenAPI fuzzer (schemathesis): whatever a client sends,
signed in with a session cookie or with an API key, no answer is a 5xx and every answer is one the
published schema (/schema/openapi.json) declares, with the declared body.

The example count per operation and generation mode is bounded so that both runs together stay well
under three minutes on a 2-core machine; each run prints its example counts and its 5xx count.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.fuzzing import fuzz
from tests.support.services import REPO, Server

pytestmark = pytest.mark.e2e

# The gateway documents its body in the contract's JSON Schema, not in OpenAPI: fuzz it with that.
EVENT_SCHEMA = json.loads((REPO / "contracts" / "schema" / "event.v1.json").read_text())
BODIES = {("POST", "/api/v1/events"): EVENT_SCHEMA}
MAX_EXAMPLES = 25  # per operation, mode and credential: ~2,900 requests, about 65 s here (load 2)
OWNER = {"email": "owner@example.com", "password": "a long fuzzing password"}
COOKIE = "lynex_session"


@dataclass
class Live:
    server: Server
    session_token: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, kafka_bootstrap: str) -> Iterator[Live]:
    server = Server(
        home=tmp_path_factory.mktemp("fuzz") / "server",
        bootstrap=kafka_bootstrap,
        extra_env={"LYNEX_INIT__USER_EMAIL": OWNER["email"], "LYNEX_INIT__USER_PASSWORD": OWNER["password"]},
    ).start()
    try:
        login = httpx.post(f"{server.url}/api/v1/auth/login", json=OWNER, timeout=10)
        assert login.status_code == 200, login.text
        yield Live(server, login.cookies[COOKIE])
    finally:
        server.stop()


def session_run_skips(method: str, path: str, pinned: bool) -> bool:
    """Logging out would end the session the rest of the run uses, and deleting the pinned project
    would leave nothing to reach; random ids cannot hit it, and the API-key run fuzzes logout."""
    return path == "/api/v1/auth/logout" or (pinned and method == "DELETE" and path.endswith("{project_id}"))


def test_signed_in_no_5xx_and_every_response_as_published(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    tally = fuzz(
        live.server.url,
        headers={},
        cookies={COOKIE: live.session_token},
        max_examples=MAX_EXAMPLES,
        pinned={"project_id": live.server.project_id},
        skip=session_run_skips,
        bodies=BODIES,
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
        pinned={"project_id": live.server.project_id},
        bodies=BODIES,
    )
    report = tally.report("API key")
    with capsys.disabled():
        print("\n" + report)
    assert tally.server_errors == 0, report
    assert not tally.failures, report
    assert tally.answers["GET /api/v1/events positive", 200], "the key did not work"
    assert tally.answers["POST /api/v1/events positive", 202], "no event was accepted"
