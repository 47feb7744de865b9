"""Sink batching, pure: accumulate enriched rows with their Kafka offsets, derive the insert
deduplication token, drop duplicate ids, and turn rows into columns.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from itertools import repeat

from contracts.enriched import COLUMNS, EnrichedEvent

# What identifies a stored event: ids come from clients, so they are unique only within a project.
EventKey = tuple[str, str]  # (project_id, event_id)


@dataclass
class Batch:
    """Rows waiting for one ClickHouse insert, and the offsets they came from."""

    topic: str
    started_at: float
    rows: list[EnrichedEvent] = field(default_factory=list)
    # partition -> (first offset, last offset) consumed into this batch
    offsets: dict[int, tuple[int, int]] = field(default_factory=dict)
    # Each row's record (partition, offset), in row order: where a row ClickHouse refuses came from.
    origins: list[tuple[int, int]] = field(default_factory=list)

    def add(self, partition: int, offset: int, rows: list[EnrichedEvent]) -> None:
        first, _ = self.offsets.get(partition, (offset, offset))
        self.offsets[partition] = (first, offset)
        self.rows.extend(rows)
        self.origins.extend(repeat((partition, offset), len(rows)))

    def is_due(self, now: float, max_rows: int, max_age_s: float) -> bool:
        return len(self.rows) >= max_rows or (bool(self.offsets) and now - self.started_at >= max_age_s)

    def commit_offsets(self) -> dict[int, int]:
        """The offsets to commit once the batch is stored: the next one to read, per partition."""
        return {partition: last + 1 for partition, (_, last) in self.offsets.items()}

    def dedup_token(self) -> str:
        """Same offsets, same token: an insert retried after a timeout is dropped by ClickHouse."""
        spans = ",".join(f"{p}:{first}-{last}" for p, (first, last) in sorted(self.offsets.items()))
        return hashlib.sha256(f"{self.topic}|{spans}".encode()).hexdigest()[:32]


def unique_rows(rows: list[EnrichedEvent], stored: set[EventKey]) -> list[EnrichedEvent]:
    """Rows whose (project, event id) is neither already stored nor earlier in this batch (first wins)."""
    seen = set(stored)
    out = []
    for row in rows:
        key = (row.project_id, row.event_id)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


# Canonical UUID texts (what the enricher writes), each followed by a comma.
_UUID_LIST = re.compile(r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12},)*")


def uuid_array_sql(ids: list[str]) -> str | None:
    """The ids as an SQL array expression when every one is a canonical UUID text (nothing in it to
    escape), else None and the caller binds them as a parameter.

    The same set, cheaper both sides (measured on 10k ids): clickhouse-connect escapes a bound list one
    character at a time (~4.5 µs per id), and ClickHouse parses a list of 10k literals slower than it
    splits one string literal; the lookup went from ~9 to ~4 µs per id.
    """
    joined = ",".join(ids)
    # 37 characters per id: no id can hide a comma (two UUIDs in one id would match the pattern).
    if not ids or len(joined) + 1 != 37 * len(ids) or _UUID_LIST.fullmatch(joined + ",") is None:
        return None
    return f"splitByChar(',', '{joined}')"


def to_columns(rows: list[EnrichedEvent]) -> list[list[object]]:
    """Column-oriented: ClickHouse inserts columns ~1.5-2x faster than rows."""
    return [[getattr(row, name) for row in rows] for name in COLUMNS]
