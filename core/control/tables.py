"""The control-plane tables as they are now (the migrations build them step by step)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    # Per-project override of the gateway's per-key rate limit (events/s, burst); NULL = default.
    sa.Column("rate_limit_per_s", sa.Float, nullable=True),
    sa.Column("rate_limit_burst", sa.Integer, nullable=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("prefix", sa.String(32), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("events_accepted", sa.BigInteger, nullable=False, server_default="0"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    # Stored lower-cased: emails are unique case-insensitively.
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), primary_key=True, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    # SHA-256 of the cookie's token: a database leak yields no usable session.
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)

alert_rules = sa.Table(
    "alert_rules",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),
    sa.Column("window_minutes", sa.Integer, nullable=False),
    sa.Column("min_requests", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error_type", sa.String(256), nullable=False, server_default=""),
    sa.Column("model", sa.String(256), nullable=False, server_default=""),
    sa.Column("cooldown_s", sa.Integer, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    # The Apprise URLs as one AES-GCM ciphertext (core.crypto), bound to the rule id.
    sa.Column("channels", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Events the gateway accepted (answered 202), per project and UTC minute: the one source of accepted
# counts (the accounting view compares them with what was stored; plans and quotas meter from it).
# Written in batches by the gateway's usage writer, never per request. No foreign key: usage outlives
# a project's deletion (billing still needs it).
usage_accepted = sa.Table(
    "usage_accepted",
    metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("minute", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("events", sa.BigInteger, nullable=False),
)
