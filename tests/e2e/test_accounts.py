"""Users, projects and keys through the running server: the flow a team goes through, isolation,
throttling, sessions, and secrets never stored or logged in clear."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.databases import database_url

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


async def sign_up(client: httpx.AsyncClient, email: str) -> dict:  # type: ignore[type-arg]
    response = await client.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()["user"]


async def new_project_with_key(client: httpx.AsyncClient, name: str) -> tuple[str, dict, str]:  # type: ignore[type-arg]
    project = (await client.post("/api/v1/projects", json={"name": name})).json()
    created = await client.post(f"/api/v1/projects/{project['id']}/keys", json={"name": "default"})
    assert created.status_code == 201, created.text
    return project["id"], created.json()["key"], created.json()["secret"]


async def wait_for_events(client: httpx.AsyncClient, project_id: str, n: int, timeout: float = 15) -> list:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = (await client.get("/api/v1/events", params={"project_id": project_id})).json()
        if len(page["events"]) >= n:
            return page["events"]
        await asyncio.sleep(0.2)
    raise AssertionError(f"{n} events not visible within {timeout}s")


@pytest.mark.parametrize("db", ["sqlite", "postgres"])
async def test_sign_up_to_revocation(server_factory, tmp_path: Path, db: str) -> None:
    async with database_url(db, tmp_path) as url:
        server = server_factory(
            roles="all", extra_env={"LYNEX_DATABASE__URL": url, "LYNEX_GATEWAY__KEY_CACHE_TTL_S": "2"}
        )
        async with httpx.AsyncClient(base_url=server.url) as browser:
            email = f"dev-{uuid.uuid4().hex[:6]}@Example.com"
            await sign_up(browser, email)
            await browser.post("/api/v1/auth/logout")
            assert (await browser.get("/api/v1/auth/me")).status_code == 401
            login = await browser.post(
                "/api/v1/auth/login", json={"email": email.upper(), "password": PASSWORD}
            )
            assert login.status_code == 200
            assert "httponly" in login.headers["set-cookie"].lower()
            assert "samesite=lax" in login.headers["set-cookie"].lower()
            project_id, key, secret = await new_project_with_key(browser, "Chatbot")
            assert secret.startswith("sk_live_")
            me = (await browser.get("/api/v1/auth/me")).json()
            assert [(p["id"], p["role"]) for p in me["projects"]] == [(project_id, "owner")]
            listed = (await browser.get(f"/api/v1/projects/{project_id}/keys")).json()["keys"]
            assert [k["id"] for k in listed] == [key["id"]]
            assert "secret" not in listed[0]

            async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": secret}) as app:
                response = await app.post(
                    "/api/v1/events", json={"type": "llm_call", "body": {"model": "gpt-4o"}}
                )
                assert response.status_code == 202
            [event] = await wait_for_events(browser, project_id, 1)
            assert event["model"] == "gpt-4o"
            overview = (await browser.get("/api/v1/stats/overview", params={"project_id": project_id})).json()
            assert overview["requests"]["last30d"] == 1

            assert (
                await browser.delete(f"/api/v1/projects/{project_id}/keys/{key['id']}")
            ).status_code == 204
            revoked_at = time.monotonic()
            async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": secret}) as app:
                while True:
                    status = (
                        await app.post(
                            "/api/v1/events", json={"type": "log", "body": {"level": "info", "message": "x"}}
                        )
                    ).status_code
                    if status == 403:
                        break
                    assert status == 202
                    assert time.monotonic() - revoked_at < 5, "revoked key still accepted after 5 s (TTL 2 s)"
                    await asyncio.sleep(0.2)
            await asyncio.sleep(6)  # usage counts are flushed every 5 s
            [usage] = (await browser.get(f"/api/v1/projects/{project_id}/keys")).json()["keys"]
            assert usage["revokedAt"] is not None
            assert usage["eventsAccepted"] >= 1
            assert usage["lastUsedAt"] is not None


async def test_users_are_isolated(server_factory) -> None:
    server = server_factory(roles="all")
    async with httpx.AsyncClient(base_url=server.url) as alice, httpx.AsyncClient(base_url=server.url) as bob:
        await sign_up(alice, "alice@example.com")
        await sign_up(bob, "bob@example.com")
        a_project, _a_key, a_secret = await new_project_with_key(alice, "A")
        b_project, b_key, b_secret = await new_project_with_key(bob, "B")
        b_event = str(uuid.uuid4())
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": b_secret}) as b_app:
            assert (
                await b_app.post(
                    "/api/v1/events",
                    json={"eventId": b_event, "type": "log", "body": {"level": "info", "message": "b"}},
                )
            ).status_code == 202
        await wait_for_events(bob, b_project, 1)

        assert [p["id"] for p in (await alice.get("/api/v1/projects")).json()["projects"]] == [a_project]
        for path in (
            "/api/v1/events",
            "/api/v1/stats/overview",
            "/api/v1/stats/models",
            f"/api/v1/events/{b_event}",
        ):
            assert (await alice.get(path, params={"project_id": b_project})).status_code == 403, path
        assert (
            await alice.get(f"/api/v1/events/{b_event}", params={"project_id": a_project})
        ).status_code == 404
        assert (await alice.get(f"/api/v1/projects/{b_project}/keys")).status_code == 403
        assert (await alice.post(f"/api/v1/projects/{b_project}/keys", json={"name": "x"})).status_code == 403
        assert (await alice.delete(f"/api/v1/projects/{b_project}/keys/{b_key['id']}")).status_code == 403
        assert (await alice.delete(f"/api/v1/projects/{a_project}/keys/{b_key['id']}")).status_code == 404
        assert (await alice.patch(f"/api/v1/projects/{b_project}", json={"name": "mine"})).status_code == 403
        assert (await alice.delete(f"/api/v1/projects/{b_project}")).status_code == 403
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": a_secret}) as a_app:
            assert (await a_app.get("/api/v1/events", params={"project_id": b_project})).status_code == 403
            assert (await a_app.get(f"/api/v1/events/{b_event}")).status_code == 404
            assert (await a_app.post("/api/v1/projects", json={"name": "by key"})).status_code == 403
            assert (await a_app.get(f"/api/v1/projects/{b_project}/keys")).status_code == 403
        # Sharing: Bob adds Alice as a member; she can read but not manage.
        assert (
            await bob.post(f"/api/v1/projects/{b_project}/members", json={"email": "ALICE@example.com"})
        ).status_code == 201
        assert (await alice.get("/api/v1/events", params={"project_id": b_project})).status_code == 200
        assert (await alice.delete(f"/api/v1/projects/{b_project}")).status_code == 403
        # Deleting a project revokes its keys at once.
        assert (await bob.delete(f"/api/v1/projects/{b_project}")).status_code == 204
        assert (await alice.get("/api/v1/events", params={"project_id": b_project})).status_code == 403


async def test_signup_rules_login_throttling_and_bad_sessions(server_factory) -> None:
    server = server_factory(roles="query,gateway", extra_env={"LYNEX_AUTH__LOGIN_MAX_FAILURES": "3"})
    async with httpx.AsyncClient(base_url=server.url) as client:
        await sign_up(client, "carol@example.com")
        dup = await client.post(
            "/api/v1/auth/signup", json={"email": "Carol@Example.com", "password": PASSWORD}
        )
        assert dup.status_code == 409
        weak = await client.post(
            "/api/v1/auth/signup", json={"email": "dan@example.com", "password": "short"}
        )
        assert weak.status_code == 422
        assert weak.json()["parameter"] == "password"
        bad_email = await client.post("/api/v1/auth/signup", json={"email": "nope", "password": PASSWORD})
        assert bad_email.status_code == 422

        cookie = client.cookies.get("lynex_session")
        assert cookie
        async with httpx.AsyncClient(
            base_url=server.url, cookies={"lynex_session": cookie + "x"}
        ) as tampered:
            assert (await tampered.get("/api/v1/auth/me")).status_code == 401
        await client.post("/api/v1/auth/logout")
        async with httpx.AsyncClient(base_url=server.url, cookies={"lynex_session": cookie}) as replay:
            assert (await replay.get("/api/v1/auth/me")).status_code == 401

        wrong = {"email": "carol@example.com", "password": "wrong password!"}
        assert [(await client.post("/api/v1/auth/login", json=wrong)).status_code for _ in range(3)] == [
            401
        ] * 3
        throttled = await client.post(
            "/api/v1/auth/login", json={"email": "carol@example.com", "password": PASSWORD}
        )
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0


async def test_secrets_never_stored_or_logged_in_clear(server_factory) -> None:
    server = server_factory(roles="all")
    async with httpx.AsyncClient(base_url=server.url) as browser:
        await sign_up(browser, "erin@example.com")
        project_id, _, secret = await new_project_with_key(browser, "P")
        async with httpx.AsyncClient(base_url=server.url, headers={"X-API-Key": secret}) as app:
            assert (
                await app.post(
                    "/api/v1/events",
                    json={"type": "llm_call", "body": {"model": "m", "prompt": "TOP-SECRET-PROMPT"}},
                )
            ).status_code == 202
            await app.post("/api/v1/events", json={"type": "log"}, headers={"X-API-Key": secret + "zz"})
        await wait_for_events(browser, project_id, 1)
        session = browser.cookies.get("lynex_session")
    server.stop()
    for path in server.home.glob("control.db*"):
        data = path.read_bytes()
        assert secret.encode() not in data
        assert PASSWORD.encode() not in data
        assert session is not None
        assert session.encode() not in data
    log = server.log_path.read_text()
    assert secret not in log
    assert secret[:20] not in log
    assert PASSWORD not in log
    assert "TOP-SECRET-PROMPT" not in log


async def test_members_are_listed_and_a_project_always_keeps_an_owner(server_factory) -> None:
    server = server_factory(roles="query")
    async with httpx.AsyncClient(base_url=server.url) as alice, httpx.AsyncClient(base_url=server.url) as bob:
        a = await sign_up(alice, "alice@example.com")
        b = await sign_up(bob, "bob@example.com")
        project = (await alice.post("/api/v1/projects", json={"name": "shared"})).json()["id"]
        members = f"/api/v1/projects/{project}/members"

        def listed(response: httpx.Response) -> list[tuple[str, str]]:
            assert response.status_code == 200, response.text
            return [(m["email"], m["role"]) for m in response.json()["members"]]

        assert listed(await alice.get(members)) == [("alice@example.com", "owner")]
        assert (await bob.get(members)).status_code == 403  # not shared with Bob yet
        assert (await alice.post(members, json={"email": "bob@example.com"})).status_code == 201
        assert listed(await bob.get(members)) == [
            ("alice@example.com", "owner"),
            ("bob@example.com", "member"),
        ]
        assert (
            await bob.post(members, json={"email": "bob@example.com", "role": "owner"})
        ).status_code == 403

        # The last owner can neither leave nor be demoted; nothing changes when refused.
        assert (await alice.delete(f"{members}/{a['id']}")).status_code == 409
        demote = await alice.post(members, json={"email": "alice@example.com", "role": "member"})
        assert demote.status_code == 409
        assert "at least one owner" in demote.json()["message"]
        assert listed(await alice.get(members)) == [
            ("alice@example.com", "owner"),
            ("bob@example.com", "member"),
        ]

        # With a second owner, the first may step down. A role change keeps the date Bob joined.
        joined = {m["email"]: m["since"] for m in (await alice.get(members)).json()["members"]}
        promote = await alice.post(members, json={"email": "bob@example.com", "role": "owner"})
        assert promote.status_code == 201
        after = {m["email"]: m["since"] for m in (await alice.get(members)).json()["members"]}
        assert after["bob@example.com"] == joined["bob@example.com"]
        assert (await alice.delete(f"{members}/{a['id']}")).status_code == 204
        assert listed(await bob.get(members)) == [("bob@example.com", "owner")]
        assert (await alice.get(members)).status_code == 403
        assert (await bob.delete(f"{members}/{b['id']}")).status_code == 409
        assert (await bob.delete(f"{members}/{a['id']}")).status_code == 404
