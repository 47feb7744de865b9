"""Reading what a stopped server stored in its embedded ClickHouse (one opener per process at a time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import clickhouse_connect


def stored_rows(home: Path, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    client = clickhouse_connect.get_client(dsn=f"chdb://{home / 'clickhouse'}")
    try:
        return list(client.query(sql, parameters=parameters or {}).result_rows)
    finally:
        client.close()
