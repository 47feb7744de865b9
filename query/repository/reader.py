"""Read queries on the shared ClickHouse handle, with "ClickHouse is down" mapped to 503."""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

from core.clickhouse import TRANSIENT_ERRORS, ClickHouse
from query.errors import Unavailable

log = logging.getLogger(__name__)

# A runaway read must not hold the shared handle (the sink writes through it too).
READ_SETTINGS = " SETTINGS max_execution_time = 10"


class Reader:
    def __init__(self, clickhouse: ClickHouse) -> None:
        self.clickhouse = clickhouse

    async def rows(self, name: str, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run one named read; `name` labels logs (never the parameters: they may be user data)."""
        started = time.perf_counter()
        try:
            rows = await self.clickhouse.query(sql + READ_SETTINGS, parameters)
        except TRANSIENT_ERRORS as exc:
            log.warning("query_failed", extra={"query": name, "error": type(exc).__name__})
            raise Unavailable("ClickHouse unavailable", retry_after=2) from exc
        log.debug(
            "query_ran",
            extra={"query": name, "rows": len(rows), "ms": round((time.perf_counter() - started) * 1000, 1)},
        )
        return rows


def utc(value: datetime) -> datetime:
    """ClickHouse hands back naive UTC from the embedded engine, aware from a server: make it aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def finite(value: float) -> float | None:
    """Quantiles over no data come back NaN; the API says null."""
    return None if math.isnan(value) else float(value)


def or_none(value: str) -> str | None:
    return value or None
