"""The control plane on SQLite and PostgreSQL: migrations, keys, users, sessions, memberships."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.control.accounts import Accounts, EmailTaken
from core.control.migrations import MIGRATIONS, migrate
from core.control.passwords import WeakPassword
from core.control.store import ControlPlane
from core.database import create_engine
from tests.support.databases import database_url

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("db", ["sqlite", "postgres"])]
PASSWORD = "correct horse battery"


@pytest.fixture
async def engine(db: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    async with database_url(db, tmp_path) as url:
        engine = create_engine(url)
        await migrate(engine)
        yield engine
        await engine.dispose()


async def test_migrations_are_idempotent(engine) -> None:  # type: ignore[no-untyped-def]
    assert await migrate(engine) == []
    assert len(MIGRATIONS) >= 3


async def test_keys_are_hashed_found_revoked(engine) -> None:  # type: ignore[no-untyped-def]
    control = ControlPlane(engine)
    project = await control.create_project("p")
    key, secret = await control.create_key(project.id, "k1")
    assert secret.startswith("sk_live_")
    assert key.prefix == secret[: len(key.prefix)]
    identity = await control.find_key(secret)
    assert identity is not None
    assert (identity.key_id, identity.project_id) == (key.id, project.id)
    await control.set_rate_limit(project.id, 50.0, 500)
    limited = await control.find_key(secret)
    assert limited is not None
    assert (limited.rate_per_s, limited.burst) == (50.0, 500)
    assert await control.revoke_key(key.id)
    assert await control.find_key(secret) is None
    assert not await control.revoke_key(key.id)


async def test_usage_is_accumulated(engine) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime  # noqa: PLC0415

    control = ControlPlane(engine)
    project = await control.create_project("p")
    key, _ = await control.create_key(project.id, "k")
    t1 = datetime(2026, 1, 1, tzinfo=UTC)
    await control.record_usage({key.id: (5, t1)})
    await control.record_usage({key.id: (7, t1 + timedelta(hours=1))})
    [listed] = await control.list_keys(project.id)
    assert listed.events_accepted == 12
    assert listed.last_used_at is not None
    assert listed.last_used_at.replace(tzinfo=UTC) == t1 + timedelta(hours=1)


async def test_bootstrap_is_idempotent(engine) -> None:  # type: ignore[no-untyped-def]
    control = ControlPlane(engine)
    secret = "sk_live_bootstrapbootstrapbootstrap"
    assert await control.ensure_bootstrap("boot", secret) is True
    assert await control.ensure_bootstrap("boot", secret) is False
    assert len(await control.list_keys("boot")) == 1


async def test_sign_up_log_in_sessions(engine) -> None:  # type: ignore[no-untyped-def]
    accounts = Accounts(engine, "k" * 40, timedelta(hours=1))
    user = await accounts.sign_up("Ada@Example.com", PASSWORD)
    assert user.email == "ada@example.com"
    with pytest.raises(EmailTaken):
        await accounts.sign_up("ADA@example.COM", PASSWORD)
    with pytest.raises(WeakPassword):
        await accounts.sign_up("bob@example.com", "short")
    assert await accounts.authenticate("ada@EXAMPLE.com", PASSWORD) == user
    assert await accounts.authenticate("ada@example.com", "wrong password!") is None
    assert await accounts.authenticate("nobody@example.com", PASSWORD) is None
    token = await accounts.create_session(user.id)
    assert await accounts.session_user(token) == user
    assert await accounts.session_user(token + "x") is None
    await accounts.end_session(token)
    assert await accounts.session_user(token) is None


async def test_expired_session_and_other_secret_are_refused(engine) -> None:  # type: ignore[no-untyped-def]
    expired = Accounts(engine, "k" * 40, timedelta(seconds=-1))
    user = await expired.sign_up("eve@example.com", PASSWORD)
    assert await expired.session_user(await expired.create_session(user.id)) is None
    live = Accounts(engine, "k" * 40, timedelta(hours=1))
    token = await live.create_session(user.id)
    assert await Accounts(engine, "other-secret" * 4, timedelta(hours=1)).session_user(token) is None


async def test_memberships_and_project_deletion(engine) -> None:  # type: ignore[no-untyped-def]
    accounts = Accounts(engine, "k" * 40, timedelta(hours=1))
    control = ControlPlane(engine)
    owner = await accounts.sign_up("owner@example.com", PASSWORD)
    other = await accounts.sign_up("other@example.com", PASSWORD)
    project = await accounts.create_project(owner, "Chatbot")
    assert [(m.project.id, m.role) for m in await accounts.memberships(owner.id)] == [(project.id, "owner")]
    assert await accounts.memberships(other.id) == []
    assert await accounts.role_in(other.id, project.id) is None
    assert await accounts.add_member(project.id, "OTHER@example.com", "member") == other
    assert await accounts.role_in(other.id, project.id) == "member"
    assert await accounts.add_member(project.id, "ghost@example.com", "member") is None
    await accounts.rename_project(project.id, "Renamed")
    [membership] = await accounts.memberships(other.id)
    assert membership.project.name == "Renamed"
    _, secret = await control.create_key(project.id, "k")
    assert await control.find_key(secret) is not None
    await accounts.delete_project(project.id)
    assert await control.find_key(secret) is None
    assert all(k.revoked_at is not None for k in await control.list_keys(project.id))
    assert await accounts.memberships(owner.id) == []
    assert await accounts.role_in(owner.id, project.id) is None
    assert await accounts.remove_member(project.id, other.id)
