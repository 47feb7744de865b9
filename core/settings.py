"""Typed settings, read once at start-up from `LYNEX_<SECTION>__<FIELD>` environment variables.

`load_settings(environ)` takes the mapping explicitly (tests pass a dict, never mutate os.environ)
and raises `SettingsError` naming every bad or unknown variable at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from contracts.limits import MAX_REQUEST_BYTES

PREFIX = "LYNEX_"
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - the refused-in-production default


def _doc(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
PositiveFloat = Annotated[float, msgspec.Meta(gt=0)]


class _Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class KafkaSettings(_Section, frozen=True):
    bootstrap_servers: Annotated[str, _doc("Comma-separated Kafka brokers.")] = "127.0.0.1:9092"
    topic_prefix: Annotated[str, _doc("Prepended to every topic name (isolates environments and tests).")] = (
        ""
    )
    client_id: Annotated[str, _doc("Kafka client id prefix.")] = "lynex"
    compression: Annotated[
        Literal["zstd", "snappy", "none"],
        _doc("Producer compression. lz4 and gzip are not offered: they measured 8-15x slower here."),
    ] = "zstd"
    linger_ms: Annotated[
        int, msgspec.Meta(ge=0, le=1000), _doc("Producer linger before a batch is sent.")
    ] = 2
    ack_timeout_s: Annotated[
        PositiveFloat, _doc("How long the gateway waits for Kafka's ack before 503.")
    ] = 2.0
    topic_partitions: Annotated[Positive, _doc("Partitions when Lynex creates its topics.")] = 4
    replication_factor: Annotated[Positive, _doc("Replication factor when Lynex creates its topics.")] = 1


class HttpSettings(_Section, frozen=True):
    host: Annotated[str, _doc("Address the HTTP server binds.")] = "127.0.0.1"
    port: Annotated[Port, _doc("Port the HTTP server binds (0 picks a free one).")] = 8000
    loop: Annotated[
        Literal["auto", "uvloop", "asyncio"],
        _doc("Event loop: uvloop (auto picks it when installed, as the server extras do) or asyncio."),
    ] = "auto"


class DatabaseSettings(_Section, frozen=True):
    url: Annotated[
        str,
        _doc(
            "Control-plane SQLAlchemy URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user:pw@host/db."
        ),
    ] = ""


class ClickHouseSettings(_Section, frozen=True):
    dsn: Annotated[
        str, _doc("chdb:///path for the embedded engine, or http(s)://user:pass@host:8123/db.")
    ] = ""
    retention_days: Annotated[Positive, _doc("Events older than this are dropped by a TTL.")] = 90


class GatewaySettings(_Section, frozen=True):
    max_body_bytes: Annotated[
        int,
        msgspec.Meta(ge=1, le=MAX_REQUEST_BYTES),
        _doc("Request size cap, also after gzip decompression; at most the size budget's 5 MiB."),
    ] = MAX_REQUEST_BYTES
    key_cache_ttl_s: Annotated[PositiveFloat, _doc("How long a key lookup is cached (revocation delay).")] = (
        10.0
    )
    max_inflight_requests: Annotated[Positive, _doc("Requests waiting on Kafka before 503 shedding.")] = 256
    max_inflight_events: Annotated[Positive, _doc("Events waiting on Kafka before 503 shedding.")] = 50_000
    rate_limit_per_s: Annotated[
        float, msgspec.Meta(ge=0), _doc("Events/s per API key (token bucket, per replica); 0 disables.")
    ] = 10_000.0
    rate_limit_burst: Annotated[Positive, _doc("Token-bucket size per API key, in events.")] = 100_000
    usage_flush_s: Annotated[PositiveFloat, _doc("How often per-key usage counts are written.")] = 5.0


class AuthSettings(_Section, frozen=True):
    secret_key: Annotated[
        str, _doc("Keys session HMACs and secret encryption. Required (32+ chars) when LYNEX_ENV=production.")
    ] = DEV_SECRET_KEY
    session_ttl_h: Annotated[PositiveFloat, _doc("How long a dashboard session lasts.")] = 168.0
    login_max_failures: Annotated[Positive, _doc("Failed logins per account or address before 429.")] = 5
    login_window_s: Annotated[PositiveFloat, _doc("Window over which failed logins are counted.")] = 300.0


class QuerySettings(_Section, frozen=True):
    dashboard_dir: Annotated[
        str, _doc("Built dashboard served at /; empty: ./dashboard/dist, else /opt/lynex/dashboard.")
    ] = ""


class InitSettings(_Section, frozen=True):
    project_id: Annotated[str, _doc("Headless bootstrap: this project exists after start-up.")] = ""
    api_key: Annotated[
        str, _doc("Headless bootstrap: this API key (sk_live_...) exists for INIT project.")
    ] = ""
    user_email: Annotated[str, _doc("Optional: a user who owns the INIT project (created if absent).")] = ""
    user_password: Annotated[str, _doc("That user's password (used only when the user is created).")] = ""


class LogSettings(_Section, frozen=True):
    level: Annotated[Literal["debug", "info", "warning", "error"], _doc("Log level.")] = "info"
    format: Annotated[Literal["auto", "json", "console"], _doc("auto: console on a TTY, JSON otherwise.")] = (
        "auto"
    )


class AlertsSettings(_Section, frozen=True):
    rules_reload_s: Annotated[PositiveFloat, _doc("How often stream workers reload alert rules.")] = 10.0
    evaluate_every_s: Annotated[
        PositiveFloat, _doc("Alert rules are re-evaluated this often without events (resolve, reminders).")
    ] = 1.0
    min_evaluation_gap_s: Annotated[
        float, msgspec.Meta(ge=0), _doc("On events, a project's rules are evaluated at most this often.")
    ] = 0.2
    delivery_attempts: Annotated[
        Positive, _doc("Attempts per alert channel before the failure is recorded.")
    ] = 5
    delivery_backoff_s: Annotated[
        PositiveFloat, _doc("Wait before the second attempt; doubles after each failure (capped at 10 s).")
    ] = 1.0
    delivery_timeout_s: Annotated[PositiveFloat, _doc("Time limit of one delivery attempt.")] = 10.0
    allow_private_channels: Annotated[
        bool,
        _doc(
            "Alert channels may target loopback and private networks (link-local/metadata never);"
            " false for deployments with open sign-up."
        ),
    ] = True


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Every setting of every role. Field docs double as `lynex-server settings` output."""

    env: Annotated[Literal["development", "production", "test"], _doc("LYNEX_ENV.")] = "development"
    home: Annotated[str, _doc("LYNEX_HOME: local state (SQLite, embedded ClickHouse, Kafka data).")] = (
        ".lynex"
    )
    kafka: KafkaSettings = KafkaSettings()
    http: HttpSettings = HttpSettings()
    database: DatabaseSettings = DatabaseSettings()
    clickhouse: ClickHouseSettings = ClickHouseSettings()
    gateway: GatewaySettings = GatewaySettings()
    auth: AuthSettings = AuthSettings()
    query: QuerySettings = QuerySettings()
    init: InitSettings = InitSettings()
    log: LogSettings = LogSettings()
    alerts: AlertsSettings = AlertsSettings()

    @property
    def home_path(self) -> Path:
        return Path(self.home).resolve()

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite+aiosqlite:///{self.home_path / 'control.db'}"

    @property
    def clickhouse_dsn(self) -> str:
        return self.clickhouse.dsn or f"chdb://{self.home_path / 'clickhouse'}"


_TOP_LEVEL = {"ENV": "env", "HOME": "home"}
# The SDKs' own variables: an app and the server may share an environment (a laptop shell, a pod).
SDK_VARIABLES = frozenset({"LYNEX_API_KEY", "LYNEX_PROJECT_ID", "LYNEX_ENDPOINT", "LYNEX_DEBUG"})


class SettingsError(Exception):
    """One or more LYNEX_* variables are invalid; `problems` names each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid settings:\n  " + "\n  ".join(problems))
        self.problems = problems


def _sections() -> dict[str, type[msgspec.Struct]]:
    return {
        name: field.type
        for name, field in ((f.name, f) for f in msgspec.structs.fields(Settings))
        if isinstance(field.type, type) and issubclass(field.type, _Section)
    }


def load_settings(environ: Mapping[str, str], **overrides: Any) -> Settings:
    """Build Settings from LYNEX_* variables; `overrides` (section -> dict) win over the environment."""
    raw, problems = _collect(environ)
    for section, values in overrides.items():
        if isinstance(values, dict):
            raw.setdefault(section, {}).update(values)
        else:
            raw[section] = values
    problems += _check_values(raw)
    if problems:
        raise SettingsError(problems)
    settings = msgspec.convert(raw, Settings, strict=False)
    if bool(settings.init.project_id) != bool(settings.init.api_key):
        raise SettingsError(["LYNEX_INIT__PROJECT_ID and LYNEX_INIT__API_KEY must be set together"])
    if settings.init.user_email and not (settings.init.project_id and settings.init.user_password):
        raise SettingsError(
            ["LYNEX_INIT__USER_EMAIL needs LYNEX_INIT__PROJECT_ID and LYNEX_INIT__USER_PASSWORD"]
        )
    if settings.env == "production" and (
        settings.auth.secret_key == DEV_SECRET_KEY or len(settings.auth.secret_key) < 32
    ):
        raise SettingsError(
            [
                "LYNEX_AUTH__SECRET_KEY: required in production, at least 32 characters, not the development default"
            ]
        )
    return settings


def _collect(environ: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Group LYNEX_* variables by section; unknown sections and fields are problems."""
    sections = _sections()
    raw: dict[str, Any] = {}
    problems: list[str] = []
    for var, value in sorted(environ.items()):
        if not var.startswith(PREFIX) or var in SDK_VARIABLES:
            continue
        rest = var[len(PREFIX) :]
        if rest in _TOP_LEVEL:
            raw[_TOP_LEVEL[rest]] = value
            continue
        section, sep, field = rest.partition("__")
        section_type = sections.get(section.lower())
        if not sep or section_type is None:
            problems.append(f"{var}: unknown setting (expected LYNEX_<SECTION>__<FIELD>)")
            continue
        names = {f.name for f in msgspec.structs.fields(section_type)}
        if field.lower() not in names:
            problems.append(f"{var}: unknown field; {section.lower()} has {', '.join(sorted(names))}")
            continue
        raw.setdefault(section.lower(), {})[field.lower()] = value
    return raw, problems


def _check_values(raw: dict[str, Any]) -> list[str]:
    """Convert field by field so that every bad value is reported, not only the first."""
    sections = _sections()
    problems: list[str] = []
    for section, values in raw.items():
        if section in sections and isinstance(values, dict):
            for field, value in values.items():
                try:
                    msgspec.convert({field: value}, sections[section], strict=False)
                except msgspec.ValidationError as exc:
                    problems.append(f"{PREFIX}{section.upper()}__{field.upper()}={value!r}: {exc}")
        else:
            try:
                msgspec.convert({section: values}, Settings, strict=False)
            except msgspec.ValidationError as exc:
                problems.append(f"{PREFIX}{section.upper()}={values!r}: {exc}")
    return problems


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every setting, for docs and `lynex-server settings`."""
    rows: list[tuple[str, str, str]] = []
    for field in msgspec.structs.fields(Settings):
        if isinstance(field.type, type) and issubclass(field.type, _Section):
            for sub in msgspec.structs.fields(field.type):
                rows.append(
                    (
                        f"{PREFIX}{field.name.upper()}__{sub.name.upper()}",
                        repr(sub.default),
                        _description(sub),
                    )
                )
        else:
            rows.append((f"{PREFIX}{field.name.upper()}", repr(field.default), _description(field)))
    return rows


def _description(field: msgspec.structs.FieldInfo) -> str:
    for meta in getattr(field.type, "__metadata__", ()):
        if isinstance(meta, msgspec.Meta) and meta.description:
            return meta.description
    return ""
