"""One ClickHouse client per process, from one DSN: `chdb:///path` (embedded engine, in-process) or
`http(s)://user:pass@host:8123/db` (a server). Same client API and SQL for both.

clickhouse-connect is synchronous: every call runs in a worker thread (`asyncio.to_thread`); the
embedded engine releases the GIL while it works. The embedded engine allows one opener per data
directory, so sink and query in one process share this handle, and calls on it are serialized.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.exceptions import ClickHouseError, DataError, Error

from contracts.clickhouse import migrations

log = logging.getLogger(__name__)

# Errors that mean "ClickHouse is not reachable right now": retry, never dead-letter.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ClickHouseError, OSError, ConnectionError)

# Among those, the ClickHouse error codes that are about the data itself: the same rows will be refused
# every time, so the sink stores what it can row by row and dead-letters the rest. Every other code
# (unreachable, timeouts, TOO_MANY_PARTS, MEMORY_LIMIT_EXCEEDED, UNKNOWN_TABLE before a migration...)
# is about ClickHouse's state and is retried. Names as `errorCodeToName` gives them (a test checks).
PERMANENT_CODES: dict[int, str] = {
    6: "CANNOT_PARSE_TEXT",  # a value that does not parse as its column's type
    26: "CANNOT_PARSE_QUOTED_STRING",
    27: "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
    38: "CANNOT_PARSE_DATE",
    41: "CANNOT_PARSE_DATETIME",
    43: "ILLEGAL_TYPE_OF_ARGUMENT",  # a value of the wrong type for a column or function
    53: "TYPE_MISMATCH",
    69: "ARGUMENT_OUT_OF_BOUND",
    70: "CANNOT_CONVERT_TYPE",
    72: "CANNOT_PARSE_NUMBER",
    117: "INCORRECT_DATA",
    128: "TOO_LARGE_ARRAY_SIZE",  # a value over ClickHouse's own size limits
    131: "TOO_LARGE_STRING_SIZE",
    321: "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
    376: "CANNOT_PARSE_UUID",
    407: "DECIMAL_OVERFLOW",
}
# A server message starts "Code: 27. DB::Exception: ..."; anchored, so code 279 is never read as 27.
_CODE = re.compile(r"(?:.*?\n)?\s*Code: (\d+)\. ", re.DOTALL)


def error_code(exc: BaseException) -> int | None:
    """The ClickHouse error code of `exc`: the one clickhouse-connect parsed, else read from the message."""
    if isinstance(exc, Error) and exc.code is not None:
        return exc.code
    match = _CODE.match(str(exc))
    return int(match.group(1)) if match else None


def is_permanent(exc: BaseException) -> bool:
    """ClickHouse refuses the data itself, and always will (see PERMANENT_CODES).

    A DataError without a code comes from the client: a value it cannot serialize into its column
    (a number out of the column type's range), which no retry changes either.
    """
    code = error_code(exc)
    if code is None:
        return isinstance(exc, DataError)
    return code in PERMANENT_CODES


class ClickHouse:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.embedded = dsn.startswith("chdb://")
        self._client: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        if self._client is None:
            if self.embedded:
                Path(self.dsn.removeprefix("chdb://")).mkdir(parents=True, exist_ok=True)
                self._client = clickhouse_connect.get_client(dsn=self.dsn)
            else:
                # No session: concurrent queries from the sink and the query API must not collide.
                self._client = clickhouse_connect.get_client(
                    dsn=self.dsn, autogenerate_session_id=False, connect_timeout=5, send_receive_timeout=60
                )
        return self._client

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self.embedded:
            # One engine per process, not known to be safe for concurrent calls: one at a time.
            with self._lock:
                return getattr(self._connect(), method)(*args, **kwargs)
        # A server: the HTTP client without a session takes concurrent queries (its connection
        # pool), so the dashboard's parallel panel queries and the sink's inserts do not queue here.
        with self._lock:
            client = self._connect()
        return getattr(client, method)(*args, **kwargs)

    async def query(
        self, sql: str, parameters: dict[str, Any] | None = None, settings: dict[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        result = await asyncio.to_thread(
            self._call, "query", sql, parameters=parameters or {}, settings=settings or {}
        )
        return list(result.result_rows)

    async def query_dicts(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        result = await asyncio.to_thread(self._call, "query", sql, parameters=parameters or {})
        return list(result.named_results())

    async def command(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        return await asyncio.to_thread(self._call, "command", sql, parameters=parameters)

    async def insert_columns(
        self,
        table: str,
        columns: Sequence[Sequence[Any]],
        column_names: Sequence[str],
        settings: dict[str, Any] | None = None,
    ) -> None:
        await asyncio.to_thread(
            self._call,
            "insert",
            table,
            list(columns),
            column_names=list(column_names),
            column_oriented=True,
            settings=settings or {},
        )

    async def ping(self) -> str | None:
        try:
            await asyncio.wait_for(self.query("SELECT 1"), timeout=3)
        except (TimeoutError, ClickHouseError, OSError) as exc:
            return f"clickhouse: unreachable ({type(exc).__name__})"
        return None

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


# The TTL each table keeps, as the retention setting says (`{days}` filled in).
RETENTION_TTLS = {
    "events": "toDateTime(timestamp) + INTERVAL {days} DAY",
    "events_1m": "minute + INTERVAL {days} DAY",
    "dead_letters": "toDateTime(received_at) + INTERVAL {days} DAY",
}


async def _keep_retention(clickhouse: ClickHouse, days: int) -> None:
    """Retention is a setting: keep each table's TTL in step with it, altering only a table whose TTL
    differs. An ALTER rewrites the table's metadata file, and on a full disk the embedded engine (chdb
    4.4) returned no error but left that file empty: the data directory never opened again. A restart
    during a disk-full outage must not touch the metadata.
    """
    names = ", ".join(f"'{name}'" for name in RETENTION_TTLS)
    engines = dict(
        await clickhouse.query(
            "SELECT name, engine_full FROM system.tables"  # noqa: S608 -- constant table names
            f" WHERE database = currentDatabase() AND name IN ({names})"
        )
    )
    for table, ttl in RETENTION_TTLS.items():
        if f"toIntervalDay({days})" not in engines.get(table, ""):
            await clickhouse.command(f"ALTER TABLE {table} MODIFY TTL {ttl.format(days=days)}")


async def migrate_clickhouse(clickhouse: ClickHouse, retention_days: int) -> list[int]:
    """Apply pending DDL migrations in order; re-apply the retention TTL from settings."""
    await clickhouse.command(
        "CREATE TABLE IF NOT EXISTS lynex_migrations"
        " (version UInt32, name String, applied_at DateTime('UTC')) ENGINE = MergeTree ORDER BY version"
    )
    done = {row[0] for row in await clickhouse.query("SELECT version FROM lynex_migrations")}
    applied = []
    for version, name, statements in migrations():
        if version in done:
            continue
        for statement in statements:
            await clickhouse.command(statement.replace("{retention_days}", str(int(retention_days))))
        await clickhouse.insert_columns(
            "lynex_migrations", [[version], [name], [datetime.now(UTC)]], ["version", "name", "applied_at"]
        )
        applied.append(version)
    await _keep_retention(clickhouse, int(retention_days))
    if applied:
        log.info("clickhouse_migrated", extra={"versions": applied})
    return applied
