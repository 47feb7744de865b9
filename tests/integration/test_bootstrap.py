"""The headless bootstrap (LYNEX_INIT__*) through `lynex-server migrate`: idempotent, with an owner."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from core.control.accounts import Accounts
from core.control.store import ControlPlane
from core.database import create_engine
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


async def test_serve_alone_bootstraps_the_owner_too(server_factory) -> None:
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
