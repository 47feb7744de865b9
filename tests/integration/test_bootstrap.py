"""The headless bootstrap (LYNEX_INIT__*): idempotent, with an owner, and never crashing start-up on
state users created through the API (a deleted project, a revoked key, a taken email, a changed role):
each conflict is one warning line and the state users made is kept. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from core.cli import bootstrap
from core.control.accounts import Accounts
from core.control.migrations import migrate as migrate_control_plane
from core.control.store import ControlPlane, ControlPlaneError
from core.database import create_engine
from core.settings import DEV_SECRET_KEY, Settings, load_settings
from tests.support.databases import database_url
from tests.support.services import REPO, new_api_key, new_prefix

pytestmark = pytest.mark.integration


async def test_migrate_bootstraps_project_key_and_owner_idempotently(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    key = new_api_key()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYNEX_")} | {
        "LYNEX_HOME": str(tmp_path),
        "LYNEX_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "LYNEX_KAFKA__TOPIC_PREFIX": new_prefix(),
        "LYNEX_INIT__PROJECT_ID": "boot",
        "LYNEX_INIT__API_KEY": key,
        "LYNEX_INIT__USER_EMAIL": "Owner@Example.com",
        "LYNEX_INIT__USER_PASSWORD": "a long dev password",
    }
    for _ in range(2):
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "core.cli", "migrate"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'control.db'}")
    try:
        control = ControlPlane(engine)
        identity = await control.find_key(key)
        assert identity is not None
        assert identity.project_id == "boot"
        assert len(await control.list_keys("boot")) == 1
        accounts = Accounts(engine, "dev-insecure-secret-key-change-me", timedelta(hours=1))
        user = await accounts.authenticate("owner@example.com", "a long dev password")
        assert user is not None
        assert [(m.project.id, m.role) for m in await accounts.memberships(user.id)] == [("boot", "owner")]
    finally:
        await engine.dispose()


async def test_serve_alone_bootstraps_the_owner_too(server_factory) -> None:  # type: ignore[no-untyped-def]
    """Without a separate `migrate` (serve migrates by default), the init owner can log in at once."""
    env = {"LYNEX_INIT__USER_EMAIL": "owner@example.com", "LYNEX_INIT__USER_PASSWORD": "a long dev password"}
    server = server_factory(roles="query", extra_env=env)
    async with httpx.AsyncClient(base_url=server.url) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": "owner@example.com", "password": "a long dev password"}
        )
        assert login.status_code == 200, login.text
        projects = (await client.get("/api/v1/projects")).json()["projects"]
        assert [(p["id"], p["role"]) for p in projects] == [(server.project_id, "owner")]


PASSWORD = "a long dev password"
OWNER = "owner@example.com"


@pytest.fixture(params=["sqlite", "postgres"])
async def control(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ControlPlane]:
    async with database_url(request.param, tmp_path) as url:
        engine = create_engine(url)
        await migrate_control_plane(engine)
        yield ControlPlane(engine)
        await engine.dispose()


def init_settings(
    project_id: str = "boot", key: str = "", email: str = OWNER, password: str = PASSWORD
) -> Settings:
    env = {"LYNEX_INIT__PROJECT_ID": project_id, "LYNEX_INIT__API_KEY": key or KEY}
    if email:
        env |= {"LYNEX_INIT__USER_EMAIL": email, "LYNEX_INIT__USER_PASSWORD": password}
    return load_settings(env)


KEY = new_api_key()


def accounts_of(control: ControlPlane) -> Accounts:
    return Accounts(control.engine, DEV_SECRET_KEY, timedelta(hours=1))


def conflicts(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [str(r.reason) for r in caplog.records if r.getMessage() == "init_conflicted"]  # type: ignore[attr-defined]


async def start_up(control: ControlPlane, settings: Settings, caplog: pytest.LogCaptureFixture) -> list[str]:
    """One start-up's bootstrap; the conflict lines it logged."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="lynex"):
        await bootstrap(settings, control)
    return conflicts(caplog)


async def test_a_project_deleted_by_a_user_stays_deleted_and_start_up_goes_on(
    control: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    settings = init_settings()
    assert await start_up(control, settings, caplog) == []
    await accounts_of(control).delete_project("boot")  # what DELETE /api/v1/projects/boot does
    for _ in range(2):  # every later start
        [line] = await start_up(control, settings, caplog)
        assert "'boot' was deleted by a user" in line
    assert await control.get_project("boot") is None
    assert await control.find_key(KEY) is None
    assert [k.revoked_at is not None for k in await control.list_keys("boot")] == [True]


async def test_a_key_revoked_by_a_user_stays_revoked(
    control: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    settings = init_settings()
    await start_up(control, settings, caplog)
    [key] = await control.list_keys("boot")
    assert await control.revoke_key(key.id)
    [line] = await start_up(control, settings, caplog)
    assert "revoked by a user" in line
    assert await control.find_key(KEY) is None
    assert len(await control.list_keys("boot")) == 1
    assert await control.get_project("boot") is not None


async def test_a_key_of_another_project_is_left_there(
    control: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    await start_up(control, init_settings("first"), caplog)
    [line] = await start_up(control, init_settings("second"), caplog)
    assert "belongs to project 'first'" in line
    identity = await control.find_key(KEY)
    assert identity is not None
    assert identity.project_id == "first"
    assert await control.get_project("second") is not None


async def test_an_account_someone_made_with_the_init_email_is_not_given_the_project(
    control: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    accounts = accounts_of(control)
    squatter = await accounts.sign_up(OWNER, "someone else's password")  # POST /api/v1/auth/signup
    [line] = await start_up(control, init_settings(), caplog)
    assert "exists with another password" in line
    assert await accounts.role_in(squatter.id, "boot") is None
    assert await control.find_key(KEY) is not None


async def test_an_owner_whose_password_changed_stays_owner_with_a_warning(
    control: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    await start_up(control, init_settings(), caplog)
    [line] = await start_up(control, init_settings(password="another long password"), caplog)
    assert "does not sign it in): it already owns 'boot'" in line
    user = await accounts_of(control).authenticate(OWNER, PASSWORD)
    assert user is not None
    assert await accounts_of(control).role_in(user.id, "boot") == "owner"


async def test_an_init_user_an_owner_demoted_stays_a_member(
    control: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    accounts = accounts_of(control)
    settings = init_settings()
    await start_up(control, settings, caplog)
    other = await accounts.sign_up("second@example.com", PASSWORD)
    await accounts.add_member("boot", other.email, "owner")
    await accounts.add_member("boot", OWNER, "member")  # POST /api/v1/projects/boot/members
    [line] = await start_up(control, settings, caplog)
    assert "is a member of 'boot'" in line
    user = await accounts.authenticate(OWNER, PASSWORD)
    assert user is not None
    assert await accounts.role_in(user.id, "boot") == "member"


async def test_an_init_user_removed_from_the_project_gets_it_back_and_an_unchanged_state_logs_nothing(
    control: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    accounts = accounts_of(control)
    settings = init_settings()
    await start_up(control, settings, caplog)
    assert await start_up(control, settings, caplog) == []
    user = await accounts.authenticate(OWNER, PASSWORD)
    assert user is not None
    other = await accounts.sign_up("second@example.com", PASSWORD)
    await accounts.add_member("boot", other.email, "owner")
    assert await accounts.remove_member("boot", user.id)
    assert await start_up(control, settings, caplog) == []
    assert await accounts.role_in(user.id, "boot") == "owner"


async def test_concurrent_start_ups_bootstrap_once(
    control: ControlPlane, caplog: pytest.LogCaptureFixture
) -> None:
    """A `migrate` job and a server (or two replicas) starting at once: no IntegrityError."""
    settings = init_settings()
    await asyncio.gather(*(bootstrap(settings, control) for _ in range(3)))
    assert await start_up(control, settings, caplog) == []
    assert len(await control.list_keys("boot")) == 1
    user = await accounts_of(control).authenticate(OWNER, PASSWORD)
    assert user is not None
    assert await accounts_of(control).role_in(user.id, "boot") == "owner"


async def test_a_refused_init_password_is_a_settings_error(control: ControlPlane) -> None:
    with pytest.raises(ControlPlaneError, match="LYNEX_INIT__USER_PASSWORD is refused"):
        await bootstrap(init_settings(password="password"), control)


async def test_migrate_starts_after_the_init_project_was_deleted(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    """The reported crash: `UNIQUE constraint failed: projects.id` on every start after the deletion."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LYNEX_")} | {
        "LYNEX_HOME": str(tmp_path),
        "LYNEX_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "LYNEX_KAFKA__TOPIC_PREFIX": new_prefix(),
        "LYNEX_INIT__PROJECT_ID": "boot",
        "LYNEX_INIT__API_KEY": new_api_key(),
        "LYNEX_LOG__FORMAT": "json",
    }

    async def run_migrate() -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "core.cli", "migrate"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert (await run_migrate()).returncode == 0
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'control.db'}")
    try:
        await Accounts(engine, DEV_SECRET_KEY, timedelta(hours=1)).delete_project("boot")
    finally:
        await engine.dispose()
    result = await run_migrate()
    assert result.returncode == 0, result.stderr
    assert "IntegrityError" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "init_conflicted" in line]
    assert "'boot' was deleted by a user" in line
