"""One DLQ record -> one `dead_letters` row: whose it is (the key), where it came from and why (the
headers), how many events it held and when the gateway received them (the value, if it decodes).

Pure: no I/O. The value may be anything that reached the DLQ: a raw envelope (JSON), an enriched
envelope (MessagePack or JSON), one enriched row (a JSON array), an alert record, or bytes that are none
of these (poison, or cut short by the DLQ's size limit); only the count and the receive time are read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from contracts.enriched import COLUMNS

_RECEIVED_AT_COLUMN = COLUMNS.index("received_at")
ERROR_CHARS = 1000
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)

ROW_COLUMNS = (
    "project_id",
    "received_at",
    "dead_lettered_at",
    "stage",
    "error",
    "events",
    "decoded",
    "truncated",
    "value_bytes",
    "original_topic",
    "original_partition",
    "original_offset",
    "dlq_partition",
    "dlq_offset",
    "value_hash",
)


@dataclass(frozen=True)
class DeadLetterRow:
    project_id: str
    received_at: datetime
    dead_lettered_at: datetime
    stage: str
    error: str
    events: int
    decoded: bool
    truncated: bool
    value_bytes: int
    original_topic: str
    original_partition: int
    original_offset: int
    dlq_partition: int
    dlq_offset: int
    # Identifies the record's content: the same record dead-lettered again (a stage re-read it after a
    # crash, so the DLQ holds two copies at two offsets) has the same origin and hash and counts once.
    value_hash: int

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in ROW_COLUMNS)


@dataclass(frozen=True)
class Contents:
    events: int
    received_at: datetime | None


def to_row(
    *,
    key: bytes | None,
    value: bytes | None,
    headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...],
    timestamp_ms: int,
    partition: int,
    offset: int,
) -> DeadLetterRow:
    """The row for one DLQ record; never raises on what the record holds."""
    named = {name: raw.decode("utf-8", "replace") for name, raw in headers}
    dead_lettered_at = datetime.fromtimestamp(max(timestamp_ms, 0) / 1000, UTC)
    contents = read_contents(value or b"")
    return DeadLetterRow(
        project_id=(key or b"").decode("utf-8", "replace")[:64],
        received_at=(contents.received_at if contents else None) or dead_lettered_at,
        dead_lettered_at=dead_lettered_at,
        stage=named.get("lynex-stage", "unknown")[:64] or "unknown",
        error=named.get("lynex-error", "")[:ERROR_CHARS],
        events=contents.events if contents else 0,
        decoded=contents is not None,
        truncated=named.get("lynex-truncated") == "1",
        value_bytes=len(value or b""),
        original_topic=named.get("lynex-original-topic", "")[:256],
        original_partition=_int(named.get("lynex-original-partition"), -1, 2**31 - 1),
        original_offset=_int(named.get("lynex-original-offset"), -1, 2**63 - 1),
        dlq_partition=partition,
        dlq_offset=offset,
        value_hash=content_hash(value or b""),
    )


def content_hash(value: bytes) -> int:
    """64 bits of BLAKE2b over the record's value (a UInt64 column)."""
    return int.from_bytes(hashlib.blake2b(value, digest_size=8).digest(), "big")


def read_contents(value: bytes) -> Contents | None:
    """Events held and their receive time, for the shapes a Lynex record has; None for anything else."""
    if not value:
        return None
    try:
        decoded = msgspec.json.decode(value) if value[:1] in (b"{", b"[") else msgspec.msgpack.decode(value)
    except (msgspec.DecodeError, ValueError):
        return None
    if isinstance(decoded, list) and len(decoded) == len(COLUMNS):  # one enriched row
        return Contents(1, _time(decoded[_RECEIVED_AT_COLUMN]))
    if not isinstance(decoded, dict) or not isinstance(decoded.get("events"), list):
        return None
    events: list[Any] = decoded["events"]
    received = decoded.get("receivedAt")  # a raw envelope
    if received is None and events and isinstance(events[0], list) and len(events[0]) == len(COLUMNS):
        received = events[0][_RECEIVED_AT_COLUMN]  # an enriched envelope: every row has the stamp
    return Contents(len(events), _time(received))


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        return None
    moment = moment.astimezone(UTC)
    # A poison record may carry any text here; ClickHouse's DateTime64 does not hold every year.
    return moment if _EARLIEST <= moment < _LATEST else None


def _int(text: str | None, default: int, maximum: int) -> int:
    try:
        value = int(text or "")
    except ValueError:
        return default
    return value if -1 <= value <= maximum else default
