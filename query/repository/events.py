"""Reads of the raw `events` table: the newest-first list (offset or keyset cursor) and one event.

Both filter on the primary key's prefix (project_id, timestamp) or the event-id bloom index; the
list reads in key order, newest first, so a page costs about `limit` rows however large the table.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from query.params import EventQuery, encode_cursor
from query.repository.reader import Reader, or_none, utc
from query.responses import EventDetail, EventPage, EventSummary, TokenCounts

_CURSOR_TS = "fromUnixTimestamp64Milli({cursor_ms:Int64}, 'UTC')"
# Optional filters: appended when the parameter is present; the values stay parameters.
_FILTERS = {
    "type": " AND type = {type:String}",
    "model": " AND model = {model:String}",
    "status": " AND status = {status:String}",
}
# The first condition lets the primary key skip newer granules; the second breaks timestamp ties.
_AFTER_CURSOR = (
    f" AND timestamp <= {_CURSOR_TS} AND (timestamp, event_id) < ({_CURSOR_TS}, {{cursor_id:UUID}})"
)

LIST_SQL_HEAD = """
SELECT event_id, type, timestamp, received_at, model, provider, status, error_type, level, latency_ms,
       input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost_usd, trace_id, span_id
FROM events
WHERE project_id = {project:String}
  AND timestamp >= {start:DateTime64(3, 'UTC')} AND timestamp < {end:DateTime64(3, 'UTC')}"""
LIST_SQL_TAIL = " ORDER BY timestamp DESC, event_id DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}"

GET_SQL = """
SELECT event_id, type, timestamp, received_at, model, provider, status, error_type, level, latency_ms,
       input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost_usd, trace_id, span_id,
       project_id, key_id, parent_span_id, env, user_id, session_id, release, sdk,
       cost_source, timestamp_adjusted, context, body
FROM events
WHERE project_id = {project:String} AND event_id = {event_id:UUID}
LIMIT 1"""


class EventRepository:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    async def list_events(self, project_id: str, query: EventQuery) -> EventPage:
        """Newest first by (timestamp, event_id); one extra row tells whether a next page exists."""
        sql = [LIST_SQL_HEAD]
        params: dict[str, Any] = {
            "project": project_id,
            "start": query.range.start,
            "end": query.range.end,
            "limit": query.limit + 1,
            "offset": query.offset,
        }
        for name, value in (("type", query.type), ("model", query.model), ("status", query.status)):
            if value is not None:
                sql.append(_FILTERS[name])
                params[name] = value
        if query.cursor is not None:
            sql.append(_AFTER_CURSOR)
            params["cursor_ms"] = query.cursor.timestamp_ms
            params["cursor_id"] = query.cursor.event_id
        sql.append(LIST_SQL_TAIL)
        rows = await self.reader.rows("events_list", "".join(sql), params)
        events = [_summary(row) for row in rows[: query.limit]]
        next_cursor = None
        if len(rows) > query.limit:
            last = rows[query.limit - 1]
            next_cursor = encode_cursor(utc(last[2]), last[0])
        return EventPage(events=events, next_cursor=next_cursor)

    async def get_event(self, project_id: str, event_id: uuid.UUID) -> EventDetail | None:
        rows = await self.reader.rows("event_get", GET_SQL, {"project": project_id, "event_id": event_id})
        return _detail(rows[0]) if rows else None


def _summary_fields(row: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "event_id": str(row[0]),
        "type": row[1],
        "timestamp": utc(row[2]),
        "received_at": utc(row[3]),
        "model": or_none(row[4]),
        "provider": or_none(row[5]),
        "status": or_none(row[6]),
        "error_type": or_none(row[7]),
        "level": or_none(row[8]),
        "latency_ms": row[9],
        "tokens": TokenCounts(input=row[10], output=row[11], cached=row[12], reasoning=row[13]),
        "cost_usd": row[14],
        "trace_id": or_none(row[15]),
        "span_id": or_none(row[16]),
    }


def _summary(row: tuple[Any, ...]) -> EventSummary:
    return EventSummary(**_summary_fields(row))


def _detail(row: tuple[Any, ...]) -> EventDetail:
    (project_id, key_id, parent_span_id, env, user_id, session_id, release, sdk, cost_source) = row[17:26]
    return EventDetail(
        **_summary_fields(row),
        project_id=project_id,
        key_id=or_none(key_id),
        parent_span_id=or_none(parent_span_id),
        env=or_none(env),
        user_id=or_none(user_id),
        session_id=or_none(session_id),
        release=or_none(release),
        sdk=or_none(sdk),
        cost_source=or_none(cost_source),
        timestamp_adjusted=bool(row[26]),
        context=_json(row[27]),
        body=_json(row[28]),
    )


def _json(text: str) -> Any:
    """Stored as JSON text; handed back as JSON. Text that is not JSON comes back as a string."""
    if not text:
        return None
    try:
        return msgspec.json.decode(text)
    except msgspec.DecodeError:
        return text
