"""Typed settings: defaults, parsing, every bad field named, exit code 2 from the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.settings import Settings, SettingsError, describe, load_settings
from tests.support.services import REPO


def test_defaults() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.kafka.bootstrap_servers == "127.0.0.1:9092"
    assert (settings.http.host, settings.http.port) == ("127.0.0.1", 8000)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith(".lynex/control.db")


def test_environment_is_parsed_and_typed() -> None:
    settings = load_settings(
        {
            "LYNEX_KAFKA__BOOTSTRAP_SERVERS": "k1:9092,k2:9092",
            "LYNEX_KAFKA__TOPIC_PREFIX": "staging.",
            "LYNEX_HTTP__PORT": "9001",
            "LYNEX_GATEWAY__KEY_CACHE_TTL_S": "2.5",
            "LYNEX_DATABASE__URL": "postgresql+asyncpg://u:p@db/lynex",
            "LYNEX_ENV": "production",
            "LYNEX_AUTH__SECRET_KEY": "s" * 40,
            "HOME": "/ignored",
        }
    )
    assert settings.kafka.bootstrap_servers == "k1:9092,k2:9092"
    assert settings.kafka.topic_prefix == "staging."
    assert settings.http.port == 9001
    assert settings.gateway.key_cache_ttl_s == 2.5
    assert settings.database_url == "postgresql+asyncpg://u:p@db/lynex"
    assert settings.env == "production"


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(
            {
                "LYNEX_HTTP__PORT": "eighty",
                "LYNEX_KAFKA__ACK_TIMEOUT_S": "0",
                "LYNEX_KAFKA__COMPRESSION": "lz4",
                "LYNEX_HTTP__PROT": "1",
                "LYNEX_KAKFA__BOOTSTRAP_SERVERS": "x",
            }
        )
    text = "\n".join(info.value.problems)
    for name in (
        "LYNEX_HTTP__PORT",
        "LYNEX_KAFKA__ACK_TIMEOUT_S",
        "LYNEX_KAFKA__COMPRESSION",
        "LYNEX_HTTP__PROT",
        "LYNEX_KAKFA__BOOTSTRAP_SERVERS",
    ):
        assert name in text
    assert len(info.value.problems) == 5


def test_init_project_and_key_go_together() -> None:
    with pytest.raises(SettingsError, match="set together"):
        load_settings({"LYNEX_INIT__PROJECT_ID": "p"})


def test_every_setting_is_documented() -> None:
    rows = describe()
    assert len(rows) >= 20
    assert all(doc for _, _, doc in rows), [var for var, _, doc in rows if not doc]


def test_cli_exits_2_naming_every_bad_field() -> None:
    env = {"PATH": "/usr/bin:/bin", "LYNEX_HTTP__PORT": "-1", "LYNEX_LOG__LEVEL": "chatty"}
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "serve"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "LYNEX_HTTP__PORT" in result.stderr
    assert "LYNEX_LOG__LEVEL" in result.stderr


def test_cli_exits_2_on_unknown_role() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "serve", "--roles", "gateway,bogus"],
        env={"PATH": "/usr/bin:/bin", "LYNEX_HOME": str(REPO / ".lynex" / "unit-unknown-role")},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "bogus" in result.stderr


@pytest.mark.parametrize("secret", [None, "too-short", "dev-insecure-secret-key-change-me"])
def test_production_refuses_a_missing_short_or_default_secret_key(secret: str | None) -> None:
    env = {"LYNEX_ENV": "production"} | ({"LYNEX_AUTH__SECRET_KEY": secret} if secret else {})
    with pytest.raises(SettingsError, match="LYNEX_AUTH__SECRET_KEY"):
        load_settings(env)
    assert load_settings({**env, "LYNEX_ENV": "development"}).env == "development"


def test_cli_refuses_to_start_in_production_with_the_dev_secret() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "serve"],
        env={"PATH": "/usr/bin:/bin", "LYNEX_ENV": "production"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "LYNEX_AUTH__SECRET_KEY" in result.stderr


def test_init_user_needs_a_project_and_a_password() -> None:
    with pytest.raises(SettingsError, match="LYNEX_INIT__USER_EMAIL"):
        load_settings({"LYNEX_INIT__USER_EMAIL": "a@b.c"})


def test_the_sdks_variables_are_not_the_servers_business() -> None:
    sdk = {
        "LYNEX_API_KEY": "sk_live_x",
        "LYNEX_PROJECT_ID": "p",
        "LYNEX_ENDPOINT": "http://x",
        "LYNEX_DEBUG": "1",
    }
    assert load_settings(sdk) == Settings()


def test_the_server_runs_on_uvloop_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvloop  # noqa: PLC0415

    from core.cli import loop_factory  # noqa: PLC0415

    assert load_settings({}).http.loop == "auto"
    assert loop_factory("auto") is uvloop.new_event_loop
    assert loop_factory("uvloop") is uvloop.new_event_loop
    assert loop_factory("asyncio") is None
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if it were not installed
    assert loop_factory("auto") is None
    with pytest.raises(SettingsError, match="LYNEX_HTTP__LOOP"):
        loop_factory("uvloop")
    with pytest.raises(SettingsError, match="LYNEX_HTTP__LOOP"):
        load_settings({"LYNEX_HTTP__LOOP": "trio"})
